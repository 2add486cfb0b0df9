"""The young person's chat page tells the truth and never leaves them stuck.

Real Chromium on a phone-sized screen against the shared live daphne. Who is
online there depends on the other browser tests, so a test that needs "nobody
is there" rewrites the server's status frames on their way to the page
(ChatWire); everything else is the real server. A lost network is a real TCP
proxy (netproxy.FlakyNetwork) between the page and the server: Chromium's
offline mode leaves an open socket open. Every chat a test starts is ended,
because an operator left at capacity would break the tests that follow.

The server answers status questions from a copy up to 10 s old, one per
province: a test that needs a console it has just opened to count asks about a
province no other test asks about.
"""

import json
import re
import time

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser.conftest import LIVE_SERVER_ENV, PHONE, axe_violations
from tests.browser.netproxy import FlakyNetwork
from tests.browser.test_chat import (
    CHAT_SOCKET,
    STORE_KEY,
    SentFrames,
    accept,
    conversation_id,
    open_console,
    operator_says,
    youth_says,
)
from tests.live_server import live_daphne

pytestmark = pytest.mark.browser

NOBODY_THERE = {
    "open": False,
    "staffed": False,
    "hours": {"always": False, "opens": "07:00", "closes": "22:00"},
    "wait": None,
}
OFFLINE_TEXT = "Mất kết nối. Tin nhắn của bạn sẽ được gửi khi có mạng."
# Central staff answer every province: by day the province's own line says someone is
# online, by night that central is on duty. Either way someone is there.
STAFFED = re.compile(r"Đang có tư vấn viên trực tuyến\.|tổng đài trung ương đang trực")


class ChatWire:
    """Carry the page's chat sockets to the server, recording what the page sends.

    rewrite: fields laid over the server's frames of a type on their way to the
    page, e.g. {"status": {"staffed": False}}. hold() keeps the server's frames
    back until release(), like a slow server.
    """

    def __init__(self, page: Page, rewrite: dict | None = None):
        self.rewrite = rewrite or {}
        self.sent: list[dict] = []
        self.held: list[tuple[WebSocketRoute, str]] | None = None
        page.route_web_socket(CHAT_SOCKET, self._route)

    def _route(self, page_side: WebSocketRoute) -> None:
        server = page_side.connect_to_server()

        def to_page(message: str) -> None:
            frame = json.loads(message)
            if frame.get("type") in self.rewrite:
                message = json.dumps({**frame, **self.rewrite[frame["type"]]})
            if self.held is not None:
                self.held.append((page_side, message))
            else:
                page_side.send(message)

        def to_server(message: str) -> None:
            self.sent.append(json.loads(message))
            server.send(message)

        server.on_message(to_page)
        page_side.on_message(to_server)

    def of_type(self, frame_type: str) -> list[dict]:
        return [frame for frame in self.sent if frame.get("type") == frame_type]

    def hold(self) -> None:
        self.held = []

    def release(self) -> None:
        held, self.held = self.held or [], None
        for page_side, message in held:
            page_side.send(message)


