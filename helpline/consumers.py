"""WebSocket consumers: the young person's chat and the operator's console.

They stay thin: parse a frame, check it, call one service in a worker thread,
send the answer. docs/protocol.md describes every frame.

Delivery: each socket remembers the highest seq it delivered per conversation.
A pushed message that skips ahead makes it read the gap from the database; one
already delivered is dropped. A periodic tick compares with the database too,
so a signal lost by the channel layer never loses a chat message.
"""

import asyncio
import gc
import json
import logging
import random
import time
import uuid
from collections import deque
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import override

from helpline import conversations, groups, presence, selectors
from helpline.models import (
    AgeGroup,
    Channel,
    Conversation,
    ConversationState,
    PresenceStatus,
    Sender,
    User,
)
from helpline.provinces import provinces_by_code

logger = logging.getLogger(__name__)

CLOSE_BAD_FRAME = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_FLOOD = 4429
QUEUE_PUSH_DELAY = 0.1


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


def presence_refresh_seconds() -> float:
    """How stale a heartbeat may get before a console writes a new one.

    A third of the expiry: with a tick at most 1.1 periods apart, an open console
    is never taken for gone, and it costs one write every few ticks, not each.
    """
    return settings.PRESENCE_TTL_SECONDS / 3


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


_heap_frozen = False

# Every socket in a queue's scope hears each queue change. A change is known by its
# id, and the first time this process heard it is when every socket hearing it
# asks for a read: one read, started after that, then serves them all.
_changes_heard: dict[str, float] = {}


def change_heard_at(event: dict) -> float:
    now = time.monotonic()
    change = event.get("change")
    if not isinstance(change, str):
        return now
    if len(_changes_heard) > 1000:
        for key, heard in list(_changes_heard.items()):
            if heard < now - 60:
                del _changes_heard[key]
    return _changes_heard.setdefault(change, now)


def cookie_language(scope) -> str | None:
    """The language chosen with the site's switch (its cookie), or None when there is none.

    The same rule as config.locale's middleware for pages: only the cookie counts,
    never the browser's Accept-Language, so no cookie means Vietnamese.
    """
    chosen = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    try:
        return translation.get_supported_language_variant(chosen) if chosen else None
    except LookupError:
        return None


class FrameError(Exception):
    def __init__(self, code: str, detail: str, **extra):
        self.code = code
        self.detail = detail
        self.extra = extra


def required(frame: dict, field: str, kind=str):
    if field not in frame or frame[field] is None:
        raise FrameError("missing_field", _("Thiếu trường “%(f)s”.") % {"f": field}, field=field)
    value = frame[field]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise FrameError(
            "invalid_field", _("Trường “%(f)s” không hợp lệ.") % {"f": field}, field=field
        )
    return value


def optional(frame: dict, field: str, kind=str, default=None):
    if frame.get(field) is None:
        return default
    return required(frame, field, kind)


def conversation_field(frame: dict) -> str:
    value = required(frame, "conversation")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise FrameError(
            "invalid_field", _("Mã cuộc trao đổi không hợp lệ."), field="conversation"
        ) from None


