"""Every change to a conversation goes through one function here.

Each function runs in one transaction and broadcasts only after it committed
(transaction.on_commit): the channel layer is a signal that something changed,
and a lost signal is repaired by the sockets reading the database again.
"""

import datetime
import hashlib
import hmac
import ipaddress
import secrets
import uuid

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from helpline import groups, payloads, signals
from helpline.broadcast import broadcast_on_commit
from helpline.models import (
    AgeGroup,
    Channel,
    ChatStartAttempt,
    Conversation,
    ConversationState,
    Hotline,
    Message,
    Risk,
    Sender,
    User,
)
from helpline.selectors import (
    CLOSED_CONVERSATION_STATES,
    conversation_get_for_user,
    operator_load,
    queue_scope,
)

CLOSED_STATES = CLOSED_CONVERSATION_STATES


def max_message_chars() -> int:
    return getattr(settings, "CHAT_MAX_MESSAGE_CHARS", 4000)


def queued_grace_seconds() -> int:
    return getattr(settings, "CHAT_QUEUED_GRACE_SECONDS", 90)


class ConversationError(Exception):
    """A change that cannot be made; code goes on the wire, the text to people."""

    code = "invalid"

    def __init__(self, detail: str | None = None, *, code: str | None = None, **extra):
        self.detail = detail or self.default_detail()
        if code:
            self.code = code
        self.extra = extra
        super().__init__(self.detail)

    def default_detail(self) -> str:
        return _("Yêu cầu không hợp lệ.")


class ConversationNotFound(ConversationError):
    code = "not_found"

    def default_detail(self) -> str:
        return _("Không tìm thấy cuộc trao đổi.")


class ConversationAlreadyTaken(ConversationError):
    code = "already_taken"

    def default_detail(self) -> str:
        return _("Cuộc trao đổi này đã có tư vấn viên khác nhận.")


class CapacityReached(ConversationError):
    code = "capacity_reached"

    def default_detail(self) -> str:
        return _("Bạn đang trao đổi đủ số cuộc tối đa cùng lúc.")


class ConversationClosed(ConversationError):
    code = "conversation_closed"

    def default_detail(self) -> str:
        return _("Cuộc trao đổi đã kết thúc.")


class NotAllowed(ConversationError):
    code = "not_allowed"

    def default_detail(self) -> str:
        return _("Bạn không được thực hiện thao tác này với cuộc trao đổi.")


class VoiceChannel(ConversationError):
    code = "voice_channel"

    def default_detail(self) -> str:
        return _("Đây là cuộc gọi điện thoại: không gửi được tin nhắn văn bản.")


class InvalidToken(ConversationError):
    code = "invalid_token"

    def default_detail(self) -> str:
        return _("Mã tiếp tục trò chuyện không đúng.")


class TokenExpired(ConversationError):
    code = "token_expired"

    def default_detail(self) -> str:
        return _("Mã tiếp tục trò chuyện đã hết hạn. Bạn hãy bắt đầu cuộc trò chuyện mới.")


class TooManyChats(ConversationError):
    code = "too_many_chats"

    def default_detail(self) -> str:
        return _("Có quá nhiều cuộc trò chuyện đang chờ từ mạng của bạn. Bạn hãy thử lại sau.")


class TooManyStarts(ConversationError):
    code = "too_many_starts"

    def default_detail(self) -> str:
        return _(
            "Có quá nhiều cuộc trò chuyện vừa được bắt đầu từ mạng của bạn. "
            "Bạn hãy thử lại sau ít phút."
        )


class CaseClosed(ConversationError):
    code = "case_closed"

    def default_detail(self) -> str:
        return _("Hồ sơ đã đóng: hãy mở lại hồ sơ trước khi gắn cuộc trao đổi.")


class InvalidHotline(ConversationError):
    code = "invalid_hotline"

    def default_detail(self) -> str:
        return _("Tổng đài chuyển đến không hợp lệ.")


class InvalidField(ConversationError):
    code = "invalid_field"


# --- broadcasting ---------------------------------------------------------------


def _queue_changed_on_commit(*hotline_ids: int) -> None:
    # The change's id lets every socket that hears it share one read of the queue.
    change = uuid.uuid4().hex
    for hotline_id in set(hotline_ids):
        broadcast_on_commit(
            groups.hotline_queue_group(hotline_id), {"type": "queue.changed", "change": change}
        )
    # Central consoles see provincial overflow too, so every change concerns them.
    broadcast_on_commit(
        groups.central_overflow_group(), {"type": "queue.changed", "change": change}
    )


