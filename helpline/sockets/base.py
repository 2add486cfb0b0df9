"""One base for every socket: limits, close codes, errors, the tick and group membership.

FrameSocket handles what every socket shares: a frame over CHAT_MAX_FRAME_BYTES
or a binary frame closes with 4400, a flood with 4429, a bad frame gets an error
frame and the socket stays open. A periodic tick lets each socket compare itself
with the database (the channel layer may drop a signal) and join its groups
again (a layer may drop a membership). StaffSocket adds the member of staff,
read again from the database before every frame, on every tick and whenever
their account or session changes: logout, deactivation, a new role or scope or
a new password closes the socket with 4403, and nothing more is acted on.
"""

import asyncio
import gc
import json
import logging
import random
import time
from collections import deque

import sentry_sdk
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import override

from helpline import conversations, groups, metrics
from helpline.sockets import together
from helpline.sockets.frames import FrameError, frame_parse, frame_size
from helpline.sockets.queue_relay import QUEUE_PUSH_DELAY, queue_relay
from helpline.sockets.shared import change_heard_at

logger = logging.getLogger(__name__)

CLOSE_BAD_FRAME = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_FLOOD = 4429


def tick_seconds() -> float:
    return getattr(settings, "CHAT_TICK_SECONDS", 15)


def tick_delays(period: float):
    """Seconds to wait before each tick: a random phase first, then the period give or take 10%.

    Sockets connect in bursts (a reconnect after a restart, a morning shift); with
    a fixed period their ticks would all read the database at the same instant,
    every period, and stall the messages queued behind them. The phase spreads
    them over a whole period, and never ticks sooner than half of one.
    """
    yield period * random.uniform(0.5, 1.5)  # noqa: S311 - spreading load, not a secret
    while True:
        yield period * random.uniform(0.9, 1.1)  # noqa: S311


_heap_frozen = False


