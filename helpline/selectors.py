"""The one door to conversations, their messages and the queue.

Rules:
- operators and supervisors see the conversations of their own hotline and the
  ones assigned to them;
- staff of the central hotline also see provincial conversations waiting in the
  overflow (waiting longer than CENTRAL_OVERFLOW_SECONDS, or arrived while the
  province was closed); central supervisors see every conversation;
- anyone else sees none, and a conversation the user may not see is missing (404).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case as DbCase
from django.db.models import Count, IntegerField, Min, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from helpline.models import (
    RISK_ORDER,
    CannedResponse,
    Conversation,
    ConversationState,
    Hotline,
    Message,
    Sender,
)
from helpline.signals import history_delivery_requested

CLOSED_CONVERSATION_STATES = (ConversationState.ENDED, ConversationState.ABANDONED)


def conversations_visible_to(*, user, at: datetime.datetime | None = None) -> QuerySet:
    """Return the conversations this user may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return Conversation.objects.none()
    if user.is_central_supervisor:
        return Conversation.objects.all()
    scope = Q(hotline_id=user.hotline_id) | Q(operator_id=user.pk)
    if user.hotline.is_central:
        scope |= Q(state=ConversationState.QUEUED, overflow_at__lte=at or timezone.now())
    return Conversation.objects.filter(scope)


def conversation_get_for_user(
    *, user, conversation_id, for_update: bool = False, at: datetime.datetime | None = None
) -> Conversation:
    """Fetch one conversation the user may see, or raise Http404."""
    queryset = conversations_visible_to(user=user, at=at).select_related(
        "hotline", "case", "transferred_from"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError, ValidationError):
        # A malformed UUID raises ValidationError: it is as missing as any other.
        raise Http404 from None


def _risk_rank():
    return DbCase(
        *[When(risk=risk, then=Value(rank)) for risk, rank in RISK_ORDER.items()],
        default=Value(len(RISK_ORDER)),
        output_field=IntegerField(),
    )


def queue_scope(*, user, at: datetime.datetime) -> Q:
    """The queued conversations an operator or supervisor is asked to answer."""
    scope = Q(hotline_id=user.hotline_id)
    if user.hotline.is_central:
        scope |= Q(overflow_at__lte=at)
    return scope


def queue_for_user(*, user, at: datetime.datetime | None = None) -> list[Conversation]:
    """The queue in this user's scope: the most at risk first, then the longest waiting."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return []
    at = at or timezone.now()
    return list(
        Conversation.objects.filter(state=ConversationState.QUEUED)
        .filter(queue_scope(user=user, at=at))
        .select_related("hotline")
        .annotate(risk_rank=_risk_rank())
        .order_by("risk_rank", "queued_at", "id")
    )


def queue_position(*, conversation_id) -> int | None:
    """1-based place in its hotline's queue, or None when it is no longer queued."""
    conversation = (
        Conversation.objects.filter(pk=conversation_id, state=ConversationState.QUEUED)
        .only("hotline_id")
        .first()
    )
    if conversation is None:
        return None
    ids = queue_order(hotline_id=conversation.hotline_id)
    return ids.index(conversation.pk) + 1 if conversation.pk in ids else None


def queue_order(*, hotline_id) -> list:
    """Ids of a hotline's queued conversations, in queue order."""
    return list(
        Conversation.objects.filter(state=ConversationState.QUEUED, hotline_id=hotline_id)
        .annotate(risk_rank=_risk_rank())
        .order_by("risk_rank", "queued_at", "id")
        .values_list("pk", flat=True)
    )


def queue_totals_by_hotline() -> list[tuple[str, int, datetime.datetime | None]]:
    """(hotline code, conversations queued, when the longest-waiting one was queued), per hotline.

    Counts and times only, for the metrics: one grouped read over the queue's index.
    """
    queued = dict.fromkeys(Hotline.objects.order_by("code").values_list("code", flat=True))
    rows = (
        Conversation.objects.filter(state=ConversationState.QUEUED)
        .values_list("hotline__code")
        .annotate(count=Count("pk"), oldest=Min("queued_at"))
        .order_by()
    )
    for code, count, oldest in rows:
        queued[code] = (count, oldest)
    return [(code, *(totals or (0, None))) for code, totals in queued.items()]