def _state_changed_on_commit(conversation: Conversation) -> None:
    broadcast_on_commit(
        groups.conversation_group(conversation.pk),
        {
            "type": "chat.state",
            "conversation": str(conversation.pk),
            "state": conversation.state,
            "reason": conversation.ended_reason,
            "hotline_id": conversation.hotline_id,
        },
    )
    # The supervisors' boards count active and finished conversations too, which
    # the queue groups do not hear of when an answered chat ends.
    broadcast_on_commit(
        groups.board_group(),
        {
            "type": "board.changed",
            "change": uuid.uuid4().hex,
            "hotline_id": conversation.hotline_id,
        },
    )


# --- tokens -------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_address_hash(address: str) -> str:
    """A keyed hash of the network a young person writes from; the address itself is never stored.

    An IPv6 host usually owns a whole /64 and can pick any address in it, so
    for IPv6 the /64 is what is counted. An IPv4 address is counted as itself.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        if ip.version == 6 and ip.ipv4_mapped is not None:
            network = str(ip.ipv4_mapped)
        elif ip.version == 6:
            network = str(ipaddress.ip_network(f"{ip}/64", strict=False))
        else:
            network = str(ip)
    return hmac.new(settings.SECRET_KEY.encode(), network.encode(), hashlib.sha256).hexdigest()


def _chat_start_allowed(address_hash: str, at: datetime.datetime) -> None:
    """Refuse a start from an address that started too many chats lately, or has too many queued.

    What is limited is starting chats, not having them: a school or a mobile
    network puts many young people behind one address, and each of them whose
    chat was answered no longer counts. Only the starts of the last hour are
    kept, as keyed hashes with a time, and the worker deletes older ones.
    """
    if connection.vendor == "postgresql":
        # Two starts from one address at once must not both slip under the limit.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(address_hash[:15], 16)])
    starts = ChatStartAttempt.objects.filter(
        address_hash=address_hash, kind=ChatStartAttempt.Kind.START
    )
    minute_ago = at - datetime.timedelta(seconds=60)
    hour_ago = at - datetime.timedelta(seconds=3600)
    if (
        starts.filter(at__gt=minute_ago).count() >= settings.CHAT_STARTS_PER_MINUTE
        or starts.filter(at__gt=hour_ago).count() >= settings.CHAT_STARTS_PER_HOUR
    ):
        raise TooManyStarts()
    queued = Conversation.objects.filter(
        youth_ip_hash=address_hash, state=ConversationState.QUEUED
    ).count()
    if queued >= settings.CHAT_MAX_QUEUED_PER_ADDRESS:
        raise TooManyChats()
    ChatStartAttempt.objects.create(address_hash=address_hash, at=at)


def chat_start_attempts_purge(*, at: datetime.datetime | None = None) -> int:
    """Forget the starts that no limit looks at any more (older than an hour)."""
    cutoff = (at or timezone.now()) - datetime.timedelta(seconds=3600)
    deleted, _detail = ChatStartAttempt.objects.filter(at__lte=cutoff).delete()
    return deleted


def _overflow_at(hotline: Hotline, at: datetime.datetime) -> datetime.datetime | None:
    if hotline.is_central:
        return None
    if not hotline.is_open(at):
        return at
    return at + datetime.timedelta(seconds=settings.CENTRAL_OVERFLOW_SECONDS)


# --- starting and resuming ------------------------------------------------------


@transaction.atomic
def conversation_start(
    *,
    channel: str,
    hotline: Hotline | None,
    province_code: str = "",
    language: str = "vi",
    age_group: str = "",
    risk: str = "",
    at: datetime.datetime | None = None,
    client_address: str | None = None,
    danger: bool = False,
    left_message: bool = False,
) -> tuple[Conversation, str | None]:
    """Put a new conversation in a hotline's queue.

    A web chat gets a secret token (256 bits) for resuming; only its SHA-256
    hash is stored. No hotline means the province's hotline, or central.
    danger: the young person said they are in danger now (imminent risk, and
    central sees it at once). left_message: nobody could answer, so the young
    person leaves a message and comes back later to read the answer.
    """
    if channel not in Channel.values:
        raise InvalidField(_("Kênh không hợp lệ."), field="channel")
    if age_group and age_group not in AgeGroup.values:
        raise InvalidField(_("Nhóm tuổi không hợp lệ."), field="age_group")
    if risk and risk not in Risk.values:
        raise InvalidField(_("Mức độ rủi ro không hợp lệ."), field="risk")
    if hotline is None:
        from helpline.selectors import hotline_for_province

        hotline = hotline_for_province(province_code)
    at = at or timezone.now()
    token = None
    conversation = Conversation(
        channel=channel,
        hotline=hotline,
        province_code=province_code or ("" if hotline.is_central else hotline.code),
        language=language if language in ("vi", "en") else "vi",
        age_group=age_group,
        risk=risk,
        created_at=at,
        queued_at=at,
        overflow_at=_overflow_at(hotline, at),
        left_message=left_message and channel == Channel.WEBCHAT,
    )
    if danger:
        _mark_danger(conversation, at)
    if channel == Channel.WEBCHAT:
        if client_address:
            address_hash = client_address_hash(client_address)
            _chat_start_allowed(address_hash, at)
            # Kept only while queued: it counts queued chats per address.
            conversation.youth_ip_hash = address_hash
        token = secrets.token_urlsafe(32)
        conversation.token_hash = token_hash(token)
        lifetime = (
            settings.CHAT_LEFT_MESSAGE_TTL_SECONDS
            if conversation.left_message
            else settings.CHAT_TOKEN_TTL_SECONDS
        )
        conversation.token_expires_at = at + datetime.timedelta(seconds=lifetime)
        conversation.youth_seen_at = at
    conversation.save()
    _queue_changed_on_commit(hotline.pk)
    return conversation, token


def conversation_get_by_token(*, token: str, at: datetime.datetime | None = None) -> Conversation:
    """The web chat this token opens, or InvalidToken / TokenExpired."""
    if not isinstance(token, str) or not token or len(token) > 200:
        raise InvalidToken()
    conversation = (
        Conversation.objects.filter(token_hash=token_hash(token), channel=Channel.WEBCHAT)
        .select_related("hotline")
        .first()
    )
    if conversation is None:
        raise InvalidToken()
    if conversation.token_expires_at is None or conversation.token_expires_at <= (
        at or timezone.now()
    ):
        raise TokenExpired()
    return conversation


def conversation_resume(*, token: str, at: datetime.datetime | None = None) -> Conversation:
    """Reopen a web chat by its token and mark the young person as seen."""
    at = at or timezone.now()
    conversation = conversation_get_by_token(token=token, at=at)
    conversation_youth_seen(conversation_id=conversation.pk, at=at)
    conversation.youth_seen_at = at
    return conversation


def conversation_youth_seen(*, conversation_id, at: datetime.datetime | None = None) -> None:
    """Record that the young person's socket is alive (a plain field, not the state)."""
    Conversation.objects.filter(pk=conversation_id).update(youth_seen_at=at or timezone.now())


