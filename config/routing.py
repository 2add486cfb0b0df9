"""WebSocket routes. Each app adds its sockets here.

Staff sockets get the session and the user (Channels' AuthMiddlewareStack). The
young person's chat is anonymous: it reads only the language cookie, so it skips
the session and the user, whose lookup is a turn on the database thread for
every connection (a thousand of them when a crowd comes back after a restart).
"""

from channels.auth import AuthMiddlewareStack
from channels.sessions import CookieMiddleware
from django.urls import path

from escalation.consumers import LiaisonQueueConsumer
from helpline.sockets.console import OperatorConsoleConsumer
from helpline.sockets.youth import YouthChatConsumer
from reports.sockets import BoardConsumer

websocket_urlpatterns: list = [
    path("ws/liaison/", AuthMiddlewareStack(LiaisonQueueConsumer.as_asgi())),
    path("ws/chat/", CookieMiddleware(YouthChatConsumer.as_asgi())),
    path("ws/console/", AuthMiddlewareStack(OperatorConsoleConsumer.as_asgi())),
    path("ws/board/", AuthMiddlewareStack(BoardConsumer.as_asgi())),
]
