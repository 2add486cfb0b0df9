from django.urls import path

from handbook import editor_views, views

app_name = "handbook"

# The language is in the address, not in a cookie: /help/... is Vietnamese, /help/en/... English.
urlpatterns = [
    path("", views.help_list, {"language": "vi"}, name="list"),
    path("en/", views.help_list, {"language": "en"}, name="list_en"),
    path("offline/", views.help_offline, {"language": "vi"}, name="offline"),
    path("en/offline/", views.help_offline, {"language": "en"}, name="offline_en"),
    path("sw.js", views.help_worker, name="worker"),
    path("manage/", editor_views.manage_list, name="manage"),
    path("manage/new/", editor_views.manage_create, name="manage_create"),
    path("manage/<int:page_id>/", editor_views.manage_edit, name="manage_edit"),
    path("manage/<int:page_id>/publish/", editor_views.manage_publish, name="manage_publish"),
    path("en/<slug:slug>/", views.help_page, {"language": "en"}, name="page_en"),
    path("<slug:slug>/", views.help_page, {"language": "vi"}, name="page"),
]
