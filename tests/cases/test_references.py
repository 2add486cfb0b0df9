"""Case references: HN-2026-000123, one sequence per hotline and year, never reused."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest

from cases.models import Case, CaseEvent, CaseReferenceCounter
from cases.services import case_reference_next

REFERENCE = re.compile(r"^[A-Z]{2,4}-\d{4}-\d{6}$")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.django_db
def test_it_numbers_cases_per_hotline_and_year_in_the_documented_format(
    make_case, op_hanoi, sup_hanoi, op_hue, op_central
):
    at = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=VIETNAM)
    first = make_case(by=op_hanoi, at=at)
    second = make_case(by=sup_hanoi, at=at)
    hue = make_case(by=op_hue, at=at)
    central = make_case(by=op_central, at=at)
    assert [first.reference, second.reference] == ["HN-2026-000001", "HN-2026-000002"]
    assert hue.reference.endswith("-2026-000001")
    assert hue.reference.split("-")[0] == op_hue.hotline.ref_prefix
    assert central.reference == "TW-2026-000001"
    for case in (first, second, hue, central):
        assert REFERENCE.match(case.reference)


@pytest.mark.django_db
def test_it_takes_the_year_from_vietnamese_local_time(make_case, op_hanoi):
    # 18:00 UTC on New Year's Eve is already 01:00 on 1 January in Hanoi.
    at = datetime.datetime(2026, 12, 31, 18, 0, tzinfo=datetime.UTC)
    assert make_case(by=op_hanoi, at=at).reference == "HN-2027-000001"


@pytest.mark.django_db
def test_it_starts_a_new_sequence_each_year(make_case, op_hanoi):
    make_case(by=op_hanoi, at=datetime.datetime(2026, 6, 1, tzinfo=VIETNAM))
    later = make_case(by=op_hanoi, at=datetime.datetime(2027, 6, 1, tzinfo=VIETNAM))
    assert later.reference == "HN-2027-000001"


@pytest.mark.django_db
def test_it_never_reuses_the_number_of_a_removed_case(make_case, op_hanoi):
    at = datetime.datetime(2026, 5, 5, tzinfo=VIETNAM)
    gone = make_case(by=op_hanoi, at=at)
    assert gone.reference == "HN-2026-000001"
    # Cases are never deleted through the application; even if a row disappears,
    # its number stays taken.
    CaseEvent.objects.filter(case=gone).delete()
    Case.objects.filter(pk=gone.pk).delete()
    assert make_case(by=op_hanoi, at=at).reference == "HN-2026-000002"


@pytest.mark.django_db
def test_it_hands_out_the_next_number_from_the_database_counter(hotline_hanoi):
    CaseReferenceCounter.objects.create(hotline=hotline_hanoi, year=2026, last_number=122)
    assert case_reference_next(hotline=hotline_hanoi, year=2026) == "HN-2026-000123"
    assert case_reference_next(hotline=hotline_hanoi, year=2026) == "HN-2026-000124"
    assert CaseReferenceCounter.objects.get(hotline=hotline_hanoi, year=2026).last_number == 124


@pytest.mark.django_db
def test_it_keeps_references_unique_in_the_database(make_case, op_hanoi):
    from django.db import IntegrityError, transaction

    case = make_case(by=op_hanoi)
    other = make_case(by=op_hanoi)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=other.pk).update(reference=case.reference)
