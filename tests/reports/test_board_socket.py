"""ws/board/ through the full ASGI application: the snapshot on connect, a chat queued,
accepted and ended followed within the coalescing window, the scope of a provincial
board, and nobody but supervisors let in."""

import asyncio
import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from config.asgi import application
from helpline.models import Hotline
from reports import sockets
from reports.incidents import incident_open
from tests.helpline.chat_sockets import (
    HOST,
    ORIGIN,
    closed_with,
    console_socket,
    frames_until_quiet,
    receive_type,
    session_cookie,
    start_chat,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

# One read per second per scope, then 0.1 s of coalescing: a change shows well within this.
WITHIN = 3.0


@pytest.fixture(autouse=True)
def hotlines_open(reference_data):
    """A chat arriving while its province is closed overflows at once; not what these test."""
    Hotline.objects.update(always_open=True)


async def board_socket(user=None):
    headers = [HOST, ORIGIN]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/board/", headers=headers)
    connected, _code = await communicator.connect()
    assert connected
    return communicator


async def board_until(communicator, condition, *, timeout=WITHIN) -> dict:
    """The first board frame whose board meets the condition, passing over the others."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        assert remaining > 0, "the board never showed it"
        frame = await receive_type(communicator, "board", timeout=remaining)
        if condition(frame["board"]):
            return frame["board"]


def row(board, code: str) -> dict:
    return next(row for row in board["hotlines"] if row["code"] == code)


async def test_it_follows_a_chat_queued_accepted_and_ended(sup_hanoi, op_hanoi):
    board = await board_socket(sup_hanoi)
    first = await receive_type(board, "board", skip=False)
    assert first["now"] and row(first["board"], "01")["queue"] == 0

    youth = await start_chat(province="01")
    conversation = youth.started["conversation"]
    queued = await board_until(board, lambda b: row(b, "01")["queue"] == 1)
    assert row(queued, "01")["waiting_since"] is not None

    console = await console_socket(op_hanoi)
    await console.send_json_to({"type": "accept", "conversation": conversation})
    await receive_type(console, "accepted")
    accepted = await board_until(board, lambda b: row(b, "01")["active"] == 1)
    assert row(accepted, "01")["queue"] == 0
    assert [(i["conversation"], i["operator"]) for i in accepted["active"]] == [
        (conversation, "op_hanoi")
    ]

    # Ending an answered chat changes no queue: only the board's own signal tells of it.
    await console.send_json_to({"type": "end", "conversation": conversation})
    await receive_type(console, "state")
    ended = await board_until(board, lambda b: row(b, "01")["active"] == 0)
    assert ended["active"] == [] and row(ended, "01")["contacts_today"] == 1
    for socket in (board, youth, console):
        await socket.disconnect()


async def test_it_shows_a_provincial_board_only_its_own_hotline(sup_hanoi):
    board = await board_socket(sup_hanoi)
    first = (await receive_type(board, "board", skip=False))["board"]
    assert [r["code"] for r in first["hotlines"]] == ["01"]

    hue = await start_chat(province="46")
    assert [f for f in await frames_until_quiet(board, timeout=1.5) if f["type"] == "board"] == []

    hanoi = await start_chat(province="01")
    after = await board_until(board, lambda b: row(b, "01")["queue"] == 1)
    assert [r["code"] for r in after["hotlines"]] == ["01"] and after["totals"]["queue"] == 1
    for socket in (board, hue, hanoi):
        await socket.disconnect()


async def test_it_shows_central_every_hotline_under_pressure_first(sup_central):
    board = await board_socket(sup_central)
    first = (await receive_type(board, "board", skip=False))["board"]
    assert len(first["hotlines"]) == 35

    youth = await start_chat(province="46")
    after = await board_until(board, lambda b: row(b, "46")["queue"] == 1)
    assert after["hotlines"][0]["code"] == "46"
    for socket in (board, youth):
        await socket.disconnect()


async def test_it_reads_again_when_a_wait_crosses_the_threshold_without_any_signal(
    settings, sup_hanoi
):
    settings.CENTRAL_OVERFLOW_SECONDS = 3
    board = await board_socket(sup_hanoi)
    await receive_type(board, "board", skip=False)
    youth = await start_chat(province="01")
    queued = await board_until(board, lambda b: row(b, "01")["queue"] == 1)
    assert row(queued, "01")["over_threshold"] == 0

    crossed = await board_until(board, lambda b: row(b, "01")["over_threshold"] == 1, timeout=6)
    assert [item["conversation"] for item in crossed["waiting"]] == [youth.started["conversation"]]
    for socket in (board, youth):
        await socket.disconnect()


async def test_it_shows_a_new_incident_on_the_boards_that_see_it(sup_hanoi, sup_central):
    from cases.models import Category

    board = await board_socket(sup_hanoi)
    await receive_type(board, "board", skip=False)

    incident = await database_sync_to_async(incident_open)(
        user=sup_central,
        title="Trào lưu thử thách nguy hiểm",
        category=await database_sync_to_async(Category.objects.get)(code="online.harmful_content"),
        severity="critical",
        province_codes=["01"],
    )

    shown = await board_until(board, lambda b: b["incidents"] != [])
    assert [(i["id"], i["severity"]) for i in shown["incidents"]] == [(incident.pk, "critical")]
    await board.disconnect()


async def test_it_sends_the_board_again_on_sync_and_answers_a_bad_frame(sup_hanoi):
    board = await board_socket(sup_hanoi)
    first = await receive_type(board, "board", skip=False)

    await board.send_json_to({"type": "sync"})
    again = await receive_type(board, "board", skip=False)
    await board.send_json_to({"type": "monitor", "conversation": str(uuid.uuid4())})
    error = await receive_type(board, "error", skip=False)

    assert again["board"] == first["board"]
    assert error["code"] == "unknown_type"
    await board.disconnect()


@pytest.mark.parametrize("who", ["op_hanoi", "op_central", "liaison_a05", "administrator", None])
async def test_it_closes_with_4403_for_anyone_but_a_supervisor(request, who):
    user = await sync_to_async(request.getfixturevalue)(who) if who else None

    board = await board_socket(user)

    assert await closed_with(board) == 4403


async def test_it_closes_the_board_when_the_supervisor_is_no_longer_one(sup_hanoi):
    board = await board_socket(sup_hanoi)
    await receive_type(board, "board", skip=False)

    await database_sync_to_async(
        lambda: type(sup_hanoi).objects.filter(pk=sup_hanoi.pk).update(is_active=False)
    )()
    await board.send_json_to({"type": "sync"})

    assert await closed_with(board) == 4403


async def test_it_shares_one_read_among_the_boards_waiting_for_it():
    reads = []

    def reader(scope):
        reads.append(scope)
        return sockets.BoardRead(frame="{}", version=str(len(reads)), due_at=None)

    heard = time.monotonic()
    together = await asyncio.gather(
        *[sockets.shared_board_read("shared-test", heard, reader) for _ in range(20)]
    )
    heard_later = time.monotonic()
    burst = await asyncio.gather(
        *[sockets.shared_board_read("shared-test", heard_later, reader) for _ in range(20)]
    )
    already_read = await sockets.shared_board_read("shared-test", heard_later, reader)

    assert reads == ["shared-test", "shared-test"]
    assert {read.version for read in together} == {"1"}
    assert {read.version for read in burst} == {"2"} and already_read.version == "2"


async def test_it_refuses_a_handshake_from_another_origin(sup_central):
    cookie = await sync_to_async(session_cookie)(sup_central)
    communicator = WebsocketCommunicator(
        application,
        "/ws/board/",
        headers=[
            HOST,
            (b"origin", b"http://evil.example"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ],
    )

    connected, _code = await communicator.connect()

    assert not connected
