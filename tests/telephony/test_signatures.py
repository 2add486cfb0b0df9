"""Every Twilio URL is public, so each checks Twilio's signature and fails closed."""

import pytest
from django.urls import reverse

from telephony.models import Call, PhoneNumber, SmsMessage
from tests.telephony.twilio_kit import (
    AUTH_TOKEN,
    CALLER,
    PUBLIC_BASE_URL,
    payload,
    post_signed,
    sign,
)

VOICE = "/twilio/voice/"
SMS = "/twilio/sms/"

WEBHOOKS = [
    ("telephony:voice_incoming", "voice_incoming"),
    ("telephony:voice_gather", "voice_gather"),
    ("telephony:voice_wait", "voice_wait"),
    ("telephony:voice_enqueue_action", "voice_enqueue_action"),
    ("telephony:voice_dial_action", "voice_dial_action"),
    ("telephony:voice_status", "voice_status_completed"),
    ("telephony:voicemail", "voicemail_action"),
    ("telephony:voicemail_status", "voicemail_status"),
    ("telephony:voice_outgoing", "voice_outgoing"),
    ("telephony:sms_incoming", "sms_incoming"),
    ("telephony:sms_status", "sms_status_delivered"),
]


@pytest.mark.django_db
def test_it_accepts_a_valid_signature_over_an_https_base_url_with_a_port(client, telephony_ready):
    params = payload("voice_incoming")
    assert ":8443" in PUBLIC_BASE_URL and PUBLIC_BASE_URL.startswith("https://")
    assert "+" in params["From"]
    response = post_signed(client, VOICE, params)
    assert response.status_code == 200
    assert Call.objects.filter(call_sid=params["CallSid"]).exists()


@pytest.mark.django_db
def test_it_accepts_a_signed_sms_whose_body_contains_a_plus(client, telephony_ready):
    params = payload("sms_incoming")
    assert "+" in params["Body"]
    response = post_signed(client, SMS, params)
    assert response.status_code == 200
    assert SmsMessage.objects.filter(message_sid=params["MessageSid"]).exists()


@pytest.mark.django_db
def test_it_refuses_a_tampered_parameter(client, telephony_ready):
    params = payload("voice_incoming")
    signature = sign(VOICE, params)
    params["From"] = "+84999999999"
    response = post_signed(client, VOICE, params, signature=signature)
    assert response.status_code == 403
    assert not Call.objects.exists()
    assert not PhoneNumber.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_signature_made_for_another_url(client, telephony_ready):
    params = payload("voice_incoming")
    for wrong_base in ("https://attacker.example.com:8443", "http://hotline.example.vn:8443"):
        signature = sign(VOICE, params, base=wrong_base)
        assert post_signed(client, VOICE, params, signature=signature).status_code == 403
    signature = sign("/twilio/sms/", params)
    assert post_signed(client, VOICE, params, signature=signature).status_code == 403
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_it_ignores_the_host_headers_when_rebuilding_the_signed_url(client, telephony_ready):
    params = payload("voice_incoming")
    forged = sign(VOICE, params, base="http://testserver")
    response = post_signed(
        client,
        VOICE,
        params,
        signature=forged,
        HTTP_X_FORWARDED_HOST="testserver",
        HTTP_X_FORWARDED_PROTO="http",
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_it_refuses_a_request_without_signature(client, telephony_ready):
    response = client.post(VOICE, payload("voice_incoming"))
    assert response.status_code == 403
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_signature_made_with_another_token(client, telephony_ready):
    params = payload("voice_incoming")
    signature = sign(VOICE, params, token="another-accounts-token-000000000")
    assert post_signed(client, VOICE, params, signature=signature).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "fixture"), WEBHOOKS)
def test_it_answers_403_on_every_twilio_url_when_no_auth_token_is_configured(
    client, telephony_ready, settings, name, fixture
):
    settings.TWILIO_AUTH_TOKEN = ""
    path = reverse(name)
    params = payload(fixture)
    # Signed with the empty token an attacker would guess, and with the real one.
    for token in ("", AUTH_TOKEN):
        response = post_signed(client, path, params, signature=sign(path, params, token=token))
        assert response.status_code == 403
    assert not Call.objects.exists()
    assert not SmsMessage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "fixture"), WEBHOOKS)
def test_it_answers_403_on_every_twilio_url_without_a_signature(
    client, telephony_ready, name, fixture
):
    assert client.post(reverse(name), payload(fixture)).status_code == 403


@pytest.mark.django_db
def test_it_fails_closed_without_the_phone_encryption_key(client, telephony_ready, settings):
    settings.PHONE_ENCRYPTION_KEY = ""
    response = post_signed(client, VOICE, payload("voice_incoming"))
    assert response.status_code == 403
    assert not PhoneNumber.objects.exists()


@pytest.mark.django_db
def test_it_fails_closed_without_a_public_base_url(client, telephony_ready, settings):
    params = payload("voice_incoming")
    signature = sign(VOICE, params)
    settings.TWILIO_PUBLIC_BASE_URL = ""
    assert post_signed(client, VOICE, params, signature=signature).status_code == 403


@pytest.mark.django_db
def test_it_refuses_get_even_when_signed(client, telephony_ready):
    response = client.get(VOICE, HTTP_X_TWILIO_SIGNATURE=sign(VOICE, {}))
    assert response.status_code in (403, 405)
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_it_answers_400_to_a_signed_request_missing_the_call_sid(client, telephony_ready):
    params = payload("voice_incoming", CallSid=None)
    response = post_signed(client, VOICE, params)
    assert response.status_code == 400
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_it_never_puts_the_number_in_logs(client, telephony_ready, caplog):
    caplog.set_level("DEBUG")
    post_signed(client, VOICE, payload("voice_incoming"))
    post_signed(client, SMS, payload("sms_incoming"))
    assert CALLER not in caplog.text
    assert CALLER[1:] not in caplog.text
