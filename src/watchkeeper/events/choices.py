from django.db import models


class Severity(models.TextChoices):
    """Normalised severities, most severe first; ``ok`` clears an alert."""

    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"
    OK = "ok", "OK"


#: Higher is worse; ``ok`` is 0.
SEVERITY_RANK: dict[str, int] = {
    Severity.CRITICAL: 5,
    Severity.MAJOR: 4,
    Severity.MINOR: 3,
    Severity.WARNING: 2,
    Severity.INFO: 1,
    Severity.OK: 0,
}


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SHELVED = "shelved", "Shelved"
    CLOSED = "closed", "Closed"


#: An alert in one of these takes further events with its key; a closed one does not.
LIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SHELVED)


class SourceKind(models.TextChoices):
    GENERIC = "generic", "Watchkeeper JSON"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana"
    ZABBIX = "zabbix", "Zabbix"
    NAGIOS = "nagios", "Nagios / Icinga"
