"""WebSocket routes. Each app adds its sockets here."""

from django.urls import path

from escalation.consumers import LiaisonQueueConsumer
from helpline.sockets.console import OperatorConsoleConsumer
from helpline.sockets.youth import YouthChatConsumer
from reports.sockets import BoardConsumer

websocket_urlpatterns: list = [
    path("ws/liaison/", LiaisonQueueConsumer.as_asgi()),
    path("ws/chat/", YouthChatConsumer.as_asgi()),
    path("ws/console/", OperatorConsoleConsumer.as_asgi()),
    path("ws/board/", BoardConsumer.as_asgi()),
]
