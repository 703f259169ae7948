from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "watchkeeper.events"
    label = "events"
    verbose_name = "Event management"
