"""Separation of duties: which active rule a grant of ``role`` to ``holder`` would break, given
the roles they hold now. Checked when a grant is written and when an access role is ordered.

A rule in mode *block* refuses both. A rule in mode *approval* lets the order through but asks
the rule's approver for an exception (``requests.checks.extra_approvals``); the grant written at
delivery waives exactly the rules whose exception was approved for that requested item
(``waivers_for``). A grant made any other way (by hand, by API) is refused by every rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from watchkeeper.access.choices import EntitlementState, SodMode
from watchkeeper.access.models import AccessRole, Entitlement, SodRule
from watchkeeper.requests.approvals import EXTRA_LEVEL, NOTE_MAX
from watchkeeper.requests.choices import ApprovalState


@dataclass(frozen=True)
class Waiver:
    """An approved exception: ``rule`` may be broken, as ``allowed_by`` decided in ``reference``."""

    rule: SodRule
    allowed_by: str
    reference: str

    def __str__(self) -> str:
        pair = f"{self.rule.first} / {self.rule.second}"
        return f"{pair} allowed by {self.allowed_by} in {self.reference}"


def broken_rules(holder: Any, role: AccessRole) -> list[SodRule]:
    rules = SodRule.objects.filter(is_active=True).filter(Q(first=role) | Q(second=role))
    held = set(
        Entitlement.objects.filter(holder=holder, state=EntitlementState.ACTIVE).values_list(
            "role_id", flat=True
        )
    )
    broken = []
    for rule in rules.select_related("first__system", "second__system", "approver"):
        other = rule.second_id if rule.first_id == role.pk else rule.first_id
        if other in held:
            broken.append(rule)
    return broken


def words(rule: SodRule, holder: Any, role: AccessRole) -> str:
    """What breaking ``rule`` means, for a refusal or an approver's note."""
    other = rule.second if rule.first_id == role.pk else rule.first
    return (
        f"Separation of duties: {holder.username} holds {other}, which may not go with "
        f"{role} ({rule.description})."
    )[:NOTE_MAX]


def problem(holder: Any, role: AccessRole, waivers: tuple[Waiver, ...] = ()) -> str | None:
    """Words for the first broken rule not waived (a blocking rule never is), or None."""
    waived = {w.rule.pk for w in waivers}
    for rule in broken_rules(holder, role):
        if rule.mode == SodMode.APPROVAL and rule.pk in waived:
            continue
        return words(rule, holder, role)
    return None


def _ordered_role(catalog_item: Any) -> AccessRole | None:
    return AccessRole.objects.filter(catalog_item_id=catalog_item.pk).first()


def order_check(recipient: Any, catalog_item: Any) -> str | None:
    """For ``requests.checks``: an access role's catalog item ordered for ``recipient`` is
    refused by a blocking rule."""
    role = _ordered_role(catalog_item)
    if role is None:
        return None
    for rule in broken_rules(recipient, role):
        if rule.mode == SodMode.BLOCK:
            return words(rule, recipient, role)
    return None


def extra_approvals(recipient: Any, catalog_item: Any) -> list[tuple[list[Any], str]]:
    """For ``requests.checks.register_extra_approval``: each rule in mode approval the order
    would break asks its approver for an exception."""
    role = _ordered_role(catalog_item)
    if role is None:
        return []
    return [
        ([rule.approver] if rule.approver is not None else [], words(rule, recipient, role))
        for rule in broken_rules(recipient, role)
        if rule.mode == SodMode.APPROVAL
    ]


def waivers_for(item: Any, holder: Any, role: AccessRole) -> tuple[Waiver, ...]:
    """The exceptions approved for requested ``item``: a rule in mode approval it breaks, whose
    approver approved the extra approval asked about exactly that rule."""
    approved = list(
        item.approvals.filter(level__gte=EXTRA_LEVEL, state=ApprovalState.APPROVED).select_related(
            "approver", "decided_by"
        )
    )
    waivers = []
    for rule in broken_rules(holder, role):
        if rule.mode != SodMode.APPROVAL:
            continue
        note = words(rule, holder, role)
        for approval in approved:
            if approval.approver_id == rule.approver_id and approval.note == note:
                by = approval.decided_by or approval.approver
                waivers.append(Waiver(rule, by.username, item.request.number))
                break
    return tuple(waivers)
