"""Choices shared by every app: each a ``TextChoices`` with a label and a UI colour."""

from django.db import models


class Channel(models.TextChoices):
    """Through which door a change came in; kept on every history entry."""

    WEB = "web", "Web"
    PORTAL = "portal", "Portal"
    API = "api", "API"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    WALK_IN = "walk_in", "Walk-in"
    EVENT = "event", "Event"
    CLI = "cli", "Command line"
    JOB = "job", "Background job"
    IMPORT = "import", "Import"
    SYSTEM = "system", "System"


COLOURS: dict[str, str] = {
    "grey": "#5f6b7a",
    "blue": "#1d5fbf",
    "green": "#1b7a3d",
    "orange": "#a35200",
    "red": "#b3261e",
    "purple": "#6b3fa0",
}
