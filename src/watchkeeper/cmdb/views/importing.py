"""The import page: upload a CSV or JSON file (and a relations CSV), check it, import it.

A dry run (the default) shows the report and what would change; a real import writes only a
file without problems, whole (``cmdb.importing``). Needs ``cmdb.manage_cis``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views import View

from watchkeeper.cmdb.importing import (
    ITEM_COLUMNS,
    MAX_MB,
    ImportFile,
    ImportResult,
    read_upload,
    run_import,
)
from watchkeeper.cmdb.permissions import CmdbPermission
from watchkeeper.core.errors import Conflict

TEMPLATE = "cmdb/import.html"
#: Rows of the report shown on the page (the counts cover all of them).
SHOWN = 500


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Items file (CSV or JSON)",
        help_text=f"At most {MAX_MB} MB. A JSON file may hold relations too.",
    )
    relations = forms.FileField(
        label="Relations file (CSV)",
        required=False,
        help_text="Its header is source,type,target.",
    )
    dry_run = forms.BooleanField(
        label="Dry run: check the file and show what would change, without importing",
        required=False,
        initial=True,
    )


class ImportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = CmdbPermission.MANAGE_CIS

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, ImportForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(request, form, status=400)
        try:
            files = _files(form)
        except ValidationError as error:
            form.add_error("file", error.messages)
            return self.page(request, form, status=400)
        dry_run = form.cleaned_data["dry_run"]
        try:
            result = run_import(files, acting_user=get_user(request), dry_run=dry_run)
        except (PermissionDenied, Conflict) as error:
            form.add_error(None, str(getattr(error, "message", error)))
            return self.page(request, form, status=409 if isinstance(error, Conflict) else 403)
        status = 400 if result.problems else 200
        return self.page(request, form, result, status=status)

    def page(
        self,
        request: HttpRequest,
        form: ImportForm,
        result: ImportResult | None = None,
        status: int = 200,
    ) -> HttpResponse:
        context: dict[str, Any] = {
            "form": form,
            "result": result,
            "columns": ITEM_COLUMNS,
            "max_mb": MAX_MB,
            "list_url": _url("cmdb:list"),
            "shown": SHOWN,
        }
        if result is not None:
            context["problems"] = result.problems[:SHOWN]
            context["rows"] = result.rows[:SHOWN]
        return render(request, TEMPLATE, context, status=status)


def _files(form: ImportForm) -> list[ImportFile]:
    files = [read_upload(form.cleaned_data["file"])]
    if form.cleaned_data.get("relations"):
        files.append(read_upload(form.cleaned_data["relations"]))
    return files


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None
