"""Turning a failed or missed backup into work for the team that supports what it protects.

One job has at most one open incident at a time: a further failure becomes a work note on it
rather than a second ticket, and the first success after a failure says so in a note (the
incident stays open: a person decides whether the cause is understood and resolves it).
"""

from __future__ import annotations

from typing import Any

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.backups.common import fmt_time, label, protected_by
from watchkeeper.cmdb.choices import BackupResult, Criticality
from watchkeeper.cmdb.models import BackupRun, ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.actions import add_work_note, create_system_incident
from watchkeeper.incidents.choices import OPEN_STATES, Impact, Urgency
from watchkeeper.incidents.models import Incident

#: Impact and urgency (hence priority, by the matrix) of an incident about a broken backup.
#: Nothing is down yet, so urgency stays below "high"; the protected item's criticality is the
#: impact a lost backup would have when it is needed.
PRIORITY_BY_CRITICALITY: dict[str, tuple[int, int]] = {
    Criticality.CRITICAL: (Impact.HIGH, Urgency.MEDIUM),  # priority 2 - high
    Criticality.HIGH: (Impact.MEDIUM, Urgency.MEDIUM),  # 3 - moderate
    Criticality.MEDIUM: (Impact.MEDIUM, Urgency.LOW),  # 4 - low
    Criticality.LOW: (Impact.LOW, Urgency.LOW),  # 5 - planning
}
SHORT_MAX = 160


def open_incident_of(job: ConfigurationItem) -> Incident | None:
    """The job's incident that is still being worked (new, in progress or on hold), if any."""
    run = (
        BackupRun.objects.filter(job=job, incident__state__in=OPEN_STATES)
        .select_related("incident")
        .order_by("-finished_at", "-pk")
        .first()
    )
    return run.incident if run is not None else None


def system_note(incident: Incident, body: str) -> None:
    """A work note written by the system (signed by the system account)."""
    add_work_note(incident, body=body, acting_user=None, channel=Channel.JOB)


def _group(protected: list[ConfigurationItem], job: ConfigurationItem) -> SupportGroup | None:
    """The leading protected item's support group, else the job's; inactive groups are skipped
    (an incident cannot be assigned to one, and the backup result must still be recorded)."""
    for ci in (*protected[:1], job):
        group = ci.support_group
        if group is not None and group.is_active:
            return group
    return None


def _short_description(run: BackupRun, protected: list[ConfigurationItem]) -> str:
    what = "missed" if run.result == BackupResult.MISSED else "failed"
    names = protected[0].name if protected else ""
    if len(protected) > 1:
        names += f" and {len(protected) - 1} more"
    text = f"Backup {what}: {run.job.name}" + (f" ({names})" if names else "")
    return text if len(text) <= SHORT_MAX else text[: SHORT_MAX - 1] + "…"


def _description(run: BackupRun, protected: list[ConfigurationItem]) -> str:
    job = run.job
    if run.result == BackupResult.MISSED:
        lines = [f"The backup job {label(job)} reported no result for its run due at "]
        lines[0] += f"{fmt_time(run.finished_at)}."
    else:
        lines = [f"The backup job {label(job)} failed at {fmt_time(run.finished_at)}."]
    if run.message:
        lines += [
            "",
            "Message from the job:",
            "",
            _quoted(run.message),
        ]
    lines += ["", "It protects:" if protected else "It protects no recorded item."]
    lines += [f"- {label(ci)} ({_kind(ci)})" for ci in protected]
    lines += ["", "Further failures of this job are added here as work notes while it is open."]
    return "\n".join(lines)


def _kind(ci: ConfigurationItem) -> str:
    return (
        f"{ci.get_ci_class_display().lower()}, {ci.get_criticality_display().lower()} criticality"
    )


def raise_incident(run: BackupRun, *, caller: Any, channel: str) -> Incident:
    """Open an incident for a failed or missed ``run``, or add a note to the job's open one.

    Runs inside the caller's transaction, with the job's row locked, so concurrent failures of
    one job never open two incidents."""
    existing = open_incident_of(run.job)
    if existing is not None:
        system_note(existing, _again_note(run))
        incident = existing
    else:
        incident = _open(run, caller=caller, channel=channel)
    run.incident = incident
    run.save(update_fields=["incident"])
    return incident


def _open(run: BackupRun, *, caller: Any, channel: str) -> Incident:
    protected = protected_by(run.job)
    lead = protected[0] if protected else run.job
    impact, urgency = PRIORITY_BY_CRITICALITY.get(lead.criticality, (Impact.LOW, Urgency.LOW))
    incident = create_system_incident(
        caller=caller if isinstance(caller, User) else None,
        short_description=_short_description(run, protected),
        description=_description(run, protected),
        channel=channel,
        configuration_item=lead,
        assignment_group=_group(protected, run.job),
        impact=impact,
        urgency=urgency,
    )
    return incident


def _again_note(run: BackupRun) -> str:
    if run.result == BackupResult.MISSED:
        return f"Backup missed again: no result for the run due at {fmt_time(run.finished_at)}."
    note = f"Backup failed again at {fmt_time(run.finished_at)}."
    return f"{note}\n\n{_quoted(run.message)}" if run.message else note


def _quoted(message: str) -> str:
    """The job's message as a Markdown quote (its first 2,000 characters)."""
    return "\n".join(f"> {line}" for line in message[:2000].splitlines())


def note_recovery(run: BackupRun) -> Incident | None:
    """After a failure, the first success is noted on the job's open incident (not resolved)."""
    previous = (
        BackupRun.objects.filter(job=run.job, finished_at__lt=run.finished_at)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if previous is None or previous.result == BackupResult.SUCCESS:
        return None
    incident = open_incident_of(run.job)
    if incident is not None:
        body = (
            f"Backup succeeded again at {fmt_time(run.finished_at)}. The incident stays open: "
            "resolve it once the cause of the failure is understood."
        )
        system_note(incident, body)
    return incident
