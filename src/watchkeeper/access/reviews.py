"""Access review campaigns (REV): every active grant of the roles on some systems is put before a
reviewer — the role's owner, or someone else when the owner holds it themself — who confirms or
revokes it by the due date. Revoking ends the grant in the same transaction. Reviewers who have
not finished are reminded once a day; schedules start campaigns every so many months. Each step
is in the campaign's tamper-evident history, and each revocation in the grant's."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from watchkeeper.access import actions
from watchkeeper.access.choices import EntitlementState, ReviewDecision, ReviewState
from watchkeeper.access.models import AccessReview, Entitlement, ReviewItem, ReviewSchedule
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.core.notifications import notify, register_kind
from watchkeeper.core.numbering import next_number
from watchkeeper.core.records import lock_current, save_versioned

KIND = "access_reviews"
REMIND_EVERY = dt.timedelta(hours=24)
NAME_LENGTH = 200

register_kind(
    KIND,
    "Access reviews",
    "Grants wait for you to confirm or revoke them in an access review campaign.",
    optional=False,
)


def in_scope(systems: Iterable[Any]) -> QuerySet[Entitlement]:
    """The active grants of the roles on ``systems`` (none given: on every system)."""
    grants = Entitlement.objects.filter(state=EntitlementState.ACTIVE)
    chosen = list(systems)
    if chosen:
        grants = grants.filter(role__system__in=chosen)
    grants = grants.select_related("role__system", "role__owner__manager", "holder")
    return grants.order_by("role__system__name", "role__name", "holder__username", "pk")


def reviewer_for(entitlement: Entitlement, starter: Any) -> User:
    """The role's owner; when the owner holds the grant themself (or has left), their manager,
    else whoever starts the campaign, else an access manager: nobody reviews their own access."""
    owner = entitlement.role.owner
    for person in (owner, owner.manager, starter):
        if person is not None and person.is_active and person.pk != entitlement.holder_id:
            return person
    managers = User.objects.with_permission(AccessPermission.MANAGE)
    fallback = managers.exclude(pk=entitlement.holder_id).order_by("username").first()
    if fallback is None:
        raise ValidationError(
            {"systems": f"Nobody but its holder could review {entitlement.number}."}
        )
    return fallback


def start(
    name: str,
    systems: Iterable[Any],
    due_on: dt.date,
    acting_user: Any,
    schedule: ReviewSchedule | None = None,
    *,
    channel: str = Channel.WEB,
) -> AccessReview:
    """Start a campaign (access managers; ``None`` is the system, for schedules): one item per
    active grant in scope, each reviewer told once how many grants wait for them."""
    require_permission(acting_user, AccessPermission.MANAGE)
    chosen, name = list(systems), name.strip()
    errors = {}
    if not name or len(name) > NAME_LENGTH:
        errors["name"] = f"Give the campaign a name of 1 to {NAME_LENGTH} characters."
    if due_on < timezone.localdate():
        errors["due_on"] = "The due date is in the past."
    if errors:
        raise ValidationError(errors)
    review = AccessReview(name=name, due_on=due_on, started_by=acting_user, schedule=schedule)
    with transaction.atomic():
        grants = list(in_scope(chosen))
        if not grants:
            nothing = "No active grants on these systems: nothing to review."
            raise ValidationError({"systems": nothing})
        review.number = next_number(AccessReview.NUMBER_PREFIX)
        review.save()
        review.systems.set(chosen)
        items = [
            ReviewItem(review=review, entitlement=grant, reviewer=reviewer_for(grant, acting_user))
            for grant in grants
        ]
        ReviewItem.objects.bulk_create(items)
        created = {
            "name": (None, name), "due_on": (None, due_on), "schedule": (None, schedule),
            "systems": (None, [system.number for system in chosen] or "all"),
            "items": (None, len(items)),
        }  # fmt: skip
        record_change(review, action="created", actor=acting_user, channel=channel, changes=created)
        waiting = Counter(item.reviewer for item in items)
        for reviewer, count in waiting.items():
            _tell(reviewer, review, count, "access/email/review_started.txt")
    return review


# --- who sees what --------------------------------------------------------------------------


def reads_all(user: Any) -> bool:
    """Readers of the register (agents, auditors, service owners, access managers) see every
    campaign and item; anyone else only the campaigns they review in, and their own items."""
    return bool(user.has_perm(AccessPermission.VIEW_REGISTER))


def reviews_for(user: Any) -> QuerySet[AccessReview]:
    """The campaigns ``user`` may read; refused outright to someone who reviews nothing."""
    reviews = AccessReview.objects.select_related("started_by", "closed_by", "schedule")
    if reads_all(user):
        return reviews
    reviewed = ReviewItem.objects.filter(reviewer=user)
    if not reviewed.exists():
        raise PermissionDenied("Access reviews are for the register's readers and reviewers.")
    return reviews.filter(pk__in=reviewed.values("review_id"))


def with_counts(rows: QuerySet[AccessReview], user: Any) -> QuerySet[AccessReview]:
    """Each campaign with ``item_count`` and ``pending_count`` (undecided): of all its grants
    for a reader, of their own for a reviewer."""
    mine = Q() if reads_all(user) else Q(items__reviewer=user)
    pending = mine & Q(items__decision=ReviewDecision.PENDING)
    return rows.annotate(
        item_count=Count("items", filter=mine), pending_count=Count("items", filter=pending)
    )


def review_for(user: Any, number: str) -> AccessReview:
    """The campaign ``number``: 404 when there is none, 403 when ``user`` may not read it."""
    review = reviews_for(user).filter(number=number.upper()[:16]).first()
    if review is None:
        if AccessReview.objects.filter(number=number.upper()[:16]).exists():
            raise PermissionDenied("Only the register's readers and its reviewers see it.")
        raise Http404("No such access review.")
    return review


def items_for(review: AccessReview, user: Any) -> QuerySet[ReviewItem]:
    """The campaign's items ``user`` sees: all for readers, else those they review."""
    items = review.items.select_related(
        "review", "reviewer", "decided_by", "entitlement__role__system", "entitlement__holder",
        "entitlement__granted_by",
    ).order_by(
        "entitlement__role__system__name", "entitlement__role__name",
        "entitlement__holder__username", "pk",
    )  # fmt: skip
    return items if reads_all(user) else items.filter(reviewer=user)


