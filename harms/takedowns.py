"""Every change to a takedown request goes through one function here.

A request is drafted for one item and one channel, marked sent when staff sent
it (by the platform's form, a letter to an authority, or the escalation of an
agency), then followed: acknowledged, removed, refused, or no response once the
channel's expected time has passed, and closed. Each step locks the request,
checks the state the person saw, calls the @transition method, saves, and
writes the case's timeline in one transaction; the people who follow the case
are told after the commit.

The system never opens a URL: whether content is still online is a person's
check (takedown_check), which the worker reminds the sender to make once the
deadline has passed (jobs.py).
"""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed, has_transition_perm

from cases.audit import case_event_record
from cases.models import CaseEvent
from escalation.models import TALKING_STATES
from escalation.selectors import escalation_get_for_user
from harms.models import (
    AGENCY_TAKEDOWN_TRANSITIONS,
    TAKEDOWN_TRANSITIONS,
    WAITING_STATES,
    TakedownChannel,
    TakedownCheck,
    TakedownRequest,
)
from harms.selectors import (
    escalations_for_takedown,
    online_item_get_for_user,
    takedown_get_for_user,
)
from harms.services import HarmsError, case_editable_check
from helpline.broadcast import broadcast_on_commit
from helpline.groups import staff_group

SAVED_FIELDS = [
    "state",
    "sent_by",
    "sent_at",
    "due_at",
    "acknowledged_at",
    "outcome",
    "outcome_at",
    "closed_at",
    "external_reference",
    "outcome_note",
]
NOTE_MAX = 1000
REFERENCE_MAX = 100


class StaleTakedownError(HarmsError):
    """Someone else moved the request after this person loaded it."""


def _event(takedown: TakedownRequest, *, user, at, **detail) -> None:
    case_event_record(
        case_id=takedown.item.case_id,
        actor=user,
        action=CaseEvent.Action.TAKEDOWN,
        takedown=takedown.pk,
        item=takedown.item_id,
        at=at,
        **detail,
    )


def takedown_notice_text(takedown: TakedownRequest, name: str) -> str:
    texts = {
        "acknowledge": _("%(channel)s đã tiếp nhận yêu cầu gỡ bỏ."),
        "removed": _("%(channel)s báo nội dung đã bị gỡ."),
        "refused": _("%(channel)s từ chối gỡ nội dung."),
        "recheck": _(
            "Yêu cầu gỡ bỏ gửi %(channel)s đã quá hạn phản hồi: hãy kiểm tra xem nội dung "
            "còn trên mạng không."
        ),
    }
    return texts[name] % {"channel": takedown.channel.name}


def takedown_push(takedown: TakedownRequest, *, name: str, user_ids) -> None:
    """After commit, tell these consoles: a notice, the case's reference and a link, no content."""
    case = takedown.item.case
    frame = {
        "type": "takedown",
        "takedown": takedown.pk,
        "case": case.pk,
        "reference": case.reference,
        "state": takedown.state,
        "notice_code": name,
        "notice": takedown_notice_text(takedown, name),
        "url": reverse("cases:detail", args=[case.pk]) + "#harms",
    }
    for user_id in sorted(set(user_ids) - {None}):
        broadcast_on_commit(staff_group(user_id), {"type": "console.push", "frame": frame})


