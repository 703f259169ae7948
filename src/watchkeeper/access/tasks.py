"""Access jobs: grants whose end date passed are ended every hour (``actions.expire_due``);
access reviewers are reminded hourly and review schedules start their campaigns daily."""

from __future__ import annotations

from watchkeeper.access.actions import expire_due
from watchkeeper.core.jobs import periodic


@periodic("7 * * * *")
def expire_entitlements() -> int:
    return expire_due()


@periodic("23 * * * *")
def remind_access_reviewers() -> int:
    """Reviewers with grants still to review hear about it once a day (``reviews.remind``)."""
    from watchkeeper.access.reviews import remind

    return remind()


@periodic("40 0 * * *")
def start_scheduled_access_reviews() -> int:
    """Schedules whose day has come start their campaign (``review_schedules.start_scheduled``)."""
    from watchkeeper.access.review_schedules import start_scheduled

    return len(start_scheduled())
