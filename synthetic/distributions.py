"""What synthetic history looks like: the shares and shapes seed_synthetic draws from.

These are plausible figures for a national youth helpline, not measurements:
they exist so that benchmarks and tests run on data shaped like the real thing
(many contacts in big provinces, a central share, web chat first, long-tailed
waits, online harms frequent, few escalations), never to stand for real figures.
"""

import bisect
import datetime
import itertools
import math
import random
from collections.abc import Sequence


class Weighted:
    """A fixed weighted choice, drawn in O(log n) from cumulative weights."""

    def __init__(self, weights: dict):
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]

    def share(self, value) -> float:
        index = self.values.index(value)
        before = self.cumulative[index - 1] if index else 0.0
        return (self.cumulative[index] - before) / self.total


def lognormal_seconds(rng: random.Random, *, median: float, sigma: float, cap: int) -> int:
    """A long-tailed duration: most short, a few very long, never above cap."""
    return min(cap, max(1, round(rng.lognormvariate(math.log(median), sigma))))


def between(rng: random.Random, start: datetime.datetime, end: datetime.datetime):
    """A moment between start and end (start itself when end is not after it)."""
    if end <= start:
        return start
    return start + datetime.timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))


# What stands in for anything a person would have written: no row of synthetic
# history holds real or realistic content.
PLACEHOLDER_TEXT = "Dữ liệu giả lập (seed_synthetic), không phải nội dung thật."

# Approximate population of each province after the 2025 merger, in millions:
# contacts to a provincial hotline follow it.
PROVINCE_POPULATION = {
    "01": 8.7, "04": 0.6, "08": 1.9, "11": 0.7, "12": 0.5, "14": 1.3, "15": 1.8,
    "19": 1.8, "20": 0.8, "22": 1.4, "24": 3.6, "25": 4.0, "31": 4.7, "33": 3.6,
    "37": 4.4, "38": 4.3, "40": 3.8, "42": 1.6, "44": 1.9, "46": 1.4, "48": 3.1,
    "51": 2.2, "52": 3.6, "56": 2.2, "66": 3.3, "68": 3.9, "75": 4.5, "79": 14.0,
    "80": 3.3, "82": 4.4, "86": 4.3, "91": 4.9, "92": 4.2, "96": 2.6,
}  # fmt: skip
# The share of contacts the central hotline takes itself (its own number, overflow,
# provinces closed at night).
CENTRAL_SHARE = 0.15
# Operators per million inhabitants, at least MIN_OPERATORS per hotline.
OPERATORS_PER_MILLION = 2.5
MIN_OPERATORS = 3
CENTRAL_OPERATORS = 30
SUPERVISORS_PER_HOTLINE = 2

CHANNELS = Weighted({"webchat": 0.62, "voice": 0.30, "sms": 0.08})
# "" is a contact whose wrap-up was never written.
CONTACT_TYPES = Weighted(
    {
        "counselling": 0.50,
        "information": 0.12,
        "referral": 0.05,
        "abandoned": 0.13,
        "silent": 0.07,
        "prank": 0.06,
        "test": 0.02,
        "out_of_hours": 0.04,
        "": 0.01,
    }
)
UNANSWERED_TYPES = ("abandoned", "out_of_hours")
# Types whose contact is about something: it has categories and may open a case.
SUBSTANTIVE_TYPES = ("counselling", "referral", "information", "")
# Handling time, median seconds, by type (lognormal, sigma HANDLED_SIGMA).
HANDLED_MEDIAN = {
    "counselling": 900,
    "referral": 1200,
    "information": 240,
    "silent": 60,
    "prank": 90,
    "test": 45,
    "": 600,
}
HANDLED_SIGMA = 0.7
WAITED_MEDIAN, WAITED_SIGMA = 40, 1.1
# How long an abandoned contact waited before leaving.
ABANDONED_MEDIAN, ABANDONED_SIGMA = 90, 1.0
MAX_SECONDS = 4 * 3600

AGE_GROUPS = Weighted(
    {"under-12": 0.06, "12-14": 0.22, "15-17": 0.34, "18-24": 0.25, "25-30": 0.07,
     "over-30": 0.03, "": 0.03}
)  # fmt: skip
GENDERS = Weighted({"female": 0.48, "male": 0.38, "other": 0.02, "unknown": 0.12})
LANGUAGES = Weighted({"vi": 0.99, "en": 0.01})
# Risk assessed on counselling and referral contacts.
RISKS = Weighted({"low": 0.66, "medium": 0.22, "high": 0.09, "imminent": 0.03})
DANGER_IF_IMMINENT = 0.15
DANGER_OTHERWISE = 0.001

