"""Every staff session passes a second factor: an authenticator app, or a recovery code."""

import re

import pytest
from django.test import Client, override_settings
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.checks import second_factor_enforced_check
from accounts.models import AccountAction, AccountEvent
from tests.accounts.helpers import app_code, password_login, with_password
from tests.helpline.chat_sockets import HOST, ORIGIN, closed_with
from tests.logins import confirmed_totp_device, staff_login

pytestmark = pytest.mark.django_db


def test_it_sends_a_session_that_stopped_at_the_password_to_the_code(client, op_hanoi):
    confirmed_totp_device(op_hanoi)
    client.force_login(op_hanoi)

    for url in ("/cases/", "/console/", "/accounts/sessions/", "/staff/requests/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/verify/?next=")


def test_it_sends_an_account_without_an_app_to_enrol_first(client, liaison_a05):
    client.force_login(liaison_a05)

    response = client.get("/liaison/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/enrol/?next=%2Fliaison%2F"


def test_it_asks_administrators_too_before_the_admin(client, administrator):
    confirmed_totp_device(administrator)
    client.force_login(administrator)

    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/")["Location"].startswith("/accounts/verify/")


def test_it_lets_the_session_in_with_the_apps_code(client, op_hanoi):
    device = confirmed_totp_device(op_hanoi)
    client.force_login(op_hanoi)

    response = client.post("/accounts/verify/", {"code": app_code(device), "next": "/cases/"})

    assert response.status_code == 302
    assert response["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


def test_it_refuses_a_wrong_code_and_then_slows_down_guessing(client, op_hanoi):
    device = confirmed_totp_device(op_hanoi)
    client.force_login(op_hanoi)
    wrong = f"{(int(app_code(device)) + 1) % 1_000_000:06d}"

    refused = client.post("/accounts/verify/", {"code": wrong})
    # The device now throttles: even the right code waits for the back-off to pass.
    throttled = client.post("/accounts/verify/", {"code": app_code(device)})

    assert "Mã không đúng" in refused.content.decode()
    assert "Mã không đúng" in throttled.content.decode()
    assert client.get("/cases/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_it_takes_a_recovery_code_once(client, op_hanoi):
    confirmed_totp_device(op_hanoi)
    recovery = StaticDevice.objects.create(user=op_hanoi, name="recovery", confirmed=True)
    recovery.token_set.create(token="abcd2345ef")
    client.force_login(op_hanoi)

    assert client.post("/accounts/verify/", {"code": "abcd 2345ef"}).status_code == 302
    assert client.get("/cases/").status_code == 200
    other_browser = Client()
    other_browser.force_login(op_hanoi)
    again = other_browser.post("/accounts/verify/", {"code": "abcd2345ef"})

    assert again.status_code == 200
    assert not recovery.token_set.exists()


def test_it_enrols_the_app_at_the_first_login_with_the_key_as_text_and_a_qr(client, op_hanoi):
    with_password(op_hanoi)

    login = password_login(client, op_hanoi, follow=True)
    page = login.content.decode()

    assert login.redirect_chain[-1][0].startswith("/accounts/enrol/")
    key = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', page).group(1)
    assert 'src="data:image/svg+xml' in page
    assert "img-src 'self' data:" in login["Content-Security-Policy"]
    device = TOTPDevice.objects.get(user=op_hanoi, confirmed=False)
    assert key.replace(" ", "") == device.config_url.split("secret=")[1].split("&")[0]

    enrolled = client.post("/accounts/enrol/", {"code": app_code(device), "next": "/cases/"})

    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", enrolled.content.decode())
    assert len(codes) == 10
    assert "no-store" in enrolled["Cache-Control"] or "no-cache" in enrolled["Cache-Control"]
    assert client.get("/cases/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert StaticDevice.objects.get(user=op_hanoi).token_set.count() == 10
    assert AccountEvent.objects.filter(
        account=op_hanoi, actor=op_hanoi, action=AccountAction.SECOND_FACTOR_ENROLLED
    ).exists()


def test_it_refuses_a_wrong_first_code_and_keeps_the_same_key(client, op_hanoi):
    client.force_login(op_hanoi)
    first = client.get("/accounts/enrol/").content.decode()
    device = TOTPDevice.objects.get(user=op_hanoi)
    wrong = f"{(int(app_code(device)) + 1) % 1_000_000:06d}"

    refused = client.post("/accounts/enrol/", {"code": wrong}).content.decode()

    assert "Mã không đúng" in refused
    key = re.compile(r'<code id="totp-key">([A-Z2-7 ]+)</code>')
    assert key.search(first).group(1) == key.search(refused).group(1)
    assert not TOTPDevice.objects.filter(user=op_hanoi, confirmed=True).exists()
    assert client.get("/cases/").status_code == 302


def test_it_never_lets_a_password_only_session_enrol_another_app(client, op_hanoi):
    enrolled = confirmed_totp_device(op_hanoi)
    client.force_login(op_hanoi)

    response = client.get("/accounts/enrol/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/verify/")
    assert list(TOTPDevice.objects.filter(user=op_hanoi)) == [enrolled]


def test_it_lets_demo_accounts_skip_it_only_while_debug_is_on(client, op_hanoi, reference_data):
    from helpline.staff import staff_create

    newcomer = staff_create(username="op_moi", role="operator", password=None, hotline_code="01")
    for user, debug, exempt, allowed in (
        (op_hanoi, True, True, True),
        (op_hanoi, True, False, False),
        (op_hanoi, False, True, False),
        (newcomer, True, True, False),
    ):
        with override_settings(DEBUG=debug, OTP_DEMO_EXEMPT=exempt):
            client.force_login(user)
            assert (client.get("/cases/").status_code == 200) is allowed


@pytest.mark.django_db(transaction=True)
async def test_it_closes_a_console_socket_whose_session_stopped_at_the_password(op_hanoi):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.conf import settings
    from django.test import Client

    from config.asgi import application

    def password_only_cookie():
        confirmed_totp_device(op_hanoi)
        client = Client()
        client.force_login(op_hanoi)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    cookie = await sync_to_async(password_only_cookie)()
    socket = WebsocketCommunicator(
        application,
        "/ws/console/",
        headers=[HOST, ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())],
    )
    connected, _code = await socket.connect()

    assert connected  # Accepted, then closed: the browser learns why.
    assert await closed_with(socket) == 4403


@pytest.mark.django_db(transaction=True)
async def test_it_closes_a_liaison_socket_whose_session_stopped_at_the_password(liaison_a05):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.conf import settings
    from django.test import Client

    from config.asgi import application

    def password_only_cookie():
        client = Client()
        client.force_login(liaison_a05)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    cookie = await sync_to_async(password_only_cookie)()
    socket = WebsocketCommunicator(
        application,
        "/ws/liaison/",
        headers=[HOST, ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())],
    )
    await socket.connect()

    assert await closed_with(socket) == 4403


def test_it_lets_a_verified_session_through_pages_and_shared_helpers(client, op_hanoi):
    staff_login(client, op_hanoi)

    assert client.get("/cases/").status_code == 200


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ({"MIDDLEWARE": "without_second_factor"}, "accounts.E001"),
        ({"OTP_DEMO_EXEMPT": True, "DEBUG": False}, "accounts.E002"),
        ({"AXES_ENABLED": False}, "accounts.E003"),
        ({"AUTHENTICATION_BACKENDS": "without_axes"}, "accounts.E003"),
    ],
)
def test_it_fails_the_deploy_check_when_the_second_factor_or_throttling_is_off(
    settings, change, error_id
):
    assert second_factor_enforced_check() == []
    if change.get("MIDDLEWARE"):
        change["MIDDLEWARE"] = [
            name for name in settings.MIDDLEWARE if "SecondFactorRequired" not in name
        ]
    if change.get("AUTHENTICATION_BACKENDS"):
        change["AUTHENTICATION_BACKENDS"] = settings.AUTHENTICATION_BACKENDS[1:]
    with override_settings(**change):
        assert [error.id for error in second_factor_enforced_check()] == [error_id]


def test_it_forgets_a_lost_phone_from_the_command_and_enrols_again_at_the_next_login(
    client, op_hanoi
):
    from django.core.management import call_command

    staff_login(client, op_hanoi)
    StaticDevice.objects.create(user=op_hanoi, name="recovery", confirmed=True)

    call_command("second_factor_reset", "op_hanoi")

    assert not TOTPDevice.objects.filter(user=op_hanoi).exists()
    assert not StaticDevice.objects.filter(user=op_hanoi).exists()
    assert client.get("/cases/")["Location"].startswith("/accounts/login/")
    client.force_login(op_hanoi)
    assert client.get("/cases/")["Location"].startswith("/accounts/enrol/")
    assert AccountEvent.objects.filter(
        account=op_hanoi, actor=None, action=AccountAction.SECOND_FACTOR_RESET
    ).exists()
