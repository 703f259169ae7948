"""The catalog editor at ``/desk/catalog/``, for those who keep the catalog
(``requests.manage_catalog``: service owners): the items by category, an item's page with its
fields, questions, approval levels and fulfilment steps, and the categories.

Each section of an item's page is its own form, posted to its own address; every save goes
through ``requests.catalog_admin`` and answers with a redirect and a message, or with the page
again (400) and each problem beside its field; a refused deletion comes back as a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict, message_of
from watchkeeper.requests import catalog_admin
from watchkeeper.requests.forms_catalog import (
    ApprovalRows,
    CategoryForm,
    FulfilmentRows,
    ItemForm,
    ListFormSet,
    VariableRows,
)
from watchkeeper.requests.models import CatalogCategory, CatalogItem
from watchkeeper.requests.permissions import RequestPermission

TEMPLATES = "requests/catalog_editor"


class CatalogKeeperMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Anonymous users go to the login page; users without the permission get a 403 page."""

    permission_required = RequestPermission.MANAGE_CATALOG


def show_errors(form: forms.Form, error: ValidationError) -> None:
    """Each of an action's errors beside the field it names; the rest at the top of the form."""
    if hasattr(error, "error_dict"):
        for key, texts in error.message_dict.items():
            form.add_error(key if key in form.fields else None, texts)
    else:
        form.add_error(None, message_of(error))


class CatalogEditorView(CatalogKeeperMixin, View):
    """Every item by category, retired ones too, with how often each was ordered."""

    def get(self, request: HttpRequest) -> HttpResponse:
        items = CatalogItem.objects.annotate(times_ordered=Count("requested"))
        categories = CatalogCategory.objects.prefetch_related(
            Prefetch("items", queryset=items.order_by("position", "name"))
        )
        return render(request, f"{TEMPLATES}/list.html", {"categories": categories})


# --- categories ------------------------------------------------------------------------------


class CategoriesView(CatalogKeeperMixin, View):
    """The categories, and a form to add one."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, CategoryForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                category = catalog_admin.save_category(
                    None, acting_user=request.user, channel=Channel.WEB, **form.cleaned_data
                )
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, f"The category {category} was created.")
                return redirect("requests:catalog_categories")
        return self._page(request, form, status=400)

    def _page(self, request: HttpRequest, form: CategoryForm, status: int = 200) -> HttpResponse:
        categories = CatalogCategory.objects.annotate(held=Count("items"))
        context = {"categories": categories, "form": form}
        return render(request, f"{TEMPLATES}/categories.html", context, status=status)


class CategoryView(CatalogKeeperMixin, View):
    """Change a category, or delete it while it is empty."""

    def get(self, request: HttpRequest, category_id: int) -> HttpResponse:
        category = get_object_or_404(CatalogCategory, pk=category_id)
        return self._page(request, category, CategoryForm.for_category(category))

    def post(self, request: HttpRequest, category_id: int) -> HttpResponse:
        category = get_object_or_404(CatalogCategory, pk=category_id)
        if "delete" in request.POST:
            return self._delete(request, category)
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                catalog_admin.save_category(
                    category, acting_user=request.user, channel=Channel.WEB, **form.cleaned_data
                )
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, f"The category {category} was saved.")
                return redirect("requests:catalog_categories")
        return self._page(request, category, form, status=400)

    def _delete(self, request: HttpRequest, category: CatalogCategory) -> HttpResponse:
        try:
            catalog_admin.delete_category(category, acting_user=request.user)
        except Conflict as error:
            messages.error(request, message_of(error))
            return redirect("requests:catalog_category", category_id=category.pk)
        messages.success(request, f"The category {category} was deleted.")
        return redirect("requests:catalog_categories")

    def _page(
        self, request: HttpRequest, category: CatalogCategory, form: CategoryForm, status: int = 200
    ) -> HttpResponse:
        context = {"category": category, "form": form, "held": category.items.count()}
        return render(request, f"{TEMPLATES}/category.html", context, status=status)


# --- items -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One list of an item's page: its formset, its prefix, and the action that saves it."""

    rows: Any
    prefix: str
    key: str  # how the action names the list in its errors
    save: Any
    saved: str

    def formset(self, item: CatalogItem, data: Any = None) -> ListFormSet:
        initial = self.rows.initial_of(item)
        formset: ListFormSet = self.rows(data, prefix=self.prefix, initial=initial)
        return formset


