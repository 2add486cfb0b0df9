"""Two people changing one case at once: the first wins, the second is told, nothing is lost.

Each page carries the case's version. A change made from a page whose version
is no longer current is refused, so nobody overwrites what they never saw.
"""

import pytest
from django.db import transaction
from django.urls import reverse

from cases.models import CaseEvent, CaseState
from cases.services import StaleCaseError, case_transition, case_update
from tests.logins import staff_login

STALE = "Hồ sơ vừa được người khác thay đổi"


def edit(client, case, version, **fields):
    data = {"risk": "low", "gender": "unknown", "summary": "", "version": version, **fields}
    return client.post(reverse("cases:edit", args=[case.pk]), data)


@pytest.mark.django_db
def test_it_refuses_the_second_of_two_edits_made_from_the_same_version(
    client, make_case, op_hanoi, sup_hanoi
):
    case = make_case(by=op_hanoi, summary="first words")
    seen = case.version
    staff_login(client, sup_hanoi)
    assert edit(client, case, seen, risk="high", summary="supervisor's words").status_code == 302
    staff_login(client, op_hanoi)
    response = edit(client, case, seen, risk="low", summary="operator's words")
    page = response.content.decode()
    assert response.status_code == 200
    assert STALE in page
    # The operator's text is still in the form, so it is not lost either.
    assert "operator&#x27;s words" in page
    case.refresh_from_db()
    assert (case.risk, case.summary, case.version) == ("high", "supervisor's words", seen + 1)
    updates = case.events.filter(action=CaseEvent.Action.UPDATED)
    assert list(updates.values_list("actor__username", flat=True)) == ["sup_hanoi"]


@pytest.mark.django_db
def test_it_refuses_an_edit_made_from_a_page_loaded_before_a_transition(
    make_case, op_hanoi, sup_hanoi
):
    case = make_case(by=op_hanoi)
    seen = case.version
    case_transition(user=sup_hanoi, case_id=case.pk, transition="open", expected_version=seen)
    with pytest.raises(StaleCaseError):
        case_update(user=op_hanoi, case_id=case.pk, expected_version=seen, risk="imminent")
    case.refresh_from_db()
    assert (case.state, case.risk) == (CaseState.OPEN, "low")


@pytest.mark.django_db
def test_it_lets_exactly_one_of_two_people_pressing_the_same_button_win(
    client, make_case, op_hanoi, sup_hanoi
):
    case = make_case(by=op_hanoi)
    seen = case.version
    url = reverse("cases:transition", args=[case.pk])
    staff_login(client, sup_hanoi)
    first = client.post(url, {"transition": "open", "version": seen}, follow=True)
    assert "Hồ sơ đã chuyển sang “Đang xử lý”." in first.content.decode()
    staff_login(client, op_hanoi)
    second = client.post(url, {"transition": "open", "version": seen}, follow=True)
    assert STALE in second.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    moves = case.events.filter(action=CaseEvent.Action.TRANSITIONED)
    assert list(moves.values_list("actor__username", flat=True)) == ["sup_hanoi"]


@pytest.mark.django_db
def test_it_refuses_a_transition_from_a_page_loaded_before_an_edit(make_case, op_hanoi, sup_hanoi):
    case = make_case(by=op_hanoi, risk="low")
    for name in ("open", "resolve"):
        case = case_transition(user=op_hanoi, case_id=case.pk, transition=name)
    seen = case.version
    # The supervisor raises the risk while the operator is about to close.
    case_update(user=sup_hanoi, case_id=case.pk, expected_version=seen, risk="imminent")
    with pytest.raises(StaleCaseError):
        case_transition(user=op_hanoi, case_id=case.pk, transition="close", expected_version=seen)
    case.refresh_from_db()
    assert (case.state, case.risk) == (CaseState.RESOLVED, "imminent")


@pytest.mark.django_db
def test_it_refuses_a_stale_in_memory_case_through_the_state_machines_own_lock(
    make_case, op_hanoi, sup_hanoi
):
    """Code that holds an old copy of the case cannot save over a newer state."""
    from django_fsm import ConcurrentTransition

    case = make_case(by=op_hanoi)
    old_copy = type(case).objects.get(pk=case.pk)
    case_transition(user=sup_hanoi, case_id=case.pk, transition="open")
    case_transition(user=sup_hanoi, case_id=case.pk, transition="resolve")
    old_copy.open()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        old_copy.save()
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED


@pytest.mark.django_db
def test_it_adds_notes_from_two_people_without_conflict(client, make_case, op_hanoi, sup_hanoi):
    case = make_case(by=op_hanoi)
    for user, body in ((op_hanoi, "one"), (sup_hanoi, "two")):
        staff_login(client, user)
        client.post(reverse("cases:note_add", args=[case.pk]), {"body": body})
    assert list(case.notes.values_list("body", flat=True)) == ["one", "two"]
