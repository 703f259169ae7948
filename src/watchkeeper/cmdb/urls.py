"""The CMDB pages. Item paths take a CI number (``CI0001234``), so fixed words never clash."""

from django.urls import URLPattern, URLResolver, path, register_converter

from watchkeeper.cmdb.views import items, maps, relations
from watchkeeper.cmdb.views.backups import BackupOverviewView, record_restore_test_view
from watchkeeper.cmdb.views.importing import ImportView


class CiNumber:
    regex = r"CI\d{1,12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CiNumber, "ci")

app_name = "cmdb"
urlpatterns: list[URLPattern | URLResolver] = [
    path("cmdb/import/", ImportView.as_view(), name="import"),
    path("cmdb/backups/", BackupOverviewView.as_view(), name="backups"),
    path("cmdb/<ci:number>/restore-tests/", record_restore_test_view, name="restore-test-add"),
    path("cmdb/", items.CiListView.as_view(), name="list"),
    path("cmdb/new/", items.CiCreateView.as_view(), name="create"),
    path("cmdb/suggest/", relations.SuggestView.as_view(), name="suggest"),
    path("cmdb/<ci:number>/", items.CiDetailView.as_view(), name="detail"),
    path("cmdb/<ci:number>/edit/", items.CiEditView.as_view(), name="edit"),
    path("cmdb/<ci:number>/relations/", relations.RelationAddView.as_view(), name="relation-add"),
    path(
        "cmdb/<ci:number>/relations/<int:relation_id>/delete/",
        relations.RelationRemoveView.as_view(),
        name="relation-remove",
    ),
    path("cmdb/<ci:number>/subscribers/", relations.SubscribersView.as_view(), name="subscribers"),
    path("cmdb/<ci:number>/map/", maps.MapView.as_view(), name="map"),
    path("cmdb/<ci:number>/map.svg", maps.MapSvgView.as_view(), name="map-svg"),
]