SECTIONS: dict[str, Section] = {
    "questions": Section(
        VariableRows, "variables", "variables", catalog_admin.replace_variables,
        "The questions were saved.",
    ),
    "approvals": Section(
        ApprovalRows, "levels", "approval_steps", catalog_admin.replace_approval_steps,
        "The approval levels were saved.",
    ),
    "fulfilment": Section(
        FulfilmentRows, "steps", "fulfilment_steps", catalog_admin.replace_fulfilment_steps,
        "The fulfilment plan was saved.",
    ),
}  # fmt: skip


def editor_page(
    request: HttpRequest, item: CatalogItem, *, status: int = 200, **bound: Any
) -> HttpResponse:
    """The item's page; ``bound`` holds the section posted (with its errors), the others show
    the item as it is."""
    context: dict[str, Any] = {
        "item": item,
        "item_form": bound.get("item_form") or ItemForm.for_item(item),
        "times_ordered": item.requested.count(),
        "may_preview": item.is_active and item.category.is_active,
    }
    for name, section in SECTIONS.items():
        context[name] = bound.get(name) or section.formset(item)
    return render(request, f"{TEMPLATES}/item.html", context, status=status)


class ItemCreateView(CatalogKeeperMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {"category": request.GET.get("category")}
        return self._page(request, ItemForm(initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ItemForm(request.POST)
        if form.is_valid():
            values, groups = form.values()
            try:
                item = catalog_admin.save_item(
                    None, acting_user=request.user, audience_groups=groups, **values
                )
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, f"{item} was created: now add its questions.")
                return redirect("requests:catalog_item", item_id=item.pk)
        return self._page(request, form, status=400)

    def _page(self, request: HttpRequest, form: ItemForm, status: int = 200) -> HttpResponse:
        return render(request, f"{TEMPLATES}/item_new.html", {"form": form}, status=status)


class ItemEditorView(CatalogKeeperMixin, View):
    """The item's page; posting it saves the item's own fields."""

    def get(self, request: HttpRequest, item_id: int) -> HttpResponse:
        return editor_page(request, get_object_or_404(CatalogItem, pk=item_id))

    def post(self, request: HttpRequest, item_id: int) -> HttpResponse:
        item = get_object_or_404(CatalogItem, pk=item_id)
        form = ItemForm(request.POST)
        if form.is_valid():
            values, groups = form.values()
            try:
                catalog_admin.save_item(
                    item, acting_user=request.user, audience_groups=groups, **values
                )
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, f"{item} was saved.")
                return redirect("requests:catalog_item", item_id=item.pk)
        item.refresh_from_db()
        return editor_page(request, item, status=400, item_form=form)


class ItemSectionView(CatalogKeeperMixin, View):
    """Saves one list of the item (``section``: questions, approvals or fulfilment)."""

    section = ""

    def post(self, request: HttpRequest, item_id: int) -> HttpResponse:
        item = get_object_or_404(CatalogItem, pk=item_id)
        section = SECTIONS[self.section]
        formset = section.formset(item, request.POST)
        if formset.is_valid():
            try:
                section.save(item, formset.specs(), acting_user=request.user)
            except ValidationError as error:
                formset.show_errors(error, section.key)
            else:
                messages.success(request, section.saved)
                return redirect(
                    reverse("requests:catalog_item", args=[item.pk]) + f"#{self.section}"
                )
        return editor_page(request, item, status=400, **{self.section: formset})


class ItemDeleteView(CatalogKeeperMixin, View):
    """Only an item never ordered; the others are retired (*Active* unticked)."""

    def post(self, request: HttpRequest, item_id: int) -> HttpResponse:
        item = get_object_or_404(CatalogItem, pk=item_id)
        try:
            catalog_admin.delete_item(item, acting_user=request.user)
        except Conflict as error:
            messages.error(request, message_of(error))
            return redirect("requests:catalog_item", item_id=item.pk)
        messages.success(request, f"{item} was deleted.")
        return redirect("requests:catalog_editor")
