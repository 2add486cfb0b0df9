"""Who may open which case page: each role × each page × own vs other hotline.

A case the user may not see answers 404, so its existence does not leak. People
who never handle cases (administrators, liaisons, superusers with no role) are
refused every case page with 403, whatever the id. Anonymous visitors are sent
to the login page.
"""

import pytest
from django.http import Http404
from django.urls import reverse

from cases.models import Case, CaseEvent, CaseNote, CaseState
from cases.selectors import case_get_for_user, cases_visible_to
from helpline.models import User
from tests.logins import staff_login

# Which hotlines' cases each hotline role sees.
SEES = {
    "op_hanoi": {"hanoi"},
    "op_hue": {"hue"},
    "op_central": {"central"},
    "sup_hanoi": {"hanoi"},
    "sup_central": {"hanoi", "hue", "central"},
}
NO_CASES = ["administrator", "liaison_a05", "liaison_111", "superuser"]
CASE_HOTLINES = ["hanoi", "hue", "central"]


@pytest.fixture
def superuser(reference_data):
    return User.objects.create_superuser("root", "root@example.invalid", password=None)


@pytest.fixture
def cases(make_case, op_hanoi, op_hue, op_central):
    """One case per hotline, made by that hotline's operator."""
    return {
        "hanoi": make_case(by=op_hanoi, summary="Hanoi summary"),
        "hue": make_case(by=op_hue, summary="Hue summary"),
        "central": make_case(by=op_central, summary="Central summary"),
    }


def snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.state, case.risk, case.summary, case.version, case.notes.count())


def attempt(client, page: str, case: Case):
    """Open one case page as the logged-in user; return the response."""
    url = {
        "detail": reverse("cases:detail", args=[case.pk]),
        "edit": reverse("cases:edit", args=[case.pk]),
        "edit_post": reverse("cases:edit", args=[case.pk]),
        "note": reverse("cases:note_add", args=[case.pk]),
        "transition": reverse("cases:transition", args=[case.pk]),
    }[page]
    if page == "detail" or page == "edit":
        return client.get(url)
    data = {
        "edit_post": {
            "risk": "high",
            "gender": "unknown",
            "summary": "changed",
            "version": case.version,
        },
        "note": {"body": "a note"},
        "transition": {"transition": "open", "version": case.version},
    }[page]
    return client.post(url, data)


CASE_PAGES = ["detail", "edit", "edit_post", "note", "transition"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(SEES))
@pytest.mark.parametrize("page", CASE_PAGES)
@pytest.mark.parametrize("where", CASE_HOTLINES)
def test_it_opens_a_case_page_to_hotline_staff_in_scope_and_answers_404_otherwise(
    request, client, cases, role, page, where
):
    user = request.getfixturevalue(role)
    case = cases[where]
    before = snapshot(case)
    staff_login(client, user)
    response = attempt(client, page, case)
    if where in SEES[role]:
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert response["Location"] == reverse("cases:detail", args=[case.pk])
        assert snapshot(case) != before or page in ("detail", "edit")
    else:
        assert response.status_code == 404
        assert snapshot(case) == before
        assert not case.events.filter(actor=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", NO_CASES)
@pytest.mark.parametrize("page", CASE_PAGES)
def test_it_refuses_every_case_page_to_people_who_do_not_handle_cases(
    request, client, cases, role, page
):
    user = request.getfixturevalue(role)
    staff_login(client, user)
    for case in cases.values():
        before = snapshot(case)
        response = attempt(client, page, case)
        assert response.status_code == 403
        assert "summary" not in response.content.decode()
        assert snapshot(case) == before
    assert not CaseEvent.objects.filter(actor=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", NO_CASES)
def test_it_refuses_the_list_and_the_create_page_to_people_who_do_not_handle_cases(
    request, client, cases, role
):
    staff_login(client, request.getfixturevalue(role))
    assert client.get(reverse("cases:list")).status_code == 403
    assert client.get(reverse("cases:create")).status_code == 403
    response = client.post(reverse("cases:create"), {"risk": "low", "gender": "unknown"})
    assert response.status_code == 403
    assert Case.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(SEES))
def test_it_lists_only_the_cases_in_the_users_scope(request, client, cases, role):
    staff_login(client, request.getfixturevalue(role))
    page = client.get(reverse("cases:list")).content.decode()
    for where, case in cases.items():
        assert (case.reference in page) == (where in SEES[role]), where


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(SEES))
def test_it_creates_a_case_at_the_users_own_hotline(request, client, reference_data, role):
    user = request.getfixturevalue(role)
    staff_login(client, user)
    response = client.post(reverse("cases:create"), {"risk": "low", "gender": "unknown"})
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.hotline == user.hotline
    assert case.created_by == user


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["list", "create", "detail", "edit"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, cases, page):
    case = cases["hanoi"]
    url = {
        "list": reverse("cases:list"),
        "create": reverse("cases:create"),
        "detail": reverse("cases:detail", args=[case.pk]),
        "edit": reverse("cases:edit", args=[case.pk]),
    }[page]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_it_answers_404_for_a_case_that_does_not_exist(client, op_hanoi):
    staff_login(client, op_hanoi)
    assert client.get(reverse("cases:detail", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_it_shows_nothing_to_a_deactivated_account(client, cases, op_hanoi):
    staff_login(client, op_hanoi)
    op_hanoi.is_active = False
    op_hanoi.save(update_fields=["is_active"])
    assert not cases_visible_to(user=op_hanoi).exists()
    response = client.get(reverse("cases:detail", args=[cases["hanoi"].pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", NO_CASES)
def test_it_gives_the_selector_nothing_for_people_who_do_not_handle_cases(request, cases, role):
    user = request.getfixturevalue(role)
    assert not cases_visible_to(user=user).exists()
    with pytest.raises(Http404):
        case_get_for_user(user=user, case_id=cases["hanoi"].pk)


@pytest.mark.django_db
def test_it_shows_a_superuser_with_a_hotline_role_only_that_hotlines_cases(cases, op_hue):
    """Being a superuser adds nothing to case access: only the role and hotline count."""
    op_hue.is_superuser = True
    op_hue.save(update_fields=["is_superuser"])
    assert list(cases_visible_to(user=op_hue)) == [cases["hue"]]


@pytest.mark.django_db
def test_it_lets_a_closed_case_be_read_but_not_edited(client, make_case, op_hanoi, sup_hanoi):
    from cases.services import case_transition

    case = make_case(by=op_hanoi, risk="low")
    for name in ("open", "resolve", "close"):
        case_transition(user=op_hanoi, case_id=case.pk, transition=name)
    staff_login(client, op_hanoi)
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("cases:edit", args=[case.pk]) not in detail
    response = client.post(
        reverse("cases:edit", args=[case.pk]),
        {"risk": "high", "gender": "unknown", "summary": "late", "version": 4},
        follow=True,
    )
    assert "Hãy mở lại hồ sơ trước khi sửa" in response.content.decode()
    case.refresh_from_db()
    assert (case.state, case.risk, case.summary) == (CaseState.CLOSED, "low", "")
    assert CaseNote.objects.count() == 0
