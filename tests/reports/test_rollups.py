"""Daily rollups: every figure they give equals the records' own, and stays right after a late
change, a change of the category tree, and a purge.

The figures from the records are themselves checked against a recount in Python from what
the dataset factory drew (test_figures.py, test_weekly_figures.py, which run once more with
every day rolled up); here every table and chart of every report, built from the rollups
alone or from the rollups and the records mixed, is compared with one built from the
records alone, and the headline figures with a recount in Python.
"""

import datetime
import random
import zoneinfo
from collections import Counter

import pytest
from django.utils import timezone

from cases.models import Category
from helpline.contacts import contact_wrap_up
from helpline.conversations import conversation_end
from helpline.models import ContactRecord, Hotline
from reports import jobs
from reports.figures import report_build
from reports.models import (
    ContactCount,
    ContactRollupChange,
    ContactRollupDay,
    ContactRollupMonth,
    ContactWaitCount,
)
from reports.periods import Period, days_in
from reports.report import ALL
from reports.rollups import contact_day_roll_up, contact_rollups_forget
from tests.reports.factories import report_dataset
from tests.retention.helpers import chat as chat_at

pytestmark = pytest.mark.django_db

LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
START, END = datetime.date(2025, 12, 1), datetime.date(2026, 3, 31)
NOW = datetime.datetime(2026, 4, 11, 8, 0, tzinfo=LOCAL)
HOUR = datetime.timedelta(hours=1)
REPORTS = (
    ("yearly", datetime.date(2025, 12, 1), datetime.date(2026, 11, 30)),
    ("quarterly", datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)),
    ("monthly", datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)),
    ("weekly", datetime.date(2026, 3, 2), datetime.date(2026, 3, 8)),
    ("monthly", datetime.date(2026, 3, 25), datetime.date(2026, 4, 11)),  # up to today
)
SCOPES = (ALL, "01", "46", "00")


def roll_up_all(now=NOW) -> int:
    """Run the worker's job until it has nothing left to do; how many days it rolled up."""
    rolled = 0
    while done := jobs.roll_up_contact_days(now=now):
        rolled += done
    return rolled


def every_report() -> dict:
    return {
        (kind, scope, start): report_build(kind=kind, scope=scope, start=start, end=end, now=NOW)
        for kind, start, end in REPORTS
        for scope in SCOPES
    }


def figures(report) -> tuple:
    return report.tables, report.charts


