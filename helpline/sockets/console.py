"""ws/console/: the operators' and supervisors' console.

The console follows three kinds of conversation: the queue of its scope (no
content), the conversations its operator holds (held: conversation id -> last
seq delivered), and, for a supervisor, the ones being monitored (watching: id ->
last seq delivered). Every read goes through helpline.selectors, every change
through a service; each history delivered is an audited read. The repair tick
reads the followed conversations once, sends what signals missed, and lets go
of any that is no longer this console's to follow.
"""

import json
import time

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _

from helpline import contacts, conversations, groups, monitoring, payloads, presence, selectors
from helpline.metrics import relay_observed
from helpline.models import (
    ConversationRead,
    ConversationState,
    MonitoringSession,
    PresenceStatus,
    Sender,
)
from helpline.sockets import together
from helpline.sockets.base import StaffSocket, tick_seconds
from helpline.sockets.frames import FrameError, conversation_field, optional, required
from helpline.sockets.shared import shared_read


def presence_refresh_seconds() -> float:
    """How stale a heartbeat may get before a console writes a new one.

    A third of the expiry: with a tick at most 1.1 periods apart, an open console
    is never taken for gone, and it costs one write every few ticks, not each.
    """
    return settings.PRESENCE_TTL_SECONDS / 3


class OperatorConsoleConsumer(StaffSocket):
    role_check = "is_hotline_staff"
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
        "active": "on_active",
        "monitor": "on_monitor",
        "unmonitor": "on_unmonitor",
        "earlier": "on_earlier",
        "wrap_up": "on_wrap_up",
        "ping": "on_ping",
    }
    counts_as_message = ()

    async def open_staff(self) -> bool:
        self.held: dict[str, int] = {}
        self.states: dict[str, str] = {}
        # conversation id -> (monitoring session id, last seq delivered)
        self.watching: dict[str, tuple[int, int]] = {}
        self.last_queue = None
        self.queue_signal_at = time.monotonic()
        self.last_heartbeat = 0.0
        await self.follow_queue(groups.hotline_queue_group(self.user.hotline_id))
        # News for the whole hotline (callback requests waiting), pushed as console.push.
        await self.join(groups.hotline_staff_group(self.user.hotline_id))
        if self.user.hotline.is_central:
            await self.follow_queue(groups.central_overflow_group())
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
                "supervisor": self.user.is_supervisor,
            }
        )
        await self.push_queue(force=True)
        await self.on_canned({})
        await self._send_held(ConversationRead.Kind.REOPENED)
        await self._send_pending_wrap_ups(only_if_any=True)
        return True

    async def before_frame(self, frame_type):
        # Every frame proves the console is alive; a recent heartbeat is left as it is.
        if frame_type != "presence":
            await self._heartbeat()

    async def _heartbeat(self):
        if time.monotonic() - self.last_heartbeat > presence_refresh_seconds():
            self.last_heartbeat = time.monotonic()
            await together.presence_touch(user=self.user)

    # --- opening conversations with their history (audited reads) ---

    async def _send_held(self, kind: str):
        held_ids = await database_sync_to_async(
            lambda: [str(c.pk) for c in selectors.conversations_held_by(user=self.user)]
        )()
        for conversation_id in held_ids:
            await self._open_conversation(conversation_id, kind)

    async def _open_conversation(self, conversation_id: str, kind: str) -> bool:
        """Join the conversation's group, then read it: nothing falls in between."""
        group = groups.conversation_group(conversation_id)
        await self.join(group)
        opened = await database_sync_to_async(selectors.conversation_history_for_staff)(
            user=self.user, conversation_id=conversation_id, kind=kind
        )
        if opened is None:
            if conversation_id not in self.held and conversation_id not in self.watching:
                await self.leave(group)
            return False
        conversation, history = opened
        frame_kind = "monitoring" if kind == ConversationRead.Kind.MONITOR else "accepted"
        await self.send_json(payloads.conversation_opened(conversation, history, kind=frame_kind))
        if kind == ConversationRead.Kind.MONITOR:
            session_id = self.watching[conversation_id][0]
            self.watching[conversation_id] = (session_id, conversation.last_seq)
        else:
            self.held[conversation_id] = conversation.last_seq
            self.states[conversation_id] = conversation.state
        return True

    # --- the queue ---

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
        if (force or items != self.last_queue) and not self.closed:
            self.last_queue = items
            await self.send(text_data=_queue_frame(self.user.hotline_id, items))

    # --- frames ---

    async def on_accept(self, frame):
        conversation_id = conversation_field(frame)
        group = groups.conversation_group(conversation_id)
        await self.join(group)
        try:
            await database_sync_to_async(conversations.conversation_accept)(
                user=self.user, conversation_id=conversation_id
            )
        except conversations.ConversationError:
            if conversation_id not in self.held and conversation_id not in self.watching:
                await self.leave(group)
            raise
        await self._open_conversation(conversation_id, ConversationRead.Kind.ACCEPTED)

    async def on_message(self, frame):
        conversation_id = conversation_field(frame)
        client_id = required(frame, "client_id")
        body = required(frame, "body")
        message, _created = await together.message_post(
            conversation_id=conversation_id,
            sender=Sender.OPERATOR,
            body=body,
            client_id=client_id,
            author=self.user,
        )
        if conversation_id not in self.held:
            # Accepted in another tab of the same operator.
            await self.join(groups.conversation_group(conversation_id))
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
        allowed = await database_sync_to_async(selectors.conversation_is_held_by)(
            user=self.user, conversation_id=conversation_id
        )
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
        await database_sync_to_async(conversations.conversation_set_risk)(
            user=self.user, conversation_id=conversation_id, risk=risk
        )
        await self._send_info(conversation_id)

    async def on_transfer(self, frame):
        conversation_id = conversation_field(frame)
        hotline = required(frame, "hotline")
        note = optional(frame, "note", default="")
        await database_sync_to_async(conversations.conversation_transfer)(
            user=self.user, conversation_id=conversation_id, hotline=hotline, note=note
        )
        await self._let_go(conversation_id)
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
        case, created = await database_sync_to_async(conversations.conversation_case_open)(
            user=self.user,
            conversation_id=conversation_id,
            risk=risk,
            summary=summary,
            category_codes=codes,
        )
        await self.send_json(payloads.case_linked(conversation_id, case, created=created))

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
        await self.send_json(payloads.case_linked(conversation_id, case, created=False))

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
            await self._send_held(ConversationRead.Kind.REOPENED)
            return
        conversation_id = conversation_field(frame)
        last_seq = max(optional(frame, "last_seq", int, default=0), 0)
        if conversation_id in self.watching:
            kind = ConversationRead.Kind.MONITOR
        else:
            kind = ConversationRead.Kind.SYNC
        opened = await database_sync_to_async(selectors.conversation_history_for_staff)(
            user=self.user, conversation_id=conversation_id, after_seq=last_seq, kind=kind
        )
        if opened is None:
            # Only the conversations it holds or watches: to watch one, a supervisor
            # says so with "monitor", which is recorded.
            raise conversations.ConversationNotFound()
        conversation, history = opened
        await self.join(groups.conversation_group(conversation_id))
        await self.send_json(payloads.conversation_info(conversation))
        for message in history:
            await self.send_json(payloads.message(message))
        if kind == ConversationRead.Kind.MONITOR:
            session_id = self.watching[conversation_id][0]
            self.watching[conversation_id] = (session_id, conversation.last_seq)
        else:
            self.held[conversation_id] = conversation.last_seq

    async def on_canned(self, frame):
        items = await database_sync_to_async(
            lambda: [
                {"id": c.pk, "title": c.title, "body": c.body}
                for c in selectors.canned_responses_for_user(user=self.user)
            ]
        )()
        await self.send_json({"type": "canned", "items": items})

    async def on_active(self, frame):
        """A supervisor's list of answered conversations in scope, to choose one to watch."""
        if not self.user.is_supervisor:
            raise conversations.NotAllowed()
        items = await database_sync_to_async(
            lambda: [
                payloads.active_item(c)
                for c in selectors.conversations_active_for_supervisor(user=self.user)
            ]
        )()
        await self.send_json({"type": "active", "items": items})

    async def on_monitor(self, frame):
        conversation_id = conversation_field(frame)
        if conversation_id in self.watching or conversation_id in self.held:
            raise FrameError("already_following", _("Bạn đang theo dõi cuộc trao đổi này."))
        session = await database_sync_to_async(monitoring.conversation_monitor_start)(
            user=self.user, conversation_id=conversation_id
        )
        self.watching[conversation_id] = (session.pk, 0)
        if not await self._open_conversation(conversation_id, ConversationRead.Kind.MONITOR):
            await self._stop_watching(conversation_id, MonitoringSession.EndReason.ACCESS_LOST)
            raise conversations.ConversationNotFound()

    async def on_unmonitor(self, frame):
        conversation_id = conversation_field(frame)
        if conversation_id not in self.watching:
            raise conversations.ConversationNotFound()
        await self._stop_watching(conversation_id, MonitoringSession.EndReason.STOPPED)

    async def on_wrap_up(self, frame):
        """What a finished contact was: type, categories, outcome, gender (all codes)."""
        conversation_id = conversation_field(frame)
        codes = optional(frame, "categories", list, default=[])
        record = await database_sync_to_async(contacts.contact_wrap_up)(
            user=self.user,
            conversation_id=conversation_id,
            contact_type=required(frame, "contact_type"),
            category_codes=codes,
            outcome=required(frame, "outcome"),
            gender=optional(frame, "gender", default="unknown"),
        )
        await self.send_json(
            {
                "type": "wrapped_up",
                "conversation": conversation_id,
                "contact_type": record.contact_type,
                "outcome": record.outcome,
            }
        )
        await self._send_pending_wrap_ups()

    async def _send_pending_wrap_ups(self, *, only_if_any=False):
        items = await database_sync_to_async(_pending_wrap_ups)(self.user)
        if items or not only_if_any:
            await self.send_json({"type": "wrap_up_pending", "items": items})

    async def on_earlier(self, frame):
        """The earlier contacts of the young person in a held chat, or one of their histories."""
        conversation_id = conversation_field(frame)
        if frame.get("open") is None:
            items = await database_sync_to_async(_earlier_items)(self.user, conversation_id)
            if items is None:
                raise conversations.ConversationNotFound()
            await self.send_json(
                {"type": "earlier", "conversation": conversation_id, "items": items}
            )
            return
        earlier_id = conversation_field({"conversation": frame["open"]})
        opened = await database_sync_to_async(selectors.earlier_history_for_staff)(
            user=self.user, conversation_id=conversation_id, earlier_id=earlier_id
        )
        if opened is None:
            raise conversations.ConversationNotFound()
        earlier, history = opened
        await self.send_json(
            {
                "type": "earlier_history",
                "conversation": conversation_id,
                "earlier": payloads.earlier_item(earlier),
                "messages": [payloads.message(m) for m in history],
            }
        )

    # --- helpers ---

    async def _stop_watching(self, conversation_id: str, reason: str):
        session_id, _seq = self.watching.pop(conversation_id)
        if conversation_id not in self.held:
            await self.leave(groups.conversation_group(conversation_id))
        await database_sync_to_async(monitoring.monitoring_session_end)(
            session_id=session_id, reason=reason
        )
        await self.send_json(
            {"type": "monitor_ended", "conversation": conversation_id, "reason": reason}
        )

    async def _let_go(self, conversation_id: str):
        """Stop following a conversation this console no longer holds."""
        self.held.pop(conversation_id, None)
        self.states.pop(conversation_id, None)
        if conversation_id not in self.watching:
            await self.leave(groups.conversation_group(conversation_id))

    async def _send_info(self, conversation_id):
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
        if state in (ConversationState.ENDED, ConversationState.ABANDONED):
            await self._send_pending_wrap_ups()
        if state == ConversationState.ENDED and reason == "quick_exit":
            await self.send_json({"type": "quick_exit", "conversation": conversation_id})

    async def _catch_up(self, conversation_id, upto=None):
        missed = await database_sync_to_async(selectors.messages_after)(
            conversation_id=conversation_id, seq=self._delivered(conversation_id), upto=upto
        )
        await self._deliver(conversation_id, missed)

    def _delivered(self, conversation_id) -> int:
        if conversation_id in self.held:
            return self.held[conversation_id]
        return self.watching.get(conversation_id, (0, 0))[1]

    def _mark_delivered(self, conversation_id, seq: int):
        if conversation_id in self.held:
            self.held[conversation_id] = seq
        elif conversation_id in self.watching:
            self.watching[conversation_id] = (self.watching[conversation_id][0], seq)

    async def _deliver(self, conversation_id, messages):
        """Send messages read from the database that this console has not delivered yet."""
        for message in messages:
            if message.seq > self._delivered(conversation_id):
                self._mark_delivered(conversation_id, message.seq)
                await self.send_json(payloads.message(message))

    async def _repair(self):
        """Send what signals missed, and let go of what this console may no longer follow."""
        changes, gone = await database_sync_to_async(selectors.console_repair)(
            user=self.user,
            held=dict(self.held),
            states=dict(self.states),
            watching={cid: seq for cid, (_session, seq) in self.watching.items()},
        )
        for conversation_id in gone:
            if conversation_id in self.held:
                await self._let_go(conversation_id)
                await self.send_json(
                    {
                        "type": "state",
                        "conversation": conversation_id,
                        "state": ConversationState.QUEUED,
                        "reason": "transferred",
                    }
                )
            if conversation_id in self.watching:
                await self._stop_watching(conversation_id, MonitoringSession.EndReason.ACCESS_LOST)
        for conversation_id, state, reason, missed in changes:
            await self._deliver(conversation_id, missed)
            if conversation_id in self.held:
                await self._send_state(conversation_id, state, reason)
            elif state in (ConversationState.ENDED, ConversationState.ABANDONED):
                await self.send_json(
                    {"type": "state", "conversation": conversation_id, "state": state}
                )
                await self._stop_watching(
                    conversation_id, MonitoringSession.EndReason.CONVERSATION_CLOSED
                )

    async def tick(self):
        await self._heartbeat()
        await self._repair()
        await self.push_queue(fresh=True)

    async def close_down(self):
        if self.user is None:
            return
        for conversation_id in list(self.watching):
            session_id, _seq = self.watching.pop(conversation_id)
            await database_sync_to_async(monitoring.monitoring_session_end)(
                session_id=session_id, reason=MonitoringSession.EndReason.CONSOLE_CLOSED
            )
        await database_sync_to_async(presence.presence_offline)(user=self.user)

    # --- channel-layer events ---

    async def chat_message(self, event):
        message = event["message"]
        conversation_id = message["conversation"]
        if conversation_id in self.held and event.get("operator", self.user.pk) != self.user.pk:
            # Stored after the conversation left this operator: a transfer whose
            # state signal this console never got. Read the truth and let go.
            await self._repair()
            return
        if conversation_id not in self.held and conversation_id not in self.watching:
            return
        seq = message["seq"]
        delivered = self._delivered(conversation_id)
        if seq <= delivered:
            return
        if seq > delivered + 1:
            await self._catch_up(conversation_id, upto=seq - 1)
        await self.send_json(message)
        relay_observed(message["at"])
        self._mark_delivered(conversation_id, seq)

    async def chat_state(self, event):
        conversation_id = event["conversation"]
        if conversation_id in self.watching and conversation_id not in self.held:
            await self.send_json(
                {"type": "state", "conversation": conversation_id, "state": event["state"]}
            )
            if event["state"] in (ConversationState.ENDED, ConversationState.ABANDONED):
                await self._stop_watching(
                    conversation_id, MonitoringSession.EndReason.CONVERSATION_CLOSED
                )
            return
        if conversation_id not in self.held:
            return
        if event["state"] == ConversationState.QUEUED:
            # Transferred away by someone else: it is no longer this console's.
            await self._let_go(conversation_id)
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
        if event["conversation"] in self.held or event["conversation"] in self.watching:
            await self._send_info(event["conversation"])

    async def chat_danger(self, event):
        """The young person pressed "I'm in danger now" during the chat."""
        conversation_id = event["conversation"]
        if conversation_id in self.held or conversation_id in self.watching:
            await self.send_json({"type": "danger", "conversation": conversation_id})
            await self._send_info(conversation_id)

    async def chat_monitor(self, event):
        """Tell the operator who holds the conversation that a supervisor watches it, or stopped."""
        if event["conversation"] in self.held:
            await self.send_json(
                {
                    "type": "monitored",
                    "conversation": event["conversation"],
                    "supervisor": event["supervisor"],
                    "active": event["active"],
                }
            )

    async def chat_deletion(self, event):
        """The young person asked to delete this conversation (retention.services)."""
        conversation_id = event["conversation"]
        if conversation_id in self.held or conversation_id in self.watching:
            await self.send_json(
                {
                    "type": "deletion_requested",
                    "conversation": conversation_id,
                    "status": event["status"],
                }
            )

    async def console_push(self, event):
        frame = event.get("frame")
        if isinstance(frame, dict):
            await self.send_json(frame)


