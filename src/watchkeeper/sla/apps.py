from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "watchkeeper.sla"
    label = "sla"
    verbose_name = "Service levels"

    def ready(self) -> None:
        # Registers the "SLA warnings and breaches" notification kind for the profile page.
        from watchkeeper.sla import thresholds  # noqa: F401
