"""The one door to case data: every view, consumer, service and export uses it.

Rules:
- operators see the cases of their own hotline;
- supervisors of a province see that province's cases, central supervisors see all;
- liaisons, administrators and superusers see no case through this door (liaisons
  see escalations through escalation.selectors);
- a case the user may not see is reported as missing (404), never as forbidden.
"""

from django.db.models import QuerySet
from django.http import Http404

from cases.audit import case_event_record
from cases.models import Case, CaseEvent


def cases_visible_to(*, user) -> QuerySet[Case]:
    """Return the cases this user may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return Case.objects.none()
    if user.is_central_supervisor:
        return Case.objects.all()
    return Case.objects.filter(hotline_id=user.hotline_id)


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