class FrameConsumer(AsyncWebsocketConsumer):
    """JSON frames with size and flood limits, error frames and a periodic tick."""

    handlers: dict[str, str] = {}
    counts_as_message = ("message",)

    async def connect(self):
        self.recent_messages: deque[float] = deque()
        self.recent_frames: deque[float] = deque()
        self.tasks: set[asyncio.Task] = set()
        self.closed = False
        self.queue_push_pending = False
        freeze_startup_heap()
        await self.open()

    async def open(self):
        raise NotImplementedError

    async def dispatch(self, message):
        """Run the handler of a frame, a channel-layer event or the tick.

        Every error detail and notice, including those written in worker threads
        (the context is copied there), speaks the socket's language.

        Channels' own dispatch first hops to the database thread to close stale
        connections, for every event: four hops per chat message, one per socket
        for each queue change, all through the one thread the sockets of a process
        share. database_sync_to_async does the same before and after each database
        call, which is the only way these consumers touch the database.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        with override(self.language()):
            await handler(message)

    def start_tick(self):
        self.spawn(self._tick_loop())

    def spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _tick_loop(self):
        # The tick goes through the consumer's own inbox, so it never runs
        # interleaved with a frame or an event: delivery bookkeeping stays serial.
        for delay in tick_delays(tick_seconds()):
            await asyncio.sleep(delay)
            try:
                await self.channel_layer.send(self.channel_name, {"type": "socket.tick"})
            except Exception:
                # A full inbox (ChannelFull) or a layer hiccup: the next tick tries again.
                logger.warning("socket tick not queued")

    async def socket_tick(self, event):
        if self.closed:
            return
        try:
            await self.tick()
        except Exception:
            logger.exception("socket tick failed")

    async def tick(self):
        pass

    async def disconnect(self, code):
        self.closed = True
        for task in list(self.tasks):
            task.cancel()
        await self.close_down()

    async def close_down(self):
        pass

    async def close_with(self, code: int):
        self.closed = True
        await self.close(code=code)

    async def send_json(self, frame: dict):
        if not self.closed:
            await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def send_error(self, code: str, detail: str, **extra):
        await self.send_json({"type": "error", "code": code, "detail": detail, **extra})

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
        if text_data is None or len(text_data.encode()) > settings.CHAT_MAX_FRAME_BYTES:
            await self.close_with(CLOSE_BAD_FRAME)
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self.send_error("invalid_json", _("Khung dữ liệu không phải JSON hợp lệ."))
            return
        frame_type = frame.get("type")
        if self.flooded(frame_type if isinstance(frame_type, str) else ""):
            await self.close_with(CLOSE_FLOOD)
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

    async def before_frame(self, frame_type: str):
        pass

    def language(self) -> str:
        return cookie_language(self.scope) or settings.LANGUAGE_CODE

    async def on_ping(self, frame):
        await self.send_json({"type": "pong"})

    # Queue pushes are coalesced: a burst of changes costs one read.
    async def queue_changed(self, event):
        if self.queue_push_pending or self.closed:
            return
        self.queue_push_pending = True
        self.spawn(self._push_queue_later())

    async def _push_queue_later(self):
        await asyncio.sleep(QUEUE_PUSH_DELAY)
        self.queue_push_pending = False
        await self.push_queue()

    async def push_queue(self):
        pass


# --- the young person ---------------------------------------------------------------


class YouthChatConsumer(FrameConsumer):
    handlers = {
        "start": "on_start",
        "resume": "on_resume",
        "message": "on_message",
        "typing": "on_typing",
        "end": "on_end",
        "sync": "on_sync",
        "ping": "on_ping",
    }

    async def open(self):
        self.conversation_id: str | None = None
        self.hotline_id: int | None = None
        self.state = ""
        self.delivered = 0
        self.position = None
        self.queue_signal_at = time.monotonic()
        self.seen_written_at = time.monotonic()
        # The page's language (its switch's cookie) until start or resume says more.
        self.chosen_lang = cookie_language(self.scope)
        self.lang = self.chosen_lang or settings.LANGUAGE_CODE
        client = self.scope.get("client") or None
        self.client_address = client[0] if client else None
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            # A secret in a URL ends up in logs and history: refuse it outright.
            await self.close_with(CLOSE_BAD_FRAME)
            return
        self.start_tick()

    def language(self) -> str:
        return getattr(self, "lang", None) or super().language()

    async def before_frame(self, frame_type):
        if frame_type in ("message", "typing", "end", "sync") and self.conversation_id is None:
            raise FrameError("not_started", _("Bạn chưa bắt đầu cuộc trò chuyện."))
        if frame_type in ("start", "resume") and self.conversation_id is not None:
            raise FrameError("already_started", _("Cuộc trò chuyện đã được bắt đầu."))

    async def on_start(self, frame):
        province = optional(frame, "province", default="")
        if province and province not in provinces_by_code():
            raise FrameError("invalid_field", _("Tỉnh/thành không hợp lệ."), field="province")
        language = optional(frame, "language", default=self.lang)
        if language not in ("vi", "en"):
            raise FrameError("invalid_field", _("Ngôn ngữ không hợp lệ."), field="language")
        self.lang = language
        age_group = optional(frame, "age_group", default="")
        if age_group and age_group not in AgeGroup.values:
            raise FrameError("invalid_field", _("Nhóm tuổi không hợp lệ."), field="age_group")
        conversation, token = await database_sync_to_async(conversations.conversation_start)(
            channel=Channel.WEBCHAT,
            hotline=None,
            province_code=province,
            language=language,
            age_group=age_group,
            client_address=self.client_address,
        )
        await self._join(conversation)
        await self.send_json(
            {
                "type": "started",
                "conversation": self.conversation_id,
                "token": token,
                "state": conversation.state,
                "expires_at": conversation.token_expires_at.isoformat(),
            }
        )
        await self._send_position(force=True, fresh=True)

    async def on_resume(self, frame):
        token = required(frame, "token")
        last_seq = optional(frame, "last_seq", int, default=0)
        if last_seq < 0:
            raise FrameError("invalid_field", _("last_seq không hợp lệ."), field="last_seq")
        conversation = await database_sync_to_async(conversations.conversation_resume)(token=token)
        # A page that switched language since the chat started says so with its
        # cookie; a client without one keeps the language it started in.
        self.lang = self.chosen_lang or conversation.language
        # Join before reading, so nothing committed in between is missed.
        await self._join(conversation)
        conversation, missed = await database_sync_to_async(_snapshot)(conversation.pk, last_seq)
        self.state = conversation.state
        await self.send_json(
            {
                "type": "resumed",
                "conversation": self.conversation_id,
                "state": conversation.state,
                "last_seq": conversation.last_seq,
            }
        )
        for message in missed:
            await self.send_json(conversations.message_payload(message))
        self.delivered = conversation.last_seq
        self.seen_written_at = time.monotonic()  # conversation_resume wrote it
        if self.state == ConversationState.QUEUED:
            await self._send_position(force=True, fresh=True)

    async def _join(self, conversation: Conversation):
        self.conversation_id = str(conversation.pk)
        self.state = conversation.state
        await self.channel_layer.group_add(
            groups.conversation_group(self.conversation_id), self.channel_name
        )
        await self._follow_queue(conversation.hotline_id)
        await self.channel_layer.group_send(
            groups.conversation_group(self.conversation_id),
            {"type": "chat.youth", "conversation": self.conversation_id, "connected": True},
        )

    async def _follow_queue(self, hotline_id):
        """Listen to the hotline's queue while queued, to keep the position live."""
        wanted = hotline_id if self.state == ConversationState.QUEUED else None
        if self.hotline_id == wanted:
            return
        if self.hotline_id is not None:
            await self.channel_layer.group_discard(
                groups.hotline_queue_group(self.hotline_id), self.channel_name
            )
        if wanted is not None:
            await self.channel_layer.group_add(
                groups.hotline_queue_group(wanted), self.channel_name
            )
        self.hotline_id = wanted

    async def on_message(self, frame):
        client_id = required(frame, "client_id")
        body = required(frame, "body")
        message, _created = await database_sync_to_async(conversations.message_post)(
            conversation_id=self.conversation_id,
            sender=Sender.YOUTH,
            body=body,
            client_id=client_id,
        )
        if message.seq > self.delivered + 1:
            await self._catch_up(upto=message.seq - 1)
        self.delivered = max(self.delivered, message.seq)
        await self.send_json({"type": "ack", "client_id": client_id, "seq": message.seq})

    async def on_typing(self, frame):
        if self.state in (ConversationState.QUEUED, ConversationState.ACTIVE):
            await self.channel_layer.group_send(
                groups.conversation_group(self.conversation_id),
                {"type": "chat.typing", "conversation": self.conversation_id, "sender": "youth"},
            )

    async def on_end(self, frame):
        reason = "quick_exit" if frame.get("reason") == "quick_exit" else "youth_left"
        conversation = await database_sync_to_async(conversations.conversation_end)(
            conversation_id=self.conversation_id, reason=reason
        )
        await self._set_state(conversation.state, conversation.ended_reason)

    async def on_sync(self, frame):
        await self._refresh(force_state=True)

    async def _set_state(self, state: str, reason: str = "", hotline_id=None):
        if state == self.state and state != ConversationState.QUEUED:
            return
        transferred = state == ConversationState.QUEUED and hotline_id not in (
            None,
            self.hotline_id,
        )
        self.state = state
        if state != ConversationState.QUEUED or transferred:
            await self.send_json({"type": "state", "state": state, "reason": reason})
        if hotline_id is not None:
            await self._follow_queue(hotline_id)
        elif state != ConversationState.QUEUED:
            await self._follow_queue(None)
        if state == ConversationState.QUEUED:
            await self._send_position(force=transferred, fresh=transferred)

    async def _send_position(self, *, force=False, fresh=False):
        changed_at = time.monotonic() if fresh else self.queue_signal_at
        position = await queue_position_shared(
            self.hotline_id, self.conversation_id, changed_at=changed_at
        )
        if position is not None and (force or position != self.position):
            self.position = position
            await self.send_json({"type": "queue", "position": position})

    async def queue_changed(self, event):
        self.queue_signal_at = max(self.queue_signal_at, change_heard_at(event))
        await super().queue_changed(event)

    async def push_queue(self):
        if self.state == ConversationState.QUEUED:
            await self._send_position()

    async def _catch_up(self, upto=None):
        missed = await database_sync_to_async(selectors.messages_after)(
            conversation_id=self.conversation_id, seq=self.delivered, upto=upto
        )
        await self._deliver(missed)

    async def _deliver(self, messages):
        """Send messages read from the database that this socket has not delivered yet."""
        for message in messages:
            if message.seq > self.delivered:
                self.delivered = message.seq
                await self.send_json(conversations.message_payload(message))

    async def _refresh(self, *, force_state=False):
        # A queued chat's socket keeps its young person "seen", so the chat is not
        # timed out; writing that every tick would cost every socket a durable
        # commit (an fsync) for a deadline of CHAT_QUEUED_GRACE_SECONDS.
        now = time.monotonic()
        mark_seen = (
            self.state == ConversationState.QUEUED
            and now - self.seen_written_at > conversations.queued_grace_seconds() / 3
        )
        known = None if force_state else (self.state, self.hotline_id)
        seen_written, snapshot = await database_sync_to_async(_youth_tick)(
            self.conversation_id, self.delivered, known, mark_seen
        )
        if seen_written:
            self.seen_written_at = now
        if snapshot is None:
            return
        state, reason, hotline_id, missed = snapshot
        await self._deliver(missed)
        if force_state:
            self.state = ""
        await self._set_state(state, reason, hotline_id)

    async def tick(self):
        if self.conversation_id is not None:
            await self._rejoin()
            await self._refresh()

    async def _rejoin(self):
        # A channel layer may silently drop a membership (the in-memory layer does
        # when a message waited past its expiry, Redis after group_expiry): joining
        # again is idempotent and puts the signals back.
        await self.channel_layer.group_add(
            groups.conversation_group(self.conversation_id), self.channel_name
        )
        if self.hotline_id is not None:
            await self.channel_layer.group_add(
                groups.hotline_queue_group(self.hotline_id), self.channel_name
            )

    async def close_down(self):
        if self.conversation_id is None:
            return
        if self.state == ConversationState.QUEUED:
            # The grace period for a vanished socket counts from here.
            await database_sync_to_async(conversations.conversation_youth_seen)(
                conversation_id=self.conversation_id
            )
        group = groups.conversation_group(self.conversation_id)
        await self.channel_layer.group_send(
            group, {"type": "chat.youth", "conversation": self.conversation_id, "connected": False}
        )
        await self.channel_layer.group_discard(group, self.channel_name)
        await self._follow_queue(None)

    # Channel-layer events.

    async def chat_message(self, event):
        message = event["message"]
        seq = message["seq"]
        if seq <= self.delivered:
            return
        if seq > self.delivered + 1:
            await self._catch_up(upto=seq - 1)
        # A youth message here was sent from this young person's other tab.
        await self.send_json(message)
        self.delivered = seq

    async def chat_state(self, event):
        await self._set_state(event["state"], event.get("reason", ""), event.get("hotline_id"))

    async def chat_typing(self, event):
        if event.get("sender") == "operator":
            await self.send_json({"type": "typing"})

    async def chat_youth(self, event):
        pass

    async def chat_info(self, event):
        pass


