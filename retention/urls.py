from django.urls import path

from retention import views

app_name = "retention"

urlpatterns = [
    path("holds/", views.legal_holds, name="holds"),
    path("holds/lift/", views.legal_hold_lift, name="hold_lift"),
    path("deletions/", views.deletion_requests, name="deletions"),
]
