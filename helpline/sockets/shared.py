"""Reads shared by the sockets of one process.

Every socket in a queue's scope hears each change of that queue. One read per
scope, begun after the change and shared by every socket of this process
that waits for it, keeps that from costing one query per socket per change,
which grows with the square of the queue. "Begun" is when the database thread
starts it: a read still waiting for the thread serves every change made
before it runs.
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


class _SharedRead:
    """One read of the database, and when the database thread began it (None: not yet)."""

    def __init__(self):
        self.started_at: float | None = None
        self.future: asyncio.Future | None = None

    def serves(self, changed_at: float) -> bool:
        """Whether this read can answer someone who needs a read begun after changed_at.

        A read still waiting for the database thread will begin after now, so it
        serves every change already made: under load, the askers of a whole burst
        share the one read that waits, instead of queueing one read each behind it.
        """
        if self.future.done() and (self.future.cancelled() or self.future.exception() is not None):
            return False
        return self.started_at is None or self.started_at >= changed_at

    def run(self, read, *args):
        self.started_at = time.monotonic()
        return read(*args)


_shared_reads: dict[object, _SharedRead] = {}


async def shared_read(key, changed_at: float, read, *args):
    """The result of read(*args), from a read begun after changed_at, shared under key."""
    current = _shared_reads.get(key)
    if current is None or not current.serves(changed_at):
        current = _SharedRead()
        current.future = asyncio.ensure_future(database_sync_to_async(current.run)(read, *args))
        _shared_reads[key] = current
    return await asyncio.shield(current.future)


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
