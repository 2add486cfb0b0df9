"""The liaison's page of one escalation, live: watch over ws/liaison/, fetch the content over HTTP.

The socket tells a watching page only the escalation's state and when it last
changed, after reading it again as that liaison; the page fetches the changing
part from /liaison/<id>/live/, through the same door and audit as the page. A
liaison whose agency may no longer see the escalation gets `removed` and nothing
more, and the fragment answers 404.
"""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import Client
from django.urls import reverse

from cases.models import CaseEvent
from cases.services import case_transition
from escalation import services
from escalation.models import EscalationLastOpened
from escalation.services import escalation_disclose, escalation_message_send, escalation_transition
from helpline.groups import agency_group
from helpline.models import Conversation, Message
from tests.escalation.helpers import escalate, liaison_socket, quiet
from tests.logins import staff_login

pytestmark = pytest.mark.usefixtures("reference_data")

SUMMARY = "NỘI-DUNG-GỬI-A05"


def fragment(user, escalation_id):
    client = Client()
    staff_login(client, user)
    return client.get(reverse("liaison:live", args=[escalation_id]))


fragment_async = sync_to_async(fragment)
escalate_async = database_sync_to_async(escalate)
message_async = database_sync_to_async(escalation_message_send)
transition_async = database_sync_to_async(escalation_transition)


async def watching(socket, escalation_id) -> dict:
    await socket.send_json_to({"type": "watch", "escalation": escalation_id})
    frame = await socket.receive_json_from(timeout=2)
    assert frame["type"] == "watching", frame
    assert frame["escalation"] == escalation_id
    return frame["item"]


def close_case(case, *, by):
    for name in ("open", "resolve", "close"):
        case_transition(user=by, case_id=case.pk, transition=name)


# --- the socket ---


@pytest.mark.django_db(transaction=True)
async def test_it_tells_a_watching_page_of_a_hotline_message_and_the_fetch_shows_it(
    op_hanoi, liaison_a05, make_case
):
    case = await database_sync_to_async(make_case)(by=op_hanoi)
    escalation = await escalate_async(case, by=op_hanoi, summary=SUMMARY)
    socket = await liaison_socket(liaison_a05)
    shown = await watching(socket, escalation.pk)
    assert (shown["id"], shown["state"]) == (escalation.pk, "sent")

    await message_async(
        user=op_hanoi, escalation_id=escalation.pk, body="TỔNG-ĐÀI-BỔ-SUNG: em 15 tuổi"
    )

    frame = await socket.receive_json_from(timeout=2)
    assert frame["type"] == "escalation"
    assert frame["item"]["id"] == escalation.pk
    assert frame["item"]["changed_at"] > shown["changed_at"]
    # A signal and a version, never the content.
    assert "TỔNG-ĐÀI-BỔ-SUNG" not in str(frame)
    assert SUMMARY not in str(frame)
    response = await fragment_async(liaison_a05, escalation.pk)
    assert response.status_code == 200
    page = response.content.decode()
    assert "TỔNG-ĐÀI-BỔ-SUNG: em 15 tuổi" in page
    assert f'data-changed-at="{frame["item"]["changed_at"]}"' in page
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_it_tells_a_watching_page_of_a_new_disclosure(op_hanoi, liaison_a05, make_case):
    case = await database_sync_to_async(make_case)(by=op_hanoi, risk="medium")
    escalation = await escalate_async(case, by=op_hanoi)
    socket = await liaison_socket(liaison_a05)
    shown = await watching(socket, escalation.pk)
    assert "Trung bình" not in (await fragment_async(liaison_a05, escalation.pk)).content.decode()

    await database_sync_to_async(escalation_disclose)(
        user=op_hanoi, escalation_id=escalation.pk, items=["risk"]
    )

    frame = await socket.receive_json_from(timeout=2)
    assert frame["type"] == "escalation"
    assert frame["item"]["changed_at"] > shown["changed_at"]
    assert "Trung bình" in (await fragment_async(liaison_a05, escalation.pk)).content.decode()
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["withdrawn", "case_closed"])
async def test_it_sends_a_revoked_liaison_removed_and_nothing_else(
    op_hanoi, sup_hanoi, liaison_a05, make_case, how
):
    case = await database_sync_to_async(make_case)(by=op_hanoi)
    escalation = await escalate_async(case, by=op_hanoi, summary=SUMMARY)
    socket = await liaison_socket(liaison_a05)
    await watching(socket, escalation.pk)

    if how == "withdrawn":
        await transition_async(
            user=op_hanoi, escalation_id=escalation.pk, transition="withdraw", text="Nhầm"
        )
    else:
        await database_sync_to_async(close_case)(case, by=sup_hanoi)

    assert await socket.receive_json_from(timeout=2) == {
        "type": "removed",
        "escalation": escalation.pk,
    }
    assert await quiet(socket) == []
    # The page stops watching it: a tick, and even a new change, tell it nothing more.
    await get_channel_layer().group_send(
        agency_group(liaison_a05.agency_id), {"type": "socket.tick"}
    )
    assert await quiet(socket) == []
    assert (await fragment_async(liaison_a05, escalation.pk)).status_code == 404
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_it_answers_a_watch_it_may_not_see_as_if_it_did_not_exist(
    op_hanoi, liaison_111, make_case
):
    case = await database_sync_to_async(make_case)(by=op_hanoi)
    a05s = await escalate_async(case, by=op_hanoi, summary=SUMMARY)
    socket = await liaison_socket(liaison_111)

    for escalation_id in (a05s.pk, a05s.pk + 1000):
        await socket.send_json_to({"type": "watch", "escalation": escalation_id})
        assert await socket.receive_json_from(timeout=2) == {
            "type": "removed",
            "escalation": escalation_id,
        }
    # Watching was refused, so news of it never reaches this agency's socket.
    await message_async(user=op_hanoi, escalation_id=a05s.pk, body="Tin cho A05")
    await get_channel_layer().group_send(
        agency_group(liaison_111.agency_id), {"type": "socket.tick"}
    )
    assert await quiet(socket) == []
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "watch"}, "missing_field"),
        ({"type": "watch", "escalation": "1"}, "invalid_field"),
        ({"type": "watch", "escalation": True}, "invalid_field"),
        ({"type": "watch", "escalation": 0}, "invalid_field"),
        ({"type": "watch", "escalation": 2**70}, "invalid_field"),
    ],
)
async def test_it_answers_a_bad_watch_with_an_error_and_stays_open(liaison_a05, frame, code):
    socket = await liaison_socket(liaison_a05)
    await socket.send_json_to(frame)
    error = await socket.receive_json_from(timeout=2)
    assert (error["type"], error["code"], error["field"]) == ("error", code, "escalation")
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=2) == {"type": "pong"}
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_it_repairs_a_lost_signal_on_the_tick(op_hanoi, liaison_a05, make_case, monkeypatch):
    case = await database_sync_to_async(make_case)(by=op_hanoi)
    escalation = await escalate_async(case, by=op_hanoi)
    socket = await liaison_socket(liaison_a05)
    shown = await watching(socket, escalation.pk)
    tick = {"type": "socket.tick"}
    group = agency_group(liaison_a05.agency_id)

    # The channel layer drops this change's signal.
    monkeypatch.setattr(services, "broadcast_on_commit", lambda group, event: None)
    await message_async(user=op_hanoi, escalation_id=escalation.pk, body="Tin bị lỡ")
    assert await quiet(socket) == []

    await get_channel_layer().group_send(group, tick)
    frame = await socket.receive_json_from(timeout=2)
    assert frame["type"] == "escalation"
    assert frame["item"]["changed_at"] > shown["changed_at"]
    # Told once: the next tick finds nothing new.
    await get_channel_layer().group_send(group, tick)
    assert await quiet(socket) == []
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_it_labels_the_socket_queue_in_the_language_chosen_on_the_pages(
    op_hanoi, liaison_a05, make_case
):
    case = await database_sync_to_async(make_case)(by=op_hanoi)
    escalation = await escalate_async(case, by=op_hanoi)
    socket = await liaison_socket(liaison_a05, language="en")
    (item,) = socket.queue["items"]
    assert (item["type_label"], item["urgency_label"], item["state_label"]) == (
        "Privacy violation",
        "Within 24 hours",
        "Sent",
    )
    assert (item["deadline_kind"], item["deadline_label"]) == ("acknowledge", "Acknowledge by")
    await transition_async(user=liaison_a05, escalation_id=escalation.pk, transition="acknowledge")
    frame = await socket.receive_json_from(timeout=2)
    assert (frame["item"]["state_label"], frame["item"]["deadline_label"]) == (
        "Acknowledged",
        "Resolve by",
    )
    await socket.disconnect()


