"""Every change to an incident goes through one function here.

Each runs in one transaction, reaches the incident and the case through their
doors (reports.incident_selectors, cases.selectors: what the user may not see is
a 404), writes a link or an unlink on the case's timeline beside the change, and
tells the supervisors' boards after the commit.
"""

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from cases.audit import case_event_record
from cases.models import Case, CaseEvent, Category
from cases.selectors import case_get_for_user, cases_visible_to
from helpline import groups
from helpline.broadcast import broadcast_on_commit
from helpline.provinces import provinces_by_code
from reports.incident_selectors import incident_get_for_user
from reports.models import (
    Incident,
    IncidentCase,
    IncidentProvince,
    IncidentSeverity,
    IncidentState,
)


class IncidentError(Exception):
    """A change that cannot be made, with the reason for people."""


def _board_changed_on_commit() -> None:
    # Every board lists the open incidents of its scope; incidents change rarely,
    # so every board reads again rather than working out whose scope it touched.
    broadcast_on_commit(
        groups.board_group(),
        {"type": "board.changed", "change": uuid.uuid4().hex, "hotline_id": None},
    )


def _text(value, *, max_length: int, required: bool = False) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if "\x00" in text or len(text) > max_length or (required and not text):
        raise IncidentError(_("Nội dung không hợp lệ."))
    return text


@transaction.atomic
def incident_open(
    *,
    user,
    title: str,
    category: Category,
    severity: str,
    province_codes=(),
    platform: str = "",
    description: str = "",
    at: datetime.datetime | None = None,
) -> Incident:
    """Open an incident for the supervisor's hotline, reaching the provinces named."""
    if not getattr(user, "is_supervisor", False):
        raise PermissionDenied
    if severity not in IncidentSeverity.values:
        raise IncidentError(_("Mức độ không hợp lệ."))
    codes = sorted(set(province_codes))
    if any(code not in provinces_by_code() for code in codes):
        raise IncidentError(_("Tỉnh/thành không hợp lệ."))
    if category is None or not category.is_active:
        raise IncidentError(_("Loại tác hại không hợp lệ."))
    incident = Incident.objects.create(
        hotline_id=user.hotline_id,
        title=_text(title, max_length=120, required=True),
        platform=_text(platform, max_length=80),
        description=_text(description, max_length=1000),
        category=category,
        severity=severity,
        opened_by=user,
        opened_at=at or timezone.now(),
    )
    IncidentProvince.objects.bulk_create(
        IncidentProvince(incident=incident, province_code=code) for code in codes
    )
    _board_changed_on_commit()
    return incident


def _open_incident_for_update(*, user, incident_id) -> Incident:
    incident = incident_get_for_user(user=user, incident_id=incident_id, for_update=True)
    if incident.state != IncidentState.OPEN:
        raise IncidentError(_("Sự việc đã đóng."))
    return incident


def _case_by_reference(*, user, reference) -> Case:
    """A case the user may see, by its reference, locked; an unknown one and a hidden one alike."""
    case_id = None
    if isinstance(reference, str) and reference.strip():
        case_id = (
            cases_visible_to(user=user)
            .filter(reference=reference.strip().upper())
            .values_list("pk", flat=True)
            .first()
        )
    try:
        if case_id is None:
            raise Http404
        return case_get_for_user(user=user, case_id=case_id, for_update=True)
    except Http404:
        raise IncidentError(_("Không tìm thấy hồ sơ.")) from None


@transaction.atomic
def incident_case_link(
    *, user, incident_id, reference: str, at: datetime.datetime | None = None
) -> IncidentCase:
    """Link a case the user may see to an open incident; linking it twice changes nothing."""
    at = at or timezone.now()
    incident = _open_incident_for_update(user=user, incident_id=incident_id)
    case = _case_by_reference(user=user, reference=reference)
    link = IncidentCase.objects.filter(
        incident=incident, case=case, unlinked_at__isnull=True
    ).first()
    if link is not None:
        return link
    link = IncidentCase.objects.create(incident=incident, case=case, linked_by=user, linked_at=at)
    case_event_record(
        case=case, actor=user, action=CaseEvent.Action.INCIDENT_LINKED, at=at, incident=incident.pk
    )
    _board_changed_on_commit()
    return link


@transaction.atomic
def incident_cases_link_from_match(
    *, user, incident_id, match_id: int, at: datetime.datetime | None = None
) -> int:
    """Link every case behind a cross-province match (harms) to the incident; returns how many.

    Only a central supervisor, and only once the match's incident was opened
    through the audited action in harms; each link is on its case's timeline.
    """
    from harms.selectors import match_case_ids

    at = at or timezone.now()
    try:
        case_ids = match_case_ids(user=user, match_id=match_id)
    except Http404:
        raise IncidentError(_("Không tìm thấy dấu vết trùng khớp.")) from None
    incident = _open_incident_for_update(user=user, incident_id=incident_id)
    linked = 0
    for case_id in case_ids:
        case = case_get_for_user(user=user, case_id=case_id, for_update=True)
        if IncidentCase.objects.filter(
            incident=incident, case=case, unlinked_at__isnull=True
        ).exists():
            continue
        IncidentCase.objects.create(incident=incident, case=case, linked_by=user, linked_at=at)
        case_event_record(
            case=case,
            actor=user,
            action=CaseEvent.Action.INCIDENT_LINKED,
            at=at,
            incident=incident.pk,
            match=int(match_id),
        )
        linked += 1
    _board_changed_on_commit()
    return linked


@transaction.atomic
def incident_case_unlink(
    *, user, incident_id, reference: str, at: datetime.datetime | None = None
) -> IncidentCase:
    """Take a case the user may see off an open incident."""
    at = at or timezone.now()
    incident = _open_incident_for_update(user=user, incident_id=incident_id)
    case = _case_by_reference(user=user, reference=reference)
    link = (
        IncidentCase.objects.select_for_update()
        .filter(incident=incident, case=case, unlinked_at__isnull=True)
        .first()
    )
    if link is None:
        raise IncidentError(_("Hồ sơ này không gắn với sự việc."))
    link.unlinked_by = user
    link.unlinked_at = at
    link.save(update_fields=["unlinked_by", "unlinked_at"])
    case_event_record(
        case=case,
        actor=user,
        action=CaseEvent.Action.INCIDENT_UNLINKED,
        at=at,
        incident=incident.pk,
    )
    _board_changed_on_commit()
    return link


@transaction.atomic
def incident_close(*, user, incident_id, at: datetime.datetime | None = None) -> Incident:
    """Close an incident: its hotline's supervisors or a central supervisor may."""
    incident = _open_incident_for_update(user=user, incident_id=incident_id)
    if not has_transition_perm(incident.close, user):
        raise IncidentError(_("Chỉ tổng đài mở sự việc hoặc giám sát viên trung ương được đóng."))
    incident.close(by=user, at=at or timezone.now())
    incident.save(update_fields=["state", "closed_by", "closed_at"])
    _board_changed_on_commit()
    return incident
