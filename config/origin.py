"""The WebSocket handshake's Origin check: the same rule as Django's CSRF origin check.

Channels' AllowedHostsOriginValidator compares only host names, so a page on
http://helpline.example.vn:8080 or on plain http could open a socket to the
https site and ride on a staff member's session cookie. Here the Origin must be
the full origin (scheme, host and port) of the site the socket was opened on,
or one of CSRF_TRUSTED_ORIGINS; and the Host must be one of ALLOWED_HOSTS.
Anything else, a missing Origin included, is refused before the consumer runs.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain


def _header(scope, name: bytes) -> str | None:
    """The header's value, or None when it is missing or sent more than once."""
    values = [value for key, value in scope.get("headers", ()) if key.lower() == name]
    if len(values) != 1:
        return None
    return values[0].decode("latin-1")


def _allowed_hosts() -> list[str]:
    # The same fallback as django.http.HttpRequest.get_host.
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return [".localhost", "127.0.0.1", "[::1]"]
    return settings.ALLOWED_HOSTS


def _is_secure(scope) -> bool:
    """Whether the browser reached the site over TLS: wss, or a trusted proxy says https."""
    if scope.get("scheme") == "wss":
        return True
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        header = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        forwarded = _header(scope, header)
        # A chain of proxies may list several values; the first is the client's.
        if forwarded is not None and forwarded.split(",", 1)[0].strip() == secure_value:
            return True
    return False


def _trusted(origin: str) -> bool:
    """Whether CSRF_TRUSTED_ORIGINS lists this origin, exactly or by a *.domain wildcard."""
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in trusted:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    for entry in trusted:
        if "*" not in entry:
            continue
        pattern = urlsplit(entry)
        if parsed.scheme == pattern.scheme and is_same_domain(
            parsed.netloc, pattern.netloc.lstrip("*")
        ):
            return True
    return False


def origin_allowed(scope) -> bool:
    """Whether this WebSocket handshake comes from a page of the site it connects to."""
    origin = _header(scope, b"origin")
    host = _header(scope, b"host")
    if not origin or not host:
        return False
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return False
    own_origin = f"{'https' if _is_secure(scope) else 'http'}://{host}"
    return origin == own_origin or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware: refuse every WebSocket whose handshake fails origin_allowed."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
