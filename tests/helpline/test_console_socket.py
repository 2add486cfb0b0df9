"""The operator console socket: auth, queue, accept race, relay, end, transfer, cases."""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import override_settings

from cases.models import Case, CaseEvent
from helpline import groups
from helpline.conversations import conversation_start, message_post
from helpline.models import CannedResponse, Conversation, ConversationState, Message
from helpline.signals import conversation_accepted, operator_message_posted
from tests.helpline.chat_sockets import (
    HOST,
    ORIGIN,
    console_socket,
    frames_until_quiet,
    receive_type,
    start_chat,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@database_sync_to_async
def row(conversation_id) -> Conversation:
    return Conversation.objects.select_related("operator", "hotline", "case").get(
        pk=conversation_id
    )


async def accepted_chat(operator, *, province="01"):
    """A young person's socket and a console that accepted the chat."""
    youth = await start_chat(province=province)
    console = await console_socket(operator)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    accepted = await receive_type(console, "accepted")
    assert await receive_type(youth, "state") == {"type": "state", "state": "active", "reason": ""}
    return youth, console, conversation_id, accepted


async def test_it_closes_4403_for_anonymous_and_for_people_who_are_not_hotline_staff(
    liaison_a05, administrator
):
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    anonymous = WebsocketCommunicator(application, "/ws/console/", headers=[HOST, ORIGIN])
    assert (await anonymous.connect())[0]
    assert await anonymous.receive_output() == {"type": "websocket.close", "code": 4403}
    for user in (liaison_a05, administrator):
        from tests.helpline.chat_sockets import session_cookie

        cookie = await sync_to_async(session_cookie)(user)
        socket = WebsocketCommunicator(
            application,
            "/ws/console/",
            headers=[HOST, ORIGIN, (b"cookie", f"sessionid={cookie}".encode())],
        )
        assert (await socket.connect())[0]
        assert await socket.receive_output() == {"type": "websocket.close", "code": 4403}


async def test_it_pushes_the_queue_on_connect_and_again_when_it_changes(op_hanoi, op_hue):
    await database_sync_to_async(CannedResponse.objects.create)(title="Chào", body="Chào bạn")
    console = await console_socket(op_hanoi)
    assert console.greeting["hello"]["hotline"] == "01"
    assert console.greeting["queue"]["items"] == []
    assert [c["title"] for c in console.greeting["canned"]["items"]] == ["Chào"]
    hue = await console_socket(op_hue)

    youth = await start_chat(province="01", age_group="15-17")
    queue = await receive_type(console, "queue")
    [item] = queue["items"]
    assert item["conversation"] == youth.started["conversation"]
    assert (item["channel"], item["province"], item["risk"], item["overflow"]) == (
        "webchat",
        "01",
        "",
        False,
    )
    assert "body" not in item
    # Another province's console hears nothing about it.
    assert [f for f in await frames_until_quiet(hue) if f["type"] == "queue"] == []
    for socket in (console, hue, youth):
        await socket.disconnect()


async def test_two_operators_racing_to_accept_have_exactly_one_winner(op_hanoi, sup_hanoi):
    youth = await start_chat(province="01")
    conversation_id = youth.started["conversation"]
    first = await console_socket(op_hanoi)
    second = await console_socket(sup_hanoi)
    await asyncio.gather(
        first.send_json_to({"type": "accept", "conversation": conversation_id}),
        second.send_json_to({"type": "accept", "conversation": conversation_id}),
    )

    async def outcome(socket):
        frames = await frames_until_quiet(socket, timeout=0.5)
        return [f for f in frames if f["type"] in ("accepted", "error")]

    results = await asyncio.gather(outcome(first), outcome(second))
    kinds = sorted(frames[0]["type"] for frames in results)
    assert kinds == ["accepted", "error"]
    loser = next(frames[0] for frames in results if frames[0]["type"] == "error")
    assert loser["code"] == "already_taken"
    conversation = await row(conversation_id)
    assert conversation.state == ConversationState.ACTIVE
    winner = first if results[0][0]["type"] == "accepted" else second
    assert conversation.operator.username == ("op_hanoi" if winner is first else "sup_hanoi")
    for socket in (first, second, youth):
        await socket.disconnect()


async def test_it_relays_messages_both_ways_with_acks_and_sends_signals(op_hanoi):
    youth = await start_chat()
    await youth.send_json_to(
        {"type": "message", "client_id": str(uuid.uuid4()), "body": "Em cần giúp"}
    )
    await receive_type(youth, "ack")
    received = []
    operator_message_posted.connect(
        lambda sender, message, **kw: received.append(message.seq), weak=False, dispatch_uid="t1"
    )
    accepted_ops = []
    conversation_accepted.connect(
        lambda sender, conversation, operator, **kw: accepted_ops.append(operator.username),
        weak=False,
        dispatch_uid="t2",
    )
    try:
        console = await console_socket(op_hanoi)
        conversation_id = youth.started["conversation"]
        await console.send_json_to({"type": "accept", "conversation": conversation_id})
        accepted = await receive_type(console, "accepted")
        assert [(m["seq"], m["sender"], m["body"]) for m in accepted["messages"]] == [
            (1, "youth", "Em cần giúp")
        ]
        assert accepted_ops == ["op_hanoi"]

        client_id = str(uuid.uuid4())
        await console.send_json_to(
            {
                "type": "message",
                "conversation": conversation_id,
                "client_id": client_id,
                "body": "Chào em",
            }
        )
        assert await receive_type(console, "ack") == {
            "type": "ack",
            "conversation": conversation_id,
            "client_id": client_id,
            "seq": 2,
        }
        pushed = await receive_type(youth, "message")
        assert (pushed["seq"], pushed["sender"], pushed["body"]) == (2, "operator", "Chào em")
        assert received == [2]

        await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "Dạ"})
        pushed = await receive_type(console, "message")
        assert (pushed["conversation"], pushed["seq"], pushed["sender"]) == (
            conversation_id,
            3,
            "youth",
        )

        await youth.send_json_to({"type": "typing"})
        assert await receive_type(console, "typing") == {
            "type": "typing",
            "conversation": conversation_id,
        }
        await console.send_json_to({"type": "typing", "conversation": conversation_id})
        assert await receive_type(youth, "typing") == {"type": "typing"}
    finally:
        operator_message_posted.disconnect(dispatch_uid="t1")
        conversation_accepted.disconnect(dispatch_uid="t2")
    for socket in (console, youth):
        await socket.disconnect()


