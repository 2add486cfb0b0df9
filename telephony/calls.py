"""The voice call state machine: every change to a Call goes through one function here.

A call comes in (call_receive) and goes to voicemail at once or, after the
danger question, into its hotline's Twilio queue (call_enqueue). An operator's
accept connects it through the REST API (call_connect_operator, run after the
accept commits, never in a webhook). Twilio's callbacks then report the
operator's leg and the caller's until the call ends, perhaps in a voicemail.
The webhook functions never call Twilio, so Twilio gets its answer fast.

Twilio repeats and reorders callbacks. Each call is found by Twilio's id under
a row lock, and its status only moves forward, so a repeat changes nothing.
"""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from twilio.base.exceptions import TwilioException, TwilioRestException

from helpline import conversations
from helpline.models import Channel, Conversation, Hotline, Risk
from telephony import twiml
from telephony.models import Call, CallStatus, PhoneContact, Voicemail
from telephony.phone import phone_normalize
from telephony.selectors import (
    call_for_conversation,
    call_for_sid,
    operator_endpoint_for,
    province_code_for,
    route_call,
    voicemails_past_retention,
)
from telephony.services import non_negative_int, phone_number_get_or_create, staff_push
from telephony.twilio_client import TwilioNotConfigured, twilio_rest_client

logger = logging.getLogger(__name__)


def queue_name_for(hotline: Hotline) -> str:
    """The Twilio queue (<Enqueue>) a hotline's callers wait in."""
    return f"hotline-{hotline.code}"


@transaction.atomic
def call_receive(
    *, call_sid: str, from_number: str, called_number: str, at: datetime.datetime | None = None
) -> Call:
    """Record an incoming call once, and decide whether it queues or goes to voicemail."""
    existing = call_for_sid(call_sid=call_sid)
    if existing is not None:
        return existing
    at = at or timezone.now()
    hotline, rerouted, answerable = route_call(called_number=called_number, at=at)
    try:
        with transaction.atomic():
            call = Call.objects.create(
                call_sid=call_sid,
                hotline=hotline,
                called_number=phone_normalize(called_number)[:20],
                phone=phone_number_get_or_create(number=from_number),
                rerouted_to_central=rerouted,
                status=CallStatus.RECEIVED if answerable else CallStatus.VOICEMAIL,
                received_at=at,
            )
    except IntegrityError:
        return Call.objects.get(call_sid=call_sid)
    if not answerable:
        # The voicemail waits in the queue as a voice conversation, so the next
        # operator to come online sees it and calls back.
        _call_conversation_start(call, risk="", at=at)
        call.save(update_fields=["conversation"])
    return call


def _call_conversation_start(call: Call, *, risk: str, at: datetime.datetime) -> Conversation:
    conversation, _token = conversations.conversation_start(
        channel=Channel.VOICE,
        hotline=call.hotline,
        province_code=province_code_for(hotline=call.hotline),
        risk=risk,
        at=at,
    )
    PhoneContact.objects.create(
        conversation=conversation,
        phone=call.phone,
        called_number=call.called_number,
        last_inbound_at=at,
    )
    call.conversation = conversation
    return conversation


@transaction.atomic
def call_enqueue(*, call_sid: str, digits: str, at: datetime.datetime | None = None) -> Call | None:
    """The caller answered the danger question (or not): put the call in the queue once."""
    call = Call.objects.select_for_update().filter(call_sid=call_sid).first()
    if call is None or call.conversation_id is not None or call.is_terminal:
        return call
    at = at or timezone.now()
    imminent = digits.strip() == "1"
    _call_conversation_start(call, risk=Risk.IMMINENT if imminent else "", at=at)
    call.pressed_danger = imminent
    call.advance(CallStatus.QUEUED)
    call.queued_at = at
    call.save(update_fields=["conversation", "pressed_danger", "status", "queued_at"])
    return call


def _conversation_close(conversation_id, *, reason: str) -> None:
    """Abandon a queued conversation or end an active one; a closed one stays as it is.

    The chat backend's conversation_end does exactly that when no member of
    staff ends it, under the conversation's row lock.
    """
    try:
        with transaction.atomic():
            conversations.conversation_end(conversation_id=conversation_id, reason=reason)
    except (TransitionNotAllowed, ConcurrentTransition, conversations.ConversationNotFound):
        # Someone else moved it at the same moment; their change stands.
        pass


