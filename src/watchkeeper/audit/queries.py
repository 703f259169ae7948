"""Reading findings: who sees which (``restrict``), the list's filters, the counts per check,
and where a finding's record is shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.audit.checks import CHECKS, all_checks
from watchkeeper.audit.choices import ACTIVE_STATES, FindingState
from watchkeeper.audit.models import AuditRun, Finding
from watchkeeper.audit.permissions import AuditPermission

#: The state filter's extra values: every active state, or every state.
ACTIVE, ALL = "active", "all"


def reads_all(user: Any) -> bool:
    return bool(user is not None and user.has_perm(AuditPermission.VIEW_FINDINGS))


def restrict(user: Any) -> QuerySet[Finding]:
    """Holders of ``audit.view_findings`` see every finding; anyone else their own."""
    findings = Finding.objects.select_related("owner", "content_type")
    if user is None or not user.is_authenticated:
        return findings.none()
    return findings if reads_all(user) else findings.filter(owner=user)


def require_reader(user: Any) -> QuerySet[Finding]:
    """The findings ``user`` sees; refused (403) to someone who neither reads nor owns any."""
    visible = restrict(user)
    if not reads_all(user) and not visible.exists():
        raise PermissionDenied("Your role does not give you access to process audit findings.")
    return visible


def finding_for(user: Any, number: str) -> Finding:
    """One finding by number: 403 to someone who may not read it, 404 when there is none."""
    found = restrict(user).filter(number=number.upper()[:16]).first()
    if found is None:
        require_reader(user)
        raise Http404(f"No finding {number}.")
    return found


@dataclass(frozen=True)
class Filters:
    check: str = ""
    state: str = ACTIVE
    owner: str = ""
    overdue: bool = False


def apply_filters(findings: QuerySet[Finding], filters: Filters, user: Any) -> QuerySet[Finding]:
    """``check`` a key; ``state`` a state, "active" or "all"; ``owner`` "me", "none" or a
    username; ``overdue`` active and past the due date. Unknown values are refused (400)."""
    if filters.check:
        if filters.check not in CHECKS:
            raise ValidationError({"check": f"There is no check {filters.check!r}."})
        findings = findings.filter(check_key=filters.check)
    findings = _by_state(findings, filters.state)
    if filters.owner == "me":
        findings = findings.filter(owner=user)
    elif filters.owner == "none":
        findings = findings.filter(owner__isnull=True)
    elif filters.owner:
        owner = User.objects.filter(username=filters.owner).first()
        if owner is None:
            raise ValidationError({"owner": f"There is no user {filters.owner!r}."})
        findings = findings.filter(owner=owner)
    if filters.overdue:
        findings = overdue(findings)
    return findings.order_by("-first_found_at", "-pk")


def _by_state(findings: QuerySet[Finding], state: str) -> QuerySet[Finding]:
    if state in ("", ACTIVE):
        return findings.filter(state__in=ACTIVE_STATES)
    if state == ALL:
        return findings
    if state not in FindingState.values:
        choices = ", ".join([ACTIVE, ALL, *FindingState.values])
        raise ValidationError({"state": f"State must be one of: {choices}."})
    return findings.filter(state=state)


def overdue(findings: QuerySet[Finding], today: dt.date | None = None) -> QuerySet[Finding]:
    today = today or timezone.localdate()
    return findings.filter(state__in=ACTIVE_STATES, due_on__lt=today)


@dataclass(frozen=True)
class CheckRow:
    """A check with its last run and its findings counted by state (the checks page)."""

    check: Any
    last_run: AuditRun | None
    counts: dict[str, int]

    @property
    def active(self) -> int:
        return sum(self.counts.get(state, 0) for state in ACTIVE_STATES)


def counts_by_check(findings: QuerySet[Finding]) -> dict[str, dict[str, int]]:
    rows = findings.order_by().values("check_key", "state").annotate(n=Count("pk"))
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["check_key"], {})[row["state"]] = row["n"]
    return counts


def last_runs() -> dict[str, AuditRun]:
    """The latest run of each check (one query per check, through the (check, started) index)."""
    runs = {}
    for check in all_checks():
        run = AuditRun.objects.filter(check_key=check.key).order_by("-started_at", "-pk").first()
        if run is not None:
            runs[check.key] = run
    return runs


def check_rows(findings: QuerySet[Finding]) -> list[CheckRow]:
    counts, runs = counts_by_check(findings), last_runs()
    return [
        CheckRow(check, runs.get(check.key), counts.get(check.key, {})) for check in all_checks()
    ]


def _reverse(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


RECORD_PAGES: dict[str, Callable[[Any], str | None]] = {
    "incidents.incident": lambda obj: _reverse("incidents:record", obj.number),
    "requests.servicerequest": lambda obj: _reverse("requests:portal_request", obj.number),
    "access.entitlement": lambda obj: _reverse("access:entitlement", obj.number),
    "access.accessreview": lambda obj: _reverse("access:review", obj.number),
    "cmdb.configurationitem": lambda obj: _reverse("cmdb:detail", obj.number),
    "cmdb.backuprun": lambda obj: _reverse("cmdb:detail", obj.job.number),
}


def record_of(finding: Finding) -> Any:
    """The record the finding is about, or None (no record, or deleted since)."""
    if finding.content_type is None:
        return None
    model = finding.content_type.model_class()
    if model is None:
        return None
    return model._default_manager.filter(pk=finding.object_id).first()


def record_url(finding: Finding, record: Any) -> str | None:
    """The record's own page, when there is one."""
    if record is None or finding.content_type is None:
        return None
    page = RECORD_PAGES.get(f"{finding.content_type.app_label}.{finding.content_type.model}")
    return page(record) if page is not None else None


def trail_url(finding: Finding) -> str | None:
    """The record's history in the audit trail browser."""
    if finding.content_type is None:
        return None
    query = f"?type={finding.content_type_id}&record={finding.object_id}"
    return reverse("audit:trail") + query
