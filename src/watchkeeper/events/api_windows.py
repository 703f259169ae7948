"""Maintenance windows over the API: list (staff), create and delete (``events.configure``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from watchkeeper.cmdb.lookup import ci_for_field
from watchkeeper.core.api import ApiSchema, caller, requires
from watchkeeper.events.maintenance import delete_window, is_open, save_window
from watchkeeper.events.models import MaintenanceWindow
from watchkeeper.events.permissions import EventPermission as P
from watchkeeper.incidents.api_schemas import CiRef, ErrorOut

router = Router(tags=["events"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class WindowIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5_000)
    starts_at: dt.datetime
    ends_at: dt.datetime
    schedule: str = Field("", max_length=100, description="Cron (UTC) of starts; empty: one-off")
    duration_minutes: int | None = Field(None, ge=1, le=10_080)
    items: list[str] = Field(default_factory=list, max_length=1_000, description="CI numbers")
    labels: dict[str, str] = Field(default_factory=dict, max_length=50)


class WindowOut(Schema):
    id: int
    name: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    schedule: str
    duration_minutes: int | None
    items: list[CiRef]
    labels: dict[str, str]
    open_now: bool

    @staticmethod
    def resolve_items(window: MaintenanceWindow) -> list[Any]:
        return list(window.configuration_items.all())

    @staticmethod
    def resolve_open_now(window: MaintenanceWindow) -> bool:
        return is_open(window, dt.datetime.now(dt.UTC))


@router.get(
    "/maintenance-windows", response=list[WindowOut], operation_id="list_maintenance_windows"
)
@requires(P.VIEW)
def list_windows(request: HttpRequest) -> QuerySet[MaintenanceWindow]:
    """Windows that have not ended yet, soonest first."""
    now = dt.datetime.now(dt.UTC)
    upcoming = MaintenanceWindow.objects.filter(ends_at__gt=now).order_by("starts_at")
    return upcoming.prefetch_related("configuration_items")


@router.post(
    "/maintenance-windows",
    response={201: WindowOut, **ERRORS},
    operation_id="create_maintenance_window",
)
@requires(P.CONFIGURE)
def create_window(request: HttpRequest, payload: WindowIn) -> Status[MaintenanceWindow]:
    values = payload.dict()
    items = [ci_for_field(ref, "items") for ref in values.pop("items")]
    window = save_window(None, acting_user=caller(request), items=items, **values)
    return Status(201, window)


@router.delete(
    "/maintenance-windows/{window_id}",
    response={204: None, **ERRORS},
    operation_id="delete_maintenance_window",
)
@requires(P.CONFIGURE)
def remove_window(request: HttpRequest, window_id: int) -> Status[None]:
    delete_window(get_object_or_404(MaintenanceWindow, pk=window_id), acting_user=caller(request))
    return Status(204, None)
