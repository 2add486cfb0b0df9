"""A console socket never outlives its user, and never keeps reading what left it.

Logout, deactivation, a new role or hotline, or a new password close every
socket of that person with 4403 at once (the account change signals them), and
any frame that reaches a socket after the change is refused before it is acted
on. A console that missed a transfer's signal lets go of the conversation as
soon as it hears of it from a message or its tick.
"""

import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import Client

from helpline import groups
from helpline.conversations import conversation_transfer
from helpline.models import Hotline, Message, User
from tests.helpline.chat_sockets import (
    closed_with,
    console_socket,
    frames_until_quiet,
    receive_type,
    start_chat,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


async def accepted_chat(operator, *, province="01"):
    youth = await start_chat(province=province)
    console = await console_socket(operator)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    await receive_type(youth, "state")
    return youth, console, conversation_id


@database_sync_to_async
def operator_messages(conversation_id) -> int:
    return Message.objects.filter(conversation_id=conversation_id, sender="operator").count()


def _logout(cookie: str) -> int:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    return client.post("/accounts/logout/").status_code


async def test_it_closes_the_console_at_logout_and_acts_on_nothing_after(op_hanoi):
    youth, console, conversation_id = await accepted_chat(op_hanoi)
    await frames_until_quiet(console)
    assert await sync_to_async(_logout)(console.session_cookie) == 302
    assert await closed_with(console) == 4403
    await console.send_json_to(
        {
            "type": "message",
            "conversation": conversation_id,
            "client_id": str(uuid.uuid4()),
            "body": "sau khi đăng xuất",
        }
    )
    await frames_until_quiet(youth)
    assert await operator_messages(conversation_id) == 0
    await youth.disconnect()


@pytest.mark.parametrize(
    "change",
    ["deactivate", "role", "hotline", "password"],
)
async def test_it_closes_every_console_of_a_changed_account(op_hanoi, change):
    first = await console_socket(op_hanoi)
    second = await console_socket(op_hanoi)

    def apply():
        user = User.objects.get(pk=op_hanoi.pk)
        if change == "deactivate":
            user.is_active = False
        elif change == "role":
            user.role = "supervisor"
        elif change == "hotline":
            user.hotline = Hotline.objects.get(code="46")
        else:
            user.set_password("a-new-password-2026")
        user.save()

    await database_sync_to_async(apply)()
    assert await closed_with(first) == 4403
    assert await closed_with(second) == 4403


async def test_a_frame_after_a_silent_deactivation_is_refused_before_it_is_acted_on(op_hanoi):
    youth, console, conversation_id = await accepted_chat(op_hanoi)
    await frames_until_quiet(console)
    # A bulk update sends no signal: only the check before each frame sees it.
    await database_sync_to_async(
        lambda: User.objects.filter(pk=op_hanoi.pk).update(is_active=False)
    )()
    await console.send_json_to(
        {
            "type": "message",
            "conversation": conversation_id,
            "client_id": str(uuid.uuid4()),
            "body": "không được gửi",
        }
    )
    assert await closed_with(console) == 4403
    assert await operator_messages(conversation_id) == 0
    await youth.disconnect()


async def test_the_tick_closes_a_console_whose_session_ended_silently(op_hanoi):
    console = await console_socket(op_hanoi)
    await database_sync_to_async(
        lambda: Session.objects.filter(session_key=console.session_cookie).delete()
    )()
    assert await frames_until_quiet(console) == []
    await get_channel_layer().group_send(groups.staff_group(op_hanoi.pk), {"type": "socket.tick"})
    assert await closed_with(console) == 4403


async def test_a_logout_in_another_browser_leaves_this_session_open(op_hanoi):
    here = await console_socket(op_hanoi)
    elsewhere = await console_socket(op_hanoi)
    await sync_to_async(_logout)(elsewhere.session_cookie)
    assert await closed_with(elsewhere) == 4403
    await here.send_json_to({"type": "ping"})
    assert await receive_type(here, "pong")
    await here.disconnect()


async def test_it_closes_the_liaison_socket_at_logout(liaison_a05):
    from tests.escalation.test_liaison_socket import liaison_socket

    socket = await liaison_socket(liaison_a05)
    cookie = socket.scope["headers"]
    session = dict(
        part.strip().split("=", 1)
        for header, value in cookie
        if header == b"cookie"
        for part in value.decode().split(";")
    )[settings.SESSION_COOKIE_NAME]
    await sync_to_async(_logout)(session)
    assert await closed_with(socket) == 4403


# --- a transfer whose state signal was lost -------------------------------------------


def _transfer_without_signal(user, conversation_id, hotline):
    with transaction.atomic():
        conversation_transfer(user=user, conversation_id=conversation_id, hotline=hotline)
        transaction.get_connection().run_on_commit = []


async def test_a_message_after_a_silent_transfer_makes_the_console_let_go(op_hanoi):
    youth, console, conversation_id = await accepted_chat(op_hanoi)
    await frames_until_quiet(console)
    operator = await database_sync_to_async(User.objects.select_related("hotline").get)(
        pk=op_hanoi.pk
    )
    await database_sync_to_async(_transfer_without_signal)(operator, conversation_id, "46")
    await youth.send_json_to(
        {"type": "message", "client_id": str(uuid.uuid4()), "body": "đã sang Huế"}
    )
    frames = await frames_until_quiet(console, timeout=0.5)
    assert [f["body"] for f in frames if f["type"] == "message"] == []
    assert {"type": "state", "conversation": conversation_id, "state": "queued"}.items() <= next(
        f for f in frames if f["type"] == "state"
    ).items()
    # It left the conversation's group: later messages never reach it.
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "nữa"})
    await receive_type(youth, "ack")
    assert [f for f in await frames_until_quiet(console) if f["type"] == "message"] == []
    for socket in (youth, console):
        await socket.disconnect()


async def test_the_tick_lets_go_of_a_conversation_transferred_without_a_signal(op_hanoi):
    youth, console, conversation_id = await accepted_chat(op_hanoi)
    await frames_until_quiet(console)
    operator = await database_sync_to_async(User.objects.select_related("hotline").get)(
        pk=op_hanoi.pk
    )
    await database_sync_to_async(_transfer_without_signal)(operator, conversation_id, "46")
    await get_channel_layer().group_send(groups.staff_group(op_hanoi.pk), {"type": "socket.tick"})
    state = await receive_type(console, "state")
    assert (state["conversation"], state["state"], state["reason"]) == (
        conversation_id,
        "queued",
        "transferred",
    )
    # A second tick neither repeats it nor joins the conversation's group again.
    await get_channel_layer().group_send(groups.staff_group(op_hanoi.pk), {"type": "socket.tick"})
    await get_channel_layer().group_send(
        groups.conversation_group(conversation_id),
        {"type": "chat.state", "conversation": conversation_id, "state": "ended"},
    )
    assert [f for f in await frames_until_quiet(console) if f["type"] == "state"] == []
    for socket in (youth, console):
        await socket.disconnect()
