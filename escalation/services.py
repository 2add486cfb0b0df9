"""Every change to an escalation goes through one function here.

Each runs in one transaction: it fetches the escalation (or the case) through
its selector with a row lock, checks the state the user saw, calls the
@transition method, saves, writes the case's timeline event, and broadcasts
only once the transaction has committed. The clock is passed in as `at`.
"""

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed, has_transition_perm

from cases.audit import case_event_record
from cases.models import Case, CaseEvent, CaseState
from cases.selectors import case_get_for_user
from escalation.models import (
    AGENCY_TRANSITIONS,
    HOTLINE_TRANSITIONS,
    OPEN_STATES,
    RANGE_ITEMS,
    TALKING_STATES,
    TEXT_REQUIRED,
    TRANSITION_METHODS,
    Agency,
    DisclosureRecord,
    Escalation,
    EscalationGroupObjectPermission,
    EscalationMessage,
    EscalationType,
    EscalationUserObjectPermission,
    LegalBasis,
    RevokeReason,
    SharedItem,
    Urgency,
    YouthInformed,
    disclosure_adds,
)
from escalation.selectors import (
    case_disclosable_values,
    escalation_disclosed,
    escalation_get_for_user,
)
from helpline.broadcast import broadcast_on_commit
from helpline.groups import agency_group, staff_group
from helpline.models import Role, User

GRANTED_PERMS = ("view_escalation", "change_escalation")
SAVED_FIELDS = [
    "state",
    "sent_at",
    "acknowledge_by",
    "resolve_by",
    "acknowledged_at",
    "finished_at",
    "outcome",
    "decline_reason",
    "access_revoked_at",
    "access_revoked_reason",
]


class EscalationError(Exception):
    """A change that cannot be made, with a message to show the user."""


class StaleEscalationError(EscalationError):
    """Someone else changed the escalation after this user loaded it."""


def _stale(escalation: Escalation) -> StaleEscalationError:
    return StaleEscalationError(
        _(
            "Yêu cầu vừa được người khác cập nhật (hiện: “%(state)s”). "
            "Hãy xem lại bản mới nhất rồi thử lại."
        )
        % {"state": escalation.get_state_display()}
    )


def _notice(name: str, agency: Agency) -> str:
    texts = {
        "send": _("Đã gửi yêu cầu chuyển tuyến tới %(agency)s."),
        "acknowledge": _("%(agency)s đã tiếp nhận yêu cầu chuyển tuyến."),
        "progress": _("%(agency)s cập nhật tiến độ xử lý."),
        "resolve": _("%(agency)s đã báo kết quả xử lý."),
        "return": _("%(agency)s đề nghị bổ sung thông tin."),
        "decline": _("%(agency)s từ chối yêu cầu chuyển tuyến."),
        "resubmit": _("Đã bổ sung và gửi lại yêu cầu tới %(agency)s."),
        "withdraw": _("Đã rút lại yêu cầu chuyển tuyến gửi %(agency)s."),
        "message": _("%(agency)s gửi tin nhắn mới về yêu cầu chuyển tuyến."),
        "ack_overdue": _("%(agency)s chưa tiếp nhận yêu cầu chuyển tuyến đúng hạn."),
        "disclose": _("Đã chia sẻ thêm thông tin với %(agency)s."),
    }
    return texts[name] % {"agency": agency.name}


def case_staff_ids(case: Case) -> set[int]:
    """Who follows a case live: its creator, its hotline's supervisors and the central ones."""
    supervisors = User.objects.filter(is_active=True, role=Role.SUPERVISOR).filter(
        Q(hotline_id=case.hotline_id) | Q(hotline__is_central=True)
    )
    return {case.created_by_id, *supervisors.values_list("pk", flat=True)}