def freeze_startup_heap() -> None:
    """Hide what exists by the first socket (Django, the apps, the server) from the collector.

    Those objects live as long as the process. A full collection traverses them
    all: about 65 ms on the reference machine, a pause of every socket long enough
    to be the chat's p99 by itself. Done once per process.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


def cookie_language(scope) -> str | None:
    """The language chosen with the staff pages' switch (its cookie), or None when there is none.

    The same rule as config.locale's middleware for pages: only the cookie counts,
    never the browser's Accept-Language, so no cookie means Vietnamese.
    """
    chosen = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    try:
        return translation.get_supported_language_variant(chosen) if chosen else None
    except LookupError:
        return None


class FrameSocket(AsyncWebsocketConsumer):
    """JSON frames with size and flood limits, error frames, a tick and group membership."""

    # frame type -> name of the method that handles it
    handlers: dict[str, str] = {}
    # frame types that count against the stricter per-message flood limit
    counts_as_message: tuple[str, ...] = ("message",)

    async def __call__(self, scope, receive, send):
        with metrics.socket_open(self):
            await super().__call__(scope, receive, send)

    async def connect(self):
        self.recent_messages: deque[float] = deque()
        self.recent_frames: deque[float] = deque()
        self.tasks: set[asyncio.Task] = set()
        self.memberships: set[str] = set()
        self.queues_followed: set[str] = set()
        self.closed = False
        freeze_startup_heap()
        await self.accept()
        if await self.open() and not self.closed:
            self.start_ticking()

    async def open(self) -> bool:
        """Set the socket up after the handshake; False when it was closed instead."""
        raise NotImplementedError

    async def dispatch(self, message):
        """Run the handler of a frame, a channel-layer event or the tick, in the socket's language.

        Every error detail and notice, including those written in worker threads
        (the context is copied there), speaks the socket's language. An event this
        socket has no handler for is ignored: a group may carry events meant for
        other kinds of socket.

        Channels' own dispatch first hops to the database thread to close stale
        connections, for every event: four hops per chat message, one per socket
        for each queue change, all through the one thread the sockets of a process
        share. database_sync_to_async does the same before and after each database
        call, which is the only way these sockets touch the database.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            return
        self.handling = True
        try:
            with override(self.language()):
                await handler(message)
                # A queue change told while the handler ran is pushed after it, so a
                # position or a queue never comes before the frame that opens a chat.
                while getattr(self, "queue_told_while_busy", False) and not self.closed:
                    self.queue_told_while_busy = False
                    await self.push_queue()
        finally:
            self.handling = False

    def language(self) -> str:
        return cookie_language(self.scope) or settings.LANGUAGE_CODE

    # --- tasks and the tick ---

    def spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def start_ticking(self):
        """Tick every CHAT_TICK_SECONDS from now on (the young person's chat is watched instead)."""
        self.spawn(self._tick_loop())

    async def _tick_loop(self):
        # The tick goes through the socket's own inbox, so it never runs
        # interleaved with a frame or an event: delivery bookkeeping stays serial.
        for delay in tick_delays(tick_seconds()):
            await asyncio.sleep(delay)
            try:
                await self.channel_layer.send(self.channel_name, {"type": "socket.tick"})
            except Exception:
                # A full inbox (ChannelFull) or a layer hiccup: the next tick tries again.
                logger.warning("socket tick not queued")
                metrics.channel_layer_error("socket_tick")

    async def socket_tick(self, event):
        if self.closed or not await self.still_allowed():
            return
        try:
            await self.tick()
            await self.rejoin_groups()
        except Exception as error:
            logger.exception("socket tick failed")
            metrics.error_caught("socket_tick", error)

    async def tick(self):
        pass

    # --- groups ---

    async def join(self, group: str):
        self.memberships.add(group)
        await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self, group: str):
        self.memberships.discard(group)
        await self.channel_layer.group_discard(group, self.channel_name)

    async def rejoin_groups(self):
        """Join again every group this socket belongs to (joining is idempotent).

        A channel layer may silently drop a membership (the in-memory layer does
        when a message waited past its expiry, Redis after group_expiry).
        """
        for group in list(self.memberships):
            await self.channel_layer.group_add(group, self.channel_name)

    # --- closing ---

    async def disconnect(self, code):
        self.closed = True
        for task in list(self.tasks):
            task.cancel()
        try:
            await self.close_down()
        finally:
            for group in list(self.queues_followed):
                await self.unfollow_queue(group)
            for group in list(self.memberships):
                await self.leave(group)

    async def close_down(self):
        pass

    async def close_with(self, code: int):
        self.closed = True
        await self.close(code=code)

    # --- sending ---

    async def send_json(self, frame: dict):
        if not self.closed:
            await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def send_error(self, code: str, detail: str, **extra):
        await self.send_json({"type": "error", "code": code, "detail": detail, **extra})

    # --- receiving ---

    def flooded(self, frame_type: str) -> bool:
        now = time.monotonic()
        window = settings.CHAT_RATE_LIMIT_WINDOW_SECONDS
        limit = settings.CHAT_RATE_LIMIT_MESSAGES
        checks = [(self.recent_frames, limit * 5)]
        if frame_type in self.counts_as_message:
            checks.append((self.recent_messages, limit))
        for stamps, most in checks:
            stamps.append(now)
            while stamps and stamps[0] <= now - window:
                stamps.popleft()
            if len(stamps) > most:
                return True
        return False

    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return
        if text_data is None or frame_size(text_data) > settings.CHAT_MAX_FRAME_BYTES:
            await self.close_with(CLOSE_BAD_FRAME)
            return
        try:
            frame = frame_parse(text_data)
        except FrameError as error:
            if self.flooded(""):
                await self.close_with(CLOSE_FLOOD)
            else:
                await self.send_error(error.code, error.detail)
            return
        frame_type = frame.get("type")
        if self.flooded(frame_type if isinstance(frame_type, str) else ""):
            await self.close_with(CLOSE_FLOOD)
            return
        if not await self.still_allowed():
            return
        handler_name = self.handlers.get(frame_type) if isinstance(frame_type, str) else None
        if handler_name is None:
            if "type" not in frame:
                await self.send_error("missing_field", _("Thiếu trường “type”."), field="type")
            else:
                await self.send_error("unknown_type", _("Loại khung không được hỗ trợ."))
            return
        try:
            await self.before_frame(frame_type)
            await getattr(self, handler_name)(frame)
        except FrameError as error:
            await self.send_error(error.code, error.detail, **error.extra)
        except conversations.ConversationError as error:
            extra = dict(error.extra)
            for key in ("conversation", "client_id"):
                if isinstance(frame.get(key), str):
                    extra[key] = frame[key]
            await self.send_error(error.code, error.detail, **extra)
        except Exception as error:
            # Only the frame type and the error's class: a frame can carry what a child wrote.
            logger.error("socket frame %s failed: %s", frame_type, type(error).__name__)
            metrics.error_caught("socket_frame", error)
            sentry_sdk.capture_exception(error)
            await self.send_error("server_error", _("Có lỗi xảy ra. Bạn hãy thử lại."))

    async def before_frame(self, frame_type: str):
        pass

    async def still_allowed(self) -> bool:
        """Whether whoever opened this socket may still use it; close it when not."""
        return True

    async def on_ping(self, frame):
        await self.send_json({"type": "pong"})

    # --- queue changes (youth, console and board sockets follow a hotline's queue) ---

    async def follow_queue(self, group: str):
        """Hear the changes of a queue group through the process's one listener to it."""
        self.queues_followed.add(group)
        await queue_relay().follow(group, self)

    async def unfollow_queue(self, group: str):
        self.queues_followed.discard(group)
        await queue_relay().unfollow(group, self)

    async def queue_heard(self, heard_at: float):
        """The relay says a followed queue changed (a burst of changes is told once).

        While a frame or an event is being handled the push waits for it to end:
        the handler may be opening the socket or the chat, whose frames come first.
        """
        self.queue_signal_at = max(getattr(self, "queue_signal_at", 0.0), heard_at)
        if getattr(self, "handling", False):
            self.queue_told_while_busy = True
        elif not self.closed:
            with override(self.language()):
                await self.push_queue()

    async def queue_changed(self, event):
        """Coalesce a burst of changes heard in this socket's inbox into one push, later."""
        self.queue_signal_at = max(getattr(self, "queue_signal_at", 0.0), change_heard_at(event))
        if getattr(self, "queue_push_pending", False) or self.closed:
            return
        self.queue_push_pending = True
        self.spawn(self._push_queue_later())

    async def _push_queue_later(self):
        await asyncio.sleep(QUEUE_PUSH_DELAY)
        self.queue_push_pending = False
        await self.push_queue()

    async def push_queue(self):
        pass


