"""The SMS state machine: every change to an SmsMessage goes through one function here.

An incoming text (sms_receive) joins the young person's live conversation with
the same hotline number, or opens a new one; delivery reports move an outgoing
text's status forward (sms_status_update). These run inside webhooks and never
call Twilio, so Twilio gets its answer fast.

An operator's reply is a chat message first, with its row and seq. It is then
recorded as owed by SMS (sms_outbound_prepare), claimed by one sender, sent
through the REST API and settled (sms_send), and sent again by the worker
while Twilio could not take it (sms_retry_pending).

Twilio repeats and reorders callbacks. Each record is found by Twilio's id under
a row lock, and statuses only move forward, so a repeat changes nothing.
"""

import datetime
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from twilio.base.exceptions import TwilioException, TwilioRestException

from helpline import conversations
from helpline.models import Channel, Message, Sender
from telephony import twiml
from telephony.models import PhoneContact, PhoneNumber, SmsMessage, SmsStatus
from telephony.phone import phone_decrypt, phone_normalize
from telephony.selectors import (
    phone_contact_get,
    province_code_for,
    route_sms,
    sms_contact_continuing,
    sms_for_sid,
    sms_ids_awaiting_send,
)
from telephony.services import phone_number_get_or_create, staff_push
from telephony.twilio_client import TwilioNotConfigured, twilio_rest_client

logger = logging.getLogger(__name__)

# client_id of an inbound SMS's chat message: derived from the MessageSid, so a
# repeated webhook maps to the same message even past the SmsMessage check.
SMS_CLIENT_ID_NAMESPACE = uuid.UUID("6f1e0d1c-8a43-4c55-9a3e-5b0c2f7a9e11")
# Twilio errors that will fail again however often they are retried
# (invalid or unsubscribed number, unreachable destination...): 4xx but 429.
RETRYABLE_HTTP_STATUSES = {429}
SMS_STATUS_RANK_KEYS = {choice.value for choice in SmsStatus}
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
    phone = phone_number_get_or_create(number=from_number)
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


def _sms_status_push(sms: SmsMessage) -> None:
    notice = ""
    if sms.status in (SmsStatus.FAILED, SmsStatus.UNDELIVERED):
        notice = _(SMS_FAILED_NOTICE) % {"seq": sms.message.seq}
    if sms.status in (SmsStatus.DELIVERED, SmsStatus.FAILED, SmsStatus.UNDELIVERED):
        staff_push(user_id=_sms_author_id(sms), frame=_sms_status_frame(sms, notice=notice))


# ---------------------------------------------------------------- outside webhooks


def sms_outbound_prepare(*, message: Message) -> SmsMessage | None:
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
    staff_push(user_id=_sms_author_id(sms), frame=frame)
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
