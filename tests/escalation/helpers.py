"""Shared helpers for the escalation tests: a case escalated the usual way, the liaison socket."""

import datetime
import zoneinfo

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from escalation.models import Agency, Escalation
from escalation.services import escalation_create
from tests.logins import staff_login

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))


def agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


def escalate(
    case,
    *,
    by,
    agency_code: str = "a05-police",
    escalation_type: str = "privacy_violation",
    urgency: str = "24h",
    shared_items=(),
    at: datetime.datetime | None = T0,
    summary: str = "Ảnh riêng tư của em bị phát tán trên mạng xã hội.",
) -> Escalation:
    return escalation_create(
        user=by,
        case_id=case.pk,
        agency_id=agency(agency_code).pk,
        escalation_type=escalation_type,
        urgency=urgency,
        legal_basis="emergency",
        summary=summary,
        youth_informed="informed",
        shared_items=shared_items,
        at=at,
    )


class GroupListener:
    """A channel subscribed to some groups of the in-memory layer, to read what was broadcast."""

    def __init__(self, *groups: str):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        for group in groups:
            async_to_sync(self.layer.group_add)(group, self.channel)

    def drain(self) -> list[dict]:
        received = []
        while True:
            try:
                received.append(async_to_sync(self._receive)())
            except TimeoutError:
                return received

    async def _receive(self):
        import asyncio

        return await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.05)


# A browser's handshake names the site it was opened on (Host) and the page's origin;
# sockets are refused unless the two agree (config/origin.py).
HOST = (b"host", b"127.0.0.1")
ORIGIN = (b"origin", b"http://127.0.0.1")


def session_cookie(user) -> str:
    client = Client()
    staff_login(client, user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def liaison_socket(user=None, *, expect_queue=True, language=None):
    """ws/liaison/ through the full ASGI app, as `user`, with the queue it sends first read.

    `language` is what the staff pages' switch would have set in its cookie.
    """
    headers = [HOST, ORIGIN]
    cookies = {}
    if user is not None:
        cookies[settings.SESSION_COOKIE_NAME] = await sync_to_async(session_cookie)(user)
    if language is not None:
        cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if cookies:
        jar = "; ".join(f"{name}={value}" for name, value in cookies.items())
        headers.append((b"cookie", jar.encode()))
    communicator = WebsocketCommunicator(application, "/ws/liaison/", headers=headers)
    connected, _code = await communicator.connect()
    assert connected
    if expect_queue:
        communicator.queue = await communicator.receive_json_from()
        assert communicator.queue["type"] == "queue"
    return communicator


async def closed_with(communicator) -> int:
    message = await communicator.receive_output(timeout=2)
    assert message["type"] == "websocket.close", message
    return message["code"]


async def quiet(communicator) -> list[dict]:
    """Every frame that arrives before the socket stays quiet for 0.3 s."""
    frames = []
    while not await communicator.receive_nothing(timeout=0.3):
        frames.append(await communicator.receive_json_from())
    return frames
