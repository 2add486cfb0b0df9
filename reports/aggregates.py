"""Counting in the database: grouped counts and percentiles that never load the rows.

Every figure of a report is a GROUP BY or an aggregate, so a yearly report over
a million contacts reads a few hundred result rows, not the contacts.

Percentiles (waiting and handling times) are the continuous percentile, the
value at position p * (n - 1) of the sorted values, interpolated between the two
values around it (PostgreSQL's `percentile_cont`). The database groups the rows
by their value (`GROUP BY field`, one row per distinct number of seconds: a few
thousand at most) and the percentile is read from that histogram's cumulative
counts: exact, and on PostgreSQL faster than `percentile_cont` (a grouped count
runs in parallel, an ordered-set aggregate sorts every value in one process),
and the same histogram also draws the waiting-time chart.
"""

import math

from django.db.models import Count, QuerySet


def count_by(queryset: QuerySet, *fields, **expressions) -> dict:
    """How many rows share each value of the fields (or named expressions), in one GROUP BY.

    Keys are the value, or a tuple of values when grouping by more than one.
    """
    names = [*fields, *expressions]
    # COUNT(*), not COUNT(id): an index that holds the grouped columns then answers alone.
    rows = queryset.values(*fields, **expressions).annotate(_n=Count("*")).order_by()
    if len(names) == 1:
        return {row[names[0]]: row["_n"] for row in rows}
    return {tuple(row[name] for name in names): row["_n"] for row in rows}


def histogram(queryset: QuerySet, field: str) -> list[tuple[int, int]]:
    """(value, how many rows have it) for the rows where the field is set, in value order."""
    present = queryset.filter(**{f"{field}__isnull": False}).order_by()
    return list(present.values_list(field).annotate(_n=Count("*")).order_by(field))


def percentiles(queryset: QuerySet, field: str, fractions: tuple[float, ...]) -> list[float | None]:
    """The continuous percentiles of a field over the rows where it is set (None if none)."""
    counted = histogram(queryset, field)
    return [percentile_from_histogram(counted, fraction) for fraction in fractions]


def percentile_from_histogram(histogram: list[tuple[int, int]], fraction: float) -> float | None:
    """The continuous percentile of values given as (value, how many) pairs in value order."""
    total = sum(count for _value, count in histogram)
    if total == 0:
        return None
    position = fraction * (total - 1)
    below = math.floor(position)
    lower = _value_at(histogram, below)
    upper = _value_at(histogram, math.ceil(position))
    return float(lower + (upper - lower) * (position - below))


def _value_at(histogram: list[tuple[int, int]], index: int) -> int:
    """The index-th value (from 0) of the sorted values the histogram counts."""
    seen = 0
    for value, count in histogram:
        seen += count
        if index < seen:
            return value
    raise IndexError(index)
