from django.db import models


class FindingState(models.TextChoices):
    OPEN = "open", "Open"
    #: The owner says it is dealt with; the check confirms it at its next run (or reopens it).
    REMEDIATED = "remediated", "Remediated"
    #: The check no longer finds it.
    RESOLVED = "resolved", "Resolved"
    #: The owner or a process manager accepted the risk, with a reason; not reported again.
    ACCEPTED = "accepted", "Risk accepted"


#: A finding in these states is still being dealt with.
ACTIVE_STATES = (FindingState.OPEN, FindingState.REMEDIATED)