# --- deciding, closing ----------------------------------------------------------------------


def may_decide(user: Any, item: ReviewItem) -> bool:
    """The reviewer, or an access manager on their behalf."""
    return bool(user.pk == item.reviewer_id or user.has_perm(AccessPermission.MANAGE))


def decide(
    item: ReviewItem,
    acting_user: Any,
    confirm: bool,
    comment: str = "",
    *,
    channel: str = Channel.WEB,
) -> ReviewItem:
    """Confirm or revoke one grant (revoking needs a comment and ends the grant, in the same
    transaction). The campaign must be open, the item undecided and the grant still active."""
    if not may_decide(acting_user, item):
        raise PermissionDenied("Only the reviewer, or an access manager on their behalf, decides.")
    comment = comment.strip()
    if not confirm and not comment:
        raise ValidationError({"comment": "Say why the grant is revoked."})
    with transaction.atomic():
        review = AccessReview.objects.select_for_update().get(pk=item.review_id)
        current = ReviewItem.objects.select_for_update().select_related("reviewer").get(pk=item.pk)
        grant = (
            Entitlement.objects.select_for_update()
            .select_related("role")
            .get(pk=current.entitlement_id)
        )
        _check_decidable(review, current, grant)
        if not confirm:
            actions.revoke(
                grant, acting_user=acting_user, channel=channel, reviewer=True,
                reason=f"Access review {review.number}: {comment}",
            )  # fmt: skip
        decision = ReviewDecision.CONFIRMED if confirm else ReviewDecision.REVOKED
        current.decision, current.comment = decision, comment
        current.decided_by, current.decided_at = acting_user, timezone.now()
        current.save(update_fields=["decision", "comment", "decided_by", "decided_at"])
        recorded = {"decision": decision, "reviewer": current.reviewer.username, "comment": comment}
        if acting_user.pk != current.reviewer_id:
            recorded["on_behalf_of"] = current.reviewer.username
        changes = {f"items.{grant.number}": (ReviewDecision.PENDING, recorded)}
        record_change(review, action="decided", actor=acting_user, channel=channel, changes=changes)
    return current


