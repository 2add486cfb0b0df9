"""The console page hands its script what phones need; the youth chat knows nothing of Twilio."""

import json
import re
from pathlib import Path

import pytest

from tests.logins import staff_login

pytestmark = pytest.mark.django_db

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "twilio-voice"


def console_config(response) -> dict:
    match = re.search(
        r'<script id="console-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match
    return json.loads(match.group(1))


def policy_of(response) -> dict[str, str]:
    directives = (d.strip() for d in response["Content-Security-Policy"].split(";"))
    return {d.split(" ", 1)[0]: d for d in directives if d}


def test_it_gives_the_console_the_telephony_addresses_and_a_csrf_token(client, op_hanoi):
    staff_login(client, op_hanoi)

    response = client.get("/console/")

    config = console_config(response)
    telephony = config["telephony"]
    placeholder = telephony["placeholder"]
    assert telephony["state"] == f"/console/phone/{placeholder}/state/"
    assert telephony["reveal"] == f"/console/phone/{placeholder}/reveal/"
    assert telephony["reconnect"] == f"/console/calls/{placeholder}/reconnect/"
    assert telephony["voiceToken"] == "/console/voice-token/"
    assert telephony["sdk"].endswith("vendor/twilio-voice/twilio.min.js")
    assert config["isSupervisor"] is False
    assert len(config["csrfToken"]) >= 32
    assert response.cookies["csrftoken"].value


def test_it_tells_the_console_when_the_user_is_a_supervisor(client, sup_hanoi):
    staff_login(client, sup_hanoi)

    assert console_config(client.get("/console/"))["isSupervisor"] is True


def test_it_loads_the_softphone_sdk_only_on_demand(client, op_hanoi):
    staff_login(client, op_hanoi)

    content = client.get("/console/").content.decode()

    # console.js adds the SDK's script tag once the token view has answered.
    assert re.findall(r'<script[^>]*\ssrc="([^"]+)"', content) == ["/static/console/console.js"]


def test_it_lets_only_the_console_reach_twilio(client, op_hanoi):
    staff_login(client, op_hanoi)

    console = policy_of(client.get("/console/"))
    chat = policy_of(client.get("/chat/"))

    assert console["default-src"] == "default-src 'none'"
    assert console["script-src"] == "script-src 'self'"
    assert "wss://*.twilio.com" in console["connect-src"]
    assert "https://*.twilio.com" in console["connect-src"]
    assert "twilio" not in " ".join(chat.values())
    assert chat["connect-src"] == "connect-src 'self'"


def test_it_keeps_the_youth_chat_free_of_the_softphone(client, reference_data):
    content = client.get("/chat/").content.decode()

    assert "twilio" not in content.lower()
    assert "voice-token" not in content


def test_it_ships_the_sdk_with_its_licence_and_origin():
    readme = (VENDOR / "README.md").read_text()

    assert (VENDOR / "twilio.min.js").stat().st_size > 100_000
    assert "Apache License" in (VENDOR / "LICENSE.md").read_text()
    assert "@twilio/voice-sdk" in readme
    assert re.search(r"version \d+\.\d+\.\d+", readme)
    assert "http" not in readme
