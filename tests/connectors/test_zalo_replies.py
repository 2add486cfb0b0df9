"""Operators' replies on Zalo: stored first, sent through the OA API, retried, refused outside
Zalo's reply window with the reason on the console."""

import datetime
import io
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from connectors.models import DeliveryStatus, PlatformAccount, PlatformMessage, PlatformThread
from connectors.outbound import platform_replies_send_due
from helpline.conversations import conversation_accept, message_post
from helpline.models import Conversation, Message
from tests.connectors.edge import DROP
from tests.connectors.kit import ZALO_USER, StaffInbox, zalo_event, zalo_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def zalo_chat(client, zalo_oa, zalo_api, op_hanoi):
    """A Zalo conversation the Hanoi operator accepted; the receipt already went out."""
    zalo_post(client, zalo_event("Em cần giúp", msg_id="zalo-in-last"))
    conversation = Conversation.objects.get()
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    zalo_api.requests.clear()
    return conversation


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


def test_it_sends_an_operators_reply_through_the_oa_api_after_storing_it(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    inbox = StaffInbox(op_hanoi)
    message = reply(
        op_hanoi, zalo_chat, "Chị ở đây, em kể tiếp nhé.", django_capture_on_commit_callbacks
    )

    [request] = zalo_api.messages()
    assert request.headers["access_token"] == zalo_api.access_token
    assert request.body == {
        "recipient": {"user_id": ZALO_USER, "message_id": "zalo-in-last"},
        "message": {"text": "Chị ở đây, em kể tiếp nhé."},
    }
    sent = PlatformMessage.objects.get(message=message)
    assert (sent.status, sent.attempts, sent.external_id) == ("sent", 1, "zalo-out-2")
    [frame] = inbox.frames()
    assert frame == {
        "type": "connector_status",
        "conversation": str(zalo_chat.pk),
        "channel": "zalo",
        "seq": message.seq,
        "reply": sent.pk,
        "status": "sent",
        "code": "",
        "notice": "",
    }


def test_it_keeps_a_reply_zalo_could_not_take_and_the_worker_sends_it_later(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks, settings
):
    inbox = StaffInbox(op_hanoi)
    zalo_api.fail_next({"error": -1, "message": "server busy"}, status=503)
    message = reply(op_hanoi, zalo_chat, "Em còn đó không?", django_capture_on_commit_callbacks)

    pending = PlatformMessage.objects.get(message=message)
    assert (pending.status, pending.attempts, pending.error_code) == ("pending", 1, "http_503")
    assert pending.next_attempt_at > timezone.now()
    [frame] = inbox.frames()
    assert (frame["status"], frame["seq"]) == ("retrying", message.seq)
    assert "sẽ tự gửi lại" in frame["notice"]

    # Not yet due: the worker leaves it.
    call_command(
        "run_worker",
        "--once",
        "--job",
        "connectors.jobs.send_due_platform_replies",
        stdout=io.StringIO(),
    )
    assert len(zalo_api.messages()) == 1
    platform_replies_send_due(at=pending.next_attempt_at)
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == ("sent", 2)
    assert [r.body["message"]["text"] for r in zalo_api.messages()] == ["Em còn đó không?"] * 2


def test_it_waits_longer_after_each_failure_and_gives_up_visibly(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks, settings
):
    settings.CONNECTOR_SEND_MAX_ATTEMPTS = 3
    for _ in range(3):
        zalo_api.fail_next(DROP)
    message = reply(op_hanoi, zalo_chat, "Alo", django_capture_on_commit_callbacks)
    record = PlatformMessage.objects.get(message=message)
    first_retry = record.next_attempt_at
    assert (first_retry - record.created_at).total_seconds() == pytest.approx(15, abs=1)
    platform_replies_send_due(at=first_retry)
    record.refresh_from_db()
    assert record.error_code == "network"
    assert record.next_attempt_at - first_retry == datetime.timedelta(seconds=30)

    inbox = StaffInbox(op_hanoi)
    with django_capture_on_commit_callbacks(execute=True):
        platform_replies_send_due(at=record.next_attempt_at)
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("failed", 3)
    [frame] = inbox.frames()
    assert frame["status"] == "failed"
    assert frame["notice"] == (
        f"Tin số {message.seq} không gửi được tới người liên hệ qua Zalo (mã lỗi network)."
    )
    platform_replies_send_due(at=record.next_attempt_at + datetime.timedelta(hours=1))
    assert len(zalo_api.messages()) == 3


def test_it_gives_up_at_once_on_an_error_retrying_cannot_fix(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    inbox = StaffInbox(op_hanoi)
    zalo_api.fail_next({"error": -213, "message": "User has not followed OA"})
    message = reply(op_hanoi, zalo_chat, "Alo", django_capture_on_commit_callbacks)

    record = PlatformMessage.objects.get(message=message)
    assert (record.status, record.error_code) == ("failed", "-213")
    assert inbox.frames()[0]["status"] == "failed"


def test_it_refuses_a_reply_past_zalos_48_hours_without_calling_zalo(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    PlatformThread.objects.update(
        last_inbound_at=timezone.now() - datetime.timedelta(hours=48, minutes=1)
    )
    inbox = StaffInbox(op_hanoi)
    message = reply(op_hanoi, zalo_chat, "Em ơi", django_capture_on_commit_callbacks)

    assert zalo_api.messages() == []
    record = PlatformMessage.objects.get(message=message)
    assert (record.status, record.error_code) == ("window_closed", "zalo_window")
    [frame] = inbox.frames()
    assert (frame["status"], frame["code"]) == ("window_closed", "zalo_window")
    assert "Zalo chỉ cho trả lời trong 48 giờ" in frame["notice"]
    assert "offer" not in frame
    # The message is kept in the conversation all the same.
    assert Message.objects.filter(pk=message.pk).exists()


def test_it_refuses_the_ninth_reply_to_one_message_and_answers_again_after_a_new_one(
    client, zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    # The receipt was the first reply; seven more are allowed.
    for number in range(7):
        reply(op_hanoi, zalo_chat, f"tin {number}", django_capture_on_commit_callbacks)
    inbox = StaffInbox(op_hanoi)
    ninth = reply(op_hanoi, zalo_chat, "tin thứ chín", django_capture_on_commit_callbacks)

    assert len(zalo_api.messages()) == 7
    assert PlatformMessage.objects.get(message=ninth).status == "window_closed"
    [frame] = inbox.frames()
    assert frame["code"] == "zalo_reply_limit" and "đã trả lời 8 tin" in frame["notice"]
    zalo_post(client, zalo_event("em đây"))
    again = reply(op_hanoi, zalo_chat, "chị đây", django_capture_on_commit_callbacks)
    assert PlatformMessage.objects.get(message=again).status == "sent"


def test_it_shows_zalos_own_refusal_for_an_old_conversation_as_the_window(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    inbox = StaffInbox(op_hanoi)
    zalo_api.fail_next({"error": -230, "message": "User has not interacted with OA in 7 days"})
    message = reply(op_hanoi, zalo_chat, "Alo", django_capture_on_commit_callbacks)

    assert PlatformMessage.objects.get(message=message).status == "window_closed"
    [frame] = inbox.frames()
    assert frame["status"] == "window_closed" and frame["notice"]


def test_it_refreshes_a_refused_access_token_and_sends_once_more(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    zalo_api.access_token = "revoked-meanwhile"  # Zalo no longer takes the stored one
    zalo_api.refresh_token = "zalo-refresh-0"
    message = reply(op_hanoi, zalo_chat, "Alo", django_capture_on_commit_callbacks)

    assert zalo_api.messages()[0].headers["access_token"] == "zalo-access-0"
    assert len(zalo_api.refreshes()) == 1
    assert PlatformMessage.objects.get(message=message).status == "sent"
    account = PlatformAccount.objects.get()
    assert account.access_token == zalo_api.access_token
    assert account.refresh_token == zalo_api.refresh_token


def test_it_refreshes_an_expired_access_token_before_sending(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    PlatformAccount.objects.update(access_expires_at=timezone.now() - datetime.timedelta(minutes=1))
    message = reply(op_hanoi, zalo_chat, "Alo", django_capture_on_commit_callbacks)

    assert len(zalo_api.refreshes()) == 1
    [sent] = zalo_api.messages()
    assert sent.headers["access_token"] == zalo_api.access_token != "zalo-access-0"
    assert PlatformMessage.objects.get(message=message).status == "sent"


def test_it_sends_replies_in_the_order_they_were_written(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    zalo_api.fail_next(DROP)
    first = reply(op_hanoi, zalo_chat, "một", django_capture_on_commit_callbacks)
    second = reply(op_hanoi, zalo_chat, "hai", django_capture_on_commit_callbacks)

    # The second waits behind the first instead of overtaking it.
    assert PlatformMessage.objects.get(message=second).status == "pending"
    assert [r.body["message"]["text"] for r in zalo_api.messages()] == ["một"]
    platform_replies_send_due(at=PlatformMessage.objects.get(message=first).next_attempt_at)
    assert [r.body["message"]["text"] for r in zalo_api.messages()] == ["một", "một", "hai"]
    assert set(
        PlatformMessage.objects.filter(direction="out").values_list("status", flat=True)
    ) == {DeliveryStatus.SENT}


def test_it_sends_a_long_reply_in_parts_and_resumes_after_the_last_part_taken(
    zalo_chat, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    words = " ".join(f"từ{n}" for n in range(500))  # about 2 900 characters
    zalo_api.fail_next({"error": 0, "message": "Success", "data": {"message_id": "z1"}})
    zalo_api.fail_next(DROP)
    message = reply(op_hanoi, zalo_chat, words, django_capture_on_commit_callbacks)
    record = PlatformMessage.objects.get(message=message)
    assert (record.status, record.parts_sent) == ("pending", 1)

    platform_replies_send_due(at=record.next_attempt_at)
    texts = [r.body["message"]["text"] for r in zalo_api.messages()]
    assert all(len(text) <= 2000 for text in texts)
    assert texts[1] == texts[2]  # the part that failed, sent again; the first part never twice
    assert " ".join([texts[0], texts[2]]) == words
    record.refresh_from_db()
    assert (record.status, record.parts_sent) == ("sent", 2)


def test_it_sends_nothing_for_a_web_chat(
    reference_data, zalo_oa, op_hanoi, zalo_api, django_capture_on_commit_callbacks
):
    from helpline.conversations import conversation_start

    conversation, _token = conversation_start(channel="webchat", hotline=zalo_oa.hotline)
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    reply(op_hanoi, conversation, "Chào em", django_capture_on_commit_callbacks)

    assert zalo_api.requests == []
    assert not PlatformMessage.objects.exists()