# Every socket in a queue's scope hears each change of that queue. One read per
# scope, started after the change and shared by every socket of this process
# that waits for it, keeps that from costing one query per socket per change,
# which grows with the square of the queue.
_shared_reads: dict[object, tuple[float, asyncio.Future]] = {}


async def shared_read(key, changed_at: float, read, *args):
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
    order = await shared_read(("order", hotline_id), changed_at, _queue_order, hotline_id)
    if conversation_id in order:
        return order.index(conversation_id) + 1
    return None


def _queue_order(hotline_id) -> list[str]:
    return [str(pk) for pk in selectors.queue_order(hotline_id=hotline_id)]


def _snapshot(conversation_id, last_seq: int):
    conversation = Conversation.objects.get(pk=conversation_id)
    return conversation, selectors.messages_after(
        conversation_id=conversation_id, seq=last_seq, upto=conversation.last_seq
    )


def _youth_tick(conversation_id, delivered: int, known, mark_seen: bool):
    """(seen written, what changed since the socket last looked, or None when nothing did).

    known is the (state, hotline_id) the socket believes in, or None to read it
    all. One primary-key read when nothing changed; a write only with mark_seen,
    and only while queued.
    """
    seen_written = False
    if mark_seen:
        seen_written = bool(
            conversations.conversations_youth_seen(conversation_ids=[conversation_id])
        )
    rows = Conversation.objects.filter(pk=conversation_id)
    if known is not None:
        state, hotline_id = known
        unchanged = Q(state=state, last_seq__lte=delivered)
        if state == ConversationState.QUEUED:
            unchanged &= Q(hotline_id=hotline_id)
        rows = rows.exclude(unchanged)
    conversation = rows.only("state", "ended_reason", "hotline_id", "last_seq").first()
    if conversation is None:
        return seen_written, None
    missed = []
    if conversation.last_seq > delivered:
        missed = selectors.messages_after(conversation_id=conversation_id, seq=delivered)
    return seen_written, (
        conversation.state,
        conversation.ended_reason,
        conversation.hotline_id,
        missed,
    )


