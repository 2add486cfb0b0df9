"""Staff see and end their sessions; an administrator ends all of an account's; sockets close."""

import re

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import AccountAction, AccountEvent, StaffSession
from tests.accounts.helpers import password_login, with_password
from tests.helpline.chat_sockets import closed_with, console_socket
from tests.logins import confirmed_totp_device

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0 Mobile Safari/537.36"
)


def browser(user, user_agent: str, address: str = "192.0.2.44") -> Client:
    """A browser that logged in through the login page, second factor verified."""
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    password_login(client, with_password(user))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = confirmed_totp_device(user).persistent_id
    session.save()
    return client


@pytest.mark.django_db
def test_it_lists_the_persons_sessions_by_browser_and_time_without_an_address(op_hanoi):
    browser(op_hanoi, CHROME_ANDROID, address="198.51.100.23")
    laptop = browser(op_hanoi, FIREFOX)

    page = laptop.get("/accounts/sessions/").content.decode()

    assert "Firefox · Linux" in page
    assert "Chrome · Android" in page
    assert "phiên này" in page
    assert "198.51.100.23" not in page and "192.0.2.44" not in page
    assert set(StaffSession.objects.values_list("browser", flat=True)) == {
        "firefox/linux",
        "chrome/android",
    }


@pytest.mark.django_db
def test_it_ends_another_session_of_ones_own_and_records_it(op_hanoi):
    phone = browser(op_hanoi, CHROME_ANDROID)
    laptop = browser(op_hanoi, FIREFOX)
    other = StaffSession.objects.get(browser="chrome/android")

    laptop.post("/accounts/sessions/", {"session_id": other.pk})

    assert phone.get("/cases/").status_code == 302
    assert laptop.get("/cases/").status_code == 200
    assert AccountEvent.objects.filter(
        actor=op_hanoi, account=op_hanoi, action=AccountAction.SESSION_ENDED
    ).exists()


@pytest.mark.django_db
def test_it_answers_404_for_someone_elses_session(op_hanoi, op_hue):
    browser(op_hue, FIREFOX)
    theirs = StaffSession.objects.get(user=op_hue)
    mine = browser(op_hanoi, FIREFOX)

    assert mine.post("/accounts/sessions/", {"session_id": theirs.pk}).status_code == 404
    assert StaffSession.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db(transaction=True)
async def test_it_closes_the_sockets_of_the_sessions_it_ends_at_once(op_hanoi, reference_data):
    console = await console_socket(op_hanoi)
    laptop = await sync_to_async(browser)(op_hanoi, FIREFOX)

    await sync_to_async(laptop.post)("/accounts/sessions/", {"end": "others"})

    assert await closed_with(console) == 4403
    assert await sync_to_async(lambda: laptop.get("/cases/").status_code)() == 200


@pytest.mark.django_db(transaction=True)
async def test_it_lets_an_administrator_end_every_session_of_an_account(
    administrator, op_hanoi, reference_data
):
    console = await console_socket(op_hanoi)
    other_console = await console_socket(op_hanoi)
    admin = await sync_to_async(browser)(administrator, FIREFOX)

    response = await sync_to_async(admin.post)(
        reverse("admin:helpline_user_changelist"),
        {"action": "end_all_sessions", "_selected_action": [op_hanoi.pk]},
    )

    assert response.status_code == 302
    assert await closed_with(console) == 4403
    assert await closed_with(other_console) == 4403
    remaining = await sync_to_async(StaffSession.objects.filter(user=op_hanoi).count)()
    assert remaining == 0
    recorded = await sync_to_async(
        AccountEvent.objects.filter(
            actor=administrator,
            account=op_hanoi,
            action=AccountAction.SESSIONS_ENDED_BY_ADMINISTRATOR,
        ).exists
    )()
    assert recorded


@pytest.mark.django_db
def test_it_keeps_the_end_sessions_action_from_those_who_do_not_manage_staff(op_hanoi, sup_hanoi):
    from django.core.exceptions import PermissionDenied

    from accounts.services import staff_sessions_end_all

    with pytest.raises(PermissionDenied):
        staff_sessions_end_all(by=sup_hanoi, user_id=op_hanoi.pk)


@pytest.mark.django_db
def test_it_replaces_the_recovery_codes_after_asking_again(op_hanoi):
    from django_otp.plugins.otp_static.models import StaticDevice

    from tests.accounts.helpers import proof_expire

    laptop = browser(op_hanoi, FIREFOX)
    proof_expire(laptop)

    asked = laptop.post("/accounts/recovery-codes/").content.decode()
    from tests.accounts.helpers import app_code
    from tests.logins import confirmed_totp_device

    code = app_code(confirmed_totp_device(op_hanoi))
    shown = laptop.post("/accounts/recovery-codes/", {"reauth_code": code}).content.decode()

    assert 'id="reauth-form"' in asked
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", shown)
    assert len(codes) == 10
    device = StaticDevice.objects.get(user=op_hanoi)
    assert sorted(device.token_set.values_list("token", flat=True)) == sorted(codes)
