from django.urls import URLPattern, path

from watchkeeper.requests.views import ApprovalLinkView

app_name = "requests"

urlpatterns: list[URLPattern] = [
    path("approvals/<str:token>/", ApprovalLinkView.as_view(), name="approval_link"),
]