async def test_an_operator_may_only_write_into_a_conversation_they_accepted(op_hanoi, sup_hanoi):
    youth, console, conversation_id, _ = await accepted_chat(op_hanoi)
    other = await console_socket(sup_hanoi)
    frame = {
        "type": "message",
        "conversation": conversation_id,
        "client_id": str(uuid.uuid4()),
        "body": "x",
    }
    await other.send_json_to(frame)
    error = await receive_type(other, "error")
    assert error["code"] == "not_allowed"
    await other.send_json_to({"type": "typing", "conversation": conversation_id})
    assert (await receive_type(other, "error"))["code"] == "not_allowed"
    await other.send_json_to({"type": "end", "conversation": conversation_id})
    assert (await receive_type(other, "error"))["code"] == "not_allowed"
    assert await database_sync_to_async(Message.objects.filter(sender="operator").count)() == 0
    for socket in (console, other, youth):
        await socket.disconnect()


async def test_an_operator_cannot_see_another_provinces_conversation(op_hue):
    youth = await start_chat(province="01")
    console = await console_socket(op_hue)
    await console.send_json_to({"type": "accept", "conversation": youth.started["conversation"]})
    assert (await receive_type(console, "error"))["code"] == "not_found"
    await console.send_json_to({"type": "accept", "conversation": "nope"})
    assert (await receive_type(console, "error"))["code"] == "invalid_field"
    for socket in (console, youth):
        await socket.disconnect()


