"""The weekly situation report: Monday to Sunday against the four weeks before.

Rising categories, provinces with unusual volume (all hotlines only), contacts
in danger and escalations overdue now. The rules are constants here and in
docs/architecture.md.
"""

import datetime
import statistics
from collections import Counter

from django.db.models import Count, DateField, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.models import EscalationState
from reports import selectors
from reports.aggregates import count_by, histogram
from reports.figures.common import (
    AGENCY_WAITING,
    category_names,
    escalations_per_agency,
    period_notes,
    report_charts,
    with_total,
)
from reports.figures.tally import ContactTally
from reports.periods import (
    Period,
    monday_of,
    mondays_in,
    week_reference,
)
from reports.report import Report, Table

# Weekly: a category is rising when this week's contacts exceed the mean of the
# four weeks before by at least this many.
RISING_MIN_INCREASE = 2
# Weekly: a province's volume is unusual when this week is above the mean of the
# four weeks before plus two standard deviations, and at least this many above the mean.
UNUSUAL_MIN_INCREASE = 5
PREVIOUS_WEEKS = 4


def category_is_rising(this_week: int, previous_weeks: list[int]) -> bool:
    """Rising: this week's count exceeds the mean of the weeks before by RISING_MIN_INCREASE."""
    return this_week >= statistics.fmean(previous_weeks) + RISING_MIN_INCREASE


def volume_is_unusual(this_week: int, previous_weeks: list[int]) -> bool:
    """Unusual: above the mean of the weeks before plus two (population) standard
    deviations, and at least UNUSUAL_MIN_INCREASE contacts above the mean."""
    mean = statistics.fmean(previous_weeks)
    spread = statistics.pstdev(previous_weeks)
    return this_week > mean + 2 * spread and this_week >= mean + UNUSUAL_MIN_INCREASE


def weekly_report(*, scope, period: Period, now) -> Report:
    history = Period(period.start - datetime.timedelta(weeks=PREVIOUS_WEEKS), period.end)
    weeks = mondays_in(history)  # the four weeks before, then this week
    tally = ContactTally(scope=scope, period=history)
    # Every contact has one channel: by channel, hotline and day, one count gives the days'
    # totals, the hotlines' weeks and the channels' weeks.
    by_day = tally.count("channel", by=("hotline_id", "day"))
    by_category_and_day = {
        (code, day): measures["contacts"]
        for (_dimension, code, day), measures in tally.count("category", by=("day",)).items()
    }
    categories = selectors.categories_all()
    report = Report(
        kind="weekly",
        scope=scope.code,
        scope_name=scope.name,
        start=period.start,
        end=period.end,
        title=_("Báo cáo tình hình tuần %(week)s") % {"week": week_reference(period.start)},
        generated_at=now,
        previous_start=history.start,
        previous_end=period.start - datetime.timedelta(days=1),
    )
    report.tables.append(_weekly_overview(scope=scope, history=history, weeks=weeks, by_day=by_day))
    report.tables.append(_weekly_rising_categories(by_category_and_day, weeks, categories))
    if scope.is_all:
        report.tables.append(_weekly_unusual_provinces(by_day, weeks))
    report.tables.append(_weekly_overdue(scope=scope, now=now))
    this_week = Counter()
    for (code, day), count in by_category_and_day.items():
        if day >= period.start:
            this_week[code] += count
    report.charts = report_charts(
        week_channel_counts=_per_week(_summed(by_day, lambda channel, _hotline: (channel,))),
        weeks=weeks,
        category_counts=dict(this_week),
        waits=histogram(selectors.contacts_in(scope=scope, period=period), "waited_seconds"),
        per_agency=escalations_per_agency(
            selectors.escalations_sent_in(scope=scope, period=period), now=now
        ),
        categories=categories,
    )
    report.notes = [
        _(
            "So sánh tuần này (thứ Hai đến Chủ nhật) với trung bình bốn tuần liền trước. "
            "Vấn đề tăng: tuần này nhiều hơn trung bình ít nhất %(rising)s lượt."
        )
        % {"rising": RISING_MIN_INCREASE},
        _("Nền tảng mạng xã hội tăng: chưa ghi nhận (hệ thống chưa lưu nền tảng của vụ việc)."),
        *period_notes(now),
    ]
    if scope.is_all:
        report.notes.insert(
            1,
            _(
                "Tỉnh/thành có số lượt bất thường: tuần này vượt trung bình bốn tuần trước "
                "cộng hai độ lệch chuẩn, và nhiều hơn trung bình ít nhất %(min)s lượt."
            )
            % {"min": UNUSUAL_MIN_INCREASE},
        )
    return report


def _weekly_columns(weeks: list[datetime.date]) -> list[str]:
    return [monday.strftime("%d/%m") for monday in weeks]


def _split(counts_by_week: list[int]) -> tuple[int, list[int]]:
    return counts_by_week[-1], counts_by_week[:-1]


def _per_week(counts_by_day: dict) -> Counter:
    """Counts keyed (..., day) added up per week, keyed (..., the week's Monday)."""
    counted = Counter()
    for (*group, day), count in counts_by_day.items():
        counted[(*group, monday_of(day))] += count
    return counted


def _summed(by_day: dict, group, measure: str = "contacts") -> Counter:
    """A count by channel, hotline and day added up into {(*group(channel, hotline), day): n}."""
    counted = Counter()
    for (_dimension, channel, hotline_id, day), measures in by_day.items():
        counted[(*group(channel, hotline_id), day)] += measures[measure]
    return counted


