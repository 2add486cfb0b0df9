"""Administrators manage hotlines, staff and categories, and read no case content."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from cases.models import CaseEvent

# Models whose rows hold what a young person said or what staff wrote about them.
CASE_CONTENT = [
    "cases.Case",
    "cases.CaseNote",
    "cases.CaseEvent",
    "cases.CaseReferenceCounter",
    "helpline.Conversation",
    "helpline.Message",
    "escalation.Escalation",
    "escalation.EscalationMessage",
    "escalation.DisclosureRecord",
    "telephony.PhoneNumber",
    "telephony.PhoneContact",
    "telephony.Call",
    "telephony.SmsMessage",
    "telephony.Voicemail",
]


@pytest.mark.django_db
def test_it_registers_no_case_content_in_the_admin():
    registered = {f"{model._meta.app_label}.{model.__name__}" for model in admin.site._registry}
    assert not registered & set(CASE_CONTENT)
    assert {"helpline.Hotline", "helpline.User", "cases.Category"} <= registered


@pytest.mark.django_db
@pytest.mark.parametrize("label", CASE_CONTENT)
def test_it_answers_404_for_case_content_in_the_admin_even_to_a_superuser(
    client, administrator, make_case, op_hanoi, label
):
    case = make_case(by=op_hanoi, summary="Em bị lộ ảnh")
    assert administrator.is_superuser
    client.force_login(administrator)
    model = apps.get_model(label)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}{case.pk}/change/").status_code == 404
    assert not CaseEvent.objects.filter(actor=administrator).exists()


@pytest.mark.django_db
def test_it_lets_the_administrator_manage_staff_and_categories(client, administrator):
    client.force_login(administrator)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    for name in ("helpline_user", "helpline_hotline", "cases_category"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


@pytest.mark.django_db
def test_it_shows_no_case_content_on_a_staff_members_admin_page(
    client, administrator, make_case, op_hanoi
):
    make_case(by=op_hanoi, summary="Em bị lộ ảnh")
    client.force_login(administrator)
    page = client.get(reverse("admin:helpline_user_change", args=[op_hanoi.pk]))
    assert page.status_code == 200
    assert "Em bị lộ ảnh" not in page.content.decode()
    assert "HN-" not in page.content.decode()


@pytest.mark.django_db
def test_it_sends_the_administrator_home_to_the_admin_not_to_cases(client, administrator):
    client.force_login(administrator)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("admin:index")
