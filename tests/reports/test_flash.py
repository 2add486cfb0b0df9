"""The flash report of an incident: counts of the linked cases the reader may see, checked
against a recount done by hand over the same rows, and no content anywhere in it."""

import datetime
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Category
from escalation.models import Escalation
from helpline.models import ContactRecord, Risk
from helpline.provinces import province_name
from reports.flash import flash_report_build
from reports.incidents import incident_case_link, incident_case_unlink
from reports.models import IncidentCase, ReportEvent
from reports.report import ALL
from tests.escalation.helpers import escalate
from tests.logins import staff_login
from tests.reports.incident_helpers import open_incident

pytestmark = pytest.mark.django_db

SUMMARY = "Em bị một tài khoản lạ đe doạ tung ảnh."


def contact(case, *, channel: str) -> ContactRecord:
    at = timezone.now()
    return ContactRecord.objects.create(
        channel=channel,
        hotline=case.hotline,
        province_code=case.province_code,
        queued_at=at - datetime.timedelta(minutes=20),
        ended_at=at,
        case=case,
    )


@pytest.fixture
def incident(sup_central, op_hanoi, op_hue, make_case):
    """A national incident with Hanoi and Hue cases, their contacts and escalations.

    Around it: a Hanoi case never linked, and one linked then taken off again.
    """
    incident = open_incident(by=sup_central, provinces=["01", "46"])
    hanoi = [
        make_case(by=op_hanoi, risk="high", province_code="01", summary=SUMMARY),
        make_case(
            by=op_hanoi,
            risk="low",
            province_code="01",
            categories=("online.cyberbullying", "online.privacy"),
        ),
        make_case(by=op_hanoi, risk="imminent", categories=("online.sextortion",)),
    ]
    hue = [
        make_case(by=op_hue, risk="medium", province_code="46", categories=("online.privacy",)),
        make_case(by=op_hue, risk="high", province_code="46"),
    ]
    for case in [*hanoi, *hue]:
        incident_case_link(user=sup_central, incident_id=incident.pk, reference=case.reference)
    taken_off = make_case(by=op_hanoi, risk="imminent", province_code="01")
    incident_case_link(user=sup_central, incident_id=incident.pk, reference=taken_off.reference)
    incident_case_unlink(user=sup_central, incident_id=incident.pk, reference=taken_off.reference)
    never_linked = make_case(by=op_hanoi, risk="high", province_code="01")

    contact(hanoi[0], channel="webchat")
    contact(hanoi[0], channel="voice")
    contact(hanoi[2], channel="webchat")
    contact(hue[1], channel="sms")
    contact(never_linked, channel="webchat")
    contact(taken_off, channel="voice")

    escalate(hanoi[0], by=op_hanoi, agency_code="a05-police")
    escalate(hanoi[2], by=op_hanoi, agency_code="hotline-111", escalation_type="child_abuse")
    escalate(hanoi[2], by=op_hanoi, agency_code="hanoi-police", escalation_type="ocsea")
    escalate(hue[0], by=op_hue, agency_code="a05-police", escalation_type="scam")
    escalate(never_linked, by=op_hanoi, agency_code="a05-police")
    return incident


def recount(incident, *, hotline_code: str | None) -> dict:
    """The same figures, counted one row at a time in Python over what the reader may see."""
    linked_ids = [
        link.case_id
        for link in IncidentCase.objects.all()
        if link.incident_id == incident.pk and link.unlinked_at is None
    ]
    cases = [
        case
        for case in Case.objects.all()
        if case.pk in linked_ids and (hotline_code is None or case.hotline.code == hotline_code)
    ]
    ids = {case.pk for case in cases}
    contacts = [record for record in ContactRecord.objects.all() if record.case_id in ids]
    escalations = [e for e in Escalation.objects.all() if e.case_id in ids]
    categories = Counter()
    for case in cases:
        for category in case.categories.all():
            categories[category.name] += 1
    return {
        "overview": {
            "Hồ sơ liên quan": len(cases),
            "Lượt liên hệ trong các hồ sơ": len(contacts),
            "Yêu cầu chuyển tuyến đã gửi": len(escalations),
        },
        "cases_by_province": Counter(
            province_name(case.province_code) or "Không rõ" for case in cases
        ),
        "cases_by_risk": {
            **{str(level.label): 0 for level in Risk},
            **Counter(str(Risk(case.risk).label) for case in cases),
        },
        "cases_by_category": categories,
        "contacts_by_channel": Counter(str(record.get_channel_display()) for record in contacts),
        "escalations_by_agency": Counter(
            f"{e.agency.name} ({e.agency.get_scope_display()})" for e in escalations
        ),
        "escalations_by_agency_scope": Counter(
            str(e.agency.get_scope_display()) for e in escalations
        ),
        "escalations_by_type": Counter(str(e.get_type_display()) for e in escalations),
    }


