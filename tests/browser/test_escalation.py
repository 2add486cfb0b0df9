"""An operator escalates a case and the agency's liaison answers, in real Chromium.

The liaison's queue and page follow the hotline live, without a reload, and
axe-core finds nothing to fix on them.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


def create_case(operator: Page) -> str:
    """Open a case through the form; return its reference."""
    operator.goto("/cases/new/")
    operator.fill("#id_summary", "Em bị phát tán ảnh riêng tư")
    operator.locator("main form button[type=submit]").click()
    operator.wait_for_url(re.compile(r"/cases/\d+/$"))
    return operator.locator("h1").inner_text().split()[0]


def escalate_to_a05(operator: Page, *, urgency: str = "24h") -> None:
    operator.get_by_role("link", name="Chuyển tuyến tới cơ quan").click()
    operator.wait_for_url(re.compile(r"/escalations/case/\d+/new/$"))
    operator.select_option("#id_escalation_type", "self_harm")
    # Only agencies that accept the type are offered.
    expect(operator.locator("#id_agency option", has_text="Cục An ninh mạng")).to_be_disabled()
    operator.select_option("#id_escalation_type", "privacy_violation")
    expect(operator.locator("#id_agency option", has_text="sức khỏe tâm thần")).to_be_disabled()
    a05 = operator.locator("#id_agency option", has_text="Cục An ninh mạng").get_attribute("value")
    operator.select_option("#id_agency", a05)
    operator.check(f"input[name=urgency][value='{urgency}']")
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


def hotline_page_of_the_escalation(operator: Page) -> str:
    """The path of the newest escalation's page on the hotline side, from the case page."""
    return operator.locator("#escalations li[data-escalation] a").first.get_attribute("href")


def send_from_the_hotline(operator: Page, text: str) -> None:
    operator.fill("#id_body", text)
    operator.get_by_role("button", name="Gửi tin nhắn").click()
    expect(operator.locator(".escalation-thread")).to_contain_text(text)


def test_it_keeps_the_liaisons_page_and_queue_live_and_clean_for_axe(login_as):
    operator = login_as("op_hanoi")
    reference = create_case(operator)
    escalate_to_a05(operator)
    operator.goto(hotline_page_of_the_escalation(operator))

    liaison = login_as("liaison_a05")
    liaison.goto("/liaison/")
    expect(liaison.locator("#live-status")).to_have_text("Đang cập nhật trực tiếp")
    row = liaison.locator("#queue tr", has_text=reference)
    # Never opened: new to this liaison; the acknowledgement deadline counts, and runs.
    expect(row.locator(".unread-mark")).to_have_text("Mới")
    expect(row.locator(".deadline-kind")).to_have_text("Hạn tiếp nhận")
    expect(row.locator(".time-left")).to_have_text(re.compile(r"^Còn \d+ giờ"))
    assert axe_violations(liaison) == []

    row.get_by_role("link").click()
    expect(liaison.locator("#live-status")).to_have_text("Đang cập nhật trực tiếp")
    assert axe_violations(liaison) == []
    liaison.evaluate("window.stillTheSamePage = true")

    send_from_the_hotline(operator, "Tổng đài bổ sung: em học lớp 9")

    expect(liaison.locator(".escalation-thread")).to_contain_text("Tổng đài bổ sung: em học lớp 9")
    expect(liaison.locator("#live-status")).to_contain_text("Đã cập nhật lúc")
    assert liaison.evaluate("window.stillTheSamePage") is True

    # Read live on the page, so not new in the queue; the next message is, at once.
    liaison.get_by_role("link", name="Về danh sách").click()
    expect(liaison.locator("#live-status")).to_have_text("Đang cập nhật trực tiếp")
    row = liaison.locator("#queue tr", has_text=reference)
    expect(row).to_be_visible()
    expect(row.locator(".unread-mark")).to_have_count(0)
    liaison.evaluate("window.stillTheSamePage = true")

    send_from_the_hotline(operator, "Tổng đài bổ sung: em đã báo cho mẹ")

    expect(row.locator(".unread-mark")).to_have_text("Mới")
    assert liaison.evaluate("window.stillTheSamePage") is True

    # Withdrawn while the liaison reads it: the page keeps nothing of it.
    row.get_by_role("link").click()
    expect(liaison.locator("#live-status")).to_have_text("Đang cập nhật trực tiếp")
    expect(liaison.get_by_text("Ảnh riêng tư của một học sinh")).to_be_visible()
    operator.fill("#text-withdraw", "Gửi nhầm cơ quan")
    operator.get_by_role("button", name="Rút lại yêu cầu").click()

    expect(liaison.locator("#escalation-gone")).to_be_visible()
    expect(liaison.get_by_text("Ảnh riêng tư của một học sinh")).to_have_count(0)
    expect(liaison.get_by_text("em đã báo cho mẹ")).to_have_count(0)
    expect(liaison.locator("#escalation-state")).to_have_count(0)
    assert axe_violations(liaison) == []

    liaison.get_by_role("link", name="Xem các yêu cầu đã kết thúc / rút lại").click()
    finished = liaison.locator("#finished tr", has_text=reference)
    expect(finished).to_contain_text("Tổng đài đã rút lại yêu cầu")
    expect(finished.get_by_role("link")).to_have_count(0)
    assert axe_violations(liaison) == []


