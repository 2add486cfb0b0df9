"""Supervisors watch a conversation only as a visible, recorded action; every history is a read.

The supervisor asks with "monitor": a MonitoringSession records who watched
which conversation from when until when, the operator's console is told, and
the history delivered is recorded as a read, as is every history a console
receives (on accept, on reconnect, on sync).
"""

import uuid

import pytest
from channels.db import database_sync_to_async

from cases.models import CaseEvent
from helpline.models import ConversationRead, MonitoringSession
from tests.helpline.chat_sockets import (
    console_socket,
    frames_until_quiet,
    receive_type,
    start_chat,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


async def chat_with_history(operator):
    youth = await start_chat(province="01")
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "cứu"})
    await receive_type(youth, "ack")
    console = await console_socket(operator)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    await receive_type(youth, "state")
    return youth, console, conversation_id


@database_sync_to_async
def reads(conversation_id) -> list[tuple[str, str, int, int]]:
    return list(
        ConversationRead.objects.filter(conversation_uuid=conversation_id)
        .order_by("id")
        .values_list("actor__username", "kind", "first_seq", "last_seq")
    )


@database_sync_to_async
def sessions(conversation_id) -> list[MonitoringSession]:
    return list(
        MonitoringSession.objects.filter(conversation_uuid=conversation_id).select_related(
            "supervisor"
        )
    )


async def test_accepting_and_reopening_a_conversation_are_recorded_reads(op_hanoi):
    youth, console, conversation_id = await chat_with_history(op_hanoi)
    assert await reads(conversation_id) == [("op_hanoi", "accepted", 1, 1)]
    await console.disconnect()
    again = await console_socket(op_hanoi)
    assert (await receive_type(again, "accepted"))["messages"][0]["body"] == "cứu"
    assert (await reads(conversation_id))[-1] == ("op_hanoi", "reopened", 1, 1)
    for socket in (youth, again):
        await socket.disconnect()


async def test_a_supervisor_watches_only_through_monitor_and_the_operator_is_told(
    op_hanoi, sup_hanoi
):
    youth, console, conversation_id = await chat_with_history(op_hanoi)
    supervisor = await console_socket(sup_hanoi)
    # A plain sync of someone else's chat is no longer a silent way in.
    await supervisor.send_json_to({"type": "sync", "conversation": conversation_id})
    assert (await receive_type(supervisor, "error"))["code"] == "not_found"
    assert [kind for _who, kind, *_ in await reads(conversation_id)] == ["accepted"]

    await supervisor.send_json_to({"type": "active"})
    [item] = (await receive_type(supervisor, "active"))["items"]
    assert (item["conversation"], item["operator"]) == (conversation_id, "op_hanoi")
    assert "body" not in item and "messages" not in item

    await supervisor.send_json_to({"type": "monitor", "conversation": conversation_id})
    watching = await receive_type(supervisor, "monitoring")
    assert [m["body"] for m in watching["messages"]] == ["cứu"]
    told = await receive_type(console, "monitored")
    assert (told["supervisor"], told["active"]) == ("sup_hanoi", True)
    assert (await reads(conversation_id))[-1] == ("sup_hanoi", "monitor", 1, 1)
    [session] = await sessions(conversation_id)
    assert session.supervisor.username == "sup_hanoi" and session.ended_at is None

    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "nữa"})
    assert (await receive_type(supervisor, "message"))["body"] == "nữa"

    await supervisor.send_json_to({"type": "unmonitor", "conversation": conversation_id})
    assert (await receive_type(supervisor, "monitor_ended"))["reason"] == "stopped"
    assert (await receive_type(console, "monitored"))["active"] is False
    [session] = await sessions(conversation_id)
    assert session.ended_at is not None and session.end_reason == "stopped"
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "ba"})
    await receive_type(youth, "ack")
    assert [f for f in await frames_until_quiet(supervisor) if f["type"] == "message"] == []
    for socket in (youth, console, supervisor):
        await socket.disconnect()


async def test_closing_the_console_ends_its_monitoring(op_hanoi, sup_hanoi):
    youth, console, conversation_id = await chat_with_history(op_hanoi)
    supervisor = await console_socket(sup_hanoi)
    await supervisor.send_json_to({"type": "monitor", "conversation": conversation_id})
    await receive_type(supervisor, "monitoring")
    await supervisor.disconnect()
    [session] = await sessions(conversation_id)
    assert session.end_reason == "console_closed" and session.ended_at is not None
    for socket in (youth, console):
        await socket.disconnect()


async def test_the_end_of_the_conversation_ends_its_monitoring(op_hanoi, sup_hanoi):
    youth, console, conversation_id = await chat_with_history(op_hanoi)
    supervisor = await console_socket(sup_hanoi)
    await supervisor.send_json_to({"type": "monitor", "conversation": conversation_id})
    await receive_type(supervisor, "monitoring")
    await console.send_json_to({"type": "end", "conversation": conversation_id})
    assert (await receive_type(supervisor, "monitor_ended"))["reason"] == "conversation_closed"
    [session] = await sessions(conversation_id)
    assert session.end_reason == "conversation_closed"
    for socket in (youth, console, supervisor):
        await socket.disconnect()


async def test_operators_and_other_provinces_cannot_monitor(op_hanoi, op_hue, reference_data):
    from helpline.models import User

    youth, console, conversation_id = await chat_with_history(op_hanoi)
    other_operator = await console_socket(op_hue)
    await other_operator.send_json_to({"type": "monitor", "conversation": conversation_id})
    assert (await receive_type(other_operator, "error"))["code"] == "not_allowed"
    await other_operator.send_json_to({"type": "active"})
    assert (await receive_type(other_operator, "error"))["code"] == "not_allowed"

    hue_supervisor = await database_sync_to_async(
        lambda: User.objects.create_user(
            username="sup_hue_test", role="supervisor", hotline=op_hue.hotline
        )
    )()
    supervisor = await console_socket(hue_supervisor)
    await supervisor.send_json_to({"type": "monitor", "conversation": conversation_id})
    assert (await receive_type(supervisor, "error"))["code"] == "not_found"
    assert await sessions(conversation_id) == []
    assert [kind for _who, kind, *_ in await reads(conversation_id)] == ["accepted"]
    for socket in (youth, console, other_operator, supervisor):
        await socket.disconnect()


async def test_a_read_of_a_linked_conversation_is_on_the_case_timeline(op_hanoi, sup_hanoi):
    youth, console, conversation_id = await chat_with_history(op_hanoi)
    await console.send_json_to({"type": "case_create", "conversation": conversation_id})
    linked = await receive_type(console, "case_linked")
    supervisor = await console_socket(sup_hanoi)
    await supervisor.send_json_to({"type": "monitor", "conversation": conversation_id})
    await receive_type(supervisor, "monitoring")
    events = await database_sync_to_async(
        lambda: list(
            CaseEvent.objects.filter(
                case_id=linked["case"], action=CaseEvent.Action.TRANSCRIPT_VIEWED
            ).values_list("actor__username", "detail")
        )
    )()
    assert events == [("sup_hanoi", {"conversation": conversation_id, "via": "monitor"})]
    for socket in (youth, console, supervisor):
        await socket.disconnect()