async def test_ending_from_the_console_tells_the_young_person(op_hanoi):
    youth, console, conversation_id, _ = await accepted_chat(op_hanoi)
    await console.send_json_to({"type": "end", "conversation": conversation_id})
    assert await receive_type(console, "state") == {
        "type": "state",
        "conversation": conversation_id,
        "state": "ended",
        "reason": "operator_ended",
    }
    assert (await receive_type(youth, "state"))["state"] == "ended"
    conversation = await row(conversation_id)
    assert conversation.state == ConversationState.ENDED
    assert conversation.waited is not None and conversation.handled is not None
    await youth.send_json_to(
        {"type": "message", "client_id": str(uuid.uuid4()), "body": "còn đó không"}
    )
    assert (await receive_type(youth, "error"))["code"] == "conversation_closed"
    for socket in (console, youth):
        await socket.disconnect()


async def test_quick_exit_tells_the_operator_the_young_person_left_in_a_hurry(op_hanoi):
    youth, console, conversation_id, _ = await accepted_chat(op_hanoi)
    await youth.send_json_to({"type": "end", "reason": "quick_exit"})
    state = await receive_type(console, "state")
    assert (state["state"], state["reason"]) == ("ended", "quick_exit")
    assert await receive_type(console, "quick_exit") == {
        "type": "quick_exit",
        "conversation": conversation_id,
    }
    assert (await row(conversation_id)).ended_reason == "quick_exit"
    for socket in (console, youth):
        await socket.disconnect()


async def test_transfer_puts_the_conversation_with_its_history_in_another_queue(op_hanoi, op_hue):
    youth, console, conversation_id, _ = await accepted_chat(op_hanoi)
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "lịch sử"})
    await receive_type(console, "message")
    hue = await console_socket(op_hue)
    await console.send_json_to(
        {"type": "transfer", "conversation": conversation_id, "hotline": "46"}
    )
    assert await receive_type(console, "transferred") == {
        "type": "transferred",
        "conversation": conversation_id,
        "hotline": "46",
    }
    assert (await receive_type(youth, "state"))["state"] == "queued"
    assert (await receive_type(youth, "queue"))["position"] == 1
    queue = await receive_type(hue, "queue")
    assert [i["conversation"] for i in queue["items"]] == [conversation_id]
    assert queue["items"][0]["transferred"] is True
    await hue.send_json_to({"type": "accept", "conversation": conversation_id})
    accepted = await receive_type(hue, "accepted")
    assert [m["body"] for m in accepted["messages"]] == ["lịch sử"]
    conversation = await row(conversation_id)
    assert (conversation.hotline.code, conversation.operator.username) == ("46", "op_hue")
    assert conversation.transfer_count == 1
    # The first operator no longer holds it.
    await console.send_json_to(
        {
            "type": "message",
            "conversation": conversation_id,
            "client_id": str(uuid.uuid4()),
            "body": "x",
        }
    )
    assert (await receive_type(console, "error"))["code"] == "not_allowed"
    for socket in (console, hue, youth):
        await socket.disconnect()


@override_settings(OPERATOR_CAPACITY=1, CHAT_MAX_QUEUED_PER_ADDRESS=10)
async def test_an_operator_cannot_accept_beyond_capacity(op_hanoi):
    youth, console, _conversation_id, _ = await accepted_chat(op_hanoi)
    second = await start_chat()
    await console.send_json_to({"type": "accept", "conversation": second.started["conversation"]})
    assert (await receive_type(console, "error"))["code"] == "capacity_reached"
    assert (await row(second.started["conversation"])).state == ConversationState.QUEUED
    for socket in (console, youth, second):
        await socket.disconnect()


