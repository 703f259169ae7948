from django.urls import URLPattern, path

from watchkeeper.reporting import views_reports as views

app_name = "reporting_reports"

urlpatterns: list[URLPattern] = [
    path("reports/", views.ReportIndexView.as_view(), name="index"),
    path("reports/incidents.csv", views.IncidentCsvView.as_view(), name="incidents_csv"),
    path("reports/incidents.pdf", views.IncidentPdfView.as_view(), name="incidents_pdf"),
    path("reports/schedules/", views.ScheduleListView.as_view(), name="schedules"),
    path("reports/schedules/<int:schedule_id>/", views.ScheduleEditView.as_view(), name="schedule"),
    path(
        "reports/schedules/<int:schedule_id>/delete/",
        views.ScheduleDeleteView.as_view(),
        name="schedule_delete",
    ),
    path(
        "reports/schedules/<int:schedule_id>/send/",
        views.ScheduleSendView.as_view(),
        name="schedule_send",
    ),
]
