"""Safe callbacks: a young person asks to be called back, and their hotline's staff do it.

A request holds a phone number (stored once, encrypted, like a caller's), a
window of one day in local time, whether the caller may say "this is the youth
hotline", and codes (language, age group). Nothing the young person wrote.

Every change goes through one function here, in one transaction: lock the
row, run the state machine's transition, save, write a CallbackEvent (codes
only) beside it, and after the commit tell the consoles of the hotline and of
central how many requests are open.

    requested --claim--> claimed --finish--> done (outcome of the last attempt)
        ^                   |
        +-----release-------+        requested/claimed --cancel--> cancelled
                                     requested/claimed --expire--> expired (worker)
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from helpline.broadcast import broadcast_on_commit
from helpline.conversations import client_address_hash
from helpline.groups import hotline_staff_group
from helpline.models import ChatStartAttempt, Hotline
from helpline.selectors import hotline_for_province
from telephony.models import (
    CALLBACK_OPEN_STATES,
    CallbackAttempt,
    CallbackEvent,
    CallbackOutcome,
    CallbackRequest,
    CallbackState,
)
from telephony.phone import phone_decrypt
from telephony.selectors import (
    callback_ids_past_expiry,
    callback_open_counts,
    callback_open_for_number,
    callback_request_get_for_user,
    central_hotline,
)
from telephony.services import phone_number_get_or_create

CALLBACK_WINDOW_MIN_MINUTES = 30
TODAY = "today"
TOMORROW = "tomorrow"


class CallbackError(Exception):
    """A step that cannot be taken now, with a message for the member of staff."""

    code = "not_allowed"


class CallbackAlreadyClaimed(CallbackError):
    code = "already_claimed"

    def __init__(self, *, claimed_by):
        self.claimed_by = claimed_by
        name = (claimed_by.get_full_name() or claimed_by.username) if claimed_by else "?"
        super().__init__(_("Yêu cầu này đã được %(name)s nhận.") % {"name": name})


class CallbackClosed(CallbackError):
    code = "closed"

    def __init__(self):
        super().__init__(_("Yêu cầu này đã đóng."))


class TooManyCallbackRequests(Exception):
    """This network asked for CALLBACK_REQUESTS_PER_HOUR callbacks in the last hour."""


class CallbackWindowInvalid(Exception):
    """The window cannot be used; `field` and `code` say why, the message says it for people."""

    def __init__(self, *, field: str, code: str, message: str):
        super().__init__(message)
        self.field = field
        self.code = code


# ---------------------------------------------------------------- the young person's request


def callback_window(
    *, start: datetime.time, end: datetime.time, day: str, at: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """The window's two instants, from local times of one day.

    `day` is "today", "tomorrow", or "" for today when the window has not ended
    yet and tomorrow otherwise. A window never crosses midnight and lasts at
    least CALLBACK_WINDOW_MIN_MINUTES, so that someone can call within it.
    """
    if end <= start:
        raise CallbackWindowInvalid(
            field="window_end",
            code="before_start",
            message=_("Giờ kết thúc phải sau giờ bắt đầu, trong cùng một ngày."),
        )
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if minutes < CALLBACK_WINDOW_MIN_MINUTES:
        raise CallbackWindowInvalid(
            field="window_end",
            code="too_short",
            message=_("Khoảng thời gian cần dài ít nhất %(minutes)d phút.")
            % {"minutes": CALLBACK_WINDOW_MIN_MINUTES},
        )
    local = timezone.get_default_timezone()
    today = timezone.localtime(at, local).date()

    def instants(date: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
        return (
            timezone.make_aware(datetime.datetime.combine(date, start), local),
            timezone.make_aware(datetime.datetime.combine(date, end), local),
        )

    if day == TOMORROW:
        return instants(today + datetime.timedelta(days=1))
    starts_at, ends_at = instants(today)
    if ends_at > at:
        return starts_at, ends_at
    if day == TODAY:
        raise CallbackWindowInvalid(
            field="window_end",
            code="passed",
            message=_("Khoảng thời gian này hôm nay đã qua. Hãy chọn giờ khác hoặc ngày mai."),
        )
    return instants(today + datetime.timedelta(days=1))


def _requests_allowed(address_hash: str, at: datetime.datetime) -> None:
    """Refuse a network that asked for CALLBACK_REQUESTS_PER_HOUR callbacks in the last hour.

    Only a keyed hash of the network is kept, for an hour (helpline's worker
    forgets older ones). Two requests at the same instant may both pass: the
    limit is against floods and number-probing, not an exact count.
    """
    hour_ago = at - datetime.timedelta(seconds=3600)
    asked = ChatStartAttempt.objects.filter(
        address_hash=address_hash, kind=ChatStartAttempt.Kind.CALLBACK, at__gt=hour_ago
    ).count()
    if asked >= settings.CALLBACK_REQUESTS_PER_HOUR:
        raise TooManyCallbackRequests()
    ChatStartAttempt.objects.create(
        address_hash=address_hash, kind=ChatStartAttempt.Kind.CALLBACK, at=at
    )


@transaction.atomic
def callback_request_create(
    *,
    phone: str,
    window_starts_at: datetime.datetime,
    window_ends_at: datetime.datetime,
    may_identify: bool,
    province_code: str = "",
    language: str = "vi",
    age_group: str = "",
    client_address: str | None = None,
    at: datetime.datetime | None = None,
) -> tuple[CallbackRequest, bool]:
    """Store a young person's callback request for their province's hotline (else central).

    Returns (request, created). A number that already has an open request
    keeps that request unchanged; the repeat is only recorded, so that staff
    know the young person may have wanted something else.
    """
    at = at or timezone.now()
    if client_address:
        _requests_allowed(client_address_hash(client_address), at)
    number = phone_number_get_or_create(number=phone)
    existing = callback_open_for_number(phone=number)
    if existing is None:
        try:
            with transaction.atomic():
                callback = CallbackRequest.objects.create(
                    hotline=hotline_for_province(province_code),
                    province_code=province_code,
                    phone=number,
                    window_starts_at=window_starts_at,
                    window_ends_at=window_ends_at,
                    may_identify=may_identify,
                    language=language,
                    age_group=age_group,
                    created_at=at,
                )
        except IntegrityError:
            # The same number's request committed a moment earlier.
            existing = callback_open_for_number(phone=number)
            if existing is None:
                raise
        else:
            _event(callback, actor=None, action=CallbackEvent.Action.REQUESTED, at=at)
            _open_counts_push_on_commit(callback.hotline_id)
            return callback, True
    _event(existing, actor=None, action=CallbackEvent.Action.REPEATED, at=at)
    return existing, False


# ---------------------------------------------------------------- staff


def _locked(*, user, callback_id) -> CallbackRequest:
    if not getattr(user, "is_hotline_staff", False):
        raise PermissionDenied
    return callback_request_get_for_user(user=user, callback_id=callback_id, for_update=True)


def _require_holder(callback: CallbackRequest, user) -> None:
    """Only the person who claimed an open request works on it."""
    if callback.state not in CALLBACK_OPEN_STATES:
        raise CallbackClosed()
    if callback.state != CallbackState.CLAIMED or callback.claimed_by_id != user.pk:
        raise CallbackError(_("Chỉ người đã nhận yêu cầu này mới làm được việc này."))


def _transition_save(callback: CallbackRequest, fields: list[str]) -> None:
    """Save a transition; a row that moved since it was read raises CallbackError."""
    try:
        callback.save(update_fields=["state", *fields])
    except ConcurrentTransition:
        raise CallbackError(_("Yêu cầu vừa được người khác thay đổi. Hãy tải lại trang.")) from None


@transaction.atomic
def callback_claim(*, user, callback_id, at: datetime.datetime | None = None) -> CallbackRequest:
    """Take a waiting request as one's own task. Exactly one of two racers wins.

    The row is locked, and the state machine's optimistic lock refuses the save
    if the state moved anyway (SQLite has no row locks). The loser is told who won.
    """
    at = at or timezone.now()
    callback = _locked(user=user, callback_id=callback_id)
    if callback.state == CallbackState.CLAIMED:
        if callback.claimed_by_id == user.pk:
            return callback  # a second click on the same button
        # Read the winner afresh: on PostgreSQL a row lock that waited for the winner
        # re-reads the locked row but not the rows joined to it, which still show
        # nobody.
        winner = CallbackRequest.objects.select_related("claimed_by").get(pk=callback.pk)
        raise CallbackAlreadyClaimed(claimed_by=winner.claimed_by)
    if callback.state != CallbackState.REQUESTED:
        raise CallbackClosed()
    try:
        callback.claim(by=user, at=at)
        callback.save(update_fields=["state", "claimed_by", "claimed_at"])
    except (TransitionNotAllowed, ConcurrentTransition):
        winner = CallbackRequest.objects.select_related("claimed_by").get(pk=callback.pk)
        raise CallbackAlreadyClaimed(claimed_by=winner.claimed_by) from None
    _event(callback, actor=user, action=CallbackEvent.Action.CLAIMED, at=at)
    _open_counts_push_on_commit(callback.hotline_id)
    return callback


@transaction.atomic
def callback_release(*, user, callback_id, at: datetime.datetime | None = None) -> CallbackRequest:
    """Give a claimed request back to the hotline: its holder, or a supervisor, at shift's end."""
    at = at or timezone.now()
    callback = _locked(user=user, callback_id=callback_id)
    if callback.state != CallbackState.CLAIMED:
        raise CallbackError(_("Yêu cầu này không có ai đang nhận."))
    if callback.claimed_by_id != user.pk and not user.is_supervisor:
        raise CallbackError(_("Chỉ người đã nhận hoặc giám sát viên mới trả lại được."))
    callback.release()
    _transition_save(callback, ["claimed_by", "claimed_at"])
    _event(callback, actor=user, action=CallbackEvent.Action.RELEASED, at=at)
    _open_counts_push_on_commit(callback.hotline_id)
    return callback


