"""Process audits over the API: findings (list with filters, one, respond), the checks with
their last run, and running a check now.

Holders of ``audit.view_findings`` read every finding, an owner without it their own, anyone
else gets 403. Responding needs to be the owner or to hold ``audit.respond``; running a check
``audit.run_checks`` (auditors may: it writes findings, never the records it looks at)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.audit import actions, queries, runner
from watchkeeper.audit.checks import CHECKS, all_checks
from watchkeeper.audit.choices import ACTIVE_STATES, FindingState
from watchkeeper.audit.models import AuditRun, Finding
from watchkeeper.audit.permissions import AuditPermission
from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.requests.permissions import RequestPermission

router = Router(tags=["process audits"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut,
                          422: ErrorOut}  # fmt: skip
READ_ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
#: Everyone may call these; who sees which findings is decided per finding (``queries``).
ANYONE = RequestPermission.ORDER


class FindingOut(Schema):
    number: str
    check: str = Field(..., alias="check_key")
    state: FindingState
    record_type: str | None = Field(None, description='"app.model" of the record, e.g. '
                                    '"incidents.incident"')  # fmt: skip
    record_id: str = Field(..., alias="object_id")
    record: str = Field(..., alias="record_label")
    summary: str
    owner: str | None = Field(None, alias="owner.username")
    due_on: dt.date
    overdue: bool
    first_found_at: dt.datetime
    last_found_at: dt.datetime
    closed_at: dt.datetime | None
    response: str
    version: int

    @staticmethod
    def resolve_record_type(obj: Finding) -> str | None:
        ct = obj.content_type
        return f"{ct.app_label}.{ct.model}" if ct is not None else None

    @staticmethod
    def resolve_overdue(obj: Finding) -> bool:
        return obj.state in ACTIVE_STATES and obj.due_on < timezone.localdate()


class FindingFilters(Schema):
    check: str = Field("", max_length=64, description="A check's key")
    state: str = Field("active", max_length=16, description='A state, "active" or "all"')
    owner: str = Field("", max_length=150, description='"me", "none" or a username')
    overdue: bool = Field(False, description="Active findings past their due date only")


class RespondIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    action: Literal["remediate", "accept"]
    note: str = Field("", max_length=5000, description="What was done (to remediate)")
    reason: str = Field("", max_length=5000, description="Why the risk is accepted (to accept)")
    version: int | None = Field(None, description="The version you saw (409 if it changed)")


class RunOut(Schema):
    check: str = Field(..., alias="check_key")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    found: int
    opened: int
    closed: int
    error: str
    started_by: str | None = Field(None, alias="started_by.username")


class CheckOut(Schema):
    key: str
    title: str
    description: str
    process: str
    owner_rule: str
    manager_role: str
    cost: str
    open_findings: int
    last_run: RunOut | None


@router.get("/audit/findings", response={200: list[FindingOut], **READ_ERRORS},
            operation_id="list_audit_findings")  # fmt: skip
@requires(ANYONE)
@paginate(Pagination)
def list_audit_findings(request: HttpRequest, filters: Query[FindingFilters]) -> QuerySet[Finding]:
    """Findings, newest first; by default the active ones (open or remediated)."""
    user = caller(request)
    visible = queries.require_reader(user)
    wanted = queries.Filters(filters.check, filters.state, filters.owner.strip(), filters.overdue)
    return queries.apply_filters(visible, wanted, user)


@router.get("/audit/findings/{number}", response={200: FindingOut, **READ_ERRORS},
            operation_id="get_audit_finding")  # fmt: skip
@requires(ANYONE)
def get_audit_finding(request: HttpRequest, number: str) -> Finding:
    return queries.finding_for(caller(request), number)


@router.post(
    "/audit/findings/{number}/respond",
    response={200: FindingOut, **ERRORS},
    operation_id="respond_to_audit_finding",
    description="Marks an open finding remediated (with a note) or accepts the risk of an "
    "active one (with a reason): its owner, or a holder of audit.respond.",
)
@requires(ANYONE)
def respond_to_audit_finding(request: HttpRequest, number: str, payload: RespondIn) -> Finding:
    user = caller(request)
    finding = queries.finding_for(user, number)
    if payload.action == "accept":
        actions.accept_risk(finding, reason=payload.reason, acting_user=user, channel=Channel.API,
                            expected_version=payload.version)  # fmt: skip
    else:
        actions.remediate(finding, note=payload.note, acting_user=user, channel=Channel.API,
                          expected_version=payload.version)  # fmt: skip
    return queries.finding_for(user, number)


def _check_out(check: Any, runs: dict[str, AuditRun], counts: dict[str, dict[str, int]]) -> Any:
    by_state = counts.get(check.key, {})
    return {
        "key": check.key, "title": check.title, "description": check.description,
        "process": check.process, "owner_rule": check.owner_rule,
        "manager_role": check.manager_role, "cost": check.cost,
        "open_findings": sum(by_state.get(state, 0) for state in ACTIVE_STATES),
        "last_run": runs.get(check.key),
    }  # fmt: skip


@router.get("/audit/checks", response={200: list[CheckOut], **READ_ERRORS},
            operation_id="list_audit_checks")  # fmt: skip
@requires(AuditPermission.VIEW_FINDINGS)
def list_audit_checks(request: HttpRequest) -> list[Any]:
    """The library of checks, each with its last run and its active findings."""
    runs, counts = queries.last_runs(), queries.counts_by_check(Finding.objects.all())
    return [_check_out(check, runs, counts) for check in all_checks()]


@router.post(
    "/audit/checks/{key}/run",
    response={200: RunOut, **ERRORS},
    operation_id="run_audit_check",
    description="Runs one check now: opens, refreshes and resolves its findings. A check that "
    "fails answers 200 with its error in the run.",
)
@requires(AuditPermission.RUN_CHECKS)
def run_audit_check(request: HttpRequest, key: str) -> AuditRun:
    if key not in CHECKS:
        raise Http404(f"There is no check {key[:64]!r}.")
    return runner.run_check(key, started_by=caller(request), channel=Channel.API)
