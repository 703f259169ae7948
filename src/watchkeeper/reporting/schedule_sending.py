"""Sending report schedules: the message (the report as PDF and/or CSV attachments), "send now",
and the job ``send_due_reports`` that claims each due schedule with a conditional update (so two
workers never both send it) and gives a failed send back for the next run (see ``schedules``)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from watchkeeper.core.choices import Channel
from watchkeeper.core.history import record_change
from watchkeeper.reporting.choices import ReportFormat
from watchkeeper.reporting.facts import refresh_facts
from watchkeeper.reporting.filters import Filters
from watchkeeper.reporting.models import ReportSchedule
from watchkeeper.reporting.report_csv import (
    IncidentReport,
    filter_words,
    incident_report,
    to_csv,
)
from watchkeeper.reporting.report_pdf import to_pdf
from watchkeeper.reporting.schedules import (
    FILTER_KEYS,
    HEADLINES,
    next_run,
    period_label,
    report_period,
    require_editor,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What one send did: the period's label and the addresses it went to (none: not sent)."""

    period: str
    addresses: list[str]


def schedule_filters(schedule: ReportSchedule, start: dt.date, end: dt.date) -> Filters:
    stored = {key: value for key, value in (schedule.filters or {}).items() if key in FILTER_KEYS}
    return Filters(start=start, end=end, **stored)


def _addresses(schedule: ReportSchedule) -> list[str]:
    """The active recipients' e-mail addresses (those without one are left out)."""
    people = schedule.recipients.filter(is_active=True).exclude(email="").order_by("username")
    return list(dict.fromkeys(people.values_list("email", flat=True)))


def _body(schedule: ReportSchedule, report: IncidentReport, period: str) -> str:
    formats = ", ".join(item.upper() for item in schedule.formats)
    lines = [f'The incident report "{schedule.name}" for {period} is attached ({formats}).', ""]
    lines += [f"{name}: {value}" for name, value in filter_words(report)]
    lines.append("")
    shown = [kpi for kpi in report.dashboard.kpis if kpi.key in HEADLINES]
    lines += [f"{kpi.label}: {kpi.display}" for kpi in shown]
    lines += ["", f"{schedule.owner} sends this report {schedule.get_frequency_display().lower()}"
              f" to its recipients; schedules: {settings.BASE_URL}/reports/schedules/"]  # fmt: skip
    return "\n".join(lines) + "\n"


def build_message(
    schedule: ReportSchedule, now: dt.datetime, addresses: list[str], *, refresh: bool = True
) -> tuple[EmailMessage, str]:
    """The e-mail of the period that ended last before ``now``, with one attachment per
    format, and the period's label."""
    start, end = report_period(schedule.frequency, now)
    period = period_label(schedule.frequency, start, end)
    report = incident_report(schedule_filters(schedule, start, end), now=now, refresh=refresh)
    message = EmailMessage(
        subject=f"Report: {schedule.name} ({period})",
        body=_body(schedule, report, period),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=addresses,
    )
    stem = f"{slugify(schedule.name) or 'report'}-{start.isoformat()}"
    if ReportFormat.PDF in schedule.formats:
        message.attach(f"{stem}.pdf", to_pdf(report), "application/pdf")
    if ReportFormat.CSV in schedule.formats:
        message.attach(f"{stem}.csv", to_csv(report), "text/csv")
    return message, period


def send_now(
    schedule: ReportSchedule,
    *,
    acting_user: Any,
    channel: str = Channel.WEB,
    now: dt.datetime | None = None,
) -> Delivery:
    """Send the schedule's report of the period that just ended to all its recipients now
    (the owner's check before the first run); the next run stays as it is."""
    require_editor(acting_user, schedule)
    now = now or timezone.now()
    addresses = _addresses(schedule)
    if not addresses:
        raise ValidationError({"recipients": "None of the recipients has an e-mail address."})
    message, period = build_message(schedule, now, addresses)
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        raise ValidationError(f"The mail server did not take the e-mail: {error}") from error
    with transaction.atomic():
        current = ReportSchedule.objects.select_for_update().get(pk=schedule.pk)
        changes = {"last_sent_at": (current.last_sent_at, now), "period": (None, period)}
        current.last_sent_at = now
        current.save(update_fields=["last_sent_at"])
        record_change(
            current, action="report_sent", actor=acting_user, channel=channel, changes=changes
        )
    return Delivery(period, addresses)