def _check_decidable(review: AccessReview, item: ReviewItem, grant: Entitlement) -> None:
    if review.state != ReviewState.OPEN:
        raise ValidationError({"state": f"{review.number} is closed: no more decisions."})
    if item.decision != ReviewDecision.PENDING:
        label = ReviewDecision(item.decision).label.lower()
        raise ValidationError({"decision": f"{grant.number} was already {label}."})
    if grant.state != EntitlementState.ACTIVE:
        state = EntitlementState(grant.state).label.lower()
        raise ValidationError(
            {"entitlement": f"{grant.number} has ended meanwhile ({state}): nothing to decide."}
        )


def close(
    review: AccessReview,
    acting_user: Any,
    *,
    expected_version: int | None = None,
    channel: str = Channel.WEB,
) -> AccessReview:
    """Close a campaign (access managers): undecided items stay "not reviewed" in the report."""
    require_permission(acting_user, AccessPermission.MANAGE)
    with transaction.atomic():
        current: AccessReview = lock_current(review, expected_version)
        if current.state != ReviewState.OPEN:
            raise ValidationError({"state": f"{current.number} is already closed."})
        now = timezone.now()
        changes = {
            "state": (current.state, ReviewState.CLOSED),
            "closed_at": (None, now),
            "closed_by": (None, acting_user),
        }
        current.state, current.closed_at, current.closed_by = ReviewState.CLOSED, now, acting_user
        pending = current.items.filter(decision=ReviewDecision.PENDING).count()
        save_versioned(
            current, changes, action="closed", acting_user=acting_user, channel=channel,
            notes={"not_reviewed": (None, pending)},
        )  # fmt: skip
    return current


def remind(now: dt.datetime | None = None) -> int:
    """Remind each reviewer who still has grants to review in an open campaign, at most once in
    24 hours per campaign (the invitation counts as the first message); how many were sent."""
    now = now or timezone.now()
    since = now - REMIND_EVERY
    waiting = ReviewItem.objects.filter(
        review__state=ReviewState.OPEN,
        review__created_at__lte=since,
        decision=ReviewDecision.PENDING,
    ).exclude(reminded_at__gt=since)
    pairs = waiting.values_list("review_id", "reviewer_id").distinct()
    pairs = pairs.order_by("review_id", "reviewer_id")
    return sum(_remind(review_id, reviewer_id, since, now) for review_id, reviewer_id in pairs)


def _remind(review_id: int, reviewer_id: int, since: dt.datetime, now: dt.datetime) -> int:
    """One reminder, re-read under lock: two schedulers never send it twice."""
    with transaction.atomic():
        open_ = AccessReview.objects.select_for_update().filter(state=ReviewState.OPEN)
        review = open_.filter(pk=review_id).first()
        if review is None:
            return 0
        pending = ReviewItem.objects.select_for_update(of=("self",)).filter(
            review=review, reviewer_id=reviewer_id, decision=ReviewDecision.PENDING
        )
        rows = list(pending.select_related("reviewer"))
        if not rows or any(row.reminded_at and row.reminded_at > since for row in rows):
            return 0
        ReviewItem.objects.filter(pk__in=[row.pk for row in rows]).update(reminded_at=now)
        overdue = review.due_on < timezone.localdate(now)
        _tell(rows[0].reviewer, review, len(rows), "access/email/review_reminder.txt", overdue)
    return 1


def _tell(
    reviewer: Any, review: AccessReview, count: int, template: str, overdue: bool = False
) -> None:
    grants = "grant waits" if count == 1 else "grants wait"
    if template.endswith("started.txt"):
        subject = f"Access review {review.number}: {count} {grants} for you by {review.due_on}"
    elif overdue:
        subject = f"Overdue: access review {review.number}, {count} {grants} for you"
    else:
        subject = f"Reminder: access review {review.number}, {count} {grants} for you"
    link = reverse("access:review", args=[review.number])
    context = {"review": review, "count": count, "overdue": overdue, "link": link}
    notify([reviewer], kind=KIND, subject=subject, template=template, context=context, url=link)
