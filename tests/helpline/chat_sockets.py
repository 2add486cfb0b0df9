"""Sockets for the chat and console tests, through the full ASGI application."""

import asyncio

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from tests.logins import staff_login

# A browser's handshake names the site it was opened on (Host) and the page's origin;
# sockets are refused unless the two agree (config/origin.py).
HOST = (b"host", b"127.0.0.1")
ORIGIN = (b"origin", b"http://127.0.0.1")


def session_cookie(user) -> str:
    client = Client()
    staff_login(client, user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def youth_socket(*, address="10.0.0.1", path="/ws/chat/", connect=True, headers=()):
    communicator = WebsocketCommunicator(application, path, headers=[HOST, ORIGIN, *headers])
    communicator.scope["client"] = (address, 50000)
    if connect:
        connected, _code = await communicator.connect()
        assert connected
    return communicator


async def console_socket(user, *, cookies=None, headers=()):
    """A console with its hello, queue and canned frames read."""
    cookie = await sync_to_async(session_cookie)(user)
    jar = {settings.SESSION_COOKIE_NAME: cookie, **(cookies or {})}
    cookie_header = "; ".join(f"{name}={value}" for name, value in jar.items())
    communicator = WebsocketCommunicator(
        application,
        "/ws/console/",
        headers=[HOST, ORIGIN, (b"cookie", cookie_header.encode()), *headers],
    )
    connected, _code = await communicator.connect()
    assert connected
    greeting = {}
    for _ in range(3):
        frame = await communicator.receive_json_from()
        greeting[frame["type"]] = frame
    assert set(greeting) == {"hello", "queue", "canned"}
    communicator.greeting = greeting
    communicator.session_cookie = cookie
    return communicator


async def closed_with(communicator, *, timeout=2.0) -> int:
    """The close code the socket sends next, passing over any frames before it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        assert remaining > 0, "the socket was not closed"
        output = await communicator.receive_output(timeout=remaining)
        if output["type"] == "websocket.close":
            return output["code"]


async def receive_type(communicator, frame_type: str, *, timeout=2.0, skip=True) -> dict:
    """The next frame of this type; with skip, frames of other types are passed over."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        assert remaining > 0, f"no {frame_type!r} frame"
        frame = await communicator.receive_json_from(timeout=remaining)
        if frame.get("type") == frame_type:
            return frame
        assert skip, f"expected {frame_type!r}, got {frame!r}"


async def frames_until_quiet(communicator, *, timeout=0.3) -> list[dict]:
    """Every frame that arrives before the socket stays quiet for timeout seconds.

    receive_nothing is used because a receive that times out cancels the app.
    """
    frames = []
    while not await communicator.receive_nothing(timeout=timeout):
        frames.append(await communicator.receive_json_from())
    return frames


async def start_chat(*, province="01", address="10.0.0.1", headers=(), **fields):
    youth = await youth_socket(address=address, headers=headers)
    await youth.send_json_to({"type": "start", "province": province, **fields})
    started = await receive_type(youth, "started", skip=False)
    position = await receive_type(youth, "queue", skip=False)
    youth.started = started
    youth.position = position["position"]
    return youth
