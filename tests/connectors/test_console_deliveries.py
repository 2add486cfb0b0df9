"""A console that opens a Zalo or Messenger conversation again (a reload, a reconnect, a supervisor
watching) reads how each reply went in the history itself, with the words of the connector_status
frames it missed: delivery marks survive a reload. Through the full ASGI application."""

import datetime
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from connectors.models import PlatformMessage, PlatformThread
from helpline.models import Conversation
from tests.connectors.kit import messenger_message, messenger_post, zalo_event, zalo_post
from tests.connectors.messenger_edge import graph_error
from tests.helpline.chat_sockets import console_socket, receive_type, start_chat

pytestmark = pytest.mark.django_db(transaction=True)


async def accepted_platform_chat(request, account_fixture: str, post, operator):
    """A platform conversation the operator accepted on a console; (console, conversation id)."""
    await sync_to_async(request.getfixturevalue)(account_fixture)
    await sync_to_async(post)(Client())
    conversation_id = str((await sync_to_async(Conversation.objects.get)()).pk)
    console = await console_socket(operator)
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    return console, conversation_id


async def say(console, conversation_id: str, body: str) -> tuple[int, dict]:
    """Send a reply; its seq and the first connector_status frame about it."""
    client_id = str(uuid.uuid4())
    await console.send_json_to(
        {"type": "message", "conversation": conversation_id, "client_id": client_id, "body": body}
    )
    ack = await receive_type(console, "ack")
    status = await receive_type(console, "connector_status")
    assert status["seq"] == ack["seq"]
    return ack["seq"], status


def deliveries(opened: dict) -> dict[int, dict]:
    return {m["seq"]: m["delivery"] for m in opened["messages"] if "delivery" in m}


async def test_it_gives_every_zalo_reply_its_delivery_again_after_a_reload(request, op_hanoi):
    zalo_api = request.getfixturevalue("zalo_api")
    console, conversation_id = await accepted_platform_chat(
        request, "zalo_oa", lambda c: zalo_post(c, zalo_event("Em cần giúp")), op_hanoi
    )
    sent_seq, sent = await say(console, conversation_id, "Chị nghe đây.")
    zalo_api.fail_next({"error": -213, "message": "User has not followed OA"})
    failed_seq, failed = await say(console, conversation_id, "Em còn đó không?")
    zalo_api.fail_next({"error": -1, "message": "busy"}, status=503)
    retry_seq, retrying = await say(console, conversation_id, "Chị vẫn ở đây.")
    await console.disconnect()

    reloaded = await console_socket(op_hanoi)
    opened = await receive_type(reloaded, "accepted")

    assert opened["conversation"] == conversation_id
    replies = await sync_to_async(
        lambda: {
            r.message.seq: r.pk
            for r in PlatformMessage.objects.filter(direction="out", message__author__isnull=False)
        }
    )()
    assert deliveries(opened) == {
        sent_seq: {"reply": replies[sent_seq], "status": "sent", "code": "", "notice": ""},
        failed_seq: {
            "reply": replies[failed_seq],
            "status": "failed",
            "code": "-213",
            "notice": failed["notice"],
        },
        retry_seq: {
            "reply": replies[retry_seq],
            "status": "retrying",
            "code": "http_503",
            "notice": retrying["notice"],
        },
    }
    # The same words the live frames carried.
    assert (sent["status"], failed["status"], retrying["status"]) == ("sent", "failed", "retrying")
    assert "không gửi được tới người liên hệ qua Zalo (mã lỗi -213)" in failed["notice"]
    # The helpline's own receipt and the young person's words carry none.
    senders = {m["seq"]: m["sender"] for m in opened["messages"]}
    assert {senders[seq] for seq in deliveries(opened)} == {"operator"}
    await reloaded.disconnect()


async def test_it_explains_a_closed_zalo_window_again_after_a_reload(request, op_hanoi):
    console, conversation_id = await accepted_platform_chat(
        request, "zalo_oa", lambda c: zalo_post(c, zalo_event("Em cần giúp")), op_hanoi
    )
    await sync_to_async(PlatformThread.objects.update)(
        last_inbound_at=timezone.now() - datetime.timedelta(hours=49)
    )
    seq, live = await say(console, conversation_id, "Em ơi")
    await console.disconnect()

    reloaded = await console_socket(op_hanoi)
    opened = await receive_type(reloaded, "accepted")

    delivery = deliveries(opened)[seq]
    assert (delivery["status"], delivery["code"]) == ("window_closed", "zalo_window")
    assert delivery["notice"] == live["notice"]
    assert "Zalo chỉ cho trả lời trong 48 giờ" in delivery["notice"]
    await reloaded.disconnect()


async def test_it_offers_the_human_agent_tag_again_to_the_author_only(
    request, op_hanoi, sup_hanoi, settings
):
    settings.MESSENGER_HUMAN_AGENT_ENABLED = True
    graph_api = request.getfixturevalue("graph_api")
    console, conversation_id = await accepted_platform_chat(
        request,
        "messenger_page",
        lambda c: messenger_post(c, messenger_message("Em cần giúp")),
        op_hanoi,
    )
    graph_api.fail_next(*graph_error(551))
    failed_seq, _failed = await say(console, conversation_id, "Em ơi")
    await sync_to_async(PlatformThread.objects.update)(
        last_inbound_at=timezone.now() - datetime.timedelta(hours=30)
    )
    seq, live = await say(console, conversation_id, "Chị đây")
    await console.disconnect()

    reloaded = await console_socket(op_hanoi)
    opened = await receive_type(reloaded, "accepted")

    delivery = deliveries(opened)[seq]
    assert delivery["status"] == "window_closed"
    assert delivery["offer"] == live["offer"]
    assert delivery["notice"] == live["notice"] and "HUMAN_AGENT" in delivery["notice"]
    assert deliveries(opened)[failed_seq]["code"] == "551"

    # A supervisor watching reads the same states, without the author's offer.
    supervisor = await console_socket(sup_hanoi)
    await supervisor.send_json_to({"type": "monitor", "conversation": conversation_id})
    watched = await receive_type(supervisor, "monitoring")
    assert deliveries(watched)[seq]["status"] == "window_closed"
    assert "offer" not in deliveries(watched)[seq]
    assert "HUMAN_AGENT" not in deliveries(watched)[seq]["notice"]
    await supervisor.disconnect()
    await reloaded.disconnect()


async def test_it_adds_nothing_to_a_web_chats_history(reference_data, op_hanoi):
    youth = await start_chat(province="01")
    console = await console_socket(op_hanoi)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    await console.send_json_to(
        {
            "type": "message",
            "conversation": conversation_id,
            "client_id": str(uuid.uuid4()),
            "body": "Chào em",
        }
    )
    await receive_type(console, "ack")
    await console.disconnect()

    reloaded = await console_socket(op_hanoi)
    opened = await receive_type(reloaded, "accepted")

    [reply] = opened["messages"]
    assert set(reply) == {"type", "conversation", "seq", "sender", "body", "at"}
    await reloaded.disconnect()
    await youth.disconnect()
