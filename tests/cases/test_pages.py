"""What the case pages show: filters, pages of results, the category tree, the buttons."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import CaseState
from cases.services import case_transition
from cases.views import CASES_PER_PAGE
from tests.logins import staff_login


def references(response) -> set[str]:
    return set(re.findall(r"[A-Z]{2,4}-\d{4}-\d{6}", response.content.decode()))


def moved(case, user, *transitions):
    for name in transitions:
        case = case_transition(user=user, case_id=case.pk, transition=name)
    return case


@pytest.fixture
def hanoi_cases(make_case, op_hanoi):
    low = make_case(by=op_hanoi, risk="low", categories=("online.cyberbullying",))
    high = make_case(by=op_hanoi, risk="high", categories=("online.privacy",))
    abuse = make_case(by=op_hanoi, risk="imminent", categories=("violence.physical",))
    moved(high, op_hanoi, "open")
    return {"low": low, "high": high, "abuse": abuse}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"low", "high", "abuse"}),
        ({"state": "new"}, {"low", "abuse"}),
        ({"state": "open"}, {"high"}),
        ({"risk": "imminent"}, {"abuse"}),
        ({"category": "online.privacy"}, {"high"}),
        ({"category": "online"}, {"low", "high"}),
        ({"category": "violence"}, {"abuse"}),
        ({"state": "new", "risk": "low"}, {"low"}),
        ({"state": "closed"}, set()),
    ],
)
def test_it_filters_the_list_by_state_risk_and_category(
    client, hanoi_cases, op_hanoi, query, expected
):
    staff_login(client, op_hanoi)
    response = client.get(reverse("cases:list"), query)
    assert references(response) == {hanoi_cases[name].reference for name in expected}


@pytest.mark.django_db
def test_it_lets_only_a_central_supervisor_filter_by_hotline(
    client, hanoi_cases, make_case, op_hue, sup_central, op_hanoi
):
    hue = make_case(by=op_hue)
    staff_login(client, sup_central)
    response = client.get(reverse("cases:list"), {"hotline": "46"})
    assert references(response) == {hue.reference}
    assert 'name="hotline"' in response.content.decode()
    staff_login(client, op_hanoi)
    response = client.get(reverse("cases:list"), {"hotline": "46"})
    assert 'name="hotline"' not in response.content.decode()
    # The hotline parameter is ignored, not turned into a view of another hotline.
    assert references(response) == {case.reference for case in hanoi_cases.values()}


@pytest.mark.django_db
def test_it_shows_an_unknown_filter_value_as_an_error(client, hanoi_cases, op_hanoi):
    staff_login(client, op_hanoi)
    response = client.get(reverse("cases:list"), {"risk": "apocalyptic"})
    assert response.status_code == 200
    assert response.context["filters"].errors["risk"]


def link(response, name: str) -> str | None:
    """The case id a pager link continues from ("older_than" or "newer_than"), if shown."""
    found = re.search(rf'href="\?([^"]*?){name}=(\d+)"', response.content.decode())
    return found.group(2) if found else None


@pytest.mark.django_db
def test_it_pages_the_list_by_the_last_case_shown_and_keeps_the_filters(
    client, make_case, op_hanoi
):
    for _ in range(CASES_PER_PAGE + 3):
        make_case(by=op_hanoi, risk="medium")
    make_case(by=op_hanoi, risk="low")
    staff_login(client, op_hanoi)
    first = client.get(reverse("cases:list"), {"risk": "medium"})
    assert len(references(first)) == CASES_PER_PAGE
    older = link(first, "older_than")
    assert f"risk=medium&amp;older_than={older}" in first.content.decode()
    assert link(first, "newer_than") is None

    second = client.get(reverse("cases:list"), {"risk": "medium", "older_than": older})
    assert len(references(second)) == 3
    assert not references(first) & references(second)
    assert link(second, "older_than") is None
    # Back to the newer page from the first case shown on the older one.
    newer = link(second, "newer_than")
    back = client.get(reverse("cases:list"), {"risk": "medium", "newer_than": newer})
    assert references(back) == references(first)


@pytest.mark.django_db
def test_it_keeps_a_page_where_it_was_when_new_cases_arrive(client, make_case, op_hanoi):
    for _ in range(CASES_PER_PAGE + 3):
        make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    first = client.get(reverse("cases:list"))
    older = link(first, "older_than")
    make_case(by=op_hanoi)
    make_case(by=op_hanoi)
    second = client.get(reverse("cases:list"), {"older_than": older})
    # Numbered pages would have shifted by two; the page after the last case shown did not.
    assert len(references(second)) == 3
    assert not references(first) & references(second)


@pytest.mark.django_db
def test_it_counts_no_cases_to_show_a_page(client, make_case, op_hanoi):
    for _ in range(CASES_PER_PAGE + 1):
        make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    older = link(client.get(reverse("cases:list")), "older_than")
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("cases:list"), {"older_than": older, "category": "online"})
    statements = " ".join(query["sql"].upper() for query in queries.captured_queries)
    assert "COUNT(" not in statements
    assert "DISTINCT" not in statements


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["other_hotline", "missing", "not-a-number"])
def test_it_shows_the_newest_cases_for_a_page_link_it_cannot_follow(
    client, make_case, op_hanoi, op_hue, cursor
):
    mine = [make_case(by=op_hanoi) for _ in range(3)]
    theirs = make_case(by=op_hue)
    value = {"other_hotline": theirs.pk, "missing": theirs.pk + 1000, "not-a-number": "1;2"}
    staff_login(client, op_hanoi)
    response = client.get(reverse("cases:list"), {"older_than": value[cursor]})
    # Another hotline's case gives away nothing: the same first page as a bogus link.
    assert references(response) == {case.reference for case in mine}


@pytest.mark.django_db
def test_it_shows_the_category_tree_in_vietnamese_grouped_by_parent(client, op_hanoi):
    staff_login(client, op_hanoi)
    page = client.get(reverse("cases:create")).content.decode()
    assert "<legend>Tác hại trên không gian mạng</legend>" in page
    assert "<legend>Bạo lực</legend>" in page
    assert 'value="online.cyberbullying"' in page
    assert "Bắt nạt trực tuyến" in page
    assert "Cyberbullying" not in page
    assert 'value="online"' not in page


@pytest.mark.django_db
def test_it_ticks_the_current_categories_on_the_edit_page(client, make_case, op_hanoi):
    case = make_case(by=op_hanoi, categories=("online.privacy",))
    staff_login(client, op_hanoi)
    page = client.get(reverse("cases:edit", args=[case.pk])).content.decode()
    assert 'value="online.privacy" checked' in page
    assert 'value="online.cyberbullying" checked' not in page


@pytest.mark.django_db
def test_it_shows_the_category_names_and_the_timeline_on_the_detail_page(
    client, make_case, op_hanoi
):
    case = moved(make_case(by=op_hanoi, categories=("online.privacy",)), op_hanoi, "open")
    staff_login(client, op_hanoi)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Xâm phạm quyền riêng tư / lộ lọt thông tin cá nhân" in page
    assert "Tạo hồ sơ" in page
    assert "Mới → Đang xử lý" in page
    assert "Xem hồ sơ" in page


BUTTONS = {
    "open": "Bắt đầu xử lý",
    "resolve": "Đánh dấu đã giải quyết",
    "close": "Đóng hồ sơ",
    "reopen": "Mở lại",
}


def buttons(client, case) -> set[str]:
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    return {name for name in BUTTONS if f'name="transition" value="{name}"' in page}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state_path", "risk", "role", "expected"),
    [
        ((), "low", "op_hanoi", {"open"}),
        (("open",), "low", "op_hanoi", {"resolve"}),
        (("open", "resolve"), "low", "op_hanoi", {"close", "reopen"}),
        (("open", "resolve"), "high", "op_hanoi", {"reopen"}),
        (("open", "resolve"), "imminent", "op_hanoi", {"reopen"}),
        (("open", "resolve"), "high", "sup_hanoi", {"close", "reopen"}),
        (("open", "resolve"), "imminent", "sup_central", {"close", "reopen"}),
        (("open", "resolve", "close"), "low", "op_hanoi", {"reopen"}),
    ],
)
def test_it_shows_only_the_transition_buttons_this_user_may_press(
    request, client, make_case, op_hanoi, sup_hanoi, state_path, risk, role, expected
):
    case = moved(make_case(by=op_hanoi, risk=risk), sup_hanoi, *state_path)
    staff_login(client, request.getfixturevalue(role))
    assert buttons(client, case) == expected


@pytest.mark.django_db
def test_it_tells_an_operator_why_a_high_risk_case_has_no_close_button(client, make_case, op_hanoi):
    case = moved(make_case(by=op_hanoi, risk="high"), op_hanoi, "open", "resolve")
    staff_login(client, op_hanoi)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "cần giám sát viên đóng hồ sơ" in page
    assert case.state == CaseState.RESOLVED
