from django.urls import URLPattern, path

from watchkeeper.requests import views_desk as desk
from watchkeeper.requests import views_portal as portal
from watchkeeper.requests.views import ApprovalLinkView

app_name = "requests"

urlpatterns: list[URLPattern] = [
    path("approvals/<str:token>/", ApprovalLinkView.as_view(), name="approval_link"),
    path("portal/catalog/", portal.CatalogView.as_view(), name="catalog"),
    path("portal/catalog/<int:item_id>/", portal.OrderView.as_view(), name="order"),
    path("portal/requests/", portal.MyRequestsView.as_view(), name="my_requests"),
    path("portal/requests/<str:number>/", portal.RequestView.as_view(), name="portal_request"),
    path("portal/requests/<str:number>/cancel/", portal.CancelView.as_view(), name="portal_cancel"),
    path("portal/approvals/", portal.MyApprovalsView.as_view(), name="my_approvals"),
    path("desk/tasks/", desk.TaskQueueView.as_view(), name="desk_tasks"),
    path("desk/tasks/<str:number>/", desk.TaskView.as_view(), name="desk_task"),
]