def conversations_youth_seen(*, conversation_ids, at: datetime.datetime | None = None) -> int:
    """Record that these young people's sockets are alive, for the ones still queued.

    Only a queued chat can time out, so only those are written. Returns how many.
    """
    return Conversation.objects.filter(
        pk__in=list(conversation_ids), state=ConversationState.QUEUED
    ).update(youth_seen_at=at or timezone.now())


# --- accepting ------------------------------------------------------------------


@transaction.atomic
def conversation_accept(*, user, conversation_id, at: datetime.datetime | None = None):
    """Give a queued conversation to this operator. Exactly one of two racers wins.

    The conversation row is locked, and the state machine's optimistic lock
    (ConcurrentTransitionMixin) refuses the save if the state moved anyway.
    The operator's own row is locked too, so two accepts by one operator
    cannot both squeeze under the capacity.
    """
    if not getattr(user, "is_hotline_staff", False):
        raise NotAllowed()
    at = at or timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    try:
        conversation = conversation_get_for_user(
            user=user, conversation_id=conversation_id, for_update=True, at=at
        )
    except Http404:
        # Accepted by someone else moments ago: a central operator no longer
        # sees an overflowed conversation once it left the queue. Anything that
        # was never in this user's queue is as missing as an unknown id.
        if (
            Conversation.objects.filter(pk=_uuid_or_none(conversation_id))
            .filter(queue_scope(user=user, at=at))
            .exclude(state=ConversationState.QUEUED)
            .exists()
        ):
            raise ConversationAlreadyTaken() from None
        raise ConversationNotFound() from None
    if conversation.state in CLOSED_STATES:
        raise ConversationClosed()
    if conversation.state != ConversationState.QUEUED:
        raise ConversationAlreadyTaken()
    in_scope = Conversation.objects.filter(pk=conversation.pk).filter(queue_scope(user=user, at=at))
    if not in_scope.exists():
        raise ConversationNotFound()
    if operator_load(user=user) >= settings.OPERATOR_CAPACITY:
        raise CapacityReached()
    from helpline.contacts import wrap_up_required_check

    wrap_up_required_check(user=user, at=at)
    try:
        conversation.accept(operator=user, at=at)
        # The address hash counts queued chats only: an answered chat forgets it.
        conversation.youth_ip_hash = ""
        conversation.save(update_fields=["state", "operator", "answered_at", "youth_ip_hash"])
    except (TransitionNotAllowed, ConcurrentTransition):
        raise ConversationAlreadyTaken() from None
    _state_changed_on_commit(conversation)
    _queue_changed_on_commit(conversation.hotline_id)
    transaction.on_commit(
        lambda: signals.conversation_accepted.send(
            sender=Conversation, conversation=conversation, operator=user
        )
    )
    return conversation


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


# --- messages -------------------------------------------------------------------


