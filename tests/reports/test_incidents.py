"""Incidents: who sees which, linking cases on their timeline, closing, and the pages.

A provincial supervisor sees the incidents their hotline opened and the ones
reaching their province; a central supervisor sees all; nobody else sees any.
An incident out of sight is a 404, a page for a role that never sees incidents
a 403.
"""

import re

import pytest
from django.urls import reverse

from cases.models import CaseEvent
from reports.incident_selectors import incident_list_for_user, incidents_visible_to
from reports.incidents import (
    IncidentError,
    incident_case_link,
    incident_case_unlink,
    incident_close,
)
from reports.models import Incident, IncidentCase, IncidentState
from tests.logins import staff_login
from tests.reports.incident_helpers import open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(sup_hanoi, sup_central):
    """Hanoi's own, central's reaching Hanoi, central's reaching Hue only."""
    return {
        "hanoi": open_incident(by=sup_hanoi, provinces=["01"], title="Tin giả về trường học"),
        "central_hanoi": open_incident(by=sup_central, provinces=["01", "46"]),
        "central_hue": open_incident(by=sup_central, provinces=["46"], title="Lừa đảo trò chơi"),
    }


def test_it_opens_an_incident_for_the_supervisors_own_hotline(sup_hanoi):
    incident = open_incident(by=sup_hanoi, provinces=["46", "01", "01"])

    assert incident.hotline == sup_hanoi.hotline
    assert incident.state == IncidentState.OPEN
    assert incident.opened_by == sup_hanoi
    assert sorted(incident.provinces.values_list("province_code", flat=True)) == ["01", "46"]


def test_it_refuses_to_open_an_incident_for_anyone_but_a_supervisor(op_hanoi):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        open_incident(by=op_hanoi)
    assert not Incident.objects.exists()


def test_it_refuses_an_unknown_province_or_severity(sup_hanoi):
    with pytest.raises(IncidentError):
        open_incident(by=sup_hanoi, provinces=["99"])
    with pytest.raises(IncidentError):
        open_incident(by=sup_hanoi, severity="apocalyptic")
    assert not Incident.objects.exists()


def test_it_shows_a_provincial_supervisor_their_hotlines_and_their_provinces_incidents(
    incidents, sup_hanoi, sup_central, op_hanoi, liaison_a05, administrator
):
    hanoi_sees = set(incidents_visible_to(user=sup_hanoi))
    central_sees = set(incidents_visible_to(user=sup_central))

    assert hanoi_sees == {incidents["hanoi"], incidents["central_hanoi"]}
    assert central_sees == set(incidents.values())
    for nobody in (op_hanoi, liaison_a05, administrator):
        assert not incidents_visible_to(user=nobody).exists()


def test_it_lists_open_incidents_before_closed_ones_with_their_case_counts(
    incidents, sup_central, op_central, make_case
):
    case = make_case(by=op_central)
    incident_case_link(
        user=sup_central, incident_id=incidents["central_hue"].pk, reference=case.reference
    )
    incident_close(user=sup_central, incident_id=incidents["central_hanoi"].pk)

    listed = incident_list_for_user(user=sup_central)

    assert listed[-1] == incidents["central_hanoi"]
    assert {i.pk: i.case_count for i in listed}[incidents["central_hue"].pk] == 1


