"""A young person asks the helpline to delete their conversation, in Chromium.

During the chat the request waits for its end; on the end screen it is honoured at once,
and the operator's pane says so and keeps nothing of it on screen.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.browser.test_chat import (
    accept,
    conversation_id,
    open_console,
    open_youth_page,
    operator_says,
    start_youth_chat,
    youth_says,
)

pytestmark = pytest.mark.browser


def test_a_young_person_deletes_their_conversation_after_asking_twice(new_context, login_as):
    operator = open_console(login_as, "op_central")
    youth = start_youth_chat(open_youth_page(new_context))
    pane = accept(operator, conversation_id(youth))
    youth_says(youth, "Có người dọa tung ảnh của em")
    operator_says(pane, "Mình đang nghe em đây")
    expect(youth.locator("#log")).to_contain_text("Mình đang nghe em đây")

    # While the chat runs, the request waits for its end, and nothing happens without a yes.
    during = youth.locator("#chat-delete")
    during.get_by_role("button", name="Xin xoá cuộc trò chuyện này").click()
    expect(during.get_by_text("Xoá hết cuộc trò chuyện này? Không lấy lại được.")).to_be_visible()
    during.get_by_role("button", name="Không xoá").click()
    expect(during.get_by_role("button", name="Xin xoá cuộc trò chuyện này")).to_be_focused()
    during.get_by_role("button", name="Xin xoá cuộc trò chuyện này").click()
    during.get_by_role("button", name="Xoá", exact=True).click()
    expect(during.locator(".delete-result")).to_have_text(
        "Yêu cầu của bạn đã được ghi lại. Cuộc trò chuyện sẽ được xoá ngay khi kết thúc."
    )
    expect(pane.locator(".deletion-banner")).to_contain_text(
        "sẽ được xoá khi cuộc trò chuyện kết thúc"
    )
    expect(pane.locator(".log")).to_contain_text("Có người dọa tung ảnh của em")

    youth.get_by_role("button", name="Kết thúc trò chuyện").click()
    youth.get_by_role("button", name="Kết thúc", exact=True).click()
    expect(youth.locator("#ended")).to_be_visible()
    assert axe_violations(youth) == []

    # On the end screen it is done at once: the helpline and the operator's screen keep no word.
    after = youth.locator("#after-delete")
    after.get_by_role("button", name="Xin xoá cuộc trò chuyện này").click()
    after.get_by_role("button", name="Xoá", exact=True).click()
    expect(after.locator(".delete-result")).to_have_text(
        "Cuộc trò chuyện của bạn đã được xoá khỏi hệ thống."
    )
    expect(after.get_by_role("button", name="Xin xoá cuộc trò chuyện này")).to_be_hidden()
    expect(youth.locator("#after-keep")).to_be_hidden()
    expect(pane.locator(".deletion-banner")).to_have_text(re.compile("nội dung đã được xoá"))
    expect(pane.locator(".log")).not_to_contain_text("Có người dọa tung ảnh của em")
    youth.get_by_role("button", name="Thoát nhanh").click()
