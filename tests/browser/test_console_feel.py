"""The console lets a tired operator feel new work, tell chats apart, read what matters first."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.browser.test_chat import (
    STORE_KEY,
    accept,
    conversation_id,
    open_console,
    open_youth_page,
    start_youth_chat,
    youth_says,
)

pytestmark = pytest.mark.browser


def test_operators_land_on_the_console_and_liaisons_on_their_queue(login_as):
    assert login_as("op_hanoi").url.endswith("/console/")
    assert login_as("sup_central").url.endswith("/console/")
    assert login_as("liaison_a05").url.endswith("/liaison/")


def waiting_in_title(page) -> int:
    found = re.match(r"^\((\d+)\) ", page.title())
    return int(found.group(1)) if found else 0


def test_new_work_shows_in_the_title_and_is_announced(new_context, login_as):
    operator = open_console(login_as, "op_central")
    operator.wait_for_timeout(500)
    before = waiting_in_title(operator)
    youth = start_youth_chat(open_youth_page(new_context))
    expect(operator).to_have_title(re.compile(rf"^\({before + 1}\) "))
    expect(operator.locator("#announcer")).to_contain_text("Có người mới trong hàng chờ")
    accept(operator, conversation_id(youth))
    title = re.compile(rf"^\({before}\) ") if before else re.compile(r"^(?!\()")
    expect(operator).to_have_title(title)
    quick_exit(youth)


def test_tabs_are_told_apart_and_arrow_keys_stay_on_them(new_context, login_as):
    operator = open_console(login_as, "op_central")
    first = start_youth_chat(open_youth_page(new_context))
    accept(operator, conversation_id(first))
    second = open_youth_page(new_context)
    second.goto("/chat/")
    second.locator("#age-group").select_option("15-17")
    second.get_by_role("button", name="Bắt đầu trò chuyện").click()
    expect(second.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
    accept(operator, conversation_id(second))
    first_tab = operator.locator(f"#tab-{conversation_id(first)}")
    second_tab = operator.locator(f"#tab-{conversation_id(second)}")
    expect(first_tab).to_contain_text(re.compile(r"^Khách \d+$"))
    expect(second_tab).to_contain_text(re.compile(r"^Khách \d+ · 15-17$"))
    assert first_tab.inner_text() != second_tab.inner_text().split(" · ")[0]
    second_tab.focus()
    operator.keyboard.press("ArrowLeft")
    expect(first_tab).to_be_focused()
    expect(first_tab).to_have_attribute("aria-selected", "true")
    operator.keyboard.press("ArrowRight")
    expect(second_tab).to_be_focused()
    for youth in (first, second):
        quick_exit(youth)


def quick_exit(youth):
    """End the chat the way a young person can, so no test leaves an operator at capacity."""
    youth.get_by_role("button", name="Thoát nhanh").click()


def test_the_receiving_operator_reads_the_handover_note_first(new_context, login_as):
    hanoi = open_console(login_as, "op_hanoi")
    youth = open_youth_page(new_context)
    youth.goto("/chat/")
    youth.locator("#province").select_option("01")
    youth.get_by_role("button", name="Bắt đầu trò chuyện").click()
    expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
    conversation = conversation_id(youth)
    pane = accept(hanoi, conversation)
    pane.locator(".transfer-select").select_option("00")
    pane.get_by_label("Ghi chú bàn giao").fill("Em đang sợ, đã nói về ảnh bị phát tán.")
    hanoi.once("dialog", lambda dialog: dialog.accept())
    pane.get_by_role("button", name="Chuyển", exact=True).click()
    expect(pane.locator(".ended-banner")).to_be_visible()

    central = open_console(login_as, "op_central")
    received = accept(central, conversation)
    expect(received.locator(".handover-banner")).to_contain_text("Em đang sợ")
    expect(youth.locator("body")).not_to_contain_text("Em đang sợ")
    quick_exit(youth)


def test_danger_is_unmissable_and_the_console_has_no_accessibility_violation(new_context, login_as):
    operator = open_console(login_as, "op_central")
    youth = start_youth_chat(open_youth_page(new_context))
    youth_says(youth, "Có người đang đe dọa em")
    pane = accept(operator, conversation_id(youth))
    # The frame the young person's "I'm in danger now" button sends, on a second socket of theirs.
    youth.evaluate(
        """(key) => new Promise((done) => {
            const token = JSON.parse(sessionStorage.getItem(key)).token;
            const socket = new WebSocket("ws://" + location.host + "/ws/chat/");
            socket.onopen = () => socket.send(JSON.stringify({type: "resume", token: token}));
            socket.onmessage = (event) => {
                const frame = JSON.parse(event.data);
                if (frame.type === "resumed") socket.send(JSON.stringify({type: "danger"}));
                if (frame.type === "danger_noted") { socket.close(); done(); }
            };
        })""",
        STORE_KEY,
    )
    expect(pane.locator(".danger-banner")).to_contain_text("NGUY HIỂM NGAY LÚC NÀY")
    expect(operator.get_by_role("tab").first).to_have_class(re.compile(r"\bdanger\b"))
    assert axe_violations(operator) == []
    quick_exit(youth)
