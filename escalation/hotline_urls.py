"""The hotline's side of escalations, mounted at /escalations/."""

from django.urls import path

from escalation import views

app_name = "escalations"

urlpatterns = [
    path("case/<int:case_id>/new/", views.escalation_create, name="create"),
    path("<int:escalation_id>/", views.hotline_escalation_detail, name="detail"),
    path("<int:escalation_id>/act/", views.hotline_escalation_act, name="act"),
    path("<int:escalation_id>/message/", views.hotline_escalation_message, name="message"),
    path("<int:escalation_id>/disclose/", views.hotline_escalation_disclose, name="disclose"),
]
