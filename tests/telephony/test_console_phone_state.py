"""What the console reads about a phone conversation: masked number, call progress, SMS delivery."""

import datetime
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from helpline.conversations import conversation_accept, message_post
from helpline.models import Conversation
from telephony.models import SmsMessage
from telephony.sms import sms_status_update
from tests.logins import staff_login
from tests.telephony.twilio_kit import CALLER, payload, post_signed


def state_url(conversation) -> str:
    return f"/console/phone/{conversation.pk}/state/"


def logged_in(user) -> Client:
    client = Client()
    staff_login(client, user)
    return client


@pytest.fixture
def sms_conversation(client, telephony_ready, op_hanoi, django_capture_on_commit_callbacks):
    post_signed(client, "/twilio/sms/", payload("sms_incoming"))
    conversation = Conversation.objects.get()
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    for body in ("Chào em, em có an toàn không?", "Em ở đâu?"):
        with django_capture_on_commit_callbacks(execute=True):
            message_post(
                conversation_id=conversation.pk,
                sender="operator",
                body=body,
                client_id=uuid.uuid4(),
                author=op_hanoi,
            )
    return conversation


@pytest.mark.django_db
def test_it_gives_the_operator_the_masked_number_and_each_sms_delivery_state(
    sms_conversation, op_hanoi
):
    first_reply = SmsMessage.objects.filter(direction="out").order_by("message__seq").first()
    sms_status_update(message_sid=first_reply.message_sid, status="delivered")

    response = logged_in(op_hanoi).get(state_url(sms_conversation))

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    data = response.json()
    assert data["conversation"] == str(sms_conversation.pk)
    assert (data["channel"], data["masked"], data["can_reveal"]) == ("sms", "•••• ••• 678", False)
    assert data["call"] is None
    assert [(s["seq"], s["direction"], s["status"]) for s in data["sms"]] == [
        (1, "in", "received"),
        (2, "out", "delivered"),
        (3, "out", "queued"),
    ]
    assert data["sms"][1]["status_label"] == "Đã tới máy"


@pytest.mark.django_db
def test_it_never_puts_the_number_or_a_message_in_the_answer(sms_conversation, op_hanoi):
    response = logged_in(op_hanoi).get(state_url(sms_conversation))
    answer = json.dumps(response.json(), ensure_ascii=False)

    for form in (CALLER, CALLER[1:], CALLER.replace("+84", "0"), CALLER[-9:]):
        assert form not in answer
    assert "an toàn" not in answer
    assert payload("sms_incoming")["Body"] not in answer


@pytest.mark.django_db
def test_it_tells_a_supervisor_they_may_reveal(sms_conversation, sup_hanoi):
    data = logged_in(sup_hanoi).get(state_url(sms_conversation)).json()

    assert data["can_reveal"] is True


@pytest.mark.django_db
def test_it_follows_a_call_from_the_queue_to_the_answer(client, telephony_ready, op_hanoi):
    post_signed(client, "/twilio/voice/", payload("voice_incoming"))
    post_signed(client, "/twilio/voice/gather/", payload("voice_gather", Digits="1"))
    conversation = Conversation.objects.get()
    staff = logged_in(op_hanoi)

    queued = staff.get(state_url(conversation)).json()["call"]
    assert (queued["status"], queued["status_label"]) == ("queued", "Đang chờ")
    assert queued["pressed_danger"] is True
    assert (queued["terminal"], queued["answered_at"], queued["voicemails"]) == (False, None, [])

    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    post_signed(client, "/twilio/voice/status/", payload("voice_status_operator_answered"))
    post_signed(client, "/twilio/voice/status/", payload("voice_status_completed"))

    done = staff.get(state_url(conversation)).json()["call"]
    assert (done["status"], done["terminal"]) == ("completed", True)
    assert done["answered_at"] is not None and done["ended_at"] is not None


@pytest.mark.django_db
def test_it_hides_another_hotlines_conversation_as_missing(sms_conversation, op_hue):
    assert logged_in(op_hue).get(state_url(sms_conversation)).status_code == 404


@pytest.mark.django_db
def test_it_refuses_people_who_do_not_answer_phones(sms_conversation, liaison_a05, administrator):
    assert logged_in(liaison_a05).get(state_url(sms_conversation)).status_code == 403
    assert logged_in(administrator).get(state_url(sms_conversation)).status_code == 403
    anonymous = Client().get(state_url(sms_conversation))
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]


@pytest.mark.django_db
def test_it_answers_missing_for_a_web_chat(client, telephony_ready, op_hanoi):
    from helpline.conversations import conversation_start

    conversation, _token = conversation_start(
        channel="webchat", hotline=telephony_ready["hanoi"], province_code="01"
    )

    assert logged_in(op_hanoi).get(state_url(conversation)).status_code == 404


@pytest.mark.django_db
def test_it_answers_only_get(sms_conversation, op_hanoi):
    assert logged_in(op_hanoi).post(state_url(sms_conversation)).status_code == 405


@pytest.mark.django_db
def test_it_shows_central_staff_the_masked_number_once_the_call_overflows_to_them(
    client, telephony_ready, op_central
):
    post_signed(client, "/twilio/sms/", payload("sms_incoming"))
    waiting = Conversation.objects.get()
    assert waiting.hotline.code == "01"
    central = logged_in(op_central)
    assert central.get(state_url(waiting)).status_code == 404
    Conversation.objects.filter(pk=waiting.pk).update(
        overflow_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = central.get(state_url(waiting))
    assert response.status_code == 200
    assert response.json()["masked"] == "•••• ••• 678"
