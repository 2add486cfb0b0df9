"""Calls and SMS in the operator console, in real Chromium against a real daphne.

The server here has Twilio configured: its webhooks are posted to with real
signatures, and its REST calls go to a stand-in for Twilio's API on loopback
(tests.telephony.twilio_edge). The browser may reach only the live server; the
softphone's signalling socket is answered by a stand-in for Twilio's edge.
Nothing leaves the machine.
"""

import json
import re
import urllib.request
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, WebSocketRoute, expect
from twilio.request_validator import RequestValidator

from tests.browser.conftest import LAPTOP, PHONE
from tests.live_server import DEMO_PASSWORD, free_port, live_daphne
from tests.telephony.twilio_edge import TwilioEdge
from tests.telephony.twilio_kit import ACCOUNT_SID, AUTH_TOKEN, payload

pytestmark = pytest.mark.browser

API_KEY_SID = "SKa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
# Loopback only: the page may fetch from the live server and nothing else.
NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/])")
TWILIO_SIGNALLING = re.compile(r"^wss://[^/]*\.twilio\.com/")
FAILED_NOTICE = re.compile(r"Tin nhắn SMS số \d+ không gửi được tới người liên hệ")


@pytest.fixture(scope="module")
def twilio_edge():
    with TwilioEdge() as edge:
        yield edge


@pytest.fixture(scope="module")
def phone_server(twilio_edge):
    """A live server with Twilio configured: it signs nothing, Twilio would sign for it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with live_daphne(
        port=port,
        DJANGO_SETTINGS_MODULE="tests.telephony.live_settings",
        TWILIO_TEST_EDGE_URL=twilio_edge.url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_PUBLIC_BASE_URL=base_url,
        TWILIO_API_KEY_SID=API_KEY_SID,
        TWILIO_API_KEY_SECRET="api-key-secret-for-browser-tests",
        PHONE_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        QUICK_EXIT_URL="/healthz",
    ):
        yield base_url


class TwilioSignalling:
    """Answers the softphone's signalling socket as Twilio's edge does, up to "registered"."""

    def __init__(self):
        self.received: list[dict] = []

    def __call__(self, socket: WebSocketRoute) -> None:
        socket.on_message(lambda message: self._answer(socket, message))

    def _answer(self, socket: WebSocketRoute, message) -> None:
        frame = json.loads(message)
        self.received.append(frame)
        if frame.get("type") == "listen":
            identity = "staff"
            socket.send(
                json.dumps(
                    {
                        "type": "connected",
                        "payload": {
                            "region": "gll",
                            "edge": "roaming",
                            "home": "us1",
                            "token": {"identity": identity, "ttl": 3600},
                        },
                    }
                )
            )
        elif frame.get("type") == "register":
            socket.send(json.dumps({"type": "ready", "payload": {}}))


@pytest.fixture
def open_console(browser):
    """Log demo staff in on a server and open the console, fenced off from the internet."""
    contexts = []
    page_errors: list[str] = []

    def factory(base_url: str, username: str) -> tuple[Page, TwilioSignalling, list[str]]:
        context = browser.new_context(base_url=base_url, locale="vi-VN", **LAPTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        context.route(NOT_LOOPBACK, lambda route: route.abort())
        signalling = TwilioSignalling()
        context.route_web_socket(TWILIO_SIGNALLING, signalling)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
        page.goto("/console/")
        expect(page.locator("#connection")).to_have_class(re.compile(r"\bok\b"))
        return page, signalling, requested

    yield factory
    for context in contexts:
        context.close()
    assert page_errors == []


def twilio_posts(base_url: str, path: str, params: dict) -> int:
    """POST to a webhook as Twilio does: form-encoded, signed for the public URL."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(base_url + path, params)
    request = urllib.request.Request(
        base_url + path,
        data=urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
        method="POST",
    )
    # No proxy from the environment: the server is on loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        return response.status


def queue_item_for(page: Page, masked: str):
    item = page.locator("#queue li.queue-item", has=page.locator(".phone-masked", has_text=masked))
    expect(item).to_have_count(1)
    return item


def accept(page: Page, item):
    conversation = item.get_attribute("data-conversation")
    item.locator("button.accept").click()
    pane = page.locator(f"#pane-{conversation}")
    expect(pane).to_be_visible()
    return pane


def reply(pane, text: str) -> None:
    pane.get_by_label("Tin nhắn trả lời").fill(text)
    pane.get_by_label("Tin nhắn trả lời").press("Enter")
    expect(pane.locator("li.me[data-seq] .body", has_text=text)).to_have_count(1)


