"""Online harm, mounted at /harms/. The young person's upload is /chat/upload/ (config/urls.py)."""

from django.urls import path

from harms import views

app_name = "harms"

urlpatterns = [
    path("cases/<int:case_id>/items/new/", views.item_create, name="item_create"),
    path("cases/<int:case_id>/files/new/", views.file_upload, name="file_upload"),
    path("cases/<int:case_id>/evidence-sheet/", views.evidence_sheet, name="evidence_sheet"),
    path("items/<int:item_id>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:item_id>/takedowns/new/", views.takedown_create, name="takedown_create"),
    path("files/<uuid:file_id>/thumbnail/", views.file_thumbnail, name="file_thumbnail"),
    path("files/<uuid:file_id>/show/", views.file_show, name="file_show"),
    path("files/<uuid:file_id>/content/", views.file_content, name="file_content"),
    path("files/<uuid:file_id>/attach/", views.file_attach, name="file_attach"),
    path("files/<uuid:file_id>/delete-ocsea/", views.file_delete_ocsea, name="file_delete_ocsea"),
    path("takedowns/<int:takedown_id>/act/", views.takedown_act, name="takedown_act"),
    path("takedowns/<int:takedown_id>/check/", views.takedown_check, name="takedown_check"),
    path("matches/", views.match_list, name="matches"),
    path("matches/<int:match_id>/incident/", views.match_incident, name="match_incident"),
    path("rising/", views.rising, name="rising"),
]
