"""The problem pages of the workspace, under /desk/problems/."""

from django.urls import URLPattern, path

from watchkeeper.problems import views, views_tasks
from watchkeeper.problems import views_candidates as candidates

app_name = "problems"

urlpatterns: list[URLPattern] = [
    path("desk/problems/", views.ProblemListView.as_view(), name="list"),
    # candidates (views_candidates.py) before "<number>/", which would take "candidates"
    path("desk/problems/candidates/", candidates.CandidateListView.as_view(), name="candidates"),
    path(
        "desk/problems/candidates/<int:candidate_id>/accept/",
        candidates.AcceptView.as_view(),
        name="candidate_accept",
    ),
    path(
        "desk/problems/candidates/<int:candidate_id>/dismiss/",
        candidates.DismissView.as_view(),
        name="candidate_dismiss",
    ),
    path("desk/problems/new/", views.NewProblemView.as_view(), name="new"),
    path(
        "desk/problems/from-incidents/",
        views.FromIncidentsView.as_view(),
        name="from_incidents",
    ),
    path(
        "desk/problems/link-incident/<str:number>/",
        views.LinkFromIncidentView.as_view(),
        name="link_from_incident",
    ),
    path("desk/problems/<str:number>/", views.ProblemView.as_view(), name="record"),
    path(
        "desk/problems/<str:number>/tasks/<str:task>/<slug:move>/",
        views_tasks.TaskActionView.as_view(),
        name="task_action",
    ),
    path(
        "desk/problems/<str:number>/<slug:move>/",
        views.ProblemActionView.as_view(),
        name="action",
    ),
]
