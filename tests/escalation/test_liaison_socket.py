"""ws/liaison/ through the full ASGI application: who gets in, what each agency hears."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Permission

from config.asgi import application
from escalation.services import escalation_transition
from tests.escalation.helpers import (
    HOST,
    closed_with,
    escalate,
    liaison_socket,
    quiet,
    session_cookie,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

escalate_async = database_sync_to_async(escalate)
transition_async = database_sync_to_async(escalation_transition)


@pytest.mark.parametrize("who", [None, "op_hanoi", "sup_central", "administrator"])
async def test_it_closes_the_socket_of_anyone_but_a_liaison_with_4403(request, who):
    user = None if who is None else await sync_to_async(request.getfixturevalue)(who)
    communicator = await liaison_socket(user, expect_queue=False)
    assert await closed_with(communicator) == 4403


async def test_it_refuses_a_foreign_origin(liaison_a05):
    cookie = await sync_to_async(session_cookie)(liaison_a05)
    communicator = WebsocketCommunicator(
        application,
        "/ws/liaison/",
        headers=[
            HOST,
            (b"origin", b"https://evil.example"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ],
    )
    connected, _code = await communicator.connect()
    assert not connected


async def test_it_sends_each_agency_its_own_queue_and_its_own_news(
    op_hanoi, liaison_a05, liaison_111, make_case
):
    case = await database_sync_to_async(make_case)(by=op_hanoi)
    earlier = await escalate_async(
        case, by=op_hanoi, agency_code="hotline-111", escalation_type="child_abuse"
    )
    a05 = await liaison_socket(liaison_a05)
    b111 = await liaison_socket(liaison_111)
    assert a05.queue["items"] == []
    assert [item["id"] for item in b111.queue["items"]] == [earlier.pk]

    escalation = await escalate_async(case, by=op_hanoi, summary="NỘI-DUNG-RIÊNG")

    frame = await a05.receive_json_from(timeout=2)
    assert frame["type"] == "escalation"
    assert frame["item"]["id"] == escalation.pk
    assert frame["item"]["state"] == "sent"
    assert "NỘI-DUNG-RIÊNG" not in str(frame)
    assert await quiet(b111) == []

    await transition_async(user=liaison_a05, escalation_id=escalation.pk, transition="acknowledge")
    frame = await a05.receive_json_from(timeout=2)
    assert (frame["type"], frame["item"]["state"]) == ("escalation", "acknowledged")
    assert await quiet(b111) == []

    await transition_async(
        user=op_hanoi, escalation_id=escalation.pk, transition="withdraw", text="Nhầm"
    )
    assert await a05.receive_json_from(timeout=2) == {
        "type": "removed",
        "escalation": escalation.pk,
    }
    await a05.send_json_to({"type": "sync"})
    synced = await a05.receive_json_from(timeout=2)
    assert (synced["type"], synced["items"]) == ("queue", [])
    for socket in (a05, b111):
        await socket.disconnect()


async def test_it_sends_the_first_page_of_the_queue_and_whether_more_follow(
    op_hanoi, liaison_a05, make_case, monkeypatch
):
    monkeypatch.setattr("escalation.selectors.QUEUE_PAGE_SIZE", 2)
    sent = []
    for urgency in ("72h", "immediate", "24h"):
        case = await database_sync_to_async(make_case)(by=op_hanoi)
        sent.append(await escalate_async(case, by=op_hanoi, urgency=urgency))

    socket = await liaison_socket(liaison_a05)

    # The most urgent first, as the page's first page.
    assert [item["id"] for item in socket.queue["items"]] == [sent[1].pk, sent[2].pk]
    assert socket.queue["more"] is True
    await transition_async(
        user=op_hanoi, escalation_id=sent[0].pk, transition="withdraw", text="Nhầm"
    )
    assert (await socket.receive_json_from(timeout=2))["type"] == "removed"
    await socket.send_json_to({"type": "sync"})
    synced = await socket.receive_json_from(timeout=2)
    assert [item["id"] for item in synced["items"]] == [sent[1].pk, sent[2].pk]
    assert synced["more"] is False
    await socket.disconnect()


async def test_it_shows_a_widened_liaison_nothing_more_on_the_socket(
    op_hanoi, liaison_111, make_case
):
    @database_sync_to_async
    def widen():
        liaison_111.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="escalation",
                codename__in=["view_escalation", "change_escalation"],
            )
        )
        liaison_111.is_superuser = True
        liaison_111.save()

    await widen()
    case = await database_sync_to_async(make_case)(by=op_hanoi)
    await escalate_async(case, by=op_hanoi)
    socket = await liaison_socket(liaison_111)
    assert socket.queue["items"] == []
    await escalate_async(case, by=op_hanoi, agency_code="hanoi-police", escalation_type="scam")
    assert await quiet(socket) == []
    await socket.disconnect()


async def test_it_checks_the_liaison_again_on_every_frame(liaison_a05):
    socket = await liaison_socket(liaison_a05)

    @database_sync_to_async
    def deactivate():
        liaison_a05.is_active = False
        liaison_a05.save()

    await deactivate()
    await socket.send_json_to({"type": "sync"})
    assert await closed_with(socket) == 4403


async def test_it_closes_for_a_revoked_liaison_when_news_arrives(op_hanoi, liaison_a05, make_case):
    socket = await liaison_socket(liaison_a05)
    case = await database_sync_to_async(make_case)(by=op_hanoi)

    @database_sync_to_async
    def deactivate():
        liaison_a05.is_active = False
        liaison_a05.save()

    await deactivate()
    await escalate_async(case, by=op_hanoi)
    assert await closed_with(socket) == 4403


async def test_it_answers_a_bad_frame_with_an_error_and_stays_open(liaison_a05):
    socket = await liaison_socket(liaison_a05)
    await socket.send_to(text_data="not json")
    assert (await socket.receive_json_from())["code"] == "invalid_json"
    await socket.send_json_to({"type": "acknowledge_everything"})
    assert (await socket.receive_json_from())["code"] == "unknown_type"
    await socket.send_json_to({"type": "sync"})
    assert (await socket.receive_json_from())["type"] == "queue"
    await socket.disconnect()


async def test_it_closes_on_an_oversized_frame(liaison_a05):
    socket = await liaison_socket(liaison_a05)
    await socket.send_to(text_data="x" * (settings.CHAT_MAX_FRAME_BYTES + 1))
    assert await closed_with(socket) == 4400


async def test_it_closes_on_a_flood_by_the_rule_of_every_socket(liaison_a05):
    # Any frame counts; five times the message limit per window, as on the chat and console.
    socket = await liaison_socket(liaison_a05)
    for _ in range(settings.CHAT_RATE_LIMIT_MESSAGES * 5):
        await socket.send_json_to({"type": "sync"})
        assert (await socket.receive_json_from())["type"] == "queue"
    await socket.send_json_to({"type": "sync"})
    assert await closed_with(socket) == 4429
