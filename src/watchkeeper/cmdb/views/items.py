"""The CI list, the CI page, and the forms that create and edit items.

Reading needs ``cmdb.view_cis`` (every staff role); changing needs ``cmdb.manage_cis`` (service
and change managers). Every change goes through ``cmdb.actions``; the edit form carries the
version the user saw, so a concurrent change is refused with a clear message (409).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from watchkeeper.accounts.models import User
from watchkeeper.cmdb import actions
from watchkeeper.cmdb.choices import RELATION_INVERSE_LABELS, CiClass, Criticality, RelationType
from watchkeeper.cmdb.classes import spec_of
from watchkeeper.cmdb.forms import (
    CiFilterForm,
    CiForm,
    RelationForm,
    SubscribersForm,
    field_for_error,
)
from watchkeeper.cmdb.lookup import ci_or_404
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.cmdb.views.backups import backups_context
from watchkeeper.cmdb.views.impact import impact_context
from watchkeeper.core import search
from watchkeeper.core.errors import Conflict, message_of, status_of
from watchkeeper.core.history_rows import history_rows
from watchkeeper.events.choices import LIVE_STATUSES
from watchkeeper.events.permissions import EventPermission
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.permissions import IncidentPermission

PAGE_SIZE = 50
INCIDENTS_SHOWN = 20
ALERTS_SHOWN = 10
SUBSCRIBERS_SHOWN = 10
RELATIONS_SHOWN = 100
ActionError = (ValidationError, PermissionDenied, Conflict)
#: Sort keys; names sort without regard to case on both databases.
SORTS: dict[str, F | Lower] = {
    "name": Lower("name"), "number": F("number"), "ci_class": F("ci_class"),
    "status": F("status"), "criticality": F("criticality_rank"), "updated": F("updated_at"),
}  # fmt: skip
CRITICALITY_RANK = Case(
    *(When(criticality=value, then=Value(rank)) for rank, value in enumerate(Criticality.values)),
    default=Value(0),
    output_field=IntegerField(),
)

HISTORY_LABELS = {
    "ci_class": "Class",
    "ip_address": "IP address",
    "restore_test_days": "Restore test every (days)",
}


class ViewCisMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Anonymous users go to the login page; users without the permission get a 403 page."""

    permission_required = CmdbPermission.VIEW_CIS


class ManageCisMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = CmdbPermission.MANAGE_CIS


def acting_user(request: HttpRequest) -> User:
    """The user itself, not the lazy proxy ``request.user`` (actions use its model)."""
    user = get_user(request)
    assert isinstance(user, User)
    return user


