"""Fetching the image a young person sent on a platform, from the platform's CDN.

A webhook names an image by a URL on the platform's CDN. The helpline fetches
it once, while handling the webhook, and only:

- over https, with a certificate the system trusts;
- from a host in CONNECTOR_MEDIA_HOSTS: the host itself or, for an entry with
  a leading dot, any host under that domain; on port 443 unless the entry names
  another port;
- with nothing but a User-Agent and an Accept header: no token, no cookie;
- following a redirect only to the same host and port, over https, at most
  MAX_REDIRECTS times; a redirect anywhere else is refused, never followed;
- answered 200 with at most `limit` bytes, refused from Content-Length before
  reading and counted while reading;
- within CONNECTOR_MEDIA_TIMEOUT_SECONDS in all, however slowly bytes drip.

Anything else raises MediaRefused. The URL names a young person's image, so it
is never logged: only its host and the reason are. Proxies from the
environment are ignored (http.client does not read them).
"""

import http.client
import logging
import ssl
import time
from urllib.parse import urljoin, urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CHUNK_BYTES = 64 * 1024
USER_AGENT = "helpline-connector"


class MediaRefused(Exception):
    """Not fetched. code: too_large, or fetch_failed with the reason in `reason`."""

    def __init__(self, code: str, reason: str):
        self.code = code
        self.reason = reason
        super().__init__(f"{code}: {reason}")


def _failed(host: str, reason: str) -> MediaRefused:
    logger.warning("connector image not fetched: host=%s reason=%s", host or "-", reason)
    return MediaRefused("fetch_failed", reason)


def _host_allowed(host: str, port: int) -> bool:
    for entry in settings.CONNECTOR_MEDIA_HOSTS:
        name, _colon, entry_port = entry.partition(":")
        if port != (int(entry_port) if entry_port else 443):
            continue
        if host == name or (name.startswith(".") and host.endswith(name)):
            return True
    return False


def _target(url: str) -> tuple[str, int, str]:
    """(host, port, path with query) of an allowed https URL, or MediaRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise _failed("", "malformed_url") from None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or parts.username or parts.password:
        raise _failed(host, "not_https")
    if not _host_allowed(host, port):
        raise _failed(host, "host_not_allowed")
    path = parts.path or "/"
    return host, port, f"{path}?{parts.query}" if parts.query else path


def media_fetch(url: str, *, limit: int) -> bytes:
    """The bytes at url, under the rules of this module's docstring, or MediaRefused."""
    deadline = time.monotonic() + settings.CONNECTOR_MEDIA_TIMEOUT_SECONDS
    for _hop in range(MAX_REDIRECTS + 1):
        host, port, path = _target(url)
        status, location, data = _get(host, port, path, limit=limit, deadline=deadline)
        if status not in REDIRECT_STATUSES:
            if status != 200:
                raise _failed(host, f"status_{status}")
            return data
        following = urljoin(url, location) if location else ""
        if not following or _place(following) != (host, port):
            raise _failed(host, "redirect_elsewhere")
        url = following
    raise _failed(host, "too_many_redirects")


def _place(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        return (parts.hostname or "").lower(), parts.port or 443
    except ValueError:
        return None


def _remaining(deadline: float, host: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _failed(host, "timeout")
    return left


def _get(host: str, port: int, path: str, *, limit: int, deadline: float):
    """(status, Location, body) of one GET; a redirect's body is not read."""
    # A context per fetch: it reads the system's trusted certificates as they are now.
    connection = http.client.HTTPSConnection(
        host, port, timeout=_remaining(deadline, host), context=ssl.create_default_context()
    )
    try:
        connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "image/*"})
        # Kept here: the connection lets go of its socket once the response is to close it.
        sock = connection.sock
        response = connection.getresponse()
        if response.status in REDIRECT_STATUSES:
            return response.status, response.getheader("Location", ""), b""
        if response.status != 200:
            return response.status, "", b""
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise MediaRefused("too_large", "content_length")
        return 200, "", _read(sock, response, limit=limit, deadline=deadline, host=host)
    except (OSError, http.client.HTTPException) as error:
        # ssl.SSLError and timeouts are OSErrors: a certificate the system does not trust ends here.
        raise _failed(host, type(error).__name__) from None
    finally:
        connection.close()


def _read(sock, response, *, limit: int, deadline: float, host: str) -> bytes:
    """The body, one receive at a time, so that the deadline holds however slowly it comes."""
    body = bytearray()
    while True:
        sock.settimeout(_remaining(deadline, host))
        chunk = response.read1(CHUNK_BYTES)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise MediaRefused("too_large", "body")