def test_it_takes_an_sms_replies_by_sms_and_shows_each_delivery_report(
    open_console, phone_server, twilio_edge
):
    operator, _signalling, _requested = open_console(phone_server, "op_central")
    sms = payload("sms_incoming", From="+84912345678", MessageSid="SM" + "a1" * 16)
    assert twilio_posts(phone_server, "/twilio/sms/", sms) == 200

    item = queue_item_for(operator, "•••• ••• 678")
    expect(item.locator("svg.icon-sms")).to_have_count(1)
    pane = accept(operator, item)
    expect(pane.locator(".phone-number")).to_have_text("•••• ••• 678")
    expect(pane.locator(".sms-hint")).to_be_visible()
    expect(pane.get_by_role("button", name="Xem số đầy đủ")).to_be_hidden()
    expect(pane.locator("li.them .body")).to_have_text([sms["Body"]])

    # Stored with a seq, then sent through the REST API (here: the loopback stand-in).
    delivered_text = "Chào em, anh/chị đã đọc tin của em. Em có an toàn không?"
    reply(pane, delivered_text)
    first = pane.locator("li.me", has_text=delivered_text)
    expect(first.locator(".delivery")).to_have_text(" · đã gửi đi")
    sent = twilio_edge.sent("Messages")
    assert [(r.form["To"], r.form["Body"]) for r in sent] == [("+84912345678", delivered_text)]
    first_sid = sent[-1].sid
    report = payload(
        "sms_status_delivered", MessageSid=first_sid, SmsSid=first_sid, MessageStatus="delivered"
    )
    assert twilio_posts(phone_server, "/twilio/sms/status/", report) == 204
    expect(first.locator(".delivery")).to_have_text(" · đã tới máy")
    expect(first).not_to_have_class(re.compile(r"\bfailed\b"))

    failing_text = "Em đừng gửi thêm ảnh cho người đó nhé."
    reply(pane, failing_text)
    second = pane.locator("li.me", has_text=failing_text)
    expect(second.locator(".delivery")).to_have_text(" · đã gửi đi")
    second_sid = twilio_edge.sent("Messages")[-1].sid
    report = payload(
        "sms_status_undelivered",
        MessageSid=second_sid,
        SmsSid=second_sid,
        MessageStatus="failed",
        SmsStatus="failed",
    )
    assert twilio_posts(phone_server, "/twilio/sms/status/", report) == 204
    expect(second).to_have_class(re.compile(r"\bfailed\b"))
    expect(second.locator(".delivery")).to_have_text(" · gửi thất bại")
    expect(second.locator(".notice")).to_have_text(FAILED_NOTICE)
    expect(first.locator(".notice")).to_have_count(0)

    # Twilio unreachable (5xx): the message stays stored, pending, and the console says so.
    twilio_edge.fail_next(503, "rest_error_server")
    waiting_text = "Anh/chị sẽ ở đây với em."
    reply(pane, waiting_text)
    third = pane.locator("li.me", has_text=waiting_text)
    expect(third.locator(".delivery")).to_have_text(" · chưa gửi được, sẽ tự gửi lại")
    expect(third.locator(".notice")).to_contain_text("hệ thống sẽ tự gửi lại")
    expect(pane.locator("li.me[data-seq]")).to_have_count(3)

    # A reload shows the same delivery states, read back from the server.
    operator.reload()
    expect(pane.locator("li.me[data-seq]")).to_have_count(3)
    expect(first.locator(".delivery")).to_have_text(" · đã tới máy")
    expect(second.locator(".delivery")).to_have_text(" · gửi thất bại")
    expect(third.locator(".delivery")).to_have_text(" · chờ gửi SMS")


