"""Every case transition, allowed and forbidden, for each role that handles cases."""

import pytest
from django.http import Http404
from django.urls import reverse

from cases.models import CaseEvent, CaseState
from cases.services import CaseError, case_transition
from tests.logins import staff_login

# The path from a new case to each state, taken by the Hanoi supervisor.
PATH_TO = {
    CaseState.NEW: [],
    CaseState.OPEN: ["open"],
    CaseState.RESOLVED: ["open", "resolve"],
    CaseState.CLOSED: ["open", "resolve", "close"],
}

# (from state, transition) -> state after it, for a low-risk case.
ALLOWED = {
    (CaseState.NEW, "open"): CaseState.OPEN,
    (CaseState.OPEN, "resolve"): CaseState.RESOLVED,
    (CaseState.RESOLVED, "close"): CaseState.CLOSED,
    (CaseState.RESOLVED, "reopen"): CaseState.OPEN,
    (CaseState.CLOSED, "reopen"): CaseState.OPEN,
}
EVERY_PAIR = [
    (state, transition)
    for state in PATH_TO
    for transition in ("open", "resolve", "close", "reopen")
]
HANDLERS = ["op_hanoi", "sup_hanoi", "sup_central"]


def case_in_state(make_case, *, state, risk="low", by, mover):
    case = make_case(by=by, risk=risk)
    for transition in PATH_TO[state]:
        case = case_transition(user=mover, case_id=case.pk, transition=transition)
    return case


@pytest.mark.django_db
@pytest.mark.parametrize("role", HANDLERS)
@pytest.mark.parametrize(("state", "transition"), EVERY_PAIR)
def test_it_allows_exactly_the_transitions_of_the_state_machine_to_each_handler(
    request, make_case, op_hanoi, sup_hanoi, role, state, transition
):
    user = request.getfixturevalue(role)
    case = case_in_state(make_case, state=state, by=op_hanoi, mover=sup_hanoi)
    events_before = case.events.count()
    expected = ALLOWED.get((state, transition))
    if expected is None:
        with pytest.raises(CaseError) as refused:
            case_transition(user=user, case_id=case.pk, transition=transition)
        assert "trạng thái" in str(refused.value)
        case.refresh_from_db()
        assert case.state == state
        assert case.events.count() == events_before
    else:
        moved = case_transition(user=user, case_id=case.pk, transition=transition)
        case.refresh_from_db()
        assert case.state == moved.state == expected
        event = case.events.last()
        assert (event.action, event.actor, event.from_state, event.to_state) == (
            CaseEvent.Action.TRANSITIONED,
            user,
            state,
            expected,
        )
        assert event.detail == {"transition": transition}


@pytest.mark.django_db
@pytest.mark.parametrize("risk", ["high", "imminent"])
def test_it_refuses_an_operator_closing_a_high_risk_case_and_says_a_supervisor_must(
    make_case, op_hanoi, sup_hanoi, risk
):
    case = case_in_state(
        make_case, state=CaseState.RESOLVED, risk=risk, by=op_hanoi, mover=op_hanoi
    )
    with pytest.raises(CaseError, match="giám sát viên"):
        case_transition(user=op_hanoi, case_id=case.pk, transition="close")
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
    assert case.closed_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("supervisor", ["sup_hanoi", "sup_central"])
@pytest.mark.parametrize("risk", ["high", "imminent"])
def test_it_lets_a_supervisor_close_a_high_risk_case(
    request, make_case, op_hanoi, supervisor, risk
):
    user = request.getfixturevalue(supervisor)
    case = case_in_state(
        make_case, state=CaseState.RESOLVED, risk=risk, by=op_hanoi, mover=op_hanoi
    )
    case_transition(user=user, case_id=case.pk, transition="close")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    assert case.closed_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("risk", ["low", "medium"])
def test_it_lets_an_operator_close_a_low_or_medium_risk_case(make_case, op_hanoi, risk):
    case = case_in_state(
        make_case, state=CaseState.RESOLVED, risk=risk, by=op_hanoi, mover=op_hanoi
    )
    case_transition(user=op_hanoi, case_id=case.pk, transition="close")
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED


@pytest.mark.django_db
def test_it_clears_the_resolved_and_closed_times_on_reopen(make_case, op_hanoi):
    case = case_in_state(make_case, state=CaseState.CLOSED, by=op_hanoi, mover=op_hanoi)
    assert case.resolved_at is not None and case.closed_at is not None
    case_transition(user=op_hanoi, case_id=case.pk, transition="reopen")
    case.refresh_from_db()
    assert (case.state, case.resolved_at, case.closed_at) == (CaseState.OPEN, None, None)


@pytest.mark.django_db
def test_it_refuses_an_unknown_transition_name(make_case, op_hanoi):
    case = make_case(by=op_hanoi)
    with pytest.raises(CaseError, match="không hợp lệ"):
        case_transition(user=op_hanoi, case_id=case.pk, transition="delete")
    case.refresh_from_db()
    assert case.state == CaseState.NEW


@pytest.mark.django_db
def test_it_shows_a_clear_message_and_keeps_the_state_for_an_out_of_order_transition(
    client, make_case, op_hanoi
):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    response = client.post(
        reverse("cases:transition", args=[case.pk]),
        {"transition": "close", "version": case.version},
        follow=True,
    )
    assert response.status_code == 200
    assert "Không thể thực hiện thao tác này khi hồ sơ đang ở trạng thái “Mới”." in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert case.state == CaseState.NEW
    assert not case.events.filter(action=CaseEvent.Action.TRANSITIONED).exists()


@pytest.mark.django_db
def test_it_tells_an_operator_in_the_page_that_a_supervisor_must_close_a_high_risk_case(
    client, make_case, op_hanoi
):
    case = case_in_state(
        make_case, state=CaseState.RESOLVED, risk="imminent", by=op_hanoi, mover=op_hanoi
    )
    staff_login(client, op_hanoi)
    response = client.post(
        reverse("cases:transition", args=[case.pk]),
        {"transition": "close", "version": case.version},
        follow=True,
    )
    assert "Hồ sơ rủi ro cao chỉ giám sát viên mới được đóng." in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED


@pytest.mark.django_db
def test_it_answers_405_to_a_transition_by_get(client, make_case, op_hanoi):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    assert client.get(reverse("cases:transition", args=[case.pk])).status_code == 405
    case.refresh_from_db()
    assert case.state == CaseState.NEW


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["administrator", "liaison_a05", "liaison_111"])
def test_it_forbids_people_who_do_not_handle_cases_to_move_one(
    request, client, make_case, op_hanoi, role
):
    case = make_case(by=op_hanoi)
    user = request.getfixturevalue(role)
    staff_login(client, user)
    response = client.post(
        reverse("cases:transition", args=[case.pk]), {"transition": "open", "version": 1}
    )
    assert response.status_code == 403
    with pytest.raises(Http404):
        case_transition(user=user, case_id=case.pk, transition="open")
    case.refresh_from_db()
    assert case.state == CaseState.NEW


@pytest.mark.django_db
def test_it_answers_404_to_a_transition_on_another_hotlines_case(
    client, make_case, op_hanoi, op_hue
):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hue)
    response = client.post(
        reverse("cases:transition", args=[case.pk]), {"transition": "open", "version": 1}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.state == CaseState.NEW