def test_it_counts_down_in_english_once_english_is_chosen(login_as):
    operator = login_as("op_hanoi")
    reference = create_case(operator)
    escalate_to_a05(operator)

    liaison = login_as("liaison_a05")
    liaison.goto("/liaison/")
    liaison.get_by_role("button", name="English").click()

    expect(liaison.locator("#live-status")).to_have_text("Live updates on")
    row = liaison.locator("#queue tr", has_text=reference)
    expect(row.locator(".unread-mark")).to_have_text("New")
    expect(row.locator(".deadline-kind")).to_have_text("Acknowledge by")
    expect(row.locator(".state")).to_have_text("Sent")
    expect(row.locator(".time-left")).to_have_text(re.compile(r"^\d+ h( \d+ min)? left$"))
    # The rows the socket sends are English too.
    liaison.evaluate("window.stillTheSamePage = true")
    operator.goto(hotline_page_of_the_escalation(operator))
    send_from_the_hotline(operator, "Tổng đài bổ sung")
    expect(row).to_have_class(re.compile(r"\bfresh\b"))
    expect(row.locator(".time-left")).to_have_text(re.compile(r"left$"))
    expect(row.locator(".deadline-kind")).to_have_text("Acknowledge by")
    assert liaison.evaluate("window.stillTheSamePage") is True
    assert axe_violations(liaison) == []


def test_it_adds_news_to_a_filtered_or_later_page_only_where_it_belongs(login_as):
    operator = login_as("op_hanoi")
    urgent = create_case(operator)
    escalate_to_a05(operator, urgency="immediate")
    slower = create_case(operator)
    escalate_to_a05(operator)
    slower_page = hotline_page_of_the_escalation(operator)

    # Filtered to immediate ones: a 24 h escalation sent now stays off the page, an
    # immediate one sent after it shows.
    liaison = login_as("liaison_a05")
    liaison.goto("/liaison/?urgency=immediate")
    expect(liaison.locator("#live-status")).to_have_text("Đang cập nhật trực tiếp")
    expect(liaison.locator("#queue tr", has_text=urgent)).to_be_visible()
    expect(liaison.locator("#queue tr", has_text=slower)).to_have_count(0)
    other_slow = create_case(operator)
    escalate_to_a05(operator)
    other_urgent = create_case(operator)
    escalate_to_a05(operator, urgency="immediate")
    expect(liaison.locator("#queue tr", has_text=other_urgent)).to_be_visible()
    expect(liaison.locator("#queue tr", has_text=other_slow)).to_have_count(0)

    # A later page (after the most urgent one): what is on it is updated live, a new
    # escalation is not added to it (it is on the first page).
    first_row = liaison.locator("#queue tr", has_text=urgent)
    liaison.goto(f"/liaison/?after={first_row.get_attribute('data-id')}")
    expect(liaison.locator("#live-status")).to_have_text("Đang cập nhật trực tiếp")
    row = liaison.locator("#queue tr", has_text=slower)
    expect(row).to_be_visible()
    expect(liaison.locator("#queue tr", has_text=urgent)).to_have_count(0)
    liaison.evaluate("window.stillTheSamePage = true")
    newest = create_case(operator)
    escalate_to_a05(operator, urgency="immediate")
    operator.goto(slower_page)
    send_from_the_hotline(operator, "Tổng đài bổ sung thông tin")
    expect(row).to_have_class(re.compile(r"\bfresh\b"))
    expect(liaison.locator("#queue tr", has_text=newest)).to_have_count(0)
    assert liaison.evaluate("window.stillTheSamePage") is True
    expect(liaison.get_by_role("link", name="« Gấp nhất")).to_be_visible()
    assert axe_violations(liaison) == []
