"""The register's pages: the entitlement register, one entitlement (with its history and the
Revoke form), the access roles (with the Grant form), and "My access" for everyone.

Who sees what follows ``access.queries.register_for``: readers (``access.view_register``) the
whole register, a role's owner the grants of their roles, everyone their own. Every change goes
through ``access.actions``, which decides who may grant and revoke (``may_work``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from watchkeeper.access import actions
from watchkeeper.access.choices import EntitlementState, ReviewDecision, ReviewState
from watchkeeper.access.forms import ALL, GrantForm, RegisterFilterForm, RevokeForm, show_errors
from watchkeeper.access.models import AccessRole, Entitlement, ReviewItem
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.access.queries import register_for
from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import Conflict
from watchkeeper.core.history_rows import history_rows

PAGE_SIZE = 50
ENDED_SHOWN = 100
#: An active grant whose last day is this close is marked "expiring soon".
SOON = dt.timedelta(days=14)
HISTORY_LABELS = {
    "expires_on": "Until", "ended_at": "Ended", "end_reason": "Why it ended",
}  # fmt: skip


def _me(request: HttpRequest) -> User:
    """The user itself, not the lazy proxy ``request.user`` (actions store it)."""
    user = get_user(request)
    assert isinstance(user, User)
    return user


def reads_all(user: Any) -> bool:
    return bool(user.has_perm(AccessPermission.VIEW_REGISTER))


def owned_roles(user: Any) -> QuerySet[AccessRole]:
    return AccessRole.objects.filter(owner_id=user.pk)


def register_rows(user: Any) -> QuerySet[Entitlement]:
    """The register page's rows: all of it for readers, their roles' grants for owners."""
    rows = register_for(user)
    return rows if reads_all(user) else rows.filter(role__owner_id=user.pk)


def visible_roles(user: Any) -> QuerySet[AccessRole]:
    return AccessRole.objects.all() if reads_all(user) else owned_roles(user)


def workable_roles(user: Any) -> QuerySet[AccessRole]:
    """The active roles ``user`` may grant (the same rule as ``actions.may_work``)."""
    roles = AccessRole.objects.filter(is_active=True)
    return roles if user.has_perm(AccessPermission.MANAGE) else roles.filter(owner_id=user.pk)


def mark_of(entitlement: Entitlement, today: dt.date) -> str:
    """The row's mark: "overdue" (its last day passed, the job has not ended it yet) or "soon"
    (it ends within 14 days), so nobody is surprised by an expiry."""
    if entitlement.state != EntitlementState.ACTIVE or entitlement.expires_on is None:
        return ""
    if entitlement.expires_on < today:
        return "overdue"
    return "soon" if entitlement.expires_on <= today + SOON else ""


class RegisterMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Readers and role owners; everyone else gets a 403 page (their own is "My access")."""

    def has_permission(self) -> bool:
        user = self.request.user  # type: ignore[attr-defined]
        return reads_all(user) or owned_roles(user).exists()


class RegisterView(RegisterMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = RegisterFilterForm(request.GET, roles=visible_roles(request.user))
        form.is_valid()
        rows = register_rows(request.user)
        if holder := (form.value("holder") or "").strip():
            rows = rows.filter(holder__username=holder)
        if form.value("role") is not None:
            rows = rows.filter(role=form.value("role"))
        if form.value("system") is not None:
            rows = rows.filter(role__system=form.value("system"))
        if form.chosen_state != ALL:
            rows = rows.filter(state=form.chosen_state)
        rows = rows.order_by("role__system__name", "role__name", "holder__username", "pk")
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        today = timezone.localdate()
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "form": form,
            "page": page,
            "rows": [(entitlement, mark_of(entitlement, today)) for entitlement in page],
            "query": params.urlencode(),
            "state": form.chosen_state,
            "reads_all": reads_all(request.user),
        }
        return render(request, "access/register.html", context)


def _visible(request: HttpRequest, number: str) -> Entitlement:
    entitlement = register_for(request.user).filter(number=number.upper()).first()
    if entitlement is None:
        raise Http404("No such entitlement, or not one you may see.")
    return entitlement


