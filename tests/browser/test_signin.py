"""In Chromium: a new member of staff enrols the second factor at the first login, then works.

These tests run their own server: the lockout test locks the browsers' address
(127.0.0.1) out of every login, which the shared server's other tests need.
The accounts are not demo accounts, so DEBUG does not excuse them from the
second factor.
"""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP
from tests.live_server import live_daphne

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-rieng-2026"
NEW_STAFF = (
    ["create_staff", "--username=op_moi", "--role=operator", "--hotline=01"],
    ["create_staff", "--username=op_khoa", "--role=operator", "--hotline=01"],
)


@pytest.fixture(scope="module")
def signin_server():
    with live_daphne(setup=NEW_STAFF, STAFF_PASSWORD=PASSWORD) as base_url:
        yield base_url


@pytest.fixture
def laptop(browser, signin_server):
    context = browser.new_context(base_url=signin_server, locale="vi-VN", **LAPTOP)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def app_code(key: str) -> str:
    """What an authenticator app shows for this key now (RFC 6238: SHA-1, 30 s, 6 digits)."""
    secret = base64.b32decode(key.replace(" ", "") + "=" * (-len(key.replace(" ", "")) % 8))
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(secret, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def log_in(page, username: str, password: str = PASSWORD):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")


def test_a_new_operator_enrols_the_app_at_the_first_login_and_reaches_the_console(laptop):
    log_in(laptop, "op_moi")

    expect(laptop).to_have_url(re.compile(r"/accounts/enrol/"))
    qr = laptop.get_by_role("img", name="Mã QR để cài ứng dụng xác thực")
    expect(qr).to_be_visible()
    # Drawn, not refused by the page's Content-Security-Policy.
    assert qr.evaluate("image => image.naturalWidth") > 0
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    key = laptop.locator("#totp-key").inner_text()

    laptop.fill("#id_code", app_code(key))
    laptop.get_by_role("button", name="Xác nhận và bật").click()

    expect(laptop.locator("#recovery-codes li")).to_have_count(10)
    laptop.get_by_role("link", name="Tôi đã cất giữ các mã, tiếp tục").click()
    expect(laptop).to_have_url(re.compile(r"/console/$"))
    expect(laptop.locator("#connection")).to_have_class(re.compile(r"\bok\b"))


def test_a_login_page_says_in_vietnamese_when_a_locked_account_may_try_again(laptop):
    for _attempt in range(10):
        log_in(laptop, "op_khoa", password="khong-phai-mat-khau")
        expect(laptop.locator("p.error")).to_be_visible()

    log_in(laptop, "op_khoa")

    expect(laptop.locator("#lockout")).to_contain_text(
        re.compile(r"Đăng nhập tạm thời bị khoá .* Hãy thử lại sau \d\d:\d\d ngày")
    )
    expect(laptop).to_have_url(re.compile(r"/accounts/login/$"))