def messages_after(*, conversation_id, seq: int, upto: int | None = None) -> list[Message]:
    """Messages with seq > seq (and <= upto), in order. The database is the truth."""
    queryset = Message.objects.filter(conversation_id=conversation_id, seq__gt=seq)
    if upto is not None:
        queryset = queryset.filter(seq__lte=upto)
    return list(queryset.order_by("seq"))


def conversations_held_by(*, user) -> list[Conversation]:
    """The active conversations assigned to this operator, oldest first."""
    return list(
        Conversation.objects.filter(operator_id=user.pk, state=ConversationState.ACTIVE)
        .select_related("hotline", "case")
        .order_by("answered_at", "id")
    )


def operator_load(*, user) -> int:
    return Conversation.objects.filter(operator_id=user.pk, state=ConversationState.ACTIVE).count()


def canned_responses_for_user(*, user) -> list[CannedResponse]:
    """The canned responses of the user's hotline and the ones shared by every hotline."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return []
    return list(
        CannedResponse.objects.filter(is_active=True).filter(
            Q(hotline__isnull=True) | Q(hotline_id=user.hotline_id)
        )
    )


def canned_responses_editable_by(*, user) -> QuerySet:
    """Supervisors edit their hotline's responses; central supervisors also the shared ones."""
    if not getattr(user, "is_authenticated", False) or not user.is_supervisor:
        return CannedResponse.objects.none()
    scope = Q(hotline_id=user.hotline_id)
    if user.is_central_supervisor:
        scope |= Q(hotline__isnull=True)
    return CannedResponse.objects.filter(scope).select_related("hotline")


def hotline_for_province(province_code: str) -> Hotline:
    """The hotline a web chat from this province goes to: no province means central."""
    if province_code:
        hotline = Hotline.objects.filter(code=province_code, is_central=False).first()
        if hotline is not None:
            return hotline
    return Hotline.objects.get(code=settings.CENTRAL_HOTLINE_CODE)


# --- what the sockets read -------------------------------------------------------------


def staff_for_socket(*, user_id, session_key: str, session_auth_hash: str):
    """The member of staff behind a socket's session as the database knows them now, or None.

    None when the account is gone or deactivated, when the session was ended
    (logout, expiry, ended from the sessions page or by an administrator) or
    belongs to someone else, when the password changed since the socket opened,
    or when the session has not passed the second factor (the pages' rule,
    accounts.second_factor). Roles and scope are the caller's to compare.
    """
    return staff_for_sockets([(user_id, session_key, session_auth_hash)])[0]


def staff_for_sockets(checks: list[tuple]) -> list:
    """staff_for_socket for several sockets, (user id, session key, auth hash) each.

    Three reads whatever their number (accounts, sessions, devices): a hundred
    consoles that send a frame at once are checked by one turn of the database
    thread, not a hundred.
    """
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
    from django.utils.crypto import constant_time_compare
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.second_factor import second_factor_exempt, session_devices
    from helpline.models import User

    wanted = [(user_id, key) for user_id, key, _hash in checks if user_id is not None and key]
    users = User.objects.select_related("hotline", "agency").in_bulk(
        {user_id for user_id, _key in wanted}
    )
    sessions = _sessions_by_key({key for _user_id, key in wanted})
    devices = session_devices([sessions[key] for _user_id, key in wanted if key in sessions])
    found = []
    for user_id, session_key, session_auth_hash in checks:
        user = users.get(user_id) if user_id is not None and session_key else None
        session = sessions.get(session_key) if user is not None else None
        allowed = (
            user is not None
            and user.is_active
            and session is not None
            and session.get(SESSION_KEY) == str(user.pk)
        )
        if allowed:
            current = user.get_session_auth_hash()
            allowed = constant_time_compare(
                session.get(HASH_SESSION_KEY, ""), current
            ) and constant_time_compare(session_auth_hash or "", current)
        if allowed and not second_factor_exempt(user):
            device = devices.get(session.get(DEVICE_ID_SESSION_KEY))
            allowed = device is not None and device.user_id == user.pk and device.confirmed
        found.append(user if allowed else None)
    return found


