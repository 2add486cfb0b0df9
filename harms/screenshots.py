"""A young person sends a screenshot in their chat: stored like evidence, posted as a message.

The image is re-encoded and kept encrypted (images.py, storage.py) as an
EvidenceFile of the conversation, and a chat message carrying its id is posted
through helpline.conversations.message_post: it gets the next seq, the
operator's console receives it by the usual broadcast, and a resume delivers it
again. The same client_id twice stores nothing new and answers the first
message's seq.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from harms.images import EvidenceRefused, evidence_clean
from harms.models import EvidenceEvent, EvidenceFile, EvidenceKind, EvidenceSource, UploadAttempt
from harms.services import FilesWritten, evidence_files_write, file_event_record
from harms.storage import EvidenceKeyMissing, evidence_keys_check
from helpline import conversations
from helpline.models import Message, Sender

# The message's own text: neutral, since the console shows the image's placeholder.
ATTACHMENT_BODY = "[ảnh]"


class ScreenshotRefused(Exception):
    """Not stored: a code for the page and a message for the young person."""

    def __init__(self, code: str, message: str, status: int):
        self.code = code
        self.message = message
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class ScreenshotPosted:
    message: Message
    created: bool


def _existing(conversation_id, client_id: uuid.UUID) -> Message | None:
    return Message.objects.filter(conversation_id=conversation_id, client_id=client_id).first()


def _limits_checked(conversation, address_hash: str, at: datetime.datetime) -> None:
    """Refuse a flood: per network (every attempt counts) and per conversation (stored ones)."""
    hour_ago = at - datetime.timedelta(hours=1)
    if address_hash:
        recent = UploadAttempt.objects.filter(address_hash=address_hash, at__gt=hour_ago)
        if recent.count() >= settings.CHAT_UPLOADS_PER_NETWORK_PER_HOUR:
            raise _too_many()
        UploadAttempt.objects.create(address_hash=address_hash, at=at)
    stored = EvidenceFile.objects.filter(
        conversation=conversation, source=EvidenceSource.YOUTH, uploaded_at__gt=hour_ago
    )
    if stored.count() >= settings.CHAT_UPLOADS_PER_CONVERSATION_PER_HOUR:
        raise _too_many()


def _too_many() -> ScreenshotRefused:
    return ScreenshotRefused(
        "too_many_uploads",
        _(
            "Bạn đã gửi nhiều ảnh trong một giờ qua. Hãy thử lại sau, hoặc kể cho chúng tôi "
            "bằng lời."
        ),
        429,
    )


def chat_screenshot_post(
    *,
    token: str,
    client_id,
    data: bytes,
    client_address: str | None = None,
    at: datetime.datetime | None = None,
) -> ScreenshotPosted:
    """Store a young person's screenshot and post it in their chat, or raise ScreenshotRefused.

    Token errors come as helpline.conversations.ConversationError, like on the socket.
    """
    at = at or timezone.now()
    conversation = conversations.conversation_get_by_token(token=token, at=at)
    try:
        client_id = uuid.UUID(str(client_id))
    except (TypeError, ValueError):
        raise ScreenshotRefused(
            "invalid_field", _("Mã tin nhắn (client_id) không hợp lệ."), 400
        ) from None
    existing = _existing(conversation.pk, client_id)
    if existing is not None:
        return ScreenshotPosted(existing, created=False)
    if conversation.state in conversations.CLOSED_STATES:
        raise ScreenshotRefused("conversation_closed", _("Cuộc trao đổi đã kết thúc."), 409)
    address_hash = conversations.client_address_hash(client_address) if client_address else ""
    with transaction.atomic():
        _limits_checked(conversation, address_hash, at)
    try:
        evidence_keys_check()
    except EvidenceKeyMissing:
        raise ScreenshotRefused(
            "unavailable",
            _("Hiện chưa gửi được ảnh. Bạn hãy kể cho chúng tôi bằng lời nhé."),
            503,
        ) from None
    try:
        clean = evidence_clean(data, allow_pdf=False)
    except EvidenceRefused as refused:
        status = 413 if refused.code == "too_large" else 400
        raise ScreenshotRefused(refused.code, refused.message, status) from None
    try:
        with FilesWritten() as written:
            return _store_and_post(conversation, client_id, clean, at=at, written=written)
    except _AlreadyPosted as already:
        # A twin request with the same client_id won the race: its message stands, and
        # this one's file was erased on the way out.
        return already.posted


class _AlreadyPosted(Exception):
    def __init__(self, message: Message):
        self.posted = ScreenshotPosted(message, created=False)


@transaction.atomic
def _store_and_post(conversation, client_id, clean, *, at, written) -> ScreenshotPosted:
    file = EvidenceFile.objects.create(
        conversation=conversation,
        source=EvidenceSource.YOUTH,
        kind=EvidenceKind.IMAGE,
        content_type=clean.content_type,
        original_size=clean.original_size,
        original_sha256=clean.original_sha256,
        size=len(clean.data),
        sha256=clean.sha256,
        width=clean.width,
        height=clean.height,
        uploaded_at=at,
    )
    evidence_files_write(file, clean, written)
    try:
        message, created = conversations.message_post(
            conversation_id=conversation.pk,
            sender=Sender.YOUTH,
            body=ATTACHMENT_BODY,
            client_id=client_id,
            attachment=file.pk,
            attachment_kind=EvidenceKind.IMAGE,
            at=at,
        )
    except conversations.ConversationClosed:
        raise ScreenshotRefused(
            "conversation_closed", _("Cuộc trao đổi đã kết thúc."), 409
        ) from None
    if not created:
        raise _AlreadyPosted(message)
    file_event_record(file, user=None, at=at, action=EvidenceEvent.Action.UPLOADED, kind=file.kind)
    return ScreenshotPosted(message, created=True)
