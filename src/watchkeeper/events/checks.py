"""Active checks: Watchkeeper asks a URL or a port itself, on a schedule, and reports the answer
as an event of the check's source — ``ok``, a warning (slow, certificate expiring soon) or the
check's severity (down, wrong status, missing text, untrusted certificate). The events go through
the same de-duplication and rules as any tool's: a failing check is an alert, and an incident if
the source says so; the next good run clears it.

A run is claimed by moving its ``next_run_at`` forward in one UPDATE, so several workers never run
one check twice; the network call happens outside any transaction.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import Q
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.events.choices import Severity
from watchkeeper.events.ingest import Incoming, ingest
from watchkeeper.events.models import ActiveCheck, CheckKind

MAX_BODY = 1_000_000
USER_AGENT = "Watchkeeper-check/1"


@dataclass(frozen=True)
class Result:
    severity: str
    message: str
    latency_ms: int | None = None


def probe_tcp(check: ActiveCheck) -> Result:
    host, port = check.target.rsplit(":", 1)
    started = time.perf_counter()
    try:
        with socket.create_connection((host, int(port)), timeout=check.timeout_seconds):
            pass
    except OSError as error:
        return Result(check.severity, f"Cannot connect to {check.target}: {error}")
    latency = round((time.perf_counter() - started) * 1000)
    return _timed(check, Result(Severity.OK, f"{check.target} accepts connections", latency))


def probe_http(check: ActiveCheck) -> Result:
    if not check.target.startswith(("http://", "https://")):  # never file: or other schemes
        return Result(check.severity, f"{check.target} is not an http(s) URL")
    headers = {"User-Agent": USER_AGENT}
    request = urllib.request.Request(check.target, headers=headers)  # noqa: S310 (checked above)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=check.timeout_seconds) as answer:  # noqa: S310 (http or https, checked by the model)
            status, body = answer.status, answer.read(MAX_BODY)
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read(MAX_BODY) if error.fp else b""
    except (urllib.error.URLError, OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", error)
        return Result(check.severity, f"{check.target} does not answer: {reason}")
    latency = round((time.perf_counter() - started) * 1000)
    if status != check.expected_status:
        return Result(
            check.severity,
            f"{check.target} answered {status}, not {check.expected_status}",
            latency,
        )
    if check.expected_text and check.expected_text not in body.decode("utf-8", "replace"):
        return Result(check.severity, f"{check.target} lacks {check.expected_text!r}", latency)
    result = _timed(check, Result(Severity.OK, f"{check.target} answered {status}", latency))
    if result.severity == Severity.OK and check.target.startswith("https://"):
        return _certificate(check, result)
    return result


def _timed(check: ActiveCheck, result: Result) -> Result:
    limit = check.latency_warning_ms
    if limit and result.latency_ms is not None and result.latency_ms > limit:
        return Result(
            Severity.WARNING, f"{result.message}, slowly: {result.latency_ms} ms", result.latency_ms
        )
    return result


def certificate_expiry(host: str, port: int, timeout: float) -> dt.datetime:
    """When the (verified) certificate of ``host:port`` expires."""
    context = ssl.create_default_context()
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        not_after = tls.getpeercert()["notAfter"]  # type: ignore[index]
    return dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(str(not_after)), dt.UTC)


def _certificate(check: ActiveCheck, result: Result) -> Result:
    parts = urlsplit(check.target)
    try:
        expires = certificate_expiry(parts.hostname or "", parts.port or 443, check.timeout_seconds)
    except (OSError, ssl.SSLError, KeyError, ValueError) as error:
        return Result(check.severity, f"Cannot check the certificate of {parts.hostname}: {error}")
    days = (expires - timezone.now()).days
    if days < check.certificate_warning_days:
        message = f"{result.message}; its certificate expires in {days} days ({expires:%Y-%m-%d})"
        return Result(Severity.WARNING, message, result.latency_ms)
    return result


def run(check: ActiveCheck, now: dt.datetime | None = None) -> Result:
    """Probe once and report the result as an event; returns it."""
    now = now or timezone.now()
    result = probe_tcp(check) if check.kind == CheckKind.TCP else probe_http(check)
    host = (
        urlsplit(check.target).hostname
        if check.kind == CheckKind.HTTP
        else check.target.rsplit(":", 1)[0]
    )
    labels = {"check": check.name, "target": check.target}
    if result.latency_ms is not None:
        labels["latency_ms"] = str(result.latency_ms)
    event = Incoming(
        resource=host or check.target, check=f"{check.kind}:{check.name}", severity=result.severity,
        message=result.message, labels=labels, occurred_at=now,
        external_id=f"check:{check.pk}:{now.isoformat()}",
    )  # fmt: skip
    ingest(check.source, [event], channel=Channel.JOB)
    ActiveCheck.objects.filter(pk=check.pk).update(
        last_run_at=now, last_severity=result.severity, last_message=result.message[:2000]
    )
    return result


def run_due_checks(now: dt.datetime | None = None) -> int:
    """Run every active check whose time has come; returns how many ran here."""
    now = now or timezone.now()
    due = ActiveCheck.objects.filter(is_active=True).filter(
        Q(next_run_at__isnull=True) | Q(next_run_at__lte=now)
    )
    ran = 0
    for check in due.select_related("source"):
        following = now + dt.timedelta(minutes=check.interval_minutes)
        claimed = ActiveCheck.objects.filter(pk=check.pk, next_run_at=check.next_run_at).update(
            next_run_at=following
        )
        if claimed:
            run(check, now)
            ran += 1
    return ran