def _call_finish(call: Call, *, at: datetime.datetime) -> None:
    """The caller's leg is over: settle the call's outcome and the conversation."""
    if call.ended_at is None:
        call.ended_at = at
    if call.status == CallStatus.VOICEMAIL:
        return
    if call.answered_at is not None:
        call.advance(CallStatus.COMPLETED)
    else:
        call.advance(CallStatus.ABANDONED)
    if call.conversation_id is not None:
        reason = {
            CallStatus.COMPLETED: "call_completed",
            CallStatus.ABANDONED: "caller_hung_up",
        }.get(call.status, f"call_{call.status}")
        _conversation_close(call.conversation_id, reason=reason)


@transaction.atomic
def call_queue_left(
    *, call_sid: str, result: str, queue_seconds, at: datetime.datetime | None = None
) -> Call | None:
    """The <Enqueue> action: the caller left the queue, by hanging up or being connected."""
    at = at or timezone.now()
    call = Call.objects.select_for_update().filter(call_sid=call_sid).first()
    if call is None:
        return None
    fields = ["status", "ended_at", "queue_seconds"]
    if call.queue_seconds is None:
        call.queue_seconds = non_negative_int(queue_seconds)
    if result == "hangup":
        _call_finish(call, at=at)
    elif result in ("queue-full", "system-error", "error"):
        call.advance(CallStatus.VOICEMAIL)
    call.save(update_fields=fields)
    return call


OPERATOR_LEG_STATUS = {
    "initiated": CallStatus.CONNECTING,
    "queued": CallStatus.CONNECTING,
    "ringing": CallStatus.RINGING,
    "in-progress": CallStatus.ANSWERED,
    "answered": CallStatus.ANSWERED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
    "canceled": CallStatus.NO_ANSWER,
}
FINAL_CALL_STATUSES = {"completed", "busy", "no-answer", "failed", "canceled"}


@transaction.atomic
def call_status_update(
    *,
    call_sid: str,
    parent_call_sid: str,
    status: str,
    duration,
    at: datetime.datetime | None = None,
) -> Call | None:
    """A status callback, for the caller's leg or for the operator's (child) leg."""
    at = at or timezone.now()
    if parent_call_sid:
        call = Call.objects.select_for_update().filter(call_sid=parent_call_sid).first()
        if call is None:
            return None
        _operator_leg_update(call, leg_sid=call_sid, status=status, duration=duration, at=at)
    else:
        call = Call.objects.select_for_update().filter(call_sid=call_sid).first()
        if call is None:
            return None
        if status in FINAL_CALL_STATUSES:
            if call.duration_seconds is None:
                call.duration_seconds = non_negative_int(duration)
            _call_finish(call, at=at)
    call.save(
        update_fields=[
            "status",
            "answered_at",
            "ended_at",
            "talk_seconds",
            "duration_seconds",
            "operator_leg_sid",
        ]
    )
    return call


def _operator_leg_update(call: Call, *, leg_sid: str, status: str, duration, at) -> None:
    if not call.operator_leg_sid:
        call.operator_leg_sid = leg_sid
    if status == "completed":
        if call.answered_at is not None and call.talk_seconds is None:
            call.talk_seconds = non_negative_int(duration)
        return
    target = OPERATOR_LEG_STATUS.get(status)
    if target is None:
        return
    if call.advance(target) and target == CallStatus.ANSWERED and call.answered_at is None:
        call.answered_at = at


DIAL_FAILURES = {
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
    "canceled": CallStatus.NO_ANSWER,
}


@transaction.atomic
def call_dial_finished(
    *, call_sid: str, dial_status: str, dial_duration, at: datetime.datetime | None = None
) -> tuple[Call | None, bool]:
    """The <Dial> to the operator ended. Returns (call, operator_unreachable)."""
    at = at or timezone.now()
    call = Call.objects.select_for_update().filter(call_sid=call_sid).first()
    if call is None:
        return None, False
    failure = DIAL_FAILURES.get(dial_status)
    if failure is None:
        if call.answered_at is None and dial_status in ("completed", "answered"):
            call.answered_at = at
        call.advance(CallStatus.ANSWERED)
        if call.talk_seconds is None:
            call.talk_seconds = non_negative_int(dial_duration)
        call.save(update_fields=["status", "answered_at", "talk_seconds"])
        return call, False
    if call.advance(failure):
        call.save(update_fields=["status"])
        staff_push(
            user_id=call.operator_id,
            frame={
                "type": "call_error",
                "conversation": str(call.conversation_id),
                "code": dial_status,
                "notice": _(
                    "Cuộc gọi không tới được máy của bạn (máy bận hoặc không trả lời). Người gọi "
                    "được mời để lại lời nhắn thoại."
                ),
            },
        )
    return call, True


