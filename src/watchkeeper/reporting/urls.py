from django.urls import URLPattern, path

from watchkeeper.reporting.views_dashboard import IncidentDashboardView, ServiceDashboardView
from watchkeeper.reporting.views_drill import DrillView

app_name = "reporting"

urlpatterns: list[URLPattern] = [
    path("reports/incidents/", IncidentDashboardView.as_view(), name="incidents"),
    path("reports/incidents/records/", DrillView.as_view(), name="drill"),
    path("reports/services/", ServiceDashboardView.as_view(), name="services"),
]
