"""ws/liaison/: the liaison's queue, live.

A StaffSocket (helpline/sockets/base.py): only session-authenticated liaisons
get in, anyone else is closed with 4403, and the liaison is read again before
every frame, on every tick and when their account or session changes. The
socket joins its agency's group, and each signal from that group is re-read
through the selector before anything is sent, so a grant revoked a moment ago
is honoured.

Frames sent:
- {"type": "queue", "items": [<item>, ...], "now": <ISO 8601>} on connect and on
  {"type": "sync"}, with the server's clock, which the page counts the time left on;
- {"type": "escalation", "item": <item>} when one is new or changed;
- {"type": "removed", "escalation": <id>} when the agency may no longer see it;
- {"type": "error", "code": ..., "detail": ...} for a bad frame (the socket stays open).
"""

from channels.db import database_sync_to_async
from django.utils import timezone

from escalation import selectors
from helpline.groups import agency_group
from helpline.sockets.base import StaffSocket


@database_sync_to_async
def _queue(user) -> list[dict]:
    return selectors.liaison_queue_items(user=user, now=timezone.now())


@database_sync_to_async
def _item(user, escalation_id: int) -> dict | None:
    return selectors.liaison_queue_item(user=user, escalation_id=escalation_id, now=timezone.now())


class LiaisonQueueConsumer(StaffSocket):
    role_check = "is_liaison"
    handlers = {"sync": "on_sync", "ping": "on_ping"}
    counts_as_message = ()

    async def open_staff(self) -> bool:
        await self.join(agency_group(self.user.agency_id))
        await self._send_queue()
        return True

    async def _send_queue(self) -> None:
        items = await _queue(self.user)
        now = timezone.now().isoformat(timespec="seconds")
        await self.send_json({"type": "queue", "items": items, "now": now})

    async def on_sync(self, frame) -> None:
        await self._send_queue()

    async def escalation_changed(self, event: dict) -> None:
        """A signal from the agency's group: re-read the escalation as this liaison."""
        if not await self.still_allowed():
            return
        escalation_id = event.get("escalation")
        if not isinstance(escalation_id, int):
            return
        item = await _item(self.user, escalation_id)
        if item is None:
            await self.send_json({"type": "removed", "escalation": escalation_id})
        else:
            await self.send_json({"type": "escalation", "item": item})
