"""What the reports share: the kinds, the rules every report counts by, and the four charts."""

import datetime

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from escalation.models import EscalationState
from helpline.models import Channel, Risk
from reports import selectors
from reports.report import Chart

PERIOD_KINDS = ("yearly", "quarterly", "monthly", "weekly")
KIND_LABELS = {
    "yearly": gettext_lazy("Báo cáo năm"),
    "quarterly": gettext_lazy("Báo cáo quý"),
    "monthly": gettext_lazy("Báo cáo tháng"),
    "weekly": gettext_lazy("Báo cáo tình hình tuần"),
}
ONLINE_HARMS = "online"
# A contact in danger: the operator marked imminent risk, or raised the danger alarm.
IN_DANGER = Q(risk=Risk.IMMINENT) | Q(danger=True)
ANSWERED = Q(answered_at__isnull=False)
# Escalations the agency still has to act on (a returned one waits for the hotline).
AGENCY_WAITING = (
    EscalationState.SENT,
    EscalationState.ACKNOWLEDGED,
    EscalationState.IN_PROGRESS,
)
ENDED_UNRESOLVED = (EscalationState.DECLINED, EscalationState.WITHDRAWN)
# Waiting time buckets of the distribution chart: (upper bound in seconds, label).
WAIT_BUCKETS = (
    (30, gettext_lazy("Dưới 30 giây")),
    (60, gettext_lazy("30-60 giây")),
    (120, gettext_lazy("1-2 phút")),
    (300, gettext_lazy("2-5 phút")),
    (600, gettext_lazy("5-10 phút")),
    (1800, gettext_lazy("10-30 phút")),
    (None, gettext_lazy("Trên 30 phút")),
)
TOP_CATEGORIES = 10


