from django.db import models


class VariableKind(models.TextChoices):
    """What a catalog item's form asks for (``requests.variables`` checks each answer)."""

    TEXT = "text", "Text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    CHOICE = "choice", "Choice"
    MULTI_CHOICE = "multi_choice", "Multiple choice"
    DATE = "date", "Date"
    CHECKBOX = "checkbox", "Checkbox"
    USER = "user", "User"
    GROUP = "group", "Group"
    CONFIGURATION_ITEM = "configuration_item", "Configuration item"
    ATTACHMENT = "attachment", "Attachment"


#: Kinds whose answer is one of the variable's choices (or several).
CHOICE_KINDS = (VariableKind.CHOICE, VariableKind.MULTI_CHOICE)