@transaction.atomic
def callback_number_reveal(*, user, callback_id, at: datetime.datetime | None = None) -> str:
    """The full number, for the person who holds the request only; every reveal is recorded."""
    callback = _locked(user=user, callback_id=callback_id)
    _require_holder(callback, user)
    _event(callback, actor=user, action=CallbackEvent.Action.NUMBER_REVEALED, at=at)
    return phone_decrypt(callback.phone.number_encrypted)


@transaction.atomic
def callback_attempt_record(
    *, user, callback_id, outcome: str, at: datetime.datetime | None = None
) -> CallbackAttempt:
    """Write down one try to call back and how it went."""
    if outcome not in CallbackOutcome.values:
        raise CallbackError(_("Kết quả cuộc gọi không hợp lệ."))
    at = at or timezone.now()
    callback = _locked(user=user, callback_id=callback_id)
    _require_holder(callback, user)
    attempt = CallbackAttempt.objects.create(callback=callback, outcome=outcome, by=user, at=at)
    _event(callback, actor=user, action=CallbackEvent.Action.ATTEMPTED, outcome=outcome, at=at)
    return attempt


@transaction.atomic
def callback_finish(*, user, callback_id, at: datetime.datetime | None = None) -> CallbackRequest:
    """Close a request as done, with the outcome of its last attempt (there must be one)."""
    at = at or timezone.now()
    callback = _locked(user=user, callback_id=callback_id)
    _require_holder(callback, user)
    last = callback.attempts.order_by("-at", "-id").first()
    if last is None:
        raise CallbackError(_("Hãy ghi lại ít nhất một lần gọi trước khi đánh dấu xong."))
    callback.finish(outcome=last.outcome, at=at)
    _transition_save(callback, ["outcome", "closed_at"])
    _event(callback, actor=user, action=CallbackEvent.Action.DONE, outcome=last.outcome, at=at)
    _open_counts_push_on_commit(callback.hotline_id)
    return callback


