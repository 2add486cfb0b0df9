"""Legal holds: central supervisors place and lift them, with a code and a reference only."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases.models import CaseEvent
from retention.models import LegalHold
from retention.services import legal_hold_lift, legal_hold_place
from tests.logins import staff_login
from tests.retention.helpers import case_from_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(op_hanoi):
    case, _conversation, _token = case_from_chat(operator=op_hanoi, close=False)
    return case


def test_it_puts_a_case_on_hold_and_lifts_it_on_the_timeline(case, sup_central):
    hold = legal_hold_place(
        user=sup_central, case_id=case.pk, reason="police_investigation", reference="123/CV-PC02"
    )
    assert (hold.in_force, hold.placed_by, hold.reference) == (True, sup_central, "123/CV-PC02")
    legal_hold_lift(user=sup_central, hold_id=hold.pk)
    hold.refresh_from_db()
    assert (hold.in_force, hold.lifted_by) == (False, sup_central)
    events = list(
        case.events.filter(
            action__in=[CaseEvent.Action.LEGAL_HOLD_PLACED, CaseEvent.Action.LEGAL_HOLD_LIFTED]
        ).values_list("action", "actor__username", "detail")
    )
    assert events == [
        ("legal_hold_placed", "sup_central", {"hold": hold.pk, "reason": "police_investigation"}),
        ("legal_hold_lifted", "sup_central", {"hold": hold.pk, "reason": "police_investigation"}),
    ]


@pytest.mark.parametrize(
    "who", ["op_hanoi", "sup_hanoi", "administrator", "liaison_a05", "inspector"]
)
def test_it_lets_only_central_supervisors_place_or_lift_a_hold(request, case, sup_central, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        legal_hold_place(user=user, case_id=case.pk, reason="complaint", reference="1/KN")
    hold = legal_hold_place(user=sup_central, case_id=case.pk, reason="complaint", reference="1/KN")
    with pytest.raises(PermissionDenied):
        legal_hold_lift(user=user, hold_id=hold.pk)
    assert LegalHold.objects.get().in_force


@pytest.mark.parametrize("reference", ["", "Nguyen Van A 12 tuoi", "Em Hà", "x" * 41, "<script>"])
def test_it_refuses_a_reference_that_could_hold_a_childs_details(case, sup_central, reference):
    with pytest.raises(ValidationError):
        legal_hold_place(
            user=sup_central, case_id=case.pk, reason="police_investigation", reference=reference
        )
    assert not LegalHold.objects.exists()


def test_it_keeps_one_hold_in_force_per_case(case, sup_central):
    legal_hold_place(user=sup_central, case_id=case.pk, reason="complaint", reference="1/KN")
    with pytest.raises(ValidationError):
        legal_hold_place(user=sup_central, case_id=case.pk, reason="complaint", reference="2/KN")
    assert LegalHold.objects.count() == 1


def test_it_places_and_lifts_a_hold_from_the_page_by_the_case_reference(client, case, sup_central):
    staff_login(client, sup_central)
    page = client.get(reverse("retention:holds"))
    assert page.status_code == 200
    assert "Không ghi tên, tuổi, địa chỉ" in page.content.decode()
    response = client.post(
        reverse("retention:holds"),
        {
            "case_reference": case.reference.lower(),
            "reason": "police_investigation",
            "reference": "77/PC02",
        },
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.case_id, hold.reference) == (case.pk, "77/PC02")
    listed = client.get(reverse("retention:holds")).content.decode()
    assert case.reference in listed and "77/PC02" in listed
    assert case.summary not in listed
    client.post(reverse("retention:hold_lift"), {"hold_id": hold.pk})
    hold.refresh_from_db()
    assert not hold.in_force


def test_it_says_so_beside_the_field_when_the_reference_holds_more_than_a_number(
    client, case, sup_central
):
    staff_login(client, sup_central)
    response = client.post(
        reverse("retention:holds"),
        {"case_reference": case.reference, "reason": "complaint", "reference": "bé Lan lớp 7"},
    )
    assert response.status_code == 200
    assert "không dấu cách" in response.content.decode()
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize(
    "who", ["op_hanoi", "sup_hanoi", "administrator", "liaison_a05", "inspector"]
)
def test_it_refuses_the_holds_page_to_everyone_but_central_supervisors(request, client, who):
    staff_login(client, request.getfixturevalue(who))
    assert client.get(reverse("retention:holds")).status_code == 403
    assert client.post(reverse("retention:hold_lift"), {"hold_id": 1}).status_code == 403
