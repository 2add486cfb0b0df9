"""What a crowd costs: one listener per queue per process, and messages that share a commit.

At a thousand waiting chats, a queue change heard by every socket through the
channel layer, and one durable commit per chat message, kept the relay tens of
seconds behind (docs/performance.md). These pin the two changes that keep a
change's and a message's cost independent of how many sockets are open.
"""

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer
from django.db import connection
from django.utils import translation

from helpline import groups
from helpline.conversations import ConversationClosed, conversation_end, messages_post_together
from helpline.models import Message, Sender
from helpline.sockets import together
from tests.helpline.chat_sockets import (
    console_socket,
    frames_until_quiet,
    receive_type,
    session_cookie,
    start_chat,
    youth_socket,
)
from tests.helpline.test_socket_costs import DatabaseThreadQueries

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


async def queue_group_members(hotline_id) -> set[str]:
    return await group_members(groups.hotline_queue_group(hotline_id))


async def group_members(group: str) -> set[str]:
    """The channels in a group, from the in-memory layer or from Redis."""
    layer = get_channel_layer()
    if hasattr(layer, "groups"):
        return set(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return {member.decode() for member in await connection.zrange(layer._group_key(group), 0, -1)}


async def test_it_joins_a_queue_group_once_per_process_however_many_sockets_follow_it(
    op_hanoi, hotline_hanoi
):
    # Redis keeps the members of processes gone without leaving (here, earlier tests'
    # loops) until the group expires; they are not this process's.
    earlier = await queue_group_members(hotline_hanoi.pk)
    youths = [await start_chat(address=f"10.0.0.{n}") for n in range(1, 4)]
    console = await console_socket(op_hanoi)
    # Three waiting young people and a console: one member, the process's listener.
    assert len(await queue_group_members(hotline_hanoi.pk) - earlier) == 1

    # The first is taken: the two behind it move up, and the console's queue shrinks.
    first = youths[0].started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": first})
    await receive_type(console, "accepted")
    assert (await receive_type(youths[1], "queue"))["position"] == 1
    assert (await receive_type(youths[2], "queue"))["position"] == 2
    queue = await receive_type(console, "queue")
    assert [item["conversation"] for item in queue["items"]] == [
        youth.started["conversation"] for youth in youths[1:]
    ]
    # The accepted young person hears the state, and no position after it.
    assert (await receive_type(youths[0], "state"))["state"] == "active"
    assert not [f for f in await frames_until_quiet(youths[0]) if f["type"] == "queue"]

    for socket in [*youths, console]:
        await socket.disconnect()
    # The last follower gone, the process leaves the group.
    assert await queue_group_members(hotline_hanoi.pk) - earlier == set()


async def test_a_queue_change_while_a_console_opens_comes_after_its_greeting(op_hanoi):
    # Chats start while the console is between its hello and its first queue.
    starting = asyncio.ensure_future(
        asyncio.gather(*(start_chat(address=f"10.0.1.{n}") for n in range(1, 6)))
    )
    console = await console_socket(op_hanoi)  # asserts hello, queue, canned come first
    youths = await starting
    frames = await frames_until_quiet(console)
    queues = [frame for frame in frames if frame["type"] == "queue"]
    latest = queues[-1] if queues else console.greeting["queue"]
    assert len(latest["items"]) == 5
    for socket in [*youths, console]:
        await socket.disconnect()


async def test_the_young_persons_chat_never_reads_a_session(op_hanoi):
    cookie = await asyncio.to_thread(session_cookie, op_hanoi)
    async with DatabaseThreadQueries() as queries:
        youth = await youth_socket(headers=[(b"cookie", f"sessionid={cookie}".encode())])
    assert queries.statements == []
    await youth.send_json_to({"type": "start", "province": "01"})
    assert (await receive_type(youth, "started"))["state"] == "queued"
    await youth.disconnect()


async def test_messages_sent_together_share_one_commit_and_each_is_stored_once(op_hanoi):
    youths = [await start_chat(address=f"10.0.2.{n}") for n in range(1, 5)]
    conversations = [youth.started["conversation"] for youth in youths]
    async with DatabaseThreadQueries() as queries:
        results = await asyncio.gather(
            *(
                together.message_post(
                    conversation_id=conversation,
                    sender=Sender.YOUTH,
                    body=f"tin {index}",
                    client_id=str(uuid.uuid4()),
                )
                for index, conversation in enumerate(conversations)
            )
        )
    assert [(message.body, created) for message, created in results] == [
        (f"tin {index}", True) for index in range(4)
    ]
    verbs = [sql.split()[0].upper() for sql in queries.statements]
    if connection.vendor == "postgresql":
        # Four statements, each in a savepoint of the one transaction.
        assert verbs.count("WITH") == 4 and verbs.count("SAVEPOINT") == 4
    else:
        assert verbs.count("INSERT") == 4 and verbs.count("COMMIT") == 1
    for youth, conversation in zip(youths, conversations, strict=True):
        assert (await receive_type(youth, "message"))["body"].startswith("tin ")
        stored = await asyncio.to_thread(
            lambda c=conversation: list(Message.objects.filter(conversation_id=c))
        )
        assert len(stored) == 1
        await youth.disconnect()


async def test_a_refused_or_repeated_message_in_a_shared_commit_leaves_the_others_stored():
    youths = [await start_chat(address=f"10.0.3.{n}") for n in range(1, 4)]
    kept, repeated, ended = (youth.started["conversation"] for youth in youths)
    first_id = str(uuid.uuid4())
    await asyncio.to_thread(
        lambda: messages_post_together(
            [{"conversation_id": repeated, "sender": "youth", "body": "một", "client_id": first_id}]
        )
    )
    await asyncio.to_thread(lambda: conversation_end(conversation_id=ended, reason="youth_left"))

    def together():
        return messages_post_together(
            [
                {"conversation_id": kept, "sender": "youth", "body": "hai", "client_id": None},
                {
                    "conversation_id": repeated,
                    "sender": "youth",
                    "body": "một",
                    "client_id": first_id,
                },
                {
                    "conversation_id": ended,
                    "sender": "youth",
                    "body": "ba",
                    "client_id": None,
                    "language": "en",
                },
            ]
        )

    stored, again, refused = await asyncio.to_thread(together)
    assert stored[1] is True and stored[0].seq == 1
    assert again[1] is False and again[0].body == "một"
    assert isinstance(refused, ConversationClosed)
    with translation.override("en"):
        assert refused.detail == str(ConversationClosed().detail)
    counts = await asyncio.to_thread(
        lambda: {c: Message.objects.filter(conversation_id=c).count() for c in (kept, repeated)}
    )
    assert counts == {kept: 1, repeated: 1}
    # Only the new message is told to its chat; the repeated one was told the first time.
    assert (await receive_type(youths[0], "message"))["body"] == "hai"
    repeats = [f for f in await frames_until_quiet(youths[1]) if f["type"] == "message"]
    assert [frame["body"] for frame in repeats] == ["một"]
    for youth in youths:
        await youth.disconnect()


async def test_consoles_due_together_refresh_their_presence_in_one_commit(
    op_hanoi, op_hue, sup_hanoi
):
    from helpline.models import Presence

    await asyncio.to_thread(lambda: Presence.objects.filter(user=op_hue).delete())
    async with DatabaseThreadQueries() as queries:
        await asyncio.gather(
            *(together.presence_touch(user=user) for user in (op_hanoi, op_hue, sup_hanoi))
        )
    seen = await asyncio.to_thread(
        lambda: dict(
            Presence.objects.filter(user__in=[op_hanoi, op_hue, sup_hanoi]).values_list(
                "user__username", "last_seen"
            )
        )
    )
    assert set(seen) == {"op_hanoi", "op_hue", "sup_hanoi"}  # op_hue's row made anew
    assert len(set(seen.values())) == 1
    if connection.vendor != "postgresql":
        assert [sql.split()[0] for sql in queries.statements].count("COMMIT") == 1


def test_many_consoles_are_checked_with_three_reads_and_each_gets_its_own_answer(
    op_hanoi, op_hue, sup_hanoi, op_central
):
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test.utils import CaptureQueriesContext

    from helpline.selectors import staff_for_sockets

    def signed_in(user):
        key = session_cookie(user)
        return (user.pk, key, SessionStore(key).load()[HASH_SESSION_KEY])

    good, logged_out, someone_elses, new_password = (
        signed_in(user) for user in (op_hanoi, op_hue, sup_hanoi, op_central)
    )
    SessionStore(logged_out[1]).delete()
    without_second_factor = SessionStore()
    without_second_factor[SESSION_KEY] = str(op_hue.pk)
    without_second_factor[HASH_SESSION_KEY] = op_hue.get_session_auth_hash()
    without_second_factor.create()
    op_central.set_password("a-new-password-for-the-test")
    op_central.save()
    checks = [
        good,
        logged_out,
        (op_hanoi.pk, someone_elses[1], someone_elses[2]),
        new_password,
        (op_hue.pk, without_second_factor.session_key, op_hue.get_session_auth_hash()),
        (None, good[1], good[2]),
        good,
    ]
    with CaptureQueriesContext(connection) as queries:
        found = staff_for_sockets(checks)
    assert [user.username if user else None for user in found] == [
        "op_hanoi",
        None,
        None,
        None,
        None,
        None,
        "op_hanoi",
    ]
    assert len(queries.captured_queries) == 3


async def test_a_read_waiting_for_the_database_thread_serves_every_change_made_before_it_runs():
    import threading
    import time

    from channels.db import database_sync_to_async

    from helpline.sockets.shared import shared_read

    release = threading.Event()
    busy = asyncio.ensure_future(database_sync_to_async(release.wait)())
    reads = []

    def read(label):
        reads.append(label)
        return len(reads)

    # Three changes while the thread is busy: each asks for a read begun after it.
    answers = [
        asyncio.ensure_future(shared_read(("test", "burst"), time.monotonic(), read, n))
        for n in range(3)
    ]
    await asyncio.sleep(0.05)
    release.set()
    await busy
    assert await asyncio.gather(*answers) == [1, 1, 1]
    assert reads == [0]
    # A change after that read began needs a read of its own.
    assert await shared_read(("test", "burst"), time.monotonic(), read, 3) == 2
    assert reads == [0, 3]


async def test_a_socket_that_follows_a_queue_hears_it_once_it_is_told_it_follows(monkeypatch):
    # "Join, then read": a follower must not read the queue before the process is in its group,
    # or a change in between is missed. A second follower waits for the first one's join.
    from helpline.sockets.queue_relay import queue_relay

    layer = get_channel_layer()
    joined_once = layer.group_add

    async def group_add_over_a_network(group, channel):
        # Redis answers later; the in-memory layer answers before it yields.
        await asyncio.sleep(0.05)
        await joined_once(group, channel)

    monkeypatch.setattr(layer, "group_add", group_add_over_a_network)
    relay = queue_relay()
    first, second = object(), object()
    joining = asyncio.ensure_future(relay.follow("queue.hotline.test", first))
    await asyncio.sleep(0)
    await relay.follow("queue.hotline.test", second)
    assert len(await group_members("queue.hotline.test")) == 1
    await joining
    for follower in (first, second):
        await relay.unfollow("queue.hotline.test", follower)
    assert await group_members("queue.hotline.test") == set()