# --- the fragment the page fetches ---


def conversation_with(case, *bodies):
    conversation = Conversation.objects.create(
        channel="webchat", hotline=case.hotline, case=case, province_code="01"
    )
    for seq, body in enumerate(bodies, start=1):
        Message.objects.create(conversation=conversation, seq=seq, sender="youth", body=body)
    return conversation


@pytest.mark.django_db
def test_it_audits_a_fetch_of_the_fragment_like_opening_the_page(op_hanoi, liaison_a05, make_case):
    case = make_case(by=op_hanoi)
    conversation_with(case, "LỜI-CỦA-EM")
    escalation = escalate(case, by=op_hanoi, shared_items=["transcript"])

    response = fragment(liaison_a05, escalation.pk)

    assert response.status_code == 200
    assert "LỜI-CỦA-EM" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    reads = CaseEvent.objects.filter(case=case, actor=liaison_a05).values_list("action", "detail")
    assert sorted(reads) == [
        ("escalation_viewed", {"escalation": escalation.pk, "side": "agency"}),
        ("transcript_viewed", {"escalation": escalation.pk, "side": "agency"}),
    ]
    assert EscalationLastOpened.objects.filter(liaison=liaison_a05, escalation=escalation).exists()


@pytest.mark.django_db
def test_it_heads_each_conversation_of_the_transcript_in_the_fragment(
    op_hanoi, liaison_a05, make_case
):
    case = make_case(by=op_hanoi)
    conversation_with(case, "CUỘC-MỘT")
    conversation_with(case, "CUỘC-HAI")
    escalation = escalate(case, by=op_hanoi, shared_items=["transcript"])

    page = fragment(liaison_a05, escalation.pk).content.decode()

    assert page.count('class="transcript-conversation"') == 2
    assert (
        page.index("Cuộc trao đổi 1")
        < page.index("CUỘC-MỘT")
        < page.index("Cuộc trao đổi 2")
        < page.index("CUỘC-HAI")
    )


@pytest.mark.django_db
def test_it_gives_the_fragment_only_to_a_liaison_who_may_see_it(
    op_hanoi, liaison_a05, liaison_111, make_case
):
    escalation = escalate(make_case(by=op_hanoi), by=op_hanoi, summary=SUMMARY)

    assert fragment(liaison_111, escalation.pk).status_code == 404
    assert fragment(op_hanoi, escalation.pk).status_code == 403
    escalation_transition(
        user=op_hanoi, escalation_id=escalation.pk, transition="withdraw", text="Nhầm"
    )
    assert fragment(liaison_a05, escalation.pk).status_code == 404
    assert not CaseEvent.objects.filter(
        actor__in=[liaison_a05, liaison_111], action="escalation_viewed"
    ).exists()
