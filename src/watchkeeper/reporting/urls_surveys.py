from django.urls import URLPattern, path

from watchkeeper.reporting.views_surveys import SurveyAnswerView, SurveyListView

app_name = "reporting_surveys"

urlpatterns: list[URLPattern] = [
    path("survey/<str:token>/", SurveyAnswerView.as_view(), name="answer"),
    path("desk/surveys/", SurveyListView.as_view(), name="list"),
]
