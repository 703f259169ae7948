"""The pages of access review campaigns: the list (with the form that starts one, for access
managers), a campaign's page (facts, progress, its grants with Confirm and Revoke for their
reviewer, closing, the CSV and PDF evidence), and "My reviews", the grants waiting for me.

Readers of the register see every campaign; a reviewer sees the campaigns they review in and
their own grants there; anyone else gets a 403 page. Every change goes through
``access.reviews``; the forms post and redirect, so they work without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from watchkeeper.access import review_report, reviews
from watchkeeper.access.choices import EntitlementState, ReviewDecision, ReviewState
from watchkeeper.access.models import AccessReview, ReviewItem
from watchkeeper.access.permissions import AccessPermission
from watchkeeper.accounts.models import User
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.errors import Conflict, message_of, status_of

PAGE_SIZE = 100
MAX_ID = 2**63 - 1
SHOWN = 200
ActionError = (ValidationError, PermissionDenied, Conflict)


def _user(request: HttpRequest) -> User:
    """The user itself, not the lazy proxy ``request.user`` (actions use its model)."""
    user = get_user(request)
    assert isinstance(user, User)
    return user


class SystemsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.number})"


class StartForm(forms.Form):
    name = forms.CharField(max_length=200, help_text='For example "ERP Q3 2026".')
    systems = SystemsField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        help_text="The systems whose access roles are reviewed. None chosen: every system.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    due_on = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with_roles = ConfigurationItem.objects.filter(access_roles__isnull=False)
        field = self.fields["systems"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = with_roles.distinct().order_by("name", "pk")


def _apply_errors(form: forms.Form, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for key, texts in error.message_dict.items():
            form.add_error(key if key in form.fields else None, texts)
    else:
        form.add_error(None, message_of(error))


class ReviewListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, StartForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        if not user.has_perm(AccessPermission.MANAGE):
            raise PermissionDenied("Only access managers start campaigns.")
        form = StartForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, 400)
        data = form.cleaned_data
        try:
            started = reviews.start(data["name"], data["systems"], data["due_on"], user)
        except ActionError as error:
            _apply_errors(form, error)
            return self._page(request, form, status_of(error))
        messages.success(request, f"{started.number} started: the reviewers have been told.")
        return redirect("access:review", number=started.number)

    def _page(self, request: HttpRequest, form: StartForm, status: int = 200) -> HttpResponse:
        user = _user(request)
        rows = reviews.with_counts(reviews.reviews_for(user), user)
        show = request.GET.get("show", "open")
        if show in ReviewState.values:
            rows = rows.filter(state=show)
        page = Paginator(rows.order_by("-created_at", "-pk"), PAGE_SIZE)
        context = {
            "page": page.get_page(request.GET.get("page")),
            "query": f"show={show}",
            "show": show,
            "form": form,
            "can_manage": user.has_perm(AccessPermission.MANAGE),
            "can_read_schedules": user.has_perm(AccessPermission.VIEW_REGISTER),
        }
        return render(request, "access/reviews/list.html", context, status=status)


def _decidable(item: ReviewItem, user: Any, review: AccessReview) -> bool:
    return (
        review.state == ReviewState.OPEN
        and item.decision == ReviewDecision.PENDING
        and item.entitlement.state == EntitlementState.ACTIVE
        and reviews.may_decide(user, item)
    )


class ReviewView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        user = _user(request)
        review = reviews.review_for(user, number)
        items = reviews.items_for(review, user)
        show = request.GET.get("show", "all")
        shown = items.filter(reviewer=user) if show == "mine" else items
        if show == "pending":
            shown = shown.filter(decision=ReviewDecision.PENDING)
        page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
        for item in page.object_list:
            item.decidable = _decidable(item, user, review)  # type: ignore[attr-defined]
        context = {
            "review": review,
            "systems": list(review.systems.order_by("name")),
            "summary": review_report.summary(items),
            "page": page,
            "show": show,
            "query": f"show={show}",
            "can_manage": user.has_perm(AccessPermission.MANAGE),
            "reads_all": reviews.reads_all(user),
            "overdue": review.state == ReviewState.OPEN and review.due_on < timezone.localdate(),
        }
        return render(request, "access/reviews/detail.html", context)


class DecideView(LoginRequiredMixin, View):
    """One grant confirmed or revoked; back to the campaign page, or to My reviews."""

    def post(self, request: HttpRequest, number: str, item_id: int) -> HttpResponse:
        user = _user(request)
        review = reviews.review_for(user, number)
        found = review.items.select_related("entitlement")
        item = get_object_or_404(found, pk=min(item_id, MAX_ID))
        decision = request.POST.get("decision", "")
        if decision not in ("confirm", "revoke"):
            messages.error(request, "Choose Confirm or Revoke.")
        else:
            try:
                reviews.decide(item, user, decision == "confirm",
                               request.POST.get("comment", "")[:2000])  # fmt: skip
            except ActionError as error:
                messages.error(request, f"{item.entitlement.number}: {message_of(error)}")
            else:
                done = "confirmed" if decision == "confirm" else "revoked"
                messages.success(request, f"{item.entitlement.number} {done}.")
        if request.POST.get("next") == "my":
            return redirect("access:my_reviews")
        return redirect("access:review", number=review.number)


class CloseView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        user = _user(request)
        review = reviews.review_for(user, number)
        version = request.POST.get("version", "")
        expected = int(version) if version.isdigit() else None
        try:
            reviews.close(review, user, expected_version=expected)
        except ActionError as error:
            messages.error(request, message_of(error))
        else:
            messages.success(request, f"{review.number} is closed.")
        return redirect("access:review", number=review.number)


class ExportCsvView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        user = _user(request)
        review = reviews.review_for(user, number)
        return review_report.csv_download(review, reviews.items_for(review, user))


class ExportPdfView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        user = _user(request)
        review = reviews.review_for(user, number)
        return review_report.pdf_download(review, reviews.items_for(review, user), user)


class MyReviewsView(LoginRequiredMixin, View):
    """The grants waiting for my decision in open campaigns, oldest campaign first."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        waiting = ReviewItem.objects.filter(
            reviewer=user, decision=ReviewDecision.PENDING, review__state=ReviewState.OPEN
        ).select_related("review", "entitlement__role__system", "entitlement__holder")
        rows = list(waiting.order_by("review__due_on", "review_id", "pk")[:SHOWN])
        if not rows:
            reviews.reviews_for(user)  # a 403 for someone who reads and reviews nothing
        for item in rows:
            item.decidable = item.entitlement.state == EntitlementState.ACTIVE  # type: ignore[attr-defined]
        context = {"items": rows, "total": waiting.count(), "shown": SHOWN}
        return render(request, "access/reviews/my.html", context)