_queue_frames: dict[int, tuple[list, str]] = {}


def _queue_frame(hotline_id: int, items: list) -> str:
    """The queue frame's text, written once per read for every console of the hotline.

    A hundred consoles and a long queue would otherwise serialise the same
    hundred kilobytes a hundred times on every change.
    """
    cached = _queue_frames.get(hotline_id)
    if cached is None or cached[0] is not items:
        cached = _queue_frames[hotline_id] = (
            items,
            json.dumps({"type": "queue", "items": items}, ensure_ascii=False),
        )
    return cached[1]


# --- reads run in worker threads -------------------------------------------------------


def _queue_items(user) -> list[dict]:
    return [payloads.queue_item(c, user=user) for c in selectors.queue_for_user(user=user)]


def _info_frame(user, conversation_id) -> dict | None:
    from django.http import Http404

    try:
        conversation = selectors.conversation_get_for_user(
            user=user, conversation_id=conversation_id
        )
    except Http404:
        return None
    return payloads.conversation_info(conversation)


def _pending_wrap_ups(user) -> list[dict]:
    return [payloads.wrap_up_item(r) for r in contacts.contacts_pending_wrap_up(user=user)]


def _earlier_items(user, conversation_id) -> list[dict] | None:
    found = selectors.earlier_contacts_for_staff(user=user, conversation_id=conversation_id)
    return None if found is None else [payloads.earlier_item(c) for c in found]


def _presence_set(user, status):
    state = presence.presence_heartbeat(user=user, status=status)
    return state, selectors.operator_load(user=user)