def _sessions_by_key(keys: set[str]) -> dict[str, dict]:
    """The live sessions among these keys, decoded, as the session engine would load them."""
    from importlib import import_module

    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store_class, DatabaseSessionStore):
        loaded = {key: store_class(key).load() for key in keys}
        return {key: data for key, data in loaded.items() if data}
    rows = store_class.get_model_class().objects.filter(
        session_key__in=keys, expire_date__gt=timezone.now()
    )
    decoder = store_class()
    return {row.session_key: decoder.decode(row.session_data) for row in rows}


def conversation_history_for_staff(
    *, user, conversation_id, after_seq: int = 0, kind: str, upto: int | None = None
) -> tuple[Conversation, list[Message]] | None:
    """A conversation and its messages after after_seq, for a console that may read them.

    Operators read the conversations they hold; a "monitor" read is for a
    supervisor who sees the conversation. None when the user may not read it.
    Delivering history is an audited read, written in the same transaction.
    """
    from django.db import transaction

    from helpline.audit import conversation_read_record
    from helpline.models import ConversationRead

    with transaction.atomic():
        try:
            conversation = conversation_get_for_user(user=user, conversation_id=conversation_id)
        except Http404:
            return None
        if kind == ConversationRead.Kind.MONITOR:
            if not user.is_supervisor:
                return None
        elif conversation.operator_id != user.pk:
            return None
        last = conversation.last_seq if upto is None else min(upto, conversation.last_seq)
        history = messages_after(conversation_id=conversation.pk, seq=after_seq, upto=last)
        if history:
            conversation_read_record(
                conversation=conversation,
                actor=user,
                kind=kind,
                first_seq=history[0].seq,
                last_seq=history[-1].seq,
            )
        _deliveries_attach(conversation, history, user=user)
    return conversation, history


def _deliveries_attach(conversation: Conversation, history: list[Message], *, user) -> None:
    """Give each reply that left through another app (Zalo, Messenger) its delivery state."""
    replies = [message for message in history if message.sender == Sender.OPERATOR]
    if not replies:
        return
    answers = history_delivery_requested.send(
        sender=Conversation, conversation=conversation, messages=replies, user=user
    )
    for _receiver, deliveries in answers:
        for message in replies:
            if message.seq in (deliveries or {}):
                message.delivery = deliveries[message.seq]


def conversation_is_held_by(*, user, conversation_id) -> bool:
    """True while this operator holds the conversation and it is active."""
    return (
        conversations_visible_to(user=user)
        .filter(pk=conversation_id, operator_id=user.pk, state=ConversationState.ACTIVE)
        .exists()
    )


def console_repair(
    *, user, held: dict[str, int], states: dict[str, str], watching: dict[str, int]
) -> tuple[list[tuple[str, str, str, list[Message]]], list[str]]:
    """What a console missed, and what it must let go, from one read of its conversations.

    held maps the conversations the console holds to the last seq it delivered,
    states to the state it last showed; watching maps the conversations it
    monitors to their last seq. Returns (changes, gone):
    - changes: (id, state, reason, messages missed) for each conversation whose
      state differs or that has messages past the ones delivered;
    - gone: the ids this console may no longer follow: held ones now assigned to
      someone else or out of sight (a transfer whose signal was lost), watched
      ones out of sight or closed.
    """
    wanted = {**watching, **held}
    if not wanted:
        return [], []
    rows = {
        str(pk): (state, reason, last_seq, operator_id)
        for pk, state, reason, last_seq, operator_id in conversations_visible_to(user=user)
        .filter(pk__in=list(wanted))
        .values_list("pk", "state", "ended_reason", "last_seq", "operator_id")
    }
    changes, gone = [], []
    for conversation_id, delivered in wanted.items():
        row = rows.get(conversation_id)
        if conversation_id in held:
            if row is None or row[3] != user.pk:
                gone.append(conversation_id)
                continue
        elif row is None or not user.is_supervisor or row[0] in CLOSED_CONVERSATION_STATES:
            gone.append(conversation_id)
            continue
        state, reason, last_seq, _operator = row
        if state == states.get(conversation_id) and last_seq <= delivered:
            continue
        missed = (
            messages_after(conversation_id=conversation_id, seq=delivered)
            if (last_seq > delivered)
            else []
        )
        changes.append((conversation_id, state, reason, missed))
    return changes, gone


def conversations_active_for_supervisor(*, user) -> list[Conversation]:
    """The answered conversations a supervisor may watch, longest running first; no content."""
    if not getattr(user, "is_supervisor", False):
        return []
    return list(
        conversations_visible_to(user=user)
        .filter(state=ConversationState.ACTIVE)
        .select_related("hotline", "operator")
        .order_by("answered_at", "id")
    )


