"""What other apps hear from requests. ``item_delivered`` is sent, inside the transaction, when
a requested item is complete (by its last task, a webhook or a fulfiler); a receiver returns a
text saying what it did (it is recorded in the request's history) or None. Access management
writes the grant of an access request to the register this way."""

from django.dispatch import Signal

item_delivered = Signal()  # sender=RequestedItem, item=<RequestedItem>
