"""A period's contacts counted in a few passes, for every figure that reads them.

Each grouped count is a pass over the period's contacts: about a tenth of a
second for a year of a million contacts on the benchmark machine
(docs/performance.md), and a yearly report used to make some twenty of them.
The figures now share their passes:

- one count grouped by channel, contact type, age group and gender together (a
  few hundred groups), with how many of each were answered and in danger,
  gives the headline counts and the four tables by choice;
- one count by local day and channel gives the months and the weeks;
- the waiting and handling times' histograms (reports/aggregates.py) give their
  percentiles and the waiting-time chart;
- one count per category and one per area of the category tree give the
  category tables and the top-categories chart.

Every figure is still a grouped count in the database, summed here from at most
a few thousand result rows: never a loop over contacts.
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from helpline.models import ContactType
from reports.aggregates import histogram, percentile_from_histogram
from reports.figures.common import ANSWERED, IN_DANGER

CHOICE_FIELDS = ("channel", "contact_type", "age_group", "gender")


@dataclass
class ContactCounts:
    choices: list[dict]  # one row per combination of CHOICE_FIELDS: n, answered, in_danger
    by_day_and_channel: dict[tuple[datetime.date, str], int]
    waits: list[tuple[int, int]]  # (seconds waited, contacts), answered contacts only
    handling: list[tuple[int, int]]
    by_category: dict[str, int]  # contacts per category code (a contact in two counts in both)
    by_area: dict[str | None, int]  # distinct contacts per top-level area; None: no category

    def by(self, field: str) -> dict:
        """How many contacts have each value of one of CHOICE_FIELDS."""
        counted = Counter()
        for row in self.choices:
            counted[row[field]] += row["n"]
        return dict(counted)

    def headline(self) -> dict:
        return {
            "contacts": sum(row["n"] for row in self.choices),
            "answered": sum(row["answered"] for row in self.choices),
            "abandoned": self.by("contact_type").get(ContactType.ABANDONED, 0),
            "in_danger": sum(row["in_danger"] for row in self.choices),
        }

    def by_month(self) -> dict[datetime.date, int]:
        counted = Counter()
        for (day, _channel), count in self.by_day_and_channel.items():
            counted[day.replace(day=1)] += count
        return dict(counted)

    def by_week_and_channel(self) -> dict[tuple[str, datetime.date], int]:
        """{(channel, the week's Monday): contacts}, as the per-week chart reads them."""
        counted = Counter()
        for (day, channel), count in self.by_day_and_channel.items():
            counted[channel, day - datetime.timedelta(days=day.weekday())] += count
        return dict(counted)


def _choices(contacts) -> list[dict]:
    return list(
        contacts.values(*CHOICE_FIELDS)
        .annotate(
            n=Count("*"),
            answered=Count("pk", filter=ANSWERED),
            in_danger=Count("pk", filter=IN_DANGER),
        )
        .order_by()
    )


def _by_day_and_channel(contacts) -> dict:
    day = TruncDate("ended_at", tzinfo=timezone.get_current_timezone())
    rows = contacts.values("channel", day=day).annotate(n=Count("*")).order_by()
    return {(row["day"], row["channel"]): row["n"] for row in rows}


def _by_category(contacts) -> dict[str, int]:
    rows = (
        contacts.filter(categories__isnull=False)
        .values("categories__code")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {row["categories__code"]: row["n"] for row in rows}


def _by_area(contacts) -> dict[str | None, int]:
    area = Coalesce("categories__parent__code", "categories__code")
    rows = contacts.values(area=area).annotate(n=Count("pk", distinct=True)).order_by()
    return {row["area"]: row["n"] for row in rows}


def contact_counts(contacts) -> ContactCounts:
    """Count the contacts of a queryset (one scope and period) for every figure, in six passes."""
    return ContactCounts(
        choices=_choices(contacts),
        by_day_and_channel=_by_day_and_channel(contacts),
        waits=histogram(contacts, "waited_seconds"),
        handling=histogram(contacts, "handled_seconds"),
        by_category=_by_category(contacts),
        by_area=_by_area(contacts),
    )


def service_times(waits: list, handling: list) -> dict:
    """Waiting time p50 and p90, handling time p50, in seconds (None when nothing was answered)."""
    return {
        "wait_p50": percentile_from_histogram(waits, 0.5),
        "wait_p90": percentile_from_histogram(waits, 0.9),
        "handled_p50": percentile_from_histogram(handling, 0.5),
    }
