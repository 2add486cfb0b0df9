"""Administrators manage agencies as data, and see no escalation."""

import datetime

import pytest
from django.urls import reverse

from escalation.models import Agency
from tests.escalation.helpers import escalate
from tests.logins import staff_login

NEW_AGENCY = {
    "code": "hue-child-protection",
    "name_vi": "Phòng Bảo vệ trẻ em, Sở Y tế Huế",
    "name_en": "Hue child protection office",
    "scope": "provincial",
    "province_codes": ["46"],
    "accepted_types": ["child_abuse", "ocsea"],
    "notification_email": "hue-cp@example.invalid",
    "is_active": "on",
    "immediate_acknowledge_within": "00:30:00",
    "immediate_resolve_within": "12:00:00",
    "within_24h_acknowledge_within": "04:00:00",
    "within_24h_resolve_within": "3 00:00:00",
    "within_72h_acknowledge_within": "1 00:00:00",
    "within_72h_resolve_within": "14 00:00:00",
}


@pytest.mark.django_db
def test_it_lets_an_administrator_add_an_agency_with_its_liaison_group(client, administrator):
    staff_login(client, administrator)
    response = client.post(reverse("admin:escalation_agency_add"), NEW_AGENCY)
    assert response.status_code == 302, response.content.decode()[:2000]
    agency = Agency.objects.get(code="hue-child-protection")
    assert agency.group.name == "agency:hue-child-protection"
    assert agency.province_codes == ["46"]
    assert agency.accepted_types == ["child_abuse", "ocsea"]
    assert agency.immediate_acknowledge_within == datetime.timedelta(minutes=30)
    assert agency.within_72h_resolve_within == datetime.timedelta(days=14)


@pytest.mark.django_db
def test_it_refuses_a_provincial_agency_without_provinces(client, administrator):
    staff_login(client, administrator)
    response = client.post(
        reverse("admin:escalation_agency_add"), {**NEW_AGENCY, "province_codes": []}
    )
    assert response.status_code == 200
    assert "Cơ quan cấp tỉnh cần ít nhất một tỉnh/thành." in response.content.decode()
    assert not Agency.objects.filter(code="hue-child-protection").exists()


@pytest.mark.django_db
def test_it_gives_administrators_no_page_with_escalation_content(
    client, administrator, op_hanoi, make_case
):
    escalate(make_case(by=op_hanoi), by=op_hanoi, summary="NỘI-DUNG")
    staff_login(client, administrator)
    assert client.get(reverse("admin:index")).status_code == 200
    for model in ("escalation", "escalationmessage", "disclosurerecord"):
        assert client.get(f"/admin/escalation/{model}/").status_code == 404
