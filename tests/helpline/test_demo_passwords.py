"""The published demo password never opens an account outside DEBUG.

A database seeded under DEBUG keeps the demo accounts when it later runs in
production. The login refuses the demo password there, and `check --deploy`
warns while any demo account still has it.
"""

import pytest
from django.contrib.auth import authenticate
from django.core.checks import run_checks

from helpline.management.commands.seed_demo import DEMO_PASSWORD
from helpline.models import User


@pytest.fixture
def demo_password_on_op_hanoi(op_hanoi) -> User:
    """op_hanoi as seed_demo leaves it under DEBUG: with the published password."""
    op_hanoi.set_password(DEMO_PASSWORD)
    op_hanoi.save(update_fields=["password"])
    return op_hanoi


def demo_warnings() -> list:
    return [
        message
        for message in run_checks(include_deployment_checks=True)
        if message.id == "helpline.W001"
    ]


@pytest.mark.django_db
def test_it_refuses_the_demo_password_without_debug(client, settings, demo_password_on_op_hanoi):
    settings.DEBUG = False
    assert authenticate(username="op_hanoi", password=DEMO_PASSWORD) is None
    response = client.post("/accounts/login/", {"username": "op_hanoi", "password": DEMO_PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_accepts_the_demo_password_with_debug(client, settings, demo_password_on_op_hanoi):
    settings.DEBUG = True
    assert authenticate(username="op_hanoi", password=DEMO_PASSWORD) == demo_password_on_op_hanoi
    response = client.post("/accounts/login/", {"username": "op_hanoi", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(demo_password_on_op_hanoi.pk)


@pytest.mark.django_db
def test_it_accepts_any_other_password_without_debug(settings, op_hanoi):
    settings.DEBUG = False
    op_hanoi.set_password("mot-mat-khau-that-2026")
    op_hanoi.save(update_fields=["password"])
    assert authenticate(username="op_hanoi", password="mot-mat-khau-that-2026") == op_hanoi


@pytest.mark.django_db
def test_it_warns_at_the_deploy_check_while_a_demo_account_has_the_demo_password(
    demo_password_on_op_hanoi,
):
    (warning,) = demo_warnings()
    assert "op_hanoi" in warning.msg
    assert "seed_demo" in warning.hint


@pytest.mark.django_db
def test_it_is_silent_at_the_deploy_check_without_a_usable_demo_password(op_hanoi):
    # The named staff of the tests are seeded with unusable passwords.
    assert demo_warnings() == []
    op_hanoi.set_password("mot-mat-khau-that-2026")
    op_hanoi.save(update_fields=["password"])
    assert demo_warnings() == []


@pytest.mark.django_db
def test_it_does_not_warn_about_a_deactivated_demo_account(demo_password_on_op_hanoi):
    demo_password_on_op_hanoi.is_active = False
    demo_password_on_op_hanoi.save(update_fields=["is_active"])
    assert demo_warnings() == []
