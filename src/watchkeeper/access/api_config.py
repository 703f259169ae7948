"""Configuring access management over the API (access managers): the roles systems declare,
separation-of-duties rules, access profiles, and the joiner, mover and leaver catalog items.

The operations join the access router (``access.api``): ``/access/roles`` and
``/access/sod-rules`` are read there, and one path must be served by one router."""

from __future__ import annotations

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Schema, Status
from pydantic import ConfigDict

from watchkeeper.access import configuration
from watchkeeper.access.api import ERRORS, router
from watchkeeper.access.choices import LifecycleKind, SodMode
from watchkeeper.access.models import AccessProfile, AccessRole, LifecycleItem, SodRule
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.cmdb.lookup import ci_for_field
from watchkeeper.core.api import MAX_ID, ApiSchema, caller, requires
from watchkeeper.core.choices import Channel
from watchkeeper.incidents.api_support import user_named
from watchkeeper.requests.models import CatalogItem

PositiveId = Annotated[int, Field(ge=1, le=MAX_ID)]
#: Fields a PATCH may set to null (clearing them); leaving a field out keeps it.
NULLABLE = {"max_days", "catalog_item", "approver"}


class RoleIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    system: str = Field(..., min_length=1, max_length=32, description="The system's CI number")
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5_000)
    owner: str = Field(..., min_length=1, max_length=150, description="A username")
    max_days: int | None = Field(None, ge=1, le=36_500, description="Empty: no limit")
    catalog_item: int | None = Field(
        None, ge=1, le=MAX_ID, description="The catalog item that requests it (its id)"
    )
    is_active: bool = True


class RolePatch(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    system: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5_000)
    owner: str | None = Field(None, min_length=1, max_length=150)
    max_days: int | None = Field(None, ge=1, le=36_500)
    catalog_item: int | None = Field(None, ge=1, le=MAX_ID)
    is_active: bool | None = None


class RoleConfigOut(Schema):
    id: int
    system: str = Field(..., alias="system.name")
    system_number: str = Field(..., alias="system.number")
    name: str
    description: str
    owner: str = Field(..., alias="owner.username")
    max_days: int | None
    catalog_item: int | None = Field(None, alias="catalog_item_id")
    is_active: bool


class RuleIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    first: PositiveId
    second: PositiveId
    description: str = Field(..., min_length=1, max_length=300)
    mode: SodMode = SodMode.BLOCK
    approver: str | None = Field(
        None, min_length=1, max_length=150, description="Who may allow an exception (approval)"
    )
    is_active: bool = True


class RulePatch(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    first: int | None = Field(None, ge=1, le=MAX_ID)
    second: int | None = Field(None, ge=1, le=MAX_ID)
    description: str | None = Field(None, min_length=1, max_length=300)
    mode: SodMode | None = None
    approver: str | None = Field(None, min_length=1, max_length=150)
    is_active: bool | None = None


class RuleOut(Schema):
    id: int
    first: int = Field(..., alias="first_id")
    second: int = Field(..., alias="second_id")
    description: str
    mode: str
    approver: str | None = Field(None, alias="approver.username")
    is_active: bool


class ProfileIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=5_000)
    roles: list[PositiveId] = Field([], max_length=200, description="The access roles' ids")
    is_active: bool = True


class ProfilePatch(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=5_000)
    roles: list[PositiveId] | None = Field(None, max_length=200)
    is_active: bool | None = None


class ProfileOut(Schema):
    id: int
    name: str
    description: str
    roles: list[int]
    is_active: bool

    @staticmethod
    def resolve_roles(obj: AccessProfile) -> list[int]:
        return sorted(role.pk for role in obj.roles.all())


class LifecycleItemIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    catalog_item: PositiveId
    kind: LifecycleKind


class LifecycleItemsIn(ApiSchema):
    model_config = ConfigDict(extra="forbid")

    items: list[LifecycleItemIn] = Field(..., max_length=200)


class LifecycleItemOut(Schema):
    catalog_item: int = Field(..., alias="catalog_item_id")
    catalog_item_name: str = Field(..., alias="catalog_item.name")
    kind: str


def _given(payload: ApiSchema) -> dict[str, Any]:
    """A PATCH's fields, as sent; null only where it clears something."""
    values = payload.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None and name not in NULLABLE:
            raise ValidationError({name: "Leave it out to keep it; it cannot be empty."})
    return values


def _role_values(values: dict[str, Any]) -> dict[str, Any]:
    if "system" in values:
        values["system"] = ci_for_field(values["system"], "system")
    if "owner" in values:
        values["owner"] = user_named(values["owner"], "owner")
    if values.get("catalog_item") is not None:
        values["catalog_item"] = _catalog_item(values["catalog_item"], "catalog_item")
    return values


def _catalog_item(pk: int, field: str) -> CatalogItem:
    found = CatalogItem.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: f"No catalog item has the id {pk}."})
    return found


def _role(pk: int, field: str) -> AccessRole:
    found = AccessRole.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: f"No access role has the id {pk}."})
    return found


def _rule_values(values: dict[str, Any]) -> dict[str, Any]:
    for field in ("first", "second"):
        if field in values:
            values[field] = _role(values[field], field)
    if values.get("approver") is not None:
        values["approver"] = user_named(values["approver"], "approver")
    return values


