"""Template helpers of the request pages: the agent workspace's tab strip, which the incidents
queue shows too (so its view needs to know nothing about requests)."""

from __future__ import annotations

from typing import Any

from django import template

from watchkeeper.knowledge.reading import workspace_tab as knowledge_tab
from watchkeeper.problems.views import workspace_tab as problems_tab
from watchkeeper.requests.queries import workspace_tabs as tabs_for

register = template.Library()


@register.inclusion_tag("requests/desk/_workspace_tabs.html", takes_context=True)
def workspace_tabs(context: template.Context, current: str) -> dict[str, Any]:
    """``{% workspace_tabs "tasks" %}``: Incidents | Tasks (n) | My approvals (n)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    tabs = tabs_for(user) if user is not None and user.is_authenticated else []
    if tabs and (problems := problems_tab(user)) is not None:
        tabs.insert(1, problems)
    if tabs and (knowledge := knowledge_tab(user)) is not None:
        tabs.append(knowledge)
    return {"tabs": tabs, "current": current}
