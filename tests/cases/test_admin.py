"""Administrators manage hotlines, staff and categories, and read no case content.

They are not superusers: the "administrators" group gives them exactly the
permissions the admin pages need, and nothing else.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from cases.models import CaseEvent, Category
from escalation.models import Agency
from helpline.models import Hotline, User
from tests.logins import staff_login

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
    "connectors.PlatformContact",
    "connectors.PlatformThread",
    "connectors.PlatformMessage",
]


@pytest.mark.django_db
def test_it_registers_no_case_content_in_the_admin():
    registered = {f"{model._meta.app_label}.{model.__name__}" for model in admin.site._registry}
    assert not registered & set(CASE_CONTENT)
    assert {"helpline.Hotline", "helpline.User", "cases.Category"} <= registered


ADMINISTRATOR_PERMISSIONS = {
    "helpline.view_hotline",
    "helpline.change_hotline",
    "helpline.view_user",
    "helpline.change_user",
    "helpline.view_staffchangerequest",
    "helpline.add_staffchangerequest",
    "cases.view_category",
    "cases.change_category",
    "escalation.view_agency",
    "escalation.add_agency",
    "escalation.change_agency",
    "telephony.view_operatorendpoint",
    "telephony.view_phonereveal",
    "harms.view_platform",
    "harms.add_platform",
    "harms.change_platform",
    "harms.view_takedownchannel",
    "harms.add_takedownchannel",
    "harms.change_takedownchannel",
    "connectors.view_embedorigin",
    "connectors.add_embedorigin",
    "connectors.change_embedorigin",
    "connectors.view_platformaccount",
    "connectors.change_platformaccount",
}


@pytest.fixture
def superuser(reference_data):
    """A superuser made by hand with createsuperuser, which nothing in the project does."""
    return User.objects.create_superuser("root", "root@example.invalid", password=None)


@pytest.mark.django_db
def test_it_makes_administrators_staff_but_not_superusers(administrator):
    assert administrator.is_staff
    assert not administrator.is_superuser
    assert administrator.get_all_permissions() == ADMINISTRATOR_PERMISSIONS


@pytest.mark.django_db
def test_it_keeps_the_administrators_group_to_exactly_the_permissions_the_pages_need(
    administrator,
):
    group = Group.objects.get(name="administrators")
    group.permissions.add(Permission.objects.get(codename="add_user"))
    call_command("migrate", verbosity=0)
    labels = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="administrators").permissions.all()
    }
    assert labels == ADMINISTRATOR_PERMISSIONS


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["administrator", "superuser"])
@pytest.mark.parametrize("label", CASE_CONTENT)
def test_it_answers_404_for_case_content_in_the_admin_even_to_a_superuser(
    request, client, make_case, op_hanoi, who, label
):
    case = make_case(by=op_hanoi, summary="Em bị lộ ảnh")
    user = request.getfixturevalue(who)
    staff_login(client, user)
    model = apps.get_model(label)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}{case.pk}/change/").status_code == 404
    assert not CaseEvent.objects.filter(actor=user).exists()


@pytest.mark.django_db
def test_it_lets_the_administrator_manage_staff_and_categories(client, administrator):
    staff_login(client, administrator)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    for name in (
        "helpline_user",
        "helpline_hotline",
        "helpline_staffchangerequest",
        "cases_category",
        "escalation_agency",
        "telephony_operatorendpoint",
        "telephony_phonereveal",
    ):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    for name in ("helpline_staffchangerequest", "escalation_agency"):
        assert client.get(reverse(f"admin:{name}_add")).status_code == 200, name


@pytest.mark.django_db
def test_it_opens_each_kind_of_record_an_administrator_manages(client, administrator, op_hanoi):
    staff_login(client, administrator)
    for name, obj in (
        ("helpline_hotline", Hotline.objects.get(code="01")),
        ("helpline_user", op_hanoi),
        ("cases_category", Category.objects.get(code="online.cyberbullying")),
        ("escalation_agency", Agency.objects.get(code="a05-police")),
    ):
        assert client.get(reverse(f"admin:{name}_change", args=[obj.pk])).status_code == 200, name


@pytest.mark.django_db
def test_it_lets_the_administrator_change_opening_hours_without_being_a_superuser(
    client, administrator
):
    hanoi = Hotline.objects.get(code="01")
    staff_login(client, administrator)
    url = reverse("admin:helpline_hotline_change", args=[hanoi.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name_vi": hanoi.name_vi,
            "name_en": hanoi.name_en,
            "opens_at": "08:00:00",
            "closes_at": "20:00:00",
            "voice_number": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hanoi.refresh_from_db()
    assert (str(hanoi.opens_at), str(hanoi.closes_at)) == ("08:00:00", "20:00:00")


@pytest.mark.django_db
def test_it_lets_the_administrator_rename_a_category(client, administrator):
    category = Category.objects.get(code="online.cyberbullying")
    staff_login(client, administrator)
    url = reverse("admin:cases_category_change", args=[category.pk])
    response = client.post(
        url,
        {
            "name_vi": "Bắt nạt trên mạng",
            "name_en": category.name_en,
            "parent": category.parent_id,
            "escalation_hint": category.escalation_hint,
            "position": category.position,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    category.refresh_from_db()
    assert category.name_vi == "Bắt nạt trên mạng"


@pytest.mark.django_db
def test_it_gives_the_administrator_no_page_to_edit_groups(client, administrator, superuser):
    assert Group not in admin.site._registry
    for user in (administrator, superuser):
        staff_login(client, user)
        assert client.get("/admin/auth/group/").status_code == 404


@pytest.mark.django_db
def test_it_shows_no_case_content_on_a_staff_members_admin_page(
    client, administrator, make_case, op_hanoi
):
    make_case(by=op_hanoi, summary="Em bị lộ ảnh")
    staff_login(client, administrator)
    page = client.get(reverse("admin:helpline_user_change", args=[op_hanoi.pk]))
    assert page.status_code == 200
    assert "Em bị lộ ảnh" not in page.content.decode()
    assert "HN-" not in page.content.decode()


@pytest.mark.django_db
def test_it_sends_the_administrator_home_to_the_admin_not_to_cases(client, administrator):
    staff_login(client, administrator)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("admin:index")
