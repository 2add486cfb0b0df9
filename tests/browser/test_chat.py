"""A young person on a phone and an operator at the console, in real Chromium.

The youth's websockets are routed through the test (SwitchableNetwork) so a
lost network can be cut and restored at a known moment, without sleeps.
"""

import json
import re

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

CHAT_SOCKET = re.compile(r"/ws/chat/$")
STORE_KEY = "helpline.chat"


class SwitchableNetwork:
    """Forward the page's chat sockets to the server until cut, like a phone losing signal."""

    def __init__(self, page: Page):
        self.online = True
        self.routes: list[WebSocketRoute] = []
        page.route_web_socket(CHAT_SOCKET, self._route)

    def _route(self, socket: WebSocketRoute) -> None:
        if not self.online:
            socket.close(code=1001, reason="offline")
            return
        socket.connect_to_server()
        self.routes.append(socket)

    def cut(self) -> None:
        self.online = False
        for socket in self.routes:
            socket.close(code=1001, reason="offline")
        self.routes.clear()

    def restore(self) -> None:
        self.online = True


def open_console(login_as, username: str) -> Page:
    operator = login_as(username)
    operator.goto("/console/")
    expect(operator.locator("#connection")).to_have_class(re.compile(r"\bok\b"))
    return operator


def open_youth_page(new_context) -> Page:
    return new_context(**PHONE).new_page()


def start_youth_chat(youth: Page) -> Page:
    youth.goto("/chat/")
    expect(youth.get_by_role("heading", level=1)).to_be_visible()
    youth.get_by_role("button", name="Bắt đầu trò chuyện").click()
    expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
    return youth


def youth_says(youth: Page, text: str) -> None:
    youth.get_by_label("Tin nhắn của bạn").fill(text)
    youth.get_by_role("button", name="Gửi", exact=True).click()


def operator_says(pane, text: str) -> None:
    pane.get_by_label("Tin nhắn trả lời").fill(text)
    pane.get_by_label("Tin nhắn trả lời").press("Enter")


def conversation_id(youth: Page) -> str:
    return youth.evaluate(f"JSON.parse(sessionStorage.getItem('{STORE_KEY}')).conversation")


def accept(operator: Page, conversation: str):
    item = operator.locator(f'#queue li[data-conversation="{conversation}"]')
    item.locator("button.accept").click()
    pane = operator.locator(f"#pane-{conversation}")
    expect(pane).to_be_visible()
    return pane


def confirmed_bodies(log) -> list[str]:
    """Texts of the people's messages that the server has given a seq, in screen order."""
    return log.locator("li[data-seq]:not(.system) .body").all_inner_texts()


def test_it_completes_a_chat_that_survives_a_reload_and_a_lost_network(new_context, login_as):
    operator = open_console(login_as, "op_central")
    youth = open_youth_page(new_context)
    network = SwitchableNetwork(youth)
    start_youth_chat(youth)
    youth_log = youth.locator("#log")

    first = "Chào anh chị, em bị một người lạ đe doạ trên mạng <script>alert(1)</script>"
    youth_says(youth, first)
    expect(youth_log.locator("li.me[data-seq]")).to_have_count(1)

    conversation = conversation_id(youth)
    pane = accept(operator, conversation)
    operator_log = pane.locator(".log")
    expect(operator_log.locator("li.them .body")).to_have_text([first])

    reply = "Chào em, anh/chị ở đây rồi. Em kể cho anh/chị nghe nhé."
    operator_says(pane, reply)
    expect(youth_log.locator("li.them .body")).to_have_text([reply])

    youth.get_by_label("Tin nhắn của bạn").press_sequentially("Họ")
    expect(pane.locator(".typing")).to_be_visible()
    second = "Họ bảo sẽ đăng ảnh của em nếu em không gửi tiền."
    youth_says(youth, second)
    expect(operator_log.locator("li.them .body")).to_have_text([first, second])

    # A reload mid-chat resumes the same conversation with nothing lost or doubled.
    youth.reload()
    expect(youth.locator("#chat")).to_be_visible()
    expect(youth_log.locator("li[data-seq]:not(.system)")).to_have_count(3)
    assert confirmed_bodies(youth_log) == [first, reply, second]

    # Offline: the message waits in the outbox, even across another reload.
    network.cut()
    expect(youth.locator("#status")).to_have_class(re.compile(r"\boffline\b"))
    offline_text = "Em vừa mất mạng, anh chị còn đó không?"
    youth_says(youth, offline_text)
    expect(youth_log.locator("li.pending .body")).to_have_text([offline_text])
    youth.reload()
    expect(youth_log.locator("li.pending .body")).to_have_text([offline_text])
    while_away = "Anh/chị vẫn ở đây."
    operator_says(pane, while_away)
    expect(operator_log.locator("li.me[data-seq] .body")).to_have_text([reply, while_away])

    network.restore()
    expected = [first, reply, second, while_away, offline_text]
    expect(youth_log.locator("li.pending")).to_have_count(0)
    expect(youth_log.locator("li[data-seq]:not(.system) .body")).to_have_text(expected)
    expect(operator_log.locator("li[data-seq]:not(.system) .body")).to_have_text(expected)

    # Nothing typed by anyone ever ran as markup.
    assert youth_log.locator("script").count() == 0
    assert operator_log.locator("script").count() == 0

    # The operator turns the conversation into a case, then ends the chat.
    pane.get_by_role("button", name="Tạo hồ sơ").click()
    expect(pane.locator("a.case-link")).to_have_text(re.compile(r"Hồ sơ \w+-\d{4}-\d+"))
    operator.once("dialog", lambda dialog: dialog.accept())
    pane.get_by_role("button", name="Kết thúc").click()
    expect(youth.locator("#ended")).to_be_visible()
    expect(pane.locator(".ended-banner")).to_be_visible()
    assert youth.evaluate(f"sessionStorage.getItem('{STORE_KEY}')") is None

    # Both sides saw every message exactly once, in order.
    assert confirmed_bodies(youth_log) == expected
    assert confirmed_bodies(operator_log) == expected


