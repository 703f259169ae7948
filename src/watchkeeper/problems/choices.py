from django.db import models


class ProblemState(models.TextChoices):
    """ITIL's problem lifecycle, as ServiceNow names it."""

    NEW = "new", "New"
    ASSESS = "assess", "Assess"
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", "Root cause analysis"
    FIX_IN_PROGRESS = "fix_in_progress", "Fix in progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_PROBLEM_STATES = (
    ProblemState.NEW,
    ProblemState.ASSESS,
    ProblemState.ROOT_CAUSE_ANALYSIS,
    ProblemState.FIX_IN_PROGRESS,
)


class ProblemResolution(models.TextChoices):
    FIX_APPLIED = "fix_applied", "Fix applied"
    RISK_ACCEPTED = "risk_accepted", "Risk accepted (no fix)"
    DUPLICATE = "duplicate", "Duplicate of another problem"
    CANCELED = "canceled", "Canceled"


class ProblemTaskState(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"


class ProblemTaskKind(models.TextChoices):
    ANALYSIS = "analysis", "Root cause analysis"
    WORKAROUND = "workaround", "Workaround"
    FIX = "fix", "Fix"
    GENERAL = "general", "General"


class CandidateBasis(models.TextChoices):
    """What a recurring pattern of incidents has in common."""

    CONFIGURATION_ITEM = "configuration_item", "Same configuration item"
    SERVICE = "service", "Same service"
    CATEGORY = "category", "Same category"
    TEXT = "text", "Similar text"


class CandidateState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"
