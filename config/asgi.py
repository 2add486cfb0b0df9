"""ASGI entry point: Django for HTTP, Channels for WebSockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.origin import SameOriginValidator  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Every socket, the youth chat's included: a page of another origin must not
        # open one, least of all with a staff member's session cookie. Each route
        # adds the session and the user only where a member of staff is expected.
        "websocket": SameOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
