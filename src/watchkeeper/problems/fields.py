"""Rules on a problem's fields, shared by creation and updates: assignment, classification and
the structured analysis (five whys, timeline)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from watchkeeper.cmdb.choices import SERVICE_CLASSES
from watchkeeper.incidents.actions import fields as incident_fields
from watchkeeper.problems.models import Problem
from watchkeeper.problems.permissions import ProblemPermission

MAX_STEPS = 30
MAX_STEP_TEXT = 2000


def check_assignment(record: Any) -> None:
    """The assignee (of a problem or a task) must be an active member of the assignment group
    who may work problems."""
    incident_fields.check_assignment(record, ProblemPermission.WORK, "problems")


def check_classification(problem: Problem) -> None:
    errors = {}
    if problem.category is not None and problem.category.parent_id is not None:
        errors["category"] = f"{problem.category} is a subcategory; choose its top-level category."
    if problem.service is not None and problem.service.ci_class not in SERVICE_CLASSES:
        errors["service"] = f"{problem.service} is not a service."
    if errors:
        raise ValidationError(errors)


def _text(value: Any, field: str, position: int, name: str, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise ValidationError({field: f"Step {position}: {name} must be text."})
    if required and not text:
        raise ValidationError({field: f"Step {position}: say {name}."})
    if len(text) > MAX_STEP_TEXT:
        raise ValidationError({field: f"Step {position}: {name} is over {MAX_STEP_TEXT} chars."})
    return text


def _steps(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError({field: "Give a list."})
    if len(value) > MAX_STEPS:
        raise ValidationError({field: f"At most {MAX_STEPS} steps."})
    for position, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise ValidationError({field: f"Step {position} must be an object."})
    return value


def clean_five_whys(value: Any) -> list[dict[str, str]]:
    """Each why and its answer, in order: ``[{"why": …, "because": …}]``; the last answer may
    still be open while the analysis goes on."""
    steps = _steps(value, "five_whys")
    cleaned = []
    for position, step in enumerate(steps, start=1):
        unknown = set(step) - {"why", "because"}
        if unknown:
            raise ValidationError({"five_whys": f"Step {position}: unknown {sorted(unknown)}."})
        why = _text(step.get("why"), "five_whys", position, "why", required=True)
        because = _text(step.get("because"), "five_whys", position, "because", required=False)
        cleaned.append({"why": why, "because": because})
    return cleaned


def _moment(value: Any, position: int) -> str:
    """An ISO 8601 date or time; a naive time is in the site's time zone."""
    try:
        moment = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(
            {"timeline": f"Step {position}: 'at' must be a date and time like 2025-03-01 14:30."}
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.isoformat(timespec="minutes")


def clean_timeline(value: Any) -> list[dict[str, str]]:
    """What happened when: ``[{"at": ISO 8601, "text": …}]``, kept in time order."""
    steps = _steps(value, "timeline")
    cleaned = []
    for position, step in enumerate(steps, start=1):
        unknown = set(step) - {"at", "text"}
        if unknown:
            raise ValidationError({"timeline": f"Step {position}: unknown {sorted(unknown)}."})
        at = _moment(step.get("at"), position)
        text = _text(step.get("text"), "timeline", position, "what happened", required=True)
        cleaned.append({"at": at, "text": text})
    return sorted(cleaned, key=lambda step: dt.datetime.fromisoformat(step["at"]))
