"""Every write to problems. Views, the API and the recurring-incident analysis call only these.

Opening, editing and the known-error mark live here; the state machine in ``lifecycle``,
incident links in ``links``, problem tasks in ``problem_tasks`` (all re-exported below).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import diff, record_change
from watchkeeper.core.numbering import next_number
from watchkeeper.core.records import save_versioned
from watchkeeper.incidents.priority import priority_for
from watchkeeper.problems import notifications
from watchkeeper.problems._common import (
    apply,
    changing,
    refuse_closed,
    reindex,
    require_work,
    sync,
)
from watchkeeper.problems.fields import (
    check_assignment,
    check_classification,
    clean_five_whys,
    clean_timeline,
)
from watchkeeper.problems.lifecycle import (
    close_problem,
    move_problem,
    reopen_problem,
    resolve_problem,
)
from watchkeeper.problems.links import attach, check_free, link_incident, unlink_incident
from watchkeeper.problems.models import Problem
from watchkeeper.problems.problem_tasks import (
    assign_task,
    cancel_task,
    complete_task,
    create_task,
    start_task,
)

__all__ = [
    "assign_task",
    "cancel_task",
    "close_problem",
    "complete_task",
    "create_problem",
    "create_task",
    "link_incident",
    "mark_known_error",
    "move_problem",
    "reopen_problem",
    "resolve_problem",
    "start_task",
    "unlink_incident",
    "update_problem",
]

#: Fields ``update_problem`` changes; ``configuration_items`` is the many-to-many set.
EDITABLE = {
    "short_description", "description", "impact", "urgency", "category", "service",
    "assignment_group", "assignee", "root_cause", "workaround", "fix", "fix_reference",
    "five_whys", "timeline", "configuration_items",
}  # fmt: skip
#: What a known error cannot lose: its article tells agents both.
KNOWN_ERROR_NEEDS = ("root_cause", "workaround")


def create_problem(
    *,
    acting_user: Any,
    short_description: str,
    description: str = "",
    incidents: Iterable[Any] = (),
    service: Any = None,
    configuration_items: Iterable[Any] = (),
    category: Any = None,
    assignment_group: Any = None,
    assignee: Any = None,
    impact: int = 3,
    urgency: int = 3,
    channel: str = Channel.WEB,
) -> Problem:
    """Open a problem (PRB…), priority from impact x urgency, with the incidents it causes.

    Without a service or items given, the incidents' service and configuration items become
    the problem's affected ones. An incident linked to another problem is refused (400).
    """
    require_work(acting_user)
    incidents = list(dict.fromkeys(incidents))
    check_free(incidents)
    items = list(dict.fromkeys(configuration_items)) or _incident_items(incidents)
    if service is None:
        service = _incident_service(incidents)
    problem = Problem(
        short_description=(short_description or "").strip(),
        description=(description or "").strip(),
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        category=category,
        service=service,
        assignment_group=assignment_group,
        assignee=assignee,
        opened_by=acting_user,
    )
    check_classification(problem)
    check_assignment(problem)
    problem.full_clean(exclude=["number", "opened_by", "category", "service", "assignee"])
    with transaction.atomic():
        problem.number = next_number(Problem.NUMBER_PREFIX)
        problem.save()
        if items:
            problem.configuration_items.set(items)
        attach(problem, incidents, acting_user=acting_user, channel=channel)
        changes = {
            name: (None, getattr(problem, name))
            for name in ("short_description", "state", "impact", "urgency", "priority")
        }
        for name, value in (("service", service), ("category", category)):
            if value is not None:
                changes[name] = (None, value)
        changes.update(_set_notes("configuration_items", [], items))
        changes.update(_set_notes("incidents", [], [i.number for i in incidents]))
        record_change(
            problem, action="created", actor=acting_user, channel=channel, changes=changes
        )
        reindex(problem)
        notifications.assigned(problem, to_group=True, to_assignee=True, actor=acting_user)
    return problem


def _incident_items(incidents: list[Any]) -> list[Any]:
    return list(
        dict.fromkeys(i.configuration_item for i in incidents if i.configuration_item is not None)
    )


def _incident_service(incidents: list[Any]) -> Any:
    """The incidents' service when they share one (a problem has one affected service)."""
    services = {i.service for i in incidents if i.service is not None}
    return services.pop() if len(services) == 1 else None


