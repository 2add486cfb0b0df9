from django.urls import path

from reports import views_export

app_name = "reports"

urlpatterns = [
    path("export/<str:format>/", views_export.report_export, name="export"),
]
