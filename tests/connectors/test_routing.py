"""One account per hotline, or one national account that asks the province first: both feed the
queue of the right hotline, and nobody is left waiting on the question."""

import datetime

import pytest
from django.utils import timezone

from connectors.crypto import secret_decrypt
from connectors.jobs import route_unanswered_province_questions
from connectors.models import PlatformContact, PlatformMessage
from connectors.notices import province_from_answer
from helpline.models import Conversation, Hotline
from tests.connectors import messenger_edge, zalo_edge
from tests.connectors.conftest import zalo_account
from tests.connectors.kit import messenger_message, messenger_post, zalo_event, zalo_post

pytestmark = pytest.mark.django_db

NATIONAL = zalo_edge.NATIONAL_OA_ID


def youth_bodies(conversation) -> list[str]:
    return list(conversation.messages.filter(sender="youth").values_list("body", flat=True))


def test_it_holds_a_national_oas_first_message_and_asks_the_province(
    client, zalo_national_oa, zalo_api
):
    zalo_post(client, zalo_event("Em bị lộ ảnh", oa=NATIONAL))

    assert not Conversation.objects.exists()
    held = PlatformMessage.objects.get(direction="in")
    assert (held.status, held.conversation) == ("held", None)
    # Held until the province is known, and encrypted meanwhile like the platform id.
    assert "Em bị lộ ảnh" not in held.held_body_encrypted
    assert secret_decrypt(held.held_body_encrypted) == "Em bị lộ ảnh"
    [question] = zalo_api.messages()
    text = question.body["message"]["text"]
    assert text.startswith("Chào bạn! Bạn đang ở tỉnh/thành nào?")
    assert "\n01 Hà Nội\n" in text and "\n46 Huế\n" in text
    assert PlatformContact.objects.get().province_asked_at is not None


@pytest.mark.parametrize("answer", ["46", "Huế", "hue", "Thành phố Huế", " tp hue "])
def test_it_starts_the_conversation_in_the_answered_provinces_queue_with_what_was_held(
    client, zalo_national_oa, zalo_api, answer
):
    zalo_post(client, zalo_event("Em bị lộ ảnh", oa=NATIONAL))
    zalo_post(client, zalo_event("Em sợ lắm", oa=NATIONAL))
    zalo_post(client, zalo_event(answer, oa=NATIONAL))

    conversation = Conversation.objects.get()
    assert (conversation.hotline.code, conversation.province_code, conversation.channel) == (
        "46",
        "46",
        "zalo",
    )
    # The answer routes; it is not something the young person told the counsellor.
    assert youth_bodies(conversation) == ["Em bị lộ ảnh", "Em sợ lắm"]
    assert conversation.messages.last().sender == "system"  # the receipt
    assert not PlatformMessage.objects.filter(status="held").exists()
    assert PlatformContact.objects.get().province_asked_at is None
    answer_record = PlatformMessage.objects.filter(direction="in").order_by("id").last()
    assert (answer_record.conversation, answer_record.message) == (conversation, None)


def test_it_sends_no_province_to_central(client, zalo_national_oa):
    zalo_post(client, zalo_event("chào", oa=NATIONAL))
    zalo_post(client, zalo_event("00", oa=NATIONAL))

    assert Conversation.objects.get().hotline.code == "00"


def test_it_holds_messages_naming_no_province_and_sends_them_to_central_after_the_wait(
    client, zalo_national_oa, settings
):
    zalo_post(client, zalo_event("chào", oa=NATIONAL))
    zalo_post(client, zalo_event("em không biết, cứu em với", oa=NATIONAL))
    assert not Conversation.objects.exists()

    later = timezone.now() + datetime.timedelta(seconds=settings.CONNECTOR_PROVINCE_ANSWER_SECONDS)
    route_unanswered_province_questions(now=later)

    conversation = Conversation.objects.get()
    assert conversation.hotline.code == "00"
    assert youth_bodies(conversation) == ["chào", "em không biết, cứu em với"]


def test_it_sends_an_unanswered_question_to_central_after_the_wait(
    client, zalo_national_oa, settings
):
    zalo_post(client, zalo_event("chào", oa=NATIONAL))
    assert route_unanswered_province_questions(now=timezone.now()) == 0

    later = timezone.now() + datetime.timedelta(seconds=settings.CONNECTOR_PROVINCE_ANSWER_SECONDS)
    assert route_unanswered_province_questions(now=later) == 1

    conversation = Conversation.objects.get()
    assert (conversation.hotline.code, youth_bodies(conversation)) == ("00", ["chào"])
    assert route_unanswered_province_questions(now=later) == 0


def test_it_adds_later_messages_to_the_routed_conversation_without_asking_again(
    client, zalo_national_oa, zalo_api
):
    zalo_post(client, zalo_event("chào", oa=NATIONAL))
    zalo_post(client, zalo_event("01", oa=NATIONAL))
    zalo_post(client, zalo_event("em ở Hà Nội", oa=NATIONAL))

    conversation = Conversation.objects.get()
    assert youth_bodies(conversation) == ["chào", "em ở Hà Nội"]
    questions = [r for r in zalo_api.messages() if "tỉnh/thành nào" in r.body["message"]["text"]]
    assert len(questions) == 1


def test_it_queues_an_oa_per_hotline_straight_in_its_own_queue(
    client, connector_settings, reference_data
):
    zalo_account(zalo_edge.OA_ID, Hotline.objects.get(code="46"))

    zalo_post(client, zalo_event("chào"))

    conversation = Conversation.objects.get()
    assert (conversation.hotline.code, conversation.province_code) == ("46", "46")
    assert not PlatformMessage.objects.filter(status="held").exists()


def test_it_routes_a_national_page_by_the_quick_reply(client, messenger_national_page, graph_api):
    page = messenger_edge.NATIONAL_PAGE_ID
    messenger_post(client, messenger_message("Em cần giúp", page=page))
    [question] = graph_api.messages()
    assert question.body["message"]["quick_replies"] == [
        {"content_type": "text", "title": "Không muốn nói", "payload": "PROVINCE:00"}
    ]

    messenger_post(
        client, messenger_message("Không muốn nói", page=page, quick_reply="PROVINCE:00")
    )

    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.hotline.code) == ("messenger", "00")
    assert youth_bodies(conversation) == ["Em cần giúp"]


@pytest.mark.parametrize(
    ("text", "choice", "code"),
    [
        ("1", "", "01"),
        ("01", "", "01"),
        ("Hà Nội", "", "01"),
        ("HA NOI", "", "01"),
        ("Hanoi", "", "01"),
        ("Thành phố Hồ Chí Minh", "", "79"),
        ("ho chi minh", "", "79"),
        ("không muốn nói", "", ""),
        ("", "PROVINCE:46", "46"),
        ("", "PROVINCE:00", ""),
        ("", "PROVINCE:99", None),
        ("99", "", None),
        ("em bị bắt nạt", "", None),
    ],
)
def test_it_reads_a_province_from_an_answer(text, choice, code):
    assert province_from_answer(text=text, choice=choice) == code