def test_it_quick_exits_mid_chat_and_leaves_no_way_back(new_context, login_as):
    operator = open_console(login_as, "op_central")
    # Not routed through the test: quick exit races its last frame against the
    # page unloading, which only a direct socket models faithfully.
    youth = start_youth_chat(open_youth_page(new_context))
    youth_says(youth, "Có người đang đến, em phải đi.")
    expect(youth.locator("#log li.me[data-seq]")).to_have_count(1)
    pane = accept(operator, conversation_id(youth))

    youth.get_by_role("button", name="Thoát nhanh").click()

    youth.wait_for_url(re.compile(r"/healthz$"))
    assert youth.evaluate("sessionStorage.length + localStorage.length") == 0
    # The operator is told the young person left in a hurry.
    expect(pane.locator(".quick-exit-banner")).to_be_visible()
    expect(operator.locator(".toast.urgent")).to_be_visible()
    youth.go_back()
    assert "/chat/" not in youth.url


def test_it_quick_exits_with_escape_twice_while_queued(new_context, login_as):
    operator = open_console(login_as, "op_central")
    # Not routed through the test: quick exit races its last frame against the
    # page unloading, which only a direct socket models faithfully.
    youth = start_youth_chat(open_youth_page(new_context))
    conversation = conversation_id(youth)
    queued = operator.locator(f'#queue li[data-conversation="{conversation}"]')
    expect(queued).to_have_count(1)

    youth.keyboard.press("Escape")
    youth.keyboard.press("Escape")

    youth.wait_for_url(re.compile(r"/healthz$"))
    assert youth.evaluate("sessionStorage.length") == 0
    # The best-effort end frame abandoned the conversation: it leaves the queue.
    expect(queued).to_have_count(0)
    youth.go_back()
    assert "/chat/" not in youth.url


def test_it_marks_risk_and_transfers_a_chat_with_its_history(new_context, login_as):
    central = open_console(login_as, "op_central")
    hanoi = open_console(login_as, "op_hanoi")
    youth = start_youth_chat(open_youth_page(new_context))
    youth_says(youth, "Em ở Hà Nội, bạn cùng lớp tung tin đồn về em.")
    conversation = conversation_id(youth)
    pane = accept(central, conversation)
    operator_says(pane, "Anh sẽ chuyển em tới tổng đài Hà Nội nhé.")
    expect(youth.locator("#log li.them")).to_have_count(1)

    pane.get_by_label("Mức rủi ro").select_option("high")
    expect(central.locator(f"#tab-{conversation}")).to_have_class(re.compile(r"\brisk-high\b"))

    pane.get_by_label("Chuyển tới tổng đài").select_option("01")
    central.once("dialog", lambda dialog: dialog.accept())
    pane.get_by_role("button", name="Chuyển", exact=True).click()

    expect(pane.locator(".ended-banner")).to_contain_text("Thành phố Hà Nội")
    expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
    queued = hanoi.locator(f'#queue li[data-conversation="{conversation}"]')
    expect(queued.locator(".risk")).to_have_text("Cao")
    hanoi_pane = accept(hanoi, conversation)
    expect(hanoi_pane.locator("li[data-seq]:not(.system) .body")).to_have_text(
        [
            "Em ở Hà Nội, bạn cùng lớp tung tin đồn về em.",
            "Anh sẽ chuyển em tới tổng đài Hà Nội nhé.",
        ]
    )
    operator_says(hanoi_pane, "Chào em, chị ở tổng đài Hà Nội.")
    expect(youth.locator("#log li.them .body")).to_have_text(
        ["Anh sẽ chuyển em tới tổng đài Hà Nội nhé.", "Chào em, chị ở tổng đài Hà Nội."]
    )