class StaffSocket(FrameSocket):
    """A socket of a member of staff, who is read again before anything is done for them.

    role_check names the User property that must hold (is_hotline_staff,
    is_liaison). The role, hotline and agency seen at connect must stay the same;
    any change closes the socket, and the browser connects again as who they
    are now.
    """

    role_check = ""

    async def open(self) -> bool:
        self.user = None
        scope_user = self.scope.get("user")
        session = self.scope.get("session")
        identity = await database_sync_to_async(_session_identity)(scope_user, session)
        if identity is None:
            await self.close_with(CLOSE_FORBIDDEN)
            return False
        self.user_id, self.session_key, self.session_auth_hash = identity
        user = await self._current_user()
        if user is None:
            await self.close_with(CLOSE_FORBIDDEN)
            return False
        self.user = user
        self.scope_at_connect = (user.role, user.hotline_id, user.agency_id)
        await self.join(groups.staff_group(user.pk))
        return await self.open_staff()

    async def open_staff(self) -> bool:
        raise NotImplementedError

    async def _current_user(self):
        user = await together.staff_for_socket(
            user_id=self.user_id,
            session_key=self.session_key,
            session_auth_hash=self.session_auth_hash,
        )
        if user is None or not getattr(user, self.role_check, False):
            return None
        return user

    async def still_allowed(self) -> bool:
        if self.closed:
            return False
        user = await self._current_user()
        if user is None or (user.role, user.hotline_id, user.agency_id) != self.scope_at_connect:
            await self.close_with(CLOSE_FORBIDDEN)
            return False
        self.user = user
        return True

    async def staff_recheck(self, event):
        """The account or a session of this member of staff changed: look again now."""
        await self.still_allowed()


def _session_identity(user, session) -> tuple[int, str, str] | None:
    """(user id, session key, the session's auth hash) of an authenticated socket, or None."""
    from django.contrib.auth import HASH_SESSION_KEY

    if not getattr(user, "is_authenticated", False) or session is None:
        return None
    session_key = session.session_key
    if not session_key:
        return None
    return user.pk, session_key, session.get(HASH_SESSION_KEY, "")
