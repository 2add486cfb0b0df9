"""An operator escalates a case and the agency's liaison answers, in real Chromium."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def create_case(operator: Page) -> str:
    """Open a case through the form; return its reference."""
    operator.goto("/cases/new/")
    operator.fill("#id_summary", "Em bị phát tán ảnh riêng tư")
    operator.locator("main form button[type=submit]").click()
    operator.wait_for_url(re.compile(r"/cases/\d+/$"))
    return operator.locator("h1").inner_text().split()[0]


def escalate_to_a05(operator: Page) -> None:
    operator.get_by_role("link", name="Chuyển tuyến tới cơ quan").click()
    operator.wait_for_url(re.compile(r"/escalations/case/\d+/new/$"))
    operator.select_option("#id_escalation_type", "self_harm")
    # Only agencies that accept the type are offered.
    expect(operator.locator("#id_agency option", has_text="Cục An ninh mạng")).to_be_disabled()
    operator.select_option("#id_escalation_type", "privacy_violation")
    expect(operator.locator("#id_agency option", has_text="sức khỏe tâm thần")).to_be_disabled()
    a05 = operator.locator("#id_agency option", has_text="Cục An ninh mạng").get_attribute("value")
    operator.select_option("#id_agency", a05)
    operator.check("input[name=urgency][value='24h']")
    operator.check("input[name=legal_basis][value='emergency']")
    operator.fill("#id_summary", "Ảnh riêng tư của một học sinh bị đăng lại trên mạng xã hội.")
    operator.check("input[name=youth_informed][value='informed']")
    operator.get_by_role("button", name="Gửi yêu cầu chuyển tuyến").click()
    operator.wait_for_url(re.compile(r"/cases/\d+/$"))


def test_it_takes_an_escalation_from_the_case_page_to_the_liaison_and_back(login_as):
    liaison = login_as("liaison_a05")
    liaison.goto("/liaison/")
    expect(liaison.locator("#live-status")).to_have_text("Đang cập nhật trực tiếp")
    # Anything the page remembers would be lost by a reload.
    liaison.evaluate("window.stillTheSamePage = true")

    operator = login_as("op_hanoi")
    reference = create_case(operator)
    escalate_to_a05(operator)
    section = operator.locator("#escalations")
    expect(section.locator(".escalation-state")).to_have_text("Đã gửi")

    row = liaison.locator("#queue tr", has_text=reference)
    expect(row).to_be_visible()
    expect(row.locator(".state")).to_have_text("Đã gửi")
    assert liaison.evaluate("window.stillTheSamePage") is True

    row.get_by_role("link").click()
    expect(liaison.get_by_text("Ảnh riêng tư của một học sinh")).to_be_visible()
    liaison.get_by_role("button", name="Tiếp nhận").click()
    expect(liaison.locator("#escalation-state")).to_have_text("Đã tiếp nhận")

    operator.reload()
    expect(operator.locator("#escalations .escalation-state")).to_have_text("Đã tiếp nhận")
