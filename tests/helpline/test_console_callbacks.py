"""A console hears when a callback request waits for its hotline, and nothing of another's."""

import json

import pytest
from asgiref.sync import sync_to_async
from cryptography.fernet import Fernet
from django.test import Client

from tests.helpline.chat_sockets import console_socket, frames_until_quiet, receive_type

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def request_callback(province: str) -> int:
    body = {
        "province": province,
        "phone": "0912 345 678",
        "window_start": "18:00",
        "window_end": "20:00",
        "may_identify": False,
        "language": "vi",
    }
    response = Client().post(
        "/chat/callback/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN="http://testserver",
    )
    return response.status_code


async def test_the_hotlines_consoles_get_the_count_and_others_nothing(op_hanoi, op_hue, settings):
    settings.PHONE_ENCRYPTION_KEY = Fernet.generate_key().decode()
    hanoi = await console_socket(op_hanoi)
    hue = await console_socket(op_hue)
    assert await sync_to_async(request_callback)("01") in (200, 201)
    frame = await receive_type(hanoi, "callbacks")
    assert (frame["open"], frame["unclaimed"]) == (1, 1)
    assert "phone" not in frame and "masked" not in frame
    assert [f for f in await frames_until_quiet(hue) if f["type"] == "callbacks"] == []
    for socket in (hanoi, hue):
        await socket.disconnect()
