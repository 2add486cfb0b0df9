"""A period's contacts counted in a few passes, for every figure that reads them.

The figures share their passes, each asked of a ContactTally
(reports/figures/tally.py: the rollups for the days and months they hold, the
contact records for the others):

- one count of every code (channel, contact type, age group, gender, category,
  area), with how many were answered and in danger, gives the headline counts
  and the tables by choice and by category;
- one count of the channels by local day gives the months and the weeks;
- the waiting and handling times' histograms give their percentiles and the
  waiting-time chart.

Every figure is a grouped count in the database, summed here from at most a
few thousand result rows: never a loop over contacts.
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from helpline.models import ContactType
from reports.aggregates import percentile_from_histogram
from reports.figures.tally import DIMENSIONS, ContactTally
from reports.periods import Period


@dataclass
class ContactCounts:
    tally: ContactTally  # for any other grouping of the same contacts
    # {(dimension, value): {"contacts", "answered", "in_danger"}} for every dimension
    counted: dict[tuple[str, str | None], dict[str, int]]
    by_day_and_channel: dict[tuple[datetime.date, str], int]
    waits: list[tuple[int, int]]  # (seconds waited, contacts), answered contacts only
    handling: list[tuple[int, int]]

    def by(self, dimension: str) -> dict:
        """How many contacts have each value of one dimension (tally.DIMENSIONS)."""
        return {
            value: measures["contacts"]
            for (counted_dimension, value), measures in self.counted.items()
            if counted_dimension == dimension
        }

    @property
    def by_category(self) -> dict[str, int]:
        """Contacts per category code (a contact in two counts in both)."""
        return self.by("category")

    @property
    def by_area(self) -> dict[str | None, int]:
        """Distinct contacts per top-level area; None: no category."""
        return self.by("area")

    def headline(self) -> dict:
        # Every contact has one channel: the channels add up to every contact.
        channels = [m for (dimension, _v), m in self.counted.items() if dimension == "channel"]
        return {
            "contacts": sum(measures["contacts"] for measures in channels),
            "answered": sum(measures["answered"] for measures in channels),
            "abandoned": self.by("contact_type").get(ContactType.ABANDONED, 0),
            "in_danger": sum(measures["in_danger"] for measures in channels),
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


def contact_counts(*, scope, period: Period) -> ContactCounts:
    """Count the contacts of a scope and period for every figure."""
    tally = ContactTally(scope=scope, period=period)
    by_day = tally.count("channel", by=("day",))
    return ContactCounts(
        tally=tally,
        counted=tally.count(*DIMENSIONS),
        by_day_and_channel={
            (day, channel): measures["contacts"]
            for (_dimension, channel, day), measures in by_day.items()
        },
        waits=tally.histogram("waited_seconds"),
        handling=tally.histogram("handled_seconds"),
    )


def headline_of(tally: ContactTally) -> dict:
    """The headline counts of a tally's contacts, from one count by contact type."""
    by_type = tally.count("contact_type")
    return {
        "contacts": sum(measures["contacts"] for measures in by_type.values()),
        "answered": sum(measures["answered"] for measures in by_type.values()),
        "abandoned": by_type.get(("contact_type", ContactType.ABANDONED), {}).get("contacts", 0),
        "in_danger": sum(measures["in_danger"] for measures in by_type.values()),
    }


def service_times(waits: list, handling: list) -> dict:
    """Waiting time p50 and p90, handling time p50, in seconds (None when nothing was answered)."""
    return {
        "wait_p50": percentile_from_histogram(waits, 0.5),
        "wait_p90": percentile_from_histogram(waits, 0.9),
        "handled_p50": percentile_from_histogram(handling, 0.5),
    }
