"""Every write to incidents. Views, the API, e-mail, jobs and importers call only these."""

from watchkeeper.incidents.actions.conversation import add_attachment, add_comment, add_work_note
from watchkeeper.incidents.actions.create import create_incident, create_system_incident
from watchkeeper.incidents.actions.major import declare_major, post_major_update, save_review
from watchkeeper.incidents.actions.relations import relate, unrelate
from watchkeeper.incidents.actions.states import (
    cancel,
    close,
    close_resolved_incidents,
    put_on_hold,
    reopen,
    resolve,
    start_work,
)
from watchkeeper.incidents.actions.update import (
    assign,
    override_priority,
    set_tags,
    set_watch_list,
    update_incident,
)

__all__ = [
    "add_attachment",
    "add_comment",
    "add_work_note",
    "assign",
    "cancel",
    "close",
    "close_resolved_incidents",
    "create_incident",
    "create_system_incident",
    "declare_major",
    "override_priority",
    "post_major_update",
    "put_on_hold",
    "relate",
    "reopen",
    "resolve",
    "save_review",
    "set_tags",
    "set_watch_list",
    "start_work",
    "unrelate",
    "update_incident",
]
