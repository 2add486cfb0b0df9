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
)
from cases.selectors import case_get_for_user
from helpline.models import Hotline

EDITABLE_FIELDS = ("risk", "age_group", "gender", "province_code", "summary")


class CaseError(Exception):
    """A change that cannot be made, with a message to show the user."""


class StaleCaseError(CaseError):
    """Someone else changed the case after this user loaded it."""


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
    at = at or timezone.now()
    hotline = user.hotline
    case = Case(
        hotline=hotline,
        reference=case_reference_next(hotline=hotline, year=timezone.localtime(at).year),
        risk=risk,
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
    """Change the descriptive fields of a case. Returns the saved case."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    case = case_get_for_user(user=user, case_id=case_id, for_update=True)
    _check_version(case, expected_version)
    if case.state == CaseState.CLOSED:
        raise CaseError(_("Hồ sơ đã đóng. Hãy mở lại hồ sơ trước khi sửa."))
    changed = [name for name, value in fields.items() if getattr(case, name) != value]
    for name in changed:
        setattr(case, name, fields[name])
    if categories is not None:
        before = set(case.categories.values_list("pk", flat=True))
        if before != {category.pk for category in categories}:
            case.categories.set(categories)
            changed.append("categories")
    if not changed:
        return case
    case.version += 1
    case.save(update_fields=[*[n for n in changed if n != "categories"], "version", "updated_at"])
    case_event_record(case=case, actor=user, action=CaseEvent.Action.UPDATED, fields=changed)
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
            and case.is_high_risk
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
