"""Access management over the API: access roles, the entitlement register (read by readers,
owners and holders), granting, revoking, a leaver's revocation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from watchkeeper.access import actions
from watchkeeper.access.choices import EntitlementState
from watchkeeper.access.models import AccessRole, Entitlement, SodRule
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.access.queries import register_for
from watchkeeper.core.api import ApiSchema, Pagination, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut
from watchkeeper.incidents.api_support import user_named
from watchkeeper.requests.permissions import RequestPermission

router = Router(tags=["access"])
ERRORS: dict[int, Any] = {
    400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut,
}  # fmt: skip
#: Everyone may call these; what each may see or do is decided per record.
ANYONE = RequestPermission.ORDER


class RoleOut(Schema):
    id: int
    system: str = Field(..., alias="system.name")
    system_number: str = Field(..., alias="system.number")
    name: str
    description: str
    owner: str = Field(..., alias="owner.username")
    max_days: int | None
    is_active: bool


class EntitlementOut(Schema):
    number: str
    role_id: int
    role: str = Field(..., alias="role.name")
    system: str = Field(..., alias="role.system.name")
    holder: str = Field(..., alias="holder.username")
    state: str
    granted_by: str | None = Field(None, alias="granted_by.username")
    created_at: dt.datetime
    reason: str
    expires_on: dt.date | None
    ended_at: dt.datetime | None
    ended_by: str | None = Field(None, alias="ended_by.username")
    end_reason: str
    version: int


class GrantIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    role: int = Field(..., ge=1, le=2**63 - 1)
    holder: str = Field(..., min_length=1, max_length=150, description="A username")
    reason: str = Field(..., min_length=1, max_length=2_000)
    expires_on: dt.date | None = Field(None, description="The last day (empty: no end)")


class RevokeIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(..., min_length=1, max_length=2_000)
    version: int | None = None


class RegisterFilters(Schema):
    holder: str = Field("", max_length=150)
    role: int | None = None
    system: str = Field("", max_length=16, description="The system's CI number")
    state: EntitlementState | None = Field(EntitlementState.ACTIVE, description="Default: active")


class Revoked(Schema):
    revoked: int


class SodRuleOut(Schema):
    id: int
    first: int = Field(..., alias="first_id")
    second: int = Field(..., alias="second_id")
    description: str
    mode: str = Field(..., description="block: refused; approval: an exception may be asked")
    approver: str | None = Field(None, alias="approver.username")


@router.get("/access/sod-rules", response=list[SodRuleOut], operation_id="list_sod_rules")
@requires(AccessPermission.VIEW_REGISTER)
def list_sod_rules(request: HttpRequest) -> QuerySet[SodRule]:
    """The active separation-of-duties rules: pairs of roles nobody may hold together."""
    return SodRule.objects.filter(is_active=True).select_related("approver").order_by("pk")


@router.get("/access/roles", response=list[RoleOut], operation_id="list_access_roles")
@requires(ANYONE)
def list_roles(request: HttpRequest) -> QuerySet[AccessRole]:
    """The access roles that can be held, by system."""
    return AccessRole.objects.filter(is_active=True).select_related("system", "owner")


@router.get("/access/entitlements", response=list[EntitlementOut], operation_id="list_entitlements")
@requires(ANYONE)
@paginate(Pagination)
def list_entitlements(
    request: HttpRequest, filters: Query[RegisterFilters]
) -> QuerySet[Entitlement]:
    """The register: all of it for readers, your roles' grants for owners, yours for anyone."""
    rows = register_for(caller(request))
    if filters.holder:
        rows = rows.filter(holder__username=filters.holder)
    if filters.role is not None:
        rows = rows.filter(role_id=filters.role)
    if filters.system:
        rows = rows.filter(role__system__number=filters.system.upper())
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    return rows.order_by("role__system__name", "role__name", "holder__username", "pk")


def _one(request: HttpRequest, number: str) -> Entitlement:
    return get_object_or_404(register_for(caller(request)), number=number.upper())


@router.get(
    "/access/entitlements/{number}",
    response={200: EntitlementOut, **ERRORS},
    operation_id="get_entitlement",
)
@requires(ANYONE)
def get_entitlement(request: HttpRequest, number: str) -> Entitlement:
    return _one(request, number)


@router.post(
    "/access/entitlements",
    response={201: EntitlementOut, **ERRORS},
    operation_id="grant_access",
    description="Writes a grant to the register (access managers, and the role's owner).",
)
@requires(ANYONE)
def grant_access(request: HttpRequest, payload: GrantIn) -> Status[Entitlement]:
    role = get_object_or_404(AccessRole, pk=payload.role)
    made = actions.grant(
        role, user_named(payload.holder, "holder"), acting_user=caller(request),
        reason=payload.reason, expires_on=payload.expires_on, channel=Channel.API,
    )  # fmt: skip
    return Status(201, _one(request, made.number))


@router.post(
    "/access/entitlements/{number}/revoke",
    response={200: EntitlementOut, **ERRORS},
    operation_id="revoke_access",
)
@requires(ANYONE)
def revoke_access(request: HttpRequest, number: str, payload: RevokeIn) -> Entitlement:
    actions.revoke(
        _one(request, number), acting_user=caller(request), reason=payload.reason,
        expected_version=payload.version, channel=Channel.API,
    )  # fmt: skip
    return _one(request, number)


class LeaverIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(..., min_length=1, max_length=2_000)


@router.post(
    "/access/leavers/{username}",
    response={200: Revoked, **ERRORS},
    operation_id="revoke_leaver",
    description="Revokes everything a person holds (access managers).",
)
@requires(ANYONE)
def revoke_leaver(request: HttpRequest, username: str, payload: LeaverIn) -> dict[str, int]:
    holder = user_named(username, "username")
    count = actions.revoke_all(
        holder, acting_user=caller(request), reason=payload.reason, channel=Channel.API
    )
    return {"revoked": count}
