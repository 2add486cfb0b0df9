"""What a report is, whatever shows it: the page, CSV, XLSX or .docx.

A report is built once (reports/figures/) into these plain objects and every
output reads them, so a table on the page and in every export hold the same
figures. Reports count; they never hold content, names, numbers or references.
"""

import datetime
from dataclasses import dataclass, field

# Kinds of report, in the order the page offers them.
KINDS = ("yearly", "quarterly", "monthly", "weekly", "flash")
# The scope of a report: a hotline's code, or ALL for every hotline (central supervisors).
ALL = "all"


@dataclass
class Table:
    """One table of figures.

    rows: each row starts with its label (text) and goes on with one value per
    remaining column: an int, a float (rates, medians; shown with one decimal),
    or None (no value). counts_people is True when the cells count contacts,
    cases or young people: those cells are suppressed below 5 in an export that
    leaves the hotline (reports/suppression.py); rates and durations are not.
    total_row: the last row holds the column totals (suppression must keep a
    small cell from being recovered from them).
    derived_columns: the last this-many value columns are worked out from the
    counts before them in the same row (a change against the previous period,
    a share): an export that suppresses a count of a row must blank the row's
    derived cells too, or the count could be worked back out of them.
    depends_on: for a table that counts no one but is worked out from counts
    elsewhere (a rate, a median), row index -> the (table key, row index) of the
    counts it comes from, column for column: where one of those counts is small
    or hidden, the export hides this row's cell too (and its derived cells).
    """

    key: str
    title: str
    columns: list[str]
    rows: list[list]
    counts_people: bool = True
    total_row: bool = False
    note: str = ""
    derived_columns: int = 0
    depends_on: dict[int, list[tuple[str, int]]] = field(default_factory=dict)


@dataclass
class Chart:
    """A picture of a series of figures: kind "bar", "line" or "stacked" (stacked bars).

    labels: the x axis (weeks, categories...); series: (name, values) with one
    value per label.
    """

    key: str
    title: str
    kind: str
    labels: list[str]
    series: list[tuple[str, list[float]]]


@dataclass
class Report:
    kind: str
    scope: str
    scope_name: str
    start: datetime.date
    end: datetime.date  # inclusive
    title: str
    generated_at: datetime.datetime
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    # The period compared with, when the report compares (yearly: the year before).
    previous_start: datetime.date | None = None
    previous_end: datetime.date | None = None
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)
