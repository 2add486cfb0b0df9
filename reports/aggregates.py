"""Counting in the database: grouped counts and percentiles that never load the rows.

Every figure of a report is a GROUP BY or an aggregate, so a yearly report over
a million contacts reads a few hundred result rows, not the contacts.

Percentiles (waiting and handling times) are the continuous percentile, the
value at position p * (n - 1) of the sorted values, interpolated between the two
values around it:

- on PostgreSQL, `percentile_cont(p) WITHIN GROUP (ORDER BY field)`, computed
  by the database in one aggregate;
- elsewhere (SQLite, the embedded default), the database groups the rows by
  their value (`GROUP BY field`, one row per distinct number of seconds: a few
  thousand at most) and the percentile is read from that histogram's
  cumulative counts. It is exact, the same number PostgreSQL gives.
"""

import math

from django.db import connections
from django.db.models import Aggregate, Count, FloatField, QuerySet


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile of one field (an ordered-set aggregate)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, *, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError(fraction)
        # A float from code, never from a request: formatting it into the SQL is safe.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def count_by(queryset: QuerySet, *fields, **expressions) -> dict:
    """How many rows share each value of the fields (or named expressions), in one GROUP BY.

    Keys are the value, or a tuple of values when grouping by more than one.
    """
    names = [*fields, *expressions]
    rows = queryset.values(*fields, **expressions).annotate(_n=Count("pk")).order_by()
    if len(names) == 1:
        return {row[names[0]]: row["_n"] for row in rows}
    return {tuple(row[name] for name in names): row["_n"] for row in rows}


def percentiles(queryset: QuerySet, field: str, fractions: tuple[float, ...]) -> list[float | None]:
    """The continuous percentiles of a field over the rows where it is set (None if none)."""
    present = queryset.filter(**{f"{field}__isnull": False}).order_by()
    if connections[present.db].vendor == "postgresql":
        row = present.aggregate(
            **{f"p{i}": PercentileCont(field, fraction=f) for i, f in enumerate(fractions)}
        )
        return [row[f"p{i}"] for i in range(len(fractions))]
    histogram = list(present.values_list(field).annotate(_n=Count("pk")).order_by(field))
    return [percentile_from_histogram(histogram, fraction) for fraction in fractions]


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
