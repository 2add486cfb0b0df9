"""The sockets speak the language the person chose with the site's switch, as the pages do.

Vietnamese first: only the language cookie set by the switch leads to English,
never the browser's Accept-Language (config/locale.py). The youth chat's `start`
may also name its language.
"""

import uuid

import pytest
from django.conf import settings

from tests.helpline.chat_sockets import console_socket, receive_type, start_chat, youth_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

ENGLISH = (b"accept-language", b"en-US,en;q=0.9")


def language_cookie(value: str) -> tuple[bytes, bytes]:
    return (b"cookie", f"{settings.LANGUAGE_COOKIE_NAME}={value}".encode())


async def test_an_operator_who_chose_english_gets_english_error_details(op_hanoi):
    console = await console_socket(op_hanoi, cookies={settings.LANGUAGE_COOKIE_NAME: "en"})
    await console.send_to(text_data="not json")
    assert await receive_type(console, "error") == {
        "type": "error",
        "code": "invalid_json",
        "detail": "The frame is not valid JSON.",
    }
    # Errors raised in the worker thread that does the database work, too.
    await console.send_json_to(
        {"type": "case_link", "conversation": str(uuid.uuid4()), "reference": "HN-2026-000001"}
    )
    assert (await receive_type(console, "error"))["detail"] == "Conversation not found."
    await console.disconnect()


async def test_an_operator_without_the_cookie_gets_vietnamese_whatever_the_browser_asks(op_hanoi):
    console = await console_socket(op_hanoi, headers=[ENGLISH])
    await console.send_json_to({"type": "nonsense"})
    assert (await receive_type(console, "error"))["detail"] == "Loại khung không được hỗ trợ."
    await console.disconnect()


async def test_the_youth_chat_follows_the_cookie_before_start_and_the_start_frame_after():
    youth = await youth_socket(headers=[language_cookie("en"), ENGLISH])
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "hi"})
    assert (await receive_type(youth, "error"))["code"] == "not_started"
    await youth.send_json_to({"type": "nonsense"})
    assert (await receive_type(youth, "error"))["detail"] == "Unsupported frame type."
    await youth.disconnect()

    chat = await start_chat(language="en", headers=[ENGLISH])
    await chat.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "  "})
    assert (await receive_type(chat, "error"))["detail"] == "The message is empty."
    await chat.disconnect()

    chat = await start_chat(headers=[ENGLISH])
    await chat.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "  "})
    assert (await receive_type(chat, "error"))["detail"] == "Tin nhắn trống."
    await chat.disconnect()


async def test_a_resumed_chat_speaks_the_page_language_or_the_one_it_started_in():
    chat = await start_chat(language="en")
    token = chat.started["token"]
    await chat.disconnect()
    for headers, expected in (
        ([], "The message is empty."),
        ([language_cookie("vi")], "Tin nhắn trống."),
    ):
        again = await youth_socket(headers=headers)
        await again.send_json_to({"type": "resume", "token": token})
        await receive_type(again, "resumed")
        await again.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": " "})
        assert (await receive_type(again, "error"))["detail"] == expected
        await again.disconnect()
