"""Replies through the platforms: stored first, then sent, retried, and reported to the console.

An operator's reply is a chat message first, with its row and seq. It is then
recorded as owed to the platform (operator_reply_prepare), or refused at once
when the platform's reply window is closed, with the reason on the author's
console. One sender claims it (the row moves to "sending" under a lock), calls
the platform and settles the result: sent; tried again after
CONNECTOR_RETRY_BASE_SECONDS × 2^(attempts − 1) while the platform could not
take it, up to CONNECTOR_SEND_MAX_ATTEMPTS; or not delivered. Replies to one
young person leave in the order they were written: one waits while an
earlier one is still owed.

The first attempt leaves from a small pool of threads right after the commit,
so neither a socket nor a webhook waits on a platform; the worker
(connectors.jobs) sends what is due again, and what a dead process left
"sending" for five minutes. A reply whose process died after the platform took
it can therefore go out twice: at least once, never silently lost.
"""

import datetime
import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import messenger
from connectors.base import Outcome, SendResult, adapter
from connectors.delivery import (
    RETRYING,
    failed_notice,
    reply_status_push,
    reply_window_push,
    retry_notice,
)
from connectors.models import DeliveryStatus, Notice, Platform, PlatformMessage
from connectors.notices import notice_text, province_choices
from connectors.selectors import (
    replies_since_inbound,
    reply_earlier_unsent,
    reply_get_for_user,
    reply_ids_due,
    thread_for_conversation,
)
from helpline import conversations
from helpline.models import ConversationState, Sender

logger = logging.getLogger(__name__)

STALE_SENDING = datetime.timedelta(minutes=5)
_executor: ThreadPoolExecutor | None = None


# ---------------------------------------------------------------- recording what is owed


def _queue(reply: PlatformMessage) -> None:
    reply_id = reply.pk
    transaction.on_commit(lambda: dispatch(reply_id))


def notice_enqueue(
    *, thread, notice: str, at: datetime.datetime, reason: str = ""
) -> PlatformMessage:
    """Say one of the helpline's own messages in the conversation, where the operator sees it."""
    message, _created = conversations.message_post(
        conversation_id=thread.conversation_id,
        sender=Sender.SYSTEM,
        body=notice_text(notice, reason=reason),
        at=at,
    )
    reply = PlatformMessage.objects.create(
        account_id=thread.contact.account_id,
        contact=thread.contact,
        direction=PlatformMessage.Direction.OUTBOUND,
        conversation_id=thread.conversation_id,
        message=message,
        notice=notice,
        status=DeliveryStatus.PENDING,
        next_attempt_at=at,
        created_at=at,
    )
    _queue(reply)
    return reply


def notice_enqueue_to_contact(*, contact, notice: str, at: datetime.datetime) -> PlatformMessage:
    """A message to a young person who has no conversation yet (the province question)."""
    reply = PlatformMessage.objects.create(
        account_id=contact.account_id,
        contact=contact,
        direction=PlatformMessage.Direction.OUTBOUND,
        notice=notice,
        status=DeliveryStatus.PENDING,
        next_attempt_at=at,
        created_at=at,
    )
    _queue(reply)
    return reply


@transaction.atomic
def operator_reply_prepare(*, message, at: datetime.datetime | None = None):
    """Record that an operator's message must go out through its platform. Safe to call twice.

    Returns None for other channels. A reply the platform's rules forbid now is
    recorded as window_closed and its author's console is told why at once.
    """
    conversation = message.conversation
    if conversation.channel not in Platform.values or message.sender != Sender.OPERATOR:
        return None
    thread = thread_for_conversation(conversation_id=conversation.pk)
    if thread is None:
        return None
    existing = PlatformMessage.objects.filter(message=message).first()
    if existing is not None:
        return existing
    at = at or timezone.now()
    window = adapter(conversation.channel).reply_window(
        thread=thread, at=at, replies_since_inbound=replies_since_inbound(thread=thread)
    )
    reply = PlatformMessage.objects.create(
        account_id=thread.contact.account_id,
        contact=thread.contact,
        direction=PlatformMessage.Direction.OUTBOUND,
        conversation=conversation,
        message=message,
        status=DeliveryStatus.PENDING if window.open else DeliveryStatus.WINDOW_CLOSED,
        error_code=window.code,
        next_attempt_at=at,
        created_at=at,
    )
    if not window.open:
        reply_window_push(reply, window.code, tag=window.tag)
    return reply


