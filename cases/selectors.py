"""The one door to case data: every view, consumer, service and export uses it.

Rules:
- operators see the cases of their own hotline;
- supervisors of a province see that province's cases, central supervisors see all;
- a supervisor also sees a case of another hotline while a break-glass grant on
  it is running (inspection.services.break_glass_open), and acts on it as that
  hotline's supervisor would, every read and change on its timeline;
- liaisons, administrators, inspectors and superusers see no case through this
  door (liaisons see escalations through escalation.selectors);
- a case the user may not see is reported as missing (404), never as forbidden.
"""

import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.audit import case_event_record
from cases.models import BreakGlassGrant, Case, CaseEvent


def cases_visible_to(*, user, at: datetime.datetime | None = None) -> QuerySet[Case]:
    """Return the cases this user may see (at a moment, for the break-glass grants running)."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return Case.objects.none()
    if user.is_central_supervisor:
        return Case.objects.all()
    scope = Q(hotline_id=user.hotline_id)
    if user.is_supervisor:
        now = at or timezone.now()
        # The grants are read first, and almost always there is none. An OR with them in
        # the query keeps PostgreSQL off the hotline's indexes: a small province's closed
        # cases of a rare category walked the whole country's cases (docs/performance.md).
        granted_case_ids = list(
            BreakGlassGrant.objects.filter(user_id=user.pk, expires_at__gt=now).values_list(
                "case_id", flat=True
            )
        )
        if granted_case_ids:
            scope |= Q(pk__in=granted_case_ids)
    return Case.objects.filter(scope)


def case_get_for_user(*, user, case_id: int, for_update: bool = False, audit: bool = False) -> Case:
    """Fetch one case the user may see, or raise Http404.

    With audit=True the read is written to the case's timeline; the caller must
    be in a transaction for the event to commit with the work it belongs to.
    """
    queryset = cases_visible_to(user=user).select_related("hotline")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        case = queryset.get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if audit:
        case_read_audit(case=case, user=user)
    return case


def case_read_audit(*, case: Case, user, action: str = CaseEvent.Action.VIEWED) -> CaseEvent:
    """Write one read of a case to its timeline: who and when, never what was shown.

    Call it inside the transaction that fetched what is shown.
    """
    return case_event_record(case=case, actor=user, action=action)