def _roles(ids: list[int]) -> list[AccessRole]:
    found = {role.pk: role for role in AccessRole.objects.filter(pk__in=ids)}
    missing = [str(pk) for pk in dict.fromkeys(ids) if pk not in found]
    if missing:
        raise ValidationError({"roles": f"No access role has the id {', '.join(missing)}."})
    return [found[pk] for pk in dict.fromkeys(ids)]


def _one_role(pk: int) -> AccessRole:
    return get_object_or_404(AccessRole.objects.select_related("system", "owner"), pk=pk)


@router.post(
    "/access/roles",
    response={201: RoleConfigOut, **ERRORS},
    operation_id="create_access_role",
    description="Declares a role a system offers (access managers); its history is the system's.",
)
@requires(AccessPermission.MANAGE)
def create_access_role(request: HttpRequest, payload: RoleIn) -> Status[AccessRole]:
    values = _role_values(payload.model_dump())
    made = configuration.save_role(None, values, acting_user=caller(request), channel=Channel.API)
    return Status(201, _one_role(made.pk))


@router.patch(
    "/access/roles/{role_id}",
    response={200: RoleConfigOut, **ERRORS},
    operation_id="update_access_role",
    description="Changes what is sent; `null` clears max_days or catalog_item.",
)
@requires(AccessPermission.MANAGE)
def update_access_role(request: HttpRequest, role_id: int, payload: RolePatch) -> AccessRole:
    role = _one_role(min(role_id, MAX_ID))
    values = _role_values(_given(payload))
    configuration.save_role(role, values, acting_user=caller(request), channel=Channel.API)
    return _one_role(role.pk)


@router.post(
    "/access/sod-rules",
    response={201: RuleOut, **ERRORS},
    operation_id="create_sod_rule",
    description="Mode `block` refuses; mode `approval` asks the approver for an exception.",
)
@requires(AccessPermission.MANAGE)
def create_sod_rule(request: HttpRequest, payload: RuleIn) -> Status[SodRule]:
    values = _rule_values(payload.model_dump())
    made = configuration.save_rule(None, values, acting_user=caller(request), channel=Channel.API)
    return Status(201, made)


@router.patch(
    "/access/sod-rules/{rule_id}",
    response={200: RuleOut, **ERRORS},
    operation_id="update_sod_rule",
)
@requires(AccessPermission.MANAGE)
def update_sod_rule(request: HttpRequest, rule_id: int, payload: RulePatch) -> SodRule:
    rule = get_object_or_404(SodRule, pk=min(rule_id, MAX_ID))
    values = _rule_values(_given(payload))
    return configuration.save_rule(rule, values, acting_user=caller(request), channel=Channel.API)


@router.get("/access/profiles", response=list[ProfileOut], operation_id="list_access_profiles")
@requires(AccessPermission.VIEW_REGISTER)
def list_access_profiles(request: HttpRequest) -> QuerySet[AccessProfile]:
    """The access profiles: the roles a kind of job starts with (joiners, movers)."""
    return AccessProfile.objects.prefetch_related("roles").order_by("name")


@router.post(
    "/access/profiles",
    response={201: ProfileOut, **ERRORS},
    operation_id="create_access_profile",
)
@requires(AccessPermission.MANAGE)
def create_access_profile(request: HttpRequest, payload: ProfileIn) -> Status[AccessProfile]:
    values = payload.model_dump()
    roles = _roles(values.pop("roles"))
    made = configuration.save_profile(
        None, values, roles=roles, acting_user=caller(request), channel=Channel.API
    )
    return Status(201, made)


@router.patch(
    "/access/profiles/{profile_id}",
    response={200: ProfileOut, **ERRORS},
    operation_id="update_access_profile",
    description="Changes what is sent; `roles` replaces the profile's roles.",
)
@requires(AccessPermission.MANAGE)
def update_access_profile(
    request: HttpRequest, profile_id: int, payload: ProfilePatch
) -> AccessProfile:
    profile = get_object_or_404(AccessProfile, pk=min(profile_id, MAX_ID))
    values = _given(payload)
    roles = _roles(values.pop("roles")) if "roles" in values else None
    return configuration.save_profile(
        profile, values, roles=roles, acting_user=caller(request), channel=Channel.API
    )


@router.get(
    "/access/lifecycle-items",
    response=list[LifecycleItemOut],
    operation_id="list_lifecycle_items",
)
@requires(AccessPermission.VIEW_REGISTER)
def list_lifecycle_items(request: HttpRequest) -> QuerySet[LifecycleItem]:
    """The catalog items that are joiner, mover or leaver requests."""
    return LifecycleItem.objects.select_related("catalog_item").order_by("catalog_item__name")


@router.put(
    "/access/lifecycle-items",
    response={200: list[LifecycleItemOut], **ERRORS},
    operation_id="set_lifecycle_items",
    description="Makes exactly these catalog items the joiner, mover and leaver requests (the "
    "others stop being one); adds a missing `profile` or `last_day` question to their forms.",
)
@requires(AccessPermission.MANAGE)
def set_lifecycle_items(request: HttpRequest, payload: LifecycleItemsIn) -> list[LifecycleItem]:
    entries = [
        (_catalog_item(entry.catalog_item, f"items.{number}.catalog_item"), entry.kind)
        for number, entry in enumerate(payload.items, 1)
    ]
    return configuration.set_lifecycle_items(
        entries, acting_user=caller(request), channel=Channel.API
    )
