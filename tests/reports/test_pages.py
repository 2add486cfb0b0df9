"""The /reports/ pages: who may open them, which scope they get, what they show and record."""

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from reports.models import ReportEvent, WeeklyReport
from tests.logins import staff_login
from tests.reports.factories import report_dataset

pytestmark = pytest.mark.django_db

Q1 = {"start": "2026-01-01", "end": "2026-03-31"}
PERIODS = {
    "yearly": {"start": "2025-12-01", "end": "2026-11-30"},
    "quarterly": Q1,
    "monthly": {"start": "2026-02-01", "end": "2026-02-28"},
    "weekly": {"start": "2026-02-09", "end": "2026-02-15"},
}


def client_for(user) -> Client:
    client = Client()
    staff_login(client, user)
    return client


def view_url(kind="quarterly", scope=None, **period) -> str:
    params = {"kind": kind, **(period or PERIODS[kind])}
    if scope is not None:
        params["scope"] = scope
    return f"/reports/view/?{urlencode(params)}"


@pytest.fixture
def dataset(op_hanoi):
    return report_dataset(
        seed=3,
        by=op_hanoi,
        start=datetime.date(2025, 12, 1),
        end=datetime.date(2026, 3, 31),
        contacts=200,
    )


@pytest.mark.parametrize("who", ["op_hanoi", "op_central", "liaison_a05", "administrator"])
@pytest.mark.parametrize("url", ["/reports/", view_url(), view_url(scope="01")])
def test_it_refuses_every_report_page_to_anyone_but_supervisors(request, who, url):
    response = client_for(request.getfixturevalue(who)).get(url)

    assert response.status_code == 403
    assert not ReportEvent.objects.exists()


@pytest.mark.parametrize("url", ["/reports/", view_url(scope="01")])
def test_it_sends_an_anonymous_visitor_to_the_login_page(reference_data, url):
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("scope", ["46", "00", "all", "99"])
def test_it_hides_every_other_scope_from_a_provincial_supervisor(sup_hanoi, scope):
    client = client_for(sup_hanoi)

    assert client.get(view_url(scope=scope)).status_code == 404
    assert client.get(f"/reports/?scope={scope}").status_code == 404
    assert not ReportEvent.objects.exists()


def test_it_gives_a_provincial_supervisor_their_own_hotline(sup_hanoi, dataset):
    response = client_for(sup_hanoi).get(view_url())

    assert response.status_code == 200
    assert response.context["report"].scope == "01"
    assert "Lượt liên hệ theo tỉnh/thành" not in response.content.decode()


def test_it_lets_a_central_supervisor_read_all_hotlines_or_any_one(sup_central, dataset):
    client = client_for(sup_central)

    everything = client.get(view_url(scope="all"))
    hue = client.get(view_url(scope="46"))

    assert everything.status_code == hue.status_code == 200
    assert "Lượt liên hệ theo tỉnh/thành (tổng đài tiếp nhận)" in everything.content.decode()
    assert hue.context["report"].scope_name == "Tổng đài Thành phố Huế"
    assert client.get(view_url()).context["report"].scope == "all"
    assert client.get(view_url(scope="99")).status_code == 404


@pytest.mark.parametrize("kind", ["yearly", "quarterly", "monthly", "weekly"])
@pytest.mark.parametrize("who", ["sup_hanoi", "sup_central"])
def test_it_renders_every_kind_of_report_with_its_charts(request, dataset, who, kind):
    response = client_for(request.getfixturevalue(who)).get(view_url(kind))
    page = response.content.decode()

    assert response.status_code == 200
    charts = re.findall(r'<svg class="chart[^"]*"[^>]*role="img"', page)
    assert len(charts) >= 3  # a chart with nothing to show says so instead
    assert page.count("<rect ") > 5
    assert page.count('<figure class="report-chart"') == 4
    assert "style=" not in page and "<script" not in page
    for table in response.context["report"].tables:
        assert table.title in page