@transaction.atomic
def callback_cancel(*, user, callback_id, at: datetime.datetime | None = None) -> CallbackRequest:
    """Close a request nobody should call back: by its holder, or by a supervisor."""
    at = at or timezone.now()
    callback = _locked(user=user, callback_id=callback_id)
    if callback.state not in CALLBACK_OPEN_STATES:
        raise CallbackClosed()
    holds_it = callback.state == CallbackState.CLAIMED and callback.claimed_by_id == user.pk
    if not (holds_it or user.is_supervisor):
        raise CallbackError(_("Chỉ người đã nhận hoặc giám sát viên mới huỷ được."))
    callback.cancel(at=at)
    _transition_save(callback, ["closed_at"])
    _event(callback, actor=user, action=CallbackEvent.Action.CANCELLED, at=at)
    _open_counts_push_on_commit(callback.hotline_id)
    return callback


# ---------------------------------------------------------------- the worker


def callback_requests_expire(*, at: datetime.datetime | None = None) -> int:
    """Close as expired the open requests whose window ended CALLBACK_EXPIRE_AFTER_HOURS ago.

    Each one in its own transaction, under its row lock: a claim or a finish
    at the same moment wins or loses cleanly, and a crash loses no progress.
    """
    at = at or timezone.now()
    cutoff = at - datetime.timedelta(hours=settings.CALLBACK_EXPIRE_AFTER_HOURS)
    expired = 0
    for callback_id in callback_ids_past_expiry(ended_before=cutoff):
        with transaction.atomic():
            callback = (
                CallbackRequest.objects.select_for_update()
                .filter(pk=callback_id, state__in=CALLBACK_OPEN_STATES)
                .first()
            )
            if callback is None:
                continue
            try:
                callback.expire(at=at)
                callback.save(update_fields=["state", "closed_at"])
            except (TransitionNotAllowed, ConcurrentTransition):
                continue
            _event(callback, actor=None, action=CallbackEvent.Action.EXPIRED, at=at)
            _open_counts_push_on_commit(callback.hotline_id)
        expired += 1
    return expired


# ---------------------------------------------------------------- audit and signals


def _event(
    callback: CallbackRequest, *, actor, action: str, outcome: str = "", at=None
) -> CallbackEvent:
    """The one writer of a request's audit trail: who, which step, when; codes only."""
    return CallbackEvent.objects.create(
        callback_uuid=callback.pk,
        hotline_id=callback.hotline_id,
        actor=actor,
        action=CallbackEvent.Action(action),
        outcome=CallbackOutcome(outcome) if outcome else "",
        at=at or timezone.now(),
    )


def _open_counts_push_on_commit(hotline_id: int) -> None:
    """After the commit, tell the consoles of the hotline and of central how many are open.

    The counts are read once the change is committed, not inside its
    transaction: two requests committing together would otherwise each
    announce a number that misses the other. Outside a transaction,
    broadcast_on_commit sends at once.
    """

    def push() -> None:
        central = central_hotline()
        targets = [central]
        if hotline_id != central.pk:
            targets.insert(0, Hotline.objects.get(pk=hotline_id))
        for hotline in targets:
            frame = {"type": "callbacks", **callback_open_counts(hotline=hotline)}
            broadcast_on_commit(
                hotline_staff_group(hotline.pk), {"type": "console.push", "frame": frame}
            )

    transaction.on_commit(push)