async def test_a_voice_conversation_is_in_the_queue_but_takes_no_text(op_hanoi, hotline_hanoi):
    call, _token = await database_sync_to_async(conversation_start)(
        channel="voice", hotline=hotline_hanoi
    )
    console = await console_socket(op_hanoi)
    assert [i["channel"] for i in console.greeting["queue"]["items"]] == ["voice"]
    await console.send_json_to({"type": "accept", "conversation": str(call.pk)})
    await receive_type(console, "accepted")
    await console.send_json_to(
        {
            "type": "message",
            "conversation": str(call.pk),
            "client_id": str(uuid.uuid4()),
            "body": "x",
        }
    )
    assert (await receive_type(console, "error"))["code"] == "voice_channel"
    await console.disconnect()


async def test_it_creates_a_case_from_the_conversation_and_links_another(op_hanoi, make_case):
    youth, console, conversation_id, _ = await accepted_chat(op_hanoi)
    await console.send_json_to(
        {
            "type": "case_create",
            "conversation": conversation_id,
            "risk": "high",
            "summary": "Bị bắt nạt",
            "categories": ["online.cyberbullying"],
        }
    )
    linked = await receive_type(console, "case_linked")
    assert linked["created"] is True
    case = await database_sync_to_async(Case.objects.get)(pk=linked["case"])
    assert (case.risk, case.reference) == ("high", linked["reference"])
    assert linked["transcript_url"] == f"/cases/{case.pk}/transcript/"
    assert (await row(conversation_id)).case_id == case.pk
    events = await database_sync_to_async(
        lambda: list(CaseEvent.objects.filter(case=case).values_list("action", "detail"))
    )()
    assert (
        "conversation_linked",
        {"conversation": conversation_id, "channel": "webchat"},
    ) in events
    # A second click returns the same case.
    await console.send_json_to({"type": "case_create", "conversation": conversation_id})
    again = await receive_type(console, "case_linked")
    assert (again["case"], again["created"]) == (case.pk, False)

    other = await database_sync_to_async(make_case)(by=op_hanoi)
    await console.send_json_to(
        {"type": "case_link", "conversation": conversation_id, "case": other.pk}
    )
    assert (await receive_type(console, "case_linked"))["case"] == other.pk
    assert (await row(conversation_id)).case_id == other.pk
    await console.send_json_to(
        {"type": "case_link", "conversation": conversation_id, "case": 999999}
    )
    assert (await receive_type(console, "error"))["code"] == "not_found"
    for socket in (console, youth):
        await socket.disconnect()


async def test_it_cannot_link_a_case_the_operator_may_not_see(op_hanoi, op_hue, make_case):
    hue_case = await database_sync_to_async(make_case)(by=op_hue)
    youth, console, conversation_id, _ = await accepted_chat(op_hanoi)
    await console.send_json_to(
        {"type": "case_link", "conversation": conversation_id, "case": hue_case.pk}
    )
    assert (await receive_type(console, "error"))["code"] == "not_found"
    assert (await row(conversation_id)).case_id is None
    for socket in (console, youth):
        await socket.disconnect()


