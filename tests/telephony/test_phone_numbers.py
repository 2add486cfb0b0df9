"""Phone numbers are personal data: encrypted at rest, masked on screen, revealed with an audit."""

import io
import runpy
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from cases.models import CaseEvent
from helpline.conversations import conversation_accept, conversation_case_create
from helpline.models import Conversation
from telephony.models import PhoneContact, PhoneNumber, PhoneReveal
from telephony.phone import phone_decrypt, phone_lookup_hash, phone_mask
from tests.logins import staff_login
from tests.telephony.twilio_kit import CALLER, payload, post_signed

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "config" / "settings.py"


@pytest.fixture
def caller_conversation(client, telephony_ready):
    post_signed(client, "/twilio/sms/", payload("sms_incoming"))
    return Conversation.objects.get()


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a model's table name
        return repr(cursor.fetchall())


@pytest.mark.django_db
def test_it_stores_no_number_in_clear_anywhere_in_the_telephony_tables(client, telephony_ready):
    post_signed(client, "/twilio/voice/", payload("voice_incoming"))
    post_signed(client, "/twilio/voice/gather/", payload("voice_gather"))
    post_signed(client, "/twilio/sms/", payload("sms_incoming", MessageSid="SM" + "1" * 32))
    national = CALLER.replace("+84", "0")
    for table in (
        "telephony_phonenumber",
        "telephony_phonecontact",
        "telephony_call",
        "telephony_smsmessage",
        "helpline_conversation",
        "helpline_message",
    ):
        dump = raw_rows(table)
        for form in (CALLER, CALLER[1:], national, CALLER[-9:]):
            assert form not in dump, table
    phone = PhoneNumber.objects.get()
    assert phone_decrypt(phone.number_encrypted) == CALLER
    assert phone.number_hash == phone_lookup_hash(CALLER)
    assert len(phone.number_hash) == 64


def test_it_hashes_with_a_key_so_the_hash_depends_on_the_secret(settings):
    settings.PHONE_ENCRYPTION_KEY = Fernet.generate_key().decode()
    first = phone_lookup_hash(CALLER)
    assert phone_lookup_hash("+84 91 234 5678") == first  # the same number, typed differently
    settings.PHONE_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert phone_lookup_hash(CALLER) != first


def test_it_masks_all_but_the_last_three_digits():
    assert phone_mask("+84912345123") == "•••• ••• 123"
    assert phone_mask("anonymous") == "•••• •••"
    assert phone_mask("") == "•••• •••"


@pytest.mark.django_db
def test_it_shows_staff_only_the_masked_number(client, caller_conversation, op_hanoi):
    staff_login(client, op_hanoi)
    response = client.get(f"/console/phone/{caller_conversation.pk}/")
    assert response.json() == {
        "conversation": str(caller_conversation.pk),
        "masked": "•••• ••• 678",
        "can_reveal": False,
    }
    assert CALLER not in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_a_reveal_to_an_operator_and_audits_nothing(
    client, caller_conversation, op_hanoi
):
    staff_login(client, op_hanoi)
    response = client.post(f"/console/phone/{caller_conversation.pk}/reveal/")
    assert response.status_code == 403
    assert CALLER not in response.content.decode()
    assert not PhoneReveal.objects.exists()


@pytest.mark.django_db
def test_it_hides_another_hotlines_conversation_as_missing(
    client, caller_conversation, op_hue, liaison_a05, administrator
):
    for user in (op_hue, liaison_a05, administrator):
        staff_login(client, user)
        response = client.post(f"/console/phone/{caller_conversation.pk}/reveal/")
        assert response.status_code in (404, 403)
        if user == op_hue:
            assert response.status_code == 404
    assert not PhoneReveal.objects.exists()


@pytest.mark.django_db
def test_it_reveals_the_number_to_a_supervisor_and_audits_every_reveal(
    client, caller_conversation, sup_hanoi, sup_central
):
    for supervisor in (sup_hanoi, sup_central, sup_hanoi):
        staff_login(client, supervisor)
        response = client.post(f"/console/phone/{caller_conversation.pk}/reveal/")
        assert response.status_code == 200
        assert response.json()["number"] == CALLER
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    reveals = PhoneReveal.objects.order_by("at", "id")
    assert [r.actor.username for r in reveals] == ["sup_hanoi", "sup_central", "sup_hanoi"]
    assert {r.conversation_uuid for r in reveals} == {caller_conversation.pk}


