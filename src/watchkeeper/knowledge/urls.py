from django.urls import URLPattern, path

from watchkeeper.knowledge import views as portal
from watchkeeper.knowledge import views_desk as desk

app_name = "knowledge"

#: The editor's actions, each its own POST address.
ACTIONS = ("draft", "details", "submit", "review", "retire", "add_file", "remove_file")

urlpatterns: list[URLPattern] = [
    path("portal/knowledge/", portal.PortalListView.as_view(), name="portal_list"),
    path(
        "portal/knowledge/<str:number>/", portal.PortalArticleView.as_view(), name="portal_article"
    ),
    path("portal/knowledge/<str:number>/feedback/", portal.FeedbackView.as_view(), name="feedback"),
    path(
        "knowledge/<str:number>/files/<int:pk>/", portal.AttachmentView.as_view(), name="attachment"
    ),
    path("desk/knowledge/", desk.DeskListView.as_view(), name="desk_list"),
    path("desk/knowledge/new/", desk.DeskNewView.as_view(), name="desk_new"),
    path("desk/knowledge/<str:number>/", desk.DeskArticleView.as_view(), name="desk_article"),
    path(
        "desk/knowledge/<str:number>/versions/<int:version>/",
        desk.DeskVersionView.as_view(),
        name="desk_version",
    ),
    *[
        path(
            f"desk/knowledge/<str:number>/{do}/",
            desk.DeskActionView.as_view(do=do),
            name=f"desk_{do}",
        )
        for do in ACTIONS
    ],
]
