"""A supervisor chooses a conversation to watch in the console, and the operator sees it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_chat import (
    accept,
    conversation_id,
    open_console,
    open_youth_page,
    start_youth_chat,
    youth_says,
)

pytestmark = pytest.mark.browser


def test_a_supervisor_monitors_a_chat_from_the_console_and_the_operator_is_told(
    new_context, login_as
):
    operator = open_console(login_as, "op_central")
    youth = start_youth_chat(open_youth_page(new_context))
    youth_says(youth, "Mình cần giúp")
    conversation = conversation_id(youth)
    operator_pane = accept(operator, conversation)

    supervisor = open_console(login_as, "sup_central")
    active = supervisor.locator("#active-panel")
    expect(active).to_be_visible()
    supervisor.locator("#active-refresh").click()
    watch = active.locator(f'li[data-conversation="{conversation}"]').get_by_role(
        "button", name=re.compile("Theo dõi cuộc trao đổi.*op_central")
    )
    watch.click()

    pane = supervisor.locator(f"#pane-{conversation}")
    expect(pane.locator(".monitor-banner")).to_contain_text("chỉ xem")
    expect(pane.locator(".log")).to_contain_text("Mình cần giúp")
    expect(pane.locator(".composer")).to_be_hidden()
    expect(operator_pane.locator(".monitor-banner")).to_contain_text("sup_central")

    youth_says(youth, "Còn nữa")
    expect(pane.locator(".log")).to_contain_text("Còn nữa")

    pane.get_by_role("button", name="Dừng theo dõi").click()
    expect(pane).to_have_count(0)
    expect(operator_pane.locator(".monitor-banner")).to_contain_text("đã dừng theo dõi")
    youth.get_by_role("button", name="Thoát nhanh").click()
