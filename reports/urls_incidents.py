"""Incidents and their flash report, mounted at /reports/incidents/."""

from django.urls import path

from reports import views_incidents as views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_create, name="create"),
    path("<int:incident_id>/", views.incident_detail, name="detail"),
    path("<int:incident_id>/link/", views.incident_link, name="link"),
    path("<int:incident_id>/unlink/", views.incident_unlink, name="unlink"),
    path("<int:incident_id>/close/", views.incident_close, name="close"),
    path("<int:incident_id>/flash/", views.incident_flash, name="flash"),
]
