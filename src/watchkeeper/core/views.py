"""Home dashboards per role, the health check and the error pages."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from watchkeeper import __version__
from watchkeeper.core.health import database_status, queue_status
from watchkeeper.core.navigation import home_for
from watchkeeper.core.permissions import CorePermission

logger = logging.getLogger(__name__)


class HomeView(LoginRequiredMixin, TemplateView):
    """Each role lands on its own dashboard; the widgets arrive with the apps that feed them."""

    def get_template_names(self) -> list[str]:
        return [f"home/{home_for(self.request.user)}.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["home"] = home_for(self.request.user)
        return context


class WorkspaceRequiredMixin(PermissionRequiredMixin):
    """For pages only staff may see: anonymous users go to login, a requester gets a 403 page."""

    permission_required = CorePermission.USE_WORKSPACE


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_status(), "queue": queue_status()}
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "error", "version": __version__, **checks}
    return JsonResponse(body, status=200 if healthy else 503)


def _error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    context = {"status": status, "title": title, "message": message}
    return render(request, "error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request, 403, "Not allowed", "Your role does not give you access to this page."
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's own CSRF page uses inline styles, which our CSP blocks; this one explains."""
    return _error_page(
        request,
        403,
        "Form expired",
        "The form could not be checked: it was open too long, or cookies are blocked. "
        "Reload the page and try again.",
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404, "Not found", "There is no page at this address.")


FALLBACK_500 = (
    '<!DOCTYPE html><html lang="en"><title>Server error</title>'
    "<h1>Something went wrong</h1><p>The error was logged. Please try again later.</p></html>"
)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request, so a broken database or context processor cannot break it."""
    message = "The error was logged. Please try again later."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=500)
    try:
        body = loader.get_template("500.html").render()
    except Exception:
        logger.exception("The 500 page could not be rendered")
        body = FALLBACK_500
    return HttpResponseServerError(body)


class NotificationListView(LoginRequiredMixin, View):
    """The user's in-app notifications, newest first; POST marks them all read."""

    page_size = 50

    def get(self, request: HttpRequest) -> HttpResponse:
        from watchkeeper.core.models import Notification

        user: Any = request.user
        items = Notification.objects.filter(user=user)[: self.page_size]
        return render(request, "core/notifications.html", {"notifications": items})

    def post(self, request: HttpRequest) -> HttpResponse:
        from watchkeeper.core.notifications import mark_all_read

        marked = mark_all_read(request.user)
        messages.success(request, f"{marked} notification{'' if marked == 1 else 's'} marked read.")
        return redirect("inbox")