@pytest.mark.django_db
def test_it_writes_the_reveal_on_the_case_timeline_too(
    client, caller_conversation, op_hanoi, sup_hanoi
):
    conversation_accept(user=op_hanoi, conversation_id=caller_conversation.pk)
    case = conversation_case_create(user=op_hanoi, conversation_id=caller_conversation.pk)
    staff_login(client, sup_hanoi)
    client.post(f"/console/phone/{caller_conversation.pk}/reveal/")
    event = CaseEvent.objects.get(case=case, action=CaseEvent.Action.PHONE_REVEALED)
    assert event.actor == sup_hanoi
    assert event.detail == {"conversation": str(caller_conversation.pk)}
    assert CALLER not in repr(event.detail)


@pytest.mark.django_db
def test_it_refuses_a_reveal_by_get(client, caller_conversation, sup_hanoi):
    staff_login(client, sup_hanoi)
    assert client.get(f"/console/phone/{caller_conversation.pk}/reveal/").status_code == 405
    assert not PhoneReveal.objects.exists()


@pytest.mark.django_db
def test_it_rotates_the_encryption_key_without_losing_a_number(
    client, caller_conversation, settings
):
    old_key = settings.PHONE_ENCRYPTION_KEY
    before = PhoneNumber.objects.get().number_encrypted
    settings.PHONE_ENCRYPTION_KEY = Fernet.generate_key().decode() + "," + old_key
    call_command("telephony_rotate_phone_key", stdout=io.StringIO())
    phone = PhoneNumber.objects.get()
    assert phone.number_encrypted != before
    settings.PHONE_ENCRYPTION_KEY = settings.PHONE_ENCRYPTION_KEY.split(",")[0]
    assert phone_decrypt(phone.number_encrypted) == CALLER
    assert phone.number_hash == phone_lookup_hash(CALLER)
    # The same number texting again still finds its conversation.
    post_signed(client, "/twilio/sms/", payload("sms_incoming", MessageSid="SM" + "2" * 32))
    assert Conversation.objects.count() == 1
    assert PhoneContact.objects.count() == 1


def test_it_refuses_to_start_with_twilio_but_without_the_phone_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-real-looking-token")
    monkeypatch.delenv("PHONE_ENCRYPTION_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="PHONE_ENCRYPTION_KEY"):
        runpy.run_path(str(SETTINGS_FILE))


def test_it_refuses_a_malformed_phone_key_and_names_only_the_variable(settings):
    from telephony.phone import PhoneKeyMissing, phone_keys_check

    settings.PHONE_ENCRYPTION_KEY = "not-a-fernet-key"
    with pytest.raises(PhoneKeyMissing) as raised:
        phone_keys_check()
    assert "not-a-fernet-key" not in str(raised.value)


@pytest.mark.django_db
def test_it_gives_hotline_staff_a_softphone_token(client, telephony_ready, op_hanoi):
    import jwt

    staff_login(client, op_hanoi)
    response = client.get("/console/voice-token/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["identity"] == f"staff-{op_hanoi.pk}"
    claims = jwt.decode(
        body["token"], "api-key-secret-for-tests-only-0123456789", algorithms=["HS256"]
    )
    assert claims["grants"]["identity"] == f"staff-{op_hanoi.pk}"
    voice = claims["grants"]["voice"]
    assert voice["incoming"] == {"allow": True}
    assert voice["outgoing"]["application_sid"].startswith("AP")
    assert claims["iss"].startswith("SK")
    assert 0 < claims["exp"] - time.time() <= 3600 + 60


@pytest.mark.django_db
def test_it_gives_no_softphone_token_to_others(client, telephony_ready, liaison_a05, administrator):
    assert client.get("/console/voice-token/").status_code == 302  # to the login page
    for user in (liaison_a05, administrator):
        staff_login(client, user)
        assert client.get("/console/voice-token/").status_code == 403


@pytest.mark.django_db
def test_it_says_the_softphone_is_not_configured(client, telephony_ready, op_hanoi, settings):
    settings.TWILIO_API_KEY_SID = ""
    staff_login(client, op_hanoi)
    response = client.get("/console/voice-token/")
    assert response.status_code == 503
    assert response.json()["error"] == "not_configured"
