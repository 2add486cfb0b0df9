"""Revealing a caller's or a callback's number asks for the password or a code again."""

import pytest

from telephony.models import CallbackEvent, PhoneReveal
from tests.accounts.helpers import app_code, proof_expire, with_password
from tests.logins import confirmed_totp_device, staff_login
from tests.telephony.test_callbacks_staff import HANOI_NUMBER, ask
from tests.telephony.twilio_kit import CALLER, payload, post_signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def caller_conversation(client, telephony_ready):
    from helpline.models import Conversation

    post_signed(client, "/twilio/sms/", payload("sms_incoming"))
    return Conversation.objects.get()


def test_it_asks_the_console_to_confirm_before_revealing_a_callers_number(
    client, caller_conversation, sup_hanoi
):
    with_password(sup_hanoi)
    staff_login(client, sup_hanoi)
    proof_expire(client)
    url = f"/console/phone/{caller_conversation.pk}/reveal/"

    refused = client.post(url, headers={"Accept": "application/json"})

    assert refused.status_code == 401
    assert refused.json()["error"] == "reauth_required"
    assert refused.json()["reauth_url"] == "/accounts/reauth/"
    assert not PhoneReveal.objects.exists()

    confirmed = client.post("/accounts/reauth/", {"reauth_password": "mat-khau-rieng-2026"})
    assert "Đã xác nhận" in confirmed.content.decode()
    shown = client.post(url, headers={"Accept": "application/json"})

    assert shown.json()["number"] == CALLER
    assert PhoneReveal.objects.count() == 1


def test_it_asks_again_before_showing_a_callback_number(client, telephony_ready, op_hanoi):
    callback = ask()
    staff_login(client, op_hanoi)
    client.post(f"/callbacks/{callback.pk}/claim/")
    proof_expire(client)
    url = f"/callbacks/{callback.pk}/reveal/"

    asked = client.post(url)

    assert 'id="reauth-form"' in asked.content.decode()
    assert HANOI_NUMBER not in asked.content.decode()
    assert not CallbackEvent.objects.filter(action="number_revealed").exists()

    shown = client.post(url, {"reauth_code": app_code(confirmed_totp_device(op_hanoi))})

    assert HANOI_NUMBER in shown.content.decode()
