"""The young person's chat socket: start, resume, messages, end, and bad input."""

import hashlib
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from helpline.models import Conversation, ConversationState, Message
from tests.helpline.chat_sockets import (
    receive_type,
    start_chat,
    youth_socket,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@database_sync_to_async
def conversation(conversation_id) -> Conversation:
    return Conversation.objects.select_related("hotline").get(pk=conversation_id)


@database_sync_to_async
def messages(conversation_id) -> list[tuple[int, str, str]]:
    return list(
        Message.objects.filter(conversation_id=conversation_id)
        .order_by("seq")
        .values_list("seq", "sender", "body")
    )


async def test_it_starts_a_queued_chat_at_the_province_hotline_with_a_hashed_token():
    youth = await start_chat(province="01", age_group="15-17")
    started = youth.started
    assert started["state"] == "queued"
    assert len(started["token"]) >= 43  # 32 random bytes, URL-safe base64
    assert youth.position == 1
    row = await conversation(started["conversation"])
    assert row.hotline.code == "01"
    assert row.age_group == "15-17"
    assert row.token_hash == hashlib.sha256(started["token"].encode()).hexdigest()
    assert started["token"] not in (row.token_hash, str(row.pk))
    assert row.token_expires_at > row.created_at
    await youth.disconnect()


async def test_it_sends_a_chat_without_province_to_central():
    youth = await start_chat(province="")
    row = await conversation(youth.started["conversation"])
    assert row.hotline.is_central
    await youth.disconnect()


async def test_it_acks_a_message_with_its_seq_and_stores_it():
    youth = await start_chat()
    client_id = str(uuid.uuid4())
    await youth.send_json_to({"type": "message", "client_id": client_id, "body": "Xin chào"})
    assert await youth.receive_json_from() == {"type": "ack", "client_id": client_id, "seq": 1}
    assert await messages(youth.started["conversation"]) == [(1, "youth", "Xin chào")]
    await youth.disconnect()


async def test_it_answers_a_duplicate_client_id_with_the_same_ack_and_no_new_row():
    youth = await start_chat()
    client_id = str(uuid.uuid4())
    frame = {"type": "message", "client_id": client_id, "body": "một lần thôi"}
    await youth.send_json_to(frame)
    first = await youth.receive_json_from()
    await youth.send_json_to(frame)
    second = await youth.receive_json_from()
    assert first == second == {"type": "ack", "client_id": client_id, "seq": 1}
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "tiếp"})
    assert (await youth.receive_json_from())["seq"] == 2
    assert [seq for seq, *_ in await messages(youth.started["conversation"])] == [1, 2]
    await youth.disconnect()


async def test_it_resumes_with_the_token_and_replays_every_message_after_last_seq():
    youth = await start_chat()
    token = youth.started["token"]
    for body in ("một", "hai", "ba"):
        await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": body})
        await receive_type(youth, "ack")
    await youth.disconnect()

    again = await youth_socket()
    await again.send_json_to({"type": "resume", "token": token, "last_seq": 1})
    resumed = await again.receive_json_from()
    assert resumed == {
        "type": "resumed",
        "conversation": youth.started["conversation"],
        "state": "queued",
        "last_seq": 3,
        "mode": "chat",
        "danger": False,
    }
    replay = [await again.receive_json_from() for _ in range(2)]
    assert [(m["type"], m["seq"], m["body"]) for m in replay] == [
        ("message", 2, "hai"),
        ("message", 3, "ba"),
    ]
    assert (await again.receive_json_from()) == {"type": "queue", "position": 1}
    await again.disconnect()


async def test_a_disconnect_does_not_abandon_the_queued_chat():
    youth = await start_chat()
    await youth.disconnect()
    row = await conversation(youth.started["conversation"])
    assert row.state == ConversationState.QUEUED


async def test_it_refuses_a_wrong_token_with_an_error_and_keeps_the_socket_open():
    youth = await youth_socket()
    await youth.send_json_to({"type": "resume", "token": "not-a-real-token", "last_seq": 0})
    error = await youth.receive_json_from()
    assert error["type"] == "error" and error["code"] == "invalid_token"
    await youth.send_json_to({"type": "start"})
    assert (await youth.receive_json_from())["type"] == "started"
    await youth.disconnect()


@override_settings(CHAT_TOKEN_TTL_SECONDS=60)
async def test_it_refuses_an_expired_token():
    youth = await start_chat()
    await youth.disconnect()

    @database_sync_to_async
    def expire():
        row = Conversation.objects.get(pk=youth.started["conversation"])
        Conversation.objects.filter(pk=row.pk).update(token_expires_at=row.created_at)

    await expire()
    again = await youth_socket()
    await again.send_json_to({"type": "resume", "token": youth.started["token"]})
    assert (await again.receive_json_from())["code"] == "token_expired"
    await again.disconnect()


