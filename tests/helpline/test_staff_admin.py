"""The staff pages of /admin/ cannot give anyone access, the person using them included.

Every attempt is a POST with the access fields filled in, as a careless or
curious insider would send it, not only a look at which fields the form shows.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_save
from django.urls import reverse

from helpline.models import Hotline, Role, User
from tests.logins import staff_login

NEW_PASSWORD = "mat-khau-moi-rat-dai-2026"


@pytest.fixture
def superuser(reference_data):
    """A superuser made by hand with createsuperuser, which nothing in the project does."""
    return User.objects.create_superuser("root", "root@example.invalid", password=None)


@pytest.fixture(params=["administrator", "superuser"])
def insider(request):
    """Whoever is logged in to /admin/: an administrator, or even a superuser."""
    return request.getfixturevalue(request.param)


def access_grab(user: User, **overrides) -> dict:
    """A change form POST that also tries every field that grants access."""
    central = Hotline.objects.get(code="00")
    return {
        "first_name": "Tên",
        "last_name": "Mới",
        "email": "moi@example.invalid",
        "is_active": "on",
        "role": Role.SUPERVISOR,
        "hotline": central.pk,
        "agency": "",
        "is_superuser": "on",
        "is_staff": "on",
        "groups": [Group.objects.get_or_create(name="administrators")[0].pk],
        "user_permissions": [Permission.objects.get(codename="view_case").pk],
        "password": NEW_PASSWORD,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "usable_password": "true",
        **overrides,
    }


def access_of(user: User) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (
        user.role,
        user.hotline_id,
        user.agency_id,
        user.is_superuser,
        user.is_staff,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
        user.password,
        user.is_active,
    )


@pytest.mark.django_db
def test_it_ignores_role_scope_superuser_groups_and_password_posted_for_another_account(
    client, insider, op_hanoi
):
    before = access_of(op_hanoi)
    staff_login(client, insider)
    url = reverse("admin:helpline_user_change", args=[op_hanoi.pk])
    response = client.post(url, access_grab(op_hanoi))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert access_of(op_hanoi) == before
    # The harmless fields were saved: the form was accepted, only access was ignored.
    assert User.objects.get(pk=op_hanoi.pk).get_full_name() == "Tên Mới"


@pytest.mark.django_db
def test_it_ignores_every_access_field_an_administrator_posts_for_their_own_account(
    client, administrator
):
    before = access_of(administrator)
    staff_login(client, administrator)
    url = reverse("admin:helpline_user_change", args=[administrator.pk])
    response = client.post(url, access_grab(administrator))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert access_of(administrator) == before
    assert not User.objects.get(pk=administrator.pk).is_central_supervisor


@pytest.mark.django_db
def test_it_leaves_the_administrator_unable_to_deactivate_their_own_account(client, administrator):
    staff_login(client, administrator)
    url = reverse("admin:helpline_user_change", args=[administrator.pk])
    client.post(url, access_grab(administrator, is_active=""))
    assert User.objects.get(pk=administrator.pk).is_active


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_answers_404_where_the_admin_had_its_password_form(
    client, insider, op_hanoi, sup_central, method
):
    staff_login(client, insider)
    for account in (op_hanoi, sup_central, insider):
        before = User.objects.get(pk=account.pk).password
        url = f"/admin/helpline/user/{account.pk}/password/"
        data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
        response = getattr(client, method)(url, data)
        assert response.status_code == 404
        assert User.objects.get(pk=account.pk).password == before


@pytest.mark.django_db
def test_it_lets_nobody_add_or_delete_staff_in_the_admin(client, insider, op_hanoi):
    staff_login(client, insider)
    count = User.objects.count()
    add = reverse("admin:helpline_user_add")
    assert client.get(add).status_code == 403
    new_supervisor = {
        "username": "ban_than",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "role": Role.SUPERVISOR,
        "hotline": Hotline.objects.get(code="00").pk,
    }
    assert client.post(add, new_supervisor).status_code == 403
    delete = reverse("admin:helpline_user_delete", args=[op_hanoi.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert User.objects.count() == count


@pytest.mark.django_db
def test_it_lets_the_administrator_deactivate_another_account_with_a_saved_signal(
    client, administrator, op_hanoi
):
    saved = []

    def record(sender, instance, update_fields, **kwargs):
        saved.append((instance.pk, set(update_fields or ())))

    post_save.connect(record, sender=User, weak=False, dispatch_uid="test-deactivate")
    try:
        staff_login(client, administrator)
        url = reverse("admin:helpline_user_change", args=[op_hanoi.pk])
        response = client.post(url, access_grab(op_hanoi, is_active=""))
    finally:
        post_save.disconnect(sender=User, dispatch_uid="test-deactivate")
    assert response.status_code == 302
    user = User.objects.get(pk=op_hanoi.pk)
    assert not user.is_active
    assert user.role == Role.OPERATOR and user.hotline.code == "01"
    # The e-mail address is proposed as a staff change, never saved from here.
    assert user.email == op_hanoi.email
    assert (op_hanoi.pk, {"first_name", "last_name", "is_active"}) in saved


@pytest.mark.django_db
def test_it_does_not_let_the_admin_form_turn_a_deactivated_account_back_on(
    client, administrator, op_hanoi
):
    op_hanoi.is_active = False
    op_hanoi.save(update_fields=["is_active"])
    staff_login(client, administrator)
    url = reverse("admin:helpline_user_change", args=[op_hanoi.pk])
    response = client.post(url, access_grab(op_hanoi, is_active="on"))
    assert response.status_code == 302
    assert not User.objects.get(pk=op_hanoi.pk).is_active


@pytest.mark.django_db
def test_it_shows_role_and_scope_on_the_staff_page_only_as_text(client, administrator, op_hanoi):
    staff_login(client, administrator)
    page = client.get(reverse("admin:helpline_user_change", args=[op_hanoi.pk])).content.decode()
    for field in ("role", "hotline", "agency", "is_superuser", "is_staff", "groups", "password"):
        assert f'name="{field}"' not in page
    assert 'name="first_name"' in page
    assert 'name="is_active"' in page