# --- the operator's console -------------------------------------------------------------


class OperatorConsoleConsumer(FrameConsumer):
    handlers = {
        "accept": "on_accept",
        "message": "on_message",
        "typing": "on_typing",
        "end": "on_end",
        "risk": "on_risk",
        "transfer": "on_transfer",
        "case_create": "on_case_create",
        "case_link": "on_case_link",
        "presence": "on_presence",
        "sync": "on_sync",
        "canned": "on_canned",
        "ping": "on_ping",
    }
    counts_as_message = ()

    async def open(self):
        self.user = None
        self.held: dict[str, int] = {}
        self.states: dict[str, str] = {}
        self.last_queue = None
        self.queue_signal_at = time.monotonic()
        self.last_heartbeat = 0.0
        await self.accept()
        scope_user = self.scope.get("user")
        user_id = scope_user.pk if getattr(scope_user, "is_authenticated", False) else None
        self.user = await database_sync_to_async(_load_staff)(user_id)
        if self.user is None:
            await self.close_with(CLOSE_FORBIDDEN)
            return
        await self._join_groups()
        state = await database_sync_to_async(presence.presence_heartbeat)(
            user=self.user, status=PresenceStatus.AVAILABLE
        )
        self.last_heartbeat = time.monotonic()
        await self.send_json(
            {
                "type": "hello",
                "user": self.user.username,
                "hotline": self.user.hotline.code,
                "capacity": settings.OPERATOR_CAPACITY,
                "presence": state.status,
            }
        )
        await self.push_queue(force=True)
        await self.on_canned({})
        await self._send_held()
        self.start_tick()

    async def before_frame(self, frame_type):
        # Every frame proves the console is alive; a recent heartbeat is left as it is.
        if frame_type != "presence":
            await self._heartbeat()

    async def _heartbeat(self):
        if time.monotonic() - self.last_heartbeat > presence_refresh_seconds():
            self.last_heartbeat = time.monotonic()
            await database_sync_to_async(presence.presence_touch)(user=self.user)

    async def _send_held(self):
        held_ids = await database_sync_to_async(
            lambda: [str(c.pk) for c in selectors.conversations_held_by(user=self.user)]
        )()
        for conversation_id in held_ids:
            await self._open_conversation(conversation_id)

    async def _open_conversation(self, conversation_id: str):
        """Join the conversation's group, then read it: nothing falls in between."""
        await self.channel_layer.group_add(
            groups.conversation_group(conversation_id), self.channel_name
        )
        frame = await database_sync_to_async(_accepted_frame)(self.user, conversation_id)
        if frame is None:
            return
        self.held[conversation_id] = frame.pop("_last_seq")
        self.states[conversation_id] = frame["state"]
        await self.send_json(frame)

    async def queue_changed(self, event):
        self.queue_signal_at = max(self.queue_signal_at, change_heard_at(event))
        await super().queue_changed(event)

    async def push_queue(self, force=False, fresh=False):
        # Consoles of one hotline share a read: their queues are the same. A tick
        # asks for a recent one, since time alone moves conversations into overflow;
        # one a few seconds old does, and the consoles' ticks then share it too.
        key = ("queue", self.user.hotline_id)
        now = time.monotonic()
        if force:
            changed_at = now
        elif fresh:
            changed_at = max(self.queue_signal_at, now - tick_seconds() / 3)
        else:
            changed_at = self.queue_signal_at
        items = await shared_read(key, changed_at, _queue_items, self.user)
        if force or items != self.last_queue:
            self.last_queue = items
            await self.send_json({"type": "queue", "items": items})

    async def on_accept(self, frame):
        conversation_id = conversation_field(frame)
        group = groups.conversation_group(conversation_id)
        await self.channel_layer.group_add(group, self.channel_name)
        try:
            await database_sync_to_async(conversations.conversation_accept)(
                user=self.user, conversation_id=conversation_id
            )
        except conversations.ConversationError:
            if conversation_id not in self.held:
                await self.channel_layer.group_discard(group, self.channel_name)
            raise
        await self._open_conversation(conversation_id)

    async def on_message(self, frame):
        conversation_id = conversation_field(frame)
        client_id = required(frame, "client_id")
        body = required(frame, "body")
        message, _created = await database_sync_to_async(conversations.message_post)(
            conversation_id=conversation_id,
            sender=Sender.OPERATOR,
            body=body,
            client_id=client_id,
            author=self.user,
        )
        if conversation_id not in self.held:
            # Accepted in another tab of the same operator.
            await self.channel_layer.group_add(
                groups.conversation_group(conversation_id), self.channel_name
            )
            self.held[conversation_id] = message.seq
        delivered = self.held[conversation_id]
        if message.seq > delivered + 1:
            await self._catch_up(conversation_id, upto=message.seq - 1)
        self.held[conversation_id] = max(self.held[conversation_id], message.seq)
        await self.send_json(
            {
                "type": "ack",
                "conversation": conversation_id,
                "client_id": client_id,
                "seq": message.seq,
            }
        )

    async def on_typing(self, frame):
        conversation_id = conversation_field(frame)
        allowed = await database_sync_to_async(_holds)(self.user, conversation_id)
        if not allowed:
            raise conversations.NotAllowed()
        await self.channel_layer.group_send(
            groups.conversation_group(conversation_id),
            {"type": "chat.typing", "conversation": conversation_id, "sender": "operator"},
        )

    async def on_end(self, frame):
        conversation_id = conversation_field(frame)
        conversation = await database_sync_to_async(conversations.conversation_end)(
            conversation_id=conversation_id, by_user=self.user
        )
        await self._send_state(conversation_id, conversation.state, conversation.ended_reason)

    async def on_risk(self, frame):
        conversation_id = conversation_field(frame)
        risk = required(frame, "risk")
        conversation = await database_sync_to_async(conversations.conversation_set_risk)(
            user=self.user, conversation_id=conversation_id, risk=risk
        )
        await self._send_info(conversation_id, conversation)

    async def on_transfer(self, frame):
        conversation_id = conversation_field(frame)
        hotline = required(frame, "hotline")
        await database_sync_to_async(conversations.conversation_transfer)(
            user=self.user, conversation_id=conversation_id, hotline=hotline
        )
        self.held.pop(conversation_id, None)
        self.states.pop(conversation_id, None)
        await self.channel_layer.group_discard(
            groups.conversation_group(conversation_id), self.channel_name
        )
        await self.send_json(
            {"type": "transferred", "conversation": conversation_id, "hotline": hotline}
        )
        await self.send_json(
            {
                "type": "state",
                "conversation": conversation_id,
                "state": ConversationState.QUEUED,
                "reason": "transferred",
            }
        )

    async def on_case_create(self, frame):
        conversation_id = conversation_field(frame)
        risk = optional(frame, "risk", default="")
        summary = optional(frame, "summary", default="")
        codes = optional(frame, "categories", list, default=[])
        if not all(isinstance(code, str) for code in codes):
            raise FrameError("invalid_field", _("Phân loại không hợp lệ."), field="categories")
        case, created = await database_sync_to_async(_case_create)(
            self.user, conversation_id, risk, summary, codes
        )
        await self.send_json(_case_frame(conversation_id, case, created))

    async def on_case_link(self, frame):
        # Operators know a case by its reference (HN-2026-000123), not by its id.
        conversation_id = conversation_field(frame)
        if frame.get("case") is None and frame.get("reference") is not None:
            case_id, reference = None, required(frame, "reference")
        else:
            case_id, reference = required(frame, "case", int), None
        case = await database_sync_to_async(conversations.conversation_case_link)(
            user=self.user, conversation_id=conversation_id, case_id=case_id, reference=reference
        )
        await self.send_json(_case_frame(conversation_id, case, False))

    async def on_presence(self, frame):
        status = required(frame, "status")
        if status not in (PresenceStatus.AVAILABLE, PresenceStatus.AWAY):
            raise FrameError("invalid_field", _("Trạng thái không hợp lệ."), field="status")
        state, load = await database_sync_to_async(_presence_set)(self.user, status)
        self.last_heartbeat = time.monotonic()
        await self.send_json(
            {
                "type": "presence",
                "status": state.status,
                "active": load,
                "capacity": settings.OPERATOR_CAPACITY,
            }
        )

    async def on_sync(self, frame):
        if frame.get("conversation") is None:
            await self.push_queue(force=True)
            await self._send_held()
            return
        conversation_id = conversation_field(frame)
        last_seq = optional(frame, "last_seq", int, default=0)
        conversation = await database_sync_to_async(_visible)(self.user, conversation_id)
        if conversation is None:
            raise conversations.ConversationNotFound()
        if conversation.operator_id != self.user.pk and not self.user.is_supervisor:
            raise conversations.NotAllowed()
        await self.channel_layer.group_add(
            groups.conversation_group(conversation_id), self.channel_name
        )
        self.held[conversation_id] = max(last_seq, 0)
        await self._send_info(conversation_id, conversation)
        await self._catch_up(conversation_id)

    async def on_canned(self, frame):
        items = await database_sync_to_async(
            lambda: [
                {"id": c.pk, "title": c.title, "body": c.body}
                for c in selectors.canned_responses_for_user(user=self.user)
            ]
        )()
        await self.send_json({"type": "canned", "items": items})

    async def _send_info(self, conversation_id, conversation=None):
        frame = await database_sync_to_async(_info_frame)(self.user, conversation_id)
        if frame is not None:
            await self.send_json(frame)

    async def _send_state(self, conversation_id, state, reason=""):
        if self.states.get(conversation_id) == state:
            return
        self.states[conversation_id] = state
        await self.send_json(
            {"type": "state", "conversation": conversation_id, "state": state, "reason": reason}
        )
        if state == ConversationState.ENDED and reason == "quick_exit":
            await self.send_json({"type": "quick_exit", "conversation": conversation_id})

    async def _catch_up(self, conversation_id, upto=None):
        missed = await database_sync_to_async(selectors.messages_after)(
            conversation_id=conversation_id, seq=self.held.get(conversation_id, 0), upto=upto
        )
        await self._deliver(conversation_id, missed)

    async def _deliver(self, conversation_id, messages):
        """Send messages read from the database that this console has not delivered yet."""
        for message in messages:
            if message.seq > self.held.get(conversation_id, 0):
                self.held[conversation_id] = message.seq
                await self.send_json(conversations.message_payload(message))

    async def _join_groups(self):
        """Join (or join again: it is idempotent) every group this console listens to.

        A channel layer may silently drop a membership (the in-memory layer does
        when a message waited past its expiry, Redis after group_expiry), so the
        tick calls this too.
        """
        names = [groups.staff_group(self.user.pk), groups.hotline_queue_group(self.user.hotline_id)]
        if self.user.hotline.is_central:
            names.append(groups.central_overflow_group())
        names += [groups.conversation_group(c) for c in self.held]
        for name in names:
            await self.channel_layer.group_add(name, self.channel_name)

    async def tick(self):
        await self._join_groups()
        await self._heartbeat()
        snapshot = await database_sync_to_async(_console_tick)(
            self.user, dict(self.held), dict(self.states)
        )
        for conversation_id, state, reason, missed in snapshot:
            if conversation_id in self.held:
                await self._deliver(conversation_id, missed)
            await self._send_state(conversation_id, state, reason)
        await self.push_queue(fresh=True)

    async def close_down(self):
        if self.user is None:
            return
        await database_sync_to_async(presence.presence_offline)(user=self.user)
        for conversation_id in list(self.held):
            await self.channel_layer.group_discard(
                groups.conversation_group(conversation_id), self.channel_name
            )
        await self.channel_layer.group_discard(groups.staff_group(self.user.pk), self.channel_name)
        await self.channel_layer.group_discard(
            groups.hotline_queue_group(self.user.hotline_id), self.channel_name
        )
        await self.channel_layer.group_discard(groups.central_overflow_group(), self.channel_name)

    # Channel-layer events.

    async def chat_message(self, event):
        message = event["message"]
        conversation_id = message["conversation"]
        if conversation_id not in self.held:
            return
        seq = message["seq"]
        delivered = self.held[conversation_id]
        if seq <= delivered:
            return
        if seq > delivered + 1:
            await self._catch_up(conversation_id, upto=seq - 1)
        await self.send_json(message)
        self.held[conversation_id] = seq

    async def chat_state(self, event):
        conversation_id = event["conversation"]
        if conversation_id not in self.held:
            return
        if event["state"] == ConversationState.QUEUED:
            # Transferred away by someone else: it is no longer this console's.
            self.held.pop(conversation_id, None)
            await self.channel_layer.group_discard(
                groups.conversation_group(conversation_id), self.channel_name
            )
        await self._send_state(conversation_id, event["state"], event.get("reason", ""))

    async def chat_typing(self, event):
        if event.get("sender") == "youth" and event["conversation"] in self.held:
            await self.send_json({"type": "typing", "conversation": event["conversation"]})

    async def chat_youth(self, event):
        if event["conversation"] in self.held:
            await self.send_json(
                {
                    "type": "youth",
                    "conversation": event["conversation"],
                    "connected": event["connected"],
                }
            )

    async def chat_info(self, event):
        if event["conversation"] in self.held:
            await self._send_info(event["conversation"])

    async def console_push(self, event):
        frame = event.get("frame")
        if isinstance(frame, dict):
            await self.send_json(frame)


