from django.urls import path

from connectors import views

app_name = "connectors"

urlpatterns = [
    path("zalo/webhook/", views.zalo_webhook, name="zalo_webhook"),
    path("messenger/webhook/", views.messenger_webhook, name="messenger_webhook"),
    path(
        "replies/<int:reply_id>/human-agent/",
        views.reply_human_agent,
        name="reply_human_agent",
    ),
]
