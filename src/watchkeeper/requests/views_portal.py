"""The portal's request pages: the catalog, an item's order form (with files for its attachment
questions), my requests (follow, cancel, download their files), and the approvals waiting for
me."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import message_of
from watchkeeper.requests import actions, attachments
from watchkeeper.requests.catalog import categories_for, orderable_items
from watchkeeper.requests.forms import QUANTITY, REQUESTED_FOR, OrderForm
from watchkeeper.requests.links import path_for
from watchkeeper.requests.models import CatalogItem, ServiceRequest
from watchkeeper.requests.permissions import RequestPermission
from watchkeeper.requests.queries import waiting_approvals

SHOWN = 100


class PortalMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = RequestPermission.ORDER


def _may_order_for_others(user: Any) -> bool:
    return bool(user.has_perm(RequestPermission.ORDER_FOR_OTHERS) or user.reports.exists())


class CatalogView(PortalMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        items = orderable_items(request.user).order_by("position", "name")
        sections = [
            (category, [item for item in items if item.category_id == category.pk])
            for category in categories_for(request.user)
        ]
        return render(request, "requests/portal/catalog.html", {"sections": sections})


class OrderView(PortalMixin, View):
    def _item(self, request: HttpRequest, item_id: int) -> CatalogItem:
        return get_object_or_404(orderable_items(request.user), pk=item_id)

    def _form(self, request: HttpRequest, item: CatalogItem, data: Any = None) -> OrderForm:
        variables = list(item.variables.all())
        files = request.FILES if data is not None else None
        others = _may_order_for_others(request.user)
        return OrderForm(variables, data, files, for_others=others)

    def get(self, request: HttpRequest, item_id: int) -> HttpResponse:
        item = self._item(request, item_id)
        return self._page(request, item, self._form(request, item))

    def post(self, request: HttpRequest, item_id: int) -> HttpResponse:
        item = self._item(request, item_id)
        form = self._form(request, item, request.POST)
        if form.is_valid():
            try:
                ordered = actions.order(
                    acting_user=request.user,
                    lines=[actions.Line(item, form.answers(), form.cleaned_data[QUANTITY])],
                    requested_for=_recipient(form.cleaned_data.get(REQUESTED_FOR, "")),
                    channel=Channel.PORTAL,
                )
            except ValidationError as problem:
                form.show_errors(problem.message_dict)
            except PermissionDenied as problem:
                form.add_error(REQUESTED_FOR if REQUESTED_FOR in form.fields else None,
                               message_of(problem))  # fmt: skip
            else:
                messages.success(request, f"Thank you: your request {ordered.number} is in.")
                return redirect("requests:portal_request", number=ordered.number)
        return self._page(request, item, form, status=400)

    def _page(
        self, request: HttpRequest, item: CatalogItem, form: OrderForm, status: int = 200
    ) -> HttpResponse:
        context = {"item": item, "form": form, "approval_needed": item.approval_steps.exists()}
        return render(request, "requests/portal/order.html", context, status=status)


def _recipient(username: str) -> Any:
    if not username.strip():
        return None
    user = User.objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise ValidationError({"requested_for": f"No active user named {username!r}."})
    return user


def _mine(user: Any) -> Any:
    return ServiceRequest.objects.filter(Q(requested_by=user) | Q(requested_for=user))


class MyRequestsView(PortalMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        show = request.GET.get("show", "open")
        rows = _mine(request.user).select_related("requested_for")
        if show == "open":
            rows = rows.filter(state="open")
        elif show == "closed":
            rows = rows.exclude(state="open")
        context = {"requests": list(rows.order_by("-created_at")[:SHOWN]), "show": show}
        return render(request, "requests/portal/list.html", context)


class RequestView(PortalMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        record = _visible(request, number)
        items = list(
            record.items.select_related("catalog_item", "fulfilment_group").prefetch_related(
                "approvals__approver", "tasks__group", "catalog_item__variables"
            )
        )
        for item in items:
            variables = item.catalog_item.variables.all()
            item.answer_rows = attachments.shown(record.number, variables, item.answers)  # type: ignore[attr-defined]
        mine = request.user.pk in (record.requested_by_id, record.requested_for_id)
        context = {
            "record": record, "items": items, "can_cancel": mine and record.is_open,
            "now": timezone.now(),
        }  # fmt: skip
        return render(request, "requests/portal/detail.html", context)


class AttachmentView(LoginRequiredMixin, View):
    """A file of an order, for those who may see the request (``requests.attachments``)."""

    def get(self, request: HttpRequest, number: str, pk: int) -> FileResponse:
        return attachments.download(request.user, number, pk)


class CancelView(PortalMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        record = _visible(request, number)
        try:
            actions.cancel(
                record, acting_user=request.user, reason=request.POST.get("reason", "")[:2000],
                channel=Channel.PORTAL,
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as problem:
            messages.error(request, message_of(problem))
        else:
            messages.success(request, f"{record.number} is cancelled.")
        return redirect("requests:portal_request", number=record.number)


def _visible(request: HttpRequest, number: str) -> ServiceRequest:
    record = ServiceRequest.objects.restrict(request.user).filter(number=number.upper()).first()
    if record is None:
        raise Http404("No such request.")
    return record


class MyApprovalsView(PortalMixin, View):
    """The approvals waiting for me, each opening the same page as its e-mail's link."""

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = (
            waiting_approvals(request.user)
            .select_related(
                "requested_item__request__requested_for", "requested_item__catalog_item"
            )
            .order_by("created_at")
        )
        rows = rows.select_related("approver")
        context = {"approvals": [(a, path_for(a, request.user)) for a in rows[:SHOWN]]}
        return render(request, "requests/portal/approvals.html", context)