# --- reads and writes run in worker threads -------------------------------------------------


def _load_staff(user_id):
    if user_id is None:
        return None
    user = User.objects.select_related("hotline").filter(pk=user_id).first()
    if user is None or not user.is_hotline_staff:
        return None
    return user


def _iso(value):
    return value.isoformat() if value else None


def _queue_items(user) -> list[dict]:
    return [
        {
            "conversation": str(c.pk),
            "channel": c.channel,
            "province": c.province_code,
            "hotline": c.hotline.code,
            "waiting_since": _iso(c.queued_at),
            "risk": c.risk,
            "language": c.language,
            "age_group": c.age_group,
            "overflow": c.hotline_id != user.hotline_id,
            "transferred": c.transfer_count > 0,
        }
        for c in selectors.queue_for_user(user=user)
    ]


def _case_fields(conversation: Conversation) -> dict:
    from django.urls import reverse

    case = conversation.case
    return {
        "case": case.pk if case else None,
        "case_reference": case.reference if case else "",
        "case_url": reverse("cases:detail", args=[case.pk]) if case else "",
    }


def _accepted_frame(user, conversation_id) -> dict | None:
    conversation = (
        Conversation.objects.filter(pk=conversation_id, operator_id=user.pk)
        .select_related("hotline", "case")
        .first()
    )
    if conversation is None:
        return None
    messages = selectors.messages_after(
        conversation_id=conversation.pk, seq=0, upto=conversation.last_seq
    )
    return {
        "type": "accepted",
        "conversation": str(conversation.pk),
        "channel": conversation.channel,
        "state": conversation.state,
        "province": conversation.province_code,
        "hotline": conversation.hotline.code,
        "risk": conversation.risk,
        "language": conversation.language,
        "age_group": conversation.age_group,
        **_case_fields(conversation),
        "youth_connected": conversation.channel == Channel.WEBCHAT
        and conversation.youth_seen_at is not None,
        "messages": [
            {"seq": m.seq, "sender": m.sender, "body": m.body, "at": _iso(m.created_at)}
            for m in messages
        ],
        "_last_seq": conversation.last_seq,
    }


