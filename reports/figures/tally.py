"""The contacts of a scope and period counted by their codes, from the rollups and the records.

Each part of the period is counted from the cheapest place that holds it
exactly (reports/rollups.py keeps the rollups; docs/architecture.md, "Daily
rollups", has the rule):

- a whole calendar month inside the period, rolled up, with no day of it
  changed since: its month rows;
- any other day rolled up and not changed since: its day rows;
- every other day (today, a day with a late change the worker has not rolled
  up again, a day never rolled up): the contact records themselves.

The parts are added, so a figure is the records' own whatever the worker has
done so far: the rollups only make it fast.

A count is by DIMENSIONS: "channel", "contact_type", "age_group" and "gender"
(each contact once, under its value), "category" (once under each of its
categories), "area" (once under each top-level area its categories fall in;
None for none), grouped further by the hotline and the local day when asked.
The waiting and handling times are histograms.
"""

from collections import Counter

from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from reports import selectors
from reports.aggregates import histogram
from reports.figures.common import ANSWERED, IN_DANGER
from reports.models import RollupGrain
from reports.periods import Period, day_runs, days_in, month_days

CHOICE_DIMENSIONS = ("channel", "contact_type", "age_group", "gender")
DIMENSIONS = (*CHOICE_DIMENSIONS, "category", "area")
MEASURES = ("contacts", "answered", "in_danger")
# What a count can be grouped by besides the dimension's value.
GROUPINGS = ("hotline_id", "day")


def _add(into: dict, key: tuple, measures: dict) -> None:
    counted = into.setdefault(key, dict.fromkeys(MEASURES, 0))
    for name in MEASURES:
        counted[name] += measures[name]


def _measures(*, distinct: bool = False) -> dict:
    """Contacts, answered and in danger; distinct contacts where a join repeats them."""
    return {
        "contacts": Count("pk", distinct=distinct),
        "answered": Count("pk", distinct=distinct, filter=ANSWERED),
        "in_danger": Count("pk", distinct=distinct, filter=IN_DANGER),
    }


def record_counts(contacts, dimensions, by=()) -> dict[tuple, dict[str, int]]:
    """{(dimension, value, *values of `by`): measures} among these contact records.

    The choice dimensions come from one count grouped by all of them together (a
    few hundred groups) and are added up here; categories and areas are one
    count each.
    """
    counted: dict[tuple, dict[str, int]] = {}
    fields = [field for field in by if field != "day"]
    day = {"day": TruncDate("ended_at", tzinfo=timezone.get_current_timezone())}
    day = day if "day" in by else {}

    def grouping(row) -> tuple:
        return tuple(row[field] for field in by)

    choices = [dimension for dimension in CHOICE_DIMENSIONS if dimension in dimensions]
    if choices:
        rows = contacts.values(*choices, *fields, **day).annotate(**_measures()).order_by()
        for row in rows:
            for dimension in choices:
                _add(counted, (dimension, row[dimension], *grouping(row)), row)
    if "category" in dimensions:
        with_category = contacts.filter(categories__isnull=False)
        rows = with_category.values(*fields, value=F("categories__code"), **day)
        for row in rows.annotate(**_measures()).order_by():
            _add(counted, ("category", row["value"], *grouping(row)), row)
    if "area" in dimensions:
        area = Coalesce("categories__parent__code", "categories__code")
        rows = contacts.values(*fields, value=area, **day)
        for row in rows.annotate(**_measures(distinct=True)).order_by():
            _add(counted, ("area", row["value"], *grouping(row)), row)
    return counted


class ContactTally:
    """The contacts of one scope and period, counted from the rollups and the records."""

    def __init__(self, *, scope, period: Period):
        clean_days, complete_months = selectors.contact_rollups_current(period=period)
        in_period = set(days_in(period))
        clean_days &= in_period
        self.scope = scope
        self.period = period
        # Whole months of the period, rolled up, none of their days changed since.
        self.months = sorted(
            month for month in complete_months if set(month_days(month)) <= clean_days
        )
        in_months = {day for month in self.months for day in month_days(month)}
        self.clean_day_runs = day_runs(clean_days)
        self.day_runs = day_runs(clean_days - in_months)
        self.record_runs = day_runs(in_period - clean_days)
        self.outside_month_runs = day_runs(in_period - in_months)

    def count(self, *dimensions, by=()) -> dict[tuple, dict[str, int]]:
        """{(dimension, value, *values of `by`): {"contacts", "answered", "in_danger"}}.

        `by` is any of GROUPINGS; grouped by "day", whole months are read day by day.
        """
        if not set(dimensions) <= set(DIMENSIONS) or not set(by) <= set(GROUPINGS):
            raise ValueError(f"no count by {dimensions} and {by}")
        counted: dict[tuple, dict[str, int]] = {}
        if "day" in by:
            parts = [(RollupGrain.DAY, self.clean_day_runs)]
        else:
            parts = [(RollupGrain.DAY, self.day_runs), (RollupGrain.MONTH, self.months)]
        fields = ["start" if field == "day" else field for field in by]
        sums = {f"{name}_sum": Sum(name) for name in MEASURES}
        for grain, spans in parts:
            if not spans:
                continue
            rows = selectors.contact_counts_in(
                grain=grain, scope=self.scope, spans=spans, dimensions=dimensions
            )
            for row in rows.values("dimension", "value", *fields).annotate(**sums).order_by():
                value = row["value"]
                if row["dimension"] == "area" and value == "":
                    value = None  # contacts with no category at all
                key = (row["dimension"], value, *(row[field] for field in fields))
                _add(counted, key, {name: row[f"{name}_sum"] for name in MEASURES})
        if self.record_runs:
            records = selectors.contacts_in_runs(scope=self.scope, runs=self.record_runs)
            for key, measures in record_counts(records, dimensions, by).items():
                _add(counted, key, measures)
        return counted

    def histogram(self, measure: str) -> list[tuple[int, int]]:
        """(seconds, answered contacts) of "waited_seconds" or "handled_seconds", in order.

        The month histograms are kept for every hotline together: all hotlines read
        them for their whole months and the records for the other days; one hotline
        counts its records, which its covering index serves (helpline migration 0018).
        """
        counted: Counter = Counter()
        record_runs = [self.period]
        if self.scope.is_all and self.months:
            rows = selectors.contact_waits_in(measure=measure, months=self.months)
            for seconds, contacts in rows.values_list("seconds").annotate(Sum("contacts")):
                counted[seconds] += contacts
            record_runs = self.outside_month_runs
        if record_runs:
            records = selectors.contacts_in_runs(scope=self.scope, runs=record_runs)
            counted.update(dict(histogram(records, measure)))
        return sorted(counted.items())
