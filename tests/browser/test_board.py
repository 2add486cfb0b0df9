"""The supervisors' live board in real Chromium: it follows a chat queued, accepted and ended
without a reload, links a conversation to the console's recorded monitoring, and passes axe."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.browser.test_chat import (
    accept,
    conversation_id,
    open_console,
    open_youth_page,
    start_youth_chat,
    youth_says,
)

pytestmark = pytest.mark.browser


def open_board(login_as, username: str):
    board = login_as(username)
    board.goto("/board/")
    expect(board.locator("#board-status")).to_contain_text("Đang cập nhật trực tiếp")
    return board


def test_the_board_follows_a_chat_queued_accepted_and_ended_live(new_context, login_as):
    board = open_board(login_as, "sup_central")
    central = board.locator('#board-hotlines tr[data-hotline="00"]')
    waiting = central.locator("td").first
    # Earlier tests of the session may have left chats waiting: count from here.
    before = int(waiting.inner_text())
    operator = open_console(login_as, "op_central")

    youth = start_youth_chat(open_youth_page(new_context))
    youth_says(youth, "Mình cần giúp")
    expect(waiting).to_have_text(str(before + 1))
    expect(board.locator("#board-changes")).to_contain_text(f"Đang chờ {before} → {before + 1}")

    conversation = conversation_id(youth)
    pane = accept(operator, conversation)
    active = board.locator(f'#board-active tr[data-conversation="{conversation}"]')
    expect(active).to_contain_text("op_central")
    expect(waiting).to_have_text(str(before))
    # What the young person wrote never reaches the board.
    expect(board.locator("#board")).not_to_contain_text("Mình cần giúp")
    assert axe_violations(board) == []

    # From the board, watching the conversation is the console's recorded monitoring.
    watch = active.get_by_role("link", name=re.compile("Theo dõi cuộc trao đổi"))
    expect(watch).to_have_attribute("href", f"/console/#monitor={conversation}")
    console = board.context.new_page()
    console.goto(watch.get_attribute("href"))
    monitored = console.locator(f"#pane-{conversation}")
    expect(monitored.locator(".monitor-banner")).to_contain_text("chỉ xem")
    expect(monitored.locator(".log")).to_contain_text("Mình cần giúp")
    expect(pane.locator(".monitor-banner")).to_contain_text("sup_central")
    assert "#monitor" not in console.url

    operator.once("dialog", lambda dialog: dialog.accept())
    pane.get_by_role("button", name="Kết thúc").click()
    expect(youth.locator("#ended")).to_be_visible()
    expect(active).to_have_count(0)
    expect(board.locator("#board-changes")).to_contain_text("Đang trao đổi")


def test_a_provincial_board_shows_its_own_hotline_and_passes_axe(login_as):
    board = open_board(login_as, "sup_hanoi")

    expect(board.locator("#board-hotlines tbody tr")).to_have_count(1)
    expect(board.locator("#board-hotlines tbody tr")).to_have_attribute("data-hotline", "01")
    assert axe_violations(board) == []
