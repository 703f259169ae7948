from django.urls import URLPattern, path  # noqa: F401  (the pages are added below)

app_name = "problems"

urlpatterns: list[URLPattern] = []
