"""The alert console: the live list (its rows re-fetched by htmx every 10 s), one alert's page,
and the POST endpoints of the actions, which work without JavaScript (post, then redirect).

Reading needs ``events.view``; acting needs ``events.work`` (403 otherwise). The views only read
and call ``events.actions``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from watchkeeper.cmdb.views.impact import linked_impact
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict, ValidationError, message_of
from watchkeeper.core.history import history_of
from watchkeeper.events import actions, spool
from watchkeeper.events.choices import LIVE_STATUSES, AlertStatus, Severity
from watchkeeper.events.models import Alert, EventSource
from watchkeeper.events.permissions import EventPermission
from watchkeeper.events.queries import AlertFilters, alert_list, noise
from watchkeeper.incidents.models import Incident

#: The console shows this many alerts, worst first; narrow the filters to see others.
ROWS = 200
EVENTS_SHOWN = 100
#: The shelving choices the console offers, in hours.
SHELVE_HOURS = {1: "1 h", 4: "4 h", 24: "1 day"}


class ViewMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = EventPermission.VIEW


class WorkMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = EventPermission.WORK


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Live (not closed)"), *AlertStatus.choices]
    )
    severity = forms.ChoiceField(required=False, choices=[("", "Any"), *Severity.choices[:-1]])
    source = forms.ChoiceField(required=False, choices=[("", "Any")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = EventSource.objects.values_list("name", flat=True)
        source = self.fields["source"]
        assert isinstance(source, forms.ChoiceField)
        source.choices = [("", "Any"), *((name, name) for name in names)]

    def filters(self) -> AlertFilters:
        data = self.cleaned_data if self.is_valid() else {}
        status = data.get("status")
        return AlertFilters(
            status=[status] if status else LIVE_STATUSES,
            severity=[data["severity"]] if data.get("severity") else (),
            source=data.get("source") or "",
        )


def _rows_context(request: HttpRequest) -> dict[str, Any]:
    form = FilterForm(request.GET)
    alerts = list(alert_list(form.filters())[: ROWS + 1])
    return {
        "form": form,
        "alerts": alerts[:ROWS],
        "more": len(alerts) > ROWS,
        "spool_waiting": spool.waiting()[1],
        "spool_failed": len(spool.failed()),
        "can_work": request.user.has_perm(EventPermission.WORK),
        "shelve_hours": SHELVE_HOURS,
        "next": request.get_full_path(),
        "query": request.GET.urlencode(),
    }


class ConsoleView(ViewMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        context = _rows_context(request)
        context["noise"] = noise(7)
        return render(request, "events/console.html", context)


class ConsoleRowsView(ViewMixin, View):
    """The list's rows alone, for htmx to swap in every 10 seconds."""

    def get(self, request: HttpRequest) -> HttpResponse:
        context = _rows_context(request)
        context["next"] = f"{reverse('events:console')}?{context['query']}"
        return render(request, "events/_alert_rows.html", context)


def _alert(number: str) -> Alert:
    related = Alert.objects.select_related("source", "configuration_item", "incident")
    alert = related.filter(number=number).first()
    if alert is None:
        raise Http404(f"No alert {number}.")
    return alert


class AlertView(ViewMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        alert = _alert(number)
        context = {
            "alert": alert,
            "events": alert.events.order_by("-occurred_at", "-id")[:EVENTS_SHOWN],
            "history": list(history_of(alert).select_related("actor")),
            "can_work": request.user.has_perm(EventPermission.WORK),
            "shelve_hours": SHELVE_HOURS,
            "next": request.get_full_path(),
            **linked_impact(request.user, alert),
        }
        return render(request, "events/alert.html", context)


def _back(request: HttpRequest, alert: Alert) -> HttpResponse:
    """Back where the form was (the console or the alert page), never off the site."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    if safe and target.startswith("/events/"):
        return redirect(target)
    return redirect("events:alert", alert.number)


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def _shelve_until(request: HttpRequest) -> dt.datetime:
    hours = request.POST.get("hours", "")
    if not hours.isdigit() or int(hours) not in SHELVE_HOURS:
        raise ValidationError({"hours": "Choose how long to shelve the alert for."})
    return timezone.now() + dt.timedelta(hours=int(hours))


def _linked_incident(request: HttpRequest) -> Incident:
    number = request.POST.get("incident", "").strip().upper()
    incident = Incident.objects.restrict(request.user).filter(number=number).first()
    if incident is None:
        raise ValidationError({"incident": f"There is no incident {number!r} that you may see."})
    return incident


def _perform(request: HttpRequest, alert: Alert, move: str) -> str:
    """Call the action ``move`` names; return what to tell the user."""
    user = get_user(request)
    common: dict[str, Any] = {
        "acting_user": user, "channel": Channel.WEB, "expected_version": _version(request),
    }  # fmt: skip
    if move == "acknowledge":
        actions.acknowledge(alert, **common)
        return f"{alert.number} acknowledged."
    if move == "unacknowledge":
        actions.unacknowledge(alert, **common)
        return f"{alert.number} is open again."
    if move == "shelve":
        shelved = actions.shelve(alert, until=_shelve_until(request), **common)
        return f"{alert.number} shelved until {shelved.shelved_until:%Y-%m-%d %H:%M} UTC."
    if move == "unshelve":
        actions.unshelve(alert, **common)
        return f"{alert.number} is back on the console."
    if move == "close":
        actions.close(alert, note=request.POST.get("note", ""), **common)
        return f"{alert.number} closed."
    if move == "link":
        incident = _linked_incident(request)
        actions.link_incident(alert, incident, **common)
        return f"{alert.number} linked to {incident.number}."
    if move == "unlink":
        actions.unlink_incident(alert, **common)
        return f"{alert.number} unlinked from its incident."
    raise Http404(f"No action {move!r}.")


class AlertActionView(WorkMixin, View):
    """An action's form: the change, or why not, is said on the page the form came from."""

    def post(self, request: HttpRequest, number: str, move: str) -> HttpResponse:
        alert = _alert(number)
        try:
            messages.success(request, _perform(request, alert, move))
        except (ValidationError, Conflict) as error:
            messages.error(request, message_of(error))
        return _back(request, alert)