def text_checked(value, *, field: str, max_length: int | None = None) -> str:
    """A text field from a socket, held to the rules of the HTTP forms.

    No NUL character (Django's form fields refuse it too), valid UTF-8 (JSON can
    carry a lone surrogate such as \\ud800, which no database column stores
    cleanly), and the same maximum length as the form for the same field.
    """
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidField(_("Nội dung không hợp lệ."), field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidField(_("Nội dung không hợp lệ."), field=field) from None
    if max_length is not None and len(value) > max_length:
        raise ConversationError(
            _("Nội dung quá dài: tối đa %(max)d ký tự.") % {"max": max_length},
            code="too_long",
            field=field,
            max=max_length,
        )
    return value


def _clean_body(body) -> str:
    if not isinstance(body, str):
        raise InvalidField(_("Nội dung tin nhắn không hợp lệ."), field="body")
    text_checked(body, field="body")
    if not body.strip():
        raise ConversationError(_("Tin nhắn trống."), code="body_empty")
    limit = max_message_chars()
    if len(body) > limit:
        raise ConversationError(
            _("Tin nhắn quá dài: tối đa %(max)d ký tự.") % {"max": limit},
            code="body_too_long",
            max=limit,
        )
    return body


def _bump_sql(sender: str) -> tuple[str, list]:
    """UPDATE that hands out the next seq, only while this sender may write.

    It also takes the conversation's row lock, so posts to one conversation
    queue up behind each other and seq stays gap-free.
    """
    table = Conversation._meta.db_table
    states = [ConversationState.ACTIVE]
    if sender in (Sender.YOUTH, Sender.SYSTEM):
        states.append(ConversationState.QUEUED)
    placeholders = ", ".join(["%s"] * len(states))
    sql = f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s AND state IN ({placeholders})"  # noqa: S608 - names from _meta
    params: list = [*states]
    if sender != Sender.SYSTEM:
        sql += " AND channel <> %s"
        params.append(Channel.VOICE)
    if sender == Sender.OPERATOR:
        sql += " AND operator_id = %s"
    return sql, params


def message_post(
    *,
    conversation_id,
    sender: str,
    body: str,
    client_id=None,
    author=None,
    attachment=None,
    attachment_kind: str = "",
    at: datetime.datetime | None = None,
) -> tuple[Message, bool]:
    """Store one message with the next seq; return (message, created).

    The same client_id again returns the first message and created=False, and
    broadcasts nothing. On PostgreSQL the seq and the row are written by one
    statement (one round trip); a duplicate client_id makes that statement fail
    as a whole, so no seq is used up. attachment is the id of a file stored
    with the message (harms.EvidenceFile), with its kind.
    """
    if sender not in Sender.values:
        raise InvalidField(_("Người gửi không hợp lệ."), field="sender")
    if sender == Sender.OPERATOR and author is None:
        raise NotAllowed()
    body = _clean_body(body)
    if client_id is not None:
        client_id = _uuid_or_none(client_id)
        if client_id is None:
            raise InvalidField(_("Mã tin nhắn (client_id) không hợp lệ."), field="client_id")
    conversation_uuid = _uuid_or_none(conversation_id)
    if conversation_uuid is None:
        raise ConversationNotFound()
    at = at or timezone.now()
    attached = (_uuid_or_none(attachment), attachment_kind) if attachment else (None, "")
    try:
        if connection.vendor == "postgresql":
            row = _insert_postgresql(
                conversation_uuid, sender, body, client_id, author, attached, at
            )
        else:
            row = _insert_generic(conversation_uuid, sender, body, client_id, author, attached, at)
    except IntegrityError:
        existing = _existing(conversation_uuid, client_id)
        if existing is None:
            raise
        return existing, False
    if row is None:
        existing = _existing(conversation_uuid, client_id)
        if existing is not None:
            return existing, False
        raise _why_refused(conversation_uuid, sender, author)
    message = Message(
        id=row[0],
        conversation_id=conversation_uuid,
        seq=row[1],
        sender=sender,
        author=author,
        body=body,
        client_id=client_id,
        attachment=attached[0],
        attachment_kind=attached[1],
        created_at=at,
    )
    # The operator who held the conversation when the message was stored lets a
    # console that missed a transfer see at once that it is no longer its own.
    broadcast_on_commit(
        groups.conversation_group(conversation_uuid),
        {"type": "chat.message", "message": payloads.message(message), "operator": row[2]},
    )
    if sender == Sender.OPERATOR:
        transaction.on_commit(
            lambda: signals.operator_message_posted.send(sender=Message, message=message)
        )
    return message, True


def messages_post_together(posts: list[dict]) -> list:
    """Store several messages in one transaction: one durable commit for all of them.

    Each item is message_post's keyword arguments, plus "language" for its
    errors. The result for each is what message_post returned or the error it
    raised. If the commit itself fails, it raises and nothing is stored: no
    message is acknowledged without its row.
    """
    if len(posts) == 1:
        # Alone, the message's own statements are the transaction, as without a batch.
        return [_message_post_in_language(posts[0])]
    with transaction.atomic():
        return [_message_post_in_language(post) for post in posts]


def _message_post_in_language(post: dict):
    """message_post's result, or the error it raised (its text in the sender's language).

    Its writes are in a savepoint of their own inside a batch (the insert's), so
    a refused or duplicate message leaves the rest of the batch as it is.
    """
    post = dict(post)
    language = post.pop("language", None) or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            return message_post(**post)
    except Exception as error:  # handed back to this message's sender
        return error


def _insert_postgresql(conversation_uuid, sender, body, client_id, author, attached, at):
    bump, bump_params = _bump_sql(sender)
    message_table = Message._meta.db_table
    sql = (
        f"WITH bump AS ({bump} RETURNING id, last_seq, operator_id) "  # noqa: S608 - names from _meta
        f"INSERT INTO {message_table} "
        "(conversation_id, seq, sender, author_id, body, client_id, attachment, attachment_kind,"
        " created_at) "
        "SELECT id, last_seq, %s, %s, %s, %s, %s, %s, %s FROM bump "
        "RETURNING id, seq, (SELECT operator_id FROM bump)"
    )
    params = [conversation_uuid, *bump_params]
    if sender == Sender.OPERATOR:
        params.append(author.pk)
    # The column holds ciphertext (helpline/crypto.py); the field encrypts, as an ORM insert would.
    stored_body = Message._meta.get_field("body").get_db_prep_save(body, connection)
    params += [sender, author.pk if author else None, stored_body, client_id, *attached, at]
    # Inside someone else's transaction a savepoint keeps a failed insert from
    # poisoning it; alone, the statement is its own transaction.
    if connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _insert_generic(conversation_uuid, sender, body, client_id, author, attached, at):
    bump, bump_params = _bump_sql(sender)
    pk = Conversation._meta.pk.get_db_prep_value(conversation_uuid, connection)
    params = [pk, *bump_params]
    if sender == Sender.OPERATOR:
        params.append(author.pk)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"{bump} RETURNING last_seq, operator_id", params)
            bumped = cursor.fetchone()
        if bumped is None:
            return None
        message = Message.objects.create(
            conversation_id=conversation_uuid,
            seq=bumped[0],
            sender=sender,
            author=author,
            body=body,
            client_id=client_id,
            attachment=attached[0],
            attachment_kind=attached[1],
            created_at=at,
        )
        return message.pk, message.seq, bumped[1]


