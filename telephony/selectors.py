"""Reads of telephony data: nothing here writes.

Staff see a phone conversation exactly when helpline.selectors lets them see the
conversation: their own hotline's, the ones they hold, and for central staff the
provincial ones waiting in the overflow queue. Anything else is missing (404).

Callback requests are tasks of their hotline: its operators and supervisors
see them, and staff of the central hotline, which is open around the clock,
see every hotline's. Anyone else sees none, and one they may not see is
missing (404).

The rest serves the webhooks and the services: which hotline answers a number,
the call or SMS a Twilio id names, where an operator takes calls, and what the
worker's jobs still have to do. These take no user: Twilio or the worker is
asking, or the conversation has already come through the door above.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from helpline.models import Channel, Conversation, ConversationState, Hotline, PresenceStatus, Role
from helpline.presence import staff_online
from helpline.selectors import conversations_visible_to
from telephony.models import (
    CALLBACK_OPEN_STATES,
    Call,
    CallbackEvent,
    CallbackRequest,
    CallbackState,
    OperatorEndpoint,
    PhoneContact,
    PhoneNumber,
    SmsMessage,
    SmsStatus,
    Voicemail,
)
from telephony.phone import phone_decrypt, phone_normalize

LIVE_STATES = (ConversationState.QUEUED, ConversationState.ACTIVE)


# ---------------------------------------------------------------- phone conversations


def phone_conversations_visible_to(*, user) -> QuerySet[Conversation]:
    """Return the voice and SMS conversations this user may see."""
    return conversations_visible_to(user=user).filter(channel__in=(Channel.VOICE, Channel.SMS))


def phone_conversation_get_for_user(*, user, conversation_id) -> Conversation:
    try:
        return phone_conversations_visible_to(user=user).get(pk=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def phone_contact_for(*, conversation: Conversation) -> PhoneContact | None:
    """The caller's number behind a conversation, or None when it has none."""
    return PhoneContact.objects.select_related("phone").filter(conversation=conversation).first()


def phone_contact_get(*, conversation: Conversation) -> PhoneContact:
    """The caller's number behind a phone conversation, which always has one.

    Raises PhoneContact.DoesNotExist otherwise.
    """
    return PhoneContact.objects.select_related("phone").get(conversation=conversation)


def phone_masked_for(*, conversation: Conversation) -> str:
    """The masked number of a phone conversation, for any staff who may see it."""
    contact = phone_contact_for(conversation=conversation)
    return contact.phone.masked if contact is not None else ""


# ---------------------------------------------------------------- routing


def hotline_for_number(*, called_number: str) -> Hotline | None:
    """The hotline whose public number was called, comparing normalised numbers."""
    wanted = phone_normalize(called_number)
    if not wanted:
        return None
    for hotline in Hotline.objects.exclude(voice_number=""):
        if phone_normalize(hotline.voice_number) == wanted:
            return hotline
    return None


def central_hotline() -> Hotline:
    return Hotline.objects.get(code=settings.CENTRAL_HOTLINE_CODE)


def hotline_has_available_staff(*, hotline: Hotline, at: datetime.datetime) -> bool:
    """Someone of this hotline is at the console and available (a fresh heartbeat).

    Busy operators count: the call waits in the queue for the first free one,
    like a chat. Only an empty console room sends callers to voicemail.
    """
    return (
        staff_online(hotline=hotline, status=PresenceStatus.AVAILABLE, at=at)
        .filter(role__in=(Role.OPERATOR, Role.SUPERVISOR))
        .exists()
    )


def route_call(*, called_number: str, at: datetime.datetime) -> tuple[Hotline, bool, bool]:
    """Pick the hotline for a call: (hotline, rerouted_to_central, someone_can_answer).

    A closed or unknown hotline hands over to central, which is open 24/7. An
    open provincial hotline with nobody available also hands over to central
    when someone is there; otherwise the caller leaves a voicemail.
    """
    hotline = hotline_for_number(called_number=called_number)
    if hotline is not None and not hotline.is_central and hotline.is_open(at):
        if hotline_has_available_staff(hotline=hotline, at=at):
            return hotline, False, True
        central = central_hotline()
        if hotline_has_available_staff(hotline=central, at=at):
            return central, True, True
        return hotline, False, False
    central = hotline if hotline is not None and hotline.is_central else central_hotline()
    return (
        central,
        hotline is None or not hotline.is_central,
        hotline_has_available_staff(hotline=central, at=at),
    )


def route_sms(*, called_number: str, at: datetime.datetime) -> Hotline:
    """SMS wait for whoever comes next, so only opening hours matter."""
    hotline = hotline_for_number(called_number=called_number)
    if hotline is not None and hotline.is_open(at):
        return hotline
    return central_hotline()


def province_code_for(*, hotline: Hotline) -> str:
    """The province a phone conversation of this hotline is filed under; none for central."""
    return "" if hotline.is_central else hotline.code


# ---------------------------------------------------------------- calls


def call_for_sid(*, call_sid: str) -> Call | None:
    return Call.objects.select_related("conversation", "hotline").filter(call_sid=call_sid).first()


def call_for_conversation(*, conversation_id) -> Call | None:
    return (
        Call.objects.select_related("conversation").filter(conversation_id=conversation_id).first()
    )


def softphone_identity(*, user) -> str:
    """The browser softphone's identity: an id, never a name."""
    return f"staff-{user.pk}"


def operator_endpoint_for(*, user) -> tuple[str, str]:
    """(kind, address) where this member of staff takes calls."""
    endpoint = OperatorEndpoint.objects.filter(user=user).first()
    is_phone = endpoint is not None and endpoint.kind == OperatorEndpoint.Kind.PHONE
    if is_phone and endpoint.phone_encrypted:
        return "phone", phone_decrypt(endpoint.phone_encrypted)
    return "client", softphone_identity(user=user)


