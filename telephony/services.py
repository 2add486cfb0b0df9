"""Every change telephony makes goes through one function here.

Webhook requests call the functions in the first half; none of them makes a
network call, so Twilio gets its answer fast. The second half runs outside
webhooks (after an operator accepts a call or replies by SMS, or from a
command) and talks to Twilio's REST API.

Twilio repeats and reorders callbacks. Each record is found by Twilio's id under
a row lock, and statuses only move forward, so a repeat changes nothing.
"""

import datetime
import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from twilio.base.exceptions import TwilioException, TwilioRestException

from cases.audit import case_event_record
from cases.models import CaseEvent
from helpline import conversations
from helpline.broadcast import broadcast_on_commit
from helpline.groups import staff_group
from helpline.models import (
    Channel,
    Conversation,
    Hotline,
    Message,
    Risk,
    Sender,
)
from telephony import twiml
from telephony.models import (
    Call,
    CallStatus,
    PhoneContact,
    PhoneNumber,
    PhoneReveal,
    SmsMessage,
    SmsStatus,
    Voicemail,
)
from telephony.phone import phone_decrypt, phone_encrypt, phone_lookup_hash, phone_normalize
from telephony.selectors import (
    call_for_conversation,
    call_for_sid,
    operator_endpoint_for,
    phone_contact_for,
    phone_contact_get,
    phone_conversation_get_for_user,
    province_code_for,
    route_call,
    route_sms,
    sms_contact_continuing,
    sms_for_sid,
    sms_ids_awaiting_send,
    voicemails_past_retention,
)
from telephony.twilio_client import TwilioNotConfigured, twilio_rest_client

logger = logging.getLogger(__name__)

# client_id of an inbound SMS's chat message: derived from the MessageSid, so a
# repeated webhook maps to the same message even past the SmsMessage check.
SMS_CLIENT_ID_NAMESPACE = uuid.UUID("6f1e0d1c-8a43-4c55-9a3e-5b0c2f7a9e11")
# Twilio errors that will fail again however often they are retried
# (invalid or unsubscribed number, unreachable destination...): 4xx but 429.
RETRYABLE_HTTP_STATUSES = {429}


# ---------------------------------------------------------------- routing


def queue_name_for(hotline: Hotline) -> str:
    return f"hotline-{hotline.code}"


# ---------------------------------------------------------------- numbers


def phone_number_get_or_create(number: str) -> PhoneNumber:
    number_hash = phone_lookup_hash(number)
    phone = PhoneNumber.objects.filter(number_hash=number_hash).first()
    if phone is not None:
        return phone
    try:
        with transaction.atomic():
            return PhoneNumber.objects.create(
                number_hash=number_hash, number_encrypted=phone_encrypt(number)
            )
    except IntegrityError:
        # A concurrent request stored the same number first.
        return PhoneNumber.objects.get(number_hash=number_hash)


def _push_to_staff(user_id: int | None, frame: dict) -> None:
    """Tell one operator's consoles, after commit; the channel layer only signals."""
    if user_id is not None:
        broadcast_on_commit(staff_group(user_id), {"type": "console.push", "frame": frame})


# ---------------------------------------------------------------- voice webhooks


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
                phone=phone_number_get_or_create(from_number),
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


