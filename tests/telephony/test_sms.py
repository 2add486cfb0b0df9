"""SMS in and out: a thread per number, replies sent after they are stored, delivery reports."""

import datetime
import io
import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from helpline.conversations import conversation_accept, conversation_end, message_post
from helpline.models import Conversation, Message
from telephony.models import PhoneContact, SmsMessage, SmsStatus
from telephony.sms import sms_status_update
from tests.telephony.test_voice_calls import StaffInbox
from tests.telephony.twilio_kit import (
    ACCOUNT_SID,
    CALLER,
    HOTLINE_HANOI_NUMBER,
    PUBLIC_BASE_URL,
    payload,
    post_signed,
    sign,
)

SMS = "/twilio/sms/"
SMS_STATUS = "/twilio/sms/status/"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def text(client, body: str, sid: str | None = None, **fields):
    sid = sid or "SM" + uuid.uuid4().hex
    return post_signed(client, SMS, payload("sms_incoming", Body=body, MessageSid=sid, **fields))


def reply(operator, conversation, body, capture) -> Message:
    with capture(execute=True):
        message, _created = message_post(
            conversation_id=conversation.pk,
            sender="operator",
            body=body,
            client_id=uuid.uuid4(),
            author=operator,
        )
    return message


@pytest.fixture
def sms_conversation(client, telephony_ready, op_hanoi):
    text(client, "Em cần giúp đỡ")
    conversation = Conversation.objects.get()
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    return conversation


@pytest.mark.django_db
def test_it_opens_an_sms_conversation_in_the_queue_and_replies_with_empty_twiml(
    client, telephony_ready
):
    response = post_signed(client, SMS, payload("sms_incoming"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().strip().endswith("<Response />")
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.state, conversation.hotline.code) == (
        "sms",
        "queued",
        "01",
    )
    [message] = conversation.messages.all()
    assert (message.seq, message.sender) == (1, "youth")
    assert message.body == payload("sms_incoming")["Body"]
    sms = SmsMessage.objects.get()
    assert (sms.direction, sms.status, sms.message) == ("in", "received", message)


@pytest.mark.django_db
def test_it_continues_the_open_conversation_of_the_same_number(client, telephony_ready):
    text(client, "tin thứ nhất")
    text(client, "tin thứ hai")
    text(client, "từ người khác", From="+84900000001")
    first, other = Conversation.objects.order_by("created_at")
    assert list(first.messages.values_list("seq", "body")) == [
        (1, "tin thứ nhất"),
        (2, "tin thứ hai"),
    ]
    assert other.messages.get().body == "từ người khác"


@pytest.mark.django_db
def test_it_opens_a_new_conversation_after_the_window(client, telephony_ready, settings):
    text(client, "hôm qua")
    old = timezone.now() - datetime.timedelta(seconds=settings.SMS_CONTINUATION_WINDOW_SECONDS + 1)
    PhoneContact.objects.update(last_inbound_at=old)
    text(client, "hôm nay")
    assert Conversation.objects.count() == 2


@pytest.mark.django_db
def test_it_opens_a_new_conversation_after_the_operator_ended_it(
    client, sms_conversation, op_hanoi
):
    conversation_end(conversation_id=sms_conversation.pk, by_user=op_hanoi)
    text(client, "em quay lại")
    assert Conversation.objects.count() == 2
    assert Conversation.objects.exclude(pk=sms_conversation.pk).get().state == "queued"


@pytest.mark.django_db
def test_it_goes_to_central_when_the_hotline_is_closed(client, telephony_ready):
    hanoi = telephony_ready["hanoi"]
    hanoi.always_open = False
    hanoi.opens_at = hanoi.closes_at = datetime.time(8, 0)
    hanoi.save()
    text(client, "khuya rồi")
    assert Conversation.objects.get().hotline.code == "00"


@pytest.mark.django_db
def test_it_makes_one_message_of_an_sms_delivered_three_times(client, telephony_ready):
    for _ in range(3):
        assert post_signed(client, SMS, payload("sms_incoming")).status_code == 200
    assert SmsMessage.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_makes_one_message_of_an_sms_delivered_three_times_at_once(telephony_ready):
    params = payload("sms_incoming")
    signature = sign(SMS, params)
    barrier = threading.Barrier(3)
    statuses = []

    def deliver():
        try:
            barrier.wait()
            response = Client().post(SMS, params, HTTP_X_TWILIO_SIGNATURE=signature)
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200, 200]
    assert (Conversation.objects.count(), Message.objects.count()) == (1, 1)
    assert SmsMessage.objects.count() == 1


@pytest.mark.django_db
def test_it_notes_attachments_it_does_not_show(client, telephony_ready):
    text(client, "", NumMedia="2")
    assert "2 tệp đính kèm" in Message.objects.get().body