def _existing(conversation_uuid, client_id) -> Message | None:
    if client_id is None:
        return None
    return Message.objects.filter(conversation_id=conversation_uuid, client_id=client_id).first()


def _why_refused(conversation_uuid, sender, author) -> ConversationError:
    conversation = Conversation.objects.filter(pk=conversation_uuid).first()
    if conversation is None:
        return ConversationNotFound()
    if conversation.state in CLOSED_STATES:
        return ConversationClosed()
    if conversation.channel == Channel.VOICE:
        return VoiceChannel()
    if sender == Sender.OPERATOR and conversation.operator_id != author.pk:
        return NotAllowed()
    if sender == Sender.OPERATOR and conversation.state != ConversationState.ACTIVE:
        return NotAllowed(_("Bạn cần nhận cuộc trao đổi trước khi trả lời."))
    return NotAllowed()


# --- ending ---------------------------------------------------------------------


def _closed_on_commit(conversation: Conversation, reason: str) -> None:
    """Count the contact (in this transaction), then tell the sockets once it committed."""
    from helpline.contacts import contact_record_open

    contact_record_open(conversation=conversation, at=conversation.ended_at or timezone.now())
    _state_changed_on_commit(conversation)
    transaction.on_commit(
        lambda: signals.conversation_closed.send(
            sender=Conversation, conversation=conversation, reason=reason
        )
    )


def _lock(conversation_id) -> Conversation:
    conversation_uuid = _uuid_or_none(conversation_id)
    conversation = (
        Conversation.objects.select_for_update().filter(pk=conversation_uuid).first()
        if conversation_uuid
        else None
    )
    if conversation is None:
        raise ConversationNotFound()
    return conversation


