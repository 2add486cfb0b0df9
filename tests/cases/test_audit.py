"""The timeline: every read and every change of a case leaves a row, with no content."""

from contextlib import contextmanager

import pytest
from django.db.models.signals import pre_save
from django.urls import reverse

from cases.models import CaseEvent, CaseState
from cases.services import case_note_add, case_transition, case_update
from tests.logins import staff_login


class AuditWriteFailed(Exception):
    pass


@contextmanager
def audit_writes_failing():
    """Make every write of a CaseEvent fail, as a full disk or a lost connection would."""

    def refuse(sender, **kwargs):
        raise AuditWriteFailed

    pre_save.connect(refuse, sender=CaseEvent)
    try:
        yield
    finally:
        pre_save.disconnect(refuse, sender=CaseEvent)


def actions(case) -> list[str]:
    return list(case.events.values_list("action", flat=True))


@pytest.mark.django_db
def test_it_records_the_creation_of_a_case(make_case, op_hanoi):
    case = make_case(by=op_hanoi)
    event = case.events.get()
    assert (event.action, event.actor, event.detail) == (CaseEvent.Action.CREATED, op_hanoi, {})


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["cases:detail", "cases:edit"])
def test_it_records_each_read_of_a_case_page_with_who_and_no_content(
    client, make_case, op_hanoi, sup_central, page
):
    case = make_case(by=op_hanoi, summary="Em bị lộ ảnh")
    staff_login(client, sup_central)
    client.get(reverse(page, args=[case.pk]))
    client.get(reverse(page, args=[case.pk]))
    reads = case.events.filter(action=CaseEvent.Action.VIEWED)
    assert reads.count() == 2
    for event in reads:
        assert event.actor == sup_central
        assert (event.from_state, event.to_state, event.detail) == ("", "", {})


@pytest.mark.django_db
def test_it_does_not_record_a_read_for_the_list_which_shows_no_content(client, make_case, op_hanoi):
    case = make_case(by=op_hanoi, summary="Em bị lộ ảnh")
    staff_login(client, op_hanoi)
    page = client.get(reverse("cases:list")).content.decode()
    assert case.reference in page
    assert "Em bị lộ ảnh" not in page
    assert actions(case) == [CaseEvent.Action.CREATED]


@pytest.mark.django_db
def test_it_records_no_read_when_the_case_is_hidden(client, make_case, op_hanoi, op_hue):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hue)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert actions(case) == [CaseEvent.Action.CREATED]


@pytest.mark.django_db
def test_it_records_transitions_updates_and_notes_without_their_content(make_case, op_hanoi):
    case = make_case(by=op_hanoi, summary="before")
    case_update(
        user=op_hanoi,
        case_id=case.pk,
        expected_version=case.version,
        risk="high",
        summary="Số điện thoại 0912345678",
    )
    case_transition(user=op_hanoi, case_id=case.pk, transition="open")
    note = case_note_add(user=op_hanoi, case_id=case.pk, body="Gọi lại lúc 9 giờ")
    updated, moved, noted = case.events.order_by("id")[1:]
    assert updated.action == CaseEvent.Action.UPDATED
    assert updated.detail == {"fields": ["risk", "summary"], "risk": {"from": "low", "to": "high"}}
    assert (moved.action, moved.from_state, moved.to_state) == (
        CaseEvent.Action.TRANSITIONED,
        CaseState.NEW,
        CaseState.OPEN,
    )
    assert (noted.action, noted.detail) == (CaseEvent.Action.NOTE_ADDED, {"note": note.pk})
    stored = repr(list(case.events.values()))
    assert "0912345678" not in stored
    assert "Gọi lại" not in stored


@pytest.mark.django_db
def test_it_records_nothing_for_an_edit_that_changes_nothing(make_case, op_hanoi):
    case = make_case(by=op_hanoi, risk="low")
    case_update(user=op_hanoi, case_id=case.pk, expected_version=case.version, risk="low")
    assert actions(case) == [CaseEvent.Action.CREATED]
    case.refresh_from_db()
    assert case.version == 1


@pytest.mark.django_db
def test_it_keeps_a_change_and_its_event_in_one_transaction(make_case, op_hanoi):
    case = make_case(by=op_hanoi)
    with audit_writes_failing():
        with pytest.raises(AuditWriteFailed):
            case_transition(user=op_hanoi, case_id=case.pk, transition="open")
        with pytest.raises(AuditWriteFailed):
            case_update(
                user=op_hanoi, case_id=case.pk, expected_version=case.version, risk="imminent"
            )
        with pytest.raises(AuditWriteFailed):
            case_note_add(user=op_hanoi, case_id=case.pk, body="note")
    case.refresh_from_db()
    assert (case.state, case.risk, case.version) == (CaseState.NEW, "low", 1)
    assert case.notes.count() == 0
    assert actions(case) == [CaseEvent.Action.CREATED]


@pytest.mark.django_db
def test_it_shows_nothing_of_a_case_whose_read_cannot_be_recorded(client, make_case, op_hanoi):
    case = make_case(by=op_hanoi, summary="Em bị lộ ảnh")
    staff_login(client, op_hanoi)
    client.raise_request_exception = False
    with audit_writes_failing():
        response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 500
    assert "Em bị lộ ảnh" not in response.content.decode()
