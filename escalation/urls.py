from django.urls import path

from escalation import views

app_name = "escalation"

urlpatterns = [
    path("", views.liaison_queue, name="queue"),
]
