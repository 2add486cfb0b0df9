"""The figures of every periodic report, counted in the database.

`report_build` turns a kind, a scope and a period into a Report (reports/report.py)
that the page and every export read. Each figure is one grouped count or
aggregate over the rows that reports/selectors.py hands out (never a loop over
contacts), so a yearly report stays a few dozen queries however many contacts
there are.

What is counted, and from what:
- contacts: ContactRecord, by the local day each contact ended (ended_at), read
  from the daily rollups for the days they hold and from the records for the
  others (reports/figures/tally.py, reports/rollups.py);
- cases: Case, opened by created_at, closed by closed_at (still closed), by the
  highest risk they ever had;
- escalations: Escalation, by the day they were first sent (created_at), with
  their deadlines against the moment the report is built;
- survey answers: SurveyResponse, by submitted_on.
The definitions of the rates and deadline shares are in docs/architecture.md.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from reports import selectors
from reports.figures.common import KIND_LABELS, PERIOD_KINDS
from reports.figures.periodic import periodic_report
from reports.figures.weekly import category_is_rising, volume_is_unusual, weekly_report
from reports.periods import MAX_PERIOD_DAYS, Period, week_of
from reports.report import Report

__all__ = [
    "KIND_LABELS",
    "PERIOD_KINDS",
    "ReportRequestError",
    "category_is_rising",
    "report_build",
    "report_period",
    "volume_is_unusual",
]


class ReportRequestError(ValueError):
    """The kind or the period asked for is not one a report can cover."""


def report_period(*, kind: str, start: datetime.date, end: datetime.date) -> Period:
    """The period a report of this kind covers: any range, except a weekly report's Monday-Sunday.

    A weekly report covers the week `start` falls in, whatever `end` says.
    """
    if kind not in PERIOD_KINDS:
        raise ReportRequestError(_("Loại báo cáo không hợp lệ."))
    if kind == "weekly":
        return week_of(start)
    if end < start:
        raise ReportRequestError(_("Ngày kết thúc phải sau ngày bắt đầu."))
    period = Period(start, end)
    if period.days > MAX_PERIOD_DAYS:
        raise ReportRequestError(_("Một báo cáo bao quát tối đa ba năm."))
    return period


def report_build(
    *,
    kind: str,
    scope: str,
    start: datetime.date,
    end: datetime.date,
    user=None,
    now: datetime.datetime | None = None,
) -> Report:
    """Count the report of this kind for the scope (a hotline's code or ALL) and period.

    With a user, the scope must be one they may read (else Http404); without one
    the caller is the system (the worker) and every scope is open. `now` is the
    moment the report is built: escalation deadlines are judged against it.
    Raises ReportRequestError for a kind or period no report covers.
    """
    period = report_period(kind=kind, start=start, end=end)
    if user is not None:
        report_scope = selectors.report_scope_get_for_user(user=user, code=scope)
    else:
        report_scope = selectors.report_scope_get(code=scope)
    now = now or timezone.now()
    if kind == "weekly":
        return weekly_report(scope=report_scope, period=period, now=now)
    return periodic_report(kind=kind, scope=report_scope, period=period, now=now)
