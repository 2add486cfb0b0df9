"""A young person's message from a platform, into the same queue as every other contact.

platform_message_receive stores a message once (the platform's message id is
UNIQUE per account, and the chat message's client_id is derived from it), in
the young person's open conversation or a new one. A national account first
asks for the province: the young person's messages are held until they answer
(or CONNECTOR_PROVINCE_ANSWER_SECONDS pass, and central takes them), so the
conversation starts in the right hotline's queue with everything they wrote.

This runs inside the webhook. Images are fetched from the platform's CDN
first, outside the transaction (connectors/images.py); nothing else here
calls a platform: what the helpline says back leaves through
connectors/outbound.py after the commit.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from connectors import outbound
from connectors.base import InboundEvent, platform_client_id
from connectors.crypto import platform_user_hash, secret_decrypt, secret_encrypt
from connectors.images import (
    image_marker,
    image_notices_enqueue,
    images_fetch,
    images_held,
    images_hold,
    images_post,
    images_stage,
)
from connectors.models import (
    DeliveryStatus,
    Notice,
    PlatformAccount,
    PlatformContact,
    PlatformMessage,
    PlatformThread,
)
from connectors.notices import province_from_answer
from connectors.selectors import (
    contact_by_hash,
    contact_ids_awaiting_province,
    held_messages,
    inbound_for,
    thread_open_for_contact,
)
from harms.services import FilesWritten
from helpline import conversations
from helpline.models import Sender

# Marked here so makemessages finds them; translated when the message is stored.
ATTACHMENT_LABELS = {
    "gif": gettext_noop("Ảnh động"),
    "sticker": gettext_noop("Nhãn dán"),
    "file": gettext_noop("Tệp"),
    "audio": gettext_noop("Tin nhắn thoại"),
    "video": gettext_noop("Video"),
    "link": gettext_noop("Liên kết"),
    "location": gettext_noop("Vị trí"),
    "business_card": gettext_noop("Danh thiếp"),
}
# Kinds the young person may have meant as evidence: they are told it did not arrive (images
# are kept: connectors/images.py).
REFUSED_KINDS = {"gif", "file", "audio", "video"}


def platform_contact_get_or_create(*, account: PlatformAccount, user_id: str) -> PlatformContact:
    """The stored (encrypted) platform user, found by its lookup hash; stored once."""
    user_hash = platform_user_hash(
        platform=account.platform, account_id=account.external_id, user_id=user_id
    )
    contact = contact_by_hash(user_hash=user_hash)
    if contact is not None:
        return contact
    try:
        with transaction.atomic():
            return PlatformContact.objects.create(
                account=account, user_hash=user_hash, user_encrypted=secret_encrypt(user_id)
            )
    except IntegrityError:
        # A concurrent delivery stored the same person first.
        return PlatformContact.objects.get(user_hash=user_hash)


def _body(event: InboundEvent) -> str:
    """What the young person wrote, noting what is not kept; "" for images alone."""
    text = (event.text or "").strip()
    if not event.attachment:
        return text or ("" if event.image_urls else "…")
    label = _(ATTACHMENT_LABELS.get(event.attachment, gettext_noop("Tệp")))
    note = _("[%(kind)s: không hiển thị được ở đây]") % {"kind": label}
    return f"{text}\n{note}" if text else note


def _post(thread: PlatformThread, *, account, body: str, message_id: str, at):
    message, _created = conversations.message_post(
        conversation_id=thread.conversation_id,
        sender=Sender.YOUTH,
        body=body,
        client_id=platform_client_id(
            platform=account.platform, account_id=account.external_id, message_id=message_id
        ),
        at=at,
    )
    return message


def _post_all(thread, *, account, contact, body: str, images: list[dict], message_id, at):
    """Post a platform message's words, then its images; (first chat message, refusals).

    A message of images none of which was kept, with no words, still shows as the
    young person's message, so the operator knows something was sent.
    """
    first = (
        _post(thread, account=account, body=body, message_id=message_id, at=at) if body else None
    )
    posted, refusals = images_post(
        thread, account=account, contact=contact, message_id=message_id, items=images, at=at
    )
    first = first or posted
    if first is None:
        first = _post(thread, account=account, body=image_marker(), message_id=message_id, at=at)
    return first, refusals


def _inbound_record(
    *, account, contact, event, thread=None, message=None, status=None, held_images=()
):
    held = thread is None
    return PlatformMessage.objects.create(
        account=account,
        contact=contact,
        external_id=event.message_id,
        direction=PlatformMessage.Direction.INBOUND,
        conversation=thread.conversation if thread else None,
        message=message,
        held_body_encrypted=secret_encrypt(_body(event)) if held else "",
        held_images_encrypted=secret_encrypt(images_hold(held_images))
        if held and held_images
        else "",
        status=status or DeliveryStatus.RECEIVED,
        created_at=event.at,
    )


def _seen(thread: PlatformThread, *, message_id: str, at) -> None:
    thread.last_inbound_at = at
    thread.last_inbound_external_id = message_id
    thread.save(update_fields=["last_inbound_at", "last_inbound_external_id"])


def _thread_start(*, account, contact, province_code: str, at) -> PlatformThread:
    conversation, _token = conversations.conversation_start(
        channel=account.platform,
        hotline=account.hotline,
        province_code=province_code,
        at=at,
    )
    return PlatformThread.objects.create(
        conversation=conversation, contact=contact, last_inbound_at=at
    )


def _route_held(*, account, contact, province_code: str, at) -> PlatformThread:
    """Start the conversation the held messages were waiting for, and post them in order."""
    thread = _thread_start(account=account, contact=contact, province_code=province_code, at=at)
    refusals, had_images = [], False
    for held in held_messages(contact=contact):
        images = images_held(
            secret_decrypt(held.held_images_encrypted) if held.held_images_encrypted else ""
        )
        had_images = had_images or bool(images)
        held.message, refused = _post_all(
            thread,
            account=account,
            contact=contact,
            body=secret_decrypt(held.held_body_encrypted),
            images=images,
            message_id=held.external_id,
            at=held.created_at,
        )
        refusals += refused
        held.conversation = thread.conversation
        held.held_body_encrypted = held.held_images_encrypted = ""
        held.status = DeliveryStatus.RECEIVED
        held.save(
            update_fields=[
                "message",
                "conversation",
                "held_body_encrypted",
                "held_images_encrypted",
                "status",
                "updated_at",
            ]
        )
        _seen(thread, message_id=held.external_id, at=held.created_at)
    contact.province_asked_at = None
    contact.save(update_fields=["province_asked_at"])
    outbound.notice_enqueue(thread=thread, notice=Notice.RECEIVED, at=at)
    if had_images:
        image_notices_enqueue(thread, refusals=refusals, at=at)
    return thread


def _receive_in(
    thread: PlatformThread, *, account, contact, event, images, written, new=False
) -> PlatformMessage:
    """Post the message; a new conversation's young person is told they were heard."""
    message, refusals = _post_all(
        thread,
        account=account,
        contact=contact,
        body=_body(event),
        images=images_stage(images, written=written),
        message_id=event.message_id,
        at=event.at,
    )
    _seen(thread, message_id=event.message_id, at=event.at)
    record = _inbound_record(
        account=account, contact=contact, event=event, thread=thread, message=message
    )
    if new:
        outbound.notice_enqueue(thread=thread, notice=Notice.RECEIVED, at=event.at)
    if event.attachment in REFUSED_KINDS:
        outbound.notice_enqueue(thread=thread, notice=Notice.ATTACHMENT_REFUSED, at=event.at)
    if images:
        image_notices_enqueue(thread, refusals=refusals, at=event.at)
    return record