def _visible(user, conversation_id):
    from django.http import Http404

    try:
        return selectors.conversation_get_for_user(user=user, conversation_id=conversation_id)
    except Http404:
        return None


def _info_frame(user, conversation_id) -> dict | None:
    conversation = _visible(user, conversation_id)
    if conversation is None:
        return None
    return {
        "type": "conversation",
        "conversation": str(conversation.pk),
        "state": conversation.state,
        "risk": conversation.risk,
        "hotline": conversation.hotline.code,
        **_case_fields(conversation),
        "last_seq": conversation.last_seq,
    }


def _holds(user, conversation_id) -> bool:
    return Conversation.objects.filter(
        pk=conversation_id, operator_id=user.pk, state=ConversationState.ACTIVE
    ).exists()


def _case_create(user, conversation_id, risk, summary, codes):
    from cases.models import Category

    with transaction.atomic():
        before = Conversation.objects.filter(pk=conversation_id).values_list("case_id", flat=True)
        had_case = bool(before.first())
        categories = list(Category.objects.filter(code__in=codes, is_active=True))
        case = conversations.conversation_case_create(
            user=user,
            conversation_id=conversation_id,
            risk=risk,
            summary=summary,
            categories=categories,
        )
    return case, not had_case


def _case_frame(conversation_id, case, created: bool) -> dict:
    from django.urls import reverse

    return {
        "type": "case_linked",
        "conversation": conversation_id,
        "case": case.pk,
        "reference": case.reference,
        "url": reverse("cases:detail", args=[case.pk]),
        "transcript_url": reverse("case_transcript", args=[case.pk]),
        "created": created,
    }