def escalation_broadcast(
    escalation: Escalation,
    *,
    notice: str,
    code: str = "",
    staff_ids: Iterable[int] | None = None,
) -> None:
    """After commit, tell the case's staff consoles and the agency's open queues.

    notice is the text in the language of whoever caused the change; code names
    the kind of news and the agency's names come in both languages, so each
    console says it in its own operator's language. The channel layer only
    signals: the agency's queue re-reads the escalation (and checks it may still
    see it) before showing anything.
    """
    case = escalation.case
    recipients = sorted(case_staff_ids(case) if staff_ids is None else staff_ids)
    frame = {
        "type": "escalation",
        "case": case.pk,
        "reference": case.reference,
        "escalation": escalation.pk,
        "agency": escalation.agency.name,
        "agency_names": {"vi": escalation.agency.name_vi, "en": escalation.agency.name_en},
        "state": escalation.state,
        "state_label": str(escalation.get_state_display()),
        "notice": notice,
        "notice_code": code,
    }
    for user_id in recipients:
        broadcast_on_commit(staff_group(user_id), {"type": "console.push", "frame": frame})
    broadcast_on_commit(
        agency_group(escalation.agency_id),
        {"type": "escalation.changed", "escalation": escalation.pk},
    )


def _event(escalation: Escalation, *, user, at: datetime.datetime, **detail) -> None:
    """One line on the case's timeline: ids and state names, never what anyone wrote."""
    case_event_record(
        case_id=escalation.case_id,
        actor=user,
        action=CaseEvent.Action.ESCALATION,
        escalation=escalation.pk,
        at=at,
        **detail,
    )


def escalation_access_grant(*, escalation: Escalation) -> None:
    """Give the agency's group view and change on this one escalation."""
    from guardian.shortcuts import assign_perm

    for perm in GRANTED_PERMS:
        assign_perm(perm, escalation.agency.group, escalation)


def escalation_access_revoke(
    *, escalation: Escalation, at: datetime.datetime, reason: RevokeReason
) -> None:
    """Take away every object permission anyone holds on this escalation, saying why."""
    EscalationGroupObjectPermission.objects.filter(content_object=escalation).delete()
    EscalationUserObjectPermission.objects.filter(content_object=escalation).delete()
    escalation.access_revoked_at = at
    escalation.access_revoked_reason = reason


def _choice(value: str, choices, message: str) -> str:
    if value not in choices.values:
        raise EscalationError(message)
    return value


