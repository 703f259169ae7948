from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from watchkeeper.api import api
from watchkeeper.core import views as core_views

admin.site.site_header = "Watchkeeper administration"
admin.site.site_title = "Watchkeeper"

urlpatterns = [
    # The API first: URLs are tried in order, and monitoring tools post events all day long.
    path("api/v1/", api.urls),
    path("", core_views.HomeView.as_view(), name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("notifications/", core_views.NotificationListView.as_view(), name="inbox"),
    path(
        "favicon.ico", RedirectView.as_view(url=static("watchkeeper/favicon.svg"), permanent=True)
    ),
    path("", include("watchkeeper.accounts.urls")),
    path("", include("watchkeeper.incidents.urls")),
    path("", include("watchkeeper.cmdb.urls")),
    path("", include("watchkeeper.events.urls")),
    path("", include("watchkeeper.requests.urls")),
    path("", include("watchkeeper.access.urls")),
    path("", include("watchkeeper.problems.urls")),
    path("", include("watchkeeper.knowledge.urls")),
    path("", include("watchkeeper.knowledge.views_suggest")),
    path("", include("watchkeeper.reporting.urls")),
    path("", include("watchkeeper.reporting.urls_surveys")),
    path("", include("watchkeeper.reporting.urls_reports")),
    path("", include("watchkeeper.audit.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "watchkeeper.core.views.bad_request"
handler403 = "watchkeeper.core.views.permission_denied"
handler404 = "watchkeeper.core.views.page_not_found"
handler500 = "watchkeeper.core.views.server_error"
