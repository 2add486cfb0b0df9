"""ws/liaison/: the liaison's queue, live.

Only session-authenticated liaisons get in; anyone else is closed with 4403.
The socket joins its agency's group, and each signal from that group is
re-read through the selector before anything is sent, so a grant revoked a
moment ago is honoured. The liaison's role is checked again on every frame.

Frames sent:
- {"type": "queue", "items": [<item>, ...]} on connect and on {"type": "sync"};
- {"type": "escalation", "item": <item>} when one is new or changed;
- {"type": "removed", "escalation": <id>} when the agency may no longer see it;
- {"type": "error", "code": ..., "detail": ...} for a bad frame (the socket stays open).
"""

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from escalation import selectors
from helpline.groups import agency_group
from helpline.models import User

CLOSE_FORBIDDEN = 4403
CLOSE_TOO_BIG = 4400
CLOSE_FLOOD = 4429


@database_sync_to_async
def _current_liaison(user_id: int | None) -> User | None:
    """The liaison as the database knows them now: deactivated or moved means out."""
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).select_related("agency").first()
    return user if user is not None and user.is_liaison else None


@database_sync_to_async
def _queue(user: User) -> list[dict]:
    return selectors.liaison_queue_items(user=user, now=timezone.now())


@database_sync_to_async
def _item(user: User, escalation_id: int) -> dict | None:
    return selectors.liaison_queue_item(user=user, escalation_id=escalation_id, now=timezone.now())


class LiaisonQueueConsumer(AsyncWebsocketConsumer):
    group_name: str | None = None

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        liaison = await _current_liaison(
            user.pk if getattr(user, "is_authenticated", False) else None
        )
        if liaison is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = liaison.pk
        self.agency_id = liaison.agency_id
        self.window_started = time.monotonic()
        self.frames_in_window = 0
        self.group_name = agency_group(liaison.agency_id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.send_json({"type": "queue", "items": await _queue(liaison)})

    async def disconnect(self, code) -> None:
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def send_json(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def _liaison_or_close(self) -> User | None:
        liaison = await _current_liaison(self.user_id)
        if liaison is None or liaison.agency_id != self.agency_id:
            await self.close(code=CLOSE_FORBIDDEN)
            return None
        return liaison

    def _flooding(self) -> bool:
        now = time.monotonic()
        if now - self.window_started > settings.CHAT_RATE_LIMIT_WINDOW_SECONDS:
            self.window_started, self.frames_in_window = now, 0
        self.frames_in_window += 1
        return self.frames_in_window > settings.CHAT_RATE_LIMIT_MESSAGES

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.group_name is None:
            return
        raw = text_data if text_data is not None else (bytes_data or b"")
        size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
        if size > settings.CHAT_MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if self._flooding():
            await self.close(code=CLOSE_FLOOD)
            return
        liaison = await self._liaison_or_close()
        if liaison is None:
            return
        try:
            frame = json.loads(raw)
        except (TypeError, ValueError):
            frame = None
        if not isinstance(frame, dict):
            await self.send_json(
                {"type": "error", "code": "invalid", "detail": "not a JSON object"}
            )
            return
        if frame.get("type") == "sync":
            await self.send_json({"type": "queue", "items": await _queue(liaison)})
            return
        await self.send_json(
            {"type": "error", "code": "unknown_type", "detail": "unknown frame type"}
        )

    async def escalation_changed(self, event: dict) -> None:
        """A signal from the agency's group: re-read the escalation as this liaison."""
        liaison = await self._liaison_or_close()
        if liaison is None:
            return
        escalation_id = event.get("escalation")
        if not isinstance(escalation_id, int):
            return
        item = await _item(liaison, escalation_id)
        if item is None:
            await self.send_json({"type": "removed", "escalation": escalation_id})
        else:
            await self.send_json({"type": "escalation", "item": item})
