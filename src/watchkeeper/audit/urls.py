from django.urls import URLPattern, path

from watchkeeper.audit import views, views_trail

app_name = "audit"

urlpatterns: list[URLPattern] = [
    path("audit/findings/", views.FindingListView.as_view(), name="findings"),
    path("audit/findings/<str:number>/", views.FindingView.as_view(), name="finding"),
    path("audit/findings/<str:number>/respond/", views.RespondView.as_view(), name="respond"),
    path("audit/checks/", views.CheckListView.as_view(), name="checks"),
    path("audit/checks/run/", views.RunCheckView.as_view(), name="run_all"),
    path("audit/checks/<str:key>/run/", views.RunCheckView.as_view(), name="run_check"),
    path("audit/trail/", views_trail.TrailView.as_view(), name="trail"),
    path("audit/report.pdf", views.ReportView.as_view(), name="report"),
]
