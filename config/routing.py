"""WebSocket routes. Each app adds its consumers here."""

from django.urls import path

from escalation.consumers import LiaisonQueueConsumer
from helpline.consumers import OperatorConsoleConsumer, YouthChatConsumer

websocket_urlpatterns: list = [
    path("ws/liaison/", LiaisonQueueConsumer.as_asgi()),
    path("ws/chat/", YouthChatConsumer.as_asgi()),
    path("ws/console/", OperatorConsoleConsumer.as_asgi()),
]
