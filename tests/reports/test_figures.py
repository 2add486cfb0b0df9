"""The figures of the yearly, quarterly and monthly reports, against an independent recount.

Each test writes a random dataset (tests/reports/factories.py) and recounts the
figure in Python from what the factory drew, never from the database.
"""

import datetime
import statistics
import zoneinfo
from collections import Counter

import pytest
from django.utils import timezone

from cases.models import Category, Gender
from escalation.models import Agency, EscalationType, Urgency
from helpline.models import AgeGroup, Channel, ContactRecord, ContactType, Hotline, Risk
from reports.aggregates import percentile_from_histogram
from reports.figures import ReportRequestError, report_build
from reports.report import ALL
from tests.reports.factories import report_dataset, roll_up_every_day

pytestmark = pytest.mark.django_db

Q1_START, Q1_END = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime.datetime(2026, 4, 11, 0, 0, tzinfo=LOCAL)


@pytest.fixture(params=["records", "rollups"])
def quarter(request, op_hanoi):
    """A random dataset around the first quarter of 2026, over Hanoi, Hue and central,
    counted from the contact records, then once more with every past day rolled up."""
    data = report_dataset(seed=11, by=op_hanoi, start=Q1_START, end=Q1_END, now=NOW)
    if request.param == "rollups":
        assert roll_up_every_day(now=NOW) > 0
    return data


def build(scope, *, kind="quarterly", start=Q1_START, end=Q1_END):
    return report_build(kind=kind, scope=scope, start=start, end=end, now=NOW)


def column(report, key, index=1) -> dict:
    """A table's first value column (or another) by row label, the total row left out."""
    table = report.table(key)
    rows = table.rows[:-1] if table.total_row else table.rows
    return {row[0]: row[index] for row in rows}


def labelled(counter: Counter, choices, *, blank=None) -> dict:
    counted = {str(label): counter.get(code, 0) for code, label in choices}
    if blank is not None:
        counted[blank] = counter.get("", 0)
    return counted


@pytest.mark.parametrize("scope", ["01", ALL])
def test_it_counts_contacts_by_channel_type_age_and_gender_as_a_recount_does(quarter, scope):
    drawn = quarter.contacts_between(Q1_START, Q1_END, hotline=None if scope == ALL else scope)
    report = build(scope)

    assert column(report, "contacts_by_channel") == labelled(
        Counter(c.channel for c in drawn), Channel.choices
    )
    assert column(report, "contacts_by_type") == labelled(
        Counter(c.contact_type for c in drawn), ContactType.choices, blank="Chưa ghi nhận"
    )
    assert column(report, "contacts_by_age_group") == labelled(
        Counter(c.age_group for c in drawn), AgeGroup.choices, blank="Không rõ"
    )
    assert column(report, "contacts_by_gender") == labelled(
        Counter(c.gender for c in drawn), Gender.choices
    )
    assert report.table("contacts_by_channel").rows[-1] == ["Tổng", len(drawn)]


def test_it_counts_a_contact_never_wrapped_up_in_its_own_row_and_the_total(quarter):
    drawn = quarter.contacts_between(Q1_START, Q1_END, hotline="46")
    not_recorded = sum(1 for c in drawn if c.contact_type == "")
    assert not_recorded > 0

    table = build("46").table("contacts_by_type")

    assert table.rows[-2] == ["Chưa ghi nhận", not_recorded]
    assert table.rows[-1] == ["Tổng", len(drawn)]


def test_it_counts_a_contact_on_the_local_day_it_ended(reference_data):
    hanoi = Hotline.objects.get(code="01")
    last_second = datetime.datetime(2026, 3, 31, 23, 59, 59, tzinfo=LOCAL)
    for ended_at in (last_second, last_second + datetime.timedelta(seconds=1)):
        ContactRecord.objects.create(
            channel="sms", hotline=hanoi, queued_at=ended_at, ended_at=ended_at
        )

    march = build("01", kind="monthly", start=datetime.date(2026, 3, 1), end=Q1_END)
    april = build(
        "01", kind="monthly", start=datetime.date(2026, 4, 1), end=datetime.date(2026, 4, 30)
    )

    assert march.table("contacts_by_channel").rows[-1] == ["Tổng", 1]
    assert april.table("contacts_by_channel").rows[-1] == ["Tổng", 1]
    # 23:59:59 in Hanoi is 16:59:59 UTC: a UTC day would have put both in March.
    assert last_second.astimezone(datetime.UTC).date() == Q1_END


