"""ws/chat/: the young person's chat. Anonymous; the conversation is reached by its token only.

Delivery: the socket remembers the highest seq it delivered. A pushed message
that skips ahead makes it read the gap from the database; one already delivered
is dropped. The process's youth watch compares with the database too and ticks
the socket when its chat changed, so a signal lost by the channel layer never
loses a chat message.
"""

import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline import (
    availability,
    conversations,
    groups,
    payloads,
    returning,
    selectors,
)
from helpline.models import AgeGroup, Channel, Conversation, ConversationState, Sender
from helpline.provinces import provinces_by_code
from helpline.sockets import together
from helpline.sockets.base import CLOSE_BAD_FRAME, FrameSocket, cookie_language
from helpline.sockets.frames import FrameError, language_field, optional, required
from helpline.sockets.shared import queue_position_shared, shared_read
from helpline.sockets.youth_watch import youth_watch

logger = logging.getLogger(__name__)

STATUS_FRESH_SECONDS = 10
SURVEY_FIELDS = ("felt_heard", "got_help", "would_return")
# What the young person reads after asking to delete their conversation, by status.
DELETE_STATUS_WORDS = {
    "done": gettext_lazy("Cuộc trò chuyện của bạn đã được xoá khỏi hệ thống."),
    "held": gettext_lazy(
        "Bây giờ chưa xoá được: theo yêu cầu của cơ quan có thẩm quyền, tổng đài phải giữ lại "
        "cuộc trò chuyện này một thời gian. Yêu cầu của bạn đã được ghi lại, và cuộc trò chuyện "
        "sẽ được xoá khi không còn phải giữ."
    ),
    "escalation_open": gettext_lazy(
        "Bây giờ chưa xoá được: một cơ quan đang giúp giải quyết việc của bạn và còn cần đến "
        "cuộc trò chuyện này. Yêu cầu của bạn đã được ghi lại, và cuộc trò chuyện sẽ được xoá "
        "khi việc đó xong."
    ),
    "pending": gettext_lazy(
        "Yêu cầu của bạn đã được ghi lại. Cuộc trò chuyện sẽ được xoá ngay khi kết thúc."
    ),
}


def _availability(province: str) -> dict:
    return availability.availability_for_province(province_code=province)