def wait_until(page: Page, condition, *, timeout: float) -> None:
    """Let the page run until condition() holds; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        page.wait_for_timeout(200)


def phone_page(new_context, **options) -> Page:
    return new_context(**{**PHONE, **options}).new_page()


def start(youth: Page) -> None:
    youth.get_by_role("button", name="Bắt đầu trò chuyện").click()
    expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))


def end_as_youth(youth: Page) -> None:
    youth.get_by_role("button", name="Kết thúc trò chuyện").click()
    youth.locator("#end-yes").click()
    expect(youth.locator("#ended")).to_be_visible()


def end_as_operator(operator: Page, pane) -> None:
    operator.once("dialog", lambda dialog: dialog.accept())
    pane.get_by_role("button", name="Kết thúc").click()


def expect_emergency_links(area) -> None:
    expect(area.locator('a[href="tel:113"]').first).to_be_visible()
    expect(area.locator('a[href="tel:111"]').first).to_be_visible()


# -- 1. honest availability ---------------------------------------------------------


def test_it_says_who_is_online_before_and_after_start_and_asks_again_while_waiting(
    new_context, login_as
):
    open_console(login_as, "op_central")  # central staff answer every province
    youth = phone_page(new_context)
    wire = ChatWire(youth, rewrite={"queue": {"position": 1}})
    youth.goto("/chat/")

    availability = youth.locator("#availability")
    expect(availability).to_contain_text("Tổng đài trung ương mở cả ngày lẫn đêm.")
    assert wire.of_type("status") == [{"type": "status", "province": ""}]

    youth.locator("#province").select_option("46")
    expect(availability).to_contain_text("Tổng đài Thành phố Huế")
    assert wire.of_type("status")[-1] == {"type": "status", "province": "46"}
    expect(availability).to_contain_text(STAFFED)
    expect(availability).to_contain_text(
        re.compile(
            r"Thường phải chờ (khoảng \d+(–\d+)? phút|dưới \d+ phút)|chưa thể nói trước được"
        )
    )

    start(youth)
    # Someone is there, so the page may promise an answer to the first in line.
    expect(youth.locator("#status")).to_contain_text(
        "Bạn là người tiếp theo. Một tư vấn viên sẽ trả lời sớm."
    )
    expect(youth.locator("#wait-info")).to_contain_text("Tổng đài Thành phố Huế")

    # It asks once the start is answered, then again every ~30 s while waiting.
    def asked_since_start() -> list[dict]:
        started = next(i for i, frame in enumerate(wire.sent) if frame["type"] == "start")
        return [frame for frame in wire.sent[started:] if frame["type"] == "status"]

    wait_until(youth, lambda: len(asked_since_start()) >= 2, timeout=40)
    assert asked_since_start()[:2] == [{"type": "status", "province": "46"}] * 2
    end_as_youth(youth)


def test_it_gives_the_wait_as_a_range_and_offers_nothing_else_while_someone_is_there(
    new_context,
):
    youth = phone_page(new_context)
    ChatWire(
        youth,
        rewrite={
            "status": {
                "open": True,
                "staffed": True,
                "hours": {"always": False, "opens": "07:00", "closes": "22:00"},
                "wait": {"low": 60, "high": 300},
            }
        },
    )
    youth.goto("/chat/")
    youth.locator("#province").select_option("48")

    availability = youth.locator("#availability")
    expect(availability).to_have_text(
        "Tổng đài Thành phố Đà Nẵng đang mở (07:00–22:00)."
        "Đang có tư vấn viên trực tuyến."
        "Thường phải chờ khoảng 1–5 phút."
    )
    expect(youth.locator("#offers")).to_be_hidden()


def test_it_offers_a_message_when_nobody_is_there_and_shows_the_answer_by_passphrase(
    new_context, login_as
):
    youth = phone_page(new_context)
    wire = ChatWire(youth, rewrite={"status": NOBODY_THERE, "queue": {"position": 1}})
    youth.goto("/chat/")

    availability = youth.locator("#availability")
    expect(availability).to_contain_text("đang đóng cửa. Giờ mở cửa: 07:00–22:00.")
    expect(availability).to_contain_text("Lúc này chưa có tư vấn viên nào trực tuyến.")
    expect(availability).to_contain_text("chúng tôi chưa thể nói trước được")
    expect(youth.locator("#offers")).to_be_visible()
    assert axe_violations(youth) == []

    # Waiting anyway: first in line, but no promise that anyone will answer.
    start(youth)
    expect(youth.locator("#status")).to_contain_text("Bạn là người tiếp theo.")
    expect(youth.locator("#status")).not_to_contain_text("sẽ trả lời")
    expect(youth.locator("#wait-info")).to_contain_text(
        "Lúc này chưa có tư vấn viên nào trực tuyến."
    )
    expect(youth.get_by_role("button", name="Yêu cầu gọi lại", exact=True)).to_be_visible()
    end_as_youth(youth)
    youth.get_by_role("button", name="Bắt đầu cuộc trò chuyện mới").click()

    youth.get_by_role("button", name="Để lại lời nhắn", exact=True).click()
    wait_until(youth, lambda: len(wire.of_type("start")) == 2, timeout=5)
    assert wire.of_type("start")[1]["mode"] == "message"
    expect(youth.locator("#status")).to_contain_text("Lời nhắn của bạn đang chờ tư vấn viên đọc.")
    passphrase = youth.locator("#leave-keep").get_by_label("Cụm mật khẩu (giữ nguyên hoặc tự sửa)")
    suggested = passphrase.input_value()
    assert len(suggested.split(" ")) == 4 and len(suggested) >= 12
    youth.get_by_role("button", name="Gợi ý khác").click()
    assert passphrase.input_value() != suggested
    chosen = passphrase.input_value()
    youth.get_by_role("button", name="Lưu cụm mật khẩu").click()
    expect(youth.locator("#leave-keep")).to_contain_text("Đã lưu.")
    assert wire.of_type("passphrase") == [
        {"type": "passphrase", "passphrase": chosen, "returning": False}
    ]
    expect(youth.locator("#leave-hours")).to_have_text(
        "Tổng đài mở cửa lúc 07:00 (giờ Việt Nam). Hãy quay lại sau giờ đó với cụm mật khẩu "
        "để đọc câu trả lời."
    )
    youth_says(youth, "Em bị bạn cùng lớp chụp lén rồi đăng lên nhóm.")
    expect(youth.locator("#log li.me[data-seq]")).to_have_count(1)
    assert axe_violations(youth) == []
    conversation = conversation_id(youth)
    # A left message waits without the page: "done" only clears this screen.
    youth.get_by_role("button", name="Tôi viết xong rồi, xoá khỏi màn hình").click()
    expect(youth.locator("#welcome")).to_be_visible()
    assert youth.evaluate("sessionStorage.length") == 0

    operator = open_console(login_as, "op_central")
    queued = operator.locator(f'#queue li[data-conversation="{conversation}"]')
    expect(queued).to_contain_text("lời nhắn để lại")
    pane = accept(operator, conversation)
    operator_says(pane, "Chào em, chị đã đọc. Em hãy chặn người đó và báo cho cô giáo nhé.")
    expect(pane.locator("li.me[data-seq]")).to_have_count(1)
    end_as_operator(operator, pane)

    back = phone_page(new_context)
    back.goto("/chat/")
    back.get_by_role("button", name="Tôi đã để lại lời nhắn / đã từng trò chuyện").click()
    back.get_by_label("Cụm mật khẩu của bạn").fill(chosen)
    back.get_by_role("button", name="Xem lời nhắn và câu trả lời").click()
    expect(back.locator("#log li[data-seq]:not(.system) .body")).to_have_text(
        [
            "Em bị bạn cùng lớp chụp lén rồi đăng lên nhóm.",
            "Chào em, chị đã đọc. Em hãy chặn người đó và báo cho cô giáo nhé.",
        ]
    )
    expect(back.locator("#ended")).to_be_visible()
    back.get_by_role("button", name="Xoá cuộc trò chuyện khỏi màn hình").click()
    expect(back.locator("#log li")).to_have_count(0)


def test_it_refuses_a_wrong_passphrase_with_the_emergency_numbers(new_context):
    youth = phone_page(new_context)
    youth.goto("/chat/")
    youth.get_by_role("button", name="Tôi đã để lại lời nhắn / đã từng trò chuyện").click()
    youth.get_by_label("Cụm mật khẩu của bạn").fill("không ai có cụm này đâu")
    youth.get_by_role("button", name="Xem lời nhắn và câu trả lời").click()

    error = youth.locator("#comeback-error")
    expect(error).to_contain_text("Không tìm thấy cuộc trò chuyện nào với cụm mật khẩu này.")
    expect_emergency_links(error)
    expect(youth.locator("#welcome")).to_be_visible()


@pytest.fixture(scope="module")
def callback_server_url():
    """A daphne of its own that can take numbers (a phone key), and where nobody is online."""
    key = Fernet.generate_key().decode()
    with live_daphne(**LIVE_SERVER_ENV, PHONE_ENCRYPTION_KEY=key) as base_url:
        yield base_url


def test_it_asks_for_a_safe_callback_and_shows_what_the_server_refused(
    new_context, callback_server_url
):
    youth = phone_page(new_context, base_url=callback_server_url)
    youth.goto("/chat/")
    # Nobody is online on this server: the page offers other ways than waiting.
    expect(youth.locator("#availability")).to_contain_text(
        "Lúc này chưa có tư vấn viên nào trực tuyến."
    )
    youth.get_by_role("button", name="Yêu cầu gọi lại", exact=True).click()
    expect(youth.get_by_role("heading", name="Yêu cầu gọi lại an toàn")).to_be_visible()

    number = youth.get_by_label("Số điện thoại")
    number.fill("12345")
    youth.get_by_label("Từ", exact=True).fill("18:00")
    youth.get_by_label("Đến", exact=True).fill("18:10")
    youth.get_by_label("Ngày gọi").select_option("tomorrow")
    youth.get_by_role("button", name="Gửi yêu cầu gọi lại").click()

    expect(youth.locator("#callback-phone-error")).to_contain_text("Số điện thoại không hợp lệ.")
    expect(youth.locator("#callback-window_end-error")).not_to_be_empty()
    expect(number).to_have_attribute("aria-invalid", "true")
    expect_emergency_links(youth.locator("#callback-error"))
    assert axe_violations(youth) == []

    number.fill("0912 345 678")
    youth.get_by_label("Đến", exact=True).fill("20:00")
    youth.get_by_role("button", name="Gửi yêu cầu gọi lại").click()

    result = youth.locator("#callback-result")
    expect(result).to_contain_text("Tổng đài sẽ gọi lại cho bạn trong khoảng 18:00–20:00, ngày mai")
    # Discreet unless the young person said otherwise.
    expect(result).to_contain_text("sẽ không nói là gọi từ tổng đài")
    expect(number).to_have_value("")
    expect(youth.locator("#callback-phone-error")).to_be_empty()
    assert youth.context.cookies() == []


def test_it_says_so_when_the_server_takes_no_callback(new_context):
    youth = phone_page(new_context)
    wire = ChatWire(youth, rewrite={"status": NOBODY_THERE})
    youth.goto("/chat/")
    youth.get_by_role("button", name="Yêu cầu gọi lại", exact=True).click()
    youth.get_by_label("Số điện thoại").fill("0912 345 678")
    youth.get_by_label("Từ", exact=True).fill("18:00")
    youth.get_by_label("Đến", exact=True).fill("20:00")
    youth.get_by_label("Ngày gọi").select_option("tomorrow")
    youth.get_by_role("button", name="Gửi yêu cầu gọi lại").click()

    # The shared server has no phone key (503): the page says so, and where help is.
    error = youth.locator("#callback-error")
    expect(error).to_contain_text("Hiện chưa thể nhận yêu cầu gọi lại.")
    expect_emergency_links(error)
    expect(youth.get_by_label("Số điện thoại")).to_have_value("")
    assert wire.of_type("start") == []


# -- 2. "I am in danger" -------------------------------------------------------------


def test_it_shows_the_emergency_numbers_at_once_when_in_danger_before_starting(
    new_context, login_as
):
    operator = open_console(login_as, "op_central")
    youth = phone_page(new_context)
    wire = ChatWire(youth)
    youth.goto("/chat/")
    youth.locator("#province").select_option("04")
    expect(youth.locator("#availability")).to_contain_text(STAFFED)

    wire.hold()  # the server's answer is late: the numbers must not wait for it
    youth.get_by_role("button", name="Tôi đang gặp nguy hiểm").click()

    danger = youth.locator("#danger-box")
    expect_emergency_links(danger)
    expect(danger).to_contain_text("Đang báo cho tư vấn viên…")
    wait_until(youth, lambda: wire.of_type("start"), timeout=5)
    assert wire.of_type("start")[0]["danger"] is True
    wire.release()
    expect(danger).to_contain_text("Tư vấn viên đã được báo. Bạn sẽ được trả lời trước tiên.")
    conversation = conversation_id(youth)
    queued = operator.locator(f'#queue li[data-conversation="{conversation}"]')
    expect(queued.locator(".danger-flag")).to_be_visible()

    # Pressing again does nothing more: no second signal.
    youth.locator("#danger-chat").click()
    youth.wait_for_timeout(300)
    assert wire.of_type("danger") == []
    end_as_youth(youth)
    expect(queued).to_have_count(0)


def test_it_tells_the_counsellor_once_when_in_danger_during_the_chat(new_context, login_as):
    operator = open_console(login_as, "op_central")
    youth = phone_page(new_context)
    wire = ChatWire(youth)
    youth.goto("/chat/")
    start(youth)
    youth_says(youth, "Có người đang đứng ngoài cửa nhà em.")
    pane = accept(operator, conversation_id(youth))
    expect(youth.locator("#status")).to_have_text("Tư vấn viên đang trò chuyện với bạn.")

    youth.locator("#danger-chat").click()
    expect_emergency_links(youth.locator("#danger-box"))
    # Told; whether the page also says nobody is online depends on the status it last had.
    expect(youth.locator("#danger-box")).to_contain_text(
        re.compile(r"Tư vấn viên đã được báo\.|Chúng tôi đã ghi nhận")
    )
    expect(pane.locator(".danger-banner")).to_contain_text("NGUY HIỂM NGAY LÚC NÀY")
    youth.locator("#danger-chat").click()
    youth.wait_for_timeout(300)
    assert len(wire.of_type("danger")) == 1
    end_as_youth(youth)


# -- 3. networks that fail halfway ----------------------------------------------------


def test_it_delivers_what_was_typed_during_a_cut_within_3_seconds_of_the_restore(
    new_context, login_as, live_server_url
):
    operator = open_console(login_as, "op_central")
    with FlakyNetwork(live_server_url) as network:
        youth = phone_page(new_context, base_url=network.base_url)
        youth.goto("/chat/")
        start(youth)
        youth_says(youth, "Em đang ở trong thang máy.")
        pane = accept(operator, conversation_id(youth))
        operator_log = pane.locator(".log")
        expect(operator_log.locator("li.them .body")).to_have_text(["Em đang ở trong thang máy."])

        network.cut()
        offline = youth.locator("#offline")
        expect(offline).to_contain_text(OFFLINE_TEXT)
        expect_emergency_links(offline)
        expect(offline.get_by_role("button", name="Gửi lại ngay")).to_be_visible()
        youth_says(youth, "Anh chị có nghe em không?")
        unsent = youth.locator("#log li.pending")
        expect(unsent.locator(".body")).to_have_text(["Anh chị có nghe em không?"])
        expect(unsent.locator(".sending")).to_have_text(["chưa gửi được"])
        assert axe_violations(youth) == []

        network.restore()
        expect(operator_log.locator("li.them .body")).to_have_text(
            ["Em đang ở trong thang máy.", "Anh chị có nghe em không?"], timeout=3000
        )
        expect(unsent).to_have_count(0)
        expect(offline).to_be_empty()
        end_as_operator(operator, pane)
        expect(youth.locator("#ended")).to_be_visible()


def test_it_notices_a_half_open_link_and_retries_when_asked(new_context, live_server_url):
    with FlakyNetwork(live_server_url) as network:
        youth = phone_page(new_context, base_url=network.base_url)
        youth.goto("/chat/")
        start(youth)

        network.hold()  # nothing flows, nothing closes
        offline = youth.locator("#offline")
        expect(offline).to_contain_text(OFFLINE_TEXT, timeout=15_000)
        expect(youth.locator("#status")).to_have_class(re.compile(r"\boffline\b"))

        # A new handshake hangs too. Once it is a few seconds old, "try again", the
        # network coming back and the page getting the focus each start another at once.
        for retry in (
            lambda: offline.get_by_role("button", name="Gửi lại ngay").click(),
            lambda: youth.evaluate("window.dispatchEvent(new Event('online'))"),
            lambda: youth.evaluate("window.dispatchEvent(new Event('focus'))"),
        ):
            youth.wait_for_timeout(3000)
            with youth.expect_websocket(timeout=1000):
                retry()

        network.restore()
        expect(offline).to_be_empty()
        expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
        end_as_youth(youth)


# -- 4. transfer and end -------------------------------------------------------------


def test_it_keeps_the_transfer_notice_while_the_position_changes(new_context, login_as):
    central = open_console(login_as, "op_central")
    youth = phone_page(new_context)
    youth.goto("/chat/")
    start(youth)
    youth_says(youth, "Em ở Huế.")
    pane = accept(central, conversation_id(youth))
    pane.get_by_label("Chuyển tới tổng đài").select_option("46")
    central.once("dialog", lambda dialog: dialog.accept())
    pane.get_by_role("button", name="Chuyển", exact=True).click()

    notice = "Bạn đang được chuyển tới một tổng đài khác, tin nhắn của bạn được chuyển theo."
    expect(youth.locator("#transfer-note")).to_have_text(notice)
    expect(youth.locator("#status")).to_contain_text(
        re.compile(r"Bạn là người tiếp theo|vị trí số")
    )
    expect(youth.locator("#log li.system").last).to_have_text(f"Hệ thống: {notice}")
    # The notice stays, and the page says nothing about a wait it cannot know.
    youth.reload()
    expect(youth.locator("#transfer-note")).to_have_text(notice)
    expect(youth.locator("#status")).to_contain_text(
        re.compile(r"Bạn là người tiếp theo|vị trí số")
    )
    expect(youth.locator("#wait-info")).to_be_hidden()
    end_as_youth(youth)


def test_it_offers_the_survey_a_passphrase_help_and_a_clean_screen_after_the_chat(
    new_context, login_as
):
    operator = open_console(login_as, "op_central")
    context = new_context(**PHONE)
    youth = context.new_page()
    wire = ChatWire(youth)
    youth.goto("/chat/")
    start(youth)
    youth_says(youth, "Cảm ơn anh chị.")
    pane = accept(operator, conversation_id(youth))
    operator_says(pane, "Em cứ quay lại khi cần nhé.")
    expect(youth.locator("#log li.them")).to_have_count(1)
    end_as_operator(operator, pane)

    ended = youth.locator("#ended")
    expect(ended).to_be_visible()
    expect(
        ended.get_by_role("link", name="Thông tin giúp bạn an toàn trên mạng")
    ).to_have_attribute("href", "/help/")
    expect_emergency_links(ended)
    assert youth.title() == "Trò chuyện"
    assert axe_violations(youth) == []

    survey = youth.locator("#survey")
    survey.get_by_role("group", name="Bạn có thấy mình được lắng nghe không?").get_by_label(
        "Có", exact=True
    ).check()
    survey.get_by_role("group", name="Bạn có nhận được điều mình cần không?").get_by_label(
        "Một phần", exact=True
    ).check()
    survey.get_by_role("button", name="Gửi câu trả lời").click()
    expect(survey).to_contain_text("Cảm ơn bạn đã trả lời!")
    assert wire.of_type("survey") == [{"type": "survey", "felt_heard": "yes", "got_help": "partly"}]

    keep = youth.locator("#after-keep")
    chosen = keep.get_by_label("Cụm mật khẩu (giữ nguyên hoặc tự sửa)").input_value()
    keep.get_by_role("button", name="Lưu cụm mật khẩu").click()
    expect(keep).to_contain_text("Đã lưu.")
    assert wire.of_type("passphrase")[-1] == {
        "type": "passphrase",
        "passphrase": chosen,
        "returning": False,
    }

    youth.get_by_role("button", name="Xoá cuộc trò chuyện khỏi màn hình").click()
    expect(youth.locator("#welcome")).to_be_visible()
    expect(youth.locator("#log li")).to_have_count(0)
    expect(youth.locator("body")).not_to_contain_text("Em cứ quay lại khi cần nhé.")
    assert youth.evaluate("sessionStorage.length + localStorage.length") == 0
    assert context.cookies() == []
    assert youth.url.endswith("/chat/")


def test_it_lets_a_returning_young_person_show_the_counsellor_their_earlier_chats(
    new_context, login_as
):
    operator = open_console(login_as, "op_central")
    first = phone_page(new_context)
    first.goto("/chat/")
    start(first)
    pane = accept(operator, conversation_id(first))
    end_as_operator(operator, pane)
    keep = first.locator("#after-keep")
    expect(keep).to_be_visible()
    chosen = keep.get_by_label("Cụm mật khẩu (giữ nguyên hoặc tự sửa)").input_value()
    keep.get_by_role("button", name="Lưu cụm mật khẩu").click()
    expect(keep).to_contain_text("Đã lưu.")

    again = phone_page(new_context)
    sent = SentFrames(again)
    again.goto("/chat/")
    again.get_by_role("button", name="Tôi đã để lại lời nhắn / đã từng trò chuyện").click()
    again.get_by_label("Cụm mật khẩu của bạn").fill(chosen)
    again.get_by_role("button", name="Tôi đã từng trò chuyện và muốn tư vấn viên xem lại").click()

    expect(again.locator("#log")).to_contain_text(
        "Tư vấn viên có thể xem lại các lần trước bạn đã trò chuyện."
    )
    # Right after the start is answered, before anything else about the conversation.
    about_the_chat = [f["type"] for f in sent.frames if f["type"] not in ("ping", "status")]
    assert about_the_chat[:2] == ["start", "passphrase"]
    assert sent.of_type("passphrase")[0] == {
        "type": "passphrase",
        "passphrase": chosen,
        "returning": True,
    }
    queued = operator.locator(f'#queue li[data-conversation="{conversation_id(again)}"]')
    expect(queued).to_contain_text("đã liên hệ trước")
    end_as_youth(again)


# -- 7. accessibility and a neutral title ---------------------------------------------


def test_it_has_no_accessibility_violation_in_any_state_and_start_is_in_view(
    new_context, login_as, live_server_url
):
    operator = open_console(login_as, "op_central")
    with FlakyNetwork(live_server_url) as network:
        youth = phone_page(new_context, base_url=network.base_url)
        youth.goto("/chat/")
        expect(youth.locator("#availability")).to_contain_text("Tổng đài trung ương mở cả ngày")
        box = youth.get_by_role("button", name="Bắt đầu trò chuyện").bounding_box()
        assert box["y"] + box["height"] <= PHONE["viewport"]["height"]
        assert youth.title() == "Trò chuyện"
        assert axe_violations(youth) == []

        start(youth)
        assert youth.title() == "Trò chuyện"
        assert axe_violations(youth) == []

        youth_says(youth, "Chào anh chị.")
        pane = accept(operator, conversation_id(youth))
        operator_says(pane, "Chào em.")
        expect(youth.locator("#log li.them")).to_have_count(1)
        assert axe_violations(youth) == []

        network.cut()
        expect(youth.locator("#offline")).to_contain_text(OFFLINE_TEXT)
        assert axe_violations(youth) == []
        network.restore()
        expect(youth.locator("#offline")).to_be_empty()

        end_as_operator(operator, pane)
        expect(youth.locator("#survey")).to_be_visible()
        assert youth.title() == "Trò chuyện"
        assert axe_violations(youth) == []
    assert STORE_KEY not in youth.evaluate("Object.keys(sessionStorage)")
