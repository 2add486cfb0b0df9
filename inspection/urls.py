from django.urls import path

from inspection import views

app_name = "inspection"

urlpatterns = [
    path("", views.index, name="index"),
    path("trail/<slug:key>/", views.trail, name="trail"),
    path("breaches/", views.breaches, name="breaches"),
    path("breaches/<int:breach_id>/", views.breach_detail, name="breach_detail"),
    path("break-glass/<int:grant_id>/", views.break_glass_detail, name="break_glass_detail"),
]