@transaction.atomic
def escalation_create(
    *,
    user,
    case_id: int,
    agency_id: int,
    escalation_type: str,
    urgency: str,
    legal_basis: str,
    summary: str,
    youth_informed: str,
    shared_items: Iterable[str] = (),
    at: datetime.datetime | None = None,
) -> Escalation:
    """Send a case to an agency: the escalation, its disclosure record and the agency's grant."""
    at = at or timezone.now()
    case = case_get_for_user(user=user, case_id=case_id, for_update=True)
    if case.state == CaseState.CLOSED:
        raise EscalationError(_("Hồ sơ đã đóng, không thể chuyển tuyến."))
    _choice(escalation_type, EscalationType, _("Loại chuyển tuyến không hợp lệ."))
    _choice(urgency, Urgency, _("Mức khẩn cấp không hợp lệ."))
    _choice(legal_basis, LegalBasis, _("Hãy chọn căn cứ pháp lý."))
    _choice(youth_informed, YouthInformed, _("Hãy cho biết người liên hệ đã được thông báo chưa."))
    items = [item for item in SharedItem.values if item in set(shared_items)]
    if len(items) != len(set(shared_items)):
        raise EscalationError(_("Thông tin chia sẻ không hợp lệ."))
    summary = (summary or "").strip()
    if not summary:
        raise EscalationError(_("Hãy viết nội dung gửi cơ quan."))
    agency = Agency.objects.filter(pk=agency_id, is_active=True).select_related("group").first()
    if agency is None:
        raise EscalationError(_("Cơ quan không tồn tại hoặc đã ngừng hợp tác."))
    if not agency.accepts(escalation_type):
        raise EscalationError(
            _("%(agency)s không tiếp nhận loại “%(type)s”.")
            % {"agency": agency.name, "type": EscalationType(escalation_type).label}
        )
    if not agency.covers_province(case.province_code):
        raise EscalationError(
            _("%(agency)s không phụ trách tỉnh/thành của hồ sơ này.") % {"agency": agency.name}
        )
    if case.escalations.filter(agency=agency, state__in=OPEN_STATES).exists():
        raise EscalationError(
            _("Hồ sơ đã có một yêu cầu chuyển tuyến đang mở tới %(agency)s.")
            % {"agency": agency.name}
        )
    acknowledge_by, resolve_by = agency.deadlines(urgency, at=at)
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                case=case,
                agency=agency,
                type=escalation_type,
                urgency=urgency,
                legal_basis=legal_basis,
                summary=summary,
                shared_items=items,
                youth_informed=youth_informed,
                created_by=user,
                created_at=at,
                sent_at=at,
                acknowledge_by=acknowledge_by,
                resolve_by=resolve_by,
            )
    except IntegrityError:
        raise EscalationError(
            _("Hồ sơ đã có một yêu cầu chuyển tuyến đang mở tới %(agency)s.")
            % {"agency": agency.name}
        ) from None
    _disclose(
        escalation,
        user=user,
        items=["summary", *items],
        snapshot=case_disclosable_values(case=case, items=items),
        at=at,
    )
    escalation_access_grant(escalation=escalation)
    _event(escalation, user=user, transition="send", to="sent", agency=agency.pk, at=at)
    escalation_broadcast(escalation, notice=_notice("send", agency), code="send")
    return escalation


def _transition_kwargs(escalation: Escalation, name: str, text: str, at) -> dict:
    if name == "acknowledge":
        return {"at": at}
    if name == "resolve":
        return {"outcome": text, "at": at}
    if name == "decline":
        return {"reason": text, "at": at}
    if name == "withdraw":
        return {"at": at}
    if name == "resubmit":
        acknowledge_by, resolve_by = escalation.agency.deadlines(escalation.urgency, at=at)
        return {"at": at, "acknowledge_by": acknowledge_by, "resolve_by": resolve_by}
    return {}


def _text_missing(name: str) -> str:
    return {
        "progress": _("Hãy viết nội dung cập nhật."),
        "resolve": _("Hãy viết kết quả xử lý."),
        "return": _("Hãy ghi rõ thông tin cần bổ sung."),
        "decline": _("Hãy ghi lý do từ chối."),
        "resubmit": _("Hãy viết thông tin bổ sung."),
        "withdraw": _("Hãy ghi lý do rút lại."),
    }[name]


