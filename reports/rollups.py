"""Rollups of the contact records: the figures of each past day and month, kept as counts.

A yearly report over a million contacts took 4-5 s counted from the contact
records (docs/performance.md), most of it joining them with their categories
and grouping them by day. The worker (reports/jobs.py) rolls each past local
day up once it is over, and each month once all its days are: per hotline,
how many contacts had each value of each code, with how many of them were
answered and in danger (ContactCount, a day row and a month row), and for
every hotline together the month's histograms of waiting and handling times
(ContactWaitCount). Reports read those rows for the days and months they hold
(reports/figures/tally.py).

A contact record of a day can still change after the day was rolled up (a
wrap-up written the next morning, its categories corrected) or be written late
(a conversation that ended just before midnight, committed just after). Every
such write leaves a ContactRollupChange of its day in its own transaction
(reports/receivers.py). Until the job rolls that day up again, reports count
the day, and read its month, from the records. Rolling a day up counts its
month again as well, when every day of the month is rolled up. A change of the
category tree (an area is a category's parent) forgets every rollup, and the
job rolls every day up again.

The rows hold counts and codes only and name no contact, conversation or case:
retention never removes them, and it never removes a contact record either
(retention/purge.py), so a day rolled up again counts what it counted before.
"""

import datetime

from django.db import transaction

from reports import selectors
from reports.aggregates import histogram
from reports.figures.tally import DIMENSIONS, record_counts
from reports.models import (
    ContactCount,
    ContactRollupChange,
    ContactRollupDay,
    ContactRollupMonth,
    ContactWaitCount,
    RollupGrain,
)
from reports.periods import Period, local_today, month_days
from reports.report import ALL

WAIT_MEASURES = ("waited_seconds", "handled_seconds")


def contact_days_mark_changed(*, days) -> None:
    """Say that contacts of these local days changed, in the caller's transaction: the days
    are counted from the records until the job rolls them up again."""
    ContactRollupChange.objects.bulk_create([ContactRollupChange(day=day) for day in sorted(days)])


def contact_rollups_forget() -> None:
    """Forget every rollup (the category tree changed): the job rolls every day up again."""
    ContactRollupMonth.objects.all().delete()
    ContactRollupDay.objects.all().delete()


def _counted_rows(grain: str, start: datetime.date, contacts) -> list[ContactCount]:
    counted = record_counts(contacts, DIMENSIONS, by=("hotline_id",))
    return [
        ContactCount(
            grain=grain,
            start=start,
            hotline_id=hotline_id,
            dimension=dimension,
            value=value or "",  # the area of contacts with no category at all
            **measures,
        )
        for (dimension, value, hotline_id), measures in counted.items()
    ]


def _counts_of(grain: str, start: datetime.date):
    # Every dimension named, so that the (grain, dimension, start) index finds the rows.
    return ContactCount.objects.filter(grain=grain, start=start, dimension__in=DIMENSIONS)


def _records(period: Period):
    every_hotline = selectors.report_scope_get(code=ALL)
    return selectors.contacts_in(scope=every_hotline, period=period)


def _month_count(month: datetime.date, now: datetime.datetime) -> None:
    """Count a month whose days are all rolled up, inside the transaction that holds its row."""
    contacts = _records(Period(month, month_days(month)[-1]))
    _counts_of(RollupGrain.MONTH, month).delete()
    ContactCount.objects.bulk_create(_counted_rows(RollupGrain.MONTH, month, contacts))
    ContactWaitCount.objects.filter(month=month).delete()
    ContactWaitCount.objects.bulk_create(
        ContactWaitCount(month=month, measure=measure, seconds=seconds, contacts=contacts_counted)
        for measure in WAIT_MEASURES
        for seconds, contacts_counted in histogram(contacts, measure)
    )
    ContactRollupMonth.objects.filter(month=month).update(rolled_up_at=now)


def contact_day_roll_up(*, day: datetime.date, now: datetime.datetime) -> None:
    """Count one local day's contact records into its rows, and its month's when every day
    of the month is rolled up; one transaction."""
    month = day.replace(day=1)
    with transaction.atomic():
        # Every rollup of a day of this month takes the month's row first, then the
        # day's: two workers never count the same day or month at once, and the month
        # is counted after every one of its days' rollups committed.
        ContactRollupMonth.objects.select_for_update().get_or_create(month=month)
        ContactRollupDay.objects.select_for_update().get_or_create(
            day=day, defaults={"rolled_up_at": now}
        )
        # The marks go before the counting: a change committed before this statement is
        # seen by the counts below; one committed after keeps its mark, and the day is
        # counted from the records until it is rolled up again.
        ContactRollupChange.objects.filter(day=day).delete()
        contacts = _records(Period(day, day))
        _counts_of(RollupGrain.DAY, day).delete()
        ContactCount.objects.bulk_create(_counted_rows(RollupGrain.DAY, day, contacts))
        ContactRollupDay.objects.filter(day=day).update(rolled_up_at=now)
        days = month_days(month)
        rolled_up = ContactRollupDay.objects.filter(day__gte=days[0], day__lte=days[-1])
        if rolled_up.count() == len(days):
            _month_count(month, now)


def contact_days_roll_up(*, now: datetime.datetime, limit: int) -> int:
    """Roll up to `limit` past days that need it (changed, or never rolled up); how many."""
    days = selectors.contact_days_to_roll_up(today=local_today(now), limit=limit)
    for day in days:
        contact_day_roll_up(day=day, now=now)
    return len(days)
