"""Telephony fixtures: Twilio configured, hotline numbers set, an operator at the console."""

import pytest
from cryptography.fernet import Fernet

from helpline.models import Hotline
from helpline.presence import presence_heartbeat
from telephony.twilio_client import twilio_http_client_installed
from tests.telephony import twilio_kit

PHONE_KEY = Fernet.generate_key().decode()


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = twilio_kit.ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = twilio_kit.AUTH_TOKEN
    settings.TWILIO_PUBLIC_BASE_URL = twilio_kit.PUBLIC_BASE_URL
    settings.TWILIO_API_KEY_SID = "SKa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
    settings.TWILIO_API_KEY_SECRET = "api-key-secret-for-tests-only-0123456789"
    settings.TWILIO_TWIML_APP_SID = "APa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
    settings.PHONE_ENCRYPTION_KEY = PHONE_KEY
    return settings


@pytest.fixture
def fake_twilio():
    fake = twilio_kit.FakeTwilioHttpClient()
    with twilio_http_client_installed(fake):
        yield fake


@pytest.fixture
def numbered_hotlines(reference_data):
    """Hanoi and central with public numbers; Hanoi open around the clock unless a test
    closes it."""
    hanoi = Hotline.objects.get(code="01")
    hanoi.voice_number = "+84 24 7300 1234"
    hanoi.always_open = True
    hanoi.save()
    central = Hotline.objects.get(code="00")
    central.voice_number = twilio_kit.HOTLINE_CENTRAL_NUMBER
    central.save()
    return {"hanoi": hanoi, "central": central}


@pytest.fixture
def telephony_ready(twilio_settings, fake_twilio, numbered_hotlines, op_hanoi, op_central):
    """Twilio configured, and one operator at the Hanoi and central consoles."""
    presence_heartbeat(user=op_hanoi, status="available")
    presence_heartbeat(user=op_central, status="available")
    return numbered_hotlines
