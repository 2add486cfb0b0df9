"""The weekly situation report: this week against the four before, on crafted data."""

import datetime
import zoneinfo

import pytest

from cases.models import Case, Category
from escalation.models import Agency, Escalation
from helpline.models import ContactRecord, Hotline
from reports.figures import category_is_rising, report_build, volume_is_unusual
from reports.report import ALL
from tests.reports.factories import roll_up_every_day

pytestmark = pytest.mark.django_db

LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime.date(2026, 11, 23)  # ISO week 2026-W48
SUNDAY = MONDAY + datetime.timedelta(days=6)
NOW = datetime.datetime(2026, 11, 30, 7, 0, tzinfo=LOCAL)


def contacts(code: str, week_offset: int, how_many: int, *, categories=(), **fields) -> None:
    """Contacts of a hotline on the Wednesday of this week (0) or a week before (-1..-4)."""
    hotline = Hotline.objects.get(code=code)
    ended = datetime.datetime.combine(
        MONDAY + datetime.timedelta(weeks=week_offset, days=2), datetime.time(10), tzinfo=LOCAL
    )
    chosen = list(Category.objects.filter(code__in=categories))
    for _index in range(how_many):
        record = ContactRecord.objects.create(
            channel="webchat", hotline=hotline, queued_at=ended, ended_at=ended, **fields
        )
        record.categories.set(chosen)


@pytest.fixture(params=["records", "rollups"])
def counted_from(request, monkeypatch):
    """Each report counted from the contact records, then once more from the daily rollups."""
    monkeypatch.setattr(f"{__name__}.ROLL_UP_FIRST", request.param == "rollups")
    return request.param


ROLL_UP_FIRST = False


def weekly(scope: str, start=MONDAY):
    if ROLL_UP_FIRST:
        roll_up_every_day(now=NOW)
    return report_build(kind="weekly", scope=scope, start=start, end=start, now=NOW)


def rows(report, key) -> dict:
    return {row[0]: row[1:] for row in report.table(key).rows}


def test_it_calls_a_volume_unusual_only_past_two_deviations_and_five_contacts():
    assert volume_is_unusual(11, [5, 6, 5, 6])  # mean 5.5, sd 0.5
    assert not volume_is_unusual(10, [5, 6, 5, 6])  # past two deviations, but not five more
    assert not volume_is_unusual(30, [0, 40, 0, 40])  # five more, but within two deviations
    assert volume_is_unusual(5, [0, 0, 0, 0])
    assert not volume_is_unusual(4, [0, 0, 0, 0])


def test_it_calls_a_category_rising_from_two_contacts_above_the_mean():
    assert category_is_rising(2, [0, 0, 0, 0])
    assert not category_is_rising(3, [2, 2, 1, 2])  # mean 1.75: 1.25 more
    assert category_is_rising(4, [2, 2, 1, 3])


@pytest.mark.usefixtures("counted_from")
def test_it_covers_monday_to_sunday_whatever_day_it_is_asked_for(reference_data):
    report = weekly("01", start=MONDAY + datetime.timedelta(days=3))

    assert (report.start, report.end) == (MONDAY, SUNDAY)
    assert report.title == "Báo cáo tình hình tuần 2026-W48"


@pytest.mark.usefixtures("counted_from")
def test_it_lists_the_provinces_with_unusual_volume_for_all_hotlines(reference_data):
    for offset in (-4, -3, -2, -1):
        contacts("46", offset, 2)
    contacts("46", 0, 10)
    for offset, how_many in zip((-4, -3, -2, -1), (10, 12, 8, 10), strict=True):
        contacts("01", offset, how_many)
    contacts("01", 0, 14)  # above two deviations, but only four more than the mean

    report = weekly(ALL)

    assert rows(report, "weekly_unusual_provinces") == {
        # The four weeks before as a count (an export can hide it), and the rise over their mean.
        Hotline.objects.get(code="46").name: [10, 8, 8.0]
    }
    overview = rows(report, "weekly_overview")["Lượt liên hệ"]
    assert overview == [2 + 10, 2 + 12, 2 + 8, 2 + 10, 24, 12.0, 12.0]
    assert "weekly_unusual_provinces" not in [table.key for table in weekly("46").tables]


@pytest.mark.usefixtures("counted_from")
def test_it_lists_the_categories_rising_against_the_four_weeks_before(reference_data):
    contacts("01", 0, 3, categories=["online.sextortion"])
    for offset in (-4, -3, -2, -1):
        contacts("01", offset, 2, categories=["online.scam"])
    contacts("01", 0, 3, categories=["online.scam"])  # one more than usual: not rising

    rising = rows(weekly("01"), "weekly_rising_categories")

    assert rising == {Category.objects.get(code="online.sextortion").name: [3, 0, 3.0]}


@pytest.mark.usefixtures("counted_from")
def test_it_counts_the_contacts_in_danger_this_week(reference_data):
    contacts("01", 0, 2, risk="imminent")
    contacts("01", 0, 1, danger=True)
    contacts("01", 0, 4, risk="high")
    contacts("01", -1, 1, risk="imminent")
    contacts("46", 0, 1, risk="imminent")

    in_danger = rows(weekly("01"), "weekly_overview")["Lượt liên hệ có nguy hiểm tức thời"]

    assert in_danger[3:5] == [1, 3]  # the week before, this week


@pytest.mark.usefixtures("counted_from")
def test_it_counts_escalations_overdue_now_and_says_platforms_are_not_yet_recorded(op_hanoi):
    a05 = Agency.objects.get(code="a05-police")
    hour = datetime.timedelta(hours=1)

    def escalation(state, *, code="01", acknowledge_in=-hour, resolve_in=hour):
        case = Case.objects.create(
            reference=f"T-{Case.objects.count()}",
            hotline=Hotline.objects.get(code=code),
            created_by=op_hanoi,
        )
        Escalation.objects.create(
            case=case,
            agency=a05,
            type="scam",
            urgency="24h",
            legal_basis="emergency",
            summary="-",
            youth_informed="informed",
            state=state,
            created_by=op_hanoi,
            acknowledge_by=NOW + acknowledge_in,
            resolve_by=NOW + resolve_in,
        )

    escalation("sent")  # past the acknowledgement deadline
    escalation("sent", resolve_in=-hour)  # past both: counted once
    escalation("in_progress", resolve_in=-hour)  # past the resolution deadline
    escalation("acknowledged")  # acknowledged, resolution not due yet
    escalation("returned", resolve_in=-hour)  # waits for the hotline, not the agency
    escalation("sent", code="46")  # another province

    report = weekly("01")

    assert rows(report, "weekly_overdue_escalations") == {a05.name: [2, 2, 3], "Tổng": [2, 2, 3]}
    assert any("Nền tảng" in note and "chưa ghi nhận" in note for note in report.notes)


@pytest.mark.usefixtures("counted_from")
def test_it_draws_the_five_weeks_by_channel(reference_data):
    contacts("01", -4, 1)
    contacts("01", 0, 2)

    chart = next(chart for chart in weekly("01").charts if chart.key == "contacts_per_week")

    assert chart.labels == ["26/10", "02/11", "09/11", "16/11", "23/11"]
    assert dict(chart.series)["Trò chuyện trên web"] == [1, 0, 0, 0, 2]