async def test_it_answers_bad_frames_with_error_frames_and_stays_open():
    youth = await youth_socket()
    await youth.send_to(text_data="{not json")
    assert (await youth.receive_json_from())["code"] == "invalid_json"
    await youth.send_to(text_data="[1, 2]")
    assert (await youth.receive_json_from())["code"] == "invalid_json"
    await youth.send_json_to({"type": "dance"})
    assert (await youth.receive_json_from())["code"] == "unknown_type"
    await youth.send_json_to({"body": "no type"})
    assert (await youth.receive_json_from())["code"] == "missing_field"
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "x"})
    assert (await youth.receive_json_from())["code"] == "not_started"
    await youth.send_json_to({"type": "start", "province": "99"})
    error = await youth.receive_json_from()
    assert (error["code"], error["field"]) == ("invalid_field", "province")
    await youth.send_json_to({"type": "start"})
    started = await youth.receive_json_from()
    assert started["type"] == "started"
    await youth.receive_json_from()  # queue
    await youth.send_json_to({"type": "message", "body": "no id"})
    error = await youth.receive_json_from()
    assert (error["code"], error["field"]) == ("missing_field", "client_id")
    await youth.send_json_to({"type": "message", "client_id": "not-a-uuid", "body": "x"})
    assert (await youth.receive_json_from())["code"] == "invalid_field"
    await youth.send_json_to({"type": "start"})
    assert (await youth.receive_json_from())["code"] == "already_started"
    assert await messages(started["conversation"]) == []
    await youth.disconnect()


@override_settings(CHAT_MAX_MESSAGE_CHARS=50)
async def test_it_refuses_a_body_over_the_limit_with_a_clear_error():
    youth = await start_chat()
    client_id = str(uuid.uuid4())
    await youth.send_json_to({"type": "message", "client_id": client_id, "body": "a" * 51})
    error = await youth.receive_json_from()
    assert (error["code"], error["max"], error["client_id"]) == ("body_too_long", 50, client_id)
    await youth.send_json_to({"type": "message", "client_id": client_id, "body": "   "})
    assert (await youth.receive_json_from())["code"] == "body_empty"
    assert await messages(youth.started["conversation"]) == []
    await youth.disconnect()


async def test_it_stores_a_script_verbatim():
    youth = await start_chat()
    body = '<script>alert("x")</script>'
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": body})
    await receive_type(youth, "ack")
    assert await messages(youth.started["conversation"]) == [(1, "youth", body)]
    await youth.disconnect()


async def test_ending_a_queued_chat_abandons_it():
    youth = await start_chat()
    await youth.send_json_to({"type": "end"})
    assert await receive_type(youth, "state") == {
        "type": "state",
        "state": "abandoned",
        "reason": "youth_left",
    }
    row = await conversation(youth.started["conversation"])
    assert row.state == ConversationState.ABANDONED
    assert row.ended_at is not None
    await youth.disconnect()


async def test_quick_exit_voids_the_token_at_once():
    youth = await start_chat()
    await youth.send_json_to({"type": "end", "reason": "quick_exit"})
    state = await receive_type(youth, "state")
    assert state["reason"] == "quick_exit"
    await youth.disconnect()
    again = await youth_socket()
    await again.send_json_to({"type": "resume", "token": youth.started["token"]})
    assert (await again.receive_json_from())["code"] == "invalid_token"
    await again.disconnect()


async def test_the_queue_position_follows_the_queue():
    first = await start_chat()
    second = await start_chat(address="10.0.0.2")
    assert second.position == 2
    await first.send_json_to({"type": "end"})
    assert await receive_type(second, "queue") == {"type": "queue", "position": 1}
    await first.disconnect()
    await second.disconnect()


async def test_it_refuses_a_bad_or_missing_origin():
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    for headers in ([(b"origin", b"https://evil.example")], []):
        communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
        connected, _code = await communicator.connect()
        assert not connected
        await communicator.disconnect()


async def test_it_refuses_a_token_in_the_query_string():
    youth = await youth_socket(path="/ws/chat/?token=abc", connect=False)
    connected, _code = await youth.connect()
    assert connected
    assert await youth.receive_output() == {"type": "websocket.close", "code": 4400}


@override_settings(CHAT_MAX_FRAME_BYTES=1024)
async def test_it_closes_on_a_frame_over_the_size_limit():
    youth = await start_chat()
    body = "ă" * 600  # 1,200 bytes in UTF-8
    await youth.send_to(
        text_data=json.dumps(
            {"type": "message", "client_id": "x", "body": body}, ensure_ascii=False
        )
    )
    assert await youth.receive_output() == {"type": "websocket.close", "code": 4400}
    assert await messages(youth.started["conversation"]) == []


@override_settings(CHAT_RATE_LIMIT_MESSAGES=3, CHAT_RATE_LIMIT_WINDOW_SECONDS=10)
async def test_it_closes_a_flood_with_4429_and_keeps_what_came_before():
    youth = await start_chat()
    for _ in range(3):
        await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "x"})
        await receive_type(youth, "ack")
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "x"})
    assert await youth.receive_output() == {"type": "websocket.close", "code": 4429}
    assert len(await messages(youth.started["conversation"])) == 3


@override_settings(CHAT_MAX_QUEUED_PER_ADDRESS=2)
async def test_it_caps_open_chats_per_address():
    first = await start_chat(address="10.1.1.1")
    second = await start_chat(address="10.1.1.1")
    third = await youth_socket(address="10.1.1.1")
    await third.send_json_to({"type": "start"})
    assert (await third.receive_json_from())["code"] == "too_many_chats"
    elsewhere = await start_chat(address="10.2.2.2")
    # Ending one frees a place.
    await first.send_json_to({"type": "end"})
    await receive_type(first, "state")
    await third.send_json_to({"type": "start"})
    assert (await third.receive_json_from())["type"] == "started"
    rows = await database_sync_to_async(
        lambda: list(Conversation.objects.values_list("youth_ip_hash", flat=True))
    )()
    assert "10.1.1.1" not in rows
    for socket in (first, second, third, elsewhere):
        await socket.disconnect()
