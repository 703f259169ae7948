from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "watchkeeper.cmdb"
    label = "cmdb"
    verbose_name = "Configuration management"
