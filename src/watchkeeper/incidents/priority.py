"""Priority from impact x urgency, by the configurable matrix (``PriorityRule``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from watchkeeper.incidents.choices import ITIL_MATRIX, Impact, Urgency
from watchkeeper.incidents.models import PriorityRule


def priority_for(impact: int, urgency: int) -> int:
    """The matrix's priority; the ITIL default for a cell an administrator removed."""
    errors = {}
    if impact not in Impact.values:
        errors["impact"] = f"Impact must be one of {Impact.values}."
    if urgency not in Urgency.values:
        errors["urgency"] = f"Urgency must be one of {Urgency.values}."
    if errors:
        raise ValidationError(errors)
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).first()
    return rule.priority if rule else ITIL_MATRIX[(impact, urgency)]
