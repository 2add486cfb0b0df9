"""A chat through nginx across two daphne workers, with a worker, Redis or PostgreSQL failing.

Every test ends by checking the database against what each side was told: each
message the young person or the operator got an ack for is a row with that seq,
each client_id is stored once, seqs have no gap, and each side received every
message of the other exactly once.
"""

import asyncio
import time

import pytest

from tests.cluster.clients import Operator, Youth
from tests.cluster.cluster import (
    TEST_SETTINGS,
    database,
    local_cluster,
    open_sockets,
    staff_session,
    stored_messages,
    wait_until_no_sockets,
    worker_of,
)

pytestmark = pytest.mark.cluster

TICK_SECONDS = float(TEST_SETTINGS["CHAT_TICK_SECONDS"])


async def chat_between(cluster, *, same_worker: bool):
    """A young person and an operator who accepted the chat; each on the worker asked for."""
    session = staff_session(cluster)
    # Which worker a socket is on is read from the workers' open-socket counts.
    wait_until_no_sockets(cluster)
    youth = Youth(cluster.url)
    await youth.open()
    youth_worker = worker_of(cluster, "youth", {})
    # nginx takes turns between the workers, and skips for 10 s one that refused a
    # connection (a worker an earlier test killed): connect again until the console lands right.
    deadline = time.monotonic() + 30
    while True:
        operator = Operator(cluster.url, session)
        await operator.open()
        operator_worker = worker_of(cluster, "console", {})
        if (operator_worker == youth_worker) == same_worker:
            break
        await operator.close()
        wait_until_no_sockets_of(cluster, "console")
        assert time.monotonic() < deadline, "nginx never put the console where it was wanted"
        await asyncio.sleep(0.5)
    await operator.accept(youth.conversation)
    return youth, operator, youth_worker, operator_worker


