"""What the telephony tests share: Twilio's payloads, signing, and a fake at the network edge.

The fake HTTP client is the only fake: it stands where Twilio's servers would,
records every request the REST client makes and answers with Twilio-shaped
JSON from tests/fixtures/twilio/.
"""

import json
import logging
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "twilio"
AUTH_TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
ACCOUNT_SID = "ACf0e1d2c3b4a5968778695a4b3c2d1e0f"
PUBLIC_BASE_URL = "https://hotline.example.vn:8443"
HOTLINE_HANOI_NUMBER = "+842473001234"
HOTLINE_CENTRAL_NUMBER = "+842473009999"
CALLER = "+84912345678"


def payload(name: str, **overrides) -> dict:
    """A webhook body from the fixtures, with some fields changed."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    data.update({key: value for key, value in overrides.items() if value is not None})
    for key in [key for key, value in overrides.items() if value is None]:
        data.pop(key, None)
    return data


def parse_twiml(document) -> ET.Element:
    """Read TwiML the way Twilio does. It is the code under test's own output, not foreign input."""
    return ET.fromstring(document)  # noqa: S314


def sign(path: str, params: dict, *, token: str = AUTH_TOKEN, base: str = PUBLIC_BASE_URL) -> str:
    """The X-Twilio-Signature Twilio would send for this URL and body."""
    return RequestValidator(token).compute_signature(base + path, params)


def post_signed(client, path: str, params: dict, *, signature: str | None = None, **extra):
    """POST like Twilio: form-encoded and signed (unless a signature is given)."""
    if signature is None:
        signature = sign(path, params)
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    return client.post(path, params, **headers, **extra)


@dataclass
class RecordedRequest:
    method: str
    url: str
    data: dict
    params: dict
    auth: tuple | None


@dataclass
class FakeTwilioHttpClient(HttpClient):
    """Answers the REST calls telephony makes; fails on demand."""

    requests: list = field(default_factory=list)
    failures: list = field(default_factory=list)

    def __post_init__(self):
        super().__init__(logging.getLogger("tests.fake_twilio"), False, None)
        self._lock = threading.Lock()
        self._message_count = 0

    def fail_next(self, failure) -> None:
        """An exception to raise, or (status, fixture name) to answer with."""
        self.failures.append(failure)

    def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        with self._lock:
            self.requests.append(
                RecordedRequest(method.upper(), url, dict(data or {}), dict(params or {}), auth)
            )
            failure = self.failures.pop(0) if self.failures else None
            self._message_count += 1
            count = self._message_count
        if isinstance(failure, BaseException):
            raise failure
        if failure is not None:
            status, fixture = failure
            return Response(status, (FIXTURES / f"{fixture}.json").read_text())
        return self._answer(method.upper(), url, dict(data or {}), count)

    def _answer(self, method: str, url: str, data: dict, count: int) -> Response:
        call = re.search(r"/Calls/(CA\w+)\.json$", url)
        if call and method == "POST":
            body = json.loads((FIXTURES / "rest_call_update.json").read_text())
            body["sid"] = call.group(1)
            return Response(200, json.dumps(body))
        if url.endswith("/Messages.json") and method == "POST":
            body = json.loads((FIXTURES / "rest_message_create.json").read_text())
            body.update(
                sid=f"SM{count:032x}", to=data.get("To"), body=data.get("Body"), status="queued"
            )
            body["from"] = data.get("From")
            return Response(201, json.dumps(body))
        if re.search(r"/Recordings/RE\w+\.json$", url) and method == "DELETE":
            return Response(204, "")
        return Response(404, json.dumps({"code": 20404, "message": "not found", "status": 404}))

    def form(self, index: int = -1) -> dict:
        """The form fields of a recorded request (Twilio's client sends dicts)."""
        return self.requests[index].data


def decode_form(body: str) -> dict:
    return dict(parse_qsl(body))
