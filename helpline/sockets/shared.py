"""Reads shared by the sockets of one process.

Every socket in a queue's scope hears each change of that queue. One read per
scope, started after the change and shared by every socket of this process
that waits for it, keeps that from costing one query per socket per change,
which grows with the square of the queue.
"""

import asyncio
import time
from collections import OrderedDict

from channels.db import database_sync_to_async

from helpline import selectors

# A change is known by its id, and the first time this process heard it is when
# every socket hearing it asks for a read: one read, started after that, serves them all.
_changes_heard: "OrderedDict[str, float]" = OrderedDict()
CHANGE_MEMORY_SECONDS = 60


def change_heard_at(event: dict) -> float:
    """When this process first heard the queue change named in the event.

    Changes are remembered in the order they were heard, so forgetting the old
    ones takes only as many steps as there are old ones, whatever the number of
    sockets asking.
    """
    now = time.monotonic()
    change = event.get("change")
    if not isinstance(change, str):
        return now
    heard = _changes_heard.get(change)
    if heard is not None:
        return heard
    while _changes_heard:
        oldest = next(iter(_changes_heard.values()))
        if oldest >= now - CHANGE_MEMORY_SECONDS:
            break
        _changes_heard.popitem(last=False)
    _changes_heard[change] = now
    return now


_shared_reads: dict[object, tuple[float, asyncio.Future]] = {}


async def shared_read(key, changed_at: float, read, *args):
    """The result of read(*args), from a read started after changed_at, shared under key."""
    current = _shared_reads.get(key)
    if (
        current is None
        or current[0] < changed_at
        or (current[1].done() and current[1].exception() is not None)
    ):
        future = asyncio.ensure_future(database_sync_to_async(read)(*args))
        current = (time.monotonic(), future)
        _shared_reads[key] = current
    return await asyncio.shield(current[1])


async def queue_position_shared(hotline_id, conversation_id, *, changed_at=0.0) -> int | None:
    """The place in the queue from a read shared by the sockets of this hotline.

    Not in it means no longer queued there (accepted, transferred, ended): its
    own state event, or the tick, tells the socket, so no read of its own is spent.
    """
    if hotline_id is None:
        return None
    positions = await shared_read(
        ("positions", hotline_id), changed_at, _queue_positions, hotline_id
    )
    return positions.get(conversation_id)


def _queue_positions(hotline_id) -> dict[str, int]:
    """Conversation id -> place in the queue: each waiting socket looks itself up at once."""
    return {
        str(pk): place
        for place, pk in enumerate(selectors.queue_order(hotline_id=hotline_id), start=1)
    }
