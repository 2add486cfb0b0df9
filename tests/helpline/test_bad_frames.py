"""Bad frames get an error frame and the socket stays open; text follows the HTTP forms' rules."""

import json
import logging
import uuid

import pytest
from channels.db import database_sync_to_async

from cases.models import Case
from helpline.models import Message
from tests.escalation.test_liaison_socket import liaison_socket
from tests.helpline.chat_sockets import console_socket, receive_type, start_chat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"type": "message", "a": ' + '{"a": ' * 50 + "1" + "}" * 50 + "}"
SURROGATE = '{"type": "message", "client_id": "%s", "body": "\\ud800 lone"}'
NUL = '{"type": "message", "client_id": "%s", "body": "before\\u0000after"}'


async def still_open(socket) -> bool:
    await socket.send_json_to({"type": "ping"})
    return (await receive_type(socket, "pong", skip=False))["type"] == "pong"


async def sockets(op_hanoi, liaison_a05):
    youth = await start_chat()
    console = await console_socket(op_hanoi)
    liaison = await liaison_socket(liaison_a05)
    return {"youth": youth, "console": console, "liaison": liaison}


async def test_deep_nesting_gets_an_error_on_every_socket(op_hanoi, liaison_a05, caplog):
    opened = await sockets(op_hanoi, liaison_a05)
    with caplog.at_level(logging.DEBUG):
        for socket in opened.values():
            for text in (DEEP, DEEP_OBJECT):
                await socket.send_to(text_data=text)
                assert (await receive_type(socket, "error"))["code"] == "invalid_json"
            assert await still_open(socket)
    assert "Traceback" not in caplog.text
    for socket in opened.values():
        await socket.disconnect()


async def test_a_lone_surrogate_or_a_nul_is_refused_and_nothing_is_stored(
    op_hanoi, liaison_a05, caplog
):
    opened = await sockets(op_hanoi, liaison_a05)
    youth = opened["youth"]
    with caplog.at_level(logging.DEBUG):
        for template in (SURROGATE, NUL):
            for socket in opened.values():
                await socket.send_to(text_data=template % uuid.uuid4())
                assert (await receive_type(socket, "error"))["code"] == "invalid_text"
                assert await still_open(socket)
    assert "lone" not in caplog.text and "before" not in caplog.text
    stored = await database_sync_to_async(
        lambda: Message.objects.filter(conversation_id=youth.started["conversation"]).count()
    )()
    assert stored == 0
    for socket in opened.values():
        await socket.disconnect()


async def test_a_case_summary_from_the_console_has_the_forms_limit(op_hanoi):
    youth = await start_chat()
    console = await console_socket(op_hanoi)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    limit = Case._meta.get_field("summary").max_length
    await console.send_json_to(
        {"type": "case_create", "conversation": conversation_id, "summary": "x" * 15000}
    )
    error = await receive_type(console, "error")
    assert (error["code"], error["field"], error["max"]) == ("too_long", "summary", limit)
    assert await database_sync_to_async(Case.objects.count)() == 0
    await console.send_json_to(
        {"type": "case_create", "conversation": conversation_id, "summary": "x" * limit}
    )
    assert (await receive_type(console, "case_linked"))["created"] is True
    for socket in (youth, console):
        await socket.disconnect()


async def test_a_frame_that_is_json_but_not_an_object_gets_an_error(op_hanoi):
    console = await console_socket(op_hanoi)
    for text in ("[1, 2]", '"text"', "null", json.dumps({"type": 7})):
        await console.send_to(text_data=text)
        assert (await receive_type(console, "error"))["type"] == "error"
    assert await still_open(console)
    await console.disconnect()
