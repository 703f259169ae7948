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


class RequestState(models.TextChoices):
    """A request's state, worked out from its items' (``requests.lifecycle``)."""

    OPEN = "open", "Open"
    CLOSED_COMPLETE = "closed_complete", "Closed complete"
    CLOSED_INCOMPLETE = "closed_incomplete", "Closed incomplete"
    CLOSED_REJECTED = "closed_rejected", "Closed rejected"
    CLOSED_CANCELLED = "closed_cancelled", "Closed cancelled"


class ItemState(models.TextChoices):
    """One requested item's state: approved (or needing no approval), it is fulfilled."""

    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    IN_FULFILMENT = "in_fulfilment", "In fulfilment"
    COMPLETE = "complete", "Complete"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


OPEN_ITEM_STATES = (ItemState.AWAITING_APPROVAL, ItemState.IN_FULFILMENT)


class ApproverKind(models.TextChoices):
    MANAGER = "manager", "The manager of the person it is for"
    GROUP = "group", "The members of a group"
    USER = "user", "One person"
    OWNER = "owner", "The owner (of the access role it grants, else of the catalog item)"


class ApprovalRule(models.TextChoices):
    ANY = "any", "Anyone: the first decision counts"
    ALL = "all", "Everyone must approve"


class ApprovalState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    NOT_NEEDED = "not_needed", "No longer needed"


class TaskState(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"


OPEN_TASK_STATES = (TaskState.OPEN, TaskState.IN_PROGRESS)
