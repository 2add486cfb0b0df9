"""The reports' reads: who may read which scope, and the rows each report counts.

Reports are for supervisors. A provincial supervisor reads their own hotline;
a central supervisor reads every hotline at once (ALL, with a per-province
breakdown) or any one of them. Anyone else reads none. A scope the user may not
read is missing (404), like one that does not exist.

The querysets below are the only place, with reports/figures/, where reports
read other apps' models, and they hold no content: the figures only count them.
The daily rollups of the contact records (reports/rollups.py) are read here too.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseState, Category
from escalation.models import Agency, Escalation, EscalationState
from helpline.models import ContactRecord, Hotline, Role, SurveyResponse, User
from reports.models import (
    ContactCount,
    ContactRollupChange,
    ContactRollupDay,
    ContactRollupMonth,
    ContactWaitCount,
    RollupGrain,
    WeeklyReport,
)
from reports.periods import Period, in_runs, month_days
from reports.report import ALL


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: one hotline, or every hotline (code ALL, hotline_id None)."""

    code: str
    name: str
    hotline_id: int | None = None

    @property
    def is_all(self) -> bool:
        return self.hotline_id is None


def _all_scope() -> ReportScope:
    return ReportScope(code=ALL, name=_("Tất cả tổng đài"))


def _hotline_scope(hotline: Hotline) -> ReportScope:
    return ReportScope(code=hotline.code, name=hotline.name, hotline_id=hotline.pk)


def report_scopes_for(*, user) -> list[ReportScope]:
    """The scopes this user may read reports of, in the order a choice offers them."""
    if not getattr(user, "is_supervisor", False):
        return []
    if user.is_central_supervisor:
        return [_all_scope(), *(_hotline_scope(hotline) for hotline in Hotline.objects.all())]
    return [_hotline_scope(user.hotline)]


def report_scope_default_for(*, user) -> ReportScope:
    """ALL for a central supervisor, their own hotline for anyone else who may read reports."""
    scopes = report_scopes_for(user=user)
    if not scopes:
        raise Http404
    return scopes[0]


def report_scope_get_for_user(*, user, code: str) -> ReportScope:
    """The scope with this code if the user may read it; Http404 otherwise."""
    for scope in report_scopes_for(user=user):
        if scope.code == code:
            return scope
    raise Http404


def report_scope_get(*, code: str) -> ReportScope:
    """Any scope by its code, for the system (the worker), which reads every scope."""
    if code == ALL:
        return _all_scope()
    hotline = Hotline.objects.filter(code=code).first()
    if hotline is None:
        raise Http404
    return _hotline_scope(hotline)


def _in_scope(queryset: QuerySet, scope: ReportScope, hotline_field: str) -> QuerySet:
    if scope.is_all:
        return queryset
    return queryset.filter(**{hotline_field: scope.hotline_id})


def contacts_in(*, scope: ReportScope, period: Period) -> QuerySet:
    """Contact records of the scope that ended in the period (local days, inclusive)."""
    queryset = ContactRecord.objects.filter(
        ended_at__gte=period.start_at, ended_at__lt=period.end_before
    )
    # ContactRecord has no default ordering, but clear it anyway: GROUP BY needs none.
    return _in_scope(queryset, scope, "hotline_id").order_by()


def contacts_in_runs(*, scope: ReportScope, runs: list[Period]) -> QuerySet:
    """Contact records of the scope that ended in any of these runs of days (at least one)."""
    queryset = ContactRecord.objects.filter(in_runs(runs, "ended_at", moment=True))
    return _in_scope(queryset, scope, "hotline_id").order_by()


def contact_ends(*, ids=None, category=None) -> list[datetime.datetime]:
    """When these contact records ended: the ones with these ids, or with this category."""
    if ids is not None:
        queryset = ContactRecord.objects.filter(pk__in=list(ids))
    else:
        queryset = ContactRecord.objects.filter(categories=category)
    return list(queryset.values_list("ended_at", flat=True))


def contact_counts_in(*, grain: str, scope: ReportScope, spans: list, dimensions) -> QuerySet:
    """Rollup rows of the scope: day rows on runs of days, or month rows of these months."""
    if grain == RollupGrain.DAY:
        queryset = ContactCount.objects.filter(in_runs(spans, "start", moment=False))
    else:
        queryset = ContactCount.objects.filter(start__in=spans)
    queryset = queryset.filter(grain=grain, dimension__in=list(dimensions))
    return _in_scope(queryset, scope, "hotline_id").order_by()


def contact_waits_in(*, measure: str, months: list[datetime.date]) -> QuerySet:
    """The month histograms of waiting or handling times, every hotline together."""
    return ContactWaitCount.objects.filter(measure=measure, month__in=months).order_by()


def contact_rollups_current(*, period: Period) -> tuple[set, set]:
    """The days of the period whose day rows hold their figures now, and the months whose
    month rows may (all their days rolled up, counted as a month, and inside the period).

    A day holds its figures while it is rolled up and no contact of it changed
    since: a change leaves a mark (ContactRollupChange) until the job rolls the
    day up again. A month holds them while every one of its days does.
    """
    in_period = {"day__gte": period.start, "day__lte": period.end}
    rolled_up = ContactRollupDay.objects.filter(**in_period).values_list("day", flat=True)
    changed = ContactRollupChange.objects.filter(**in_period).values_list("day", flat=True)
    months = ContactRollupMonth.objects.filter(
        month__gte=period.start, month__lte=period.end, rolled_up_at__isnull=False
    ).values_list("month", flat=True)
    whole = {month for month in months if month_days(month)[-1] <= period.end}
    return set(rolled_up) - set(changed.distinct()), whole