@pytest.mark.django_db
def test_it_sends_an_operators_reply_by_sms_after_storing_it(
    client, sms_conversation, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    message = reply(
        op_hanoi, sms_conversation, "Chị ở đây, em kể tiếp nhé.", django_capture_on_commit_callbacks
    )
    assert message.seq == 2
    [request] = fake_twilio.requests
    assert (request.method, request.url) == ("POST", MESSAGES_URL)
    assert request.data == {
        "To": CALLER,
        "From": HOTLINE_HANOI_NUMBER,
        "Body": "Chị ở đây, em kể tiếp nhé.",
        "StatusCallback": PUBLIC_BASE_URL + SMS_STATUS,
    }
    sms = SmsMessage.objects.get(message=message)
    assert (sms.direction, sms.status, sms.attempts) == ("out", "queued", 1)
    assert sms.message_sid.startswith("SM")

    inbox = StaffInbox(op_hanoi)
    params = payload("sms_status_delivered", MessageSid=sms.message_sid, SmsSid=sms.message_sid)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_signed(client, SMS_STATUS, params).status_code == 204
    sms.refresh_from_db()
    assert sms.status == SmsStatus.DELIVERED
    [frame] = inbox.frames()
    assert frame == {
        "type": "sms_status",
        "conversation": str(sms_conversation.pk),
        "seq": 2,
        "status": "delivered",
        "notice": "",
    }


@pytest.mark.django_db
def test_it_keeps_a_reply_twilio_could_not_take_and_retries_it(
    client, sms_conversation, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    inbox = StaffInbox(op_hanoi)
    fake_twilio.fail_next((500, "rest_error_server"))
    message = reply(
        op_hanoi, sms_conversation, "Em còn đó không?", django_capture_on_commit_callbacks
    )
    sms = SmsMessage.objects.get(message=message)
    assert (sms.status, sms.error_code, sms.message_sid) == ("pending", "20500", None)
    [frame] = inbox.frames()
    assert (frame["type"], frame["seq"], frame["status"]) == ("sms_status", 2, "retrying")
    assert "sẽ tự gửi lại" in frame["notice"]
    assert Message.objects.filter(pk=message.pk).exists()

    call_command("telephony_sms_retry", stdout=io.StringIO())
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("queued", 2)
    assert [r.data["Body"] for r in fake_twilio.requests] == ["Em còn đó không?"] * 2


@pytest.mark.django_db
def test_it_retries_a_pending_reply_from_the_worker(
    client, sms_conversation, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    fake_twilio.fail_next(ConnectionError("network is unreachable"))
    message = reply(op_hanoi, sms_conversation, "Em ổn chứ?", django_capture_on_commit_callbacks)
    call_command("run_worker", "--once", stdout=io.StringIO())
    sms = SmsMessage.objects.get(message=message)
    assert (sms.status, sms.attempts) == ("queued", 2)
    call_command("run_worker", "--once", stdout=io.StringIO())
    assert [r.data["Body"] for r in fake_twilio.requests] == ["Em ổn chứ?"] * 2


@pytest.mark.django_db
def test_it_survives_twilio_being_unreachable(
    client, sms_conversation, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    fake_twilio.fail_next(ConnectionError("network is unreachable"))
    message = reply(op_hanoi, sms_conversation, "Alo", django_capture_on_commit_callbacks)
    assert SmsMessage.objects.get(message=message).status == "pending"


@pytest.mark.django_db
def test_it_gives_up_at_once_on_a_number_that_cannot_receive(
    client, sms_conversation, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    inbox = StaffInbox(op_hanoi)
    fake_twilio.fail_next((400, "rest_error_unreachable"))
    message = reply(op_hanoi, sms_conversation, "Alo", django_capture_on_commit_callbacks)
    assert SmsMessage.objects.get(message=message).status == "failed"
    [frame] = inbox.frames()
    assert frame["status"] == "failed"
    assert frame["notice"] == "Tin nhắn SMS số 2 không gửi được tới người liên hệ."


@pytest.mark.django_db
def test_it_shows_an_undelivered_report_on_the_console(
    client, sms_conversation, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    message = reply(op_hanoi, sms_conversation, "Alo", django_capture_on_commit_callbacks)
    sid = SmsMessage.objects.get(message=message).message_sid
    inbox = StaffInbox(op_hanoi)
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(
            client, SMS_STATUS, payload("sms_status_undelivered", MessageSid=sid, SmsSid=sid)
        )
        # A late "sent" cannot undo the failure.
        post_signed(
            client,
            SMS_STATUS,
            payload("sms_status_delivered", MessageSid=sid, SmsSid=sid, MessageStatus="sent"),
        )
    sms = SmsMessage.objects.get(message=message)
    assert (sms.status, sms.error_code) == ("undelivered", "30003")
    [frame] = inbox.frames()
    assert (frame["status"], frame["seq"]) == ("undelivered", 2)
    assert "không gửi được" in frame["notice"]


@pytest.mark.django_db
def test_it_merges_a_delivery_report_that_beat_the_send(
    client, sms_conversation, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    # The fake names its first message SM000...001; Twilio's report for it comes first.
    early_sid = f"SM{1:032x}"
    sms_status_update(message_sid=early_sid, status="delivered")
    message = reply(op_hanoi, sms_conversation, "Alo", django_capture_on_commit_callbacks)
    sms = SmsMessage.objects.get(message_sid=early_sid)
    assert (sms.message, sms.status) == (message, "delivered")
    assert SmsMessage.objects.filter(direction="out").count() == 1


@pytest.mark.django_db
def test_it_sends_nothing_for_a_web_chat(
    client, telephony_ready, op_hanoi, fake_twilio, django_capture_on_commit_callbacks
):
    from helpline.conversations import conversation_start

    conversation, _token = conversation_start(channel="webchat", hotline=telephony_ready["hanoi"])
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    reply(op_hanoi, conversation, "Chào em", django_capture_on_commit_callbacks)
    assert fake_twilio.requests == []
    assert not SmsMessage.objects.exists()
