from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "watchkeeper.problems"
    label = "problems"
    verbose_name = "Problem management"
