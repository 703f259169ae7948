"""Major incidents: declaring one, the communication log, the post-incident review."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import require_permission
from watchkeeper.core.history import record_change
from watchkeeper.incidents import notifications
from watchkeeper.incidents.actions._common import apply, changing, require_work, sync
from watchkeeper.incidents.models import Incident, MajorIncidentUpdate, PostIncidentReview
from watchkeeper.incidents.permissions import IncidentPermission

REVIEW_FIELDS = ("summary", "timeline", "root_cause", "lessons_learned", "follow_up_actions")


def declare_major(
    incident: Incident,
    *,
    reason: str,
    manager: Any,
    acting_user: Any,
    channel: str = Channel.WEB,
    expected_version: int | None = None,
) -> Incident:
    require_permission(acting_user, IncidentPermission.DECLARE_MAJOR)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why this is a major incident."})
    if manager is None or not manager.has_perm(IncidentPermission.DECLARE_MAJOR):
        raise ValidationError(
            {"manager": "The major incident manager must be an incident manager."}
        )
    with changing(incident, expected_version) as current:
        if current.is_major:
            raise ValidationError({"reason": f"{current.number} is a major incident already."})
        if not current.is_open:
            raise ValidationError({"state": "Only an open incident can become a major incident."})
        values = {
            "is_major": True,
            "major_reason": reason.strip(),
            "major_manager": manager,
            "major_declared_at": timezone.now(),
        }
        apply(current, values, action="major_declared", acting_user=acting_user, channel=channel)
        PostIncidentReview.objects.get_or_create(incident=current)
    sync(incident, current)
    return incident


def post_major_update(
    incident: Incident,
    *,
    body: str,
    recipients: list[str],
    acting_user: Any,
    channel: str = Channel.WEB,
) -> MajorIncidentUpdate:
    """Log a stakeholder update and e-mail it to the recipients (and the watch list)."""
    require_work(acting_user)
    if not incident.is_major:
        raise ValidationError({"body": f"{incident.number} is not a major incident."})
    if not (body or "").strip():
        raise ValidationError({"body": "Write the update."})
    addresses = sorted({address.strip().lower() for address in recipients if address.strip()})
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {"recipients": f"{address!r} is not an e-mail address."}
            ) from None
    with transaction.atomic():
        update = MajorIncidentUpdate.objects.create(
            incident=incident, author=acting_user, body=body.strip(), recipients=addresses
        )
        changes = {"major_update": (None, body.strip()[:500]), "recipients": (None, addresses)}
        record_change(
            incident,
            action="major_update_posted",
            actor=acting_user,
            channel=channel,
            changes=changes,
        )
        notifications.major_update_posted(update)
    return update


def save_review(
    incident: Incident,
    *,
    acting_user: Any,
    complete: bool = False,
    channel: str = Channel.WEB,
    **values: str,
) -> PostIncidentReview:
    """Edit the post-incident review; completing it needs every section filled in."""
    require_work(acting_user)
    unknown = set(values) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError({field: "Not a section of the review." for field in unknown})
    if not incident.is_major:
        raise ValidationError({"review": f"{incident.number} is not a major incident."})
    with transaction.atomic():
        review, _ = PostIncidentReview.objects.select_for_update().get_or_create(incident=incident)
        changes: dict[str, tuple[Any, Any]] = {
            k: (getattr(review, k), v.strip())
            for k, v in values.items()
            if getattr(review, k) != v.strip()
        }
        for key, (_, value) in changes.items():
            setattr(review, key, value)
        if complete:
            missing = [name for name in REVIEW_FIELDS if not getattr(review, name).strip()]
            if missing:
                raise ValidationError(
                    {name: "Fill this in to complete the review." for name in missing}
                )
            review.completed_at, review.completed_by = timezone.now(), acting_user
            changes["completed_at"] = (None, review.completed_at)
        review.save()
        if changes:
            record_change(
                incident, action="review_saved", actor=acting_user, channel=channel, changes=changes
            )
    return review