@transaction.atomic
def voicemail_record(
    *,
    call_sid: str,
    recording_sid: str,
    recording_url: str,
    duration,
    status: str,
    at: datetime.datetime | None = None,
) -> Voicemail | None:
    """Keep a voicemail's metadata once, whichever of its two callbacks comes first."""
    if not recording_sid:
        return None
    at = at or timezone.now()
    call = Call.objects.select_for_update().filter(call_sid=call_sid).first()
    if call is None:
        return None
    voicemail = Voicemail.objects.select_for_update().filter(recording_sid=recording_sid).first()
    if voicemail is None:
        try:
            with transaction.atomic():
                voicemail = Voicemail.objects.create(
                    recording_sid=recording_sid,
                    call=call,
                    conversation_id=call.conversation_id,
                    recorded_at=at,
                    delete_after=at + datetime.timedelta(days=settings.VOICEMAIL_RETENTION_DAYS),
                )
        except IntegrityError:
            voicemail = Voicemail.objects.select_for_update().get(recording_sid=recording_sid)
    if recording_url and not voicemail.recording_url:
        voicemail.recording_url = recording_url[:300]
    if voicemail.duration_seconds is None:
        voicemail.duration_seconds = non_negative_int(duration)
    if status and voicemail.status != "completed":
        voicemail.status = status[:12]
    voicemail.save(update_fields=["recording_url", "duration_seconds", "status"])
    return voicemail


# ---------------------------------------------------------------- outside webhooks


CALL_CONNECT_FAILED_NOTICE = gettext_noop(
    "Không chuyển được cuộc gọi tới máy của bạn. Người gọi vẫn đang chờ; hãy bấm “Kết nối lại”."
)


def call_connect_operator(*, conversation_id, operator) -> Call | None:
    """Redirect the queued call to the operator who accepted it, through the REST API.

    Runs after the accept committed, never inside a webhook. A failure is shown
    on the operator's console; the caller keeps waiting and the operator can retry.
    """
    call = call_for_conversation(conversation_id=conversation_id)
    if call is None or call.conversation.operator_id != operator.pk:
        return None
    if call.status == CallStatus.VOICEMAIL or call.is_terminal:
        staff_push(
            user_id=operator.pk,
            frame={
                "type": "call_status",
                "conversation": str(conversation_id),
                "status": call.status,
                "notice": _(
                    "Người gọi đã gác máy hoặc đã để lại lời nhắn thoại; cuộc gọi không còn để "
                    "kết nối."
                ),
            },
        )
        return call
    kind, address = operator_endpoint_for(user=operator)
    document = twiml.twiml_dial_operator(
        conversation_id=conversation_id,
        endpoint_kind=kind,
        endpoint=address,
        caller_id=call.called_number,
    )
    error = ""
    try:
        twilio_rest_client().calls(call.call_sid).update(twiml=document)
    except TwilioRestException as exc:
        error = str(exc.code or exc.status)
    except (TwilioException, TwilioNotConfigured, OSError):
        error = "network"
    except Exception as exc:
        # requests' exceptions are OSErrors; anything else is still a failed connect.
        logger.warning("call connect failed: %s", type(exc).__name__)
        error = "network"
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        call.operator = operator
        call.endpoint_kind = kind
        call.connect_error = error[:20]
        if not error:
            call.advance(CallStatus.CONNECTING)
        call.save(update_fields=["operator", "endpoint_kind", "connect_error", "status"])
        if error:
            logger.warning("call connect failed: error=%s call=%s", error, call.pk)
            staff_push(
                user_id=operator.pk,
                frame={
                    "type": "call_error",
                    "conversation": str(conversation_id),
                    "code": "connect_failed",
                    "notice": _(CALL_CONNECT_FAILED_NOTICE),
                },
            )
    return call


def voicemails_purge(*, at: datetime.datetime | None = None) -> int:
    """Delete the audio at Twilio of every voicemail past its retention; keep the metadata."""
    at = at or timezone.now()
    client = twilio_rest_client()
    deleted = 0
    for voicemail in voicemails_past_retention(at=at):
        try:
            client.recordings(voicemail.recording_sid).delete()
        except TwilioRestException as exc:
            if exc.status != 404:
                logger.warning("voicemail delete failed: error=%s", exc.code or exc.status)
                continue
        Voicemail.objects.filter(pk=voicemail.pk).update(deleted_at=at, recording_url="")
        deleted += 1
    return deleted
