from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "watchkeeper.requests"
    label = "requests"
    verbose_name = "Service requests"
