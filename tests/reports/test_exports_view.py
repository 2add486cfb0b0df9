"""/reports/export/<format>/: supervisors only, their own scope, suppressed, on the record.

The reports are counted by reports.figures from generated data (tests/reports/factories.py).
"""

import csv
import datetime
import io
from urllib.parse import urlencode

import docx
import pytest
from django.urls import reverse

from reports.figures import report_build
from reports.models import ReportEvent
from reports.suppression import HIDDEN, SMALL
from tests.logins import staff_login
from tests.reports.factories import report_dataset

pytestmark = pytest.mark.django_db

QUARTER = {"kind": "quarterly", "start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture
def dataset(op_hanoi):
    # Few contacts over three hotlines: many counts of a quarter fall between 1 and 4.
    return report_dataset(
        seed=11,
        by=op_hanoi,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 3, 31),
        contacts=60,
        cases=12,
        escalations=8,
        surveys=10,
    )


def export_url(format: str, **query) -> str:
    return reverse("reports:export", args=[format]) + "?" + urlencode(query)


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_it_is_where_the_report_page_links_to():
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
    client, sup_hanoi, dataset, format, content_type
):
    staff_login(client, sup_hanoi)

    response = client.get(export_url(format, scope="01", **QUARTER))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="bao-cao-quy-20260101-20260331-01.{format}"'
    )
    assert "no-store" in response["Cache-Control"]
    assert len(response.content) > 0


def test_it_sends_the_figures_of_the_page_with_the_small_ones_hidden(client, sup_hanoi, dataset):
    staff_login(client, sup_hanoi)
    counted = report_build(
        kind="quarterly",
        scope="01",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 3, 31),
        user=sup_hanoi,
    )

    rows = csv_rows(client.get(export_url("csv", scope="01", **QUARTER)).content)

    small = hidden = 0
    for table in counted.tables:
        start = rows.index([table.title]) + 2
        sent = rows[start : start + len(table.rows)]
        assert [row[0] for row in sent] == [row[0] for row in table.rows]
        counts = range(1, len(table.columns) - table.derived_columns)
        for page_row, sent_row in zip(table.rows, sent, strict=True):
            for column in counts if table.counts_people else ():
                value, shown = page_row[column], sent_row[column]
                if isinstance(value, int) and 1 <= value <= 4:
                    assert shown == SMALL, (table.key, page_row)
                    small += 1
                elif shown in (SMALL, HIDDEN):
                    hidden += 1
                else:
                    assert shown == ("" if value is None else str(value)), (table.key, page_row)
    # The data is small enough for both kinds of hidden cell to be there.
    assert small > 0 and hidden > 0


def test_it_records_every_export(client, sup_hanoi, dataset):
    staff_login(client, sup_hanoi)

    client.get(export_url("xlsx", scope="01", **QUARTER))
    client.get(export_url("docx", scope="01", **QUARTER))

    events = ReportEvent.objects.order_by("id")
    assert [(event.action, event.format) for event in events] == [
        ("exported", "xlsx"),
        ("exported", "docx"),
    ]
    event = events[0]
    assert (event.actor, event.kind, event.scope) == (sup_hanoi, "quarterly", "01")
    assert (event.start.isoformat(), event.end.isoformat()) == ("2026-01-01", "2026-03-31")


def test_it_writes_the_document_in_vietnamese_for_an_english_page(client, sup_hanoi, dataset):
    staff_login(client, sup_hanoi)
    client.cookies["django_language"] = "en"

    spreadsheet = client.get(export_url("csv", scope="01", **QUARTER))
    document = client.get(export_url("docx", scope="01", **QUARTER))

    assert ["Contacts by channel"] in csv_rows(spreadsheet.content)
    texts = [paragraph.text for paragraph in docx.Document(io.BytesIO(document.content)).paragraphs]
    assert "BÁO CÁO" in texts
    assert any(text.endswith("Lượt liên hệ theo kênh") for text in texts)


@pytest.mark.parametrize(
    "who", ["op_hanoi", "op_central", "liaison_a05", "liaison_111", "administrator"]
)
def test_it_refuses_everyone_but_supervisors(request, client, dataset, who):
    staff_login(client, request.getfixturevalue(who))

    for format in ("csv", "xlsx", "docx"):
        assert client.get(export_url(format, scope="01", **QUARTER)).status_code == 403
    assert not ReportEvent.objects.exists()


def test_it_sends_anonymous_visitors_to_the_login(client, reference_data):
    response = client.get(export_url("csv", scope="01", **QUARTER))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("scope", ["46", "00", "all", "99"])
def test_it_hides_other_scopes_from_a_provincial_supervisor(client, sup_hanoi, scope):
    staff_login(client, sup_hanoi)

    response = client.get(export_url("csv", scope=scope, **QUARTER))

    assert response.status_code == 404
    assert not ReportEvent.objects.exists()


def test_it_exports_a_provincial_supervisors_own_hotline_when_no_scope_is_named(client, sup_hanoi):
    staff_login(client, sup_hanoi)

    response = client.get(export_url("csv", **QUARTER))

    assert response.status_code == 200
    assert ReportEvent.objects.get().scope == "01"


@pytest.mark.parametrize("scope", ["all", "00", "46", "01"])
def test_it_lets_a_central_supervisor_export_any_scope(client, sup_central, dataset, scope):
    staff_login(client, sup_central)

    response = client.get(export_url("xlsx", scope=scope, **QUARTER))

    assert response.status_code == 200
    assert ReportEvent.objects.get().scope == scope


def test_it_answers_404_for_a_scope_that_does_not_exist(client, sup_central):
    staff_login(client, sup_central)

    assert client.get(export_url("csv", scope="99", **QUARTER)).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"scope": "01", "start": "2026-01-01", "end": "2026-03-31"},
        {"scope": "01", "kind": "decade", "start": "2026-01-01", "end": "2026-03-31"},
        {"scope": "01", "kind": "quarterly", "start": "01/01/2026", "end": "2026-03-31"},
        {"scope": "01", "kind": "quarterly", "start": "2026-03-31", "end": "2026-01-01"},
        {"scope": "01", "kind": "quarterly", "start": "2020-01-01", "end": "2026-03-31"},
    ],
)
def test_it_refuses_an_incomplete_or_invalid_choice(client, sup_hanoi, query):
    staff_login(client, sup_hanoi)

    assert client.get(export_url("csv", **query)).status_code == 400
    assert not ReportEvent.objects.exists()


def test_it_knows_only_its_three_formats(client, sup_hanoi):
    staff_login(client, sup_hanoi)

    assert client.get(export_url("pdf", scope="01", **QUARTER)).status_code == 404
    assert client.post(export_url("csv", scope="01", **QUARTER)).status_code == 405
    assert not ReportEvent.objects.exists()


def test_a_stale_proof_is_asked_again_before_a_file_leaves_and_the_report_is_kept(
    client, sup_hanoi
):
    from tests.accounts.helpers import proof_expire, with_password

    with_password(sup_hanoi)
    staff_login(client, sup_hanoi)
    proof_expire(client)
    url = export_url("csv", scope="01", kind="quarterly", start="2026-01-01", end="2026-03-31")

    asked = client.get(url)

    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauth/?")
    assert urlencode({"next": url}) in asked["Location"]
    assert not ReportEvent.objects.filter(action="exported").exists()
    back = client.post("/accounts/reauth/", {"reauth_password": "mat-khau-rieng-2026", "next": url})
    assert back["Location"] == url
    assert client.get(url).status_code == 200
