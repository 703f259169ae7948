"""Helpers the survey tests share (plain functions, no tests): incidents resolved and requests
completed through their actions, so the surveys come from the real hooks."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from watchkeeper.core.choices import Channel
from watchkeeper.incidents import actions as incident_actions
from watchkeeper.incidents.choices import ResolutionCode
from watchkeeper.incidents.models import Incident
from watchkeeper.requests import actions as request_actions
from watchkeeper.requests.models import CatalogCategory, CatalogItem, ServiceRequest

LINK = re.compile(r"https?://[^\s]+(/survey/[^\s/]+/)")


def resolved_incident(
    caller: Any,
    agent: Any,
    *,
    text: str = "Printer on floor 3 jams",
    channel: str = Channel.PHONE,
    code: str = ResolutionCode.SOLVED_PERMANENTLY,
    resolver: Any = None,
    **fields: Any,
) -> Incident:
    """An incident ``agent`` takes for ``caller`` and ``resolver`` (``agent``) resolves."""
    incident = incident_actions.create_incident(
        caller=caller, short_description=text, acting_user=agent, channel=channel, **fields
    )
    return incident_actions.resolve(
        incident, code=code, notes="Cleared the paper path.", acting_user=resolver or agent
    )


def completed_request(requester: Any, fulfiler: Any, *, name: str = "Laptop") -> ServiceRequest:
    """A one-item request ``requester`` orders and ``fulfiler`` marks delivered."""
    category, _ = CatalogCategory.objects.get_or_create(name="Hardware")
    item, _ = CatalogItem.objects.get_or_create(
        name=name, defaults={"category": category, "summary": f"A {name}"}
    )
    line = request_actions.Line(item=item, answers={})
    request = request_actions.order(acting_user=requester, lines=[line])
    return request_actions.complete_item(request, 1, acting_user=fulfiler)


def survey_paths() -> list[str]:
    """The survey links in the e-mails sent so far."""
    return [match for message in mail.outbox for match in LINK.findall(message.body)]