# How many categories a substantive contact gets, and from which area. Within an
# area, ONLINE_HARMS weighs the online harms; other areas' leaves are equally likely.
CATEGORY_COUNT = Weighted({1: 0.6, 2: 0.3, 3: 0.1})
AREAS = Weighted(
    {"online": 0.45, "mental_health": 0.15, "education": 0.08, "family": 0.08, "peers": 0.07,
     "violence": 0.07, "services": 0.04, "health": 0.03, "discrimination": 0.02,
     "missing": 0.01}
)  # fmt: skip
ONLINE_HARMS = {
    "online.cyberbullying": 0.20, "online.privacy": 0.12, "online.scam": 0.12,
    "online.impersonation": 0.10, "online.hacking": 0.10, "online.image_abuse": 0.08,
    "online.harmful_content": 0.06, "online.gaming": 0.05, "online.sextortion": 0.05,
    "online.grooming": 0.04, "online.addiction": 0.04, "online.ocsea": 0.02,
    "online.misinformation": 0.02,
}  # fmt: skip
INFORMATION_AREAS = Weighted({"non_counselling": 0.5, "services": 0.3, "online": 0.2})

# The chance that a contact opens a case, by type and (for counselling) risk.
CASE_CHANCE = {
    ("counselling", "low"): 0.08,
    ("counselling", "medium"): 0.30,
    ("counselling", "high"): 0.80,
    ("counselling", "imminent"): 0.95,
    ("referral", "low"): 0.60,
    ("referral", "medium"): 0.70,
    ("referral", "high"): 0.90,
    ("referral", "imminent"): 0.95,
}
# The chance that a case is escalated, by its highest risk, and when one of its
# categories suggests an agency.
ESCALATION_CHANCE = {"low": 0.005, "medium": 0.02, "high": 0.2, "imminent": 0.5}
ESCALATION_CHANCE_HINTED = 0.05
URGENCY_BY_RISK = {
    "low": Weighted({"72h": 1.0}),
    "medium": Weighted({"24h": 0.4, "72h": 0.6}),
    "high": Weighted({"immediate": 0.3, "24h": 0.6, "72h": 0.1}),
    "imminent": Weighted({"immediate": 0.9, "24h": 0.1}),
}
# What an agency does with an escalation once it is due: acknowledge in time, resolve in
# time, and how it ends.
ACKNOWLEDGED_IN_TIME = 0.82
RESOLVED_IN_TIME = 0.70
# Where an escalation stands while it is acknowledged but not yet past its resolution deadline.
UNDER_WAY = Weighted(
    {"acknowledged": 0.3, "in_progress": 0.5, "resolved": 0.1, "returned": 0.05, "declined": 0.05}
)
FINISHED_AS = Weighted(
    {"resolved": 0.84, "declined": 0.08, "withdrawn": 0.072, "in_progress": 0.004,
     "returned": 0.002, "sent": 0.002}
)  # fmt: skip
AGENCY_MESSAGES = Weighted({0: 0.3, 1: 0.4, 2: 0.2, 3: 0.1})

# Volume: grows by this factor a year, lower in the summer holidays (June to August)
# and at weekends, and peaks in the evening.
YEARLY_GROWTH = 1.25
SUMMER_FACTOR = 0.85
WEEKEND_FACTOR = 0.85
HOUR_WEIGHTS = Weighted(
    {0: 0.8, 1: 0.5, 2: 0.3, 3: 0.2, 4: 0.2, 5: 0.3, 6: 0.6, 7: 1.0, 8: 1.4, 9: 1.6, 10: 1.7,
     11: 1.7, 12: 1.6, 13: 1.6, 14: 1.8, 15: 2.0, 16: 2.2, 17: 2.4, 18: 2.8, 19: 3.2, 20: 3.4,
     21: 3.2, 22: 2.4, 23: 1.5}
)  # fmt: skip
NIGHT_HOURS = Weighted({22: 1, 23: 1, 0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1})

# Cases: how their state depends on their age in days, and how they move.
CASE_STATE_BY_AGE: Sequence[tuple[int, Weighted]] = (
    (2, Weighted({"new": 0.5, "open": 0.5})),
    (14, Weighted({"new": 0.1, "open": 0.6, "resolved": 0.2, "closed": 0.1})),
    (60, Weighted({"open": 0.3, "resolved": 0.25, "closed": 0.45})),
    (10**6, Weighted({"open": 0.03, "resolved": 0.07, "closed": 0.9})),
)
CASE_VIEWS = Weighted({0: 0.2, 1: 0.4, 2: 0.25, 3: 0.15})
CASE_RISK_LOWERED = 0.10
CASE_CATEGORIES_CHANGED = 0.10
# The share of answered web chats whose young person answered the survey.
SURVEY_SHARE = 0.08
SURVEY_ANSWERS = Weighted({"yes": 0.6, "partly": 0.25, "no": 0.1, "": 0.05})


def expected_case_share() -> float:
    """The share of contacts that open a case when nothing caps it."""
    share = 0.0
    for (contact_type, risk), chance in CASE_CHANCE.items():
        share += CONTACT_TYPES.share(contact_type) * RISKS.share(risk) * chance
    return share
