"""A record's history as its page shows it: who changed what, when and how, newest first, each
value as people read it (choices by their labels, times in local time, "—" for nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from watchkeeper.core.history import history_of

#: The most entries the page lists (the API and the audit trail have them all).
HISTORY_SHOWN = 50
LONG = 200


def display(model: type[models.Model], field_name: str, value: Any) -> str:
    """A stored history value as people read it: labels for choices, "—" for nothing."""
    if value is None or value == "" or value == {} or value == []:
        return "—"
    if isinstance(value, dict) and "label" in value:
        return str(value["label"])
    if isinstance(value, dict):
        return ", ".join(f"{key}: {display(model, key, item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(display(model, field_name, item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        choices = getattr(model._meta.get_field(field_name), "choices", None)
    except FieldDoesNotExist:
        choices = None
    text = str(dict(choices).get(value, value) if choices else value)
    try:
        moment = dt.datetime.fromisoformat(text) if "T" in text and text[:4].isdigit() else None
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        return date_format(timezone.localtime(moment), "Y-m-d H:i")
    return text if len(text) <= LONG else text[: LONG - 1] + "…"


def label(model: type[models.Model], field_name: str, labels: dict[str, str]) -> str:
    if field_name in labels:
        return labels[field_name]
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return field_name.replace("_", " ").capitalize()
    return str(getattr(field, "verbose_name", field_name)).capitalize()


def history_rows(
    record: models.Model, labels: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The newest ``HISTORY_SHOWN`` entries in the shape ``includes/history.html`` reads;
    ``labels`` names fields better than their verbose names."""
    model, labels = record._meta.model, labels or {}
    entries = history_of(record).select_related("actor").order_by("-sequence")[:HISTORY_SHOWN]
    return [
        {
            "at": entry.at,
            "who": entry.actor_label,
            "action": entry.action.replace("_", " ").capitalize(),
            "channel": entry.get_channel_display(),
            "changes": [
                (
                    label(model, name, labels),
                    display(model, name, pair.get("old")),
                    display(model, name, pair.get("new")),
                )
                for name, pair in entry.changes.items()
                if isinstance(pair, dict)
            ],
        }
        for entry in entries
    ]
