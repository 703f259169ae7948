"""The self-service portal: report an incident, follow your tickets, answer the service desk.

A requester only ever reaches incidents they called in or watch (anything else is a 404), and
never sees a work note or an internal attachment.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from watchkeeper.core.choices import Channel
from watchkeeper.incidents import actions
from watchkeeper.incidents.choices import OPEN_STATES, ActivityKind, IncidentState
from watchkeeper.incidents.forms import AttachmentForm, CommentForm, ReasonForm, ReportForm
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.permissions import IncidentPermission
from watchkeeper.incidents.views._common import (
    ActionError,
    acting_user,
    apply_errors,
    own_incidents,
    portal_incident,
    run_action,
    state_changes,
)
from watchkeeper.knowledge import views_suggest

PAGE_SIZE = 25


class PortalMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = IncidentPermission.REPORT


class ReportView(PortalMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        context = {"form": ReportForm(), **views_suggest.report_extras(request)}
        return render(request, "incidents/portal/report.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ReportForm(request.POST)
        if form.is_valid():
            user = acting_user(request)
            try:
                incident = actions.create_incident(
                    caller=user,
                    short_description=form.cleaned_data["short_description"],
                    acting_user=user,
                    channel=Channel.PORTAL,
                    **form.action_fields(),
                )
            except ActionError as error:
                apply_errors(form, error)
            else:
                views_suggest.mark_submitted(request, incident)
                messages.success(
                    request, f"Thank you: your incident {incident.number} was recorded."
                )
                return redirect("incidents:portal_detail", number=incident.number)
        context = {"form": form, **views_suggest.report_extras(request)}
        return render(request, "incidents/portal/report.html", context, status=400)


class MyTicketsView(PortalMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        show = request.GET.get("show", "open")
        queryset = own_incidents(request.user).select_related("assignment_group")
        if show == "open":
            queryset = queryset.filter(state__in=[*OPEN_STATES, IncidentState.RESOLVED])
        elif show == "closed":
            queryset = queryset.exclude(state__in=[*OPEN_STATES, IncidentState.RESOLVED])
        else:
            show = "all"
        page = Paginator(queryset.order_by("-created_at"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context = {"page": page, "show": show}
        return render(request, "incidents/portal/list.html", context)


def _detail(
    request: HttpRequest, incident: Incident, status: int = 200, **forms: Any
) -> HttpResponse:
    incident.refresh_from_db()
    version = {"version": incident.version}
    context: dict[str, Any] = {
        "incident": incident,
        "comments": incident.activities.filter(kind=ActivityKind.COMMENT).select_related("author"),
        "attachments": incident.attachments.filter(internal=False),
        "state_changes": state_changes(incident),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "reject_form": forms.get("reject_form") or ReasonForm(initial=version),
        "cancel_form": forms.get("cancel_form") or ReasonForm(initial=version),
        "is_caller": incident.caller_id == request.user.pk,
    }
    context["reject_form"].fields["reason"].label = "What is still wrong?"
    context["cancel_form"].fields["reason"].label = "Why cancel it?"
    return render(request, "incidents/portal/detail.html", context, status=status)


class PortalDetailView(PortalMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        return _detail(request, portal_incident(request, number))


class PortalCommentView(PortalMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        incident = portal_incident(request, number)
        form = CommentForm(request.POST)
        if not form.is_valid():
            return _detail(request, incident, 400, comment_form=form)
        status = run_action(
            request,
            form,
            lambda: actions.add_comment(
                incident,
                body=form.cleaned_data["body"],
                acting_user=acting_user(request),
                channel=Channel.PORTAL,
            ),
            "Your comment was added.",
        )
        if status != 200:
            return _detail(request, incident, status, comment_form=form)
        return redirect("incidents:portal_detail", number=number)


class PortalAttachmentView(PortalMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        incident = portal_incident(request, number)
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            return _detail(request, incident, 400, attachment_form=form)
        status = run_action(
            request,
            form,
            lambda: actions.add_attachment(
                incident,
                upload=form.cleaned_data["file"],
                acting_user=acting_user(request),
                channel=Channel.PORTAL,
            ),
            "Your file was attached.",
        )
        if status != 200:
            return _detail(request, incident, status, attachment_form=form)
        return redirect("incidents:portal_detail", number=number)


class PortalConfirmView(PortalMixin, View):
    """The caller confirms the resolution: the incident closes."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        incident = portal_incident(request, number)
        status = run_action(
            request,
            None,
            lambda: actions.close(
                incident, acting_user=acting_user(request), channel=Channel.PORTAL
            ),
            f"Thank you: {number} is closed.",
        )
        if status != 200:
            return _detail(request, incident, status)
        return redirect("incidents:portal_detail", number=number)


class PortalRejectView(PortalMixin, View):
    """The caller rejects the resolution, saying why: the incident reopens."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        return _with_reason(request, number, "reject_form", actions.reopen, "reopened")


class PortalCancelView(PortalMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        return _with_reason(request, number, "cancel_form", actions.cancel, "canceled")


def _with_reason(
    request: HttpRequest, number: str, form_name: str, action: Any, done: str
) -> HttpResponse:
    incident = portal_incident(request, number)
    form = ReasonForm(request.POST)
    form.fields["version"].required = False
    if not form.is_valid():
        return _detail(request, incident, 400, **{form_name: form})
    status = run_action(
        request,
        form,
        lambda: action(
            incident,
            reason=form.cleaned_data["reason"],
            acting_user=acting_user(request),
            channel=Channel.PORTAL,
            expected_version=form.cleaned_data.get("version"),
        ),
        f"{number} was {done}.",
    )
    if status != 200:
        return _detail(request, incident, status, **{form_name: form})
    return redirect("incidents:portal_detail", number=number)
