import pytest
from django.urls import reverse

from cases.models import CaseEvent, CaseState
from tests.logins import staff_login


@pytest.mark.django_db
def test_it_lets_a_hanoi_operator_create_and_move_a_case_that_hue_cannot_see(
    client, op_hanoi, op_hue
):
    staff_login(client, op_hanoi)
    response = client.post(
        reverse("cases:create"),
        {
            "risk": "medium",
            "gender": "female",
            "categories": ["online.cyberbullying", "online.privacy"],
            "summary": "x",
        },
    )
    assert response.status_code == 302, response.content
    case = op_hanoi.hotline.cases.get()
    assert case.reference.startswith("HN-")
    assert set(case.categories.values_list("code", flat=True)) == {
        "online.cyberbullying",
        "online.privacy",
    }
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    assert "Bắt đầu xử lý" in page.content.decode()
    client.post(reverse("cases:transition", args=[case.pk]), {"transition": "open", "version": 1})
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    assert list(case.events.values_list("action", flat=True)) == [
        CaseEvent.Action.CREATED,
        CaseEvent.Action.VIEWED,
        CaseEvent.Action.TRANSITIONED,
    ]
    staff_login(client, op_hue)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
