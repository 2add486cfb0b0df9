"""A young person who comes back: the passphrase they chose, and their earlier contacts.

Anonymous by design. A passphrase is never stored: only a slow hash to check it
(Django's password hasher) and an 8-character keyed hash that narrows the rows
to check, short enough that many passphrases share it. Guessing is limited per
network like starting chats. A passphrase opens only the conversations of its
own identity, and only the operator who holds a conversation of that identity
sees the list of the earlier ones (who read what is recorded).
"""

import datetime
import hashlib
import hmac
import unicodedata

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline import groups
from helpline.broadcast import broadcast_on_commit
from helpline.conversations import (
    ConversationError,
    ConversationNotFound,
    client_address_hash,
)
from helpline.models import ChatStartAttempt, Conversation, YouthIdentity

MIN_PASSPHRASE_CHARS = 12
MIN_PASSPHRASE_WORDS = 3


class WeakPassphrase(ConversationError):
    code = "weak_passphrase"

    def default_detail(self) -> str:
        return _("Cụm mật khẩu cần ít nhất 3 từ và 12 ký tự, ví dụ: mèo xanh ăn táo chiều.")


class PassphraseTaken(ConversationError):
    code = "passphrase_taken"

    def default_detail(self) -> str:
        return _("Cụm mật khẩu này không dùng được. Bạn hãy chọn cụm khác.")


class WrongPassphrase(ConversationError):
    code = "wrong_passphrase"

    def default_detail(self) -> str:
        return _("Không tìm thấy cuộc trò chuyện nào với cụm mật khẩu này.")


class TooManyTries(ConversationError):
    code = "too_many_tries"

    def default_detail(self) -> str:
        return _("Bạn đã thử quá nhiều lần. Bạn hãy thử lại sau một giờ.")


def passphrase_normal(passphrase: str) -> str:
    """Case, accents' encoding and spacing do not matter; the words do."""
    text = unicodedata.normalize("NFC", passphrase).casefold()
    return " ".join(text.split())


def _lookup(normal: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"passphrase:" + normal.encode(), hashlib.sha256).hexdigest()[:8]


def passphrase_checked(passphrase) -> str:
    if not isinstance(passphrase, str):
        raise WeakPassphrase()
    normal = passphrase_normal(passphrase)
    if len(normal) < MIN_PASSPHRASE_CHARS or len(normal.split()) < MIN_PASSPHRASE_WORDS:
        raise WeakPassphrase()
    if len(normal) > 200:
        raise WeakPassphrase()
    return normal


def identity_for_passphrase(normal: str) -> YouthIdentity | None:
    for identity in YouthIdentity.objects.filter(lookup=_lookup(normal)):
        if check_password(normal, identity.passphrase_hash):
            return identity
    return None


def _tries_allowed(client_address: str | None, at: datetime.datetime) -> str | None:
    if not client_address:
        return None
    address_hash = client_address_hash(client_address)
    recent = ChatStartAttempt.objects.filter(
        address_hash=address_hash,
        kind=ChatStartAttempt.Kind.PASSPHRASE,
        at__gt=at - datetime.timedelta(hours=1),
    ).count()
    if recent >= settings.CHAT_PASSPHRASE_TRIES_PER_HOUR:
        raise TooManyTries()
    return address_hash


def conversation_passphrase_set(
    *, conversation_id, passphrase, new: bool = True, client_address: str | None = None
) -> YouthIdentity:
    """Tie a young person's conversation to a passphrase.

    new=True chooses a passphrase for the first time: one that already opens
    someone's contacts is refused (it would let two people read each other's).
    new=False is a young person who comes back and lets the operator see their
    earlier contacts: the passphrase must be theirs already. A refused
    passphrase counts against the network like a wrong guess.
    """
    at = timezone.now()
    normal = passphrase_checked(passphrase)
    address_hash = _tries_allowed(client_address, at)
    identity = identity_for_passphrase(normal)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
        if conversation is None:
            raise ConversationNotFound()
        taken = new and identity is not None and identity.pk != conversation.youth_identity_id
        unknown = not new and identity is None
        if not (taken or unknown):
            return _attach(conversation, identity, normal, at)
    _record_try(address_hash, at)
    raise PassphraseTaken() if taken else WrongPassphrase()


def _attach(conversation, identity, normal: str, at) -> YouthIdentity:
    if identity is None:
        identity = YouthIdentity.objects.create(
            lookup=_lookup(normal), passphrase_hash=make_password(normal), created_at=at
        )
    identity.last_used_at = at
    identity.save(update_fields=["last_used_at"])
    conversation.youth_identity = identity
    if conversation.left_message and conversation.token_expires_at is not None:
        # A left message must still open when the young person comes back days later.
        conversation.token_expires_at = max(
            conversation.token_expires_at,
            at + datetime.timedelta(seconds=settings.CHAT_LEFT_MESSAGE_TTL_SECONDS),
        )
    conversation.save(update_fields=["youth_identity", "token_expires_at"])
    # The operator's console shows that this young person has earlier contacts.
    broadcast_on_commit(
        groups.conversation_group(conversation.pk),
        {"type": "chat.info", "conversation": str(conversation.pk)},
    )
    return identity


def _record_try(address_hash: str | None, at: datetime.datetime) -> None:
    if address_hash:
        ChatStartAttempt.objects.create(
            address_hash=address_hash, kind=ChatStartAttempt.Kind.PASSPHRASE, at=at
        )


def conversation_for_passphrase(
    *, passphrase, client_address: str | None = None, at: datetime.datetime | None = None
) -> Conversation:
    """The latest conversation of this passphrase that can still be opened, or WrongPassphrase."""
    at = at or timezone.now()
    normal = passphrase_checked(passphrase)
    address_hash = _tries_allowed(client_address, at)
    identity = identity_for_passphrase(normal)
    conversation = None
    if identity is not None:
        conversation = (
            identity.conversations.filter(token_expires_at__gt=at)
            .exclude(token_hash="")
            .select_related("hotline")
            .order_by("-created_at")
            .first()
        )
    if conversation is None:
        _record_try(address_hash, at)
        raise WrongPassphrase()
    return conversation


def earlier_contacts(*, conversation: Conversation) -> list[Conversation]:
    """The other conversations of the same young person (by passphrase), newest first."""
    if conversation.youth_identity_id is None:
        return []
    return list(
        Conversation.objects.filter(youth_identity_id=conversation.youth_identity_id)
        .exclude(pk=conversation.pk)
        .select_related("hotline", "case")
        .order_by("-created_at")[:20]
    )
