"""Online harm in Chromium: evidence on the case page, its takedown, a screenshot in the console.

The server of these tests has an evidence key and folder of its own: the other
browser tests' server has none, and refuses every file.
"""

import io
import re
import tempfile

import pytest
from cryptography.fernet import Fernet
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import LIVE_SERVER_ENV, SETUP, axe_violations
from tests.browser.test_chat import (
    STORE_KEY,
    accept,
    conversation_id,
    open_console,
    open_youth_page,
    start_youth_chat,
)
from tests.live_server import live_daphne

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server_url():
    """A daphne like the session's that keeps evidence files (encrypted, in a temporary folder)."""
    with (
        tempfile.TemporaryDirectory(prefix="helpline-evidence-") as evidence,
        live_daphne(
            setup=SETUP,
            EVIDENCE_ENCRYPTION_KEY=Fernet.generate_key().decode(),
            EVIDENCE_ROOT=evidence,
            **LIVE_SERVER_ENV,
        ) as base_url,
    ):
        yield base_url


def screenshot_png() -> bytes:
    image = Image.new("RGB", (320, 200), (250, 240, 230))
    for x in range(0, 320, 16):
        for y in range(200):
            image.putpixel((x, y), (30, 30, 160))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def thumbnail_loaded(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_it_records_an_item_with_a_screenshot_opens_a_takedown_and_marks_it_removed(login_as):
    operator = login_as("op_hanoi")
    operator.goto("/cases/new/")
    operator.fill("#id_summary", "Có người mạo danh em trên TikTok")
    operator.locator("main form button[type=submit]").click()
    operator.wait_for_url(re.compile(r"/cases/\d+/$"))

    operator.get_by_role("link", name="Ghi nhận dấu vết trên mạng").click()
    expect(operator.locator("#ocsea-rule")).to_contain_text("không bao giờ được lưu")
    operator.select_option("#id_platform", label="TikTok")
    operator.select_option("#id_kind", "profile")
    operator.fill("#id_url", "https://www.tiktok.com/@ke_mao_danh?is_from_webapp=1")
    operator.select_option("#id_category", label="Mạo danh / tài khoản giả")
    operator.fill("#id_description", "Tài khoản dùng ảnh đại diện của em")
    operator.set_input_files(
        "#id_file", {"name": "man-hinh.png", "mimeType": "image/png", "buffer": screenshot_png()}
    )
    operator.get_by_role("button", name="Ghi nhận", exact=True).click()
    operator.wait_for_url(re.compile(r"/cases/\d+/#harms$"))

    item = operator.locator("#harms .harm-item").first
    expect(item).to_contain_text("@ke_mao_danh")
    blurred = item.locator("img.evidence-blurred")
    expect(blurred).to_be_visible()
    operator.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=blurred.element_handle()
    )
    assert thumbnail_loaded(blurred)
    assert axe_violations(operator, context="#harms") == []

    item.get_by_role("button", name="Xem ảnh").click()
    full = operator.locator("img.evidence-full")
    expect(full).to_be_visible()
    assert full.get_attribute("src").startswith("data:image/png;base64,")
    operator.get_by_role("link", name="Quay lại").click()

    operator.locator("#harms .harm-item").first.get_by_role("link", name="Yêu cầu gỡ bỏ").click()
    operator.select_option("#id_channel", label="Báo cáo tới TikTok (Kênh báo cáo của nền tảng)")
    operator.get_by_role("button", name="Tạo yêu cầu gỡ bỏ").click()
    takedown = operator.locator("#harms .takedown").first
    expect(takedown.locator(".takedown-state")).to_have_text("Đang soạn")

    takedown.get_by_label("Số tiếp nhận (nếu có)").fill("TT-778899")
    takedown.get_by_role("button", name="Đánh dấu đã gửi").click()
    takedown = operator.locator("#harms .takedown").first
    expect(takedown.locator(".takedown-state")).to_have_text("Đã gửi")
    expect(takedown).to_contain_text("TT-778899")
    expect(takedown.locator(".time-left")).to_have_text(re.compile(r"^Còn (23|24) giờ"))

    takedown.get_by_role("button", name="Nội dung đã bị gỡ").click()
    expect(operator.locator("#harms .takedown .takedown-state").first).to_have_text("Đã gỡ bỏ")
    expect(operator.locator(".timeline")).to_contain_text("Yêu cầu gỡ bỏ nội dung")
    assert axe_violations(operator, context="#harms") == []


def test_it_shows_the_young_persons_screenshot_blurred_in_the_console_until_asked(
    new_context, login_as
):
    # A chat started without a province goes to the central hotline.
    operator = open_console(login_as, "op_central")
    youth = start_youth_chat(open_youth_page(new_context))
    pane = accept(operator, conversation_id(youth))

    # What the young person's page will do (docs/protocol.md, "Screenshots from the chat").
    status, ack = youth.evaluate(
        """async ([key, bytes]) => {
            const state = JSON.parse(sessionStorage.getItem(key));
            const form = new FormData();
            form.append("client_id", crypto.randomUUID());
            form.append("file", new Blob([new Uint8Array(bytes)], {type: "image/png"}), "a.png");
            const response = await fetch("/chat/upload/", {
                method: "POST", headers: {"X-Chat-Token": state.token}, body: form,
            });
            return [response.status, await response.json()];
        }""",
        [STORE_KEY, list(screenshot_png())],
    )
    assert status == 201, ack

    placeholder = pane.locator(f'.attachment[data-attachment="{ack["attachment"]["id"]}"]')
    expect(placeholder).to_be_visible()
    blurred = placeholder.locator("img.attachment-blurred")
    expect(blurred).to_be_visible()
    assert placeholder.locator("img.attachment-full").count() == 0

    placeholder.get_by_role("button", name="Xem ảnh").click()

    full = placeholder.locator("img.attachment-full")
    expect(full).to_be_visible()
    assert full.get_attribute("src").startswith("data:image/png;base64,")
    expect(placeholder.get_by_role("button", name="Xem ảnh")).to_have_count(0)


def test_a_young_person_sends_a_screenshot_from_the_chat_after_the_warning(new_context, login_as):
    operator = open_console(login_as, "op_central")
    youth = start_youth_chat(open_youth_page(new_context))
    pane = accept(operator, conversation_id(youth))

    youth.get_by_role("button", name="Gửi ảnh chụp màn hình").click()
    panel = youth.locator("#screenshot-panel")
    expect(panel).to_contain_text("Đừng gửi ảnh khoả thân")
    youth.locator("#screenshot-file").set_input_files(
        files=[{"name": "chup.png", "mimeType": "image/png", "buffer": screenshot_png()}]
    )

    expect(panel).to_be_hidden()
    expect(youth.locator("#log li.me").last).to_contain_text("[ảnh]")
    expect(pane.locator(".attachment img.attachment-blurred")).to_be_visible()
    youth.get_by_role("button", name="Thoát nhanh").click()
