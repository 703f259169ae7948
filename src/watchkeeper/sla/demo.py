"""Demo service levels: office hours in Berlin with German (Berlin) holidays, a 24x7 calendar,
response and resolution SLAs per priority and an OLA for the service desk."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from watchkeeper.accounts.models import SupportGroup
from watchkeeper.core.choices import Channel
from watchkeeper.sla import actions

OFFICE_HOURS = [(day, dt.time(8), dt.time(18)) for day in range(5)]
WARN_AND_ESCALATE = [(75, "notify_assignee", None), (100, "notify_group_manager", None)]


def load_service_levels(admin: Any, groups: dict[str, SupportGroup]) -> None:
    cli = {"acting_user": admin, "channel": Channel.CLI}
    office = actions.save_calendar(
        None,
        hours=OFFICE_HOURS,
        name="Office hours (Berlin)",
        time_zone="Europe/Berlin",
        holiday_country="DE",
        holiday_subdivision="BE",
        **cli,
    )
    year = timezone.now().year
    actions.generate_holidays(office, [year, year + 1], **cli)
    always = actions.save_calendar(None, name="24x7", always_open=True, **cli)
    common: dict[str, Any] = {"pause_reasons": ["awaiting_caller"], "thresholds": [50, 75, 90]}
    actions.save_definition(
        None, name="P1 response (24x7)", metric="response", calendar=always, priorities=[1],
        targets={None: 15}, actions=WARN_AND_ESCALATE, **common, **cli,
    )  # fmt: skip
    actions.save_definition(
        None, name="Response", metric="response", calendar=office, priorities=[2, 3, 4, 5],
        targets={2: 30, 3: 120, 4: 240, None: 480}, actions=WARN_AND_ESCALATE, **common, **cli,
    )  # fmt: skip
    actions.save_definition(
        None, name="P1 resolution (24x7)", metric="resolution", calendar=always, priorities=[1],
        targets={None: 240}, actions=WARN_AND_ESCALATE, **common, **cli,
    )  # fmt: skip
    actions.save_definition(
        None, name="Resolution", metric="resolution", calendar=office, priorities=[2, 3, 4, 5],
        targets={2: 480, 3: 1440, 4: 2400, None: 4800}, actions=WARN_AND_ESCALATE,
        **common, **cli,
    )  # fmt: skip
    actions.save_definition(
        None, name="Service desk OLA", kind="ola", metric="resolution", calendar=office,
        assignment_groups=[groups["Service Desk"]], targets={None: 240}, **common, **cli,
    )  # fmt: skip
