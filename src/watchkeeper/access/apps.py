from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "watchkeeper.access"
    label = "access"
    verbose_name = "Access management"
