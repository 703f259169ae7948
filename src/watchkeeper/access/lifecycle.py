"""Joiners, movers and leavers: a catalog item made a lifecycle item (``LifecycleItem``) changes
the register of the person its request is for, once it is delivered (approved and fulfilled
like any other item), as the system:

- joiner (answer ``profile``): every role of the access profile is granted, citing the request;
- mover (answer ``profile``, the new one): the roles of the new profile not held are granted,
  and the grants that came with another profile and are not in the new one are revoked; roles
  requested one by one stay (the access manager or the role's owner decides on those);
- leaver (answer ``last_day``): everything is revoked at once when that day has come, else each
  grant ends after it (its end date moves forward to it), so the expiry job ends them.

What it did, and each grant it could not make (separation of duties, a role with a longest
duration), is the text returned for the request's history; the delivery stands. The answers are
checked when the item is ordered (``answers_check``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from watchkeeper.access import actions
from watchkeeper.access.choices import EntitlementState, LifecycleKind
from watchkeeper.access.models import AccessProfile, Entitlement, LifecycleItem
from watchkeeper.core.choices import Channel

PROFILE = "profile"
LAST_DAY = "last_day"


def kind_of(catalog_item: Any) -> str | None:
    found = LifecycleItem.objects.filter(catalog_item_id=catalog_item.pk).first()
    return found.kind if found is not None else None


def answers_check(recipient: Any, catalog_item: Any, answers: Mapping[str, Any]) -> dict[str, str]:
    """For ``requests.checks.register_answers``: a joiner or mover names an access profile in
    use; a leaver gives the last day."""
    kind = kind_of(catalog_item)
    if kind == LifecycleKind.LEAVER and not answers.get(LAST_DAY):
        return {f"answers.{LAST_DAY}": "Give the leaver's last day."}
    if kind in (LifecycleKind.JOINER, LifecycleKind.MOVER):
        name = answers.get(PROFILE)
        if not isinstance(name, str) or not name:
            return {f"answers.{PROFILE}": "Choose the access profile of the new job."}
        if not AccessProfile.objects.filter(name=name, is_active=True).exists():
            return {f"answers.{PROFILE}": f"No access profile in use is named {name[:100]!r}."}
    return {}


def apply_delivered_lifecycle(sender: Any, item: Any, **_kwargs: Any) -> str | None:
    """For ``requests.signals.item_delivered``: what the lifecycle item did, or None."""
    kind = kind_of(item.catalog_item)
    if kind is None:
        return None
    person = item.request.requested_for
    if kind == LifecycleKind.LEAVER:
        return _leave(item, person)
    name = item.answers.get(PROFILE)
    profile = AccessProfile.objects.filter(name=name, is_active=True).first()
    if profile is None:
        return f"Nothing changed in the register: no access profile in use is named {name!r}."
    said = []
    if kind == LifecycleKind.MOVER:
        said.extend(_move_from_other_profiles(item, person, profile))
    said.extend(_grant_profile(item, person, profile))
    return f"{kind.capitalize()} {person.username}, profile {profile}: " + "; ".join(said) + "."


def _grant_profile(item: Any, person: Any, profile: AccessProfile) -> list[str]:
    held = set(
        Entitlement.objects.filter(holder=person, state=EntitlementState.ACTIVE).values_list(
            "role_id", flat=True
        )
    )
    granted, kept, refused = [], [], []
    for role in profile.roles.select_related("system").order_by("system__name", "name"):
        if role.pk in held:
            kept.append(str(role))
            continue
        try:
            with transaction.atomic():
                made = actions.grant(
                    role, person, acting_user=None, reason=item.request.number,
                    requested_item=item, profile=profile, channel=Channel.JOB,
                )  # fmt: skip
        except ValidationError as problem:
            refused.append(f"{role} ({' '.join(problem.messages)})")
            continue
        granted.append(f"{made.number} {role}")
    return [
        f"granted {', '.join(granted) or 'nothing'}",
        *([f"already held: {', '.join(kept)}"] if kept else []),
        *([f"not granted: {', '.join(refused)}"] if refused else []),
    ]


def _move_from_other_profiles(item: Any, person: Any, profile: AccessProfile) -> list[str]:
    """Revoke the grants that came with another profile and are not in ``profile``."""
    keep = set(profile.roles.values_list("pk", flat=True))
    active = Entitlement.objects.filter(holder=person, state=EntitlementState.ACTIVE)
    reason = f"Mover {item.request.number}: moved to the profile {profile}."
    revoked, individual = [], []
    for entitlement in active.select_related("role__system").order_by("pk"):
        if entitlement.profile_id is None:
            individual.append(str(entitlement.role))
        elif entitlement.profile_id != profile.pk and entitlement.role_id not in keep:
            actions.revoke(entitlement, acting_user=None, reason=reason, channel=Channel.JOB)
            revoked.append(f"{entitlement.number} {entitlement.role}")
    said = [f"revoked {', '.join(revoked) or 'nothing'}"]
    if individual:
        said.append(f"requested one by one, so they stay: {', '.join(individual)}")
    return said


def _leave(item: Any, person: Any) -> str:
    try:
        last_day = dt.date.fromisoformat(str(item.answers.get(LAST_DAY)))
    except ValueError:
        return "Nothing changed in the access register: the answer last_day is not a date."
    reason = f"Leaver {item.request.number}: last day {last_day.isoformat()}."
    if last_day <= timezone.localdate():
        count = actions.revoke_all(person, acting_user=None, reason=reason, channel=Channel.JOB)
        return f"Leaver {person.username}: all {count} active entitlements revoked."
    active = Entitlement.objects.filter(holder=person, state=EntitlementState.ACTIVE)
    moved = [
        entitlement.number
        for entitlement in active.select_related("role").order_by("pk")
        if actions.end_by(
            entitlement, last_day, acting_user=None, reason=reason, channel=Channel.JOB
        )
    ]
    return (
        f"Leaver {person.username}: {len(moved)} entitlements now end after {last_day} "
        f"({', '.join(moved) or 'none'}); the others end by then already."
    )
