"""The alert console's pages."""

from django.urls import URLPattern, URLResolver

app_name = "events"
urlpatterns: list[URLPattern | URLResolver] = [
    # -- console (alerts list, alert page, actions)
    # -- sources, maintenance windows, heartbeats
]
