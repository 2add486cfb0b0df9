"""The one door to conversations, their messages and the queue.

Rules:
- operators and supervisors see the conversations of their own hotline and the
  ones assigned to them;
- staff of the central hotline also see provincial conversations waiting in the
  overflow (waiting longer than CENTRAL_OVERFLOW_SECONDS, or arrived while the
  province was closed); central supervisors see every conversation;
- anyone else sees none, and a conversation the user may not see is missing (404).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case as DbCase
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from helpline.models import (
    RISK_ORDER,
    CannedResponse,
    Conversation,
    ConversationState,
    Hotline,
    Message,
)


def conversations_visible_to(*, user, at: datetime.datetime | None = None) -> QuerySet:
    """Return the conversations this user may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return Conversation.objects.none()
    if user.is_central_supervisor:
        return Conversation.objects.all()
    scope = Q(hotline_id=user.hotline_id) | Q(operator_id=user.pk)
    if user.hotline.is_central:
        scope |= Q(state=ConversationState.QUEUED, overflow_at__lte=at or timezone.now())
    return Conversation.objects.filter(scope)


def conversation_get_for_user(
    *, user, conversation_id, for_update: bool = False, at: datetime.datetime | None = None
) -> Conversation:
    """Fetch one conversation the user may see, or raise Http404."""
    queryset = conversations_visible_to(user=user, at=at).select_related("hotline", "case")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError, ValidationError):
        # A malformed UUID raises ValidationError: it is as missing as any other.
        raise Http404 from None


def _risk_rank():
    return DbCase(
        *[When(risk=risk, then=Value(rank)) for risk, rank in RISK_ORDER.items()],
        default=Value(len(RISK_ORDER)),
        output_field=IntegerField(),
    )


def queue_scope(*, user, at: datetime.datetime) -> Q:
    """The queued conversations an operator or supervisor is asked to answer."""
    scope = Q(hotline_id=user.hotline_id)
    if user.hotline.is_central:
        scope |= Q(overflow_at__lte=at)
    return scope


def queue_for_user(*, user, at: datetime.datetime | None = None) -> list[Conversation]:
    """The queue in this user's scope: the most at risk first, then the longest waiting."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return []
    at = at or timezone.now()
    return list(
        Conversation.objects.filter(state=ConversationState.QUEUED)
        .filter(queue_scope(user=user, at=at))
        .select_related("hotline")
        .annotate(risk_rank=_risk_rank())
        .order_by("risk_rank", "queued_at", "id")
    )


def queue_position(*, conversation_id) -> int | None:
    """1-based place in its hotline's queue, or None when it is no longer queued."""
    conversation = (
        Conversation.objects.filter(pk=conversation_id, state=ConversationState.QUEUED)
        .only("hotline_id")
        .first()
    )
    if conversation is None:
        return None
    ids = queue_order(hotline_id=conversation.hotline_id)
    return ids.index(conversation.pk) + 1 if conversation.pk in ids else None


def queue_order(*, hotline_id) -> list:
    """Ids of a hotline's queued conversations, in queue order."""
    return list(
        Conversation.objects.filter(state=ConversationState.QUEUED, hotline_id=hotline_id)
        .annotate(risk_rank=_risk_rank())
        .order_by("risk_rank", "queued_at", "id")
        .values_list("pk", flat=True)
    )


def messages_after(*, conversation_id, seq: int, upto: int | None = None) -> list[Message]:
    """Messages with seq > seq (and <= upto), in order. The database is the truth."""
    queryset = Message.objects.filter(conversation_id=conversation_id, seq__gt=seq)
    if upto is not None:
        queryset = queryset.filter(seq__lte=upto)
    return list(queryset.order_by("seq"))


def conversations_held_by(*, user) -> list[Conversation]:
    """The active conversations assigned to this operator, oldest first."""
    return list(
        Conversation.objects.filter(operator_id=user.pk, state=ConversationState.ACTIVE)
        .select_related("hotline", "case")
        .order_by("answered_at", "id")
    )


def operator_load(*, user) -> int:
    return Conversation.objects.filter(operator_id=user.pk, state=ConversationState.ACTIVE).count()


def canned_responses_for_user(*, user) -> list[CannedResponse]:
    """The canned responses of the user's hotline and the ones shared by every hotline."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return []
    return list(
        CannedResponse.objects.filter(is_active=True).filter(
            Q(hotline__isnull=True) | Q(hotline_id=user.hotline_id)
        )
    )


def canned_responses_editable_by(*, user) -> QuerySet:
    """Supervisors edit their hotline's responses; central supervisors also the shared ones."""
    if not getattr(user, "is_authenticated", False) or not user.is_supervisor:
        return CannedResponse.objects.none()
    scope = Q(hotline_id=user.hotline_id)
    if user.is_central_supervisor:
        scope |= Q(hotline__isnull=True)
    return CannedResponse.objects.filter(scope).select_related("hotline")


def hotline_for_province(province_code: str) -> Hotline:
    """The hotline a web chat from this province goes to: no province means central."""
    if province_code:
        hotline = Hotline.objects.filter(code=province_code, is_central=False).first()
        if hotline is not None:
            return hotline
    return Hotline.objects.get(code=settings.CENTRAL_HOTLINE_CODE)