def voicemails_past_retention(*, at: datetime.datetime) -> QuerySet[Voicemail]:
    """Voicemails whose audio is still at Twilio past its delete_after."""
    return Voicemail.objects.filter(deleted_at__isnull=True, delete_after__lte=at)


# ---------------------------------------------------------------- SMS


def sms_for_sid(*, message_sid: str) -> SmsMessage | None:
    return SmsMessage.objects.filter(message_sid=message_sid).first()


def sms_of_conversation(*, conversation: Conversation) -> QuerySet[SmsMessage]:
    """The texts of a conversation that carry a chat message, in the message order."""
    return (
        SmsMessage.objects.filter(conversation=conversation, message__isnull=False)
        .select_related("message")
        .order_by("message__seq")
    )


def sms_contact_continuing(
    *, phone: PhoneNumber, called_number: str, since: datetime.datetime
) -> PhoneContact | None:
    """The live SMS conversation a new text from this number continues, if any.

    It must be with the same hotline number, still queued or active, and have
    had a text from the young person since `since`; the newest one wins.
    """
    return (
        PhoneContact.objects.select_related("conversation")
        .filter(
            phone=phone,
            called_number=called_number,
            conversation__channel=Channel.SMS,
            conversation__state__in=LIVE_STATES,
            last_inbound_at__gte=since,
        )
        .order_by("-last_inbound_at")
        .first()
    )


def sms_ids_awaiting_send(*, stale_before: datetime.datetime) -> list[int]:
    """Outgoing SMS left pending, or stuck sending since before `stale_before`,
    that still have attempts left."""
    return list(
        SmsMessage.objects.filter(
            Q(status=SmsStatus.PENDING) | Q(status=SmsStatus.SENDING, updated_at__lt=stale_before),
            direction=SmsMessage.Direction.OUTBOUND,
            message__isnull=False,
            attempts__lt=settings.SMS_SEND_MAX_ATTEMPTS,
        ).values_list("pk", flat=True)
    )


# ---------------------------------------------------------------- callback requests


def _callbacks_of_hotline(hotline: Hotline) -> QuerySet[CallbackRequest]:
    """The callback requests a hotline's staff handle: their own, or every one for central."""
    if hotline.is_central:
        return CallbackRequest.objects.all()
    return CallbackRequest.objects.filter(hotline=hotline)


def callback_requests_visible_to(*, user) -> QuerySet[CallbackRequest]:
    """Return the callback requests this user may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return CallbackRequest.objects.none()
    return _callbacks_of_hotline(user.hotline)


def callback_request_get_for_user(
    *, user, callback_id, for_update: bool = False
) -> CallbackRequest:
    """Fetch one callback request the user may see, or raise Http404."""
    queryset = callback_requests_visible_to(user=user).select_related(
        "hotline", "phone", "claimed_by"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=callback_id)
    except (CallbackRequest.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def _with_asked_again(queryset: QuerySet[CallbackRequest]) -> QuerySet[CallbackRequest]:
    """Annotate `asked_again`: how often the same number asked again while the request was open.

    The young person may have wanted another window or another choice, which a
    repeat does not change; staff are told so.
    """
    repeats = (
        CallbackEvent.objects.filter(
            callback_uuid=OuterRef("pk"), action=CallbackEvent.Action.REPEATED
        )
        .order_by()
        .values("callback_uuid")
        .annotate(count=Count("id"))
        .values("count")
    )
    return queryset.annotate(asked_again=Coalesce(Subquery(repeats), 0))


def callback_requests_open_for(*, user) -> list[CallbackRequest]:
    """The open requests in this user's scope, the earliest window first."""
    return list(
        _with_asked_again(
            callback_requests_visible_to(user=user)
            .filter(state__in=CALLBACK_OPEN_STATES)
            .select_related("hotline", "phone", "claimed_by")
            .order_by("window_starts_at", "created_at", "id")
        )
    )


def callback_request_detail_for(*, user, callback_id) -> CallbackRequest:
    """One request for its page, with `asked_again`; 404 when the user may not see it."""
    queryset = _with_asked_again(
        callback_requests_visible_to(user=user).select_related("hotline", "phone", "claimed_by")
    )
    try:
        return queryset.get(pk=callback_id)
    except (CallbackRequest.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def callback_attempts_of(*, callback: CallbackRequest) -> list:
    """The attempts on a request the caller already fetched through the door, oldest first."""
    return list(callback.attempts.select_related("by").order_by("at", "id"))


def callback_open_counts(*, hotline: Hotline) -> dict[str, int]:
    """How many requests a hotline's staff have open, and how many of those nobody claimed."""
    counts = _callbacks_of_hotline(hotline).aggregate(
        open=Count("pk", filter=Q(state__in=CALLBACK_OPEN_STATES)),
        unclaimed=Count("pk", filter=Q(state=CallbackState.REQUESTED)),
    )
    return {"open": counts["open"], "unclaimed": counts["unclaimed"]}


def callback_open_for_number(*, phone: PhoneNumber) -> CallbackRequest | None:
    """The request still open for this number, if any (there is at most one)."""
    return CallbackRequest.objects.filter(phone=phone, state__in=CALLBACK_OPEN_STATES).first()


def callback_ids_past_expiry(*, ended_before: datetime.datetime) -> list:
    """Open requests whose window ended before `ended_before`."""
    return list(
        CallbackRequest.objects.filter(
            state__in=CALLBACK_OPEN_STATES, window_ends_at__lt=ended_before
        ).values_list("pk", flat=True)
    )
