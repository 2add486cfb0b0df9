"""Shared helpers for the escalation tests: a case escalated the usual way."""

import datetime
import zoneinfo

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from escalation.models import Agency, Escalation
from escalation.services import escalation_create

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))


def agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


def escalate(
    case,
    *,
    by,
    agency_code: str = "a05-police",
    escalation_type: str = "privacy_violation",
    urgency: str = "24h",
    shared_items=(),
    at: datetime.datetime | None = T0,
    summary: str = "Ảnh riêng tư của em bị phát tán trên mạng xã hội.",
) -> Escalation:
    return escalation_create(
        user=by,
        case_id=case.pk,
        agency_id=agency(agency_code).pk,
        escalation_type=escalation_type,
        urgency=urgency,
        legal_basis="emergency",
        summary=summary,
        youth_informed="informed",
        shared_items=shared_items,
        at=at,
    )


class GroupListener:
    """A channel subscribed to some groups of the in-memory layer, to read what was broadcast."""

    def __init__(self, *groups: str):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        for group in groups:
            async_to_sync(self.layer.group_add)(group, self.channel)

    def drain(self) -> list[dict]:
        received = []
        while True:
            try:
                received.append(async_to_sync(self._receive)())
            except TimeoutError:
                return received

    async def _receive(self):
        import asyncio

        return await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.05)
