"""Who is at the console: a heartbeat with an expiry, stored in the database.

A socket's disconnect handler is not guaranteed to run (a killed worker, a lost
network), so being online means a heartbeat younger than PRESENCE_TTL_SECONDS,
whatever the sockets believe.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from helpline.models import Presence, PresenceStatus, User


def presence_heartbeat(
    *, user, status: str | None = None, at: datetime.datetime | None = None
) -> Presence:
    """Refresh the user's last_seen, and set the status when given."""
    at = at or timezone.now()
    if status is not None and status not in (PresenceStatus.AVAILABLE, PresenceStatus.AWAY):
        raise ValueError(status)
    fields = {"last_seen": at}
    if status is not None:
        fields["status"] = status
    updated = Presence.objects.filter(user_id=user.pk).update(**fields)
    if not updated:
        fields.setdefault("status", PresenceStatus.AVAILABLE)
        presence, _created = Presence.objects.update_or_create(user_id=user.pk, defaults=fields)
        return presence
    return Presence.objects.get(user_id=user.pk)


def presence_touch(*, user, at: datetime.datetime | None = None) -> None:
    """Refresh the user's last_seen and nothing else: one statement when the row exists."""
    if not Presence.objects.filter(user_id=user.pk).update(last_seen=at or timezone.now()):
        presence_heartbeat(user=user, at=at)


def presence_touch_together(users: list, at: datetime.datetime | None = None) -> list[None]:
    """presence_touch for several consoles in one transaction: one commit for all of them."""
    at = at or timezone.now()
    if len(users) == 1:
        presence_touch(user=users[0], at=at)
        return [None]
    user_ids = {user.pk for user in users}
    with transaction.atomic():
        updated = set(
            Presence.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True)
        )
        Presence.objects.filter(user_id__in=updated).update(last_seen=at)
        for user in users:
            if user.pk not in updated:
                presence_heartbeat(user=user, at=at)
                updated.add(user.pk)
    return [None] * len(users)


def presence_offline(*, user) -> None:
    """Best effort on disconnect; the expiry covers the cases where this never runs."""
    Presence.objects.filter(user_id=user.pk).update(status=PresenceStatus.OFFLINE)


def presence_is_online(presence: Presence | None, *, at: datetime.datetime | None = None) -> bool:
    if presence is None or presence.last_seen is None:
        return False
    if presence.status == PresenceStatus.OFFLINE:
        return False
    cutoff = (at or timezone.now()) - datetime.timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    return presence.last_seen >= cutoff


def staff_online(
    *, hotline=None, status: str | None = None, at: datetime.datetime | None = None
) -> QuerySet:
    """Operators and supervisors whose heartbeat has not expired, optionally of one hotline."""
    cutoff = (at or timezone.now()) - datetime.timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    users = User.objects.filter(
        is_active=True,
        presence__last_seen__gte=cutoff,
        presence__status__in=[PresenceStatus.AVAILABLE, PresenceStatus.AWAY],
    )
    if status is not None:
        users = users.filter(presence__status=status)
    if hotline is not None:
        users = users.filter(hotline=hotline)
    return users.select_related("presence", "hotline")
