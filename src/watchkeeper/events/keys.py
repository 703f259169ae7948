"""De-duplication keys: which events are one alert. A source's template names the fields that
make the key ("{resource}/{check}", "{labels[alertname]}:{labels[instance]}"); placeholders are
replaced by a small renderer of our own (``str.format`` would let a template reach attributes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{(resource|check|fingerprint|labels\[([^\[\]{}]{1,100})\])\}")
ANY_BRACE = re.compile(r"[{}]")
MAX_KEY = 500


def template_problem(template: str) -> str | None:
    """What is wrong with a key template, or None."""
    if len(template) > 300:
        return "The key template may be at most 300 characters."
    leftover = PLACEHOLDER.sub("", template)
    if ANY_BRACE.search(leftover):
        return "Use only {resource}, {check}, {fingerprint} and {labels[name]} in the key template."
    return None


def key_for(template: str, event: Mapping[str, Any]) -> str:
    """The alert key of ``event`` (resource, check, fingerprint, labels) under ``template``."""
    if not template:
        fingerprint = event.get("fingerprint") or ""
        key = f"fp:{fingerprint}" if fingerprint else f"{event['resource']}/{event['check']}"
        return key[:MAX_KEY]
    labels = event.get("labels") or {}

    def value(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return str(labels.get(match.group(2), ""))
        return str(event.get(match.group(1)) or "")

    return PLACEHOLDER.sub(value, template)[:MAX_KEY]
