"""Priority from impact x urgency, by the configurable matrix (``PriorityRule``)."""

from __future__ import annotations

from watchkeeper.incidents.choices import ITIL_MATRIX
from watchkeeper.incidents.models import PriorityRule


def priority_for(impact: int, urgency: int) -> int:
    """The matrix's priority; the ITIL default for a cell an administrator removed."""
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).first()
    return rule.priority if rule else ITIL_MATRIX[(impact, urgency)]