def test_it_shows_escalation_answers_and_notices_pushed_to_the_console(login_as):
    operator = login_as("op_hanoi")
    # Pushed frames come from other apps through the staff group; the test plays
    # that part by injecting them into the real console socket.
    sockets: list[WebSocketRoute] = []

    def forward(socket: WebSocketRoute) -> None:
        socket.connect_to_server()
        sockets.append(socket)

    operator.route_web_socket(re.compile(r"/ws/console/$"), forward)
    operator.goto("/console/")
    expect(operator.locator("#connection")).to_have_class(re.compile(r"\bok\b"))

    sockets[0].send(
        '{"type":"escalation","case":42,"reference":"HN-2026-000042","agency":"A05",'
        '"agency_names":{"vi":"<b>A05</b>","en":"A05 (en)"},"state":"acknowledged",'
        '"notice":"A05 acknowledged","notice_code":"acknowledge"}'
    )
    sockets[0].send('{"type":"sms_failed","notice":"Tin nhắn SMS không gửi được."}')

    # News about a case goes to the notifications list, in the operator's language, as text.
    badge = operator.locator("#notices-badge")
    expect(badge).to_have_text("1")
    operator.get_by_role("button", name=re.compile("Thông báo")).click()
    notice = operator.locator("#notices-list li").first
    expect(notice).to_contain_text("<b>A05</b> đã tiếp nhận yêu cầu chuyển tuyến.")
    expect(notice).to_contain_text("HN-2026-000042")
    expect(notice.get_by_role("link", name="HN-2026-000042")).to_have_attribute(
        "href", "/cases/42/"
    )
    expect(badge).to_be_hidden()
    # Other pushed notices still show as a toast, which can be dismissed.
    toasts = operator.locator(".toast")
    expect(toasts).to_have_count(1)
    expect(toasts.first).to_contain_text("Tin nhắn SMS không gửi được.")
    toasts.first.get_by_role("button", name="Đóng thông báo").click()
    expect(toasts).to_have_count(0)


class SentFrames:
    """The JSON frames the page sends on its chat sockets, in order."""

    def __init__(self, page: Page):
        self.frames: list[dict] = []
        page.on("websocket", self._watch)

    def _watch(self, socket) -> None:
        if CHAT_SOCKET.search(socket.url):
            socket.on("framesent", lambda payload: self.frames.append(json.loads(payload)))

    def of_type(self, frame_type: str) -> list[dict]:
        return [frame for frame in self.frames if frame.get("type") == frame_type]


def test_it_chats_in_english_and_leaves_no_cookie_after_quick_exit(new_context, login_as):
    operator = open_console(login_as, "op_central")
    context = new_context(**PHONE)
    youth = context.new_page()
    sent = SentFrames(youth)
    youth.goto("/chat/")
    assert context.cookies() == []

    youth.get_by_role("button", name="English").click()
    expect(youth.get_by_role("heading", level=1)).to_have_text("You are not alone.")
    assert youth.evaluate("document.documentElement.lang") == "en"
    expect(youth.get_by_label("Your age")).to_be_visible()
    expect(youth.get_by_role("button", name="Tiếng Việt")).to_have_attribute("lang", "vi")

    youth.get_by_role("button", name="Start chatting").click()
    expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
    assert sent.of_type("start")[0]["language"] == "en"
    youth.get_by_label("Your message").fill("Someone keeps messaging me.")
    youth.get_by_role("button", name="Send", exact=True).click()
    expect(youth.locator("#log li.me[data-seq]")).to_have_count(1)
    pane = accept(operator, conversation_id(youth))
    operator_says(pane, "Hello, I am here.")
    expect(youth.locator("#log li.them .body")).to_have_text(["Hello, I am here."])

    # A reload keeps the choice and resumes in it; the page was still rendered in Vietnamese.
    youth.reload()
    expect(youth.locator("#chat-title")).to_have_text("Chat")
    expect(youth.locator("#log li[data-seq]:not(.system)")).to_have_count(2)
    assert sent.of_type("resume")[-1]["language"] == "en"
    assert context.cookies() == []

    youth.get_by_role("button", name="Quick exit").click()

    youth.wait_for_url(re.compile(r"/healthz$"))
    assert context.cookies() == []
    assert youth.evaluate("sessionStorage.length + localStorage.length") == 0
    expect(pane.locator(".quick-exit-banner")).to_be_visible()


def test_it_switches_back_to_vietnamese_mid_chat_and_resumes_in_it(new_context):
    context = new_context(**PHONE)
    youth = context.new_page()
    sent = SentFrames(youth)
    youth.goto("/chat/")
    youth.get_by_role("button", name="English").click()
    youth.get_by_role("button", name="Start chatting").click()
    expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))

    youth.get_by_role("button", name="Tiếng Việt").click()

    expect(youth.get_by_role("button", name="Thoát nhanh")).to_be_visible()
    expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
    assert sent.of_type("resume")[-1]["language"] == "vi"
    composer = youth.get_by_label("Tin nhắn của bạn")
    expect(composer).to_have_attribute("placeholder", "Viết tin nhắn…")
    assert context.cookies() == []