def figures(report) -> dict:
    """Each table as {label: count}, with its total row checked and set aside."""
    tables = {}
    for table in report.tables:
        rows = table.rows
        if table.total_row:
            *rows, total = rows
            assert total[1:] == [sum(row[1] for row in rows)], table.key
        tables[table.key] = {row[0]: row[1] for row in rows}
    return tables


def test_it_counts_every_linked_case_for_a_central_supervisor(incident, sup_central):
    report = flash_report_build(incident=incident, user=sup_central)

    assert (report.kind, report.scope) == ("flash", ALL)
    assert figures(report) == {
        key: dict(counts) for key, counts in recount(incident, hotline_code=None).items()
    }
    assert figures(report)["overview"] == {
        "Hồ sơ liên quan": 5,
        "Lượt liên hệ trong các hồ sơ": 4,
        "Yêu cầu chuyển tuyến đã gửi": 4,
    }
    assert not any("tổng đài khác" in note for note in report.notes)


def test_it_counts_only_the_readers_own_cases_for_a_provincial_supervisor(incident, sup_hanoi):
    report = flash_report_build(incident=incident, user=sup_hanoi)

    assert report.scope == "01"
    assert figures(report) == {
        key: dict(counts) for key, counts in recount(incident, hotline_code="01").items()
    }
    assert "Thừa Thiên Huế" not in str(report.tables) and "Huế" not in str(report.tables)
    assert any(note.startswith("2 hồ sơ của tổng đài khác") for note in report.notes)


def test_it_holds_no_reference_summary_or_name(incident, sup_central):
    report = flash_report_build(incident=incident, user=sup_central)
    text = repr(report)

    for case in Case.objects.all():
        assert case.reference not in text
    assert SUMMARY not in text
    assert "op_hanoi" not in text and "Ảnh riêng tư của em" not in text


def test_it_spans_the_incident_and_its_first_case(incident, sup_central, op_hanoi, make_case):
    earlier = make_case(by=op_hanoi, at=timezone.now() - datetime.timedelta(days=40))
    incident_case_link(user=sup_central, incident_id=incident.pk, reference=earlier.reference)

    report = flash_report_build(incident=incident, user=sup_central)

    assert report.start == timezone.localtime(earlier.created_at).date()
    assert report.end == timezone.localdate()


def test_it_refuses_the_report_of_an_incident_out_of_sight(sup_hanoi, sup_central):
    from django.http import Http404

    hue_only = open_incident(by=sup_central, provinces=["46"])

    with pytest.raises(Http404):
        flash_report_build(incident=hue_only, user=sup_hanoi)


def test_it_shows_the_flash_page_and_records_the_read(client, incident, sup_hanoi):
    staff_login(client, sup_hanoi)

    page = client.get(reverse("incidents:flash", args=[incident.pk])).content.decode()

    assert "Báo cáo nhanh sự việc" in page and "Hồ sơ theo tỉnh/thành" in page
    assert SUMMARY not in page
    event = ReportEvent.objects.get()
    assert (event.actor, event.action, event.kind, event.scope) == (
        sup_hanoi,
        "viewed",
        "flash",
        "01",
    )


def test_it_names_categories_by_the_tree(incident, sup_central):
    report = flash_report_build(incident=incident, user=sup_central)

    by_category = figures(report)["cases_by_category"]
    assert by_category[Category.objects.get(code="online.privacy").name] == 2