def _receive_national(*, account, contact, event, images, written) -> PlatformMessage:
    """No hotline on the account: ask the province, hold what comes until it is answered.

    Whatever is not an answer is held too (a young person often writes several
    messages before reading the question); the worker hands everything held to
    central once the question has waited CONNECTOR_PROVINCE_ANSWER_SECONDS.
    """
    code = None
    if contact.province_asked_at is not None and not images:
        code = province_from_answer(text=event.text, choice=event.choice)
    if code is None:
        # Images are kept on disk at once, and join the conversation with the words.
        record = _inbound_record(
            account=account,
            contact=contact,
            event=event,
            status=DeliveryStatus.HELD,
            held_images=images_stage(images, written=written),
        )
        if contact.province_asked_at is None:
            contact.province_asked_at = event.at
            contact.save(update_fields=["province_asked_at"])
            outbound.notice_enqueue_to_contact(
                contact=contact, notice=Notice.PROVINCE_QUESTION, at=event.at
            )
        return record
    # The answer routes the conversation; it is not itself something the young person said.
    thread = _route_held(account=account, contact=contact, province_code=code, at=event.at)
    _seen(thread, message_id=event.message_id, at=event.at)
    return _inbound_record(account=account, contact=contact, event=event, thread=thread)


def platform_message_receive(
    *, account: PlatformAccount, event: InboundEvent
) -> tuple[PlatformMessage, bool]:
    """Store a young person's message once; return (record, created).

    A repeated delivery finds the first one and fetches nothing. The images are
    fetched before the transaction, and their files erased if it fails.
    """
    existing = inbound_for(account=account, external_id=event.message_id)
    if existing is not None:
        return existing, False
    images = images_fetch(event)
    with FilesWritten() as written:
        return _receive(account=account, event=event, images=images, written=written)


@transaction.atomic
def _receive(*, account, event, images, written) -> tuple[PlatformMessage, bool]:
    contact = platform_contact_get_or_create(account=account, user_id=event.user_id)
    # One lock per person: two messages arriving together must not open two conversations.
    contact = PlatformContact.objects.select_for_update().get(pk=contact.pk)
    existing = inbound_for(account=account, external_id=event.message_id)
    if existing is not None:
        return existing, False
    thread = thread_open_for_contact(contact=contact)
    if thread is not None:
        try:
            # The files of an attempt that is rolled back go with it.
            with FilesWritten() as attempt, transaction.atomic():
                record = _receive_in(
                    thread,
                    account=account,
                    contact=contact,
                    event=event,
                    images=images,
                    written=attempt,
                )
            written.ids.extend(attempt.ids)
            return record, True
        except conversations.ConversationClosed:
            # The operator ended it between the lookup and now: the message opens a new one.
            pass
    if account.hotline_id is None:
        record = _receive_national(
            account=account, contact=contact, event=event, images=images, written=written
        )
        return record, True
    thread = _thread_start(account=account, contact=contact, province_code="", at=event.at)
    record = _receive_in(
        thread,
        account=account,
        contact=contact,
        event=event,
        images=images,
        written=written,
        new=True,
    )
    return record, True


def province_questions_expire(*, at: datetime.datetime | None = None) -> int:
    """Send to central the held messages of every question left unanswered too long."""
    at = at or timezone.now()
    asked_before = at - datetime.timedelta(seconds=settings.CONNECTOR_PROVINCE_ANSWER_SECONDS)
    routed = 0
    for contact_id in contact_ids_awaiting_province(asked_before=asked_before):
        with transaction.atomic():
            contact = (
                PlatformContact.objects.select_for_update()
                .select_related("account")
                .filter(pk=contact_id, province_asked_at__lte=asked_before)
                .first()
            )
            if contact is None:
                continue
            _route_held(account=contact.account, contact=contact, province_code="", at=at)
            routed += 1
    return routed
