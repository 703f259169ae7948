from django.db import models


class Audience(models.TextChoices):
    EVERYONE = "everyone", "Everyone (requesters in the portal, and agents)"
    AGENTS = "agents", "Agents only"


class ArticleState(models.TextChoices):
    """Where the article's current version stands; a published article may have a newer draft."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class VersionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"
    REJECTED = "rejected", "Sent back"


class UseKind(models.TextChoices):
    """How an article was used; deflections are counted from these."""

    SUGGESTED = "suggested", "Suggested while reporting"
    OPENED = "opened", "Opened from a suggestion"
    SOLVED = "solved", "Said it solved the problem"
    ATTACHED = "attached", "Attached to an incident's resolution"
