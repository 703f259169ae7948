"""``{% survey_callout record %}``: on a requester's own record page, the satisfaction survey
that waits for them (nothing when there is none)."""

from __future__ import annotations

from typing import Any

from django import template

from watchkeeper.reporting.surveys import pending_path

register = template.Library()


@register.inclusion_tag("reporting/_survey_callout.html", takes_context=True)
def survey_callout(context: Any, record: Any) -> dict[str, Any]:
    return {"survey_path": pending_path(record, context["request"].user)}