@transaction.atomic
def conversation_end(
    *, conversation_id, reason: str = "", by_user=None, at: datetime.datetime | None = None
) -> Conversation:
    """End a conversation.

    By staff (by_user): only the operator who holds it, and only while active.
    By the young person (no by_user): an active chat ends; a queued one is
    abandoned, since nobody answered it yet. Ending twice changes nothing.
    A quick exit also voids the token at once.
    """
    at = at or timezone.now()
    if by_user is not None:
        try:
            conversation = conversation_get_for_user(
                user=by_user, conversation_id=conversation_id, for_update=True
            )
        except Http404:
            raise ConversationNotFound() from None
        if conversation.state in CLOSED_STATES:
            return conversation
        if conversation.operator_id != by_user.pk or conversation.state != ConversationState.ACTIVE:
            raise NotAllowed()
        reason = reason or "operator_ended"
    else:
        conversation = _lock(conversation_id)
        if conversation.state in CLOSED_STATES:
            return conversation
        reason = reason or "youth_left"
    was_queued = conversation.state == ConversationState.QUEUED
    if was_queued:
        conversation.abandon(at=at, reason=reason)
    else:
        conversation.end(at=at, reason=reason)
    conversation.youth_ip_hash = ""
    if reason == "quick_exit":
        conversation.token_hash = ""
        conversation.token_expires_at = None
    conversation.save(
        update_fields=[
            "state",
            "ended_at",
            "ended_reason",
            "youth_ip_hash",
            "token_hash",
            "token_expires_at",
        ]
    )
    _closed_on_commit(conversation, reason)
    if was_queued:
        _queue_changed_on_commit(conversation.hotline_id)
    return conversation


@transaction.atomic
def conversation_abandon(
    *,
    conversation_id,
    reason: str = "",
    at: datetime.datetime | None = None,
    unseen_since: datetime.datetime | None = None,
) -> Conversation:
    """Give up a conversation nobody accepted: the young person left or timed out,
    or a caller hung up while queued. Anything but a queued one is left alone.

    With unseen_since, only a conversation whose young person has not been seen
    since then is abandoned: it may have resumed since it was picked.
    """
    at = at or timezone.now()
    conversation = _lock(conversation_id)
    if conversation.state != ConversationState.QUEUED:
        return conversation
    if unseen_since is not None and (
        conversation.youth_seen_at is None or conversation.youth_seen_at >= unseen_since
    ):
        return conversation
    conversation.abandon(at=at, reason=reason or "youth_left")
    conversation.youth_ip_hash = ""
    conversation.save(update_fields=["state", "ended_at", "ended_reason", "youth_ip_hash"])
    _closed_on_commit(conversation, conversation.ended_reason)
    _queue_changed_on_commit(conversation.hotline_id)
    return conversation


def conversations_abandon_stale(*, at: datetime.datetime | None = None) -> int:
    """Abandon queued web chats whose young person's socket has been gone too long."""
    at = at or timezone.now()
    cutoff = at - datetime.timedelta(seconds=queued_grace_seconds())
    # A left message waits without its young person: that is the point of it.
    stale = Conversation.objects.filter(
        state=ConversationState.QUEUED,
        channel=Channel.WEBCHAT,
        youth_seen_at__lt=cutoff,
        left_message=False,
    ).values_list("pk", flat=True)
    count = 0
    for conversation_id in list(stale):
        conversation = conversation_abandon(
            conversation_id=conversation_id, reason="timeout", at=at, unseen_since=cutoff
        )
        count += conversation.state == ConversationState.ABANDONED
    return count


# --- transfer, risk ---------------------------------------------------------------


@transaction.atomic
def conversation_transfer(
    *, user, conversation_id, hotline, note: str = "", at: datetime.datetime | None = None
) -> Conversation:
    """Send a conversation back into another hotline's queue, with its history.

    The operator who holds it may transfer it; a queued one may be moved by a
    supervisor who sees it. The note is for the operator who takes it next, and
    is never shown to the young person.
    """
    at = at or timezone.now()
    note = text_checked(note or "", field="note", max_length=1000).strip()
    if not isinstance(hotline, Hotline):
        hotline = Hotline.objects.filter(code=str(hotline)).first()
        if hotline is None:
            raise InvalidHotline()
    try:
        conversation = conversation_get_for_user(
            user=user, conversation_id=conversation_id, for_update=True, at=at
        )
    except Http404:
        raise ConversationNotFound() from None
    if conversation.state in CLOSED_STATES:
        raise ConversationClosed()
    holds = conversation.state == ConversationState.ACTIVE and conversation.operator_id == user.pk
    moves_queued = conversation.state == ConversationState.QUEUED and user.is_supervisor
    if not (holds or moves_queued):
        raise NotAllowed()
    if hotline.pk == conversation.hotline_id:
        raise InvalidHotline(_("Cuộc trao đổi đã ở tổng đài này."))
    from_hotline_id = conversation.hotline_id
    conversation.transfer(hotline=hotline, at=at, overflow_at=_overflow_at(hotline, at))
    conversation.handover_note = note
    if conversation.danger_at is not None and conversation.overflow_at is not None:
        conversation.overflow_at = at  # still in danger: central sees it at once
    conversation.save(
        update_fields=[
            "state",
            "hotline",
            "operator",
            "answered_at",
            "queued_at",
            "overflow_at",
            "transferred_from",
            "transfer_count",
            "handover_note",
        ]
    )
    conversation.ended_reason = "transferred"  # on the wire only; the row keeps it empty
    _state_changed_on_commit(conversation)
    _queue_changed_on_commit(from_hotline_id, hotline.pk)
    transaction.on_commit(
        lambda: signals.conversation_transferred.send(
            sender=Conversation,
            conversation=conversation,
            from_hotline_id=from_hotline_id,
            user=user,
        )
    )
    return conversation


