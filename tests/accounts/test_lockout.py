"""Failed logins lock an account and an address a while; a supervisor or administrator unlocks."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from accounts.models import AccountAction, AccountEvent
from tests.accounts.helpers import password_login, with_password
from tests.logins import staff_login

pytestmark = pytest.mark.django_db


def fail_logins(username: str, *, times: int, address: str = "192.0.2.10") -> None:
    browser = Client(REMOTE_ADDR=address)
    for _attempt in range(times):
        browser.post("/accounts/login/", {"username": username, "password": "sai-mat-khau"})


def test_it_locks_an_account_after_the_limit_and_says_until_when_in_vietnamese(op_hanoi):
    with_password(op_hanoi)
    fail_logins("op_hanoi", times=settings.AXES_FAILURE_LIMIT)

    # The right password, from another address: the account itself is locked.
    browser = Client(REMOTE_ADDR="198.51.100.7")
    response = password_login(browser, op_hanoi)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Đăng nhập tạm thời bị khoá vì nhập sai quá nhiều lần" in page
    assert "Hãy thử lại sau" in page
    assert "_auth_user_id" not in browser.session


def test_it_counts_the_failures_below_the_limit_as_plain_wrong_passwords(op_hanoi):
    with_password(op_hanoi)
    fail_logins("op_hanoi", times=settings.AXES_FAILURE_LIMIT - 1)

    response = password_login(Client(REMOTE_ADDR="192.0.2.10"), op_hanoi)

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="op_hanoi").exists()


def test_it_locks_an_address_that_tries_many_accounts(op_hanoi, op_hue):
    with_password(op_hue)
    for number in range(settings.AXES_FAILURE_LIMIT):
        fail_logins(f"doan_ten_{number}", times=1, address="203.0.113.9")

    locked = password_login(Client(REMOTE_ADDR="203.0.113.9"), op_hue)
    elsewhere = password_login(Client(REMOTE_ADDR="198.51.100.7"), op_hue)

    assert locked.status_code == 429
    assert elsewhere.status_code == 302


def test_it_keeps_no_address_of_a_failed_login(op_hanoi):
    fail_logins("op_hanoi", times=2, address="192.0.2.10")

    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address.startswith("fd")
    assert "192.0.2.10" not in str(attempt.__dict__)
    assert "sai-mat-khau" not in attempt.post_data


def test_it_leaves_the_youth_chat_open_to_a_locked_address(op_hanoi):
    for number in range(settings.AXES_FAILURE_LIMIT):
        fail_logins(f"doan_ten_{number}", times=1, address="203.0.113.9")

    assert Client(REMOTE_ADDR="203.0.113.9").get("/chat/").status_code == 200


def test_it_lets_a_supervisor_unlock_their_hotlines_staff_with_a_record(
    client, sup_hanoi, op_hanoi
):
    with_password(op_hanoi)
    fail_logins("op_hanoi", times=settings.AXES_FAILURE_LIMIT)
    staff_login(client, sup_hanoi)

    listed = client.get("/accounts/lockouts/").content.decode()
    response = client.post("/accounts/lockouts/", {"account_id": op_hanoi.pk})

    assert "op_hanoi" in listed
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="op_hanoi").exists()
    assert password_login(Client(REMOTE_ADDR="198.51.100.7"), op_hanoi).status_code == 302
    event = AccountEvent.objects.get(action=AccountAction.UNLOCKED)
    assert (event.actor, event.account) == (sup_hanoi, op_hanoi)


def test_it_hides_another_hotlines_staff_from_a_supervisor(client, sup_hanoi, op_hue):
    fail_logins("op_hue", times=settings.AXES_FAILURE_LIMIT)
    staff_login(client, sup_hanoi)

    listed = client.get("/accounts/lockouts/").content.decode()
    response = client.post("/accounts/lockouts/", {"account_id": op_hue.pk})

    assert "op_hue" not in listed
    assert response.status_code == 404
    assert AccessAttempt.objects.filter(username="op_hue").exists()
    assert not AccountEvent.objects.exists()


def test_it_lets_an_administrator_unlock_any_account(client, administrator, liaison_a05):
    fail_logins("liaison_a05", times=settings.AXES_FAILURE_LIMIT)
    staff_login(client, administrator)

    client.post("/accounts/lockouts/", {"account_id": liaison_a05.pk})

    assert not AccessAttempt.objects.filter(username="liaison_a05").exists()
    assert AccountEvent.objects.filter(
        actor=administrator, account=liaison_a05, action=AccountAction.UNLOCKED
    ).exists()


@pytest.mark.parametrize("name", ["op_hanoi", "liaison_a05"])
def test_it_refuses_the_unlock_page_to_those_who_unlock_nobody(client, name, request):
    staff_login(client, request.getfixturevalue(name))

    assert client.get("/accounts/lockouts/").status_code == 403