def contact_days_to_roll_up(*, today: datetime.date, limit: int) -> list[datetime.date]:
    """The past days the rollup job should count, at most `limit`: first those changed since
    they were rolled up, then those never rolled up since the first contact; the latest first."""
    changed = (
        ContactRollupChange.objects.filter(day__lt=today)
        .values_list("day", flat=True)
        .distinct()
        .order_by("-day")
    )
    due = list(changed[:limit])
    first_ended = ContactRecord.objects.order_by("ended_at").values_list("ended_at", flat=True)
    first = first_ended.first()
    if first is None or len(due) >= limit:
        return due
    first_day = timezone.localdate(first)
    rolled_up = set(
        ContactRollupDay.objects.filter(day__gte=first_day).values_list("day", flat=True)
    )
    day = today - datetime.timedelta(days=1)
    while day >= first_day and len(due) < limit:
        if day not in rolled_up and day not in due:
            due.append(day)
        day -= datetime.timedelta(days=1)
    return due


def cases_opened_in(*, scope: ReportScope, period: Period) -> QuerySet:
    """Cases of the scope created in the period."""
    queryset = Case.objects.filter(
        created_at__gte=period.start_at, created_at__lt=period.end_before
    )
    return _in_scope(queryset, scope, "hotline_id").order_by()


def cases_closed_in(*, scope: ReportScope, period: Period) -> QuerySet:
    """Cases of the scope closed in the period and still closed."""
    queryset = Case.objects.filter(
        state=CaseState.CLOSED, closed_at__gte=period.start_at, closed_at__lt=period.end_before
    )
    return _in_scope(queryset, scope, "hotline_id").order_by()


def escalations_sent_in(*, scope: ReportScope, period: Period) -> QuerySet:
    """Escalations from cases of the scope first sent in the period."""
    queryset = Escalation.objects.filter(
        created_at__gte=period.start_at, created_at__lt=period.end_before
    )
    return _in_scope(queryset, scope, "case__hotline_id").order_by()


def escalations_overdue(*, scope: ReportScope, now: datetime.datetime) -> QuerySet:
    """Escalations of the scope still waiting on the agency past a deadline at `now`.

    The same rule as Escalation.is_overdue, as a query: still sent past the
    acknowledgement deadline, or not resolved past the resolution deadline.
    """
    waiting = (EscalationState.SENT, EscalationState.ACKNOWLEDGED, EscalationState.IN_PROGRESS)
    queryset = Escalation.objects.filter(
        Q(state=EscalationState.SENT, acknowledge_by__lt=now)
        | Q(state__in=waiting, resolve_by__lt=now)
    )
    return _in_scope(queryset, scope, "case__hotline_id").order_by()


def surveys_in(*, scope: ReportScope, period: Period) -> QuerySet:
    """After-chat survey answers of the scope submitted in the period."""
    queryset = SurveyResponse.objects.filter(
        submitted_on__gte=period.start, submitted_on__lte=period.end
    )
    return _in_scope(queryset, scope, "hotline_id").order_by()


def hotlines_all() -> list[Hotline]:
    """Every hotline, central first, then by code: the rows of a per-province breakdown."""
    return list(Hotline.objects.all())


def categories_all() -> list[Category]:
    """The category tree (active or not: old contacts keep retired categories)."""
    return list(Category.objects.select_related("parent").order_by("position", "code"))


def category_place(*, category_id: int) -> tuple[str, int | None] | None:
    """A category's code and parent as stored, or None if it is not stored yet."""
    return Category.objects.filter(pk=category_id).values_list("code", "parent_id").first()


def agencies_named(ids) -> dict[int, Agency]:
    return Agency.objects.in_bulk(list(ids))


def weekly_reports_visible_to(*, user, scope: ReportScope) -> QuerySet:
    """The weekly reports of this scope, if the user may read it (else none)."""
    if not any(allowed.code == scope.code for allowed in report_scopes_for(user=user)):
        return WeeklyReport.objects.none()
    return WeeklyReport.objects.filter(scope=scope.code)


def weekly_report_scopes() -> list[ReportScope]:
    """The scopes the worker makes a weekly report for: ALL (central), then every province."""
    provinces = Hotline.objects.filter(is_central=False)
    return [_all_scope(), *(_hotline_scope(hotline) for hotline in provinces)]


def report_supervisors(*, scope: ReportScope) -> list[User]:
    """Who is told about a scope's report: its hotline's active supervisors, central's for ALL."""
    supervisors = User.objects.filter(is_active=True, role=Role.SUPERVISOR)
    if scope.is_all:
        return list(supervisors.filter(hotline__is_central=True))
    return list(supervisors.filter(hotline_id=scope.hotline_id))


def weekly_report_scopes_made(*, week_start: datetime.date) -> set[str]:
    """The scopes whose weekly report for this week already exists (for the worker)."""
    return set(WeeklyReport.objects.filter(week_start=week_start).values_list("scope", flat=True))
