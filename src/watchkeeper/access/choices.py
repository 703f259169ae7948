from django.db import models


class EntitlementState(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class SodMode(models.TextChoices):
    BLOCK = "block", "Refuse the grant"
    APPROVAL = "approval", "Ask the rule's approver for an exception"


class LifecycleKind(models.TextChoices):
    """What a people-lifecycle catalog item does to the register when it is delivered."""

    JOINER = "joiner", "Joiner: grant a profile's roles"
    MOVER = "mover", "Mover: from one profile's roles to another's"
    LEAVER = "leaver", "Leaver: revoke everything on the last day"


class ReviewState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ReviewDecision(models.TextChoices):
    PENDING = "pending", "Not reviewed"
    CONFIRMED = "confirmed", "Confirmed"
    REVOKED = "revoked", "Revoked"