async def test_it_links_a_case_by_the_reference_operators_know(op_hanoi, op_hue, make_case):
    own = await database_sync_to_async(make_case)(by=op_hanoi)
    hue_case = await database_sync_to_async(make_case)(by=op_hue)
    youth, console, conversation_id, _ = await accepted_chat(op_hanoi)
    # Typed by hand: spaces and lower case are forgiven.
    await console.send_json_to(
        {
            "type": "case_link",
            "conversation": conversation_id,
            "reference": f" {own.reference.lower()} ",
        }
    )
    linked = await receive_type(console, "case_linked")
    assert (linked["case"], linked["reference"], linked["created"]) == (
        own.pk,
        own.reference,
        False,
    )
    assert (await row(conversation_id)).case_id == own.pk
    events = await database_sync_to_async(
        lambda: list(
            CaseEvent.objects.filter(case=own, action="conversation_linked").values_list(
                "detail", flat=True
            )
        )
    )()
    assert events == [{"conversation": conversation_id, "channel": "webchat"}]

    # Another province's case and a reference that does not exist look the same.
    for reference in (hue_case.reference, "HN-2026-999999"):
        await console.send_json_to(
            {"type": "case_link", "conversation": conversation_id, "reference": reference}
        )
        error = await receive_type(console, "error")
        assert (error["code"], error["conversation"]) == ("not_found", conversation_id)
    assert (await row(conversation_id)).case_id == own.pk

    await console.send_json_to({"type": "case_link", "conversation": conversation_id})
    error = await receive_type(console, "error")
    assert (error["code"], error["field"]) == ("missing_field", "case")
    await console.send_json_to(
        {"type": "case_link", "conversation": conversation_id, "reference": 123}
    )
    error = await receive_type(console, "error")
    assert (error["code"], error["field"]) == ("invalid_field", "reference")
    for socket in (console, youth):
        await socket.disconnect()


async def test_it_forwards_console_push_events_as_the_frame_itself(op_hanoi):
    console = await console_socket(op_hanoi)
    frame = {"type": "escalation_update", "escalation": 7}
    await get_channel_layer().group_send(
        groups.staff_group(op_hanoi.pk), {"type": "console.push", "frame": frame}
    )
    assert await receive_type(console, "escalation_update") == frame
    await console.disconnect()


async def test_a_reloaded_console_gets_its_active_chats_back(op_hanoi):
    youth, console, conversation_id, _ = await accepted_chat(op_hanoi)
    await console.disconnect()
    again = await console_socket(op_hanoi)
    accepted = await receive_type(again, "accepted")
    assert accepted["conversation"] == conversation_id
    for socket in (again, youth):
        await socket.disconnect()


async def test_a_lost_group_message_is_repaired_from_the_database(op_hanoi):
    youth, console, conversation_id, _ = await accepted_chat(op_hanoi)
    # Written without any broadcast, as if the channel layer dropped the signal.
    await database_sync_to_async(_post_silently)(conversation_id, "mất tín hiệu")
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "sau đó"})
    first = await receive_type(console, "message")
    second = await receive_type(console, "message")
    assert [(first["seq"], first["body"]), (second["seq"], second["body"])] == [
        (1, "mất tín hiệu"),
        (2, "sau đó"),
    ]
    # The young person also gets the gap before the ack of its own message.
    await console.send_json_to({"type": "sync", "conversation": conversation_id, "last_seq": 1})
    info = await receive_type(console, "conversation")
    assert info["last_seq"] == 2
    replay = await receive_type(console, "message")
    assert replay["seq"] == 2
    for socket in (console, youth):
        await socket.disconnect()


def _post_silently(conversation_id, body):
    from django.db import transaction

    with transaction.atomic():
        message_post(conversation_id=conversation_id, sender="youth", body=body)
        # Drop every broadcast this transaction would make.
        transaction.get_connection().run_on_commit = []


async def test_presence_follows_the_console(op_hanoi):
    from helpline.presence import staff_online

    console = await console_socket(op_hanoi)
    online = await database_sync_to_async(
        lambda: list(staff_online().values_list("username", flat=True))
    )()
    assert online == ["op_hanoi"]
    await console.send_json_to({"type": "presence", "status": "away"})
    assert await receive_type(console, "presence") == {
        "type": "presence",
        "status": "away",
        "active": 0,
        "capacity": 3,
    }
    await console.send_json_to({"type": "presence", "status": "asleep"})
    assert (await receive_type(console, "error"))["code"] == "invalid_field"
    await console.disconnect()
    online = await database_sync_to_async(
        lambda: list(staff_online().values_list("username", flat=True))
    )()
    assert online == []
