"""Reads for inspectors and for supervisors' own break-glass grants.

- the audit trail (inspection.trail) and the breach register: inspectors only,
  every hotline; anyone else gets nothing;
- break-glass grants: each supervisor sees their own; inspectors see all in the trail.
"""

from django.db.models import QuerySet
from django.http import Http404

from cases.models import BreakGlassGrant
from inspection.models import BreachReport
from inspection.trail import SOURCES_BY_KEY, Source, trail_rows


def trail_source_for_user(*, user, key: str) -> Source:
    """One source of the audit trail, for an inspector; Http404 for an unknown one."""
    if not getattr(user, "is_inspector", False) or key not in SOURCES_BY_KEY:
        raise Http404
    return SOURCES_BY_KEY[key]


def trail_for_user(*, user, key: str, **filters) -> tuple[Source, QuerySet]:
    """The filtered rows of one source of the audit trail, for an inspector."""
    source = trail_source_for_user(user=user, key=key)
    return source, trail_rows(source, **filters)


def breach_reports_visible_to(*, user) -> QuerySet[BreachReport]:
    if not getattr(user, "is_inspector", False):
        return BreachReport.objects.none()
    return BreachReport.objects.select_related("recorded_by", "notified_by")


def breach_report_get_for_user(*, user, breach_id: int) -> BreachReport:
    try:
        return breach_reports_visible_to(user=user).get(pk=breach_id)
    except BreachReport.DoesNotExist:
        raise Http404 from None


def break_glass_grants_of(*, user) -> QuerySet[BreakGlassGrant]:
    """The break-glass grants this supervisor opened, newest first."""
    if not getattr(user, "is_supervisor", False):
        return BreakGlassGrant.objects.none()
    return BreakGlassGrant.objects.filter(user_id=user.pk).select_related("case", "case__hotline")


def break_glass_grant_for_inspector(*, user, grant_id: int) -> BreakGlassGrant:
    """One grant with the reads and changes made under it, for an inspector's alert link."""
    if not getattr(user, "is_inspector", False):
        raise Http404
    source = SOURCES_BY_KEY["break_glass"]
    try:
        return source.queryset().get(pk=grant_id)
    except BreakGlassGrant.DoesNotExist:
        raise Http404 from None