def _seconds(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


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
        call.queue_seconds = _seconds(queue_seconds)
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
                call.duration_seconds = _seconds(duration)
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
            call.talk_seconds = _seconds(duration)
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
            call.talk_seconds = _seconds(dial_duration)
        call.save(update_fields=["status", "answered_at", "talk_seconds"])
        return call, False
    if call.advance(failure):
        call.save(update_fields=["status"])
        _push_to_staff(
            call.operator_id,
            {
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
        voicemail.duration_seconds = _seconds(duration)
    if status and voicemail.status != "completed":
        voicemail.status = status[:12]
    voicemail.save(update_fields=["recording_url", "duration_seconds", "status"])
    return voicemail


# ---------------------------------------------------------------- SMS webhooks


MEDIA_NOTICE = "[Tin nhắn có %(count)s tệp đính kèm, không hiển thị ở đây]"


@transaction.atomic
def sms_receive(
    *,
    message_sid: str,
    from_number: str,
    called_number: str,
    body: str,
    media_count: int = 0,
    at: datetime.datetime | None = None,
) -> tuple[SmsMessage, bool]:
    """Store an incoming SMS once, in the open conversation with this number or a new one."""
    existing = sms_for_sid(message_sid=message_sid)
    if existing is not None:
        return existing, False
    at = at or timezone.now()
    phone = phone_number_get_or_create(from_number)
    # One lock per number: two texts arriving together must not open two conversations.
    PhoneNumber.objects.select_for_update().filter(pk=phone.pk).first()
    existing = sms_for_sid(message_sid=message_sid)
    if existing is not None:
        return existing, False
    called = phone_normalize(called_number)[:20]
    window_start = at - datetime.timedelta(seconds=settings.SMS_CONTINUATION_WINDOW_SECONDS)
    contact = sms_contact_continuing(phone=phone, called_number=called, since=window_start)
    text = (body or "").strip()
    if media_count:
        text = (text + "\n" + MEDIA_NOTICE % {"count": media_count}).strip()
    client_id = uuid.uuid5(SMS_CLIENT_ID_NAMESPACE, message_sid)
    message = None
    if contact is not None:
        contact.last_inbound_at = at
        contact.save(update_fields=["last_inbound_at"])
        try:
            with transaction.atomic():
                message, _created = conversations.message_post(
                    conversation_id=contact.conversation_id,
                    sender=Sender.YOUTH,
                    body=text or "…",
                    client_id=client_id,
                    at=at,
                )
        except conversations.ConversationClosed:
            # The operator ended it between the lookup and now: the text opens a new one.
            message = None
    if message is None:
        hotline = route_sms(called_number=called_number, at=at)
        conversation, _token = conversations.conversation_start(
            channel=Channel.SMS,
            hotline=hotline,
            province_code=province_code_for(hotline=hotline),
            at=at,
        )
        contact = PhoneContact.objects.create(
            conversation=conversation, phone=phone, called_number=called, last_inbound_at=at
        )
        message, _created = conversations.message_post(
            conversation_id=conversation.pk,
            sender=Sender.YOUTH,
            body=text or "…",
            client_id=client_id,
            at=at,
        )
    sms = SmsMessage.objects.create(
        message_sid=message_sid,
        direction=SmsMessage.Direction.INBOUND,
        conversation_id=contact.conversation_id,
        message=message,
        status=SmsStatus.RECEIVED,
        created_at=at,
    )
    return sms, True


def _sms_status_frame(sms: SmsMessage, *, notice: str = "") -> dict:
    message = sms.message
    return {
        "type": "sms_status",
        "conversation": str(sms.conversation_id),
        "seq": message.seq if message else None,
        "status": sms.status,
        "notice": notice,
    }


def _sms_author_id(sms: SmsMessage) -> int | None:
    if sms.message is not None and sms.message.author_id:
        return sms.message.author_id
    conversation = sms.conversation
    return conversation.operator_id if conversation is not None else None


# Marked here so makemessages finds them; translated where they are sent.
SMS_FAILED_NOTICE = gettext_noop("Tin nhắn SMS số %(seq)s không gửi được tới người liên hệ.")


@transaction.atomic
def sms_status_update(*, message_sid: str, status: str, error_code: str = "") -> SmsMessage | None:
    """A delivery report. It may arrive before the send recorded the MessageSid; then it
    is kept on its own row and merged when the send finishes."""
    if status not in SMS_STATUS_RANK_KEYS:
        return None
    sms = (
        SmsMessage.objects.select_for_update(of=("self",))
        .select_related("message", "conversation")
        .filter(message_sid=message_sid)
        .first()
    )
    if sms is None:
        try:
            with transaction.atomic():
                return SmsMessage.objects.create(
                    message_sid=message_sid,
                    direction=SmsMessage.Direction.OUTBOUND,
                    status=status,
                    error_code=error_code[:20],
                )
        except IntegrityError:
            sms = (
                SmsMessage.objects.select_for_update(of=("self",))
                .select_related("message", "conversation")
                .get(message_sid=message_sid)
            )
    if not sms.advance(status):
        return sms
    if error_code:
        sms.error_code = error_code[:20]
    sms.save(update_fields=["status", "error_code", "updated_at"])
    if sms.message_id is not None:
        _sms_status_push(sms)
    return sms


SMS_STATUS_RANK_KEYS = {choice.value for choice in SmsStatus}


def _sms_status_push(sms: SmsMessage) -> None:
    notice = ""
    if sms.status in (SmsStatus.FAILED, SmsStatus.UNDELIVERED):
        notice = _(SMS_FAILED_NOTICE) % {"seq": sms.message.seq}
    if sms.status in (SmsStatus.DELIVERED, SmsStatus.FAILED, SmsStatus.UNDELIVERED):
        _push_to_staff(_sms_author_id(sms), _sms_status_frame(sms, notice=notice))


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
        _push_to_staff(
            operator.pk,
            {
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
            _push_to_staff(
                operator.pk,
                {
                    "type": "call_error",
                    "conversation": str(conversation_id),
                    "code": "connect_failed",
                    "notice": _(CALL_CONNECT_FAILED_NOTICE),
                },
            )
    return call


def sms_outbound_prepare(message: Message) -> SmsMessage | None:
    """Record that an operator's message must go out by SMS. Safe to call twice."""
    conversation = message.conversation
    if conversation.channel != Channel.SMS or message.sender != Sender.OPERATOR:
        return None
    sms, _created = SmsMessage.objects.get_or_create(
        message=message,
        defaults={
            "direction": SmsMessage.Direction.OUTBOUND,
            "conversation": conversation,
            "status": SmsStatus.PENDING,
        },
    )
    return sms


def _sms_claim(sms_id: int, *, stale_before: datetime.datetime | None) -> SmsMessage | None:
    """Mark a pending SMS as being sent, so two senders never send it twice."""
    with transaction.atomic():
        sms = (
            SmsMessage.objects.select_for_update(of=("self",))
            .select_related("message", "conversation")
            .filter(pk=sms_id)
            .first()
        )
        if sms is None or sms.message is None:
            return None
        claimable = sms.status == SmsStatus.PENDING or (
            sms.status == SmsStatus.SENDING
            and stale_before is not None
            and sms.updated_at < stale_before
        )
        if not claimable or sms.attempts >= settings.SMS_SEND_MAX_ATTEMPTS:
            return None
        sms.status = SmsStatus.SENDING
        sms.attempts += 1
        sms.save(update_fields=["status", "attempts", "updated_at"])
        return sms


def sms_send(*, sms_id: int, stale_before: datetime.datetime | None = None) -> SmsMessage | None:
    """Send one stored operator message by SMS through the REST API.

    The message already has its row and seq; a failure leaves it pending for
    the retry command (or failed when retrying can't help) and tells the
    operator's console.
    """
    sms = _sms_claim(sms_id, stale_before=stale_before)
    if sms is None:
        return None
    contact = phone_contact_get(conversation=sms.conversation)
    sid = resource_status = ""
    error_code, permanent = "", False
    try:
        resource = twilio_rest_client().messages.create(
            to=phone_decrypt(contact.phone.number_encrypted),
            from_=contact.called_number,
            body=sms.message.body,
            status_callback=twiml.public_url("telephony:sms_status"),
        )
        sid, resource_status = resource.sid, resource.status or SmsStatus.QUEUED
    except TwilioRestException as exc:
        error_code = str(exc.code or exc.status)
        permanent = 400 <= exc.status < 500 and exc.status not in RETRYABLE_HTTP_STATUSES
    except (TwilioException, TwilioNotConfigured, OSError):
        error_code = "network"
    except Exception as exc:
        logger.warning("sms send failed: %s", type(exc).__name__)
        error_code = "network"
    return _sms_send_settle(
        sms.pk, sid=sid, status=resource_status, error_code=error_code, permanent=permanent
    )


@transaction.atomic
def _sms_send_settle(
    sms_id: int, *, sid: str, status: str, error_code: str, permanent: bool
) -> SmsMessage:
    sms = (
        SmsMessage.objects.select_for_update(of=("self",))
        .select_related("message", "conversation")
        .get(pk=sms_id)
    )
    if sid:
        early = SmsMessage.objects.select_for_update().filter(message_sid=sid).first()
        sms.message_sid = sid
        sms.status = SmsStatus.SENDING
        sms.advance(status if status in SMS_STATUS_RANK_KEYS else SmsStatus.QUEUED)
        if early is not None:
            # The delivery report beat the REST response: take its news, drop its row.
            sms.advance(early.status)
            sms.error_code = early.error_code
            early.delete()
        sms.save(update_fields=["message_sid", "status", "error_code", "updated_at"])
        if early is not None:
            _sms_status_push(sms)
        return sms
    exhausted = sms.attempts >= settings.SMS_SEND_MAX_ATTEMPTS
    sms.status = SmsStatus.FAILED if (permanent or exhausted) else SmsStatus.PENDING
    sms.error_code = error_code[:20]
    sms.save(update_fields=["status", "error_code", "updated_at"])
    logger.warning("sms send failed: error=%s sms=%s", error_code, sms.pk)
    if sms.status == SmsStatus.FAILED:
        notice = _(SMS_FAILED_NOTICE) % {"seq": sms.message.seq}
    else:
        notice = _(
            "Tin nhắn SMS số %(seq)s chưa gửi được; hệ thống sẽ tự gửi lại. Tin nhắn đã được lưu."
        ) % {"seq": sms.message.seq}
    frame = _sms_status_frame(sms, notice=notice)
    frame["status"] = "failed" if sms.status == SmsStatus.FAILED else "retrying"
    _push_to_staff(_sms_author_id(sms), frame)
    return sms


def sms_retry_pending(*, at: datetime.datetime | None = None) -> int:
    """Send again every outgoing SMS left pending (or stuck sending for 5 minutes)."""
    at = at or timezone.now()
    stale_before = at - datetime.timedelta(minutes=5)
    sent = 0
    for sms_id in sms_ids_awaiting_send(stale_before=stale_before):
        sms = sms_send(sms_id=sms_id, stale_before=stale_before)
        if sms is not None and sms.message_sid:
            sent += 1
    return sent


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


@transaction.atomic
def phone_reveal(*, user, conversation_id) -> str | None:
    """The full number of a phone conversation, for a supervisor in scope; None when it has none.

    Each reveal writes a PhoneReveal row, and a timeline event when the
    conversation belongs to a case, in the same transaction as the read.
    """
    conversation = phone_conversation_get_for_user(user=user, conversation_id=conversation_id)
    if not user.is_supervisor:
        raise PermissionDenied
    contact = phone_contact_for(conversation=conversation)
    if contact is None:
        return None
    at = timezone.now()
    PhoneReveal.objects.create(conversation_uuid=conversation.pk, actor=user, at=at)
    if conversation.case_id is not None:
        case_event_record(
            case_id=conversation.case_id,
            actor=user,
            action=CaseEvent.Action.PHONE_REVEALED,
            conversation=str(conversation.pk),
            at=at,
        )
    return phone_decrypt(contact.phone.number_encrypted)
