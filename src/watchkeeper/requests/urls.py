from django.urls import URLPattern, path

from watchkeeper.requests import views_catalog as catalog
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
    path(
        "requests/<str:number>/attachments/<int:pk>/",
        portal.AttachmentView.as_view(),
        name="attachment",
    ),
    path("desk/tasks/", desk.TaskQueueView.as_view(), name="desk_tasks"),
    path("desk/tasks/<str:number>/", desk.TaskView.as_view(), name="desk_task"),
    path("desk/catalog/", catalog.CatalogEditorView.as_view(), name="catalog_editor"),
    path("desk/catalog/categories/", catalog.CategoriesView.as_view(), name="catalog_categories"),
    path(
        "desk/catalog/categories/<int:category_id>/",
        catalog.CategoryView.as_view(),
        name="catalog_category",
    ),
    path("desk/catalog/items/new/", catalog.ItemCreateView.as_view(), name="catalog_item_new"),
    path(
        "desk/catalog/items/<int:item_id>/", catalog.ItemEditorView.as_view(), name="catalog_item"
    ),
    *[
        path(
            f"desk/catalog/items/<int:item_id>/{section}/",
            catalog.ItemSectionView.as_view(section=section),
            name=f"catalog_item_{section}",
        )
        for section in catalog.SECTIONS
    ],
    path(
        "desk/catalog/items/<int:item_id>/delete/",
        catalog.ItemDeleteView.as_view(),
        name="catalog_item_delete",
    ),
]
