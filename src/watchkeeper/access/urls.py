from django.urls import URLPattern, path

from watchkeeper.access import views
from watchkeeper.access import views_review_schedules as schedules
from watchkeeper.access import views_reviews as reviews

app_name = "access"

urlpatterns: list[URLPattern] = [
    # register pages (access/views.py)
    path("access/", views.RegisterView.as_view(), name="register"),
    path("access/entitlements/<str:number>/", views.EntitlementView.as_view(), name="entitlement"),
    path("access/roles/", views.RolesView.as_view(), name="roles"),
    path("portal/access/", views.MyAccessView.as_view(), name="my_access"),
    # review campaign pages (access/views_reviews.py)
    path("access/reviews/", reviews.ReviewListView.as_view(), name="reviews"),
    path("access/reviews/my/", reviews.MyReviewsView.as_view(), name="my_reviews"),
    path("access/reviews/schedules/", schedules.SchedulesView.as_view(), name="review_schedules"),
    path(
        "access/reviews/schedules/<int:schedule_id>/active/",
        schedules.ScheduleActiveView.as_view(),
        name="review_schedule_active",
    ),
    path("access/reviews/<str:number>/", reviews.ReviewView.as_view(), name="review"),
    path(
        "access/reviews/<str:number>/items/<int:item_id>/decision/",
        reviews.DecideView.as_view(),
        name="review_decide",
    ),
    path("access/reviews/<str:number>/close/", reviews.CloseView.as_view(), name="review_close"),
    path(
        "access/reviews/<str:number>/export.csv",
        reviews.ExportCsvView.as_view(),
        name="review_csv",
    ),
    path(
        "access/reviews/<str:number>/export.pdf",
        reviews.ExportPdfView.as_view(),
        name="review_pdf",
    ),
]
