from django.urls import URLPattern, path  # noqa: F401  (helpers add their pages below)

app_name = "access"

urlpatterns: list[URLPattern] = [
    # register pages (access/views.py)
    # review campaign pages (access/views_reviews.py)
]
