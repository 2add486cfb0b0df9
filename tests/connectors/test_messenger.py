"""Facebook Messenger: Meta's subscription check, X-Hub-Signature-256 or 403, messages and
postbacks into the queue, replies through the Send API, and the 24-hour window."""

import datetime
import hashlib
import hmac
import json
import uuid

import pytest
from django.utils import timezone

from connectors.models import PlatformMessage, PlatformThread
from helpline.conversations import conversation_accept, message_post
from helpline.models import Conversation, Message
from tests.connectors import messenger_edge
from tests.connectors.kit import (
    MESSENGER_USER,
    MESSENGER_WEBHOOK,
    StaffInbox,
    messenger_message,
    messenger_post,
    messenger_postback,
    messenger_sign,
)
from tests.connectors.messenger_edge import graph_error
from tests.logins import staff_login

pytestmark = pytest.mark.django_db


def subscribe(client, token=messenger_edge.VERIFY_TOKEN, challenge="1158201444"):
    return client.get(
        MESSENGER_WEBHOOK,
        {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": challenge},
    )


@pytest.fixture
def page_chat(client, messenger_page, graph_api, op_hanoi):
    messenger_post(client, messenger_message("Em cần giúp"))
    conversation = Conversation.objects.get()
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    graph_api.requests.clear()
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


def last_message_hours_ago(hours: float) -> None:
    PlatformThread.objects.update(last_inbound_at=timezone.now() - datetime.timedelta(hours=hours))


# ---------------------------------------------------------------- the webhook


def test_it_answers_metas_subscription_check_with_the_challenge(client, messenger_page):
    response = subscribe(client)

    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("token", "challenge"),
    [("wrong-token", "1158201444"), (messenger_edge.VERIFY_TOKEN, "<script>")],
)
def test_it_refuses_a_subscription_check_it_cannot_trust(client, messenger_page, token, challenge):
    assert subscribe(client, token=token, challenge=challenge).status_code == 403


@pytest.mark.parametrize("missing", ["MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN"])
def test_it_refuses_the_subscription_check_while_unconfigured(
    client, messenger_page, settings, missing
):
    setattr(settings, missing, "")
    assert subscribe(client).status_code == 403


def test_it_queues_a_message_and_a_postback_in_the_pages_hotline(client, messenger_page, graph_api):
    assert messenger_post(client, messenger_message("Em bị bắt nạt")).status_code == 200
    messenger_post(client, messenger_postback("Nói chuyện với tư vấn viên", "TALK"))

    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.state, conversation.hotline.code) == (
        "messenger",
        "queued",
        "01",
    )
    assert list(conversation.messages.filter(sender="youth").values_list("body", flat=True)) == [
        "Em bị bắt nạt",
        "Nói chuyện với tư vấn viên",
    ]
    [receipt] = graph_api.messages()
    assert receipt.body["recipient"] == {"id": MESSENGER_USER}
    assert receipt.body["messaging_type"] == "RESPONSE"
    assert receipt.headers["authorization"] == f"Bearer {messenger_edge.PAGE_TOKEN}"
    # The Page token never travels in the address.
    assert "access_token" not in receipt.path


def test_it_makes_one_message_of_a_delivery_repeated(client, messenger_page):
    body = messenger_message("một lần", mid="m_same")
    for _ in range(3):
        assert messenger_post(client, body).status_code == 200

    assert Message.objects.filter(sender="youth").count() == 1


def test_it_ignores_echoes_deliveries_and_reads(client, messenger_page, graph_api):
    messenger_post(client, messenger_message("từ trang", echo=True))
    delivery = messenger_message("x")
    item = delivery["entry"][0]["messaging"][0]
    del item["message"]
    item["delivery"] = {"mids": ["m_out1"], "watermark": 1}
    messenger_post(client, delivery)

    assert not Conversation.objects.exists()
    assert graph_api.requests == []


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=0000"],
    ids=["unsigned", "wrong", "sha1"],
)
def test_it_refuses_an_unsigned_or_badly_signed_post(client, messenger_page, signature):
    assert messenger_post(client, messenger_message(), signature=signature).status_code == 403
    assert not Conversation.objects.exists()


def test_it_refuses_the_older_sha1_header_alone(client, messenger_page):
    body = messenger_message()
    raw = json.dumps(body, ensure_ascii=False).encode()
    sha1 = hmac.new(messenger_edge.APP_SECRET.encode(), raw, hashlib.sha1).hexdigest()

    response = messenger_post(client, body, signature="", HTTP_X_HUB_SIGNATURE=f"sha1={sha1}")

    assert response.status_code == 403
    assert not Conversation.objects.exists()


def test_it_refuses_everything_without_the_app_secret(client, messenger_page, settings):
    body = messenger_message()
    raw = json.dumps(body, ensure_ascii=False).encode()
    signature = messenger_sign(raw)
    settings.MESSENGER_APP_SECRET = ""

    assert messenger_post(client, body, signature=signature).status_code == 403
    assert not Conversation.objects.exists()


