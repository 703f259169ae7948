"""The incident record in the workspace: fields, activity stream, actions, inline editing.

Forms post with htmx (``hx-post``, the page's ``#record`` swapped in place) and work without
JavaScript too (post, redirect). Each carries the version the user saw, so a concurrent change
is refused with a clear conflict message (409) instead of being overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views import View

from watchkeeper.cmdb.views.impact import linked_impact
from watchkeeper.core.history import history_of
from watchkeeper.incidents import actions
from watchkeeper.incidents.actions.major import REVIEW_FIELDS
from watchkeeper.incidents.choices import IncidentState
from watchkeeper.incidents.forms import (
    ActivityForm,
    AssigneeField,
    AssignForm,
    DeclareMajorForm,
    FieldsForm,
    HoldForm,
    MajorUpdateForm,
    ParentForm,
    PriorityForm,
    ReasonForm,
    RelatedForm,
    ResolveForm,
    ReviewForm,
    StaffAttachmentForm,
    TagsForm,
    VersionedForm,
    WatchListForm,
)
from watchkeeper.incidents.lifecycle import TRANSITIONS
from watchkeeper.incidents.models import Incident, PostIncidentReview
from watchkeeper.incidents.permissions import IncidentPermission
from watchkeeper.incidents.views._common import (
    acting_user,
    can_work,
    desk_incident,
    own_incidents,
    run_action,
)
from watchkeeper.knowledge.deflection import resolution_notes
from watchkeeper.knowledge.views_suggest import desk_card
from watchkeeper.sla.permissions import SlaPermission
from watchkeeper.sla.presentation import record_clocks

ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")
#: History entries shown as their own item in the stream, so not repeated as history.
SHOWN_ELSEWHERE = {"comment_added", "work_note_added", "attachment_added"}


def _display(field_name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict) and "label" in value:
        return str(value["label"])
    if isinstance(value, list):
        return ", ".join(_display(field_name, item) for item in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        choices = getattr(Incident._meta.get_field(field_name), "choices", None)
    except FieldDoesNotExist:
        choices = None
    if choices:
        value = dict(choices).get(value, value)
    text = str(value)
    if ISO_DATETIME.match(text):
        moment = dt.datetime.fromisoformat(text)
        return date_format(timezone.localtime(moment), "Y-m-d H:i")
    return text if len(text) <= 200 else text[:199] + "…"


def _label(field_name: str) -> str:
    try:
        field = Incident._meta.get_field(field_name)
        return str(getattr(field, "verbose_name", field_name)).capitalize()
    except FieldDoesNotExist:
        return field_name.replace("_", " ").capitalize()


def activity_stream(incident: Incident) -> list[dict[str, Any]]:
    """Comments, work notes, attachments and history entries, newest first."""
    items: list[dict[str, Any]] = []
    for activity in incident.activities.select_related("author"):
        items.append(
            {"at": activity.created_at, "type": activity.kind, "who": str(activity.author),
             "html": activity.body_html, "internal": activity.is_internal}
        )  # fmt: skip
    for attachment in incident.attachments.select_related("uploaded_by"):
        items.append(
            {"at": attachment.created_at, "type": "attachment", "who": str(attachment.uploaded_by),
             "attachment": attachment, "internal": attachment.internal}
        )  # fmt: skip
    for entry in history_of(incident):
        if entry.action in SHOWN_ELSEWHERE:
            continue
        changes = [
            (_label(name), _display(name, pair.get("old")), _display(name, pair.get("new")))
            for name, pair in entry.changes.items()
            if isinstance(pair, dict)
        ]
        items.append(
            {"at": entry.at, "type": "history", "who": entry.actor_label, "internal": False,
             "action": entry.action.replace("_", " ").capitalize(), "changes": changes,
             "channel": entry.get_channel_display()}
        )  # fmt: skip
    items.sort(key=lambda item: item["at"], reverse=True)
    return items


def record_context(request: HttpRequest, incident: Incident, **forms: Any) -> dict[str, Any]:
    version = {"version": incident.version}
    watchers = list(incident.watch_list.values_list("username", flat=True))
    tags = list(incident.tags.values_list("name", flat=True))
    review = PostIncidentReview.objects.filter(incident=incident).first()
    allowed = TRANSITIONS[incident.state]
    defaults: dict[str, django_forms.Form] = {
        "fields_form": FieldsForm(
            initial={
                **version,
                **{
                    name: getattr(incident, name)
                    for name in FieldsForm.base_fields
                    if name != "version"
                },
            }
        ),
        "activity_form": ActivityForm(),
        "attachment_form": StaffAttachmentForm(),
        "assign_form": AssignForm(
            initial={
                **version,
                "group": incident.assignment_group_id,
                "assignee": incident.assignee_id,
            }
        ),
        "hold_form": HoldForm(initial=version),
        "resolve_form": ResolveForm(initial={**version, "notes": resolution_notes(incident)}),
        "reopen_form": ReasonForm(initial=version),
        "cancel_form": ReasonForm(initial=version),
        "version_form": VersionedForm(initial=version),
        "major_form": DeclareMajorForm(initial=version),
        "major_update_form": MajorUpdateForm(),
        "review_form": ReviewForm(
            initial={name: getattr(review, name) for name in REVIEW_FIELDS} if review else None
        ),
        "priority_form": PriorityForm(initial={**version, "priority": incident.priority}),
        "watch_form": WatchListForm(initial={"watchers": ", ".join(sorted(watchers))}),
        "tags_form": TagsForm(initial={"tags": ", ".join(sorted(tags))}),
        "parent_form": ParentForm(
            initial={**version, "parent": incident.parent.number if incident.parent else ""}
        ),
        "related_form": RelatedForm(),
    }
    defaults.update(forms)
    return {
        "incident": incident,
        "stream": activity_stream(incident),
        "can_work": can_work(request.user),
        "can_declare": request.user.has_perm(IncidentPermission.DECLARE_MAJOR),
        "can_start": IncidentState.IN_PROGRESS in allowed and incident.state != "resolved",
        "can_hold": IncidentState.ON_HOLD in allowed,
        "can_resolve": IncidentState.RESOLVED in allowed,
        "can_close": IncidentState.CLOSED in allowed,
        "can_cancel": IncidentState.CANCELED in allowed,
        "can_reopen": incident.state == IncidentState.RESOLVED,
        "review": review,
        "major_updates": incident.major_updates.select_related("author"),
        "watchers": incident.watch_list.all(),
        "tags": sorted(tags),
        "can_override": request.user.has_perm(IncidentPermission.OVERRIDE_PRIORITY),
        "children": incident.children.order_by("number"),
        "related": incident.related.order_by("number"),
        "editing": False,
        "sla_clocks": record_clocks(incident, timezone.now())
        if request.user.has_perm(SlaPermission.VIEW)
        else None,
        **linked_impact(request.user, incident),  # the CI's impact, for those who read the CMDB
        **desk_card(request.user, incident),  # suggested articles and known errors, for staff
        **defaults,
    }


def render_record(
    request: HttpRequest, incident: Incident, status: int = 200, **forms: Any
) -> HttpResponse:
    incident = desk_incident(request, incident.number)  # fresh, with its new version
    context = record_context(request, incident, **forms)
    return render(request, "incidents/desk/record.html", context, status=status)


class RecordMixin(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        number = kwargs.get("number", "")
        if not request.user.has_perm(IncidentPermission.VIEW_ALL):
            if own_incidents(request.user).filter(number=number).exists():
                return redirect("incidents:portal_detail", number=number)
            raise PermissionDenied("The workspace is for the service desk.")
        return super().dispatch(request, *args, **kwargs)


class RecordView(RecordMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        return render_record(request, desk_incident(request, number))


def _finish(request: HttpRequest, incident: Incident, status: int, **forms: Any) -> HttpResponse:
    """htmx gets the page to swap in (errors too, with their 4xx); others are redirected."""
    if status == 200 and not request.htmx:  # type: ignore[attr-defined]
        return redirect("incidents:record", number=incident.number)
    return render_record(request, incident, status, **forms)


class FieldsView(RecordMixin, View):
    """Inline editing of the fields: GET the form (an htmx fragment), POST the change."""

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        incident = desk_incident(request, number)
        if not can_work(request.user):
            raise PermissionDenied("Only the service desk can edit incidents.")
        context = record_context(request, incident)
        context["editing"] = True
        template = "incidents/desk/_fields_form.html" if request.htmx else None  # type: ignore[attr-defined]
        return render(request, template or "incidents/desk/record.html", context)

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        incident = desk_incident(request, number)
        form = FieldsForm(request.POST)
        if not form.is_valid():
            return self._invalid(request, incident, form, 400)
        status = run_action(
            request,
            form,
            lambda: actions.update_incident(
                incident,
                acting_user=acting_user(request),
                expected_version=form.cleaned_data["version"],
                **form.values(),
            ),
            f"{number} was saved.",
        )
        if status != 200:
            return self._invalid(request, incident, form, status)
        return _finish(request, incident, status)

    def _invalid(
        self, request: HttpRequest, incident: Incident, form: FieldsForm, status: int
    ) -> HttpResponse:
        fresh = desk_incident(request, incident.number)
        if status == 409:  # keep what they typed, against the version now current
            data = request.POST.copy()
            data["version"] = str(fresh.version)
            form = FieldsForm(data)
            form.is_valid()
        context = record_context(request, fresh, fields_form=form)
        context["editing"] = True
        return render(request, "incidents/desk/record.html", context, status=status)


@dataclass(frozen=True)
class Move:
    form: type[django_forms.Form]
    form_name: str
    call: Callable[[Incident, dict[str, Any], Any], Any]
    done: str
    files: bool = False


def _v(data: dict[str, Any]) -> int | None:
    return data.get("version")


MOVES: dict[str, Move] = {
    "assign": Move(AssignForm, "assign_form", lambda i, d, u: actions.assign(
        i, group=d["group"], assignee=d.get("assignee"), acting_user=u,
        expected_version=_v(d)), "Assigned."),
    "start": Move(VersionedForm, "version_form", lambda i, d, u: actions.start_work(
        i, acting_user=u, expected_version=_v(d)), "Work started."),
    "hold": Move(HoldForm, "hold_form", lambda i, d, u: actions.put_on_hold(
        i, reason=d["reason"], acting_user=u, expected_version=_v(d)), "Put on hold."),
    "resolve": Move(ResolveForm, "resolve_form", lambda i, d, u: actions.resolve(
        i, code=d["code"], notes=d["notes"], acting_user=u, expected_version=_v(d)),
        "Resolved: the caller was told."),
    "reopen": Move(ReasonForm, "reopen_form", lambda i, d, u: actions.reopen(
        i, reason=d["reason"], acting_user=u, expected_version=_v(d)), "Reopened."),
    "close": Move(VersionedForm, "version_form", lambda i, d, u: actions.close(
        i, acting_user=u, expected_version=_v(d)), "Closed."),
    "cancel": Move(ReasonForm, "cancel_form", lambda i, d, u: actions.cancel(
        i, reason=d["reason"], acting_user=u, expected_version=_v(d)), "Canceled."),
    "declare-major": Move(DeclareMajorForm, "major_form", lambda i, d, u: actions.declare_major(
        i, reason=d["reason"], manager=d["manager"], acting_user=u, expected_version=_v(d)),
        "Declared a major incident."),
    "major-update": Move(MajorUpdateForm, "major_update_form",
        lambda i, d, u: actions.post_major_update(
            i, body=d["body"], recipients=d["addresses"], acting_user=u),
        "Update posted and sent."),
    "review": Move(ReviewForm, "review_form", lambda i, d, u: actions.save_review(
        i, acting_user=u, complete=d.pop("complete"), **d), "Review saved."),
    "activity": Move(ActivityForm, "activity_form", lambda i, d, u: (
        actions.add_work_note if d["kind"] == "work_note" else actions.add_comment)(
        i, body=d["body"], acting_user=u), "Added."),
    "attach": Move(StaffAttachmentForm, "attachment_form", lambda i, d, u: actions.add_attachment(
        i, upload=d["file"], internal=d["internal"], acting_user=u), "File attached.", True),
    "priority": Move(PriorityForm, "priority_form", lambda i, d, u: actions.override_priority(
        i, priority=d["priority"], reason=d["reason"], acting_user=u, expected_version=_v(d)),
        "Priority overridden."),
    "watch-list": Move(WatchListForm, "watch_form", lambda i, d, u: actions.set_watch_list(
        i, d["watchers"], acting_user=u), "Watch list saved."),
    "tags": Move(TagsForm, "tags_form", lambda i, d, u: actions.set_tags(
        i, d["tags"], acting_user=u), "Tags saved."),
    "parent": Move(ParentForm, "parent_form", lambda i, d, u: actions.update_incident(
        i, parent=d["parent"], acting_user=u, expected_version=_v(d)), "Parent saved."),
    "relate": Move(RelatedForm, "related_form", lambda i, d, u: actions.relate(
        i, d["related"], acting_user=u), "Related."),
    "unrelate": Move(RelatedForm, "unrelate_form", lambda i, d, u: actions.unrelate(
        i, d["related"], acting_user=u), "Relation removed."),
}  # fmt: skip


class RecordActionView(RecordMixin, View):
    """Every button of the record page: one action each, through ``incidents.actions``."""

    def post(self, request: HttpRequest, number: str, move: str) -> HttpResponse:
        spec = MOVES.get(move)
        if spec is None:
            raise Http404(f"No action {move!r}.")
        incident = desk_incident(request, number)
        if not can_work(request.user):
            raise PermissionDenied("Only the service desk can change incidents.")
        form = spec.form(request.POST, request.FILES) if spec.files else spec.form(request.POST)
        if not form.is_valid():
            return render_record(request, incident, 400, **{spec.form_name: form})
        data = dict(form.cleaned_data)
        if isinstance(form, MajorUpdateForm):
            data["addresses"] = form.addresses()
        user = acting_user(request)
        status = run_action(request, form, lambda: spec.call(incident, data, user), spec.done)
        if status != 200:
            return render_record(request, incident, status, **{spec.form_name: form})
        return _finish(request, incident, status)


class AssigneeOptionsView(LoginRequiredMixin, View):
    """The assignee ``<select>`` for ``?group=<id>``: that group's members (htmx swaps it in
    when the group changes). An unknown or inactive group answers 400 with an empty list."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not can_work(request.user):
            raise PermissionDenied("Only the service desk assigns incidents.")
        raw = request.GET.get("group", "")
        form = AssignForm(initial={"group": raw})
        assignee = form.fields["assignee"]
        assert isinstance(assignee, AssigneeField)
        status = 200
        if raw and assignee.group is None:
            status = 400
            assignee.choices = [("", "— choose an active group first —")]
        context = {"field": form["assignee"]}
        return render(request, "incidents/desk/_assignee_select.html", context, status=status)
