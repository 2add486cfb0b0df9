"""Revealing a number or sending a transcript asks for the password or a code again."""

import re
from html import unescape
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from escalation.models import Agency, Escalation
from tests.accounts.helpers import app_code, proof_expire, with_password
from tests.logins import confirmed_totp_device, staff_login

pytestmark = pytest.mark.django_db

SUMMARY = "Em bị đe doạ phát tán ảnh riêng tư."


def escalation_form(**changes) -> dict:
    return {
        "agency": Agency.objects.get(code="hotline-111").pk,
        "escalation_type": "child_abuse",
        "urgency": "immediate",
        "legal_basis": "emergency",
        "summary": SUMMARY,
        "shared_items": ["age_group", "transcript"],
        "youth_informed": "would_endanger",
        **changes,
    }


def hidden_fields(page: str) -> list[tuple[str, str]]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return [(name, unescape(value)) for name, value in found if name != "csrfmiddlewaretoken"]


def test_it_asks_again_before_an_escalation_with_the_transcript_and_keeps_the_form(
    client, op_hanoi, make_case
):
    case = make_case(by=op_hanoi)
    with_password(op_hanoi)
    staff_login(client, op_hanoi)
    proof_expire(client)
    url = reverse("escalations:create", args=[case.pk])

    asked = client.post(url, escalation_form())

    page = asked.content.decode()
    assert 'id="reauth-form"' in page
    assert f'action="{url}"' in page
    assert not Escalation.objects.exists()
    replayed = hidden_fields(page)
    assert ("summary", SUMMARY) in replayed
    assert {value for name, value in replayed if name == "shared_items"} == {
        "age_group",
        "transcript",
    }

    sent = client.post(
        url,
        urlencode([*replayed, ("reauth_password", "mat-khau-rieng-2026")]),
        content_type="application/x-www-form-urlencoded",
    )

    assert sent.status_code == 302
    escalation = Escalation.objects.get()
    assert escalation.summary == SUMMARY
    assert escalation.shared_items == ["age_group", "transcript"]


def test_it_sends_an_escalation_without_the_transcript_without_asking(client, op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    proof_expire(client)

    response = client.post(
        reverse("escalations:create", args=[case.pk]), escalation_form(shared_items=["age_group"])
    )

    assert response.status_code == 302
    assert Escalation.objects.get().shared_items == ["age_group"]


def test_it_keeps_asking_on_a_wrong_password_and_records_no_form_content(
    client, op_hanoi, make_case
):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    proof_expire(client)
    url = reverse("escalations:create", args=[case.pk])

    response = client.post(url, {**escalation_form(), "reauth_password": "khong-dung-2026"})

    assert "Mật khẩu hoặc mã không đúng." in response.content.decode()
    assert not Escalation.objects.exists()
    attempt = AccessAttempt.objects.get(username="op_hanoi")
    assert SUMMARY not in attempt.post_data
    assert "khong-dung" not in attempt.post_data


def test_it_accepts_a_code_of_the_app_instead_of_the_password(client, op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    proof_expire(client)
    code = app_code(confirmed_totp_device(op_hanoi))

    response = client.post(
        reverse("escalations:create", args=[case.pk]), {**escalation_form(), "reauth_code": code}
    )

    assert response.status_code == 302
    assert Escalation.objects.exists()


def test_it_sends_a_page_visit_through_the_reauth_page_and_back(client, op_hanoi):
    with_password(op_hanoi)
    staff_login(client, op_hanoi)

    form = client.get("/accounts/reauth/?next=/cases/").content.decode()
    back = client.post(
        "/accounts/reauth/", {"reauth_password": "mat-khau-rieng-2026", "next": "/cases/"}
    )
    elsewhere = client.post(
        "/accounts/reauth/",
        {"reauth_password": "mat-khau-rieng-2026", "next": "https://example.com/"},
    )

    assert 'name="next" value="/cases/"' in form
    assert back["Location"] == "/cases/"
    assert elsewhere.status_code == 200  # Not sent to another site.
