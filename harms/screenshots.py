"""A young person sends a screenshot in their chat: stored like evidence, posted as a message.

One pipeline, whatever brought the image: the web chat (POST /chat/upload/,
chat_screenshot_post) or a messaging platform (connectors/inbound.py, which
fetches the image from the platform and calls the steps below itself):

1. screenshot_limits_check: one try more from this sender (a network, or a
   platform user) and one image more in this conversation, or a refusal;
2. screenshot_clean: re-encoded without metadata (images.py), or a refusal;
3. screenshot_stage: written encrypted to disk (storage.py) under a new id;
4. screenshot_post: an EvidenceFile of the conversation, and a chat message
   carrying its id posted through helpline.conversations.message_post: it gets
   the next seq, the operator's console receives it by the usual broadcast, and
   a resume delivers it again. The same client_id twice stores nothing new and
   answers the first message's seq.
"""

import datetime
import uuid
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from harms.images import CleanFile, EvidenceRefused, evidence_clean
from harms.models import EvidenceEvent, EvidenceFile, EvidenceKind, EvidenceSource, UploadAttempt
from harms.services import FilesWritten, file_event_record
from harms.storage import (
    CONTENT,
    THUMBNAIL,
    EvidenceKeyMissing,
    evidence_erase,
    evidence_keys_check,
    evidence_keys_configured,
    evidence_write,
)
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


@dataclass(frozen=True)
class StagedScreenshot:
    """An image kept encrypted on disk, not yet a file of any conversation.

    Its fields are plain values, so that a caller may keep it (encrypted) and
    post it later: a national Zalo account holds a young person's messages
    until they name their province.
    """

    file_id: str
    content_type: str
    original_size: int
    original_sha256: str
    size: int
    sha256: str
    width: int | None
    height: int | None

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "StagedScreenshot":
        return cls(**values)


def _existing(conversation_id, client_id: uuid.UUID) -> Message | None:
    return Message.objects.filter(conversation_id=conversation_id, client_id=client_id).first()


def screenshot_limits_check(*, conversation, sender_key: str, at: datetime.datetime) -> None:
    """Refuse a flood: per sender (every try counts) and per conversation (stored ones).

    sender_key is a keyed hash naming who sends: the network of a web chat, the
    platform user of a Zalo or Messenger conversation. Run it in a transaction:
    a refusal after the try was counted takes the count back.
    """
    hour_ago = at - datetime.timedelta(hours=1)
    if sender_key:
        recent = UploadAttempt.objects.filter(address_hash=sender_key, at__gt=hour_ago)
        if recent.count() >= settings.CHAT_UPLOADS_PER_NETWORK_PER_HOUR:
            raise _too_many()
        UploadAttempt.objects.create(address_hash=sender_key, at=at)
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


def screenshots_available() -> bool:
    """Whether images can be kept at all (an evidence key is configured)."""
    return evidence_keys_configured()


def screenshot_clean(data: bytes) -> CleanFile:
    """What is kept of an image (no metadata), or ScreenshotRefused; nothing without a key."""
    try:
        evidence_keys_check()
    except EvidenceKeyMissing:
        raise ScreenshotRefused(
            "unavailable",
            _("Hiện chưa gửi được ảnh. Bạn hãy kể cho chúng tôi bằng lời nhé."),
            503,
        ) from None
    try:
        return evidence_clean(data, allow_pdf=False)
    except EvidenceRefused as refused:
        status = 413 if refused.code == "too_large" else 400
        raise ScreenshotRefused(refused.code, refused.message, status) from None


def screenshot_stage(clean: CleanFile, *, written: FilesWritten) -> StagedScreenshot:
    """Write the image and its blurred thumbnail, encrypted, under a new id.

    `written` erases them if the caller's block fails; a staged image that is
    never posted must be given to screenshot_discard.
    """
    file_id = uuid.uuid4()
    written.ids.append(file_id)
    evidence_write(file_id, CONTENT, clean.data)
    evidence_write(file_id, THUMBNAIL, clean.thumbnail)
    return StagedScreenshot(
        file_id=str(file_id),
        content_type=clean.content_type,
        original_size=clean.original_size,
        original_sha256=clean.original_sha256,
        size=len(clean.data),
        sha256=clean.sha256,
        width=clean.width,
        height=clean.height,
    )


def screenshot_discard(staged: StagedScreenshot) -> None:
    """Erase a staged image that will not be posted."""
    evidence_erase(uuid.UUID(staged.file_id))


class _AlreadyPosted(Exception):
    def __init__(self, message: Message):
        self.posted = ScreenshotPosted(message, created=False)


def screenshot_post(
    *, conversation, client_id: uuid.UUID, staged: StagedScreenshot, at: datetime.datetime
) -> ScreenshotPosted:
    """Make a staged image a file of the conversation and post it as the young person's message.

    The same client_id again answers the first message and erases this staged
    image. A closed conversation raises ScreenshotRefused (conversation_closed).
    """
    try:
        return _post(conversation, client_id, staged, at=at)
    except _AlreadyPosted as already:
        # A twin with the same client_id won the race: its message stands, this file goes.
        screenshot_discard(staged)
        return already.posted


@transaction.atomic
def _post(conversation, client_id, staged: StagedScreenshot, *, at) -> ScreenshotPosted:
    file = EvidenceFile.objects.create(
        id=uuid.UUID(staged.file_id),
        conversation=conversation,
        source=EvidenceSource.YOUTH,
        kind=EvidenceKind.IMAGE,
        content_type=staged.content_type,
        original_size=staged.original_size,
        original_sha256=staged.original_sha256,
        size=staged.size,
        sha256=staged.sha256,
        width=staged.width,
        height=staged.height,
        uploaded_at=at,
    )
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
        screenshot_limits_check(conversation=conversation, sender_key=address_hash, at=at)
    clean = screenshot_clean(data)
    with FilesWritten() as written:
        staged = screenshot_stage(clean, written=written)
        return screenshot_post(conversation=conversation, client_id=client_id, staged=staged, at=at)
