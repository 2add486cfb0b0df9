"""The one door to incidents.

Rules:
- only supervisors see incidents; operators, liaisons and administrators see none;
- central supervisors see every incident;
- a provincial supervisor sees the incidents their hotline opened and the ones
  that reach their province;
- an incident the user may not see is missing (404), never forbidden.
Of the cases linked to an incident, a user is shown by reference only the ones
cases.selectors lets them see; the others are counted, never named.
"""

from django.db.models import Case as DbCase
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import Http404

from cases.models import Case
from cases.selectors import cases_visible_to
from reports.models import Incident, IncidentCase, IncidentProvince, IncidentState
from reports.report import ALL


def incidents_in_scope(*, scope) -> QuerySet[Incident]:
    """The incidents of one scope: a hotline's id, or ALL for every hotline.

    A hotline's incidents are the ones it opened and the ones that reach its
    province (a provincial hotline's code is its province's code).
    """
    if scope == ALL:
        return Incident.objects.all()
    reaches = IncidentProvince.objects.filter(
        incident=OuterRef("pk"), province_code=_province_of(scope)
    )
    return Incident.objects.filter(Q(hotline_id=scope) | Q(Exists(reaches)))


def _province_of(hotline_id) -> str:
    from helpline.models import Hotline

    hotline = Hotline.objects.filter(pk=hotline_id, is_central=False).only("code").first()
    # The central hotline is no province: its own incidents only.
    return hotline.code if hotline is not None else ""


def incident_scope_for_user(user):
    """The scope of incidents a user sees: ALL, a hotline's id, or None for nothing."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_supervisor", False):
        return None
    return ALL if user.is_central_supervisor else user.hotline_id


def incidents_visible_to(*, user) -> QuerySet[Incident]:
    """Return the incidents this user may see."""
    scope = incident_scope_for_user(user)
    if scope is None:
        return Incident.objects.none()
    return incidents_in_scope(scope=scope)


def incident_get_for_user(*, user, incident_id, for_update: bool = False) -> Incident:
    """Fetch one incident the user may see, or raise Http404."""
    queryset = incidents_visible_to(user=user).select_related("hotline", "category", "opened_by")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=incident_id)
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def incident_list_for_user(*, user) -> list[Incident]:
    """The incidents a user sees, open ones first, each with its number of linked cases."""
    open_first = DbCase(When(state=IncidentState.OPEN, then=Value(0)), default=Value(1))
    return list(
        incidents_visible_to(user=user)
        .select_related("hotline", "category")
        .prefetch_related("provinces")
        .annotate(case_count=Count("links", filter=Q(links__unlinked_at__isnull=True)))
        .order_by(open_first, "-opened_at", "-id")
    )


def incident_linked_case_ids(*, incident: Incident) -> QuerySet:
    """Ids of the cases linked to the incident now (unlinked ones left out)."""
    return IncidentCase.objects.filter(incident=incident, unlinked_at__isnull=True).values(
        "case_id"
    )


def incident_cases_for_user(*, user, incident: Incident) -> tuple[list[Case], int]:
    """The linked cases this user may see (reference, state, risk, province), and how many others.

    No content: like the case list, this is not a read of each case.
    """
    linked = incident_linked_case_ids(incident=incident)
    visible = list(
        cases_visible_to(user=user)
        .filter(pk__in=linked)
        .select_related("hotline")
        .order_by("reference")
    )
    total = IncidentCase.objects.filter(incident=incident, unlinked_at__isnull=True).count()
    return visible, total - len(visible)
