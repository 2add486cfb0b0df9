"""Calls and SMS in the operator console, through the full ASGI application."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from helpline.models import Conversation
from telephony.models import Call, SmsMessage
from tests.helpline.chat_sockets import console_socket, receive_type
from tests.telephony.twilio_kit import CALLER, parse_twiml, payload, post_signed


async def outcome_of_accept(console, *, timeout=3.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await console.receive_json_from(timeout=max(deadline - loop.time(), 0.01))
        if frame["type"] in ("accepted", "error"):
            return frame


def signed(path: str, fixture: str, **fields):
    return post_signed(Client(), path, payload(fixture, **fields))


async def queue_a_call(*, danger: bool):
    await sync_to_async(signed)("/twilio/voice/", "voice_incoming")
    await sync_to_async(signed)(
        "/twilio/voice/gather/", "voice_gather", Digits="1" if danger else None
    )
    return await sync_to_async(Call.objects.select_related("conversation").get)()


@pytest.mark.django_db(transaction=True)
async def test_it_shows_a_call_in_the_queue_and_lets_exactly_one_operator_take_it(
    telephony_ready, op_hanoi, sup_hanoi, fake_twilio
):
    first = await console_socket(op_hanoi)
    second = await console_socket(sup_hanoi)
    call = await queue_a_call(danger=True)
    conversation_id = str(call.conversation_id)
    for console in (first, second):
        queue = await receive_type(console, "queue")
        [item] = queue["items"]
        assert item["conversation"] == conversation_id
        assert (item["channel"], item["risk"], item["hotline"]) == ("voice", "imminent", "01")
        assert CALLER not in repr(queue)

    for console in (first, second):
        await console.send_json_to({"type": "accept", "conversation": conversation_id})
    outcomes = {}
    for name, console in (("op_hanoi", first), ("sup_hanoi", second)):
        frame = await outcome_of_accept(console)
        outcomes[name] = frame["type"]
        if frame["type"] == "error":
            assert frame["code"] == "already_taken"
    assert sorted(outcomes.values()) == ["accepted", "error"]
    winner = op_hanoi if outcomes["op_hanoi"] == "accepted" else sup_hanoi

    # The redirect happens once, after the commit, to the winner's softphone.
    for _ in range(50):
        if fake_twilio.requests:
            break
        await asyncio.sleep(0.02)
    [request] = fake_twilio.requests
    assert request.url.endswith(f"/Calls/{call.call_sid}.json")
    identity = parse_twiml(request.data["Twiml"]).find("Dial/Client/Identity").text
    assert identity == f"staff-{winner.pk}"
    conversation = await sync_to_async(Conversation.objects.get)()
    assert (conversation.state, conversation.operator_id) == ("active", winner.pk)
    await first.disconnect()
    await second.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_it_pushes_a_failed_redirect_to_the_operators_console(
    telephony_ready, op_hanoi, fake_twilio
):
    console = await console_socket(op_hanoi)
    call = await queue_a_call(danger=False)
    fake_twilio.fail_next((400, "rest_error_unreachable"))
    await console.send_json_to({"type": "accept", "conversation": str(call.conversation_id)})
    await receive_type(console, "accepted")
    frame = await receive_type(console, "call_error")
    assert frame["conversation"] == str(call.conversation_id)
    assert frame["code"] == "connect_failed"
    assert frame["notice"].startswith("Không chuyển được cuộc gọi")
    await console.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_it_sends_a_console_reply_to_an_sms_conversation_by_sms(
    telephony_ready, op_hanoi, fake_twilio
):
    console = await console_socket(op_hanoi)
    await sync_to_async(signed)("/twilio/sms/", "sms_incoming")
    conversation = await sync_to_async(Conversation.objects.get)()
    queue = await receive_type(console, "queue")
    assert queue["items"][0]["channel"] == "sms"
    await console.send_json_to({"type": "accept", "conversation": str(conversation.pk)})
    accepted = await receive_type(console, "accepted")
    assert accepted["messages"][0]["body"] == payload("sms_incoming")["Body"]
    client_id = "3f1f8b7e-2c1d-4e5f-9a8b-7c6d5e4f3a2b"
    await console.send_json_to(
        {
            "type": "message",
            "conversation": str(conversation.pk),
            "client_id": client_id,
            "body": "Chị nghe đây. Em đang ở đâu?",
        }
    )
    ack = await receive_type(console, "ack")
    assert (ack["client_id"], ack["seq"]) == (client_id, 2)
    for _ in range(50):
        if fake_twilio.requests:
            break
        await asyncio.sleep(0.02)
    [request] = fake_twilio.requests
    assert request.url.endswith("/Messages.json")
    assert (request.data["To"], request.data["Body"]) == (CALLER, "Chị nghe đây. Em đang ở đâu?")
    sms = await sync_to_async(SmsMessage.objects.select_related("message").get)(direction="out")
    assert (sms.message.seq, sms.status) == (2, "queued")

    # A failed delivery report shows on the console with the message's seq.
    await sync_to_async(signed)(
        "/twilio/sms/status/",
        "sms_status_undelivered",
        MessageSid=sms.message_sid,
        SmsSid=sms.message_sid,
    )
    frame = await receive_type(console, "sms_status")
    assert (frame["seq"], frame["status"]) == (2, "undelivered")
    assert frame["notice"] == "Tin nhắn SMS số 2 không gửi được tới người liên hệ."
    await console.disconnect()
