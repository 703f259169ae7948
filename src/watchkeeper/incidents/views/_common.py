"""What the portal and workspace views share: the acting user, loading incidents, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import Conflict, message_of, status_of
from watchkeeper.core.history import history_of
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.permissions import IncidentPermission

ActionError = (ValidationError, PermissionDenied, Conflict)


def acting_user(request: HttpRequest) -> User:
    """The user itself, not the lazy proxy ``request.user`` (actions use its model)."""
    user = get_user(request)
    assert isinstance(user, User)
    return user


def own_incidents(user: Any) -> Any:
    """What the portal shows anyone: the incidents they called in or watch, never others'."""
    return Incident.objects.filter(Q(caller=user) | Q(watch_list=user)).distinct()


def portal_incident(request: HttpRequest, number: str) -> Incident:
    return get_object_or_404(own_incidents(request.user), number=number)


def desk_incident(request: HttpRequest, number: str) -> Incident:
    if not request.user.has_perm(IncidentPermission.VIEW_ALL):
        raise PermissionDenied("The workspace is for the service desk.")
    queryset = Incident.objects.restrict(request.user).select_related(
        "caller", "opened_by", "category", "subcategory", "service", "assignment_group", "assignee"
    )
    try:
        return queryset.get(number=number)
    except Incident.DoesNotExist:
        raise Http404(f"No incident {number}.") from None


def can_work(user: Any) -> bool:
    return bool(user.has_perm(IncidentPermission.WORK))


def apply_errors(form: forms.Form, error: Exception) -> None:
    """Put an action's errors beside the fields they name, the rest at the top of the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, message_of(error))


def run_action(
    request: HttpRequest, form: forms.Form | None, call: Callable[[], Any], done: str
) -> int:
    """Call an action; on success flash ``done`` and return 200, else show why and return 4xx."""
    try:
        call()
    except ActionError as error:
        if form is not None:
            apply_errors(form, error)
        messages.error(request, message_of(error))
        return status_of(error)
    messages.success(request, done)
    return 200


def state_changes(incident: Incident) -> list[dict[str, Any]]:
    """The incident's state changes (who, when, from, to): all the history a requester sees."""
    changes = []
    for entry in history_of(incident):
        state = entry.changes.get("state")
        if state is None:
            continue
        changes.append(
            {
                "at": entry.at,
                "actor": entry.actor_label,
                "old": _state_label(state.get("old")),
                "new": _state_label(state.get("new")),
            }
        )
    return changes


def _state_label(value: Any) -> str:
    from watchkeeper.incidents.choices import IncidentState

    try:
        return str(IncidentState(value).label)
    except ValueError:
        return ""
