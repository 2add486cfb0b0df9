"""The Zalo webhook: signed by Zalo or 403, nothing stored unconfigured, one message per msg_id."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from connectors.models import PlatformContact, PlatformMessage, PlatformThread
from helpline.models import Conversation, Message
from tests.connectors import zalo_edge
from tests.connectors.kit import ZALO_USER, now_ms, zalo_event, zalo_post, zalo_sign

pytestmark = pytest.mark.django_db


def nothing_stored():
    return not (
        Conversation.objects.exists()
        or Message.objects.exists()
        or PlatformContact.objects.exists()
        or PlatformMessage.objects.exists()
    )


def test_it_queues_a_zalo_message_in_the_oas_hotline(client, zalo_oa, zalo_api):
    response = zalo_post(client, zalo_event("Em bị đe doạ trên mạng", msg_id="zalo-in-a1"))

    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.state, conversation.hotline.code) == (
        "zalo",
        "queued",
        "01",
    )
    youth, receipt = conversation.messages.order_by("seq")
    assert (youth.seq, youth.sender, youth.body) == (1, "youth", "Em bị đe doạ trên mạng")
    # The helpline tells the young person they were heard, and where to call in danger.
    assert (receipt.seq, receipt.sender) == (2, "system")
    assert "113" in receipt.body and "111" in receipt.body
    [sent] = zalo_api.messages()
    assert sent.body["message"]["text"] == receipt.body
    assert sent.body["recipient"] == {"user_id": ZALO_USER, "message_id": "zalo-in-a1"}
    inbound = PlatformMessage.objects.get(direction="in")
    assert (inbound.external_id, inbound.message, inbound.status) == (
        "zalo-in-a1",
        youth,
        "received",
    )


def test_it_keeps_the_zalo_user_id_encrypted_and_found_by_a_keyed_hash(client, zalo_oa):
    zalo_post(client, zalo_event("một"))
    zalo_post(client, zalo_event("hai"))

    contact = PlatformContact.objects.get()
    assert ZALO_USER not in contact.user_encrypted and ZALO_USER not in contact.user_hash
    assert contact.user_id == ZALO_USER
    assert contact.masked == "••••922"
    thread = PlatformThread.objects.get()
    assert list(
        thread.conversation.messages.filter(sender="youth").values_list("body", flat=True)
    ) == [
        "một",
        "hai",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_encrypted, user_hash FROM connectors_platformcontact")
        assert all(ZALO_USER not in value for value in cursor.fetchone())


def test_it_makes_one_message_of_a_message_delivered_three_times(client, zalo_oa, zalo_api):
    event = zalo_event("chỉ một lần", msg_id="zalo-in-dup")
    for _ in range(3):
        assert zalo_post(client, event).status_code == 200

    assert Message.objects.filter(sender="youth").count() == 1
    assert PlatformMessage.objects.filter(direction="in").count() == 1
    assert len(zalo_api.messages()) == 1  # one receipt, not three


@pytest.mark.django_db(transaction=True)
def test_it_makes_one_conversation_of_a_message_delivered_three_times_at_once(zalo_oa):
    event = zalo_event("cùng lúc", msg_id="zalo-in-race")
    raw = json.dumps(event, ensure_ascii=False).encode()
    signature = zalo_sign(raw, timestamp=event["timestamp"])
    barrier = threading.Barrier(3)
    statuses = []

    def deliver():
        try:
            barrier.wait()
            response = Client().post(
                "/connectors/zalo/webhook/",
                raw,
                content_type="application/json",
                HTTP_X_ZEVENT_SIGNATURE=signature,
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200, 200]
    assert Conversation.objects.count() == 1
    assert Message.objects.filter(sender="youth").count() == 1


@pytest.mark.parametrize(
    "signature",
    ["", "mac=" + "0" * 64, "sha256=whatever"],
    ids=["unsigned", "wrong mac", "other scheme"],
)
def test_it_refuses_an_unsigned_or_badly_signed_event(client, zalo_oa, signature):
    assert zalo_post(client, zalo_event(), signature=signature).status_code == 403
    assert nothing_stored()


def test_it_refuses_an_event_signed_with_another_secret(client, zalo_oa):
    event = zalo_event()
    raw = json.dumps(event, ensure_ascii=False).encode()
    forged = zalo_sign(raw, timestamp=event["timestamp"], secret="not-the-oa-secret")

    assert zalo_post(client, event, signature=forged).status_code == 403
    assert nothing_stored()


def test_it_refuses_a_body_changed_after_signing(client, zalo_oa):
    event = zalo_event("bản gốc")
    raw = json.dumps(event, ensure_ascii=False).encode()
    signature = zalo_sign(raw, timestamp=event["timestamp"])
    event["message"]["text"] = "bản đã sửa"

    assert zalo_post(client, event, signature=signature).status_code == 403
    assert nothing_stored()


def test_it_refuses_an_event_for_another_app(client, zalo_oa):
    event = zalo_event(app_id="999")
    raw = json.dumps(event, ensure_ascii=False).encode()
    signature = zalo_sign(raw, timestamp=event["timestamp"], app_id="999")

    assert zalo_post(client, event, signature=signature).status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize("offset_seconds", [-301, 301], ids=["stale", "from the future"])
def test_it_refuses_a_signed_event_with_a_timestamp_too_far_from_now(
    client, zalo_oa, offset_seconds
):
    event = zalo_event(timestamp=now_ms() + offset_seconds * 1000)

    assert zalo_post(client, event).status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize(
    "missing", ["ZALO_OA_SECRET_KEY", "ZALO_APP_ID", "CONNECTOR_ENCRYPTION_KEY"]
)
def test_it_refuses_everything_while_a_secret_is_missing(client, zalo_oa, settings, missing):
    event = zalo_event()
    raw = json.dumps(event, ensure_ascii=False).encode()
    # Signed exactly as Zalo would with the real secrets.
    signature = zalo_sign(raw, timestamp=event["timestamp"])
    setattr(settings, missing, "")

    assert zalo_post(client, event, signature=signature).status_code == 403
    assert nothing_stored()


def test_it_refuses_get_and_answers_403_on_a_site_without_zalo(client, settings, reference_data):
    settings.ZALO_OA_SECRET_KEY = ""
    assert client.get("/connectors/zalo/webhook/").status_code == 405
    assert zalo_post(client, zalo_event(), signature="mac=x").status_code == 403


def test_it_ignores_events_that_are_not_a_young_persons_message(client, zalo_oa, zalo_api):
    follow = zalo_event()
    follow["event_name"] = "follow"
    echo = zalo_event()
    echo["event_name"] = "oa_send_text"

    assert zalo_post(client, follow).status_code == 200
    assert zalo_post(client, echo).status_code == 200
    assert nothing_stored()
    assert zalo_api.requests == []


def test_it_stores_nothing_for_an_oa_the_helpline_does_not_answer_on(client, zalo_oa):
    assert zalo_post(client, zalo_event(oa="111111111111")).status_code == 200
    assert nothing_stored()


@pytest.mark.parametrize("kind", ["file", "audio", "video", "gif"])
def test_it_notes_an_attachment_it_does_not_keep_and_tells_the_young_person(
    client, zalo_oa, zalo_api, kind
):
    zalo_post(client, zalo_event(kind=kind))

    conversation = Conversation.objects.get()
    youth, receipt, refusal = conversation.messages.order_by("seq")
    assert youth.sender == "youth" and youth.body.endswith(": không hiển thị được ở đây]")
    assert youth.attachment is None
    assert refusal.sender == "system" and "chưa xem được tệp" in refusal.body
    assert "Ảnh chụp màn hình thì bạn gửi được ngay tại đây." in refusal.body
    assert [r.body["message"]["text"] for r in zalo_api.messages()] == [
        receipt.body,
        refusal.body,
    ]
    # Nothing was downloaded for it.
    assert zalo_api.cdn.requests == []


def test_it_shows_a_sticker_without_a_refusal(client, zalo_oa, zalo_api):
    zalo_post(client, zalo_event(kind="sticker"))

    assert Message.objects.get(sender="youth").body == "[Nhãn dán: không hiển thị được ở đây]"
    assert len(zalo_api.messages()) == 1  # the receipt only


def test_it_continues_the_open_conversation_and_opens_a_new_one_after_it_ended(
    client, zalo_oa, op_hanoi
):
    from helpline.conversations import conversation_accept, conversation_end

    zalo_post(client, zalo_event("lần một"))
    first = Conversation.objects.get()
    conversation_accept(user=op_hanoi, conversation_id=first.pk)
    zalo_post(client, zalo_event("vẫn cuộc đó"))
    conversation_end(conversation_id=first.pk, by_user=op_hanoi)
    zalo_post(client, zalo_event("lần hai"))

    assert Conversation.objects.count() == 2
    assert first.messages.filter(sender="youth").count() == 2
    second = Conversation.objects.exclude(pk=first.pk).get()
    assert (second.state, second.channel) == ("queued", "zalo")


def test_it_keeps_zalo_user_ids_apart_per_oa(client, zalo_oa, zalo_national_oa):
    zalo_post(client, zalo_event("OA Hà Nội"))
    zalo_post(client, zalo_event("OA quốc gia", oa=zalo_edge.NATIONAL_OA_ID))

    assert PlatformContact.objects.count() == 2
