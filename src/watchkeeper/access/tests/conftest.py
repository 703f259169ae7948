"""The catalog factory (``make_item``) for access requests."""

from watchkeeper.requests.tests.conftest import make_item

__all__ = ["make_item"]