# ---------------------------------------------------------------- sending


def dispatch(reply_id: int) -> None:
    """Send now: from the pool of threads (served processes) or right here (tests, commands)."""
    global _executor
    if not settings.CONNECTOR_SEND_IN_BACKGROUND:
        _send_logged(reply_id)
        return
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="connector-send")
    _executor.submit(_send_in_thread, reply_id)


def _send_in_thread(reply_id: int) -> None:
    close_old_connections()
    try:
        _send_logged(reply_id)
    finally:
        close_old_connections()


def _send_logged(reply_id: int) -> None:
    try:
        platform_reply_send(reply_id=reply_id)
    except Exception as error:
        # The class only: an exception's text may quote the message. The worker tries again.
        logger.error("connector send failed: reply=%s error=%s", reply_id, type(error).__name__)


def _claim(reply_id: int, *, at, stale_before) -> PlatformMessage | None:
    """Mark a due reply as being sent, so two senders never send it at once."""
    with transaction.atomic():
        reply = (
            PlatformMessage.objects.select_for_update(of=("self",))
            .select_related("account", "contact", "message")
            .filter(pk=reply_id, direction=PlatformMessage.Direction.OUTBOUND)
            .first()
        )
        if reply is None:
            return None
        due = reply.status == DeliveryStatus.PENDING and (
            reply.next_attempt_at is None or reply.next_attempt_at <= at
        )
        stale = (
            reply.status == DeliveryStatus.SENDING
            and stale_before is not None
            and reply.updated_at < stale_before
        )
        if not (due or stale) or reply_earlier_unsent(reply=reply):
            return None
        reply.status = DeliveryStatus.SENDING
        reply.attempts += 1
        reply.save(update_fields=["status", "attempts", "updated_at"])
        return reply


def _parts(text: str, limit: int) -> list[str]:
    """A long reply in pieces the platform takes, split at a line or a space where possible."""
    parts = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


def platform_reply_send(
    *, reply_id: int, at: datetime.datetime | None = None, stale_before=None
) -> PlatformMessage | None:
    """Send one owed reply through its platform (resuming a long one after its last part)."""
    at = at or timezone.now()
    reply = _claim(reply_id, at=at, stale_before=stale_before)
    if reply is None:
        return None
    module = adapter(reply.account.platform)
    thread = thread_for_conversation(conversation_id=reply.conversation_id)
    text = reply.message.body if reply.message is not None else notice_text(reply.notice)
    parts = _parts(text, module.MAX_TEXT_CHARS)
    choices = province_choices() if reply.notice == Notice.PROVINCE_QUESTION else ()
    result, sent = SendResult(Outcome.SENT), reply.parts_sent
    for index in range(reply.parts_sent, len(parts)):
        try:
            result = module.send_text(
                account=reply.account,
                contact=reply.contact,
                thread=thread,
                text=parts[index],
                tag=reply.tag,
                choices=choices if index == len(parts) - 1 else (),
                at=at,
            )
        except Exception as error:
            logger.error(
                "connector send crashed: reply=%s error=%s", reply.pk, type(error).__name__
            )
            result = SendResult(Outcome.RETRY, error_code="error")
        if result.outcome != Outcome.SENT:
            break
        sent = index + 1
    return _settle(reply.pk, result=result, parts_sent=sent, at=at)


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.CONNECTOR_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