@transaction.atomic
def escalation_transition(
    *,
    user,
    escalation_id: int,
    transition: str,
    text: str = "",
    expected_state: str | None = None,
    at: datetime.datetime | None = None,
) -> Escalation:
    """Move an escalation through its state machine, or raise EscalationError with the reason.

    expected_state is the state the user saw: if someone else moved it since,
    the user is told instead of acting on something that changed.
    """
    if transition not in AGENCY_TRANSITIONS and transition not in HOTLINE_TRANSITIONS:
        raise EscalationError(_("Thao tác không hợp lệ."))
    at = at or timezone.now()
    escalation = escalation_get_for_user(
        user=user, escalation_id=escalation_id, perm="change", for_update=True
    )
    by_agency = transition in AGENCY_TRANSITIONS
    if by_agency != bool(user.is_liaison):
        raise EscalationError(_("Bạn không được thực hiện thao tác này."))
    if expected_state and escalation.state != expected_state:
        raise _stale(escalation)
    method = getattr(escalation, TRANSITION_METHODS.get(transition, transition))
    if not can_proceed(method):
        raise EscalationError(
            _("Không thể thực hiện thao tác này khi yêu cầu đang ở trạng thái “%(state)s”.")
            % {"state": escalation.get_state_display()}
        )
    if not has_transition_perm(method, user):
        raise EscalationError(_("Bạn không được thực hiện thao tác này."))
    text = (text or "").strip()
    if transition in TEXT_REQUIRED and not text:
        raise EscalationError(_text_missing(transition))
    if transition == "resubmit" and escalation.case.state == CaseState.CLOSED:
        raise EscalationError(_("Hồ sơ đã đóng, không thể gửi lại."))
    from_state = escalation.state
    try:
        # A savepoint, so that a lost race leaves the transaction usable for the re-read.
        with transaction.atomic():
            method(**_transition_kwargs(escalation, transition, text, at))
            if transition == "withdraw":
                escalation_access_revoke(
                    escalation=escalation, at=at, reason=RevokeReason.WITHDRAWN
                )
            escalation.save(update_fields=SAVED_FIELDS)
    except (TransitionNotAllowed, ConcurrentTransition):
        escalation.refresh_from_db()
        raise _stale(escalation) from None
    message = None
    if text:
        message = EscalationMessage.objects.create(
            escalation=escalation,
            side=EscalationMessage.Side.AGENCY if by_agency else EscalationMessage.Side.HOTLINE,
            author=user,
            transition=transition,
            body=text,
            created_at=at,
        )
    if transition == "resubmit":
        _disclose(escalation, user=user, items=["message"], at=at)
    detail = {"transition": transition, "from": from_state, "to": escalation.state}
    if message is not None:
        detail["message"] = message.pk
    _event(escalation, user=user, at=at, **detail)
    escalation_broadcast(escalation, notice=_notice(transition, escalation.agency), code=transition)
    return escalation


def _disclose(
    escalation: Escalation, *, user, items: list[str], at, snapshot: dict | None = None
) -> DisclosureRecord:
    return DisclosureRecord.objects.create(
        escalation=escalation,
        recipient=escalation.agency,
        recipient_name=escalation.agency.name_vi,
        items=items,
        snapshot=snapshot or {},
        legal_basis=escalation.legal_basis,
        youth_informed=escalation.youth_informed,
        sent_by=user,
        sent_at=at,
    )


def _as_seen(item: str, current, seen: dict):
    """The value to disclose when the person saw `seen` on their page.

    A fact that changed since is refused: the person must look at it first. Of
    the transcript, online items and evidence files, only what the page counted
    is shared, so a message, an item or a file that arrived meanwhile, or an
    item's later revision, is not sent unseen.
    """
    if item not in seen:
        return current
    if item not in RANGE_ITEMS:
        if seen[item] != current:
            raise StaleEscalationError(
                _("Thông tin của hồ sơ vừa thay đổi sau khi bạn mở trang. Hãy xem lại rồi chia sẻ.")
            )
        return current
    counted = seen[item] if isinstance(seen[item], dict) else {}
    capped = {}
    for key, upto in current.items():
        shown = counted.get(key)
        if isinstance(shown, int) and not isinstance(shown, bool) and shown >= 1:
            capped[key] = min(upto, shown)
    return capped


