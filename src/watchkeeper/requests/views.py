"""The page a signed approval link opens: the request, and a form to approve or reject it.
Opening the page decides nothing; the form's POST does, as the approver the link names."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from watchkeeper.accounts.models import User
from watchkeeper.core.choices import Channel
from watchkeeper.core.errors import message_of
from watchkeeper.requests import actions
from watchkeeper.requests.choices import ApprovalState
from watchkeeper.requests.links import approval_for
from watchkeeper.requests.models import Approval

COMMENT_MAX = 5_000


def _approval(token: str) -> tuple[Approval, User]:
    found = approval_for(token)
    if found is None:
        raise Http404("This approval link is not valid, or it has expired.")
    return found


class ApprovalLinkView(View):
    """No login: the signed link stands for its recipient (``requests.links``)."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        return self._page(request, _approval(token)[0])

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        approval, decider = _approval(token)
        decision = request.POST.get("decision")
        comment = request.POST.get("comment", "")[:COMMENT_MAX]
        if decision not in {"approve", "reject"}:
            return self._page(request, approval, error="Choose Approve or Reject.", status=400)
        try:
            actions.decide_approval(
                approval, acting_user=decider, approve=decision == "approve",
                comment=comment, channel=Channel.EMAIL,
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as problem:
            return self._page(request, approval, error=message_of(problem), status=400)
        item = approval.requested_item
        messages.success(
            request, f"Thank you: your decision on {item.request.number} ({item.catalog_item}) "
            "is recorded.",
        )  # fmt: skip
        return redirect(request.path)

    def _page(
        self, request: HttpRequest, approval: Approval, *, error: str = "", status: int = 200
    ) -> HttpResponse:
        approval.refresh_from_db()
        item = approval.requested_item
        context = {
            "approval": approval,
            "item": item,
            "request_record": item.request,
            "variables": {v.name: v.label for v in item.catalog_item.variables.all()},
            "waiting": approval.state == ApprovalState.REQUESTED,
            "error": error,
        }
        return render(request, "requests/approval_link.html", context, status=status)