@transaction.atomic
def conversation_set_risk(*, user, conversation_id, risk: str) -> Conversation:
    """Record the risk an operator judged; a queued conversation moves in the queue."""
    if risk not in Risk.values:
        raise InvalidField(_("Mức độ rủi ro không hợp lệ."), field="risk")
    try:
        conversation = conversation_get_for_user(
            user=user, conversation_id=conversation_id, for_update=True
        )
    except Http404:
        raise ConversationNotFound() from None
    if conversation.operator_id not in (None, user.pk) and not user.is_supervisor:
        raise NotAllowed()
    if conversation.risk == risk:
        return conversation
    conversation.risk = risk
    conversation.save(update_fields=["risk"])
    broadcast_on_commit(
        groups.conversation_group(conversation.pk),
        {"type": "chat.info", "conversation": str(conversation.pk)},
    )
    if conversation.state == ConversationState.QUEUED:
        _queue_changed_on_commit(conversation.hotline_id)
    return conversation


# --- cases ------------------------------------------------------------------------


def _conversation_for_case(*, user, conversation_id) -> Conversation:
    try:
        conversation = conversation_get_for_user(
            user=user, conversation_id=conversation_id, for_update=True
        )
    except Http404:
        raise ConversationNotFound() from None
    if conversation.operator_id != user.pk and not user.is_supervisor:
        raise NotAllowed()
    return conversation


def _link(*, user, conversation: Conversation, case, at: datetime.datetime) -> None:
    """Attach the conversation to the case, on both cases' timelines when it moves."""
    from cases.audit import case_event_record
    from cases.models import CaseEvent

    previous_case_id = conversation.case_id
    conversation.case = case
    conversation.save(update_fields=["case"])
    detail = {"conversation": str(conversation.pk), "channel": conversation.channel}
    if previous_case_id is not None:
        case_event_record(
            case_id=previous_case_id,
            actor=user,
            action=CaseEvent.Action.CONVERSATION_UNLINKED,
            moved_to=case.pk,
            at=at,
            **detail,
        )
        detail["moved_from"] = previous_case_id
    case_event_record(
        case=case, actor=user, action=CaseEvent.Action.CONVERSATION_LINKED, at=at, **detail
    )
    broadcast_on_commit(
        groups.conversation_group(conversation.pk),
        {"type": "chat.info", "conversation": str(conversation.pk)},
    )


def _summary_checked(summary) -> str:
    from cases.models import Case

    if not isinstance(summary, str):
        raise InvalidField(_("Tóm tắt không hợp lệ."), field="summary")
    return text_checked(
        summary, field="summary", max_length=Case._meta.get_field("summary").max_length
    )


@transaction.atomic
def conversation_case_create(
    *,
    user,
    conversation_id,
    risk: str = "",
    categories=(),
    category_codes=(),
    summary: str = "",
    at: datetime.datetime | None = None,
):
    """Open a case from a conversation; its transcript becomes part of the case.

    A conversation already linked to a case returns that case: a double click
    creates one case, not two. Categories come as rows or as their codes.
    """
    from cases.models import Category
    from cases.services import CaseError, case_create

    at = at or timezone.now()
    summary = _summary_checked(summary)
    conversation = _conversation_for_case(user=user, conversation_id=conversation_id)
    if conversation.case_id is not None:
        return conversation.case
    risk = risk or conversation.risk or Risk.LOW
    if risk not in Risk.values:
        raise InvalidField(_("Mức độ rủi ro không hợp lệ."), field="risk")
    chosen = list(categories)
    if category_codes:
        chosen += list(Category.objects.filter(code__in=list(category_codes), is_active=True))
    try:
        case = case_create(
            user=user,
            categories=chosen,
            risk=risk,
            age_group=conversation.age_group,
            province_code=conversation.province_code,
            summary=summary,
            at=at,
        )
    except CaseError as error:
        raise NotAllowed(str(error)) from None
    _link(user=user, conversation=conversation, case=case, at=at)
    return case


@transaction.atomic
def conversation_case_open(*, user, conversation_id, **fields):
    """conversation_case_create, and whether this call created the case (False: it was linked)."""
    from helpline.selectors import conversation_get_for_user

    try:
        linked_before = conversation_get_for_user(
            user=user, conversation_id=conversation_id, for_update=True
        ).case_id
    except Http404:
        raise ConversationNotFound() from None
    case = conversation_case_create(user=user, conversation_id=conversation_id, **fields)
    return case, linked_before is None