def _weekly_overview(*, scope, history: Period, weeks, by_day) -> Table:
    contacts = _per_week(_summed(by_day, lambda _channel, _hotline: ()))
    in_danger = _per_week(_summed(by_day, lambda _channel, _hotline: (), "in_danger"))
    local = timezone.get_current_timezone()
    cases = count_by(
        selectors.cases_opened_in(scope=scope, period=history),
        week=TruncWeek("created_at", tzinfo=local, output_field=DateField()),
    )
    escalations = count_by(
        selectors.escalations_sent_in(scope=scope, period=history),
        week=TruncWeek("created_at", tzinfo=local, output_field=DateField()),
    )
    series = (
        (_("Lượt liên hệ"), [contacts[(monday,)] for monday in weeks]),
        (_("Lượt liên hệ có nguy hiểm tức thời"), [in_danger[(monday,)] for monday in weeks]),
        (_("Hồ sơ mở mới"), [cases.get(m, 0) for m in weeks]),
        (_("Yêu cầu chuyển tuyến đã gửi"), [escalations.get(m, 0) for m in weeks]),
    )
    rows = []
    for label, counts in series:
        this_week, previous = _split(counts)
        mean = round(statistics.fmean(previous), 1)
        rows.append([str(label), *previous, this_week, mean, round(this_week - mean, 1)])
    return Table(
        key="weekly_overview",
        title=_("Tuần này so với bốn tuần trước"),
        columns=[
            _("Chỉ số"),
            *_weekly_columns(weeks[:-1]),
            _("Tuần này"),
            _("Trung bình 4 tuần trước"),
            _("Thay đổi"),
        ],
        rows=rows,
        derived_columns=2,
        note=_("Các cột ngày ghi thứ Hai đầu mỗi tuần."),
    )


def _weekly_rising_categories(by_category_and_day, weeks, categories) -> Table:
    counts = _per_week(by_category_and_day)
    names = category_names(categories)
    rising = []
    for code in {code for code, _week in counts}:
        this_week, previous = _split([counts.get((code, monday), 0) for monday in weeks])
        if category_is_rising(this_week, previous):
            rising.append([names.get(code, code), this_week, *_against(previous, this_week)])
    rising.sort(key=lambda row: (-row[3], row[0]))
    return Table(
        key="weekly_rising_categories",
        title=_("Vấn đề tăng so với bốn tuần trước"),
        columns=[_("Vấn đề"), _("Tuần này"), _("Cả 4 tuần trước"), _("Tăng so với trung bình")],
        rows=rising,
        derived_columns=1,
        note="" if rising else _("Không có vấn đề nào tăng."),
    )


def _against(previous: list[int], this_week: int) -> list:
    """The four weeks before as a count (suppressible), and this week's rise over their mean.

    A mean on its own is a count in disguise (0.5 over four weeks is 2): the export can hide
    a count, so the count is what the table shows.
    """
    return [sum(previous), round(this_week - statistics.fmean(previous), 1)]


def _weekly_unusual_provinces(by_day, weeks) -> Table:
    counts = _per_week(_summed(by_day, lambda _channel, hotline_id: (hotline_id,)))
    rows = []
    for hotline in selectors.hotlines_all():
        this_week, previous = _split([counts.get((hotline.pk, monday), 0) for monday in weeks])
        if volume_is_unusual(this_week, previous):
            rows.append([hotline.name, this_week, *_against(previous, this_week)])
    return Table(
        key="weekly_unusual_provinces",
        title=_("Tỉnh/thành có số lượt liên hệ bất thường"),
        columns=[_("Tổng đài"), _("Tuần này"), _("Cả 4 tuần trước"), _("Tăng so với trung bình")],
        rows=rows,
        derived_columns=1,
        note="" if rows else _("Không có tỉnh/thành nào có số lượt bất thường."),
    )


def _weekly_overdue(*, scope, now) -> Table:
    overdue = selectors.escalations_overdue(scope=scope, now=now)
    counted = overdue.values("agency_id").annotate(
        acknowledge=Count("pk", filter=Q(state=EscalationState.SENT, acknowledge_by__lt=now)),
        resolve=Count("pk", filter=Q(state__in=AGENCY_WAITING, resolve_by__lt=now)),
        total=Count("pk"),
    )
    by_agency = {row["agency_id"]: row for row in counted}
    agencies = selectors.agencies_named(by_agency)
    rows = sorted(
        (
            [agencies[agency_id].name, row["acknowledge"], row["resolve"], row["total"]]
            for agency_id, row in by_agency.items()
        ),
        key=lambda row: (-row[3], row[0]),
    )
    return Table(
        key="weekly_overdue_escalations",
        title=_("Yêu cầu chuyển tuyến đang quá hạn"),
        columns=[
            _("Cơ quan"),
            _("Quá hạn tiếp nhận"),
            _("Quá hạn giải quyết"),
            _("Số yêu cầu quá hạn"),
        ],
        rows=with_total(rows) if rows else [],
        total_row=bool(rows),
        note=_(
            "Yêu cầu còn chờ cơ quan xử lý và đã quá hạn tại thời điểm lập báo cáo; "
            "một yêu cầu quá cả hai hạn được đếm một lần ở cột cuối."
        ),
    )