def test_it_queues_a_call_with_a_masked_number_and_reconnects_it_after_a_failure(
    open_console, phone_server, twilio_edge
):
    operator, _signalling, _requested = open_console(phone_server, "op_central")
    call_sid = "CA" + "b2" * 16
    caller = {"CallSid": call_sid, "From": "+84987654321", "Caller": "+84987654321"}
    assert twilio_posts(phone_server, "/twilio/voice/", payload("voice_incoming", **caller)) == 200
    assert (
        twilio_posts(phone_server, "/twilio/voice/gather/", payload("voice_gather", **caller))
        == 200
    )

    item = queue_item_for(operator, "•••• ••• 321")
    expect(item.locator("svg.icon-voice")).to_have_count(1)
    expect(item.locator(".risk")).to_have_text("Nguy hiểm tức thời")

    # The REST redirect to the operator fails: the console offers to reconnect.
    twilio_edge.fail_next(503, "rest_error_server")
    pane = accept(operator, item)
    expect(pane.locator(".composer")).to_be_hidden()
    expect(pane.locator(".phone-number")).to_have_text("•••• ••• 321")
    alert = pane.locator(".call-alert")
    expect(alert).to_contain_text("Không chuyển được cuộc gọi tới máy của bạn")
    expect(pane.locator(".call-state")).to_contain_text("Đang chờ")
    expect(pane.locator(".call-state")).to_contain_text("đã bấm phím 1")

    reconnect = pane.get_by_role("button", name="Kết nối lại cuộc gọi")
    reconnect.click()
    expect(alert).to_contain_text("Đang kết nối lại cuộc gọi")
    expect(reconnect).to_be_hidden()
    expect(pane.locator(".call-state")).to_contain_text("Đang chuyển tới tư vấn viên")
    redirects = twilio_edge.sent(f"Calls/{call_sid}")
    assert len(redirects) == 2
    assert "<Dial" in redirects[-1].form["Twiml"]

    # The operator's leg is answered, then the caller hangs up: state, duration, end.
    answered = payload("voice_status_operator_answered", ParentCallSid=call_sid)
    assert twilio_posts(phone_server, "/twilio/voice/status/", answered) == 204
    expect(pane.locator(".call-state")).to_contain_text("Đang nói chuyện")
    expect(pane.locator(".call-timer")).to_contain_text("thời lượng")
    completed = payload("voice_status_completed", **caller)
    assert twilio_posts(phone_server, "/twilio/voice/status/", completed) == 204
    expect(pane.locator(".ended-banner")).to_have_text("Cuộc gọi đã kết thúc.")
    expect(pane.locator(".call-state")).to_contain_text("Đã kết thúc")


def test_it_lets_a_supervisor_reveal_a_number_and_nobody_else(open_console, phone_server):
    operator, _signalling, _requested = open_console(phone_server, "op_central")
    supervisor, _signalling, _requested = open_console(phone_server, "sup_central")
    sms = payload("sms_incoming", From="+84911222333", MessageSid="SM" + "c3" * 16)
    assert twilio_posts(phone_server, "/twilio/sms/", sms) == 200
    queue_item_for(operator, "•••• ••• 333")

    pane = accept(supervisor, queue_item_for(supervisor, "•••• ••• 333"))
    pane.get_by_role("button", name="Xem số đầy đủ").click()
    expect(pane.locator(".phone-number")).to_have_text("Số đầy đủ: +84911222333")
    expect(pane.get_by_role("button", name="Xem số đầy đủ")).to_be_hidden()


def test_it_registers_the_softphone_when_the_server_offers_a_token(open_console, phone_server):
    operator, signalling, requested = open_console(phone_server, "op_central")
    expect(operator.locator("#softphone-status")).to_have_text("sẵn sàng nhận cuộc gọi")
    assert any(url.endswith("/console/voice-token/") for url in requested)
    assert any("vendor/twilio-voice/twilio.min.js" in url for url in requested)
    listen = next(frame for frame in signalling.received if frame["type"] == "listen")
    assert listen["payload"]["token"].count(".") == 2
    assert [f["type"] for f in signalling.received].count("register") >= 1
    expect(operator.locator("#softphone-call")).to_be_hidden()


def test_it_says_quietly_when_the_softphone_is_not_configured(login_as):
    operator = login_as("op_hanoi")
    requested: list[str] = []
    operator.on("request", lambda request: requested.append(request.url))
    operator.goto("/console/")
    expect(operator.locator("#connection")).to_have_class(re.compile(r"\bok\b"))
    expect(operator.locator("#softphone-status")).to_have_text("chưa cấu hình")
    assert any(url.endswith("/console/voice-token/") for url in requested)
    assert not any("twilio" in url for url in requested)
    assert operator.evaluate("typeof window.Twilio") == "undefined"
    expect(operator.locator(".toast")).to_have_count(0)


def test_it_never_loads_the_softphone_on_the_youth_chat(browser, phone_server):
    context = browser.new_context(base_url=phone_server, locale="vi-VN", **PHONE)
    try:
        context.route(NOT_LOOPBACK, lambda route: route.abort())
        youth = context.new_page()
        requested: list[str] = []
        youth.on("request", lambda request: requested.append(request.url))
        youth.goto("/chat/")
        expect(youth.get_by_role("heading", level=1)).to_be_visible()
        assert youth.evaluate("typeof window.Twilio") == "undefined"
        assert not any("twilio" in url or "voice-token" in url for url in requested)
        assert "twilio" not in youth.content()
    finally:
        context.close()
