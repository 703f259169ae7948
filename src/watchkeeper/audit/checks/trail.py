"""The audit trail check: every record whose hash-chained history was altered, by the same
verification as ``watchkeeper audit verify`` (``core.history.verify_history``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db import models

from watchkeeper.accounts.choices import Role
from watchkeeper.audit.checks import Deviation, register
from watchkeeper.core.history import ChainProblem, verify_history

BATCH = 900


def _numbers(model: type[models.Model], ids: list[str]) -> dict[str, str]:
    """The numbers of the records of ``model`` among ``ids`` (ItsmRecords), a batch a query."""
    if not getattr(model, "NUMBER_PREFIX", ""):
        return {}
    found: dict[str, str] = {}
    valid = [pk for pk in ids if pk.isdigit()]
    for start in range(0, len(valid), BATCH):
        rows = model._default_manager.filter(pk__in=valid[start : start + BATCH])
        found.update({str(pk): number for pk, number in rows.values_list("pk", "number")})
    return found


def _by_model(problems: list[ChainProblem]) -> dict[str, list[tuple[str, ChainProblem]]]:
    grouped: dict[str, list[tuple[str, ChainProblem]]] = defaultdict(list)
    for problem in problems:
        kind, _, object_id = problem.record.partition(":")
        grouped[kind].append((object_id, problem))
    return grouped


@register(
    "trail.history_chain_broken",
    title="History chain broken",
    description="A record whose history no longer verifies: an entry altered, one missing from "
    "the middle or the end, all deleted, or the record deleted without its entry "
    "(the verification of watchkeeper audit verify). One finding per record.",
    process="trail",
    owner_rule="an administrator",
    manager_role=Role.ADMINISTRATOR,
    cost="Reads and re-hashes the whole history (every entry of every record): the most "
    "expensive check, about a minute per million entries.",
)
def history_chain_broken(now: dt.datetime) -> list[Deviation]:
    deviations = []
    for kind, problems in _by_model(verify_history()).items():
        app_label, _, model_name = kind.partition(".")
        try:
            model = ContentType.objects.get_by_natural_key(app_label, model_name).model_class()
        except ContentType.DoesNotExist:
            model = None
        if model is None:
            continue  # a model removed since: nothing to link a finding to
        numbers = _numbers(model, [object_id for object_id, _ in problems])
        for object_id, problem in problems:
            number = numbers.get(object_id)
            label = f"{number} ({problem.record})" if number else problem.record
            summary = f"The history of {label} was altered: {problem.reason}."
            deviations.append(Deviation(model, object_id, label[:200], summary))
    return deviations
