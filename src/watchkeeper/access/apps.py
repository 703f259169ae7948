from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "watchkeeper.access"
    label = "access"
    verbose_name = "Access management"

    def ready(self) -> None:
        """Access hooks into requests (which never imports access): the grant of a delivered
        access request, joiners, movers and leavers, and separation of duties at order."""
        from watchkeeper.access import lifecycle, sod
        from watchkeeper.access.receivers import grant_delivered_access
        from watchkeeper.requests import checks
        from watchkeeper.requests.models import RequestedItem
        from watchkeeper.requests.signals import item_delivered

        item_delivered.connect(
            grant_delivered_access, sender=RequestedItem, dispatch_uid="access-grant-delivered"
        )
        item_delivered.connect(
            lifecycle.apply_delivered_lifecycle,
            sender=RequestedItem,
            dispatch_uid="access-lifecycle-delivered",
        )
        checks.register(sod.order_check)
        checks.register_extra_approval(sod.extra_approvals)
        checks.register_answers(lifecycle.answers_check)
