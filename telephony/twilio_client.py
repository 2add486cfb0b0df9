"""The Twilio REST client, built in one place.

Only code that runs outside webhook requests uses it (accept receivers, SMS
sending, the retry and purge commands). The HTTP client is injectable so that
tests put a fake at the network edge and nothing else.
"""

from contextlib import contextmanager

from django.conf import settings
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

_installed_http_client: HttpClient | None = None


class TwilioNotConfigured(Exception):
    """The credentials needed for the REST API are missing."""


def twilio_rest_client(*, http_client: HttpClient | None = None) -> Client:
    """A REST client with the API key when set, else the account's auth token."""
    account_sid = settings.TWILIO_ACCOUNT_SID
    if not account_sid or not (settings.TWILIO_API_KEY_SID or settings.TWILIO_AUTH_TOKEN):
        raise TwilioNotConfigured("TWILIO_ACCOUNT_SID and a key or auth token are required")
    http_client = http_client or _installed_http_client
    if http_client is None:
        http_client = TwilioHttpClient(timeout=settings.TWILIO_HTTP_TIMEOUT_SECONDS)
    if settings.TWILIO_API_KEY_SID and settings.TWILIO_API_KEY_SECRET:
        return Client(
            settings.TWILIO_API_KEY_SID,
            settings.TWILIO_API_KEY_SECRET,
            account_sid,
            http_client=http_client,
        )
    return Client(account_sid, settings.TWILIO_AUTH_TOKEN, http_client=http_client)


@contextmanager
def twilio_http_client_installed(http_client: HttpClient):
    """Make every REST client built inside the block use this HTTP client (tests, scripts)."""
    global _installed_http_client
    previous = _installed_http_client
    _installed_http_client = http_client
    try:
        yield http_client
    finally:
        _installed_http_client = previous
