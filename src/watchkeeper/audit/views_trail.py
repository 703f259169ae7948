"""The audit trail browser (``core.view_history``: auditors and administrators): history entries
filtered and newest first, each with its changes, and a record's chain verified on request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from watchkeeper.audit import trail
from watchkeeper.audit.forms import TrailFilterForm
from watchkeeper.core.permissions import CorePermission


def _filters(data: dict[str, Any]) -> trail.TrailFilters:
    return trail.TrailFilters(
        type_id=data.get("type"),
        record=data.get("record") or "",
        actor=data.get("actor") or "",
        action=data.get("action") or "",
        channel=data.get("channel") or "",
        since=data.get("since"),
        until=data.get("until"),
    )


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


class TrailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(CorePermission.VIEW_HISTORY):
            raise PermissionDenied("The audit trail is for auditors and administrators.")
        form = TrailFilterForm(request.GET or None)
        context: dict[str, Any] = {"form": form, "rows": [], "has_next": False, "chain": None}
        status = 200
        if request.GET and not form.is_valid():
            return render(request, "audit/trail.html", context, status=400)
        filters = _filters(form.cleaned_data if request.GET else {})
        number = _page_number(request)
        try:
            found = trail.entries(filters)
            rows, has_next = trail.page_of(found, number)
            if filters.record and request.GET.get("verify"):
                type_id, object_id = trail.find_record(filters.type_id, filters.record)
                context["chain"] = trail.verify_record(type_id, object_id)
        except ValidationError as error:
            for key, texts in error.message_dict.items():
                form.add_error(key if key in form.fields else None, texts)
            return render(request, "audit/trail.html", context, status=400)
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("verify", None)
        context.update(
            rows=trail.describe(rows), has_next=has_next, number=number,
            query=query.urlencode(), can_verify=bool(filters.record),
        )  # fmt: skip
        return render(request, "audit/trail.html", context, status=status)
