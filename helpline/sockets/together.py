"""Database work from the sockets of one process, done together: one commit, one read for many.

Every chat message is a durable commit before its sender gets an ack: on SQLite
one fsync, on PostgreSQL one WAL flush. The sockets of a process share one
database thread, so at a thousand chats the fsyncs alone kept that thread busy
a third of the time, and every read and message queued behind each of them. A
hundred consoles that opened together also refresh their presence together,
every PRESENCE_TTL_SECONDS / 3: a hundred commits in a row, a stall of every
chat each time.

Writes that arrive while a commit is under way are made by the next one, in one
transaction. Alone, a write is committed at once, as before; under load the
batch grows by itself and the cost of a commit is shared. Nothing is
acknowledged before its commit, and a failed commit fails every write in it:
chat messages' senders get an error and send again.

Reads are done the same way where many sockets ask at once: the check of a
member of staff before each frame (the hundred consoles' pings of the same
second) is three queries for all of them, read after each of them asked.
"""

import asyncio
import weakref
from collections.abc import Callable

from channels.db import database_sync_to_async
from django.utils import translation

from helpline import conversations, presence, selectors

MOST_PER_COMMIT = 100
TICK_LINGER_SECONDS = 0.05


class Together:
    """Run items through run_together(items) -> one result (or error) per item, in batches."""

    def __init__(self, run_together: Callable[[list], list], *, linger: float = 0.0):
        self.run_together = run_together
        # How long a batch waits for more before it runs: for work nobody waits on.
        self.linger = linger
        self.waiting: list[tuple[object, asyncio.Future]] = []
        self.committer: asyncio.Task | None = None

    async def run(self, item):
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((item, future))
        if self.committer is None or self.committer.done():
            self.committer = asyncio.ensure_future(self._run_waiting())
        result = await future
        if isinstance(result, BaseException):
            raise result
        return result

    async def _run_waiting(self):
        if self.linger:
            await asyncio.sleep(self.linger)
        while self.waiting:
            batch = self.waiting[:MOST_PER_COMMIT]
            del self.waiting[:MOST_PER_COMMIT]
            try:
                results = await database_sync_to_async(self.run_together)(
                    [item for item, _future in batch]
                )
            except Exception as error:  # the commit failed: every caller hears it
                results = [error] * len(batch)
            for (_item, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


_batches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Together]]" = (
    weakref.WeakKeyDictionary()
)


def _together(name: str, run_together, *, linger: float = 0.0) -> Together:
    per_loop = _batches.setdefault(asyncio.get_running_loop(), {})
    if name not in per_loop:
        per_loop[name] = Together(run_together, linger=linger)
    return per_loop[name]


async def message_post(**post):
    """Store a chat message from a socket: (message, created), as message_post returns."""
    batch = _together("message", conversations.messages_post_together)
    return await batch.run({**post, "language": translation.get_language()})


async def presence_touch(*, user) -> None:
    """Refresh a console's heartbeat, with the other consoles' that are due."""
    await _together("presence", presence.presence_touch_together).run(user)


async def youth_changes(*, conversation_id, delivered: int, known):
    """selectors.youth_conversation_changes for a young person's tick, read with others'.

    Ticks are spread over the period, so at idle they rarely meet by chance; a
    short wait gathers them (one read for thousands of waiting chats' ticks, not
    one each), and a tick is a repair, never on a message's path.
    """
    return await _together(
        "youth-changes", selectors.youth_conversations_changes, linger=TICK_LINGER_SECONDS
    ).run((conversation_id, delivered, known))


async def staff_for_socket(*, user_id, session_key: str, session_auth_hash: str):
    """selectors.staff_for_socket, read with the other sockets' checks that are waiting."""
    return await _together("staff", selectors.staff_for_sockets).run(
        (user_id, session_key, session_auth_hash)
    )