def youth_conversation_snapshot(*, conversation_id, after_seq: int):
    """The young person's conversation and its messages after after_seq, for a resume.

    The socket reached the conversation with its token; nothing else opens it.
    """
    conversation = Conversation.objects.get(pk=conversation_id)
    return conversation, messages_after(
        conversation_id=conversation_id, seq=after_seq, upto=conversation.last_seq
    )


def youth_conversation_changes(*, conversation_id, delivered: int, known):
    """What changed in a young person's conversation since the socket last looked, or None.

    known is the (state, hotline_id) the socket believes in, or None to read it
    all. One primary-key read; None also when the conversation is gone.
    """
    return youth_conversations_changes([(conversation_id, delivered, known)])[0]


def youth_conversation_rows(conversation_ids) -> dict[str, tuple]:
    """(state, ended reason, hotline id, last seq) of these conversations, by id: one read."""
    return {
        str(pk): (state, reason, hotline_id, last_seq)
        for pk, state, reason, hotline_id, last_seq in Conversation.objects.filter(
            pk__in={str(conversation_id) for conversation_id in conversation_ids}
        ).values_list("pk", "state", "ended_reason", "hotline_id", "last_seq")
    }


def youth_conversation_unchanged(row, *, delivered: int, known) -> bool:
    """Whether a young person's socket that knows (state, hotline id) and delivered up to
    seq `delivered` is up to date with this row of youth_conversation_rows."""
    if row is None or known is None:
        return False
    state, _reason, hotline_id, last_seq = row
    known_state, known_hotline_id = known
    unchanged = state == known_state and last_seq <= delivered
    if state == ConversationState.QUEUED:
        unchanged = unchanged and hotline_id == known_hotline_id
    return unchanged


def youth_conversations_changes(checks: list[tuple]) -> list:
    """youth_conversation_changes for several sockets, (id, delivered, known) each: one read.

    The messages a socket missed are read only for the conversations that have some.
    """
    rows = youth_conversation_rows(conversation_id for conversation_id, _d, _k in checks)
    found = []
    for conversation_id, delivered, known in checks:
        row = rows.get(str(conversation_id))
        if row is None or youth_conversation_unchanged(row, delivered=delivered, known=known):
            found.append(None)
            continue
        state, reason, hotline_id, last_seq = row
        missed = []
        if last_seq > delivered:
            missed = messages_after(conversation_id=conversation_id, seq=delivered)
        found.append((state, reason, hotline_id, missed))
    return found


def earlier_contacts_for_staff(*, user, conversation_id) -> list[Conversation] | None:
    """The young person's earlier contacts, for the operator who holds their conversation now.

    The young person opened them to the operator by giving their passphrase, so
    they are listed whichever hotline took them; None when this user does not
    hold the conversation. Only when, how and where: no text.
    """
    from helpline.returning import earlier_contacts

    conversation = (
        conversations_visible_to(user=user).filter(pk=conversation_id, operator_id=user.pk).first()
    )
    if conversation is None:
        return None
    return earlier_contacts(conversation=conversation)


def earlier_history_for_staff(*, user, conversation_id, earlier_id):
    """The messages of one earlier contact of the young person this operator is talking to.

    An audited read, like every history sent over a socket. None when the user
    does not hold conversation_id or earlier_id is not the same young person's.
    """
    from django.db import transaction

    from helpline.audit import conversation_read_record
    from helpline.models import ConversationRead

    with transaction.atomic():
        current = (
            conversations_visible_to(user=user)
            .filter(pk=conversation_id, operator_id=user.pk)
            .exclude(youth_identity=None)
            .first()
        )
        if current is None:
            return None
        earlier = (
            Conversation.objects.filter(pk=earlier_id, youth_identity_id=current.youth_identity_id)
            .exclude(pk=current.pk)
            .select_related("hotline", "case")
            .first()
        )
        if earlier is None:
            return None
        history = messages_after(conversation_id=earlier.pk, seq=0)
        if history:
            conversation_read_record(
                conversation=earlier,
                actor=user,
                kind=ConversationRead.Kind.EARLIER,
                first_seq=history[0].seq,
                last_seq=history[-1].seq,
            )
    return earlier, history