@transaction.atomic
def _settle(reply_id: int, *, result: SendResult, parts_sent: int, at) -> PlatformMessage:
    reply = (
        PlatformMessage.objects.select_for_update(of=("self",))
        .select_related("account", "message")
        .get(pk=reply_id)
    )
    reply.parts_sent = parts_sent
    reply.error_code = result.error_code
    if result.outcome == Outcome.SENT:
        reply.status = DeliveryStatus.SENT
        taken = PlatformMessage.objects.filter(
            account_id=reply.account_id, external_id=result.external_id
        )
        reply.external_id = (
            result.external_id if result.external_id and not taken.exists() else None
        )
        reply_status_push(reply, status=DeliveryStatus.SENT)
    elif result.outcome == Outcome.WINDOW:
        reply.status = DeliveryStatus.WINDOW_CLOSED
        window = adapter(reply.account.platform).reply_window(
            thread=thread_for_conversation(conversation_id=reply.conversation_id),
            at=at,
            replies_since_inbound=0,
        )
        # Kept as the code the console explains, so that a reload explains it the same way;
        # the platform's own code goes to the log.
        reply.error_code = window.code or f"{reply.account.platform}_window"
        logger.info(
            "connector reply refused by the window: reply=%s error=%s", reply.pk, result.error_code
        )
        reply_window_push(reply, reply.error_code, tag="" if reply.tag else window.tag)
    elif result.outcome == Outcome.RETRY and reply.attempts < settings.CONNECTOR_SEND_MAX_ATTEMPTS:
        reply.status = DeliveryStatus.PENDING
        reply.next_attempt_at = at + _backoff(reply.attempts)
        reply_status_push(
            reply, status=RETRYING, code=result.error_code, notice=retry_notice(reply)
        )
    else:
        reply.status = DeliveryStatus.FAILED
        reply_status_push(
            reply,
            status=DeliveryStatus.FAILED,
            code=result.error_code,
            notice=failed_notice(reply),
        )
        logger.warning(
            "connector reply not delivered: reply=%s error=%s", reply.pk, result.error_code
        )
    reply.save(
        update_fields=[
            "status",
            "external_id",
            "error_code",
            "parts_sent",
            "next_attempt_at",
            "updated_at",
        ]
    )
    if reply.status != DeliveryStatus.PENDING:
        # Whatever waited behind this one may leave now.
        contact_id = reply.contact_id
        transaction.on_commit(lambda: _dispatch_next(contact_id, at=at))
    return reply


def _dispatch_next(contact_id: int, *, at) -> None:
    waiting = (
        PlatformMessage.objects.filter(
            contact_id=contact_id,
            direction=PlatformMessage.Direction.OUTBOUND,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=at,
        )
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if waiting is not None:
        dispatch(waiting)


def platform_replies_send_due(*, at: datetime.datetime | None = None) -> int:
    """Send every reply whose next attempt is due (and those a dead process left sending)."""
    at = at or timezone.now()
    sent = 0
    for reply_id in reply_ids_due(at=at, stale_before=at - STALE_SENDING):
        reply = platform_reply_send(reply_id=reply_id, at=at, stale_before=at - STALE_SENDING)
        sent += reply is not None and reply.status == DeliveryStatus.SENT
    return sent


# ---------------------------------------------------------------- the operator's choice


@transaction.atomic
def platform_reply_human_agent(*, user, reply_id: int, at: datetime.datetime | None = None):
    """Send a Messenger reply refused by the 24-hour window with the HUMAN_AGENT tag.

    Only its author, while holding the conversation, and only while policy
    allows the tag (7 days from the young person's last message, with the
    Human Agent feature approved).
    """
    at = at or timezone.now()
    reply = reply_get_for_user(user=user, reply_id=reply_id, for_update=True)
    conversation = reply.conversation
    if (
        reply.message is None
        or reply.message.author_id != user.pk
        or conversation.operator_id != user.pk
        or conversation.state != ConversationState.ACTIVE
    ):
        raise conversations.NotAllowed()
    thread = thread_for_conversation(conversation_id=conversation.pk)
    if (
        reply.account.platform != Platform.MESSENGER
        or reply.status != DeliveryStatus.WINDOW_CLOSED
        or not messenger.tag_allowed(thread=thread, tag=messenger.HUMAN_AGENT_TAG, at=at)
    ):
        raise conversations.NotAllowed(
            _("Tin nhắn này không còn được gửi với thẻ HUMAN_AGENT theo chính sách của Messenger.")
        )
    reply.tag = messenger.HUMAN_AGENT_TAG
    reply.status = DeliveryStatus.PENDING
    reply.attempts = 0
    reply.next_attempt_at = at
    reply.error_code = ""
    reply.save(
        update_fields=["tag", "status", "attempts", "next_attempt_at", "error_code", "updated_at"]
    )
    reply_status_push(reply, status=DeliveryStatus.PENDING)
    _queue(reply)
    return reply
