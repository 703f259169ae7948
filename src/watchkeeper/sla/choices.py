"""SLA kinds, metrics, clock states and the actions a threshold can take."""

from django.db import models

from watchkeeper.core.choices import COLOURS


class AgreementKind(models.TextChoices):
    SLA = "sla", "Service level agreement"  # with the customer
    OLA = "ola", "Operational level agreement"  # with an internal support group
    UC = "uc", "Underpinning contract"  # with a vendor


class RecordType(models.TextChoices):
    """The records a definition measures (requests and problems join as their issues land)."""

    INCIDENT = "incident", "Incidents"


class Metric(models.TextChoices):
    RESPONSE = "response", "Time to first response"
    RESOLUTION = "resolution", "Time to resolution"


class ClockStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Stopped"
    CANCELLED = "cancelled", "Cancelled"


STATUS_COLOURS = {
    ClockStatus.RUNNING: COLOURS["blue"],
    ClockStatus.PAUSED: COLOURS["orange"],
    ClockStatus.MET: COLOURS["green"],
    ClockStatus.CANCELLED: COLOURS["grey"],
}


class ThresholdAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", "Notify the assignee (or the group if unassigned)"
    NOTIFY_GROUP_MANAGER = "notify_group_manager", "Notify the assignment group's manager"
    NOTIFY_SERVICE_OWNER = "notify_service_owner", "Notify the service owner"
    RAISE_PRIORITY = "raise_priority", "Raise the priority by one"
    REASSIGN = "reassign", "Reassign to a group"


class HolidaySource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    GENERATED = "generated", "Generated (holidays package)"
