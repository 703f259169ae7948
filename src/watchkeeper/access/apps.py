from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "watchkeeper.access"
    label = "access"
    verbose_name = "Access management"

    def ready(self) -> None:
        from watchkeeper.access.receivers import grant_delivered_access
        from watchkeeper.access.sod import order_check
        from watchkeeper.requests import checks
        from watchkeeper.requests.models import RequestedItem
        from watchkeeper.requests.signals import item_delivered

        item_delivered.connect(
            grant_delivered_access, sender=RequestedItem, dispatch_uid="access-grant-delivered"
        )
        checks.register(order_check)