def test_it_links_a_case_on_its_timeline_once(incidents, sup_hanoi, op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    incident = incidents["central_hanoi"]

    first = incident_case_link(user=sup_hanoi, incident_id=incident.pk, reference=case.reference)
    again = incident_case_link(
        user=sup_hanoi, incident_id=incident.pk, reference=f"  {case.reference.lower()} "
    )

    assert first == again
    assert (first.case, first.linked_by) == (case, sup_hanoi)
    events = CaseEvent.objects.filter(case=case, action=CaseEvent.Action.INCIDENT_LINKED)
    assert [(e.actor, e.detail) for e in events] == [(sup_hanoi, {"incident": incident.pk})]


def test_it_links_only_cases_the_supervisor_may_see(incidents, sup_hanoi, op_hue, make_case):
    hue_case = make_case(by=op_hue)

    with pytest.raises(IncidentError) as refused:
        incident_case_link(
            user=sup_hanoi, incident_id=incidents["central_hanoi"].pk, reference=hue_case.reference
        )

    # An unknown reference and one out of sight get the same answer.
    with pytest.raises(IncidentError) as unknown:
        incident_case_link(
            user=sup_hanoi, incident_id=incidents["central_hanoi"].pk, reference="HN-1999-000001"
        )
    assert str(refused.value) == str(unknown.value)
    assert not IncidentCase.objects.exists()
    assert not CaseEvent.objects.filter(action=CaseEvent.Action.INCIDENT_LINKED).exists()


def test_it_answers_404_for_an_incident_out_of_sight(incidents, sup_hanoi, op_hanoi, make_case):
    from django.http import Http404

    case = make_case(by=op_hanoi)

    with pytest.raises(Http404):
        incident_case_link(
            user=sup_hanoi, incident_id=incidents["central_hue"].pk, reference=case.reference
        )
    with pytest.raises(Http404):
        incident_close(user=sup_hanoi, incident_id=incidents["central_hue"].pk)


def test_it_unlinks_a_case_and_keeps_both_steps(incidents, sup_hanoi, op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    incident = incidents["hanoi"]
    incident_case_link(user=sup_hanoi, incident_id=incident.pk, reference=case.reference)

    unlinked = incident_case_unlink(
        user=sup_hanoi, incident_id=incident.pk, reference=case.reference
    )
    relinked = incident_case_link(user=sup_hanoi, incident_id=incident.pk, reference=case.reference)

    assert unlinked.unlinked_by == sup_hanoi and unlinked.unlinked_at is not None
    assert relinked.pk != unlinked.pk and relinked.unlinked_at is None
    actions = list(
        CaseEvent.objects.filter(case=case, action__startswith="incident_").values_list(
            "action", "detail"
        )
    )
    assert actions == [
        ("incident_linked", {"incident": incident.pk}),
        ("incident_unlinked", {"incident": incident.pk}),
        ("incident_linked", {"incident": incident.pk}),
    ]
    with pytest.raises(IncidentError):
        incident_case_unlink(
            user=sup_hanoi, incident_id=incidents["central_hanoi"].pk, reference=case.reference
        )


def test_it_closes_only_for_the_opening_hotline_or_central(incidents, sup_hanoi, sup_central):
    with pytest.raises(IncidentError):
        incident_close(user=sup_hanoi, incident_id=incidents["central_hanoi"].pk)
    closed_by_hanoi = incident_close(user=sup_hanoi, incident_id=incidents["hanoi"].pk)
    closed_by_central = incident_close(user=sup_central, incident_id=incidents["central_hanoi"].pk)

    assert closed_by_hanoi.state == closed_by_central.state == IncidentState.CLOSED
    assert closed_by_central.closed_by == sup_central
    assert Incident.objects.get(pk=incidents["central_hanoi"].pk).state == IncidentState.CLOSED


def test_it_links_nothing_to_a_closed_incident(incidents, sup_hanoi, op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    incident_close(user=sup_hanoi, incident_id=incidents["hanoi"].pk)

    with pytest.raises(IncidentError):
        incident_case_link(
            user=sup_hanoi, incident_id=incidents["hanoi"].pk, reference=case.reference
        )
    assert not IncidentCase.objects.exists()


# --- pages ------------------------------------------------------------------------------


def incident_urls(incident_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("incidents:list")),
        ("get", reverse("incidents:create")),
        ("get", reverse("incidents:detail", args=[incident_id])),
        ("get", reverse("incidents:flash", args=[incident_id])),
        ("post", reverse("incidents:link", args=[incident_id])),
        ("post", reverse("incidents:unlink", args=[incident_id])),
        ("post", reverse("incidents:close", args=[incident_id])),
    ]


@pytest.mark.parametrize("who", ["op_hanoi", "op_central", "liaison_a05", "administrator"])
def test_it_refuses_every_incident_page_to_anyone_but_supervisors(request, client, incidents, who):
    staff_login(client, request.getfixturevalue(who))

    for method, url in incident_urls(incidents["hanoi"].pk):
        assert getattr(client, method)(url, {"reference": "HN-2026-000001"}).status_code == 403, url


def test_it_answers_404_on_every_page_of_an_incident_out_of_sight(client, incidents, sup_hanoi):
    staff_login(client, sup_hanoi)

    for method, url in incident_urls(incidents["central_hue"].pk)[2:]:
        assert getattr(client, method)(url, {"reference": "HN-2026-000001"}).status_code == 404, url
    assert incidents["central_hue"].state == IncidentState.OPEN


def test_it_lists_on_the_page_only_what_the_supervisor_sees(client, incidents, sup_hanoi):
    staff_login(client, sup_hanoi)

    page = client.get(reverse("incidents:list")).content.decode()

    assert "Tin giả về trường học" in page and "Thử thách nhịn thở trên mạng" in page
    assert "Lừa đảo trò chơi" not in page


def test_it_says_on_the_form_that_no_childs_details_belong_there(client, sup_hanoi):
    staff_login(client, sup_hanoi)

    page = client.get(reverse("incidents:create")).content.decode()

    assert "Không ghi chi tiết nào về một em cụ thể" in page
    # The supervisor's own province is ticked to start with, and no other.
    ticked = re.findall(r'<input type="checkbox" name="provinces" value="(\d+)"[^>]*checked', page)
    assert ticked == ["01"]


def test_it_opens_an_incident_from_the_form(client, sup_hanoi):
    staff_login(client, sup_hanoi)

    response = client.post(
        reverse("incidents:create"),
        {
            "title": "Tài khoản giả mạo giáo viên",
            "platform": "Facebook",
            "category": "online.impersonation",
            "severity": "critical",
            "provinces": ["01", "46"],
            "description": "",
        },
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.pk])
    assert (incident.title, incident.severity, incident.category.code) == (
        "Tài khoản giả mạo giáo viên",
        "critical",
        "online.impersonation",
    )


def test_it_links_unlinks_and_closes_from_the_detail_page(client, sup_hanoi, op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    incident = open_incident(by=sup_hanoi)
    staff_login(client, sup_hanoi)
    detail = reverse("incidents:detail", args=[incident.pk])

    client.post(reverse("incidents:link", args=[incident.pk]), {"reference": case.reference})
    linked_page = client.get(detail).content.decode()
    client.post(reverse("incidents:unlink", args=[incident.pk]), {"reference": case.reference})
    response = client.post(reverse("incidents:close", args=[incident.pk]), follow=True)

    assert case.reference in linked_page and "Đóng sự việc" in linked_page
    assert IncidentCase.objects.get().unlinked_at is not None
    assert "Đã đóng sự việc." in response.content.decode()
    assert Incident.objects.get().state == IncidentState.CLOSED


def test_it_names_only_the_linked_cases_the_reader_may_see(
    client, sup_hanoi, sup_central, op_hanoi, op_hue, make_case
):
    hanoi_case, hue_case = make_case(by=op_hanoi), make_case(by=op_hue)
    incident = open_incident(by=sup_central, provinces=["01", "46"])
    for case in (hanoi_case, hue_case):
        incident_case_link(user=sup_central, incident_id=incident.pk, reference=case.reference)
    staff_login(client, sup_hanoi)

    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert hanoi_case.reference in page
    assert hue_case.reference not in page
    assert "Hồ sơ gắn với sự việc: 2." in page
    assert "Trong số đó, hồ sơ của tổng đài khác, không hiện ở đây: 1." in page
    assert not CaseEvent.objects.filter(action=CaseEvent.Action.VIEWED).exists()


def test_it_shows_the_incident_pages_in_english_after_the_switch(
    client, sup_hanoi, op_hanoi, make_case
):
    from tests.test_translations import switch_to_english, vietnamese_left

    incident = open_incident(by=sup_hanoi, provinces=["01"])
    incident_case_link(
        user=sup_hanoi, incident_id=incident.pk, reference=make_case(by=op_hanoi).reference
    )
    staff_login(client, sup_hanoi)
    switch_to_english(client, reverse("incidents:list"))
    data = (
        sup_hanoi.get_full_name(),
        incident.title,
        incident.description,
    )

    for url in (
        reverse("incidents:list"),
        reverse("incidents:create"),
        reverse("incidents:detail", args=[incident.pk]),
        reverse("incidents:flash", args=[incident.pk]),
        reverse("board:board"),
    ):
        page = client.get(url).content.decode()
        assert '<html lang="en">' in page, url
        assert vietnamese_left(page, data=data) == [], url
