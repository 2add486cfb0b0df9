"""manage.py seed_demo: hotlines, categories, demo agencies and demo staff, safe to run again."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from cases.models import Category
from escalation.models import Agency
from helpline.management.commands.seed_demo import DEMO_PASSWORD, DEMO_STAFF
from helpline.models import Hotline, User
from helpline.provinces import all_provinces


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    return (
        Hotline.objects.count(),
        Category.objects.count(),
        Agency.objects.count(),
        User.objects.count(),
    )


@pytest.mark.django_db
def test_it_creates_the_same_data_however_often_it_runs(settings):
    settings.DEBUG = True
    first = seed()
    after_first = counts()
    second = seed()
    assert counts() == after_first
    assert after_first[0] == 1 + len(all_provinces()) == 35
    assert after_first[3] == len(DEMO_STAFF)
    assert f"{len(DEMO_STAFF)} new staff" in first
    assert "0 new staff" in second


@pytest.mark.django_db
def test_it_creates_one_demo_login_per_role_and_scope_named_in_the_issue(settings):
    settings.DEBUG = True
    seed()
    expected = {
        "op_hanoi": ("operator", "01"),
        "op_hue": ("operator", "46"),
        "sup_hanoi": ("supervisor", "01"),
        "sup_central": ("supervisor", "00"),
        "admin": ("administrator", None),
    }
    for username, (role, hotline) in expected.items():
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert (user.role, user.hotline.code if user.hotline else None) == (role, hotline)
    liaisons = User.objects.filter(role="liaison")
    assert liaisons.values("agency").distinct().count() >= 2


@pytest.mark.django_db
def test_it_prints_the_demo_logins_only_when_debug_is_on(settings):
    settings.DEBUG = True
    shown = seed()
    assert DEMO_PASSWORD in shown
    assert "op_hanoi" in shown
    settings.DEBUG = False
    hidden = seed()
    assert DEMO_PASSWORD not in hidden
    assert "op_hanoi" not in hidden


@pytest.mark.django_db
def test_it_leaves_the_demo_accounts_unable_to_log_in_without_debug(settings):
    settings.DEBUG = False
    seed()
    assert User.objects.filter(username="op_hanoi").exists()
    assert authenticate(username="op_hanoi", password=DEMO_PASSWORD) is None
    assert not any(user.has_usable_password() for user in User.objects.all())


@pytest.mark.django_db
def test_it_makes_the_demo_passwords_of_a_debug_seeded_database_unusable_without_debug(
    settings,
):
    settings.DEBUG = True
    seed()
    assert authenticate(username="op_hanoi", password=DEMO_PASSWORD) is not None
    settings.DEBUG = False
    output = seed()
    assert f"Demo password made unusable on {len(DEMO_STAFF)} accounts." in output
    assert not any(user.has_usable_password() for user in User.objects.all())
    # Even DEBUG turned back on does not bring the password back.
    settings.DEBUG = True
    assert authenticate(username="op_hanoi", password=DEMO_PASSWORD) is None


@pytest.mark.django_db
def test_it_keeps_a_real_password_on_an_account_that_has_a_demo_username(settings):
    settings.DEBUG = True
    seed()
    admin = User.objects.get(username="admin")
    admin.set_password("mat-khau-that-cua-quan-tri-2026")
    admin.save(update_fields=["password"])
    settings.DEBUG = False
    seed()
    assert authenticate(username="admin", password="mat-khau-that-cua-quan-tri-2026") == admin


@pytest.mark.django_db
def test_it_keeps_the_central_hotline_open_around_the_clock(settings):
    seed()
    central = Hotline.objects.get(code="00")
    assert central.is_central and central.always_open
    assert Hotline.objects.filter(is_central=True).count() == 1
    assert not Hotline.objects.filter(is_central=False, always_open=True).exists()


@pytest.mark.django_db
def test_it_does_not_overwrite_a_changed_password_when_run_again(settings):
    settings.DEBUG = True
    seed()
    user = User.objects.get(username="op_hanoi")
    user.set_password("a-new-password-2026")
    user.save()
    seed()
    assert authenticate(username="op_hanoi", password="a-new-password-2026") == user


@pytest.mark.django_db
def test_it_keeps_the_escalation_hint_and_both_labels_of_each_category(settings):
    seed()
    privacy = Category.objects.get(code="online.privacy")
    assert privacy.parent.code == "online"
    assert privacy.name_vi.startswith("Xâm phạm quyền riêng tư")
    assert privacy.name_en.startswith("Invasion of privacy")
    assert privacy.escalation_hint == "privacy_violation"