def test_it_records_each_view_with_who_which_report_period_and_scope(sup_central, dataset):
    client = client_for(sup_central)

    client.get(view_url("monthly", scope="46"))
    client.get(view_url("weekly", scope="all", start="2026-02-11", end="2026-02-11"))

    events = list(
        ReportEvent.objects.order_by("id").values_list(
            "actor__username", "action", "kind", "scope", "start", "end", "format"
        )
    )
    assert events == [
        (
            "sup_central",
            "viewed",
            "monthly",
            "46",
            datetime.date(2026, 2, 1),
            datetime.date(2026, 2, 28),
            "",
        ),
        (
            "sup_central",
            "viewed",
            "weekly",
            "all",
            datetime.date(2026, 2, 9),
            datetime.date(2026, 2, 15),
            "",
        ),
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "monthly", "start": "2026-03-31", "end": "2026-03-01"},
        {"kind": "monthly", "start": "2026-03-01"},
        {"kind": "flash", "start": "2026-03-01", "end": "2026-03-31"},
        {"kind": "yearly", "start": "1.3.2026", "end": "2026-03-31"},
    ],
)
def test_it_sends_a_bad_request_back_to_the_choice_with_a_message(sup_hanoi, params):
    response = client_for(sup_hanoi).get(f"/reports/view/?{urlencode(params)}")

    assert response.status_code == 400
    assert response.context["form"].errors
    assert (
        'class="error"' in response.content.decode() or "form-errors" in response.content.decode()
    )
    assert not ReportEvent.objects.exists()


def test_it_links_the_exports_with_the_same_report(sup_central, dataset):
    page = (
        client_for(sup_central)
        .get(view_url("weekly", scope="46", start="2026-02-11"))
        .content.decode()
    )

    query = "kind=weekly&amp;start=2026-02-09&amp;end=2026-02-15&amp;scope=46"
    for export_format in ("csv", "xlsx", "docx"):
        assert f'href="/reports/export/{export_format}/?{query}"' in page


def test_it_offers_this_union_year_and_the_last_quarter_month_and_week(sup_hanoi):
    presets = client_for(sup_hanoi).get("/reports/").context["presets"]

    kinds = [preset["kind"] for preset in presets]
    assert kinds == ["yearly", "quarterly", "monthly", "weekly"]
    for preset in presets:
        assert preset["period"].start <= preset["period"].end
        assert "scope=01" in preset["query"]


def test_it_lists_the_weekly_reports_of_the_scope_only(sup_hanoi, sup_central):
    monday = datetime.date(2026, 11, 23)
    for scope in ("01", "46", "all"):
        WeeklyReport.objects.create(scope=scope, week_start=monday)

    hanoi = client_for(sup_hanoi).get("/reports/")
    central = client_for(sup_central).get("/reports/")
    hue = client_for(sup_central).get("/reports/?scope=46")

    assert [w["query"] for w in hanoi.context["weekly_reports"]] == [
        "kind=weekly&start=2026-11-23&end=2026-11-23&scope=01"
    ]
    assert "Báo cáo tình hình tuần 2026-W48" in hanoi.content.decode()
    assert [w["query"] for w in central.context["weekly_reports"]] == [
        "kind=weekly&start=2026-11-23&end=2026-11-23&scope=all"
    ]
    assert [w["query"] for w in hue.context["weekly_reports"]] == [
        "kind=weekly&start=2026-11-23&end=2026-11-23&scope=46"
    ]


def test_it_shows_the_reports_link_to_supervisors_only(sup_hanoi, op_hanoi):
    assert 'href="/reports/"' in client_for(sup_hanoi).get("/cases/").content.decode()
    assert 'href="/reports/"' not in client_for(op_hanoi).get("/cases/").content.decode()


def test_it_shows_the_report_in_english_when_asked(sup_hanoi, dataset):
    client = client_for(sup_hanoi)
    client.post("/i18n/setlang/", {"language": "en", "next": "/reports/"})

    page = client.get(view_url()).content.decode()

    assert "Contacts by channel" in page
    assert "Lượt liên hệ theo kênh" not in page
