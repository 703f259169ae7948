"""Finding an item by what people and scripts call it: its number (CI0001234) or its id."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.http import Http404

from watchkeeper.cmdb.models import ConfigurationItem

MAX_ID = 2**63 - 1
NUMBER = re.compile(r"CI\d{1,12}", flags=re.IGNORECASE)


def find_ci(reference: str) -> ConfigurationItem | None:
    reference = str(reference).strip()
    if reference.isdigit() and 0 < int(reference) <= MAX_ID:
        return ConfigurationItem.objects.filter(pk=int(reference)).first()
    if NUMBER.fullmatch(reference):
        return ConfigurationItem.objects.filter(number=reference.upper()).first()
    return None


def ci_for_field(reference: str, field: str) -> ConfigurationItem:
    """The item, or a validation error naming ``field``."""
    found = find_ci(reference)
    if found is None:
        raise ValidationError({field: f"No configuration item {str(reference)[:32]!r}."})
    return found


def ci_or_404(reference: str) -> ConfigurationItem:
    found = find_ci(reference)
    if found is None:
        raise Http404(f"No configuration item {str(reference)[:32]!r}.")
    return found
