from django.urls import URLPattern, path  # noqa: F401  (the pages are added below)

app_name = "knowledge"

urlpatterns: list[URLPattern] = []