def test_it_notes_an_attachment_and_tells_the_young_person(client, messenger_page, graph_api):
    messenger_post(client, messenger_message("", attachment="file"))

    youth = Message.objects.get(sender="youth")
    assert youth.body == "[Tệp: không hiển thị được ở đây]"
    assert len(graph_api.messages()) == 2  # the receipt and the refusal


# ---------------------------------------------------------------- replies


def test_it_sends_a_reply_within_24_hours_as_a_response(
    page_chat, op_hanoi, graph_api, django_capture_on_commit_callbacks
):
    inbox = StaffInbox(op_hanoi)
    last_message_hours_ago(23)
    message = reply(op_hanoi, page_chat, "Chị nghe đây.", django_capture_on_commit_callbacks)

    [request] = graph_api.messages()
    assert request.path == f"/{messenger_edge.VERSION}/{messenger_edge.PAGE_ID}/messages"
    assert request.body == {
        "recipient": {"id": MESSENGER_USER},
        "message": {"text": "Chị nghe đây."},
        "messaging_type": "RESPONSE",
    }
    record = PlatformMessage.objects.get(message=message)
    assert (record.status, record.external_id) == ("sent", "m_out2")
    assert inbox.frames()[0]["status"] == "sent"


def test_it_says_why_after_24_hours_and_offers_no_tag_without_the_human_agent_feature(
    page_chat, op_hanoi, graph_api, django_capture_on_commit_callbacks
):
    last_message_hours_ago(25)
    inbox = StaffInbox(op_hanoi)
    message = reply(op_hanoi, page_chat, "Em ơi", django_capture_on_commit_callbacks)

    assert graph_api.messages() == []
    assert PlatformMessage.objects.get(message=message).status == "window_closed"
    [frame] = inbox.frames()
    assert (frame["status"], frame["code"]) == ("window_closed", "messenger_window")
    assert "Messenger chỉ cho trả lời trong 24 giờ" in frame["notice"]
    assert "offer" not in frame


def test_it_lets_the_author_send_it_tagged_within_7_days_with_the_human_agent_feature(
    client, page_chat, op_hanoi, graph_api, settings, django_capture_on_commit_callbacks
):
    settings.MESSENGER_HUMAN_AGENT_ENABLED = True
    last_message_hours_ago(30)
    inbox = StaffInbox(op_hanoi)
    message = reply(op_hanoi, page_chat, "Em ơi, chị đây", django_capture_on_commit_callbacks)
    record = PlatformMessage.objects.get(message=message)
    [frame] = inbox.frames()
    url = f"/connectors/replies/{record.pk}/human-agent/"
    assert frame["offer"] == {"tag": "HUMAN_AGENT", "reply": record.pk, "url": url}
    assert "HUMAN_AGENT" in frame["notice"]

    staff_login(client, op_hanoi)
    response = client.post(url)

    assert response.status_code == 200
    assert response.json() == {"reply": record.pk, "status": "pending", "tag": "HUMAN_AGENT"}
    record.refresh_from_db()
    assert record.status == "sent"
    [request] = graph_api.messages()
    assert request.body["messaging_type"] == "MESSAGE_TAG"
    assert request.body["tag"] == "HUMAN_AGENT"
    assert request.body["message"] == {"text": "Em ơi, chị đây"}


def test_it_refuses_the_tag_after_7_days_to_other_staff_and_without_a_login(
    client,
    page_chat,
    op_hanoi,
    op_hue,
    sup_hanoi,
    graph_api,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.MESSENGER_HUMAN_AGENT_ENABLED = True
    last_message_hours_ago(30)
    message = reply(op_hanoi, page_chat, "Em ơi", django_capture_on_commit_callbacks)
    url = f"/connectors/replies/{PlatformMessage.objects.get(message=message).pk}/human-agent/"

    assert client.post(url).status_code == 302  # to the login page
    staff_login(client, op_hue)
    assert client.post(url).status_code == 404  # not a conversation Hue sees
    staff_login(client, sup_hanoi)
    assert client.post(url).json()["error"] == "not_allowed"  # not the author
    staff_login(client, op_hanoi)
    assert client.get(url).status_code == 405
    last_message_hours_ago(24 * 7 + 1)
    response = client.post(url)
    assert (response.status_code, response.json()["error"]) == (409, "not_allowed")
    assert graph_api.messages() == []


def test_it_reads_metas_window_refusal_and_other_errors(
    page_chat, op_hanoi, graph_api, django_capture_on_commit_callbacks
):
    graph_api.fail_next(*graph_error(10, 2018278))
    outside = reply(op_hanoi, page_chat, "một", django_capture_on_commit_callbacks)
    graph_api.fail_next(*graph_error(551))
    blocked = reply(op_hanoi, page_chat, "hai", django_capture_on_commit_callbacks)
    graph_api.fail_next(*graph_error(613))
    limited = reply(op_hanoi, page_chat, "ba", django_capture_on_commit_callbacks)

    statuses = {
        m: PlatformMessage.objects.get(message=m).status for m in (outside, blocked, limited)
    }
    assert statuses == {outside: "window_closed", blocked: "failed", limited: "pending"}
    assert PlatformMessage.objects.get(message=limited).error_code == "613"
