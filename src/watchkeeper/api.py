"""The assembled API: every app's router mounted on the one ``NinjaAPI`` (``core.api``)."""

from watchkeeper.access import api_config  # noqa: F401 - adds configuration to the router below
from watchkeeper.access.api import router as access_router
from watchkeeper.access.api_reviews import router as access_reviews_router
from watchkeeper.accounts.api import router as accounts_router
from watchkeeper.audit.api import router as audit_router
from watchkeeper.cmdb.api import router as cmdb_router
from watchkeeper.core.api import api
from watchkeeper.events.api import router as events_router
from watchkeeper.incidents.api import router as incidents_router
from watchkeeper.knowledge.api import router as knowledge_router
from watchkeeper.knowledge.api_suggest import router as knowledge_suggest_router
from watchkeeper.problems.api import router as problems_router
from watchkeeper.problems.api_candidates import router as problem_candidates_router
from watchkeeper.reporting.api import router as reporting_router
from watchkeeper.reporting.api_processes import router as process_kpis_router
from watchkeeper.reporting.api_reports import router as report_schedules_router
from watchkeeper.reporting.api_surveys import router as surveys_router
from watchkeeper.requests import api_catalog_admin  # noqa: F401 - adds writes to the router below
from watchkeeper.requests.api import router as requests_router
from watchkeeper.sla.api import router as sla_router

# Events first: URLs are tried in order, and event ingestion is by far the most frequent request.
api.add_router("/", events_router)
api.add_router("/", accounts_router)
api.add_router("/", incidents_router)
# Candidates before problems: "/problems/{number}" would take "/problems/candidates".
api.add_router("/", problem_candidates_router)
api.add_router("/", problems_router)
api.add_router("/", sla_router)
api.add_router("/", cmdb_router)
api.add_router("/", requests_router)
api.add_router("/", access_router)
api.add_router("/", access_reviews_router)
api.add_router("/", knowledge_router)
api.add_router("/", knowledge_suggest_router)
api.add_router("/", reporting_router)
api.add_router("/", process_kpis_router)
api.add_router("/", report_schedules_router)
api.add_router("/", surveys_router)
api.add_router("/", audit_router)

__all__ = ["api"]
