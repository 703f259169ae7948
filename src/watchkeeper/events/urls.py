"""The alert console's pages."""

from django.urls import URLPattern, URLResolver, path, re_path

from watchkeeper.events.views import console

app_name = "events"
urlpatterns: list[URLPattern | URLResolver] = [
    # -- console (alerts list, alert page, actions)
    path("events/", console.ConsoleView.as_view(), name="console"),
    path("events/live/", console.ConsoleRowsView.as_view(), name="console_rows"),
    # alert numbers only (ALR…), so that other pages under events/ stay free
    re_path(r"^events/(?P<number>ALR[0-9]+)/$", console.AlertView.as_view(), name="alert"),
    re_path(
        r"^events/(?P<number>ALR[0-9]+)/(?P<move>[a-z]+)/$",
        console.AlertActionView.as_view(),
        name="alert_action",
    ),
    # -- sources, maintenance windows, heartbeats
]
