"""WebSocket routes. Each app adds its consumers here."""

from django.urls import path

from escalation.consumers import LiaisonQueueConsumer

websocket_urlpatterns: list = [
    path("ws/liaison/", LiaisonQueueConsumer.as_asgi()),
]
