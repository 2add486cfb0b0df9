"""The liaison workspace, mounted at /liaison/."""

from django.urls import path

from escalation import views

app_name = "liaison"

urlpatterns = [
    path("", views.liaison_queue, name="queue"),
    path("closed/", views.liaison_closed, name="closed"),
    path("<int:escalation_id>/", views.liaison_escalation_detail, name="detail"),
    path("<int:escalation_id>/live/", views.liaison_escalation_live, name="live"),
    path("<int:escalation_id>/act/", views.liaison_escalation_act, name="act"),
    path("<int:escalation_id>/message/", views.liaison_escalation_message, name="message"),
]
