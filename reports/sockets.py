"""ws/board/: the supervisors' live board.

A StaffSocket (helpline/sockets/base.py) for supervisors only: anyone else is
closed with 4403, and the supervisor is read again on every frame, on every
tick and when their account or session changes. The board listens to the queue
of its scope (its hotline's queue group, or for central the overflow group,
which hears every queue change) and to the board group, which hears every
change of a conversation's state and every change of an incident. A signal
makes it read its scope again, 0.1 s later so that a burst is one read.

Reads are shared: every board of one scope in a process waits for one read
started after the change it heard, and a scope is read at most once per
MIN_READ_INTERVAL, so a busy hour costs one read per second per scope and
process, whatever the number of boards. The snapshot is sent whole, and only
when it differs from the last one this socket sent. Time alone changes a
board too (a wait crossing the overflow threshold, a deadline coming due): the
snapshot says when, and the board reads again then. Presence (who is at the
console) has no signal of its own and follows on the tick.

Frames received: {"type": "sync"} (the snapshot again, sent even if unchanged),
{"type": "ping"}. Frames sent: {"type": "board", "now": <ISO 8601>, "board":
{...}} (docs/protocol.md), {"type": "error", ...}, {"type": "pong"}.
"""

import asyncio
import json
import time
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.utils import timezone

from helpline import groups
from helpline.sockets.base import StaffSocket, tick_seconds
from reports.board import board_scope_for_user, board_snapshot
from reports.report import ALL

MIN_READ_INTERVAL = 1.0
# A time-driven change is read this long after it is due, so the read sees it.
DUE_MARGIN = 0.05


@dataclass
class BoardRead:
    """One board, read once for every socket of a scope: the frame's text and its version."""

    frame: str
    version: str
    due_at: float | None  # time.monotonic() when time alone changes it next


def board_read_now(scope) -> BoardRead:
    """Read a scope's board (in a worker thread) and encode it once for every socket."""
    started = time.monotonic()
    at = timezone.now()
    board = board_snapshot(scope=scope, at=at)
    next_change_in = board.pop("next_change_in")
    version = json.dumps(board, ensure_ascii=False, sort_keys=True)
    now = json.dumps(timezone.localtime(at).isoformat())
    return BoardRead(
        frame=f'{{"type": "board", "now": {now}, "board": {version}}}',
        version=version,
        due_at=None if next_change_in is None else started + next_change_in,
    )


@dataclass
class _Read:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    started_at: float | None = None
    task: asyncio.Task | None = None


_reads: dict[object, _Read] = {}


async def shared_board_read(scope, changed_at: float, read=board_read_now) -> BoardRead:
    """A read of the scope started after changed_at, shared by this process's boards.

    A read waiting to start serves every change heard before it starts; a new
    one starts no sooner than MIN_READ_INTERVAL after the last one started.
    """
    loop = asyncio.get_running_loop()
    current = _reads.get(scope)
    if current is not None and current.loop is loop and _serves(current, changed_at):
        return await asyncio.shield(current.future)
    delay = 0.0
    if current is not None and current.loop is loop and current.started_at is not None:
        delay = max(0.0, current.started_at + MIN_READ_INTERVAL - time.monotonic())
    fresh = _Read(loop=loop, future=loop.create_future())
    _reads[scope] = fresh
    fresh.task = asyncio.ensure_future(_run(fresh, delay, read, scope))
    return await asyncio.shield(fresh.future)


def _serves(read: _Read, changed_at: float) -> bool:
    if read.started_at is None:
        return True
    if read.future.done() and (read.future.cancelled() or read.future.exception() is not None):
        return False
    return read.started_at >= changed_at


async def _run(read: _Read, delay: float, reader, scope) -> None:
    if delay:
        await asyncio.sleep(delay)
    read.started_at = time.monotonic()
    try:
        result = await database_sync_to_async(reader)(scope)
    except Exception as error:
        read.future.set_exception(error)
    else:
        read.future.set_result(result)


class BoardConsumer(StaffSocket):
    role_check = "is_supervisor"
    handlers = {"sync": "on_sync", "ping": "on_ping"}
    counts_as_message = ()

    async def open_staff(self) -> bool:
        self.board_scope = board_scope_for_user(self.user)
        self.sent_version: str | None = None
        self.due_at: float | None = None
        self.due_task: asyncio.Task | None = None
        self.queue_signal_at = time.monotonic()
        if self.board_scope == ALL:
            await self.follow_queue(groups.central_overflow_group())
        else:
            await self.follow_queue(groups.hotline_queue_group(self.board_scope))
        await self.join(groups.board_group())
        await self.push_board(changed_at=time.monotonic(), force=True)
        return True

    async def push_board(self, *, changed_at: float, force: bool = False) -> None:
        read = await shared_board_read(self.board_scope, changed_at)
        if self.closed:
            return
        self._schedule(read.due_at)
        if force or read.version != self.sent_version:
            self.sent_version = read.version
            await self.send(text_data=read.frame)

    def _schedule(self, due_at: float | None) -> None:
        """Read again when time alone changes the board, once per moment."""
        if due_at is None or due_at == self.due_at:
            return
        if self.due_task is not None:
            self.due_task.cancel()
        self.due_at = due_at
        self.due_task = self.spawn(self._due_later(due_at))

    async def _due_later(self, due_at: float) -> None:
        await asyncio.sleep(max(0.0, due_at - time.monotonic()) + DUE_MARGIN)
        if self.due_at != due_at:
            return
        # Through the socket's own inbox, like the tick: never interleaved with a frame.
        await self.channel_layer.send(self.channel_name, {"type": "board.due", "due_at": due_at})

    async def board_due(self, event) -> None:
        due_at = event.get("due_at")
        if isinstance(due_at, float) and due_at == self.due_at:
            self.due_at = None
            await self.push_board(changed_at=due_at)

    # --- signals: coalesced by FrameSocket.queue_changed, then push_queue ---

    async def board_changed(self, event) -> None:
        """A conversation changed state, or an incident changed: read again if in scope."""
        hotline_id = event.get("hotline_id")
        if self.board_scope == ALL or hotline_id is None or hotline_id == self.board_scope:
            await self.queue_changed(event)

    async def push_queue(self) -> None:
        await self.push_board(changed_at=self.queue_signal_at)

    # --- frames and the tick ---

    async def on_sync(self, frame) -> None:
        await self.push_board(changed_at=time.monotonic(), force=True)

    async def tick(self) -> None:
        # Presence has no signal: a read a few seconds old, shared by the boards' ticks, will do.
        heard = max(self.queue_signal_at, time.monotonic() - tick_seconds() / 3)
        await self.push_board(changed_at=heard)
