"""The assembled API: every app's router mounted on the one ``NinjaAPI`` (``core.api``)."""

from watchkeeper.access import api_config  # noqa: F401 - adds configuration to the router below
from watchkeeper.access.api import router as access_router
from watchkeeper.access.api_reviews import router as access_reviews_router
from watchkeeper.accounts.api import router as accounts_router
from watchkeeper.cmdb.api import router as cmdb_router
from watchkeeper.core.api import api
from watchkeeper.events.api import router as events_router
from watchkeeper.incidents.api import router as incidents_router
from watchkeeper.requests import api_catalog_admin  # noqa: F401 - adds writes to the router below
from watchkeeper.requests.api import router as requests_router
from watchkeeper.sla.api import router as sla_router

# Events first: URLs are tried in order, and event ingestion is by far the most frequent request.
api.add_router("/", events_router)
api.add_router("/", accounts_router)
api.add_router("/", incidents_router)
api.add_router("/", sla_router)
api.add_router("/", cmdb_router)
api.add_router("/", requests_router)
api.add_router("/", access_router)
api.add_router("/", access_reviews_router)

__all__ = ["api"]
