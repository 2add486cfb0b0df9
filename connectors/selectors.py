"""Reads of the connectors' rows. Staff reach a platform reply only through its conversation."""

import datetime

from django.db.models import Q
from django.http import Http404

from connectors.models import (
    DeliveryStatus,
    EmbedOrigin,
    PlatformAccount,
    PlatformContact,
    PlatformMessage,
    PlatformThread,
)
from helpline.models import ConversationState
from helpline.selectors import conversations_visible_to

OPEN_CONVERSATION_STATES = (ConversationState.QUEUED, ConversationState.ACTIVE)
# Replies that count against a platform's limits: out, or on their way.
COUNTED_REPLY_STATES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)


def account_for_event(*, platform: str, external_id: str) -> PlatformAccount | None:
    """The active account a webhook event names, or None."""
    return (
        PlatformAccount.objects.filter(platform=platform, external_id=external_id, is_active=True)
        .select_related("hotline")
        .first()
    )


def inbound_for(*, account: PlatformAccount, external_id: str) -> PlatformMessage | None:
    return PlatformMessage.objects.filter(
        account=account, external_id=external_id, direction=PlatformMessage.Direction.INBOUND
    ).first()


def contact_by_hash(*, user_hash: str) -> PlatformContact | None:
    return PlatformContact.objects.filter(user_hash=user_hash).first()


def thread_open_for_contact(*, contact: PlatformContact) -> PlatformThread | None:
    """The conversation still queued or answered with this young person, if any."""
    return (
        PlatformThread.objects.filter(
            contact=contact, conversation__state__in=OPEN_CONVERSATION_STATES
        )
        .select_related("conversation")
        .order_by("-conversation__created_at")
        .first()
    )


def thread_for_conversation(*, conversation_id) -> PlatformThread | None:
    return (
        PlatformThread.objects.filter(conversation_id=conversation_id)
        .select_related("contact__account", "conversation")
        .first()
    )


def held_messages(*, contact: PlatformContact) -> list[PlatformMessage]:
    """A national account's first messages, in the order they came, before the province is known."""
    return list(
        PlatformMessage.objects.filter(contact=contact, status=DeliveryStatus.HELD).order_by("id")
    )


def replies_since_inbound(*, thread: PlatformThread) -> int:
    """Replies sent or on their way since the young person's last message."""
    return PlatformMessage.objects.filter(
        conversation_id=thread.conversation_id,
        direction=PlatformMessage.Direction.OUTBOUND,
        created_at__gte=thread.last_inbound_at,
        status__in=COUNTED_REPLY_STATES,
    ).count()


def notice_sent_in(*, conversation_id, notice: str) -> bool:
    """Whether the helpline already said this notice in the conversation."""
    return PlatformMessage.objects.filter(
        conversation_id=conversation_id,
        direction=PlatformMessage.Direction.OUTBOUND,
        notice=notice,
    ).exists()


def replies_of_messages(*, message_ids: list) -> list[PlatformMessage]:
    """The platform replies that carried these chat messages, with what their state needs.

    For a history the caller already let its reader see (helpline's audited
    history read); the replies add nothing beyond how each one went.
    """
    return list(
        PlatformMessage.objects.filter(
            message_id__in=message_ids, direction=PlatformMessage.Direction.OUTBOUND
        ).select_related("message", "account", "conversation")
    )


def reply_earlier_unsent(*, reply: PlatformMessage) -> bool:
    """Whether an earlier reply to the same young person still waits: replies leave in order."""
    return (
        PlatformMessage.objects.filter(
            contact_id=reply.contact_id,
            direction=PlatformMessage.Direction.OUTBOUND,
            id__lt=reply.pk,
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING),
        )
        .exclude(pk=reply.pk)
        .exists()
    )


def reply_ids_due(*, at: datetime.datetime, stale_before: datetime.datetime) -> list[int]:
    """Replies whose next attempt is due, and those left "sending" by a process that died."""
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=at) | Q(
        status=DeliveryStatus.SENDING, updated_at__lt=stale_before
    )
    return list(
        PlatformMessage.objects.filter(due, direction=PlatformMessage.Direction.OUTBOUND)
        .order_by("id")
        .values_list("pk", flat=True)
    )


def contact_ids_awaiting_province(*, asked_before: datetime.datetime) -> list[int]:
    return list(
        PlatformContact.objects.filter(province_asked_at__lte=asked_before).values_list(
            "pk", flat=True
        )
    )


def reply_get_for_user(*, user, reply_id: int, for_update: bool = False) -> PlatformMessage:
    """An operator's platform reply, for staff who may see its conversation; else Http404."""
    replies = PlatformMessage.objects.filter(
        pk=reply_id,
        direction=PlatformMessage.Direction.OUTBOUND,
        conversation__in=conversations_visible_to(user=user),
    )
    if for_update:
        replies = replies.select_for_update(of=("self",))
    reply = replies.select_related("message", "conversation", "contact", "account").first()
    if reply is None:
        raise Http404
    return reply


def embed_origins_allowed() -> list[str]:
    """The origins whose pages may show the youth chat in a frame."""
    return list(EmbedOrigin.objects.filter(is_active=True).values_list("origin", flat=True))
