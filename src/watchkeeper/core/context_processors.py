"""Context every page's layout needs: the navigation the user may see, and the version."""

from typing import Any

from django.http import HttpRequest

from watchkeeper import __version__
from watchkeeper.core.navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "product_version": __version__}
    from watchkeeper.core.notifications import unread_count

    return {
        "nav_items": items_for(user),
        "product_version": __version__,
        "unread_notifications": unread_count(user),
    }