def _set_notes(field: str, old: list[Any], new: list[Any]) -> dict[str, tuple[Any, Any]]:
    names_old, names_new = sorted(map(str, old)), sorted(map(str, new))
    return {field: (names_old, names_new)} if names_old != names_new else {}


def update_problem(
    problem: Problem,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
    **values: Any,
) -> Problem:
    """Change fields and the analysis; impact or urgency recompute the priority. A known
    error's new workaround is published again (a new version of its article)."""
    require_work(acting_user)
    unknown = set(values) - EDITABLE
    if unknown:
        raise ValidationError({field: "This field cannot be changed here." for field in unknown})
    values = _cleaned(values)
    items = values.pop("configuration_items", None)
    with changing(problem, expected_version) as current:
        refuse_closed(current)
        impact = values.get("impact", current.impact)
        urgency = values.get("urgency", current.urgency)
        if (impact, urgency) != (current.impact, current.urgency):
            values["priority"] = priority_for(impact, urgency)
        if current.known_error:
            _keep_known_error_texts(values)
        notes = _replace_items(current, items)
        changes = diff(current, values)
        for name, value in values.items():
            setattr(current, name, value)
        check_classification(current)
        check_assignment(current)
        current.full_clean(exclude=["number", "opened_by", "article", "duplicate_of"])
        if changes or notes:
            save_versioned(
                current,
                changes,
                action="updated",
                acting_user=acting_user,
                channel=channel,
                notes=notes,
            )
        if current.known_error and "workaround" in changes:
            _publish(current, acting_user, channel)
        reindex(current)
        notifications.assigned(
            current, to_group="assignment_group" in changes, to_assignee="assignee" in changes,
            actor=acting_user,
        )  # fmt: skip
    sync(problem, current)
    return problem


def _cleaned(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    for name in ("short_description", "description", "root_cause", "workaround", "fix"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if "fix_reference" in values:
        values["fix_reference"] = (values["fix_reference"] or "").strip()
    if "five_whys" in values:
        values["five_whys"] = clean_five_whys(values["five_whys"])
    if "timeline" in values:
        values["timeline"] = clean_timeline(values["timeline"])
    return values


def _keep_known_error_texts(values: dict[str, Any]) -> None:
    for name in KNOWN_ERROR_NEEDS:
        if name in values and not values[name]:
            raise ValidationError({name: "A known error keeps its root cause and workaround."})


def _replace_items(current: Problem, items: Iterable[Any] | None) -> dict[str, tuple[Any, Any]]:
    if items is None:
        return {}
    items = list(dict.fromkeys(items))
    old = list(current.configuration_items.all())
    current.configuration_items.set(items)
    return _set_notes("configuration_items", old, items)


def mark_known_error(
    problem: Problem,
    acting_user: Any,
    *,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Problem:
    """Mark a problem with a root cause and a workaround a known error and publish it to the
    agents as a knowledge article (``knowledge.known_errors``)."""
    require_work(acting_user)
    with changing(problem, expected_version) as current:
        refuse_closed(current)
        missing = [name for name in KNOWN_ERROR_NEEDS if not getattr(current, name).strip()]
        if missing:
            raise ValidationError(
                {name: "Record it before marking a known error." for name in missing}
            )
        if current.known_error:
            raise ValidationError({"known_error": f"{current.number} is a known error already."})
        values = {"known_error": True, "known_error_at": timezone.now()}
        apply(
            current, values, action="marked_known_error", acting_user=acting_user, channel=channel
        )
        _publish(current, acting_user, channel)
    sync(problem, current)
    return problem


def _publish(current: Problem, acting_user: Any, channel: str) -> None:
    """Write the known-error article (or its new version) and keep it on the problem."""
    from watchkeeper.knowledge.known_errors import publish_for_problem

    article = publish_for_problem(current, acting_user)
    if current.article_id != article.pk:
        apply(
            current,
            {"article": article},
            action="known_error_published",
            acting_user=acting_user,
            channel=channel,
        )