class YouthChatConsumer(FrameSocket):
    handlers = {
        "start": "on_start",
        "resume": "on_resume",
        "message": "on_message",
        "typing": "on_typing",
        "end": "on_end",
        "sync": "on_sync",
        "status": "on_status",
        "danger": "on_danger",
        "passphrase": "on_passphrase",
        "survey": "on_survey",
        "delete_request": "on_delete_request",
        "ping": "on_ping",
    }

    async def open(self) -> bool:
        self.conversation_id: str | None = None
        self.hotline_id: int | None = None
        self.state = ""
        self.delivered = 0
        self.position = None
        self.queue_signal_at = time.monotonic()
        self.seen_written_at = time.monotonic()
        # The language a start or resume frame names; before that the staff pages'
        # cookie if this browser has one, else Vietnamese.
        self.chosen_lang = cookie_language(self.scope)
        self.lang = self.chosen_lang or settings.LANGUAGE_CODE
        client = self.scope.get("client") or None
        self.client_address = client[0] if client else None
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            # A secret in a URL ends up in logs and history: refuse it outright.
            await self.close_with(CLOSE_BAD_FRAME)
            return False
        return True

    def language(self) -> str:
        return getattr(self, "lang", None) or super().language()

    def start_ticking(self):
        # A socket with a chat is watched by the process's one youth watch
        # (helpline.sockets.youth_watch), which ticks it when its chat changed.
        pass

    async def before_frame(self, frame_type):
        needs_chat = (
            "message",
            "typing",
            "end",
            "sync",
            "danger",
            "passphrase",
            "survey",
            "delete_request",
        )
        if frame_type in needs_chat and self.conversation_id is None:
            raise FrameError("not_started", _("Bạn chưa bắt đầu cuộc trò chuyện."))
        if frame_type in ("start", "resume") and self.conversation_id is not None:
            raise FrameError("already_started", _("Cuộc trò chuyện đã được bắt đầu."))

    async def on_start(self, frame):
        province = optional(frame, "province", default="")
        if province and province not in provinces_by_code():
            raise FrameError("invalid_field", _("Tỉnh/thành không hợp lệ."), field="province")
        self.lang = language_field(frame, self.lang)
        age_group = optional(frame, "age_group", default="")
        if age_group and age_group not in AgeGroup.values:
            raise FrameError("invalid_field", _("Nhóm tuổi không hợp lệ."), field="age_group")
        mode = optional(frame, "mode", default="chat")
        if mode not in ("chat", "message"):
            raise FrameError("invalid_field", _("Chế độ không hợp lệ."), field="mode")
        conversation, token = await database_sync_to_async(conversations.conversation_start)(
            channel=Channel.WEBCHAT,
            hotline=None,
            province_code=province,
            language=self.lang,
            age_group=age_group,
            client_address=self.client_address,
            danger=optional(frame, "danger", bool, default=False),
            left_message=mode == "message",
        )
        await self._join(conversation)
        await self.send_json(
            {
                "type": "started",
                "conversation": self.conversation_id,
                "token": token,
                "state": conversation.state,
                "expires_at": conversation.token_expires_at.isoformat(),
                "mode": "message" if conversation.left_message else "chat",
                "danger": conversation.danger_at is not None,
            }
        )
        await self._send_position(force=True, fresh=True)

    async def on_resume(self, frame):
        last_seq = optional(frame, "last_seq", int, default=0)
        if last_seq < 0:
            raise FrameError("invalid_field", _("last_seq không hợp lệ."), field="last_seq")
        named = language_field(frame, "") if frame.get("language") is not None else ""
        new_token = None
        if frame.get("token") is None and frame.get("passphrase") is not None:
            # Back in a new tab, days later perhaps: the passphrase finds the conversation
            # and the page gets a new token for the reloads that follow.
            found = await database_sync_to_async(returning.conversation_for_passphrase)(
                passphrase=frame["passphrase"], client_address=self.client_address
            )
            new_token = await database_sync_to_async(conversations.conversation_token_renew)(
                conversation_id=found.pk
            )
            token = new_token
        else:
            token = required(frame, "token")
        conversation = await database_sync_to_async(conversations.conversation_resume)(token=token)
        # The page's own choice wins; without one, the language the chat started in.
        self.lang = named or self.chosen_lang or conversation.language
        # Join before reading, so nothing committed in between is missed.
        await self._join(conversation)
        conversation, missed = await database_sync_to_async(selectors.youth_conversation_snapshot)(
            conversation_id=conversation.pk, after_seq=last_seq
        )
        self.state = conversation.state
        resumed = {
            "type": "resumed",
            "conversation": self.conversation_id,
            "state": conversation.state,
            "last_seq": conversation.last_seq,
            "mode": "message" if conversation.left_message else "chat",
            "danger": conversation.danger_at is not None,
        }
        if new_token is not None:
            resumed["token"] = new_token
        await self.send_json(resumed)
        for message in missed:
            await self.send_json(payloads.message(message))
        self.delivered = conversation.last_seq
        self.seen_written_at = time.monotonic()  # conversation_resume wrote it
        if self.state == ConversationState.QUEUED:
            await self._send_position(force=True, fresh=True)

    async def _join(self, conversation: Conversation):
        self.conversation_id = str(conversation.pk)
        self.state = conversation.state
        youth_watch(self.channel_layer).watch(self)
        await self.join(groups.conversation_group(self.conversation_id))
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
            await self.unfollow_queue(groups.hotline_queue_group(self.hotline_id))
        if wanted is not None:
            await self.follow_queue(groups.hotline_queue_group(wanted))
        self.hotline_id = wanted

    async def on_message(self, frame):
        client_id = required(frame, "client_id")
        body = required(frame, "body")
        message, _created = await together.message_post(
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

    async def on_status(self, frame):
        """Whether anyone can answer now, the opening hours and an honest wait estimate."""
        province = optional(frame, "province", default="")
        if province and province not in provinces_by_code():
            raise FrameError("invalid_field", _("Tỉnh/thành không hợp lệ."), field="province")
        # Every waiting page asks now and then: one read per province and process serves
        # them all for a few seconds.
        status = await shared_read(
            ("status", province),
            time.monotonic() - STATUS_FRESH_SECONDS,
            _availability,
            province,
        )
        await self.send_json({"type": "status", **status})

    async def on_danger(self, frame):
        await database_sync_to_async(conversations.conversation_mark_danger)(
            conversation_id=self.conversation_id
        )
        await self.send_json({"type": "danger_noted"})

    async def on_passphrase(self, frame):
        passphrase = required(frame, "passphrase")
        known = optional(frame, "returning", bool, default=False)
        await database_sync_to_async(returning.conversation_passphrase_set)(
            conversation_id=self.conversation_id,
            passphrase=passphrase,
            new=not known,
            client_address=self.client_address,
        )
        await self.send_json({"type": "passphrase_set", "returning": known})

    async def on_survey(self, frame):
        answers = {field: optional(frame, field) for field in SURVEY_FIELDS}
        counted = await database_sync_to_async(conversations.survey_submit)(
            conversation_id=self.conversation_id, answers=answers
        )
        await self.send_json({"type": "survey_thanks", "counted": counted})

    async def on_delete_request(self, frame):
        """The young person asks to delete this conversation; they are told where it stands."""
        # Retention sits above the contact centre (it also purges cases and calls); the chat
        # reaches its one service here rather than importing the app when the socket loads.
        from retention.services import deletion_request_make

        request = await database_sync_to_async(deletion_request_make)(
            conversation_id=self.conversation_id
        )
        await self.send_json(
            {
                "type": "delete_status",
                "status": request.status,
                "detail": str(DELETE_STATUS_WORDS[request.status]),
            }
        )

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
        if self.state != ConversationState.QUEUED:
            return  # accepted or ended while the queue was read
        if position is not None and (force or position != self.position):
            self.position = position
            await self.send_json({"type": "queue", "position": position})

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
                await self.send_json(payloads.message(message))

    async def _refresh(self, *, force_state=False):
        known = None if force_state else (self.state, self.hotline_id)
        snapshot = await together.youth_changes(
            conversation_id=self.conversation_id, delivered=self.delivered, known=known
        )
        if snapshot is None:
            return
        state, reason, hotline_id, missed = snapshot
        await self._deliver(missed)
        if force_state:
            self.state = ""
        await self._set_state(state, reason, hotline_id)

    async def tick(self):
        if self.conversation_id is not None:
            await self._refresh()

    async def close_down(self):
        if self.conversation_id is None:
            return
        youth_watch(self.channel_layer).unwatch(self)
        if self.state == ConversationState.QUEUED:
            # The grace period for a vanished socket counts from here.
            await database_sync_to_async(conversations.conversation_youth_seen)(
                conversation_id=self.conversation_id
            )
        await self.channel_layer.group_send(
            groups.conversation_group(self.conversation_id),
            {"type": "chat.youth", "conversation": self.conversation_id, "connected": False},
        )

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