@transaction.atomic
def conversation_case_link(
    *,
    user,
    conversation_id,
    case_id: int | None = None,
    reference: str | None = None,
    at: datetime.datetime | None = None,
):
    """Attach a conversation to an existing case the user may see, by id or by reference.

    A reference the user may not see is as missing as an unknown one. Moving a
    conversation from one case to another needs both cases in the user's own
    scope, never goes into a closed case, and is written on both timelines.
    """
    from cases.models import CaseState
    from cases.selectors import case_get_for_user, cases_visible_to

    at = at or timezone.now()
    conversation = _conversation_for_case(user=user, conversation_id=conversation_id)
    if case_id is None and isinstance(reference, str):
        case_id = (
            cases_visible_to(user=user)
            .filter(reference=reference.strip().upper())
            .values_list("pk", flat=True)
            .first()
        )
    try:
        if case_id is None:
            raise Http404
        case = case_get_for_user(user=user, case_id=case_id, for_update=True)
    except Http404:
        raise ConversationNotFound(_("Không tìm thấy hồ sơ."), code="not_found") from None
    if conversation.case_id == case.pk:
        return case
    if case.state == CaseState.CLOSED:
        raise CaseClosed()
    if conversation.case_id is not None:
        try:
            case_get_for_user(user=user, case_id=conversation.case_id, for_update=True)
        except Http404:
            raise NotAllowed(
                _("Cuộc trao đổi đang thuộc một hồ sơ ngoài phạm vi của bạn.")
            ) from None
    _link(user=user, conversation=conversation, case=case, at=at)
    return case


# --- the young person's own actions -----------------------------------------------------


def _mark_danger(conversation: Conversation, at: datetime.datetime) -> None:
    conversation.risk = Risk.IMMINENT
    conversation.danger_at = conversation.danger_at or at
    if conversation.state == ConversationState.QUEUED and not conversation.hotline.is_central:
        conversation.overflow_at = at


@transaction.atomic
def conversation_mark_danger(
    *, conversation_id, at: datetime.datetime | None = None
) -> Conversation:
    """The young person pressed "I'm in danger now".

    The conversation becomes imminent risk, so it goes to the top of the queue,
    and a provincial one is shown to central at once. The operator who holds it
    is told. Pressing again changes nothing but is answered the same.
    """
    at = at or timezone.now()
    conversation = _lock(conversation_id)
    if conversation.state in CLOSED_STATES:
        raise ConversationClosed()
    if conversation.danger_at is not None:
        return conversation
    _mark_danger(conversation, at)
    conversation.save(update_fields=["risk", "danger_at", "overflow_at"])
    broadcast_on_commit(
        groups.conversation_group(conversation.pk),
        {"type": "chat.danger", "conversation": str(conversation.pk)},
    )
    if conversation.state == ConversationState.QUEUED:
        _queue_changed_on_commit(conversation.hotline_id)
    return conversation


def survey_submit(*, conversation_id, answers: dict, at: datetime.datetime | None = None) -> bool:
    """Count the three after-chat answers, once per conversation, without linking them to it.

    Returns False when the conversation already answered or has not ended.
    """
    from helpline.models import SurveyAnswer, SurveyResponse

    at = at or timezone.now()
    fields = ("felt_heard", "got_help", "would_return")
    chosen = {field: answers.get(field) or "" for field in fields}
    for field, value in chosen.items():
        if value and value not in SurveyAnswer.values:
            raise InvalidField(_("Câu trả lời không hợp lệ."), field=field)
    with transaction.atomic():
        conversation = _lock(conversation_id)
        if conversation.state not in CLOSED_STATES or conversation.survey_answered:
            return False
        conversation.survey_answered = True
        conversation.save(update_fields=["survey_answered"])
        SurveyResponse.objects.create(
            hotline_id=conversation.hotline_id,
            channel=conversation.channel,
            submitted_on=timezone.localdate(at),
            **chosen,
        )
    return True


@transaction.atomic
def conversation_token_renew(*, conversation_id, at: datetime.datetime | None = None) -> str:
    """A new resume token for a conversation reopened with its passphrase; the old one stops."""
    at = at or timezone.now()
    conversation = _lock(conversation_id)
    token = secrets.token_urlsafe(32)
    conversation.token_hash = token_hash(token)
    lifetime = (
        settings.CHAT_LEFT_MESSAGE_TTL_SECONDS
        if conversation.left_message
        else settings.CHAT_TOKEN_TTL_SECONDS
    )
    conversation.token_expires_at = max(
        conversation.token_expires_at or at, at + datetime.timedelta(seconds=lifetime)
    )
    conversation.save(update_fields=["token_hash", "token_expires_at"])
    return token
