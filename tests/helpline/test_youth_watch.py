"""The process's one watch over its young people's chats (helpline.sockets.youth_watch).

It replaced a timer in every young person's socket: at 5,000 waiting chats those
ticks were most of what an idle process spent. What the ticks did must still
happen: a lost signal is repaired within a period, a waiting chat stays "seen",
a dropped group membership comes back, and nothing is spent on a chat that did
not change.
"""

import asyncio
import datetime

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from helpline import conversations as conversation_services
from helpline import groups
from helpline.models import Conversation, ConversationState
from helpline.sockets.youth_watch import REJOIN_PERIODS, youth_watch
from tests.helpline.chat_sockets import (
    console_socket,
    frames_until_quiet,
    receive_type,
    start_chat,
    youth_socket,
)
from tests.helpline.test_socket_costs import DatabaseThreadQueries, post_without_signal
from tests.helpline.test_socket_fanout import group_members

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def watch():
    return youth_watch(get_channel_layer())


def make_all_due(*, full_tick=False):
    for schedule in watch().sockets.values():
        schedule.due_at = 0.0
        # The round counts this period: the last before a full tick, or the first after one.
        schedule.periods = REJOIN_PERIODS - 1 if full_tick else 0


def select_statements(queries) -> list[str]:
    return [sql for sql in queries.statements if sql.startswith("SELECT")]


async def test_a_chat_is_watched_from_its_start_until_its_socket_closes():
    bystander = await youth_socket(address="10.0.5.9")
    youths = [await start_chat(address=f"10.0.5.{n}") for n in range(1, 3)]
    # A socket without a chat has nothing to watch.
    assert {socket.conversation_id for socket in watch().sockets} == {
        youth.started["conversation"] for youth in youths
    }
    assert not watch().task.done()
    await youths[0].disconnect()
    assert len(watch().sockets) == 1
    await youths[1].disconnect()
    # The last chat gone, the process keeps nothing running for it.
    assert len(watch().sockets) == 0
    assert watch().task is None
    await bystander.disconnect()


async def test_a_round_over_chats_that_did_not_change_is_one_read_and_sends_nothing():
    youths = [await start_chat(address=f"10.0.6.{n}") for n in range(1, 4)]
    make_all_due()
    async with DatabaseThreadQueries() as queries:
        await watch().round(period=15)
        for youth in youths:
            assert await frames_until_quiet(youth) == []
    # The three chats in one read; no tick reached a socket, so no socket read again.
    assert len(select_statements(queries)) == 1
    assert queries.writes == []
    for youth in youths:
        await youth.disconnect()


async def test_waiting_chats_seen_marks_are_written_together_when_due(monkeypatch):
    youths = [await start_chat(address=f"10.0.7.{n}") for n in range(1, 4)]
    ids = [youth.started["conversation"] for youth in youths]
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    await asyncio.to_thread(
        lambda: Conversation.objects.filter(pk__in=ids).update(youth_seen_at=long_ago)
    )
    # Every waiting chat's mark is now due.
    monkeypatch.setattr(conversation_services, "queued_grace_seconds", lambda: 0)
    make_all_due()
    async with DatabaseThreadQueries() as queries:
        await watch().round(period=15)
    marks = Conversation.objects.filter(pk__in=ids).values_list("youth_seen_at", flat=True)
    seen = await asyncio.to_thread(list, marks)
    assert all(mark > long_ago for mark in seen)
    # Three marks in one statement, the three chats in one read.
    assert [sql.split()[0] for sql in queries.writes] == ["UPDATE"]
    assert len(select_statements(queries)) == 1
    # Written now, a mark is not due again in the next round.
    monkeypatch.setattr(conversation_services, "queued_grace_seconds", lambda: 90)
    make_all_due()
    async with DatabaseThreadQueries() as queries:
        await watch().round(period=15)
    assert queries.writes == []
    for youth in youths:
        await youth.disconnect()


async def test_a_message_whose_signal_was_lost_reaches_the_young_person_within_a_period(
    op_hanoi, settings
):
    settings.CHAT_TICK_SECONDS = 0.5
    youth = await start_chat()
    conversation_id = youth.started["conversation"]
    console = await console_socket(op_hanoi)
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    await receive_type(youth, "state")
    await database_sync_to_async(post_without_signal)(conversation_id, "tín hiệu bị mất")
    # Nobody ticks the socket by hand: the watch finds the message within 1.5 periods.
    message = await receive_type(youth, "message", timeout=2.0)
    assert (message["seq"], message["body"]) == (1, "tín hiệu bị mất")
    assert [frame for frame in await frames_until_quiet(youth) if frame["type"] == "message"] == []
    for socket in (youth, console):
        await socket.disconnect()


async def test_a_state_change_whose_signal_was_lost_reaches_the_young_person(op_hanoi):
    youth = await start_chat()
    conversation_id = youth.started["conversation"]
    await database_sync_to_async(
        lambda: conversation_services.conversation_end(
            conversation_id=conversation_id, reason="youth_left"
        )
    )()
    # Its signal went out; take what it told, then lose the next one by hand.
    await frames_until_quiet(youth)
    socket = next(iter(watch().sockets))
    socket.state = ConversationState.QUEUED
    make_all_due()
    await watch().round(period=15)
    assert (await receive_type(youth, "state"))["state"] == "abandoned"
    await youth.disconnect()


async def test_every_few_periods_a_socket_joins_its_groups_again():
    youth = await start_chat(address="10.0.8.1")
    conversation_group = groups.conversation_group(youth.started["conversation"])
    socket = next(iter(watch().sockets))
    # The layer dropped the membership (Redis after its group expiry, say).
    await get_channel_layer().group_discard(conversation_group, socket.channel_name)
    assert socket.channel_name not in await group_members(conversation_group)
    make_all_due()
    await watch().round(period=15)
    await frames_until_quiet(youth)
    assert socket.channel_name not in await group_members(conversation_group)
    make_all_due(full_tick=True)
    await watch().round(period=15)
    await frames_until_quiet(youth)
    assert socket.channel_name in await group_members(conversation_group)
    await youth.disconnect()