def day_text(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def period_notes(now: datetime.datetime) -> list[str]:
    return [
        _(
            "Mỗi lượt liên hệ được tính vào ngày kết thúc theo giờ Việt Nam; kỳ báo cáo "
            "gồm cả ngày đầu và ngày cuối."
        ),
        _("Thời hạn của yêu cầu chuyển tuyến được đối chiếu với thời điểm lập báo cáo: %(now)s.")
        % {"now": timezone.localtime(now).strftime("%d/%m/%Y %H:%M")},
    ]


def with_total(rows: list[list]) -> list[list]:
    """The rows, then a row of column totals."""
    width = len(rows[0]) if rows else 1
    totals = [sum(row[i] or 0 for row in rows) for i in range(1, width)]
    return [*rows, [_("Tổng"), *totals]]


def choice_rows(counts: dict, choices, *, blank_label=None, unknown_into=None) -> list[list]:
    """One row per choice (zeros included), then a row for blank values when asked.

    A value outside the choices is added to the `unknown_into` choice when there
    is one, else to the blank row, else it gets a row of its own: no contact is
    ever silently dropped.
    """
    tally = {code: 0 for code, _label in choices}
    blank = 0
    extra: dict[str, int] = {}
    for code, count in counts.items():
        if code in tally:
            tally[code] += count
        elif unknown_into is not None:
            tally[unknown_into] += count
        elif blank_label is not None:
            blank += count
        else:
            extra[str(code)] = extra.get(str(code), 0) + count
    rows = [[str(label), tally[code]] for code, label in choices]
    rows += [[code, count] for code, count in sorted(extra.items())]
    if blank_label is not None:
        rows.append([str(blank_label), blank])
    return rows


def change(now_value, before_value) -> tuple:
    """Absolute change and change in percent (None when there is nothing to compare with)."""
    if now_value is None or before_value is None:
        return None, None
    absolute = now_value - before_value
    percent = round(absolute * 100 / before_value, 1) if before_value else None
    if isinstance(absolute, float):
        absolute = round(absolute, 1)
    return absolute, percent


def rate(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def category_names(categories) -> dict[str, str]:
    return {category.code: category.name for category in categories}


def deadline_filters(now: datetime.datetime) -> dict[str, Q]:
    """Which escalations met each deadline, and which missed it, as of `now`.

    Acknowledged in time: acknowledged at or before acknowledge_by. Late: acknowledged
    after it, still unacknowledged past it, or declined or withdrawn without an
    acknowledgement after it. Resolved in time: resolved at or before resolve_by.
    Late: resolved after it, still waiting on the agency past it, or declined or
    withdrawn after it. The others (not yet due, returned to the hotline, ended
    before the deadline) count in neither.
    """
    return {
        "ack_within": Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("acknowledge_by")),
        "ack_late": Q(acknowledged_at__gt=F("acknowledge_by"))
        | Q(acknowledged_at__isnull=True, state=EscalationState.SENT, acknowledge_by__lt=now)
        | Q(
            acknowledged_at__isnull=True,
            state__in=ENDED_UNRESOLVED,
            finished_at__gt=F("acknowledge_by"),
        ),
        "resolve_within": Q(state=EscalationState.RESOLVED, finished_at__lte=F("resolve_by")),
        "resolve_late": Q(state=EscalationState.RESOLVED, finished_at__gt=F("resolve_by"))
        | Q(state__in=AGENCY_WAITING, resolve_by__lt=now)
        | Q(state__in=ENDED_UNRESOLVED, finished_at__gt=F("resolve_by")),
    }


def escalations_per_agency(escalations, *, now) -> list[tuple[str, dict]]:
    filters = deadline_filters(now)
    counted = escalations.values("agency_id").annotate(
        sent=Count("pk"), **{name: Count("pk", filter=q) for name, q in filters.items()}
    )
    by_agency = {row["agency_id"]: row for row in counted}
    agencies = selectors.agencies_named(by_agency)
    named = [(agencies[agency_id].name, row) for agency_id, row in by_agency.items()]
    return sorted(named, key=lambda item: (-item[1]["sent"], item[0]))


def report_charts(
    *, week_channel_counts, weeks, category_counts, waits, per_agency, categories
) -> list[Chart]:
    """The four pictures of a report, from counts already made.

    week_channel_counts: {(channel, Monday): contacts} (for a weekly report it
    reaches four weeks back); category_counts: {code: contacts}; waits: the
    waiting-time histogram [(seconds, contacts)]; per_agency: the period's
    escalations_per_agency. The others are about the period.
    """
    return [
        _chart_contacts_per_week(week_channel_counts, weeks),
        chart_top_categories(category_counts, categories),
        chart_wait_distribution(waits),
        _chart_escalations_by_agency(per_agency),
    ]


def _chart_contacts_per_week(counts: dict, weeks: list[datetime.date]) -> Chart:
    return Chart(
        key="contacts_per_week",
        title=_("Lượt liên hệ mỗi tuần, theo kênh"),
        kind="stacked",
        labels=[monday.strftime("%d/%m") for monday in weeks],
        series=[
            (str(label), [counts.get((channel, monday), 0) for monday in weeks])
            for channel, label in Channel.choices
        ],
    )


def chart_top_categories(counts: dict, categories) -> Chart:
    names = category_names(categories)
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_CATEGORIES]
    return Chart(
        key="top_categories",
        title=_("Các vấn đề được nêu nhiều nhất"),
        kind="bar",
        labels=[names.get(code, code) for code, _count in top],
        series=[(_("Lượt liên hệ"), [count for _code, count in top])],
    )


def _wait_bucket_index(seconds: int) -> int:
    for index, (bound, _label) in enumerate(WAIT_BUCKETS):
        if bound is None or seconds < bound:
            return index
    raise AssertionError("the last bucket has no bound")


def chart_wait_distribution(waits: list[tuple[int, int]]) -> Chart:
    # Counted by the number of seconds in the database, then put in buckets here:
    # a few thousand distinct values at most, never one row per contact.
    tally = [0] * len(WAIT_BUCKETS)
    for seconds, count in waits:
        tally[_wait_bucket_index(seconds)] += count
    return Chart(
        key="wait_distribution",
        title=_("Thời gian chờ trước khi được trả lời"),
        kind="bar",
        labels=[str(label) for _bound, label in WAIT_BUCKETS],
        series=[(_("Lượt được trả lời"), tally)],
    )


def _chart_escalations_by_agency(per_agency) -> Chart:
    return Chart(
        key="escalations_by_agency",
        title=_("Yêu cầu chuyển tuyến theo cơ quan: tiếp nhận đúng hạn hay không"),
        kind="stacked",
        labels=[name for name, _row in per_agency],
        series=[
            (_("Tiếp nhận đúng hạn"), [row["ack_within"] for _name, row in per_agency]),
            (_("Tiếp nhận trễ hoặc quá hạn"), [row["ack_late"] for _name, row in per_agency]),
            (
                _("Chưa đến hạn hoặc khác"),
                [row["sent"] - row["ack_within"] - row["ack_late"] for _name, row in per_agency],
            ),
        ],
    )
