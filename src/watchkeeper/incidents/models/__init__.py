from watchkeeper.incidents.models.activity import Activity, Attachment
from watchkeeper.incidents.models.config import Category, PriorityRule, Tag
from watchkeeper.incidents.models.incident import Incident, IncidentQuerySet
from watchkeeper.incidents.models.major import MajorIncidentUpdate, PostIncidentReview
from watchkeeper.incidents.models.saved_filter import SavedFilter

__all__ = [
    "Activity",
    "Attachment",
    "Category",
    "Incident",
    "IncidentQuerySet",
    "MajorIncidentUpdate",
    "PostIncidentReview",
    "PriorityRule",
    "SavedFilter",
    "Tag",
]
