"""/reports/export/<format>/: supervisors only, their own scope, suppressed, on the record.

reports/figures.py (report_build) is being written in parallel. Until it lands, these tests give
the view a stand-in builder (the stand_in_report_builder fixture) that returns the crafted report
of test_exports.py and records what the view asked for.
"""

import csv
import io
import sys
import types

import pytest
from django.urls import reverse
from django.utils.translation import get_language

from reports.models import ReportEvent
from reports.suppression import SMALL
from tests.reports.test_exports import crafted_report

pytestmark = pytest.mark.django_db

YEAR = {"kind": "yearly", "start": "2025-12-01", "end": "2026-11-30"}


@pytest.fixture
def stand_in_report_builder(monkeypatch):
    """Put a stand-in reports.figures in place; return the list of its calls."""
    calls = []

    def report_build(*, kind, scope, start, end, user=None):
        calls.append(
            {"kind": kind, "scope": scope, "start": start, "end": end, "user": user}
            | {"language": get_language()}
        )
        return crafted_report(kind=kind, scope=scope, start=start, end=end)

    module = types.ModuleType("reports.figures")
    module.report_build = report_build
    monkeypatch.setitem(sys.modules, "reports.figures", module)
    return calls


def export_url(format: str, **query) -> str:
    url = reverse("reports:export", kwargs={"format": format})
    return url + "?" + "&".join(f"{key}={value}" for key, value in query.items())


def test_it_is_at_reports_export():
    assert reverse("reports:export", kwargs={"format": "xlsx"}) == "/reports/export/xlsx/"


@pytest.mark.parametrize(
    ("format", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_it_sends_a_supervisor_the_file_as_an_attachment_never_cached(
    client, sup_hanoi, stand_in_report_builder, format, content_type
):
    client.force_login(sup_hanoi)

    response = client.get(export_url(format, scope="01", **YEAR))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="bao-cao-nam-20251201-20261130-01.{format}"'
    )
    assert "no-store" in response["Cache-Control"]
    assert len(response.content) > 0
    [call] = stand_in_report_builder
    assert call["kind"] == "yearly" and call["scope"] == "01" and call["user"] == sup_hanoi
    assert (call["start"].isoformat(), call["end"].isoformat()) == ("2025-12-01", "2026-11-30")


def test_it_suppresses_what_it_sends(client, sup_hanoi, stand_in_report_builder):
    client.force_login(sup_hanoi)

    response = client.get(export_url("csv", scope="01", **YEAR))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["Điện thoại", SMALL, "×", "×"] in rows
    assert not any(row[:2] == ["Điện thoại", "3"] for row in rows)


def test_it_records_every_export(client, sup_hanoi, stand_in_report_builder):
    client.force_login(sup_hanoi)

    client.get(export_url("xlsx", scope="01", **YEAR))
    client.get(export_url("docx", scope="01", **YEAR))

    events = ReportEvent.objects.order_by("id")
    assert [(event.action, event.format) for event in events] == [
        ("exported", "xlsx"),
        ("exported", "docx"),
    ]
    event = events[0]
    assert (event.actor, event.kind, event.scope) == (sup_hanoi, "yearly", "01")
    assert (event.start.isoformat(), event.end.isoformat()) == ("2025-12-01", "2026-11-30")


def test_it_writes_the_document_in_vietnamese_for_an_english_page(
    client, sup_hanoi, stand_in_report_builder
):
    client.force_login(sup_hanoi)
    client.cookies["django_language"] = "en"

    client.get(export_url("csv", scope="01", **YEAR))
    client.get(export_url("docx", scope="01", **YEAR))

    assert [call["language"] for call in stand_in_report_builder] == ["en", "vi"]


@pytest.mark.parametrize(
    "who", ["op_hanoi", "op_central", "liaison_a05", "liaison_111", "administrator"]
)
def test_it_refuses_everyone_but_supervisors(request, client, stand_in_report_builder, who):
    client.force_login(request.getfixturevalue(who))

    for format in ("csv", "xlsx", "docx"):
        assert client.get(export_url(format, scope="01", **YEAR)).status_code == 403
    assert stand_in_report_builder == []
    assert not ReportEvent.objects.exists()


def test_it_sends_anonymous_visitors_to_the_login(client, reference_data, stand_in_report_builder):
    response = client.get(export_url("csv", scope="01", **YEAR))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert stand_in_report_builder == []


@pytest.mark.parametrize("scope", ["46", "00", "all", "99"])
def test_it_hides_other_scopes_from_a_provincial_supervisor(
    client, sup_hanoi, stand_in_report_builder, scope
):
    client.force_login(sup_hanoi)

    response = client.get(export_url("csv", scope=scope, **YEAR))

    assert response.status_code == 404
    assert stand_in_report_builder == []
    assert not ReportEvent.objects.exists()


@pytest.mark.parametrize("scope", ["all", "00", "46", "01"])
def test_it_lets_a_central_supervisor_export_any_scope(
    client, sup_central, stand_in_report_builder, scope
):
    client.force_login(sup_central)

    response = client.get(export_url("xlsx", scope=scope, **YEAR))

    assert response.status_code == 200
    assert stand_in_report_builder[0]["scope"] == scope
    assert ReportEvent.objects.get().scope == scope


def test_it_answers_404_for_a_scope_that_does_not_exist(
    client, sup_central, stand_in_report_builder
):
    client.force_login(sup_central)

    assert client.get(export_url("csv", scope="99", **YEAR)).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"scope": "01", "start": "2025-12-01", "end": "2026-11-30"},
        {"scope": "01", "kind": "decade", "start": "2025-12-01", "end": "2026-11-30"},
        {"scope": "01", "kind": "yearly", "start": "01/12/2025", "end": "2026-11-30"},
        {"scope": "01", "kind": "yearly", "start": "2026-11-30", "end": "2025-12-01"},
        {"kind": "yearly", "start": "2025-12-01", "end": "2026-11-30"},
    ],
)
def test_it_refuses_an_incomplete_or_invalid_choice(
    client, sup_hanoi, stand_in_report_builder, query
):
    client.force_login(sup_hanoi)

    assert client.get(export_url("csv", **query)).status_code == 400
    assert stand_in_report_builder == []


def test_it_knows_only_its_three_formats(client, sup_hanoi, stand_in_report_builder):
    client.force_login(sup_hanoi)

    assert client.get(export_url("pdf", scope="01", **YEAR)).status_code == 404
    assert client.post(export_url("csv", scope="01", **YEAR)).status_code == 405
    assert not ReportEvent.objects.exists()
