"""From alert to action: link the CI named by the resource, open an incident for the source's
chosen severities (priority from severity, assigned to the CI's support group), and resolve it
when the alert clears. A key that fires again while its earlier incident is still open adds to
that incident instead of opening another; alerts in a maintenance window and flapping ones open
none."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.events.choices import SEVERITY_RANK, Severity
from watchkeeper.events.maintenance import in_maintenance
from watchkeeper.events.models import Alert
from watchkeeper.incidents.actions import add_work_note, create_system_incident, resolve
from watchkeeper.incidents.choices import OPEN_STATES, Impact, ResolutionCode, Urgency
from watchkeeper.incidents.models import Incident

#: Impact and urgency (so priority, by the matrix) of an incident opened for a severity.
PRIORITY_BY_SEVERITY: dict[str, tuple[int, int]] = {
    Severity.CRITICAL: (Impact.HIGH, Urgency.HIGH),
    Severity.MAJOR: (Impact.HIGH, Urgency.MEDIUM),
    Severity.MINOR: (Impact.MEDIUM, Urgency.MEDIUM),
    Severity.WARNING: (Impact.MEDIUM, Urgency.LOW),
    Severity.INFO: (Impact.LOW, Urgency.LOW),
}
SHORT_MAX = 160


def find_ci(resource: str) -> ConfigurationItem | None:
    """The item a resource names: by host name (also "host:port"), else by name."""
    name = resource.strip()
    if not name:
        return None
    host = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    items = ConfigurationItem.objects.active()
    match = Q(hostname=host.lower()) | Q(name__iexact=host) | Q(name__iexact=name)
    return items.filter(match).order_by("pk").first()


def act(alert: Alert, change: str, channel: str = Channel.EVENT) -> None:
    """``change`` is "opened", "severity" (it changed) or "cleared". In a maintenance window an
    alert opens no incident; a flapping one opens no new incident and resolves none."""
    if change == "cleared":
        if not alert.flapping:
            _resolve(alert, channel)
        return
    if alert.incident_id is not None or alert.severity not in alert.source.incident_severities:
        return
    if in_maintenance(alert.configuration_item_id, alert.labels, timezone.now()):
        if not alert.in_maintenance:
            alert.in_maintenance = True
            alert.save(update_fields=["in_maintenance"])
        return
    parent = alert.parent
    if parent is not None and parent.incident_id is not None:
        _join(alert, parent, channel)
        return
    _open_incident(alert, channel)


def _join(alert: Alert, parent: Alert, channel: str) -> None:
    """A child alert joins the incident of the alert that explains it."""
    note = (
        f"Alert {alert.number} ({alert.severity}, {alert.resource}: {alert.check_name}) is "
        f"explained by {parent.number} ({parent.resource}: {parent.check_name})."
    )
    incident = parent.incident
    assert incident is not None
    if incident.state in OPEN_STATES:
        add_work_note(incident, body=note, acting_user=None, channel=channel)
    alert.incident = incident
    alert.save(update_fields=["incident"])


def _open_incident(alert: Alert, channel: str) -> None:
    earlier = (
        Incident.objects.filter(alerts__source=alert.source, alerts__key=alert.key)
        .filter(state__in=OPEN_STATES)
        .order_by("-pk")
        .first()
    )
    if earlier is not None:
        note = f"Alert {alert.number} fired again: {alert.severity}, {alert.message[:500]}"
        add_work_note(earlier, body=note, acting_user=None, channel=channel)
        incident = earlier
    elif alert.flapping:
        return  # it comes and goes: the console shows it; a person decides
    else:
        incident = create_system_incident(
            short_description=_short(alert),
            description=_description(alert),
            channel=channel,
            configuration_item=alert.configuration_item,
            assignment_group=_group(alert),
            impact=PRIORITY_BY_SEVERITY[alert.severity][0],
            urgency=PRIORITY_BY_SEVERITY[alert.severity][1],
        )
    alert.incident = incident
    alert.save(update_fields=["incident"])


def _resolve(alert: Alert, channel: str) -> None:
    incident = alert.incident
    if incident is None or not alert.source.resolve_incidents:
        return
    incident.refresh_from_db()
    if incident.state not in OPEN_STATES:
        return
    still_firing = incident.alerts.filter(status__in=("open", "acknowledged", "shelved"))
    if still_firing.exclude(pk=alert.pk).exists():
        return  # another alert of this incident still fires
    notes = (
        f"Alert {alert.number} cleared at {alert.closed_at:%Y-%m-%d %H:%M} UTC ({alert.source})."
    )
    resolve(
        incident,
        code=ResolutionCode.SOLVED_REMOTELY_PERMANENTLY,
        notes=notes,
        acting_user=None,
        channel=channel,
    )


def _group(alert: Alert) -> object:
    ci = alert.configuration_item
    if ci is not None and ci.support_group is not None and ci.support_group.is_active:
        return ci.support_group
    return alert.source.default_group


def _short(alert: Alert) -> str:
    text = f"[{alert.severity}] {alert.resource}: {alert.check_name}"
    if alert.message:
        text += f" — {alert.message}"
    return text if len(text) <= SHORT_MAX else text[: SHORT_MAX - 1] + "…"


def _description(alert: Alert) -> str:
    labels = "\n".join(f"- {name}: {value}" for name, value in sorted(alert.labels.items()))
    source = f"{alert.source} ({alert.source.get_kind_display()})"
    return (
        f"Opened by alert {alert.number} from {source}.\n\n"
        f"{alert.message}\n\nLabels:\n{labels or '- none'}\n\n"
        "Further events of this alert are counted on it; the incident is resolved when it clears"
        + ("." if alert.source.resolve_incidents else " only by hand (the source says so).")
    )


__all__ = ["SEVERITY_RANK", "act", "find_ci"]