def test_it_counts_contacts_by_month_over_the_period(quarter):
    drawn = quarter.contacts_between(Q1_START, Q1_END)
    by_month = Counter(c.ended_on.strftime("%m/%Y") for c in drawn)

    assert column(build(ALL), "contacts_by_month") == {
        "01/2026": by_month["01/2026"],
        "02/2026": by_month["02/2026"],
        "03/2026": by_month["03/2026"],
    }


def test_it_breaks_every_hotline_down_for_all_hotlines_only(quarter):
    drawn = quarter.contacts_between(Q1_START, Q1_END)
    report = build(ALL)
    table = report.table("contacts_by_hotline")
    rows = {row[0]: row[1:] for row in table.rows}

    assert len(table.rows) == Hotline.objects.count() + 1
    for code in ("01", "46", "00"):
        mine = [c for c in drawn if c.hotline == code]
        name = Hotline.objects.get(code=code).name
        assert rows[name] == [
            len(mine),
            sum(c.answered for c in mine),
            sum(c.contact_type == "abandoned" for c in mine),
        ]
    assert rows[Hotline.objects.get(code="04").name] == [0, 0, 0]
    assert "contacts_by_hotline" not in [t.key for t in build("01").tables]


def test_it_counts_categories_by_area_and_the_online_harms_apart(quarter):
    drawn = quarter.contacts_between(Q1_START, Q1_END)
    parents = {c.code: (c.parent.code if c.parent else c.code) for c in Category.objects.all()}
    names = {c.code: c.name for c in Category.objects.all()}
    report = build(ALL)

    areas = column(report, "contacts_by_category")
    for area in Category.objects.filter(parent=None):
        expected = sum(1 for c in drawn if area.code in {parents[code] for code in c.categories})
        assert areas[area.name] == expected, area.code
    assert areas["Chưa phân loại"] == sum(1 for c in drawn if not c.categories)

    online = column(report, "contacts_online_harms")
    for harm in Category.objects.filter(parent__code="online"):
        assert online[harm.name] == sum(1 for c in drawn if harm.code in c.categories)
    assert online["Tác hại trên mạng, chưa rõ loại"] == sum(
        1 for c in drawn if "online" in c.categories
    )
    assert online["Lượt liên hệ có ít nhất một tác hại trên mạng"] == sum(
        1 for c in drawn if any(parents[code] == "online" for code in c.categories)
    )

    chart = next(chart for chart in report.charts if chart.key == "top_categories")
    leaf_counts = Counter(code for c in drawn for code in c.categories)
    top = sorted(leaf_counts.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert chart.labels == [names[code] for code, _n in top]
    assert chart.series[0][1] == [n for _code, n in top]


def test_it_computes_the_rates_and_times_as_a_recount_does(quarter):
    drawn = quarter.contacts_between(Q1_START, Q1_END, hotline="01")
    waits = [c.waited_seconds for c in drawn if c.answered]
    handled = [c.handled_seconds for c in drawn if c.answered]
    service = {row[0]: row[1] for row in build("01").table("service").rows}

    answered_rate = round(100 * len(waits) / len(drawn), 1)
    abandoned = sum(c.contact_type == "abandoned" for c in drawn)
    assert service["Tỉ lệ được trả lời (%)"] == answered_rate
    assert service["Tỉ lệ bỏ đi trước khi được trả lời (%)"] == round(
        100 * abandoned / len(drawn), 1
    )
    assert service["Thời gian chờ, trung vị (giây)"] == pytest.approx(statistics.median(waits))
    assert service["Thời gian chờ, phân vị 90 (giây)"] == pytest.approx(
        statistics.quantiles(waits, n=10, method="inclusive")[8]
    )
    assert service["Thời gian xử lý, trung vị (giây)"] == pytest.approx(statistics.median(handled))


def test_it_reads_a_percentile_from_a_histogram_as_from_the_sorted_values():
    values = [3, 3, 7, 10, 10, 10, 42, 600]
    histogram = sorted(Counter(values).items())

    assert percentile_from_histogram(histogram, 0.5) == statistics.median(values)
    assert percentile_from_histogram(histogram, 0.9) == pytest.approx(
        statistics.quantiles(values, n=10, method="inclusive")[8]
    )
    assert percentile_from_histogram([], 0.5) is None


def test_it_buckets_the_waiting_times_of_answered_contacts(quarter):
    drawn = quarter.contacts_between(Q1_START, Q1_END)
    chart = next(chart for chart in build(ALL).charts if chart.key == "wait_distribution")
    bounds = (30, 60, 120, 300, 600, 1800)

    expected = [0] * 7
    for contact in drawn:
        if contact.answered:
            expected[sum(contact.waited_seconds >= bound for bound in bounds)] += 1
    assert chart.series[0][1] == expected


def test_it_draws_contacts_per_week_stacked_by_channel(quarter):
    start, end = datetime.date(2026, 1, 5), datetime.date(2026, 2, 1)  # four whole weeks
    drawn = quarter.contacts_between(start, end)
    chart = next(
        chart
        for chart in build(ALL, kind="monthly", start=start, end=end).charts
        if chart.key == "contacts_per_week"
    )

    assert chart.kind == "stacked"
    assert chart.labels == ["05/01", "12/01", "19/01", "26/01"]
    for name, values in chart.series:
        channel = next(code for code, label in Channel.choices if str(label) == name)
        mondays = [c.ended_on - datetime.timedelta(days=c.ended_on.weekday()) for c in drawn]
        per_week = Counter(m for m, c in zip(mondays, drawn, strict=True) if c.channel == channel)
        assert values == [per_week[start + datetime.timedelta(weeks=i)] for i in range(4)]


def test_it_counts_cases_opened_and_closed_by_their_highest_risk(quarter):
    report = build("01")

    def in_period(moment) -> bool:
        return moment is not None and Q1_START <= timezone.localdate(moment) <= Q1_END

    mine = [case for case in quarter.cases if case.hotline == "01"]

    table = {row[0]: row[1:] for row in report.table("cases_by_risk").rows}
    for risk in Risk.values:
        assert table[str(Risk(risk).label)] == [
            sum(1 for case in mine if case.highest_risk == risk and in_period(case.created_at)),
            sum(1 for case in mine if case.highest_risk == risk and in_period(case.closed_at)),
        ]


def _ack_within(e) -> bool:
    return e.acknowledged_at is not None and e.acknowledged_at <= e.acknowledge_by


def _ack_late(e) -> bool:
    if e.acknowledged_at is not None:
        return e.acknowledged_at > e.acknowledge_by
    if e.state == "sent":
        return e.acknowledge_by < NOW
    return e.state in ("declined", "withdrawn") and e.finished_at > e.acknowledge_by


def _resolve_within(e) -> bool:
    return e.state == "resolved" and e.finished_at <= e.resolve_by


def _resolve_late(e) -> bool:
    if e.state == "resolved":
        return e.finished_at > e.resolve_by
    if e.state in ("sent", "acknowledged", "in_progress"):
        return e.resolve_by < NOW
    return e.state in ("declined", "withdrawn") and e.finished_at > e.resolve_by


def test_it_counts_escalations_by_agency_type_and_urgency_with_their_deadlines(quarter):
    drawn = [
        e for e in quarter.escalations if Q1_START <= timezone.localdate(e.created_at) <= Q1_END
    ]
    report = build(ALL)

    agencies = {row[0]: row[1:] for row in report.table("escalations_by_agency").rows[:-1]}
    for agency in Agency.objects.filter(code__in={e.agency for e in drawn}):
        mine = [e for e in drawn if e.agency == agency.code]
        assert agencies[agency.name] == [
            len(mine),
            sum(map(_ack_within, mine)),
            sum(map(_ack_late, mine)),
            sum(map(_resolve_within, mine)),
            sum(map(_resolve_late, mine)),
        ]
    assert column(report, "escalations_by_type") == labelled(
        Counter(e.type for e in drawn), EscalationType.choices
    )
    assert column(report, "escalations_by_urgency") == labelled(
        Counter(e.urgency for e in drawn), Urgency.choices
    )

    deadlines = {row[0]: row[1:] for row in report.table("escalation_deadlines").rows}
    within, late = sum(map(_ack_within, drawn)), sum(map(_ack_late, drawn))
    assert deadlines["Thời hạn tiếp nhận"] == [
        within + late,
        within,
        round(100 * within / (within + late), 1),
    ]
    within, late = sum(map(_resolve_within, drawn)), sum(map(_resolve_late, drawn))
    assert deadlines["Thời hạn giải quyết"] == [
        within + late,
        within,
        round(100 * within / (within + late), 1),
    ]

    chart = next(chart for chart in report.charts if chart.key == "escalations_by_agency")
    sent = dict(
        zip(chart.labels, map(sum, zip(*(v for _n, v in chart.series), strict=True)), strict=True)
    )
    assert sent == {name: row[0] for name, row in agencies.items()}


def test_it_counts_survey_answers_per_question(quarter):
    drawn = [
        s for s in quarter.surveys if Q1_START <= s.submitted_on <= Q1_END and s.hotline == "00"
    ]
    table = build("00").table("survey_answers")

    # The total is in no title: beside the answers it would give a hidden one back.
    assert table.title == "Khảo sát sau cuộc trò chuyện"
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["Em cảm thấy được lắng nghe"] == [
        sum(s.felt_heard == answer for s in drawn) for answer in ("yes", "partly", "no", "")
    ]


def test_it_compares_the_union_year_with_the_one_before(op_hanoi):
    this_year = (datetime.date(2025, 12, 1), datetime.date(2026, 11, 30))
    last_year = (datetime.date(2024, 12, 1), datetime.date(2025, 11, 30))
    data = report_dataset(
        seed=5, by=op_hanoi, start=last_year[0], end=this_year[1], contacts=400, now=NOW
    )

    report = report_build(kind="yearly", scope="01", start=this_year[0], end=this_year[1], now=NOW)

    assert (report.previous_start, report.previous_end) == last_year
    now_count = len(data.contacts_between(*this_year, hotline="01"))
    before_count = len(data.contacts_between(*last_year, hotline="01"))
    rows = {row[0]: row[1:] for row in report.table("comparison").rows}
    assert rows["Lượt liên hệ"] == [
        now_count,
        before_count,
        now_count - before_count,
        round(100 * (now_count - before_count) / before_count, 1),
    ]
    now_danger = sum(
        c.risk == "imminent" or c.danger for c in data.contacts_between(*this_year, hotline="01")
    )
    assert rows["Lượt liên hệ có nguy hiểm tức thời"][0] == now_danger
    assert report.table("comparison").derived_columns == 2


def test_it_compares_a_month_with_the_month_before_and_shows_no_percent_from_zero(reference_data):
    hanoi = Hotline.objects.get(code="01")
    ended = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=LOCAL)
    ContactRecord.objects.create(channel="voice", hotline=hanoi, queued_at=ended, ended_at=ended)

    report = build("01", kind="monthly", start=datetime.date(2026, 3, 1), end=Q1_END)

    assert (report.previous_start, report.previous_end) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 28),
    )
    assert report.table("comparison").rows[0][1:] == [1, 0, 1, None]


def test_it_refuses_a_period_that_ends_before_it_starts_or_an_unknown_kind(reference_data):
    with pytest.raises(ReportRequestError):
        build("01", kind="monthly", start=Q1_END, end=Q1_START)
    with pytest.raises(ReportRequestError):
        build("01", kind="flash")
    with pytest.raises(ReportRequestError):
        build("01", kind="yearly", start=datetime.date(2020, 1, 1), end=datetime.date(2026, 1, 1))


@pytest.mark.parametrize("kind", ["quarterly", "weekly"])
def test_it_asks_the_database_as_many_questions_for_many_contacts_as_for_few(
    op_hanoi, django_assert_max_num_queries, kind
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report_dataset(seed=1, by=op_hanoi, start=Q1_START, end=Q1_END, contacts=20, cases=5, now=NOW)
    with CaptureQueriesContext(connection) as few:
        build(ALL, kind=kind)
    report_dataset(seed=2, by=op_hanoi, start=Q1_START, end=Q1_END, contacts=400, now=NOW)

    with django_assert_max_num_queries(len(few.captured_queries)):
        build(ALL, kind=kind)
