"""Every socket's handshake must come from a page of the very site it opens on.

The rule is Django's CSRF origin check: Origin equals <scheme>://<Host>, the scheme
being https when the socket is wss or a trusted proxy says so, or Origin is one
of CSRF_TRUSTED_ORIGINS; and the Host is one of ALLOWED_HOSTS. The handshakes go
through the full ASGI application, as a browser's would.
"""

import pytest
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

SOCKETS = ["/ws/chat/", "/ws/console/", "/ws/liaison/"]
# The test settings serve 127.0.0.1 and localhost, and trust no other origin.
SITE = {"ALLOWED_HOSTS": ["127.0.0.1", "localhost"], "CSRF_TRUSTED_ORIGINS": []}


async def handshake(path, *, host=None, origin=None, scheme="ws", extra=()) -> bool:
    """Whether the socket was let through to its consumer."""
    headers = []
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers.extend(extra)
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["scheme"] = scheme
    communicator.scope["client"] = ("10.0.0.1", 50000)
    connected, _code = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.parametrize("path", SOCKETS)
@override_settings(**SITE)
async def test_it_accepts_a_socket_from_its_own_origin(path):
    assert await handshake(path, host="localhost", origin="http://localhost")
    assert await handshake(
        path, host="localhost:8443", origin="https://localhost:8443", scheme="wss"
    )


@pytest.mark.parametrize("path", SOCKETS)
@pytest.mark.parametrize(
    ("host", "origin", "scheme"),
    [
        # A plain-http page must not reach the TLS site, nor the other way round.
        ("localhost", "http://localhost", "wss"),
        ("localhost", "https://localhost", "ws"),
        # Another port is another origin.
        ("localhost", "http://localhost:8080", "ws"),
        ("localhost:8000", "http://localhost", "ws"),
        # Another host, a look-alike, and a subdomain.
        ("localhost", "http://evil.example", "ws"),
        ("localhost", "http://localhost.evil.example", "ws"),
        ("localhost", "http://chat.localhost", "ws"),
        # A sandboxed or file page, and no Origin at all.
        ("localhost", "null", "ws"),
        ("localhost", None, "ws"),
        # A Host the site does not serve, even with a matching Origin, and no Host.
        ("evil.example", "http://evil.example", "ws"),
        (None, "http://localhost", "ws"),
    ],
)
@override_settings(**SITE)
async def test_it_refuses_a_socket_from_any_other_origin(path, host, origin, scheme):
    assert not await handshake(path, host=host, origin=origin, scheme=scheme)


@override_settings(**SITE)
async def test_it_refuses_two_origin_headers():
    assert not await handshake(
        "/ws/chat/",
        host="localhost",
        origin="http://evil.example",
        extra=[(b"origin", b"http://localhost")],
    )


@override_settings(**SITE, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
async def test_it_takes_https_from_a_trusted_proxy():
    proxied = [(b"x-forwarded-proto", b"https")]

    assert await handshake("/ws/chat/", host="localhost", origin="https://localhost", extra=proxied)
    assert not await handshake(
        "/ws/chat/", host="localhost", origin="http://localhost", extra=proxied
    )


@override_settings(**SITE)
async def test_it_ignores_the_forwarded_scheme_when_no_proxy_is_trusted():
    assert not await handshake(
        "/ws/chat/",
        host="localhost",
        origin="https://localhost",
        extra=[(b"x-forwarded-proto", b"https")],
    )


@override_settings(
    ALLOWED_HOSTS=["tongdai.example.vn"],
    CSRF_TRUSTED_ORIGINS=["https://tongdai.example.vn", "https://*.helpline.example.vn"],
)
async def test_it_accepts_the_trusted_origins_and_nothing_near_them():
    async def from_origin(origin):
        return await handshake("/ws/chat/", host="tongdai.example.vn", origin=origin)

    assert await from_origin("https://tongdai.example.vn")
    assert await from_origin("https://chat.helpline.example.vn")
    assert not await from_origin("http://chat.helpline.example.vn")
    assert not await from_origin("https://tongdai.example.vn:8443")
    assert not await from_origin("https://helpline.example.vn.evil.example")
