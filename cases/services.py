"""Every change to a case goes through one function here.

Each function runs in one transaction: it locks the case row, checks the
version the user saw, changes the fields, saves, and writes the timeline event
beside the change.
"""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, has_transition_perm

from cases.audit import case_event_record
from cases.models import (
    CASE_TRANSITIONS,
    Case,
    CaseEvent,
    CaseNote,
    CaseReferenceCounter,
    CaseState,
    Category,
    can_set_risk,
    risk_highest,
)
from cases.selectors import case_get_for_user
from helpline.models import Hotline, Risk

EDITABLE_FIELDS = ("risk", "age_group", "gender", "province_code", "summary")


class CaseError(Exception):
    """A change that cannot be made, with a message to show the user."""


class StaleCaseError(CaseError):
    """Someone else changed the case after this user loaded it."""


class RiskLoweringRefused(CaseError):
    """An operator tried to lower a high or imminent risk, which needs a supervisor."""


def case_reference_next(*, hotline: Hotline, year: int) -> str:
    """Hand out the next reference for a hotline and year. Numbers are never reused."""
    counter, _created = CaseReferenceCounter.objects.get_or_create(hotline=hotline, year=year)
    # The increment happens in the database so two creators never get one number.
    CaseReferenceCounter.objects.filter(pk=counter.pk).update(last_number=F("last_number") + 1)
    counter.refresh_from_db(fields=["last_number"])
    return f"{hotline.ref_prefix}-{year}-{counter.last_number:06d}"


@transaction.atomic
def case_create(
    *,
    user,
    categories: list[Category] | tuple = (),
    risk: str,
    age_group: str = "",
    gender: str = "unknown",
    province_code: str = "",
    summary: str = "",
    at: datetime.datetime | None = None,
) -> Case:
    """Open a new case at the user's own hotline."""
    if not user.is_hotline_staff:
        raise CaseError(_("Chỉ tư vấn viên và giám sát viên được tạo hồ sơ."))
    if risk not in Risk.values:
        raise CaseError(_("Mức độ rủi ro không hợp lệ."))
    at = at or timezone.now()
    hotline = user.hotline
    case = Case(
        hotline=hotline,
        reference=case_reference_next(hotline=hotline, year=timezone.localtime(at).year),
        risk=risk,
        highest_risk=risk,
        age_group=age_group,
        gender=gender,
        province_code=province_code or (hotline.code if not hotline.is_central else ""),
        summary=summary,
        created_by=user,
        created_at=at,
    )
    case.save()
    case.categories.set(categories)
    case_event_record(case=case, actor=user, action=CaseEvent.Action.CREATED, at=at)
    return case


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise StaleCaseError(
            _("Hồ sơ vừa được người khác thay đổi. Hãy xem lại bản mới nhất rồi thử lại.")
        )


@transaction.atomic
def case_update(
    *,
    user,
    case_id: int,
    expected_version: int | None,
    categories: list[Category] | None = None,
    **fields,
) -> Case:
    """Change the descriptive fields of a case. Returns the saved case.

    A change of risk is written to the timeline with both levels, and raises
    the highest risk the case ever had; lowering a high or imminent risk needs
    a supervisor, and is refused with nothing saved otherwise.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "risk" in fields and fields["risk"] not in Risk.values:
        raise CaseError(_("Mức độ rủi ro không hợp lệ."))
    case = case_get_for_user(user=user, case_id=case_id, for_update=True)
    _check_version(case, expected_version)
    if case.state == CaseState.CLOSED:
        raise CaseError(_("Hồ sơ đã đóng. Hãy mở lại hồ sơ trước khi sửa."))
    changed = [name for name, value in fields.items() if getattr(case, name) != value]
    risk_change = None
    if "risk" in changed:
        if not can_set_risk(case, user, fields["risk"]):
            raise RiskLoweringRefused(
                _(
                    "Chỉ giám sát viên được hạ mức rủi ro của hồ sơ đang ở mức “%(risk)s”. "
                    "Hãy giữ mức rủi ro hoặc nhờ giám sát viên xem lại."
                )
                % {"risk": case.get_risk_display()}
            )
        risk_change = {"from": case.risk, "to": fields["risk"]}
    for name in changed:
        setattr(case, name, fields[name])
    columns = [*changed]
    if risk_change is not None and risk_highest(case.highest_risk, case.risk) != case.highest_risk:
        case.highest_risk = case.risk
        columns.append("highest_risk")
    if categories is not None:
        before = set(case.categories.values_list("pk", flat=True))
        if before != {category.pk for category in categories}:
            case.categories.set(categories)
            changed.append("categories")
    if not changed:
        return case
    case.version += 1
    case.save(update_fields=[*columns, "version", "updated_at"])
    detail = {"fields": changed}
    if risk_change is not None:
        detail["risk"] = risk_change
    case_event_record(case=case, actor=user, action=CaseEvent.Action.UPDATED, **detail)
    return case


def case_available_transitions(*, case: Case, user) -> list[str]:
    """The transitions this user may take on this case now, in button order."""
    available = {t.name for t in case.get_available_user_state_transitions(user)}
    return [name for name in CASE_TRANSITIONS if name in available]


@transaction.atomic
def case_transition(
    *,
    user,
    case_id: int,
    transition: str,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Case:
    """Move a case through its state machine, or raise CaseError with the reason."""
    if transition not in CASE_TRANSITIONS:
        raise CaseError(_("Thao tác không hợp lệ."))
    at = at or timezone.now()
    case = case_get_for_user(user=user, case_id=case_id, for_update=True)
    _check_version(case, expected_version)
    method = getattr(case, transition)
    if not has_transition_perm(method, user):
        if (
            transition == "close"
            and case.close_needs_supervisor
            and method._django_fsm.has_transition(case.state)
        ):
            raise CaseError(_("Hồ sơ rủi ro cao chỉ giám sát viên mới được đóng."))
        raise CaseError(
            _("Không thể thực hiện thao tác này khi hồ sơ đang ở trạng thái “%(state)s”.")
            % {"state": case.get_state_display()}
        )
    from_state = case.state
    try:
        if transition in ("resolve", "close"):
            method(at=at)
        else:
            method()
        case.version += 1
        case.save(update_fields=["state", "resolved_at", "closed_at", "version", "updated_at"])
    except (TransitionNotAllowed, ConcurrentTransition):
        raise StaleCaseError(
            _("Hồ sơ vừa được người khác thay đổi. Hãy xem lại bản mới nhất rồi thử lại.")
        ) from None
    case_event_record(
        case=case,
        actor=user,
        action=CaseEvent.Action.TRANSITIONED,
        from_state=from_state,
        to_state=case.state,
        transition=transition,
        at=at,
    )
    from cases.signals import case_transitioned

    case_transitioned.send(sender=Case, case=case, transition=transition, user=user)
    return case


@transaction.atomic
def case_note_add(*, user, case_id: int, body: str) -> CaseNote:
    """Append a note to a case."""
    body = body.strip()
    if not body:
        raise CaseError(_("Ghi chú không được để trống."))
    case = case_get_for_user(user=user, case_id=case_id, for_update=True)
    note = CaseNote.objects.create(case=case, author=user, body=body)
    case_event_record(case=case, actor=user, action=CaseEvent.Action.NOTE_ADDED, note=note.pk)
    return note
