from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "watchkeeper.reporting"
    label = "reporting"
    verbose_name = "Reporting"
