"""Settings for a live daphne whose Twilio REST calls reach a stand-in on loopback.

Browser tests start daphne with DJANGO_SETTINGS_MODULE pointing here. The
server runs the real code; only the HTTP client at the network edge is
swapped, so every REST call (sending an SMS, redirecting a call) goes to the
test's stand-in at TWILIO_TEST_EDGE_URL and never to a real host.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient

from config.settings import *  # noqa: F403
from telephony.twilio_client import twilio_http_client_installed

TWILIO_TEST_EDGE_URL = os.environ["TWILIO_TEST_EDGE_URL"]


class LoopbackTwilioHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, with every host replaced by the stand-in's."""

    def __init__(self, edge_url: str):
        super().__init__(timeout=5)
        edge = urlsplit(edge_url)
        if edge.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("the Twilio stand-in must be on loopback")
        self.edge = edge
        # No proxy from the environment either: the request stays on this machine.
        self.session.trust_env = False

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        url = urlunsplit((self.edge.scheme, self.edge.netloc, parts.path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


# Installed for the life of the server process. The reference keeps the block
# open: a collected context manager would run its exit and uninstall the client.
_TWILIO_EDGE_INSTALLED = twilio_http_client_installed(
    LoopbackTwilioHttpClient(TWILIO_TEST_EDGE_URL)
)
_TWILIO_EDGE_INSTALLED.__enter__()