def wait_until_no_sockets_of(cluster, kind: str, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while any(open_sockets(cluster, kind).values()):
        assert time.monotonic() < deadline, open_sockets(cluster, kind)
        time.sleep(0.05)


async def talk(youth, operator, *, prefix: str, count: int, every: float = 0.1):
    """Both sides write `count` messages, one every `every` seconds, whatever the network does."""
    for index in range(count):
        await youth.say(f"{prefix}-youth-{index}")
        await operator.say(f"{prefix}-operator-{index}")
        await asyncio.sleep(every)


async def settle(youth, operator, *, timeout: float = 60.0):
    """Wait until both outboxes are empty and each side holds every row of the other."""
    await youth.wait(lambda: not youth.outbox, "every message acknowledged", timeout)
    await operator.wait(lambda: not operator.outbox, "every message acknowledged", timeout)
    await youth.wait(
        lambda: set(youth.received) >= set(operator.acks.values()), "every reply", timeout
    )
    await operator.wait(
        lambda: set(operator.received) >= set(youth.acks.values()), "every message", timeout
    )


def assert_exactly_once(cluster, youth, operator):
    rows = stored_messages(cluster, youth.conversation)
    seqs = [seq for seq, _sender, _client_id in rows]
    assert seqs == list(range(1, len(rows) + 1)), "seqs with a gap"
    client_ids = [client_id for _seq, _sender, client_id in rows]
    assert len(set(client_ids)) == len(client_ids), "a client_id stored twice"
    # Never an ack without its row, and every message written was stored.
    for side, sender in ((youth, "youth"), (operator, "operator")):
        acked = {(seq, sender, client_id) for client_id, seq in side.acks.items()}
        assert acked <= set(rows), f"{sender}: an ack without its row"
        assert set(side.acks) == set(side.written), f"{sender}: a message never acknowledged"
        assert side.ack_conflicts == [], f"{sender}: one client_id acked with two seqs"
    # Each side got every message of the other, and no message frame twice.
    for side, other in ((youth, "operator"), (operator, "youth")):
        theirs = {seq for seq, sender, _client_id in rows if sender == other}
        assert set(side.received) >= theirs
        assert len(side.live) == len(set(side.live)), "a message pushed twice"


def test_its_postgresql_runs_with_productions_settings(whole_cluster):
    with database(whole_cluster) as connection:
        shown = {
            name: connection.execute(f"SHOW {name}").fetchone()[0]
            for name in local_cluster.postgres_settings()
        }

    assert shown == local_cluster.postgres_settings()


async def test_it_relays_both_ways_between_a_youth_and_an_operator_on_different_workers(
    whole_cluster,
):
    youth, operator, youth_worker, operator_worker = await chat_between(
        whole_cluster, same_worker=False
    )
    try:
        assert {youth_worker, operator_worker} == {"web-1", "web-2"}
        await talk(youth, operator, prefix="relay", count=5)
        await settle(youth, operator, timeout=20)

        assert_exactly_once(whole_cluster, youth, operator)
        bodies = sorted(operator.received.values())
        assert bodies == sorted(f"relay-youth-{index}" for index in range(5))
        assert youth.connections == operator.connections == 1
    finally:
        await youth.close()
        await operator.close()


async def test_it_loses_and_duplicates_nothing_when_a_worker_is_killed_mid_chat(whole_cluster):
    youth, operator, worker, _same = await chat_between(whole_cluster, same_worker=True)
    survivor = "web-2" if worker == "web-1" else "web-1"
    try:
        talking = asyncio.create_task(talk(youth, operator, prefix="kill", count=30))
        await youth.wait(lambda: len(youth.acks) >= 8, "a few messages before the kill")
        whole_cluster.kill(worker)  # SIGKILL: no goodbye to any socket
        await talking
        await settle(youth, operator)

        # Both reconnected through nginx, which could only send them to the survivor.
        assert youth.connections >= 2
        assert operator.connections >= 2
        pid = str(whole_cluster.processes()[survivor]["pid"])
        assert open_sockets(whole_cluster, "youth").get(pid, 0) >= 1
        assert open_sockets(whole_cluster, "console").get(pid, 0) >= 1
        assert_exactly_once(whole_cluster, youth, operator)
    finally:
        await youth.close()
        await operator.close()


async def test_it_loses_no_acknowledged_message_when_redis_restarts_mid_chat(whole_cluster):
    youth, operator, _youth_worker, _operator_worker = await chat_between(
        whole_cluster, same_worker=False
    )
    try:
        await talk(youth, operator, prefix="before", count=5)
        whole_cluster.stop_redis()
        await talk(youth, operator, prefix="during", count=10)
        whole_cluster.start_redis()
        back_at = time.monotonic()
        # A message written once Redis is back crosses from one worker to the other
        # within the socket tick (the sockets reconnect and resync by seq on their own).
        await youth.say("after-redis")
        await operator.wait(
            lambda: "after-redis" in operator.received.values(),
            "delivery after Redis came back",
            timeout=3 * TICK_SECONDS,
        )
        assert time.monotonic() - back_at <= 3 * TICK_SECONDS
        await talk(youth, operator, prefix="after", count=5)
        await settle(youth, operator)

        assert_exactly_once(whole_cluster, youth, operator)
    finally:
        await youth.close()
        await operator.close()


async def test_it_acks_only_stored_messages_and_stores_each_once_when_postgresql_restarts(
    whole_cluster,
):
    youth, operator, _youth_worker, _operator_worker = await chat_between(
        whole_cluster, same_worker=False
    )
    try:
        await talk(youth, operator, prefix="before", count=5)
        await settle(youth, operator, timeout=20)
        acked_before = len(youth.acks)
        whole_cluster.stop_postgres()
        await talk(youth, operator, prefix="during", count=10)
        # Nothing written during the outage was acknowledged: there was nowhere to write it.
        assert len(youth.acks) == acked_before
        assert len(youth.outbox) == 10
        whole_cluster.start_postgres()
        await talk(youth, operator, prefix="after", count=5)
        await settle(youth, operator)

        assert youth.errors or youth.connections > 1, "the outage was never noticed"
        assert_exactly_once(whole_cluster, youth, operator)
    finally:
        await youth.close()
        await operator.close()
