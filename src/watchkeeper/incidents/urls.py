"""The portal under /portal/ and the agent workspace under /desk/ (e-mails link to both)."""

from django.urls import path

from watchkeeper.incidents.views import attachments, portal, record, workspace

app_name = "incidents"

urlpatterns = [
    path("portal/report/", portal.ReportView.as_view(), name="report"),
    path("portal/incidents/", portal.MyTicketsView.as_view(), name="my_tickets"),
    path("portal/incidents/<str:number>/", portal.PortalDetailView.as_view(), name="portal_detail"),
    path(
        "portal/incidents/<str:number>/comment/",
        portal.PortalCommentView.as_view(),
        name="portal_comment",
    ),
    path(
        "portal/incidents/<str:number>/attach/",
        portal.PortalAttachmentView.as_view(),
        name="portal_attach",
    ),
    path(
        "portal/incidents/<str:number>/confirm/",
        portal.PortalConfirmView.as_view(),
        name="portal_confirm",
    ),
    path(
        "portal/incidents/<str:number>/reject/",
        portal.PortalRejectView.as_view(),
        name="portal_reject",
    ),
    path(
        "portal/incidents/<str:number>/cancel/",
        portal.PortalCancelView.as_view(),
        name="portal_cancel",
    ),
    path(
        "portal/incidents/<str:number>/attachments/<int:pk>/",
        attachments.download,
        name="portal_attachment",
    ),
    path("desk/", workspace.QueueView.as_view(), name="queue"),
    path("desk/incidents/new/", workspace.NewIncidentView.as_view(), name="new"),
    path("desk/bulk/", workspace.BulkView.as_view(), name="bulk"),
    path("desk/filters/", workspace.SavedFilterCreateView.as_view(), name="filter_save"),
    path(
        "desk/filters/<int:pk>/delete/",
        workspace.SavedFilterDeleteView.as_view(),
        name="filter_delete",
    ),
    path("desk/assignees/", record.AssigneeOptionsView.as_view(), name="assignees"),
    path("desk/incidents/<str:number>/", record.RecordView.as_view(), name="record"),
    path("desk/incidents/<str:number>/fields/", record.FieldsView.as_view(), name="fields"),
    path(
        "desk/incidents/<str:number>/attachments/<int:pk>/",
        attachments.download,
        name="desk_attachment",
    ),
    path(
        "desk/incidents/<str:number>/<slug:move>/",
        record.RecordActionView.as_view(),
        name="action",
    ),
]
