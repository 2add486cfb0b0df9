"""Risk levels: who may lower them, how closing remembers them, and how the timeline shows them.

Closing a case that was ever high or imminent risk needs a supervisor, so an
operator cannot lower the risk, resolve and close to get around that rule.
"""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from cases.models import Case, CaseEvent, CaseState
from cases.services import CaseError, RiskLoweringRefused, case_transition, case_update
from tests.logins import staff_login

LOWER = {"high": ["medium", "low"], "imminent": ["high", "medium", "low"]}
LOWERINGS = [(before, after) for before, lowers in LOWER.items() for after in lowers]


def set_risk(case, user, risk):
    case.refresh_from_db()
    return case_update(user=user, case_id=case.pk, expected_version=case.version, risk=risk)


def edit_page(client, case, **fields):
    case.refresh_from_db()
    data = {"risk": case.risk, "gender": case.gender, "summary": case.summary}
    data.update(fields, version=case.version)
    return client.post(reverse("cases:edit", args=[case.pk]), data)


def updates(case):
    return case.events.filter(action=CaseEvent.Action.UPDATED)


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), LOWERINGS)
def test_it_refuses_an_operator_lowering_a_high_or_imminent_risk(
    make_case, op_hanoi, before, after
):
    case = make_case(by=op_hanoi, risk=before)
    with pytest.raises(RiskLoweringRefused, match="Chỉ giám sát viên được hạ mức rủi ro"):
        case_update(
            user=op_hanoi,
            case_id=case.pk,
            expected_version=case.version,
            risk=after,
            summary="changed too",
        )
    case.refresh_from_db()
    assert (case.risk, case.summary, case.version) == (before, "", 1)
    assert not updates(case).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("supervisor", ["sup_hanoi", "sup_central"])
@pytest.mark.parametrize(("before", "after"), LOWERINGS)
def test_it_lets_a_supervisor_lower_a_high_or_imminent_risk(
    request, make_case, op_hanoi, supervisor, before, after
):
    case = make_case(by=op_hanoi, risk=before)
    set_risk(case, request.getfixturevalue(supervisor), after)
    case.refresh_from_db()
    assert (case.risk, case.highest_risk) == (after, before)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("before", "after"), [("low", "imminent"), ("medium", "low"), ("high", "imminent")]
)
def test_it_lets_an_operator_raise_a_risk_or_lower_one_that_is_not_high(
    make_case, op_hanoi, before, after
):
    case = make_case(by=op_hanoi, risk=before)
    set_risk(case, op_hanoi, after)
    case.refresh_from_db()
    assert case.risk == after


@pytest.mark.django_db
def test_it_keeps_the_highest_risk_the_case_ever_had(make_case, op_hanoi, sup_hanoi):
    case = make_case(by=op_hanoi, risk="medium")
    assert case.highest_risk == "medium"
    set_risk(case, op_hanoi, "imminent")
    set_risk(case, sup_hanoi, "low")
    set_risk(case, op_hanoi, "high")
    case.refresh_from_db()
    assert (case.risk, case.highest_risk) == ("high", "imminent")


@pytest.mark.django_db
@pytest.mark.parametrize("ever", ["high", "imminent"])
def test_it_refuses_an_operator_closing_a_case_that_was_ever_high_risk(
    make_case, op_hanoi, sup_hanoi, ever
):
    case = make_case(by=op_hanoi, risk="low")
    set_risk(case, op_hanoi, ever)
    set_risk(case, sup_hanoi, "low")
    case_transition(user=op_hanoi, case_id=case.pk, transition="open")
    case_transition(user=op_hanoi, case_id=case.pk, transition="resolve")

    with pytest.raises(CaseError, match="chỉ giám sát viên mới được đóng"):
        case_transition(user=op_hanoi, case_id=case.pk, transition="close")
    case.refresh_from_db()
    assert (case.risk, case.state) == ("low", CaseState.RESOLVED)

    case_transition(user=sup_hanoi, case_id=case.pk, transition="close")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED


@pytest.mark.django_db
def test_it_shows_an_operator_no_close_button_on_a_case_that_was_ever_high_risk(
    client, make_case, op_hanoi, sup_hanoi
):
    case = make_case(by=op_hanoi, risk="high")
    set_risk(case, sup_hanoi, "low")
    for name in ("open", "resolve"):
        case_transition(user=op_hanoi, case_id=case.pk, transition=name)
    staff_login(client, op_hanoi)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'value="close"' not in page
    assert "cần giám sát viên đóng hồ sơ" in page
    staff_login(client, sup_hanoi)
    assert 'value="close"' in client.get(reverse("cases:detail", args=[case.pk])).content.decode()


@pytest.mark.django_db
def test_it_records_both_risk_levels_on_every_risk_change(make_case, op_hanoi, sup_hanoi):
    case = make_case(by=op_hanoi, risk="medium")
    set_risk(case, op_hanoi, "high")
    case.refresh_from_db()
    case_update(
        user=sup_hanoi,
        case_id=case.pk,
        expected_version=case.version,
        risk="low",
        summary="Em đã an toàn",
    )
    case.refresh_from_db()
    case_update(user=op_hanoi, case_id=case.pk, expected_version=case.version, gender="female")

    assert [event.detail for event in updates(case)] == [
        {"fields": ["risk"], "risk": {"from": "medium", "to": "high"}},
        {"fields": ["risk", "summary"], "risk": {"from": "high", "to": "low"}},
        {"fields": ["gender"]},
    ]
    assert "an toàn" not in repr(list(case.events.values()))


@pytest.mark.django_db
def test_it_shows_the_risk_change_readably_on_the_case_timeline(
    client, make_case, op_hanoi, sup_hanoi
):
    case = make_case(by=op_hanoi, risk="high")
    set_risk(case, sup_hanoi, "low")
    staff_login(client, op_hanoi)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Rủi ro: Cao → Thấp" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Risk: High → Low" in page


@pytest.mark.django_db
def test_it_refuses_the_lowering_on_the_edit_page_and_keeps_what_the_operator_typed(
    client, make_case, op_hanoi
):
    case = make_case(by=op_hanoi, risk="imminent", summary="trước")
    staff_login(client, op_hanoi)
    form = client.get(reverse("cases:edit", args=[case.pk])).content.decode()
    assert "Chỉ giám sát viên được hạ mức rủi ro này." in form

    response = edit_page(client, case, risk="low", summary="Em nói đã gặp người lạ", gender="male")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Chỉ giám sát viên được hạ mức rủi ro của hồ sơ đang ở mức “Nguy hiểm tức thời”" in page
    assert "Em nói đã gặp người lạ" in page
    assert '<option value="male" selected>' in page
    case.refresh_from_db()
    assert (case.risk, case.summary, case.gender, case.version) == (
        "imminent",
        "trước",
        "unknown",
        1,
    )


@pytest.mark.django_db
def test_it_lets_a_supervisor_lower_the_risk_on_the_edit_page(
    client, make_case, op_hanoi, sup_hanoi
):
    case = make_case(by=op_hanoi, risk="imminent")
    staff_login(client, sup_hanoi)
    assert "hạ mức rủi ro" not in client.get(reverse("cases:edit", args=[case.pk])).content.decode()
    assert edit_page(client, case, risk="medium").status_code == 302
    case.refresh_from_db()
    assert (case.risk, case.highest_risk) == ("medium", "imminent")


@pytest.mark.django_db
def test_it_starts_the_highest_risk_of_existing_cases_from_their_current_risk(make_case, op_hanoi):
    high = make_case(by=op_hanoi, risk="high")
    low = make_case(by=op_hanoi, risk="low")
    Case.objects.update(highest_risk="low")
    migration = importlib.import_module("cases.migrations.0004_case_highest_risk")

    migration.highest_risk_from_current(apps, None)

    high.refresh_from_db()
    low.refresh_from_db()
    assert (high.highest_risk, low.highest_risk) == ("high", "low")