def _text(value: str, limit: int, message: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise HarmsError(message)
    return value


@transaction.atomic
def takedown_create(
    *,
    user,
    item_id: int,
    channel_id: int,
    escalation_id: int | None = None,
    external_reference: str = "",
    at: datetime.datetime | None = None,
) -> TakedownRequest:
    """Draft a request to remove one item through one channel.

    Through a partner agency, it rides on the case's escalation to that agency,
    which must have been shown the item already (a disclosure, recorded).
    """
    at = at or timezone.now()
    item = online_item_get_for_user(user=user, item_id=item_id, for_update=True)
    case_editable_check(item.case)
    channel = TakedownChannel.objects.filter(pk=channel_id, is_active=True).first()
    if channel is None:
        raise HarmsError(_("Hãy chọn kênh gửi yêu cầu."))
    if channel.kind == TakedownChannel.Kind.PLATFORM and channel.platform_id != item.platform_id:
        raise HarmsError(_("Kênh này là của một nền tảng khác."))
    escalation = None
    if channel.kind == TakedownChannel.Kind.AGENCY:
        escalation = _escalation_for(user=user, item=item, channel=channel, pk=escalation_id)
    reference = _text(external_reference, REFERENCE_MAX, _("Số tiếp nhận quá dài."))
    try:
        with transaction.atomic():
            takedown = TakedownRequest.objects.create(
                item=item,
                channel=channel,
                escalation=escalation,
                external_reference=reference,
                created_by=user,
                created_at=at,
            )
    except IntegrityError:
        raise HarmsError(
            _("Dấu vết này đã có một yêu cầu gỡ bỏ đang mở tới %(channel)s.")
            % {"channel": channel.name}
        ) from None
    _event(
        takedown,
        user=user,
        at=at,
        transition="draft",
        to=takedown.state,
        channel=channel.pk,
        escalation=escalation.pk if escalation else None,
    )
    return takedown


def _escalation_for(*, user, item, channel: TakedownChannel, pk):
    if pk is None:
        raise HarmsError(
            _("Hãy chọn yêu cầu chuyển tuyến tới %(agency)s.") % {"agency": channel.agency.name}
        )
    escalation = escalation_get_for_user(user=user, escalation_id=pk)
    if escalation.case_id != item.case_id or escalation.agency_id != channel.agency_id:
        raise HarmsError(_("Yêu cầu chuyển tuyến này không phải của hồ sơ và cơ quan đã chọn."))
    if escalation.state not in TALKING_STATES or escalation.access_revoked_at is not None:
        raise HarmsError(_("Yêu cầu chuyển tuyến này đã kết thúc."))
    if escalation.pk not in {e.pk for e in escalations_for_takedown(user=user, item=item)}:
        raise HarmsError(
            _(
                "Cơ quan chưa được chia sẻ dấu vết này. Hãy chia sẻ “Dấu vết trên mạng” từ trang "
                "yêu cầu chuyển tuyến trước."
            )
        )
    return escalation


def _transition_kwargs(name: str, *, user, at) -> dict:
    if name == "send":
        return {"by": user, "at": at}
    return {"at": at}


@transaction.atomic
def takedown_transition(
    *,
    user,
    takedown_id: int,
    transition: str,
    note: str = "",
    external_reference: str | None = None,
    expected_state: str | None = None,
    at: datetime.datetime | None = None,
) -> TakedownRequest:
    """Move a request through its states, or raise HarmsError with the reason.

    A liaison of the agency whose escalation carries it may record that it was
    acknowledged, removed or refused; staff may take every step. "No response"
    is for after the channel's deadline.
    """
    if transition not in TAKEDOWN_TRANSITIONS:
        raise HarmsError(_("Thao tác không hợp lệ."))
    at = at or timezone.now()
    takedown = takedown_get_for_user(
        user=user, takedown_id=takedown_id, perm="change", for_update=True
    )
    if user.is_liaison and transition not in AGENCY_TAKEDOWN_TRANSITIONS:
        raise HarmsError(_("Bạn không được thực hiện thao tác này."))
    if user.is_hotline_staff:
        case_editable_check(takedown.item.case)
    if expected_state and takedown.state != expected_state:
        raise StaleTakedownError(
            _("Yêu cầu vừa được người khác cập nhật (hiện: “%(state)s”). Hãy xem lại rồi thử lại.")
            % {"state": takedown.get_state_display()}
        )
    method = getattr(takedown, transition)
    if not can_proceed(method) or not has_transition_perm(method, user):
        raise HarmsError(
            _("Không thể thực hiện thao tác này khi yêu cầu đang ở trạng thái “%(state)s”.")
            % {"state": takedown.get_state_display()}
        )
    if transition == "no_response" and not takedown.is_overdue(now=at):
        raise HarmsError(_("Chỉ ghi nhận “không phản hồi” sau khi đã quá thời hạn của kênh."))
    if note:
        takedown.outcome_note = _text(note, NOTE_MAX, _("Ghi chú quá dài."))
    if external_reference is not None:
        takedown.external_reference = _text(
            external_reference, REFERENCE_MAX, _("Số tiếp nhận quá dài.")
        )
    from_state = takedown.state
    try:
        with transaction.atomic():
            method(**_transition_kwargs(transition, user=user, at=at))
            takedown.save(update_fields=SAVED_FIELDS)
    except (TransitionNotAllowed, ConcurrentTransition):
        takedown.refresh_from_db()
        raise StaleTakedownError(
            _("Yêu cầu vừa được người khác cập nhật (hiện: “%(state)s”). Hãy xem lại rồi thử lại.")
            % {"state": takedown.get_state_display()}
        ) from None
    detail = {"transition": transition, "from": from_state, "to": takedown.state}
    if user.is_liaison:
        detail.update(side="agency", escalation=takedown.escalation_id)
    _event(takedown, user=user, at=at, **detail)
    if user.is_liaison:
        case = takedown.item.case
        takedown_push(takedown, name=transition, user_ids=[takedown.sent_by_id, case.created_by_id])
    return takedown


@transaction.atomic
def takedown_check(
    *, user, takedown_id: int, still_online: bool, at: datetime.datetime | None = None
) -> TakedownCheck:
    """Record that a person looked whether the content is still online.

    Gone while the request waits on the channel: the request is marked removed
    in the same step.
    """
    at = at or timezone.now()
    takedown = takedown_get_for_user(
        user=user, takedown_id=takedown_id, perm="change", for_update=True
    )
    if not user.is_hotline_staff:
        raise HarmsError(_("Bạn không được thực hiện thao tác này."))
    if takedown.sent_at is None:
        raise HarmsError(_("Yêu cầu chưa được gửi."))
    check = TakedownCheck.objects.create(
        takedown=takedown, checked_by=user, still_online=still_online, at=at
    )
    _event(takedown, user=user, at=at, check="still_online" if still_online else "gone")
    if not still_online and takedown.state in WAITING_STATES:
        takedown_transition(user=user, takedown_id=takedown.pk, transition="removed", at=at)
    return check
