"""One listener per queue group and process, for every socket of that process that follows it.

A queue changes whenever a chat starts, is accepted, ends or moves. Every
waiting young person, every console of the hotline and every board follows it.
Had each socket joined the queue's channel-layer group, one change would cost
one layer message, one inbox and one handler per socket, and a full queue
churning would cost the square of its length: at 1,000 waiting chats that kept
the relay tens of seconds behind. Here the process joins each group once,
through one channel of its own, and tells its sockets itself. A burst of changes
within QUEUE_PUSH_DELAY becomes one push; the push asks each follower in turn
to refresh, and their reads are shared (helpline.sockets.shared), so a change
costs one read per process and a frame only to the sockets it changed. A queue
that keeps changing while the database is busy is pushed less often (at most
once a second), rather than queueing more reads behind the chat messages.

The layer only signals, as everywhere: a lost change is repaired by each
socket's own tick, which reads the queue again.
"""

import asyncio
import contextlib
import logging
import time
import weakref

from channels.layers import get_channel_layer

from helpline import metrics
from helpline.sockets.shared import change_heard_at

logger = logging.getLogger(__name__)

QUEUE_PUSH_DELAY = 0.1
MOST_PUSH_DELAY = 1.0
RECEIVE_RETRY_SECONDS = 1.0


class _Group:
    """The process's membership of one queue group and the sockets that follow it."""

    def __init__(self, name: str):
        self.name = name
        self.followers: dict = {}  # socket -> None; a dict keeps the order they came in
        self.channel: str | None = None
        self.joining: asyncio.Future | None = None
        self.tasks: list[asyncio.Task] = []
        self.heard_at = 0.0
        self.push: asyncio.Task | None = None
        self.push_seconds = 0.0


class QueueRelay:
    def __init__(self, layer):
        self.layer = layer
        self.groups: dict[str, _Group] = {}

    async def follow(self, group_name: str, socket) -> None:
        group = self.groups.get(group_name)
        if group is None:
            group = self.groups[group_name] = _Group(group_name)
        group.followers[socket] = None
        # Sockets that follow at the same moment wait for the same joining.
        if group.joining is None or (group.joining.done() and group.joining.exception()):
            group.joining = asyncio.ensure_future(self._join(group))
        await asyncio.shield(group.joining)

    async def _join(self, group: _Group) -> None:
        # The default kind: channels-redis reads one inbox per kind and process under
        # one lock, so a kind of its own would keep the consumers' inbox waiting.
        channel = await self.layer.new_channel()
        await self.layer.group_add(group.name, channel)
        group.channel = channel
        group.tasks = [
            asyncio.ensure_future(self._listen(group, channel)),
            asyncio.ensure_future(self._stay_joined(group, channel)),
        ]

    async def unfollow(self, group_name: str, socket) -> None:
        group = self.groups.get(group_name)
        if group is None:
            return
        group.followers.pop(socket, None)
        if group.followers:
            return
        # The last follower left: the process stops listening, so a test's loop or an
        # idle hotline keeps nothing running.
        del self.groups[group_name]
        if group.joining is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(group.joining)
        for task in [*group.tasks, group.push]:
            if task is not None:
                task.cancel()
        if group.channel is None:
            return
        try:
            await self.layer.group_discard(group_name, group.channel)
        except Exception:
            logger.warning("queue relay: leaving a group failed")
            metrics.channel_layer_error("queue_relay")

    async def _listen(self, group: _Group, channel: str) -> None:
        while True:
            try:
                event = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis restarting, say: the sockets' ticks read the queue meanwhile.
                logger.warning("queue relay: receiving failed")
                metrics.channel_layer_error("queue_relay")
                await asyncio.sleep(RECEIVE_RETRY_SECONDS)
                continue
            if event.get("type") == "queue.changed":
                self.heard(group, change_heard_at(event))

    async def _stay_joined(self, group: _Group, channel: str) -> None:
        """Join again every tick: a layer may drop a membership (Redis after group_expiry)."""
        from helpline.sockets.base import tick_seconds

        while True:
            await asyncio.sleep(tick_seconds())
            try:
                await self.layer.group_add(group.name, channel)
            except Exception:
                logger.warning("queue relay: joining a group again failed")
                metrics.channel_layer_error("queue_relay")

    def heard(self, group: _Group, heard_at: float) -> None:
        group.heard_at = max(group.heard_at, heard_at)
        if group.push is None or group.push.done():
            group.push = asyncio.ensure_future(self._push_later(group))

    async def _push_later(self, group: _Group) -> None:
        # A queue that keeps changing is pushed at most as often as its pushes take to
        # run, twice over: when reads wait for a busy database thread, they come less
        # often instead of adding to its queue. Idle, a change shows in 0.1 s.
        await asyncio.sleep(max(QUEUE_PUSH_DELAY, min(MOST_PUSH_DELAY, 2 * group.push_seconds)))
        started = time.monotonic()
        heard_at = group.heard_at
        # A change heard from here on starts a push of its own.
        group.push = None
        # Sockets of one kind share one read, so they are told one after the other:
        # the first waits for the read, the rest find it done. Kinds do not wait for
        # each other (a board's read may be held back on purpose).
        by_kind: dict[type, list] = {}
        for socket in group.followers:
            by_kind.setdefault(type(socket), []).append(socket)
        await asyncio.gather(
            *(self._tell(group, sockets, heard_at) for sockets in by_kind.values())
        )
        group.push_seconds = time.monotonic() - started

    @staticmethod
    async def _tell(group: _Group, sockets: list, heard_at: float) -> None:
        for socket in sockets:
            if socket not in group.followers:
                continue  # it left while an earlier one was being told
            try:
                await socket.queue_heard(heard_at)
            except Exception as error:
                logger.exception("queue push failed")
                metrics.error_caught("queue_push", error)


_relays: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, QueueRelay]" = (
    weakref.WeakKeyDictionary()
)


def queue_relay() -> QueueRelay:
    """The relay of the running event loop and the current channel layer."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    relay = _relays.get(loop)
    if relay is None or relay.layer is not layer:
        relay = _relays[loop] = QueueRelay(layer)
    return relay
