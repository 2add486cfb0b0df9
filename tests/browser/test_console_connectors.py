"""A Zalo conversation in the operator console, in real Chromium against a real daphne.

The server here has Zalo configured: the test posts its webhook with Zalo's
signature, and the server's replies go to a stand-in for Zalo's OA API on
loopback (tests.connectors.zalo_edge). The browser may reach only the live
server. Nothing leaves the machine.
"""

import json
import re
import urllib.request

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, LIVE_SERVER_ENV, SETUP, axe_violations
from tests.connectors import zalo_edge
from tests.connectors.kit import ZALO_WEBHOOK, zalo_event, zalo_sign
from tests.connectors.zalo_edge import ZaloEdge
from tests.live_server import DEMO_PASSWORD, live_daphne

pytestmark = pytest.mark.browser

NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/])")
CONNECT_OA = f"""
import datetime
from django.utils import timezone
from connectors.crypto import secret_encrypt
from connectors.models import PlatformAccount
from helpline.models import Hotline
hanoi = Hotline.objects.get(code="01")
hanoi.always_open = True
hanoi.save()
PlatformAccount.objects.create(
    platform="zalo",
    external_id="{zalo_edge.OA_ID}",
    name="OA Tổng đài Hà Nội",
    hotline=hanoi,
    access_token_encrypted=secret_encrypt("{zalo_edge.FIRST_ACCESS_TOKEN}"),
    refresh_token_encrypted=secret_encrypt("{zalo_edge.FIRST_REFRESH_TOKEN}"),
    access_expires_at=timezone.now() + datetime.timedelta(hours=20),
    tokens_updated_at=timezone.now(),
)
"""


@pytest.fixture(scope="module")
def zalo_api():
    with ZaloEdge() as edge:
        yield edge


@pytest.fixture(scope="module")
def zalo_server(zalo_api):
    """A live server answering on a Zalo OA of the Hanoi hotline, its API on loopback."""
    with live_daphne(
        setup=(*SETUP, ["shell", "-c", CONNECT_OA]),
        CONNECTOR_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ZALO_APP_ID=zalo_edge.APP_ID,
        ZALO_APP_SECRET_KEY=zalo_edge.APP_SECRET_KEY,
        ZALO_OA_SECRET_KEY=zalo_edge.OA_SECRET_KEY,
        ZALO_API_BASE_URL=zalo_api.url,
        ZALO_OAUTH_BASE_URL=zalo_api.url,
        **LIVE_SERVER_ENV,
    ) as base_url:
        yield base_url


@pytest.fixture
def open_console(browser):
    """Log a demo operator in on the Zalo server and open the console, fenced off the internet."""
    contexts = []
    page_errors: list[str] = []

    def factory(base_url: str, username: str) -> Page:
        context = browser.new_context(base_url=base_url, locale="vi-VN", **LAPTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        context.route(NOT_LOOPBACK, lambda route: route.abort())
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
        page.goto("/console/")
        expect(page.locator("#connection")).to_have_class(re.compile(r"\bok\b"))
        return page

    yield factory
    for context in contexts:
        context.close()
    assert page_errors == []


def zalo_posts(base_url: str, event: dict) -> int:
    """POST an event to the webhook as Zalo does: the JSON body, signed."""
    raw = json.dumps(event, ensure_ascii=False).encode()
    request = urllib.request.Request(
        base_url + ZALO_WEBHOOK,
        data=raw,
        headers={
            "Content-Type": "application/json",
            "X-ZEvent-Signature": zalo_sign(raw, timestamp=event["timestamp"]),
        },
        method="POST",
    )
    # No proxy from the environment: the server is on loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        return response.status


def reply(pane, text: str):
    pane.get_by_label("Tin nhắn trả lời").fill(text)
    pane.get_by_label("Tin nhắn trả lời").press("Enter")
    sent = pane.locator("li.me[data-seq]", has_text=text)
    expect(sent).to_have_count(1)
    return sent


def test_it_shows_each_zalo_replys_delivery_and_keeps_it_across_a_reload(
    open_console, zalo_server, zalo_api
):
    operator = open_console(zalo_server, "op_hanoi")
    assert zalo_posts(zalo_server, zalo_event("Em bị một tài khoản lạ đe doạ trên Zalo")) == 200

    item = operator.locator("#queue li.queue-item", has=operator.locator("svg.icon-zalo"))
    expect(item).to_have_count(1)
    conversation = item.get_attribute("data-conversation")
    item.locator("button.accept").click()
    pane = operator.locator(f"#pane-{conversation}")
    expect(pane).to_be_visible()
    expect(pane.locator("li.them .body")).to_have_text(["Em bị một tài khoản lạ đe doạ trên Zalo"])

    # Sent through the OA API (here: the loopback stand-in), and marked so.
    delivered_text = "Chị đã đọc tin của em. Em đang an toàn chứ?"
    delivered = reply(pane, delivered_text)
    expect(delivered.locator(".delivery")).to_have_text(" · đã gửi đi")
    assert delivered_text in [r.body["message"]["text"] for r in zalo_api.messages()]

    # Zalo refuses the next one for good: "not delivered", with the reason under the message.
    zalo_api.fail_next({"error": -213, "message": "User has not followed OA"})
    failed_text = "Em chụp màn hình tin nhắn đó gửi chị nhé."
    failed = reply(pane, failed_text)
    expect(failed.locator(".delivery")).to_have_text(" · không gửi được")
    expect(failed).to_have_class(re.compile(r"\bfailed\b"))
    notice = failed.locator(".notice")
    expect(notice).to_have_text(
        re.compile(r"^Tin số \d+ không gửi được tới người liên hệ qua Zalo \(mã lỗi -213\)\.$")
    )
    expect(notice).to_have_attribute("role", "alert")
    expect(delivered.locator(".notice")).to_have_count(0)
    assert axe_violations(operator, context=f"#pane-{conversation}") == []

    # A reload reads the same marks back from the server.
    operator.reload()
    expect(operator.locator("#connection")).to_have_class(re.compile(r"\bok\b"))
    expect(pane.locator("li.me[data-seq]")).to_have_count(2)
    expect(delivered.locator(".delivery")).to_have_text(" · đã gửi đi")
    expect(failed.locator(".delivery")).to_have_text(" · không gửi được")
    expect(failed).to_have_class(re.compile(r"\bfailed\b"))
    expect(failed.locator(".notice")).to_have_text(
        re.compile(r"^Tin số \d+ không gửi được tới người liên hệ qua Zalo \(mã lỗi -213\)\.$")
    )
    expect(delivered.locator(".notice")).to_have_count(0)
    assert axe_violations(operator, context=f"#pane-{conversation}") == []
