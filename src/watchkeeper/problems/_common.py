"""What every problem action shares: who may do what, locking, saving with history, indexing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from watchkeeper.core import search
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import diff
from watchkeeper.core.records import lock_current, save_versioned
from watchkeeper.problems.choices import ProblemState
from watchkeeper.problems.models import Problem
from watchkeeper.problems.permissions import ProblemPermission


def require_work(user: Any) -> None:
    require_permission(user, ProblemPermission.WORK)


def require_manage(user: Any) -> None:
    require_permission(user, ProblemPermission.MANAGE)


def visible_problems(user: Any) -> models.QuerySet[Problem]:
    """Problems are the staff's: everyone with ``problems.view`` reads all, others none."""
    if user is None or not user.is_authenticated or not user.has_perm(ProblemPermission.VIEW):
        return Problem.objects.none()
    return Problem.objects.all()


@contextmanager
def changing(problem: Problem, expected_version: int | None) -> Iterator[Problem]:
    """A transaction holding the problem's row, re-read; refuses a stale ``expected_version``."""
    with transaction.atomic():
        yield lock_current(problem, expected_version)


def refuse_closed(problem: Problem) -> None:
    """A closed problem is final: nothing about it changes any more."""
    if problem.state == ProblemState.CLOSED:
        raise ValidationError({"state": f"{problem.number} is closed."})


def apply(
    current: Problem,
    values: Mapping[str, Any],
    *,
    action: str,
    acting_user: Any,
    channel: str,
    notes: Mapping[str, tuple[Any, Any]] | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Set ``values`` on the locked ``current`` and save a new version with its history entry."""
    changes = diff(current, values)
    for name, value in values.items():
        setattr(current, name, value)
    save_versioned(
        current, changes, action=action, acting_user=acting_user, channel=channel, notes=notes
    )
    return changes


def reindex(problem: Problem) -> None:
    """Number, descriptions and the analysis' texts: what people search a problem by."""
    parts = [
        problem.number,
        problem.short_description,
        problem.description,
        problem.root_cause,
        problem.workaround,
        problem.fix,
        problem.fix_reference,
    ]
    search.index(problem, "\n".join(part for part in parts if part))


def sync(target: models.Model, source: models.Model) -> None:
    """Copy the saved state of ``source`` (the locked row) onto the caller's object."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
