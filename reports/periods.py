"""Report periods: local dates, inclusive, and the moments that bound them.

A report covers whole local days (Asia/Ho_Chi_Minh, the site's TIME_ZONE) from
`start` to `end`, both included. A contact belongs to the local day it ended on,
so the period reads as ended_at >= start 00:00 and < the day after end 00:00,
local time.
"""

import datetime
import functools
import operator
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

# The union's reporting year runs from 1 December to 30 November: the yearly
# report is due before 30 November.
UNION_YEAR_FIRST_MONTH = 12
# Reports span at most this many days: enough for three union years side by side,
# and a bound on what one request may ask the database to count.
MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime.datetime:
        return day_start(self.start)

    @property
    def end_before(self) -> datetime.datetime:
        """The first moment after the period: local midnight after its last day."""
        return day_start(self.end + datetime.timedelta(days=1))


def day_start(day: datetime.date) -> datetime.datetime:
    """Local midnight at the start of this day, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def local_today(now: datetime.datetime | None = None) -> datetime.date:
    return timezone.localdate(now or timezone.now())


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def week_of(day: datetime.date) -> Period:
    """The Monday-to-Sunday week this day falls in."""
    monday = monday_of(day)
    return Period(monday, monday + datetime.timedelta(days=6))


def week_reference(week_start: datetime.date) -> str:
    """The ISO week of a Monday, as people write it: 2026-W48."""
    year, week, _weekday = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def _month_end(year: int, month: int) -> datetime.date:
    first_of_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - datetime.timedelta(days=1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """The first of the month `months` after (or before) this day's month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def union_year_of(day: datetime.date) -> Period:
    """The union year (1 December to 30 November) this day falls in."""
    end_year = day.year + 1 if day.month >= UNION_YEAR_FIRST_MONTH else day.year
    return Period(datetime.date(end_year - 1, 12, 1), datetime.date(end_year, 11, 30))


def default_period(kind: str, *, today: datetime.date) -> Period:
    """What each kind of report covers unless asked otherwise.

    yearly: the union year in progress (the one to report before 30 November);
    quarterly: the last full calendar quarter; monthly: the last full month;
    weekly: last week, Monday to Sunday.
    """
    if kind == "yearly":
        return union_year_of(today)
    if kind == "quarterly":
        this_quarter = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        start = _add_months(this_quarter, -3)
        return Period(start, this_quarter - datetime.timedelta(days=1))
    if kind == "monthly":
        this_month = today.replace(day=1)
        return Period(_add_months(this_month, -1), this_month - datetime.timedelta(days=1))
    if kind == "weekly":
        return week_of(today - datetime.timedelta(days=7))
    raise ValueError(kind)


def previous_period(period: Period) -> Period:
    """The period of the same length just before this one.

    A period of whole calendar months (from a 1st to a month's last day: a
    month, a quarter, a union year) is compared with the same number of months
    before it, so a union year is compared with the union year before even when
    one of them has 29 February. Any other period is compared with the same
    number of days before it.
    """
    start, end = period.start, period.end
    if start.day == 1 and end == _month_end(end.year, end.month):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return Period(_add_months(start, -months), start - datetime.timedelta(days=1))
    length = datetime.timedelta(days=period.days)
    return Period(start - length, end - length)


def months_in(period: Period) -> list[datetime.date]:
    """The first day of every calendar month the period touches."""
    months = []
    month = period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = _add_months(month, 1)
    return months


def mondays_in(period: Period) -> list[datetime.date]:
    """The Monday of every week the period touches."""
    mondays = []
    monday = monday_of(period.start)
    while monday <= period.end:
        mondays.append(monday)
        monday += datetime.timedelta(days=7)
    return mondays


def day_runs(days) -> list[Period]:
    """Days as runs of consecutive days: 1, 2, 3 and 7 give 1-3 and 7-7."""
    runs: list[Period] = []
    for day in sorted(days):
        if runs and runs[-1].end + datetime.timedelta(days=1) == day:
            runs[-1] = Period(runs[-1].start, day)
        else:
            runs.append(Period(day, day))
    return runs


def days_in(period: Period) -> list[datetime.date]:
    return [period.start + datetime.timedelta(days=n) for n in range(period.days)]


def in_runs(runs: list[Period], field: str, *, moment: bool) -> Q:
    """Rows whose field falls in one of the runs (at least one): a date, or a moment
    (`moment=True`), which falls in the local days of a run."""
    parts = []
    for run in runs:
        if moment:
            parts.append(Q(**{f"{field}__gte": run.start_at, f"{field}__lt": run.end_before}))
        else:
            parts.append(Q(**{f"{field}__gte": run.start, f"{field}__lte": run.end}))
    return functools.reduce(operator.or_, parts)


def month_days(first: datetime.date) -> list[datetime.date]:
    """Every day of the calendar month that starts on this day."""
    return days_in(Period(first, _month_end(first.year, first.month)))