def send_due_reports(now: dt.datetime | None = None) -> int:
    """Send every active schedule whose run has come; returns how many reports went out."""

    now = now or timezone.now()
    due = ReportSchedule.objects.filter(is_active=True, next_run_at__lte=now)
    fields = ("pk", "frequency", "next_run_at", "last_sent_at")
    runs = [Run(*row) for row in due.order_by("next_run_at", "pk").values_list(*fields)]
    if runs:
        refresh_facts()
    sent = 0
    for run in runs:
        schedule = ReportSchedule.objects.filter(pk=run.pk).first()
        if schedule is None:
            continue  # deleted since
        addresses = _addresses(schedule)
        if _claim(run, now, sending=bool(addresses)) and addresses:
            sent += _deliver(schedule, run, now, addresses)
    return sent


@dataclass(frozen=True)
class Run:
    """A due run as read before claiming it."""

    pk: int
    frequency: str
    planned: dt.datetime
    last_sent_at: dt.datetime | None


def _claim(run: Run, now: dt.datetime, *, sending: bool) -> bool:
    """Move the run on, only if nobody did since it was read: the one worker whose update
    changed the row sends the report. The history says it was sent (or skipped: nobody in
    the recipients has an e-mail address)."""
    following = next_run(run.frequency, now)
    start, end = report_period(run.frequency, now)
    changes: dict[str, Any] = {
        "next_run_at": (run.planned, following),
        "period": (None, period_label(run.frequency, start, end)),
    }
    values: dict[str, Any] = {"next_run_at": following}
    if sending:
        values["last_sent_at"] = now
        changes["last_sent_at"] = (run.last_sent_at, now)
    with transaction.atomic():
        rows = ReportSchedule.objects.filter(
            pk=run.pk, is_active=True, next_run_at=run.planned, frequency=run.frequency
        )
        if not rows.update(**values):
            return False
        action = "report_sent" if sending else "report_skipped"
        schedule = ReportSchedule.objects.get(pk=run.pk)
        record_change(schedule, action=action, channel=Channel.JOB, changes=changes)
    if not sending:
        logger.warning("Report schedule %s: no recipient has an e-mail address.", run.pk)
    return True


def _deliver(schedule: ReportSchedule, run: Run, now: dt.datetime, addresses: list[str]) -> int:
    """Build and send the claimed schedule's report (1 sent, 0 not); on failure give the run
    back (retried at the job's next run) and record why."""
    try:
        message, _period = build_message(schedule, now, addresses, refresh=False)
        message.send()
    except Exception as error:  # any failure gives the run back
        logger.exception("Report schedule %r could not be sent.", schedule.name)
        _give_back(schedule, run, now, error)
        return 0
    return 1


def _give_back(schedule: ReportSchedule, run: Run, now: dt.datetime, error: Exception) -> None:
    with transaction.atomic():
        current = ReportSchedule.objects.select_for_update().get(pk=schedule.pk)
        if current.last_sent_at != now:
            return  # changed since the claim (sent by hand): leave it
        changes = {
            "next_run_at": (current.next_run_at, run.planned),
            "last_sent_at": (now, run.last_sent_at),
            "error": (None, str(error)[:500]),
        }
        current.next_run_at, current.last_sent_at = run.planned, run.last_sent_at
        current.save(update_fields=["next_run_at", "last_sent_at"])
        record_change(current, action="report_failed", channel=Channel.JOB, changes=changes)
