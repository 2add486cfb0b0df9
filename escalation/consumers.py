"""ws/liaison/: the liaison's queue and the page of one escalation, live.

A StaffSocket (helpline/sockets/base.py): only session-authenticated liaisons
get in, anyone else is closed with 4403, and the liaison is read again before
every frame, on every tick and when their account or session changes. The
socket joins its agency's group, and each signal from that group is re-read
through the selector before anything is sent, so a grant revoked a moment ago
is honoured. Frames carry no content: a page that needs the content fetches it
over HTTP, through the same door and audit as opening the page.

Frames received:
- {"type": "sync"}: the queue again;
- {"type": "watch", "escalation": <id>}: follow one escalation (the page open on
  it); one at a time, a new watch replaces the last;
- {"type": "ping"}.

Frames sent:
- {"type": "queue", "items": [<item>, ...], "more": <bool>, "now": <ISO 8601>} on connect
  and on sync: the first page of the queue (selectors.QUEUE_PAGE_SIZE items, the most
  urgent first), and whether more follow;
- {"type": "watching", "escalation": <id>, "item": <item>} in answer to watch;
- {"type": "escalation", "item": <item>} when one is new or changed;
- {"type": "removed", "escalation": <id>} when the agency may not (or no longer) see it;
- {"type": "error", "code": ..., "detail": ...} for a bad frame (the socket stays open).
"""

from channels.db import database_sync_to_async
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation import selectors
from helpline.groups import agency_group
from helpline.sockets.base import StaffSocket
from helpline.sockets.frames import FrameError, required


@database_sync_to_async
def _queue(user) -> selectors.QueuePage:
    return selectors.liaison_queue_page(user=user, now=timezone.now())


@database_sync_to_async
def _item(user, escalation_id: int) -> dict | None:
    return selectors.liaison_queue_item(user=user, escalation_id=escalation_id, now=timezone.now())


def _version(item: dict) -> tuple:
    """What the watching page compares with what it shows."""
    return item["state"], item["changed_at"]


class LiaisonQueueConsumer(StaffSocket):
    role_check = "is_liaison"
    handlers = {"sync": "on_sync", "watch": "on_watch", "ping": "on_ping"}
    counts_as_message = ()

    async def open_staff(self) -> bool:
        self.watched: int | None = None
        self.watched_version: tuple | None = None
        await self.join(agency_group(self.user.agency_id))
        await self._send_queue()
        return True

    async def _send_queue(self) -> None:
        page = await _queue(self.user)
        now = timezone.now().isoformat(timespec="seconds")
        more = page.less_urgent_than is not None
        await self.send_json({"type": "queue", "items": page.items, "more": more, "now": now})

    async def on_sync(self, frame) -> None:
        await self._send_queue()

    async def on_watch(self, frame) -> None:
        escalation_id = required(frame, "escalation", int)
        if not 1 <= escalation_id <= selectors.MAX_ROW_ID:
            raise FrameError(
                "invalid_field",
                _("Trường “%(f)s” không hợp lệ.") % {"f": "escalation"},
                field="escalation",
            )
        item = await _item(self.user, escalation_id)
        if item is None:
            # The same answer whether it never existed, belongs to another agency
            # or was revoked a moment ago.
            self._unwatch()
            await self.send_json({"type": "removed", "escalation": escalation_id})
            return
        self.watched, self.watched_version = escalation_id, _version(item)
        await self.send_json({"type": "watching", "escalation": escalation_id, "item": item})

    def _unwatch(self) -> None:
        self.watched, self.watched_version = None, None

    async def _send_item(self, escalation_id: int, item: dict | None) -> None:
        if item is None:
            if escalation_id == self.watched:
                self._unwatch()
            await self.send_json({"type": "removed", "escalation": escalation_id})
            return
        if escalation_id == self.watched:
            self.watched_version = _version(item)
        await self.send_json({"type": "escalation", "item": item})

    async def escalation_changed(self, event: dict) -> None:
        """A signal from the agency's group: re-read the escalation as this liaison."""
        if not await self.still_allowed():
            return
        escalation_id = event.get("escalation")
        if not isinstance(escalation_id, int):
            return
        await self._send_item(escalation_id, await _item(self.user, escalation_id))

    async def tick(self) -> None:
        """Repair a lost signal about the watched escalation: re-read it, say if it moved."""
        if self.watched is None:
            return
        escalation_id = self.watched
        item = await _item(self.user, escalation_id)
        if item is None or _version(item) != self.watched_version:
            await self._send_item(escalation_id, item)
