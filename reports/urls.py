from django.urls import path

from reports import views, views_export

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("view/", views.report_view, name="view"),
    path("export/<str:format>/", views_export.report_export, name="export"),
]
