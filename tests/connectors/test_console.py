"""A Zalo or Messenger conversation in the operator console, through the full ASGI application:
queued, accepted, answered through the platform, ended, wrapped up and counted like a web chat;
its images shown blurred, and looked at on the record, like a web chat's screenshots."""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from connectors.models import PlatformMessage
from harms.models import EvidenceEvent
from helpline.models import ContactRecord, Conversation
from reports.aggregates import count_by
from tests.connectors.kit import (
    MESSENGER_USER,
    ZALO_USER,
    messenger_message,
    messenger_post,
    zalo_event,
    zalo_post,
)
from tests.harms.helpers import image_bytes
from tests.helpline.chat_sockets import console_socket, receive_type
from tests.logins import staff_login

PLATFORMS = {
    "zalo": ("zalo_oa", "zalo_api", ZALO_USER, lambda text: zalo_post(Client(), zalo_event(text))),
    "messenger": (
        "messenger_page",
        "graph_api",
        MESSENGER_USER,
        lambda text: messenger_post(Client(), messenger_message(text)),
    ),
}


async def edge_requests(edge, count: int) -> list:
    """The platform's API requests once `count` arrived (replies leave after the commit)."""
    for _ in range(100):
        if len(edge.messages()) >= count:
            break
        await asyncio.sleep(0.02)
    return edge.messages()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("platform", ["zalo", "messenger"])
async def test_it_takes_a_platform_conversation_from_queue_to_wrap_up_like_a_web_chat(
    platform, request, op_hanoi
):
    account_fixture, edge_fixture, user_id, post = PLATFORMS[platform]
    await sync_to_async(request.getfixturevalue)(account_fixture)
    edge = request.getfixturevalue(edge_fixture)
    console = await console_socket(op_hanoi)

    response = await sync_to_async(post)("Em bị lộ ảnh riêng tư")
    assert response.status_code == 200
    conversation = await sync_to_async(Conversation.objects.get)()
    conversation_id = str(conversation.pk)
    queue = await receive_type(console, "queue")
    [item] = queue["items"]
    assert (item["conversation"], item["channel"], item["hotline"]) == (
        conversation_id,
        platform,
        "01",
    )
    # The queue names the channel, never the young person's platform id.
    assert user_id not in repr(queue)
    # The helpline's receipt went out to the young person before anyone answered.
    [receipt] = await edge_requests(edge, 1)
    assert "đã nhận tin nhắn của bạn" in repr(receipt.body)

    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    accepted = await receive_type(console, "accepted")
    first = accepted["messages"][0]
    assert (first["sender"], first["body"]) == ("youth", "Em bị lộ ảnh riêng tư")

    client_id = str(uuid.uuid4())
    await console.send_json_to(
        {
            "type": "message",
            "conversation": conversation_id,
            "client_id": client_id,
            "body": "Chị nghe đây, em kể tiếp nhé.",
        }
    )
    ack = await receive_type(console, "ack")
    assert ack["client_id"] == client_id
    status = await receive_type(console, "connector_status")
    assert (status["conversation"], status["seq"], status["status"]) == (
        conversation_id,
        ack["seq"],
        "sent",
    )
    assert status["channel"] == platform
    _receipt, answer = await edge_requests(edge, 2)
    assert "Chị nghe đây, em kể tiếp nhé." in repr(answer.body)
    sent = await sync_to_async(PlatformMessage.objects.get)(message__seq=ack["seq"])
    assert (sent.conversation_id, sent.status) == (conversation.pk, "sent")

    await console.send_json_to({"type": "end", "conversation": conversation_id})
    pending = await receive_type(console, "wrap_up_pending")
    assert [(i["conversation"], i["channel"]) for i in pending["items"]] == [
        (conversation_id, platform)
    ]
    await console.send_json_to(
        {
            "type": "wrap_up",
            "conversation": conversation_id,
            "contact_type": "counselling",
            "categories": ["online.cyberbullying"],
            "outcome": "follow_up",
            "gender": "unknown",
        }
    )
    done = await receive_type(console, "wrapped_up")
    assert (done["contact_type"], done["outcome"]) == ("counselling", "follow_up")

    record = await sync_to_async(ContactRecord.objects.select_related("hotline").get)(
        conversation_id=conversation.pk
    )
    assert (record.channel, record.hotline.code, record.contact_type, record.outcome) == (
        platform,
        "01",
        "counselling",
        "follow_up",
    )
    assert record.answered_at is not None and record.filled_by_system is False
    # The reports count it under its own channel, as they count every contact.
    counts = await sync_to_async(count_by)(ContactRecord.objects.all(), "channel")
    assert counts == {platform: 1}
    await console.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_it_shows_a_zalo_image_in_the_console_like_a_screenshot_from_the_web_chat(
    request, op_hanoi, op_hue
):
    await sync_to_async(request.getfixturevalue)("zalo_oa")
    zalo_api = request.getfixturevalue("zalo_api")
    first = zalo_api.cdn.put("/photo/first.jpg", image_bytes())
    await sync_to_async(zalo_post)(Client(), zalo_event("", kind="image", url=first))
    conversation_id = str((await sync_to_async(Conversation.objects.get)()).pk)
    console = await console_socket(op_hanoi)

    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    accepted = await receive_type(console, "accepted")
    opened = accepted["messages"][0]
    assert (opened["sender"], opened["body"]) == ("youth", "[ảnh]")
    assert opened["attachment"]["kind"] == "image"
    # Another while the chat is open: pushed like every message, never with the image itself.
    second = zalo_api.cdn.put("/photo/second.jpg", image_bytes("PNG"))
    await sync_to_async(zalo_post)(Client(), zalo_event("", kind="image", url=second))
    pushed = await receive_type(console, "message")
    assert pushed["sender"] == "youth" and pushed["attachment"]["kind"] == "image"
    assert set(pushed) == {"type", "conversation", "seq", "sender", "body", "at", "attachment"}
    await console.disconnect()

    def look(user, file_id):
        client = Client()
        staff_login(client, user)
        thumbnail = client.get(f"/harms/files/{file_id}/thumbnail/")
        shown = client.post(f"/harms/files/{file_id}/content/")
        return thumbnail, shown

    file_id = pushed["attachment"]["id"]
    thumbnail, shown = await sync_to_async(look)(op_hanoi, file_id)
    assert (thumbnail.status_code, thumbnail["Content-Type"]) == (200, "image/jpeg")
    assert (shown.status_code, shown["Content-Type"]) == (200, "image/png")
    # Looking is on the record; staff of another hotline see nothing at all.
    assert (
        await sync_to_async(
            EvidenceEvent.objects.filter(file_id=file_id, action="shown", actor=op_hanoi).count
        )()
        == 1
    )
    thumbnail, shown = await sync_to_async(look)(op_hue, file_id)
    assert (thumbnail.status_code, shown.status_code) == (404, 404)
