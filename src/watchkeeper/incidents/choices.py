"""Incident states, hold reasons, resolution codes, impact, urgency and priority."""

from django.db import models

from watchkeeper.core.choices import COLOURS


class IncidentState(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELED = "canceled", "Canceled"


STATE_COLOURS = {
    IncidentState.NEW: COLOURS["blue"],
    IncidentState.IN_PROGRESS: COLOURS["purple"],
    IncidentState.ON_HOLD: COLOURS["orange"],
    IncidentState.RESOLVED: COLOURS["green"],
    IncidentState.CLOSED: COLOURS["grey"],
    IncidentState.CANCELED: COLOURS["grey"],
}

#: States in which the incident still needs work (the backlog).
OPEN_STATES = (IncidentState.NEW, IncidentState.IN_PROGRESS, IncidentState.ON_HOLD)
#: States that end the incident for good.
FINAL_STATES = (IncidentState.CLOSED, IncidentState.CANCELED)


class HoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", "Awaiting caller"
    AWAITING_VENDOR = "awaiting_vendor", "Awaiting vendor"
    AWAITING_CHANGE = "awaiting_change", "Awaiting change"
    AWAITING_PROBLEM = "awaiting_problem", "Awaiting problem"


class ResolutionCode(models.TextChoices):
    """ServiceNow's resolution codes, which imported incidents also use."""

    SOLVED_PERMANENTLY = "solved_permanently", "Solved (permanently)"
    SOLVED_WORKAROUND = "solved_workaround", "Solved (workaround)"
    SOLVED_REMOTELY_PERMANENTLY = "solved_remotely_permanently", "Solved remotely (permanently)"
    SOLVED_REMOTELY_WORKAROUND = "solved_remotely_workaround", "Solved remotely (workaround)"
    NOT_REPRODUCIBLE = "not_reproducible", "Not solved (not reproducible)"
    TOO_COSTLY = "too_costly", "Not solved (too costly)"
    RESOLVED_BY_CALLER = "resolved_by_caller", "Resolved by caller"
    DUPLICATE = "duplicate", "Duplicate"
    RESOLVED_BY_PARENT = "resolved_by_parent", "Resolved by parent incident"


class Impact(models.IntegerChoices):
    HIGH = 1, "1 - High"
    MEDIUM = 2, "2 - Medium"
    LOW = 3, "3 - Low"


class Urgency(models.IntegerChoices):
    HIGH = 1, "1 - High"
    MEDIUM = 2, "2 - Medium"
    LOW = 3, "3 - Low"


class Priority(models.IntegerChoices):
    CRITICAL = 1, "1 - Critical"
    HIGH = 2, "2 - High"
    MODERATE = 3, "3 - Moderate"
    LOW = 4, "4 - Low"
    PLANNING = 5, "5 - Planning"


PRIORITY_COLOURS = {
    Priority.CRITICAL: COLOURS["red"],
    Priority.HIGH: COLOURS["orange"],
    Priority.MODERATE: COLOURS["blue"],
    Priority.LOW: COLOURS["grey"],
    Priority.PLANNING: COLOURS["grey"],
}

#: The ITIL impact x urgency matrix (ServiceNow's default), the seed of ``PriorityRule``.
ITIL_MATRIX: dict[tuple[int, int], int] = {
    (1, 1): 1,
    (1, 2): 2,
    (1, 3): 3,
    (2, 1): 2,
    (2, 2): 3,
    (2, 3): 4,
    (3, 1): 3,
    (3, 2): 4,
    (3, 3): 5,
}


class ActivityKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    WORK_NOTE = "work_note", "Work note"