class EntitlementView(LoginRequiredMixin, View):
    """Readers, the role's owner and the holder see it; who may work the role revokes it."""

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        entitlement = _visible(request, number)
        form = RevokeForm(initial={"version": entitlement.version})
        return self._page(request, entitlement, form)

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        entitlement = _visible(request, number)
        if not actions.may_work(request.user, entitlement.role):
            raise PermissionDenied("Only an access manager or the role's owner may revoke it.")
        form = RevokeForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                actions.revoke(
                    entitlement, acting_user=_me(request), reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"], channel=Channel.WEB,
                )  # fmt: skip
            except ValidationError as problem:
                show_errors(form, problem)
            except Conflict as problem:
                form.add_error(None, f"{problem.message} Reload the page and try again.")
                status = 409
            else:
                messages.success(request, f"{entitlement.number} is revoked.")
                return redirect("access:entitlement", number=entitlement.number)
        return self._page(request, entitlement, form, status)

    def _page(
        self, request: HttpRequest, entitlement: Entitlement, form: RevokeForm, status: int = 200
    ) -> HttpResponse:
        context = {
            "entitlement": entitlement,
            "mark": mark_of(entitlement, timezone.localdate()),
            "form": form,
            "can_revoke": entitlement.state == EntitlementState.ACTIVE
            and actions.may_work(request.user, entitlement.role),
            "history": history_rows(entitlement, HISTORY_LABELS),
            "reads_all": reads_all(request.user),
        }
        return render(request, "access/entitlement.html", context, status=status)


class RolesView(RegisterMixin, View):
    """The roles by system; access managers and a role's owner grant from here."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, GrantForm(roles=workable_roles(request.user)))

    def post(self, request: HttpRequest) -> HttpResponse:
        roles = workable_roles(request.user)
        if not roles.exists():
            raise PermissionDenied("Only an access manager or a role's owner may grant.")
        form = GrantForm(request.POST, roles=roles)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = actions.grant(
                    data["role"], data["holder"], acting_user=_me(request),
                    reason=data["reason"], expires_on=data["until"], channel=Channel.WEB,
                )  # fmt: skip
            except ValidationError as problem:
                show_errors(form, problem)
            else:
                messages.success(request, f"{made.number}: {made.holder} holds {made.role}.")
                return redirect("access:entitlement", number=made.number)
        return self._page(request, form, status=400)

    def _page(self, request: HttpRequest, form: GrantForm, status: int = 200) -> HttpResponse:
        active = Q(entitlements__state=EntitlementState.ACTIVE)
        roles = visible_roles(request.user).filter(is_active=True)
        roles = roles.select_related("system", "owner", "catalog_item")
        roles = roles.annotate(holders=Count("entitlements", filter=active))
        context = {
            "roles": roles.order_by("system__name", "name", "pk"),
            "form": form,
            "can_grant": workable_roles(request.user).exists(),
        }
        return render(request, "access/roles.html", context, status=status)


class MyAccessView(LoginRequiredMixin, View):
    """What the user holds and held; a way to ask for more, and to the grants of roles they own."""

    def get(self, request: HttpRequest) -> HttpResponse:
        mine = Entitlement.objects.filter(holder_id=request.user.pk).select_related(
            "role__system", "granted_by", "ended_by"
        )
        today = timezone.localdate()
        active = mine.filter(state=EntitlementState.ACTIVE).order_by("role__system__name", "pk")
        ended = mine.exclude(state=EntitlementState.ACTIVE).order_by("-ended_at", "-pk")
        context = {
            "active": [(entitlement, mark_of(entitlement, today)) for entitlement in active],
            "ended": list(ended[:ENDED_SHOWN]),
            "owns_roles": owned_roles(request.user).exists(),
            "reads_all": reads_all(request.user),
            "reviews_waiting": ReviewItem.objects.filter(
                reviewer_id=request.user.pk,
                decision=ReviewDecision.PENDING,
                review__state=ReviewState.OPEN,
            ).count(),
        }
        return render(request, "access/my_access.html", context)
