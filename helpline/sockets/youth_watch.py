"""One watch per process over its young people's chats, instead of a timer in each socket.

A young person's socket hears its conversation's changes from the channel layer;
the tick is the repair for a signal the layer lost, and it keeps a waiting chat's
seen mark fresh so the chat is not timed out. Every socket used to tick on a
timer of its own, through its own inbox, each CHAT_TICK_SECONDS: at 5,000
waiting chats those 333 ticks a second took about 16 % of a core while nothing
happened (docs/performance.md).

The watch wakes ROUNDS_PER_PERIOD times a period. For the sockets that are due
it reads their conversations in one query and writes the seen marks that are
due in one commit, both in one trip to the database thread. It sends a tick into
the inbox only of a socket whose conversation is not what the socket last knew,
and of each socket once in REJOIN_PERIODS periods, so that it joins its groups
again. The tick still runs in the socket's own inbox, so it never interleaves
with a frame: what it repairs and how is unchanged (YouthChatConsumer.tick).
"""

import asyncio
import logging
import random
import time
import weakref

from channels.db import database_sync_to_async

from helpline import conversations, metrics, selectors
from helpline.models import ConversationState
from helpline.sockets.base import tick_seconds

logger = logging.getLogger(__name__)

ROUNDS_PER_PERIOD = 15
# A layer drops a membership rarely (Redis after a day, the in-memory layer when a
# message waited past its expiry), and a change missed meanwhile is still found by
# the watch's read; joining again every two minutes is plenty.
REJOIN_PERIODS = 8
MOST_PER_READ = 500


class _Schedule:
    __slots__ = ("due_at", "periods")

    def __init__(self, due_at: float, periods: int):
        self.due_at = due_at
        self.periods = periods


class YouthWatch:
    def __init__(self, layer):
        self.layer = layer
        # Weakly: a socket whose task was cancelled before it could close (a server
        # shutting down, a disconnect handler stuck on the database) is not kept.
        self.sockets: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # -> _Schedule
        self.task: asyncio.Task | None = None

    def watch(self, socket) -> None:
        period = tick_seconds()
        # A random phase, as the sockets' own timers had: a burst of connections
        # (a reconnect after a restart) is then spread over the whole period.
        self.sockets[socket] = _Schedule(
            time.monotonic() + period * random.uniform(0.5, 1.5),  # noqa: S311 - load, not secrets
            random.randrange(REJOIN_PERIODS),  # noqa: S311
        )
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())

    def unwatch(self, socket) -> None:
        self.sockets.pop(socket, None)
        if not self.sockets and self.task is not None:
            # The last chat left: the process keeps nothing running for it (nor a test's loop).
            self.task.cancel()
            self.task = None

    async def _run(self):
        while self.sockets:
            period = tick_seconds()
            await asyncio.sleep(period / ROUNDS_PER_PERIOD)
            try:
                await self.round(period)
            except Exception as error:
                # The database or the layer is away: the next round tries again.
                logger.warning("youth watch round failed")
                metrics.error_caught("youth_watch", error)

    def _due(self, period: float) -> list:
        now = time.monotonic()
        due = []
        for socket, schedule in list(self.sockets.items()):
            if schedule.due_at <= now:
                schedule.due_at = now + period * random.uniform(0.9, 1.1)  # noqa: S311
                schedule.periods += 1
                due.append(socket)
        return due

    async def round(self, period: float) -> None:
        due = [
            socket
            for socket in self._due(period)
            if not socket.closed and socket.conversation_id is not None
        ]
        for start in range(0, len(due), MOST_PER_READ):
            await self._check(due[start : start + MOST_PER_READ])

    async def _check(self, sockets: list) -> None:
        now = time.monotonic()
        seen_due = now - conversations.queued_grace_seconds() / 3
        seen = [
            socket
            for socket in sockets
            if socket.state == ConversationState.QUEUED and socket.seen_written_at < seen_due
        ]
        for socket in seen:
            socket.seen_written_at = now
        rows, seen_error = await database_sync_to_async(_seen_and_read)(
            [socket.conversation_id for socket in seen],
            [socket.conversation_id for socket in sockets],
        )
        if seen_error is not None:
            for socket in seen:
                socket.seen_written_at = 0.0  # the next round writes them
            logger.warning("waiting chats' seen marks not written")
            metrics.error_caught("youth_seen", seen_error)
        for socket in sockets:
            schedule = self.sockets.get(socket)
            if schedule is None or socket.closed:
                continue  # it left while the database was read
            row = rows.get(socket.conversation_id)
            rejoin = schedule.periods >= REJOIN_PERIODS
            # A conversation that is gone (deleted at the young person's request) has
            # nothing for a tick to repair.
            changed = row is not None and not selectors.youth_conversation_unchanged(
                row, delivered=socket.delivered, known=(socket.state, socket.hotline_id)
            )
            if rejoin or changed:
                if rejoin:
                    schedule.periods = 0
                await self._tick(socket)

    async def _tick(self, socket) -> None:
        try:
            await self.layer.send(socket.channel_name, {"type": "socket.tick"})
        except Exception:
            # A full inbox (ChannelFull) or a layer hiccup: the next period tries again.
            logger.warning("socket tick not queued")
            metrics.channel_layer_error("socket_tick")


def _seen_and_read(seen_ids: list[str], conversation_ids: list[str]):
    """Write the seen marks that are due, then read the conversations: one database trip."""
    seen_error = None
    if seen_ids:
        try:
            conversations.conversations_youth_seen(conversation_ids=seen_ids)
        except Exception as error:
            seen_error = error
    return selectors.youth_conversation_rows(conversation_ids), seen_error


_watches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, YouthWatch]" = (
    weakref.WeakKeyDictionary()
)


def youth_watch(layer) -> YouthWatch:
    """The watch of the running event loop and this channel layer."""
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None or watch.layer is not layer:
        watch = _watches[loop] = YouthWatch(layer)
    return watch
