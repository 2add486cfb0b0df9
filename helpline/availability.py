"""What a young person is told before and while waiting: is anyone there, and for how long.

Honest first: "someone will answer now" only when someone who would answer this
chat is online, and a wait estimate only from real answer times of the same
queue, as a range; otherwise "we can't say right now".
"""

import datetime
import math

from django.conf import settings
from django.utils import timezone

from helpline.models import Conversation, Hotline, PresenceStatus
from helpline.presence import staff_online
from helpline.selectors import hotline_for_province


def hotline_staffed(hotline: Hotline, *, at: datetime.datetime) -> bool:
    """Whether someone who would answer a new chat of this hotline is at the console now.

    A provincial chat is answered by its hotline while it is open, and by central
    when the province is closed or after the overflow delay, so central staff
    count for every hotline.
    """
    online = staff_online(status=PresenceStatus.AVAILABLE, at=at)
    if online.filter(hotline__is_central=True).exists():
        return True
    return hotline.is_open(at) and online.filter(hotline=hotline).exists()


def wait_estimate(hotline: Hotline, *, at: datetime.datetime) -> dict | None:
    """The usual wait of this queue lately, in seconds: {"low": p25, "high": p75}, or None.

    None when fewer than WAIT_ESTIMATE_MIN_SAMPLES chats were answered in the last
    WAIT_ESTIMATE_HOURS: too few to say anything a child should rely on.
    """
    since = at - datetime.timedelta(hours=settings.WAIT_ESTIMATE_HOURS)
    waits = sorted(
        (answered - queued).total_seconds()
        for answered, queued in Conversation.objects.filter(
            hotline=hotline, answered_at__gte=since, answered_at__lte=at
        ).values_list("answered_at", "queued_at")
    )
    if len(waits) < settings.WAIT_ESTIMATE_MIN_SAMPLES:
        return None

    def percentile(share: float) -> int:
        return int(waits[min(len(waits) - 1, math.floor(share * len(waits)))])

    low, high = percentile(0.25), percentile(0.75)
    # Rounded out to whole minutes above a minute, so the range never looks more precise than it is.
    if high >= 60:
        low, high = 60 * (low // 60), 60 * math.ceil(high / 60)
    return {"low": max(low, 0), "high": max(high, low)}


def availability_for_province(*, province_code: str, at: datetime.datetime | None = None) -> dict:
    """The status frame's content for a chat from this province (no province: central)."""
    at = at or timezone.now()
    hotline = hotline_for_province(province_code)
    staffed = hotline_staffed(hotline, at=at)
    return {
        "hotline": hotline.code,
        "open": hotline.is_open(at),
        "staffed": staffed,
        "hours": {
            "always": hotline.always_open,
            "opens": hotline.opens_at.strftime("%H:%M"),
            "closes": hotline.closes_at.strftime("%H:%M"),
        },
        "wait": wait_estimate(hotline, at=at) if staffed else None,
    }