def apply_errors(form: forms.Form, error: Exception) -> None:
    """Each of an action's errors beside the field it names; the rest at the top of the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for key, texts in error.message_dict.items():
            form.add_error(field_for_error(form, key), texts)
    else:
        form.add_error(None, message_of(error))


# --- the list --------------------------------------------------------------------------------


def filtered(form: CiFilterForm) -> QuerySet[ConfigurationItem]:
    data = form.cleaned_data if form.is_valid() else {}
    items: QuerySet[ConfigurationItem] = ConfigurationItem.objects.select_related("support_group")
    for name in ("ci_class", "status", "environment", "criticality"):
        if data.get(name):
            items = items.filter(**{name: data[name]})
    if data.get("support_group") is not None:
        items = items.filter(support_group=data["support_group"])
    sort = data.get("sort") or "name"
    if sort.lstrip("-") == "criticality":
        items = items.annotate(criticality_rank=CRITICALITY_RANK)
    key = SORTS[sort.lstrip("-")]
    first = key.desc() if sort.startswith("-") else key.asc()
    items = items.order_by(first, Lower("name"), "pk")
    if data.get("q"):
        items = search.matching(items, data["q"])
    return items


class CiListView(ViewCisMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = CiFilterForm(request.GET)
        page = Paginator(filtered(form), PAGE_SIZE).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "filtered": any(value for key, value in request.GET.items() if key != "page"),
            "can_manage": request.user.has_perm(CmdbPermission.MANAGE_CIS),
        }
        return render(request, "cmdb/list.html", context)


# --- create and edit -------------------------------------------------------------------------


def render_form(
    request: HttpRequest, form: CiForm, ci: ConfigurationItem | None, status: int = 200
) -> HttpResponse:
    """The form page; choosing another class re-renders its attributes in place (htmx)."""
    form.fields["ci_class"].widget.attrs.update(
        {
            "hx-post": request.path,
            "hx-trigger": "change",
            "hx-target": "#ci-attributes",
            "hx-select": "#ci-attributes",
            "hx-swap": "outerHTML",
            "hx-vals": '{"refresh": "1"}',
        }
    )
    context = {"form": form, "ci": ci, "spec_label": CiClass(form.chosen_class).label}
    return render(request, "cmdb/form.html", context, status=status)


def refreshed(request: HttpRequest, ci: ConfigurationItem | None) -> CiForm:
    """The form again with what was typed, for another class: nothing saved, no errors yet."""
    typed = request.POST.dict()
    typed.pop("refresh", None)
    return CiForm(initial=typed, instance=ci)


class CiCreateView(ManageCisMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {"ci_class": request.GET.get("ci_class", "")}
        return render_form(request, CiForm(initial=initial), None)

    def post(self, request: HttpRequest) -> HttpResponse:
        if "refresh" in request.POST:
            return render_form(request, refreshed(request, None), None)
        form = CiForm(request.POST)
        if form.is_valid():
            values = form.values()
            values.pop("ci_class")
            try:
                ci = actions.create_ci(
                    ci_class=form.chosen_class, acting_user=acting_user(request), **values
                )
            except ActionError as error:
                apply_errors(form, error)
                return render_form(request, form, None, status_of(error))
            messages.success(request, f"{ci.number} {ci.name} was created.")
            return redirect("cmdb:detail", number=ci.number)
        return render_form(request, form, None, 400)


class CiEditView(ManageCisMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        ci = ci_or_404(number)
        return render_form(request, CiForm.for_item(ci), ci)

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        ci = ci_or_404(number)
        if "refresh" in request.POST:
            return render_form(request, refreshed(request, ci), ci)
        form = CiForm(request.POST, instance=ci)
        if not form.is_valid():
            return render_form(request, form, ci, 400)
        try:
            changes = actions.update_ci(
                ci,
                form.values(),
                acting_user=acting_user(request),
                expected_version=form.cleaned_data.get("version"),
            )
        except ActionError as error:
            return self._refused(request, ci, form, error)
        messages.success(request, f"{ci.number} was saved." if changes else "Nothing changed.")
        return redirect("cmdb:detail", number=ci.number)

    def _refused(
        self, request: HttpRequest, ci: ConfigurationItem, form: CiForm, error: Exception
    ) -> HttpResponse:
        if isinstance(error, Conflict):  # keep what they typed, against the version now current
            fresh = ci_or_404(ci.number)
            data = request.POST.copy()
            data["version"] = str(fresh.version)
            form = CiForm(data, instance=fresh)
            form.is_valid()
            ci = fresh
        apply_errors(form, error)
        return render_form(request, form, ci, status_of(error))


# --- the CI page -----------------------------------------------------------------------------


def relation_rows(ci: ConfigurationItem) -> dict[str, Any]:
    """Both directions, each read from this item: "runs on srv-01", "hosts mail-app"; up to
    ``RELATIONS_SHOWN`` each (a core switch may connect hundreds), the rest counted."""
    outgoing = ci.outgoing.select_related("target").order_by("type", "target__name", "pk")
    incoming = ci.incoming.select_related("source").order_by("type", "source__name", "pk")
    shown_out, shown_in = list(outgoing[:RELATIONS_SHOWN]), list(incoming[:RELATIONS_SHOWN])
    return {
        "outgoing": [
            {"relation": r, "verb": RelationType(r.type).label, "other": r.target}
            for r in shown_out
        ],
        "incoming": [
            {"relation": r, "verb": RELATION_INVERSE_LABELS[r.type], "other": r.source}
            for r in shown_in
        ],
        "outgoing_more": outgoing.count() - len(shown_out)
        if len(shown_out) == RELATIONS_SHOWN
        else 0,
        "incoming_more": incoming.count() - len(shown_in)
        if len(shown_in) == RELATIONS_SHOWN
        else 0,
    }


def open_incidents(ci: ConfigurationItem, user: Any) -> list[Incident]:
    incidents = (
        Incident.objects.restrict(user).open().filter(Q(configuration_item=ci) | Q(service=ci))
    )
    return list(incidents.order_by("priority", "-created_at")[:INCIDENTS_SHOWN])


def recent_alerts(ci: ConfigurationItem, user: Any) -> list[Any] | None:
    """The item's latest alerts, live first (None: the user may not see alerts)."""
    if not user.has_perm(EventPermission.VIEW):
        return None
    live = Case(When(status__in=LIVE_STATUSES, then=0), default=1)
    alerts = ci.alerts.select_related("source").order_by(live, "-last_seen")
    return list(alerts[:ALERTS_SHOWN])


def _subscribers_form(ci: ConfigurationItem) -> SubscribersForm | None:
    if not ci.is_service:
        return None
    names = ci.subscribers.filter(is_active=True).order_by("username")
    initial = ", ".join(names.values_list("username", flat=True))
    return SubscribersForm(initial={"subscribers": initial})


def detail_context(request: HttpRequest, ci: ConfigurationItem, **forms: Any) -> dict[str, Any]:
    user = request.user
    spec = spec_of(ci.ci_class)
    subscribers = ci.subscribers.filter(is_active=True).order_by("username")
    return {
        "ci": ci,
        "attributes": [(a.label, (ci.attributes or {}).get(a.name)) for a in spec.attributes],
        **relation_rows(ci),
        "can_manage": user.has_perm(CmdbPermission.MANAGE_CIS),
        "can_see_incidents": user.has_perm(IncidentPermission.VIEW_ALL),
        "relation_form": forms.get("relation_form") or RelationForm(ci=ci),
        "subscribers_form": forms.get("subscribers_form") or _subscribers_form(ci),
        "incidents": open_incidents(ci, user),
        "alerts": recent_alerts(ci, user),
        "subscriber_count": subscribers.count() if ci.is_service else 0,
        "subscribers": list(subscribers[:SUBSCRIBERS_SHOWN]) if ci.is_service else [],
        "history": history_rows(ci, HISTORY_LABELS),
        **impact_context(ci),
        **backups_context(ci, user),
    }


def render_detail(
    request: HttpRequest, ci: ConfigurationItem, status: int = 200, **forms: Any
) -> HttpResponse:
    context = detail_context(request, ci_or_404(ci.number), **forms)
    return render(request, "cmdb/detail.html", context, status=status)


class CiDetailView(ViewCisMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        return render_detail(request, ci_or_404(number))