def _presence_set(user, status):
    state = presence.presence_heartbeat(user=user, status=status)
    return state, selectors.operator_load(user=user)


_stale_checked_at = 0.0


def _console_tick(user, held: dict[str, int], states: dict[str, str]):
    """Time out vanished queued chats, and repair what signals missed.

    Only the held conversations that changed (state, or a seq past the one
    delivered) come back: one indexed read that finds nothing when all is well.
    """
    global _stale_checked_at
    # Every console ticks; the timeout needs one check per tick period per process.
    if time.monotonic() - _stale_checked_at > tick_seconds():
        _stale_checked_at = time.monotonic()
        conversations.conversations_abandon_stale()
    if not held:
        return []
    changed = Q()
    for conversation_id, seq in held.items():
        unchanged = Q(last_seq__lte=seq)
        if conversation_id in states:
            unchanged &= Q(state=states[conversation_id])
        changed |= Q(pk=conversation_id) & ~unchanged
    rows = Conversation.objects.filter(changed).values_list(
        "pk", "state", "ended_reason", "last_seq"
    )
    result = []
    for pk, state, reason, last_seq in rows:
        conversation_id = str(pk)
        missed = []
        if last_seq > held[conversation_id]:
            missed = selectors.messages_after(
                conversation_id=conversation_id, seq=held[conversation_id]
            )
        result.append((conversation_id, state, reason, missed))
    return result
