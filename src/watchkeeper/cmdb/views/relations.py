"""The relation editor of the CI page: add a relation, remove one, the suggestions the "other
item" field shows as people type (an htmx-filled ``<datalist>``), and a service's users.

Relations are written by ``cmdb.actions`` and recorded in the source item's history. The forms
post normally (then redirect back to the CI page), so they work without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views import View

from watchkeeper.cmdb import actions
from watchkeeper.cmdb.forms import LEADING_NUMBER, RelationForm, SubscribersForm
from watchkeeper.cmdb.lookup import ci_or_404
from watchkeeper.cmdb.models import ConfigurationItem, Relation
from watchkeeper.cmdb.views.items import (
    ActionError,
    ManageCisMixin,
    ViewCisMixin,
    acting_user,
    apply_errors,
    message_of,
    render_detail,
    status_of,
)
from watchkeeper.core import search

SUGGESTIONS = 10


class RelationAddView(ManageCisMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        ci = ci_or_404(number)
        form = RelationForm(request.POST, ci=ci)
        if not form.is_valid():
            return render_detail(request, ci, 400, relation_form=form)
        data = form.cleaned_data
        other = data["other"]
        source, target = (ci, other) if data["direction"] == "source" else (other, ci)
        try:
            relation = actions.add_relation(
                source, data["type"], target, acting_user=acting_user(request)
            )
        except ActionError as error:
            apply_errors(form, error)
            if form.has_error("target"):
                form.add_error("other", message_of(error))
            return render_detail(request, ci, status_of(error), relation_form=form)
        messages.success(request, f"Related: {relation}.")
        return redirect("cmdb:detail", number=ci.number)


class RelationRemoveView(ManageCisMixin, View):
    def post(self, request: HttpRequest, number: str, relation_id: int) -> HttpResponse:
        ci = ci_or_404(number)
        relations = Relation.objects.select_related("source", "target")
        relation = get_object_or_404(relations.filter(Q(source=ci) | Q(target=ci)), pk=relation_id)
        try:
            actions.remove_relation(relation, acting_user=acting_user(request))
        except ActionError as error:
            if isinstance(error, PermissionDenied):
                raise
            messages.error(request, message_of(error))
            return redirect("cmdb:detail", number=ci.number)
        messages.success(request, f"Relation removed: {relation}.")
        return redirect("cmdb:detail", number=ci.number)


class SubscribersView(ManageCisMixin, View):
    """Replace the users of a service (the page's "Users of this service" card)."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        ci = ci_or_404(number)
        if not ci.is_service:
            raise Http404("Only services have users.")
        form = SubscribersForm(request.POST)
        if not form.is_valid():
            return render_detail(request, ci, 400, subscribers_form=form)
        users = form.cleaned_data["subscribers"]
        actions.set_subscribers(ci, users, acting_user=acting_user(request))
        messages.success(request, f"{len(users)} user{pluralize(len(users))} of {ci.name} saved.")
        return redirect("cmdb:detail", number=ci.number)


class SuggestView(ViewCisMixin, View):
    """Up to ten items matching what was typed (number or words), as ``<option>`` elements."""

    def get(self, request: HttpRequest) -> HttpResponse:
        text = (request.GET.get("other") or request.GET.get("q") or "").strip()[:100]
        items: list[ConfigurationItem] = []
        found: QuerySet[ConfigurationItem]
        number = LEADING_NUMBER.match(text)
        if number:
            found = ConfigurationItem.objects.filter(number__startswith=number.group(1).upper())
            items = list(found.order_by("number")[:SUGGESTIONS])
        elif text:
            found = search.matching(ConfigurationItem.objects.order_by("name", "pk"), text)
            items = list(found[:SUGGESTIONS])
        return render(request, "cmdb/_suggestions.html", {"items": items})
