"""A supervisor watching a conversation live, as a visible and audited action.

Starting writes a MonitoringSession (who, which conversation, from when) and
tells the operator's console; stopping, or the conversation or the console
ending, closes it with the time and the reason. The history the supervisor
receives is recorded as a read by helpline.selectors.conversation_history_for_staff.
"""

import datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline import groups
from helpline.broadcast import broadcast_on_commit
from helpline.conversations import ConversationNotFound, NotAllowed
from helpline.models import ConversationState, MonitoringSession, Presence
from helpline.selectors import conversation_get_for_user

MONITORABLE_STATES = (ConversationState.QUEUED, ConversationState.ACTIVE)


def _tell_console(session: MonitoringSession, *, active: bool) -> None:
    broadcast_on_commit(
        groups.conversation_group(session.conversation_uuid),
        {
            "type": "chat.monitor",
            "conversation": str(session.conversation_uuid),
            "supervisor": session.supervisor.username,
            "active": active,
        },
    )


@transaction.atomic
def conversation_monitor_start(
    *, user, conversation_id, at: datetime.datetime | None = None
) -> MonitoringSession:
    """Start watching a waiting or answered conversation the supervisor sees."""
    if not getattr(user, "is_supervisor", False):
        raise NotAllowed(_("Chỉ giám sát viên được theo dõi cuộc trao đổi."))
    try:
        conversation = conversation_get_for_user(user=user, conversation_id=conversation_id)
    except Http404:
        raise ConversationNotFound() from None
    if conversation.state not in MONITORABLE_STATES:
        raise NotAllowed(_("Cuộc trao đổi đã kết thúc."))
    if conversation.operator_id == user.pk:
        raise NotAllowed(_("Bạn đang trực tiếp trao đổi trong cuộc này."))
    session = MonitoringSession.objects.create(
        supervisor=user,
        conversation_uuid=conversation.pk,
        hotline_id=conversation.hotline_id,
        started_at=at or timezone.now(),
    )
    _tell_console(session, active=True)
    return session


@transaction.atomic
def monitoring_session_end(
    *, session_id: int, reason: str, at: datetime.datetime | None = None
) -> MonitoringSession | None:
    """Close one monitoring session; closing it twice changes nothing."""
    session = (
        MonitoringSession.objects.select_for_update()
        .select_related("supervisor")
        .filter(pk=session_id, ended_at__isnull=True)
        .first()
    )
    if session is None:
        return None
    session.ended_at = at or timezone.now()
    session.end_reason = reason
    session.save(update_fields=["ended_at", "end_reason"])
    _tell_console(session, active=False)
    return session


def monitoring_sessions_close_stale(*, at: datetime.datetime | None = None) -> int:
    """Close the sessions of supervisors whose console stopped its heartbeat (a killed server).

    A console that closes normally ends its sessions itself.
    """
    from django.conf import settings

    at = at or timezone.now()
    cutoff = at - datetime.timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    alive = Presence.objects.filter(last_seen__gte=cutoff).values("user_id")
    stale = MonitoringSession.objects.filter(ended_at__isnull=True).exclude(supervisor_id__in=alive)
    closed = 0
    for session_id in list(stale.values_list("pk", flat=True)):
        closed += (
            monitoring_session_end(
                session_id=session_id, reason=MonitoringSession.EndReason.EXPIRED, at=at
            )
            is not None
        )
    return closed