@pytest.mark.parametrize("seed", [3, 17, 2026])
def test_it_gives_every_figure_of_every_report_the_records_give(op_hanoi, seed):
    data = report_dataset(seed=seed, by=op_hanoi, start=START, end=END, contacts=500, now=NOW)
    from_records = every_report()

    assert roll_up_all() > 0
    # December to March are whole months inside the dataset; April is not over.
    assert ContactRollupMonth.objects.filter(rolled_up_at__isnull=False).count() == 4
    from_rollups = every_report()

    for key, report in from_records.items():
        assert figures(from_rollups[key]) == figures(report), key
    # The headline, against a recount in Python of what the factory drew.
    quarter = from_rollups["quarterly", ALL, datetime.date(2026, 1, 1)]
    drawn = data.contacts_between(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    compared = {row[0]: row[1] for row in quarter.table("comparison").rows}
    assert compared["Lượt liên hệ"] == len(drawn)
    assert compared["Lượt được trả lời"] == sum(c.answered for c in drawn)
    assert compared["Lượt bỏ đi trước khi được trả lời"] == sum(
        c.contact_type == "abandoned" for c in drawn
    )
    assert compared["Lượt liên hệ có nguy hiểm tức thời"] == sum(
        c.risk == "imminent" or c.danger for c in drawn
    )


@pytest.mark.parametrize("seed", [5, 23])
def test_it_adds_the_rolled_up_days_and_the_others_into_the_same_figures(op_hanoi, seed):
    """Some days rolled up, others not (as when the worker is behind): the same figures."""
    report_dataset(seed=seed, by=op_hanoi, start=START, end=END, contacts=400, now=NOW)
    from_records = every_report()
    days = days_in(Period(START - datetime.timedelta(days=10), END + datetime.timedelta(days=10)))
    for day in random.Random(seed).sample(days, len(days) // 2):
        contact_day_roll_up(day=day, now=NOW)

    for key, report in every_report().items():
        assert figures(report) == figures(from_records[key]), key


@pytest.mark.parametrize("seed", [8, 31])
def test_it_keeps_every_figure_right_through_late_changes_to_rolled_up_months(op_hanoi, seed):
    report_dataset(seed=seed, by=op_hanoi, start=START, end=END, contacts=400, now=NOW)
    roll_up_all()
    rng = random.Random(seed)
    records = list(ContactRecord.objects.filter(ended_at__lt=NOW).order_by("pk"))
    scam = Category.objects.get(code="online.scam")
    for record in rng.sample(records, 6):
        record.contact_type = "referral"
        record.save()
        record.categories.add(scam)
    rng.choice(records).delete()

    changed = every_report()
    assert ContactRollupChange.objects.exists()
    roll_up_all()
    assert not ContactRollupChange.objects.exists()
    rolled_up_again = every_report()
    contact_rollups_forget()
    from_records = every_report()

    for key, report in from_records.items():
        assert figures(changed[key]) == figures(report), key
        assert figures(rolled_up_again[key]) == figures(report), key


def test_it_holds_counts_and_codes_only():
    for model in (
        ContactCount,
        ContactWaitCount,
        ContactRollupDay,
        ContactRollupMonth,
        ContactRollupChange,
    ):
        related = [field.name for field in model._meta.get_fields() if field.is_relation]
        assert related in ([], ["hotline"]), model


# --- what the job does ----------------------------------------------------------------------


def contact(day: datetime.date, hour: int = 10, **fields) -> ContactRecord:
    ended = datetime.datetime.combine(day, datetime.time(hour), tzinfo=LOCAL)
    return ContactRecord.objects.create(
        channel="webchat",
        hotline=Hotline.objects.get(code="01"),
        queued_at=ended,
        ended_at=ended,
        **fields,
    )


def test_it_rolls_up_every_past_day_since_the_first_contact_the_latest_first(
    reference_data, monkeypatch
):
    today = timezone.localdate(NOW)
    contact(today - datetime.timedelta(days=5))
    contact(today)
    monkeypatch.setattr(jobs, "ROLLUP_DAYS_PER_ROUND", 3)

    # The day written to first (it changed), then the latest days.
    assert jobs.roll_up_contact_days(now=NOW) == 3
    rolled = set(ContactRollupDay.objects.values_list("day", flat=True))
    assert rolled == {today - datetime.timedelta(days=n) for n in (5, 1, 2)}
    assert roll_up_all() == 2
    assert jobs.roll_up_contact_days(now=NOW) == 0
    # Today is not over: it is never rolled up, and reports count it from the records.
    assert today not in set(ContactRollupDay.objects.values_list("day", flat=True))
    counted = ContactCount.objects.get(dimension="channel")
    assert (counted.start, counted.contacts) == (today - datetime.timedelta(days=5), 1)


def contacts_of_the_day(day: datetime.date, scope: str = "01") -> dict:
    report = report_build(kind="monthly", scope=scope, start=day, end=day, now=NOW)
    by_type = {row[0]: row[1] for row in report.table("contacts_by_type").rows}
    areas = {row[0]: row[1] for row in report.table("contacts_by_category").rows}
    return {"types": by_type, "areas": areas}


def test_it_counts_a_wrap_up_written_the_next_morning(op_hanoi):
    evening = datetime.datetime(2026, 4, 9, 22, 30, tzinfo=LOCAL)
    conversation, _token = chat_at(operator=op_hanoi, at=evening, end=False)
    conversation_end(conversation_id=conversation.pk, by_user=op_hanoi, at=evening + HOUR)
    assert roll_up_all() > 0
    assert contacts_of_the_day(evening.date())["types"]["Chưa ghi nhận"] == 1

    contact_wrap_up(
        user=op_hanoi,
        conversation_id=conversation.pk,
        contact_type="information",
        category_codes=["online.scam"],
        outcome="resolved",
        at=datetime.datetime(2026, 4, 10, 8, 5, tzinfo=LOCAL),
    )

    # At once, before the job runs: the day is counted from the records.
    assert ContactRollupChange.objects.filter(day=evening.date()).exists()
    counted = contacts_of_the_day(evening.date())
    assert (counted["types"]["Chưa ghi nhận"], counted["types"]["Cung cấp thông tin"]) == (0, 1)
    assert counted["areas"]["Tác hại trên không gian mạng"] == 1
    # Then from its rollup again, the same.
    assert roll_up_all() == 1
    assert not ContactRollupChange.objects.exists()
    assert contacts_of_the_day(evening.date()) == counted


def test_it_counts_a_contact_written_after_its_day_was_rolled_up(reference_data):
    day = datetime.date(2026, 4, 9)
    contact(day, hour=9)
    roll_up_all()

    # Ended at 23:59 and committed after midnight, once the job had rolled the day up.
    contact(day, hour=23)

    assert contacts_of_the_day(day)["types"]["Chưa ghi nhận"] == 2
    roll_up_all()
    assert ContactCount.objects.get(start=day, dimension="channel").contacts == 2


def test_it_counts_a_contact_moved_to_another_day_on_both(reference_data):
    first, second = datetime.date(2026, 4, 7), datetime.date(2026, 4, 8)
    record = contact(first)
    roll_up_all()

    record = ContactRecord.objects.get(pk=record.pk)
    record.ended_at += datetime.timedelta(days=1)
    record.save()

    assert sum(contacts_of_the_day(first)["types"].values()) == 0
    assert contacts_of_the_day(second)["types"]["Tổng"] == 1
    roll_up_all()
    channels = ContactCount.objects.filter(dimension="channel")
    assert list(channels.values_list("start", "contacts")) == [(second, 1)]


def test_it_counts_categories_changed_from_the_categorys_side(reference_data):
    day = datetime.date(2026, 4, 8)
    records = [contact(day), contact(day)]
    roll_up_all()
    scam = Category.objects.get(code="online.scam")

    scam.contacts.add(*records)
    assert contacts_of_the_day(day)["areas"]["Tác hại trên không gian mạng"] == 2
    roll_up_all()
    scam.contacts.clear()

    assert contacts_of_the_day(day)["areas"]["Tác hại trên không gian mạng"] == 0
    roll_up_all()
    assert not ContactCount.objects.filter(start=day, dimension="area", value="online").exists()


def test_it_rolls_every_day_up_again_when_a_category_moves_to_another_area(reference_data):
    day = datetime.date(2026, 4, 8)
    contact(day).categories.set([Category.objects.get(code="online.scam")])
    roll_up_all()
    scam = Category.objects.get(code="online.scam")
    scam.parent = Category.objects.get(code="services")
    scam.save()

    assert not ContactRollupDay.objects.exists()
    areas = contacts_of_the_day(day)["areas"]
    services = Category.objects.get(code="services").name
    assert (areas["Tác hại trên không gian mạng"], areas[services]) == (0, 1)
    roll_up_all()
    assert contacts_of_the_day(day)["areas"] == areas
    # A name or an order changes no figure: nothing is forgotten.
    scam.name_en = "Scams"
    scam.save()
    assert ContactRollupDay.objects.exists()


def test_it_marks_each_day_a_write_touches_and_nothing_else(reference_data):
    day = datetime.date(2026, 4, 8)
    record = contact(day)
    record.categories.add(Category.objects.get(code="online.scam"))

    assert set(ContactRollupChange.objects.values_list("day", flat=True)) == {day}
    ContactRollupChange.objects.all().delete()
    Category.objects.get(code="online.scam").contacts.count()
    ContactRecord.objects.get(pk=record.pk)  # reading marks nothing
    record.categories.add(Category.objects.get(code="online.scam"))  # nor adding what is there
    assert not ContactRollupChange.objects.exists()
    record.delete()
    assert Counter(ContactRollupChange.objects.values_list("day", flat=True)) == {day: 1}


def test_it_counts_synthetic_history_written_over_days_already_rolled_up(reference_data):
    from synthetic.history import SeedPlan, history_seed

    year = ("yearly", ALL, datetime.date(2025, 12, 1), datetime.date(2026, 11, 30))
    contact(datetime.date(2026, 3, 2))
    assert roll_up_all() == 40  # 2 March to 10 April

    history_seed(SeedPlan(contacts=400, years=1, seed=4, now=NOW))

    def report():
        kind, scope, start, end = year
        return report_build(kind=kind, scope=scope, start=start, end=end, now=NOW)

    written = figures(report())
    total = {row[0]: row[1] for row in report().table("comparison").rows}["Lượt liên hệ"]
    year_start = datetime.datetime(2025, 12, 1, tzinfo=LOCAL)
    in_year = ContactRecord.objects.filter(ended_at__gte=year_start, ended_at__lt=NOW)
    assert total == in_year.count() > 100
    assert roll_up_all() > 300
    assert figures(report()) == written
