"""Knowledge jobs: the daily reminder of articles due for review (``reminders.remind_due``).

Imported at start (Huey discovers every app's ``tasks``), which also registers the reminder's
notification kind for the profile page."""

from __future__ import annotations

from watchkeeper.core.jobs import periodic
from watchkeeper.knowledge.reminders import remind_due


@periodic("15 6 * * *")
def remind_article_reviews() -> int:
    return remind_due()
