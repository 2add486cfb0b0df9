"""The one way any app tells sockets that something changed.

The channel layer only signals: every socket repairs a lost signal by reading
the database again. So a broadcast never blocks the code that changed the data,
and never goes out before that change is committed.

- broadcast_on_commit(group, event): the usual call, from a service inside its
  transaction. Nothing is sent if the transaction rolls back.
- broadcast(group, event): send now, from code with nothing to commit.

In a worker thread of a server's event loop (a socket's or a page's database
work) the event is handed to that loop and the thread goes on at once: waiting
for the loop would hold the one database thread the sockets of a process share
while the loop is busy with them. One sender per loop keeps the events in the
order they were committed. Elsewhere (a command, the worker, a test) the event
is sent before returning.
"""

import asyncio
import collections
import logging
import os
import weakref

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from helpline import metrics

logger = logging.getLogger(__name__)


def broadcast_on_commit(group: str, event: dict) -> None:
    """Send an event to a group once the current transaction commits."""
    transaction.on_commit(lambda: broadcast(group, event))


def broadcast(group: str, event: dict) -> None:
    """Send an event to a group now, without blocking a server's database thread."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _serving_loop()
    if loop is None:
        try:
            async_to_sync(layer.group_send)(group, event)
        except Exception:
            # Only a signal is lost: the sockets' ticks read the database again.
            logger.exception("group_send failed")
            metrics.channel_layer_error("broadcast")
        return
    loop.call_soon_threadsafe(_outbox_put, loop, layer, group, event)


def _serving_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop that handed this thread its work, if any."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return loop
    return None  # on the loop itself; async_to_sync refuses that anyway


_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = (
    weakref.WeakKeyDictionary()
)


def _outbox_put(loop, layer, group: str, event: dict) -> None:
    outbox = _outboxes.setdefault(loop, {"events": collections.deque(), "sender": None})
    outbox["events"].append((layer, group, event))
    metrics.BROADCASTS_PENDING.inc()
    if outbox["sender"] is None or outbox["sender"].done():
        outbox["sender"] = loop.create_task(_outbox_send(outbox))


async def _outbox_send(outbox: dict) -> None:
    events = outbox["events"]
    try:
        while events:
            layer, group, event = events.popleft()
            metrics.BROADCASTS_PENDING.dec()
            try:
                await layer.group_send(group, event)
            except Exception:
                logger.exception("group_send failed")
                metrics.channel_layer_error("broadcast")
    finally:
        # Holding no task lets a finished loop (a test's) be collected.
        outbox["sender"] = None