@transaction.atomic
def escalation_disclose(
    *,
    user,
    escalation_id: int,
    items: Iterable[str],
    seen: dict | None = None,
    at: datetime.datetime | None = None,
) -> DisclosureRecord:
    """Share with the agency the current values of some items, as a new disclosure.

    The agency sees only what its records disclosed; this is how hotline staff
    show it more (a changed risk, a new category, the transcript up to now). It
    writes the record, the timeline event and tells the agency. `seen` is what
    the person's page showed (the same codes as a snapshot): a fact changed since
    is refused, and the transcript is shared only as far as the page counted.
    """
    at = at or timezone.now()
    escalation = escalation_get_for_user(
        user=user, escalation_id=escalation_id, perm="change", for_update=True
    )
    if not user.is_hotline_staff:
        raise EscalationError(_("Bạn không được thực hiện thao tác này."))
    if escalation.state not in TALKING_STATES or escalation.access_revoked_at is not None:
        raise EscalationError(_("Yêu cầu này đã kết thúc, không thể chia sẻ thêm thông tin."))
    chosen = set(items)
    items = [item for item in SharedItem.values if item in chosen]
    if len(items) != len(chosen):
        raise EscalationError(_("Thông tin chia sẻ không hợp lệ."))
    if not items:
        raise EscalationError(_("Hãy chọn thông tin cần chia sẻ."))
    current = case_disclosable_values(case=escalation.case, items=items)
    snapshot = {item: _as_seen(item, current[item], seen or {}) for item in items}
    disclosed = escalation_disclosed(escalation=escalation)
    if not any(disclosure_adds(i, snapshot[i], disclosed.get(i)) for i in items):
        raise EscalationError(_("Các thông tin đã chọn không có gì mới so với lần chia sẻ trước."))
    record = _disclose(escalation, user=user, items=items, snapshot=snapshot, at=at)
    _event(escalation, user=user, at=at, transition="disclose", items=items, disclosure=record.pk)
    escalation_broadcast(escalation, notice=_notice("disclose", escalation.agency), code="disclose")
    return record


@transaction.atomic
def escalation_message_send(
    *, user, escalation_id: int, body: str, at: datetime.datetime | None = None
) -> EscalationMessage:
    """Send a message between the agency and the hotline on one escalation.

    What the hotline writes is a disclosure too, and gets its record.
    """
    at = at or timezone.now()
    escalation = escalation_get_for_user(
        user=user, escalation_id=escalation_id, perm="change", for_update=True
    )
    body = (body or "").strip()
    if not body:
        raise EscalationError(_("Tin nhắn không được để trống."))
    if escalation.state not in TALKING_STATES or escalation.access_revoked_at is not None:
        raise EscalationError(_("Yêu cầu này đã kết thúc, không thể gửi thêm tin nhắn."))
    side = EscalationMessage.Side.AGENCY if user.is_liaison else EscalationMessage.Side.HOTLINE
    message = EscalationMessage.objects.create(
        escalation=escalation, side=side, author=user, body=body, created_at=at
    )
    if side == EscalationMessage.Side.HOTLINE:
        _disclose(escalation, user=user, items=["message"], at=at)
    _event(escalation, user=user, at=at, message=message.pk, side=side)
    if side == EscalationMessage.Side.AGENCY:
        escalation_broadcast(
            escalation, notice=_notice("message", escalation.agency), code="message"
        )
    else:
        escalation_broadcast(
            escalation, notice=_("Tổng đài gửi tin nhắn tới cơ quan."), code="hotline_message"
        )
    return message


def escalations_close_with_case(*, case: Case, user, at: datetime.datetime) -> list[Escalation]:
    """The case closed: withdraw what is still open and revoke every agency grant.

    Runs inside the transaction of the case's close transition.
    """
    changed = []
    escalations = Escalation.objects.select_for_update(of=("self",)).filter(
        case=case, access_revoked_at__isnull=True
    )
    for escalation in escalations.select_related("agency", "case"):
        from_state = escalation.state
        if escalation.state in OPEN_STATES:
            escalation.withdraw(at=at)
        escalation_access_revoke(escalation=escalation, at=at, reason=RevokeReason.CASE_CLOSED)
        escalation.save(update_fields=SAVED_FIELDS)
        detail = {"transition": "revoke", "reason": "case_closed"}
        if escalation.state != from_state:
            detail.update(transition="withdraw", **{"from": from_state, "to": escalation.state})
        _event(escalation, user=user, at=at, **detail)
        escalation_broadcast(
            escalation, notice=_notice("withdraw", escalation.agency), code="withdraw"
        )
        changed.append(escalation)
    return changed
