"""Notes are append-only: once written, no code path edits or deletes them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.models import CaseEvent, CaseNote
from cases.services import case_note_add
from tests.logins import staff_login


@pytest.fixture
def note(make_case, op_hanoi):
    case = make_case(by=op_hanoi)
    return case_note_add(user=op_hanoi, case_id=case.pk, body="  Đã gọi lại cho em.  ")


@pytest.mark.django_db
def test_it_adds_a_trimmed_note_and_records_it_on_the_timeline(note, op_hanoi):
    assert note.body == "Đã gọi lại cho em."
    assert note.author == op_hanoi
    event = note.case.events.last()
    assert (event.action, event.detail) == (CaseEvent.Action.NOTE_ADDED, {"note": note.pk})


@pytest.mark.django_db
def test_it_refuses_to_save_a_note_again(note):
    note.body = "rewritten"
    with pytest.raises(ValidationError):
        note.save()
    assert CaseNote.objects.get(pk=note.pk).body == "Đã gọi lại cho em."


@pytest.mark.django_db
def test_it_refuses_to_delete_a_note(note):
    with pytest.raises(ValidationError):
        note.delete()
    assert CaseNote.objects.filter(pk=note.pk).exists()


@pytest.mark.django_db
def test_it_refuses_bulk_updates_and_deletes_of_notes(note):
    with pytest.raises(ValidationError):
        CaseNote.objects.filter(pk=note.pk).update(body="rewritten")
    with pytest.raises(ValidationError):
        CaseNote.objects.all().delete()
    with pytest.raises(ValidationError):
        note.case.notes.all().delete()
    assert CaseNote.objects.get(pk=note.pk).body == "Đã gọi lại cho em."


@pytest.mark.django_db
def test_it_shows_notes_in_order_with_their_author(client, make_case, op_hanoi, sup_hanoi):
    case = make_case(by=op_hanoi)
    case_note_add(user=op_hanoi, case_id=case.pk, body="first note")
    case_note_add(user=sup_hanoi, case_id=case.pk, body="second note")
    staff_login(client, op_hanoi)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert page.index("first note") < page.index("second note")
    assert "Phạm Thanh Bình" in page
    assert "Xoá" not in page
