"""Counts of online harm for central and for the reports: numbers only, never content.

- rising_harms: central's weekly view, platform x harm category, this week
  against each of the four before it, for all provinces or one;
- items_by_platform_and_category, takedowns_by_channel_and_outcome and
  takedown_median_hours_to_removal: what the periodic reports (reports/) read.
  They take a period and optionally hotline ids; deciding who may read which
  hotlines' numbers is the caller's job, as for the other reports.

A week is seven days ending at `now` (the last seven days), then the seven
before, and so on: a report made on a Monday morning counts whole days.
"""

import datetime
import statistics

from django.db.models import Count, Q, QuerySet

from harms.models import OnlineItem, TakedownRequest, TakedownState

WEEKS_COMPARED = 4
WEEK = datetime.timedelta(days=7)


def _weeks(now: datetime.datetime) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """This week, then the WEEKS_COMPARED before it, as [start, end) pairs."""
    return [(now - WEEK * (n + 1), now - WEEK * n) for n in range(WEEKS_COMPARED + 1)]


def _weekly_counts(items: QuerySet, weeks) -> dict:
    return {
        f"week{n}": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end))
        for n, (start, end) in enumerate(weeks)
    }


def _row(values: dict) -> dict:
    counts = [values[f"week{n}"] for n in range(WEEKS_COMPARED + 1)]
    before = counts[1:]
    average = sum(before) / WEEKS_COMPARED
    return {
        "this_week": counts[0],
        "weeks_before": before,
        "average": round(average, 1),
        # Rising: at least two this week, and more than the four weeks' average.
        "rising": counts[0] >= 2 and counts[0] > average,
    }


def rising_harms(*, now: datetime.datetime, province_code: str | None = None) -> dict:
    """Platform x harm category this week against the four before, and the same per province.

    The province is the case's (where the young person lives, as recorded).
    """
    weeks = _weeks(now)
    items = OnlineItem.objects.filter(created_at__gte=weeks[-1][0], created_at__lt=now)
    scoped = items.filter(case__province_code=province_code) if province_code else items
    rows = []
    grouped = scoped.values(
        "platform__name_vi", "platform__name_en", "category__name_vi", "category__name_en"
    ).annotate(**_weekly_counts(scoped, weeks))
    for values in grouped:
        rows.append({**values, **_row(values)})
    rows.sort(key=lambda row: (-row["this_week"], -row["average"]))
    provinces = []
    for values in items.values("case__province_code").annotate(**_weekly_counts(items, weeks)):
        provinces.append({"province": values["case__province_code"], **_row(values)})
    provinces.sort(key=lambda row: (-row["this_week"], row["province"]))
    return {"weeks": weeks, "rows": rows, "by_province": provinces, "now": now}


def _period(queryset: QuerySet, field: str, start, end, hotline_ids, case_path: str) -> QuerySet:
    queryset = queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})
    if hotline_ids is not None:
        queryset = queryset.filter(**{f"{case_path}__hotline_id__in": list(hotline_ids)})
    return queryset


def items_by_platform_and_category(
    *, start: datetime.datetime, end: datetime.datetime, hotline_ids=None
) -> list[dict]:
    """Items recorded in [start, end): [{"platform": code, "category": code, "count": n}]."""
    items = _period(OnlineItem.objects.all(), "created_at", start, end, hotline_ids, "case")
    return [
        {"platform": row["platform__code"], "category": row["category__code"], "count": row["n"]}
        for row in items.values("platform__code", "category__code")
        .annotate(n=Count("pk"))
        .order_by("platform__code", "category__code")
    ]


def takedowns_by_channel_and_outcome(
    *, start: datetime.datetime, end: datetime.datetime, hotline_ids=None
) -> list[dict]:
    """Requests sent in [start, end), by channel and outcome: [{"channel", "outcome", "count"}].

    The outcome is removed, refused or no_response (kept after the request is
    closed), or "pending" while the channel has not answered.
    """
    sent = _period(TakedownRequest.objects.all(), "sent_at", start, end, hotline_ids, "item__case")
    counts: dict[tuple[str, str], int] = {}
    for row in sent.values("channel__code", "outcome").annotate(n=Count("pk")):
        key = (row["channel__code"], row["outcome"] or "pending")
        counts[key] = counts.get(key, 0) + row["n"]
    return [
        {"channel": channel, "outcome": outcome, "count": n}
        for (channel, outcome), n in sorted(counts.items())
    ]


def takedown_median_hours_to_removal(
    *, start: datetime.datetime, end: datetime.datetime, hotline_ids=None
) -> float | None:
    """The median hours from sending to removal, of the removals recorded in [start, end)."""
    removed = _period(
        TakedownRequest.objects.filter(outcome=TakedownState.REMOVED, sent_at__isnull=False),
        "outcome_at",
        start,
        end,
        hotline_ids,
        "item__case",
    )
    hours = [
        (outcome - sent).total_seconds() / 3600
        for sent, outcome in removed.values_list("sent_at", "outcome_at")
    ]
    return round(statistics.median(hours), 1) if hours else None
