"""The help pages on a phone, in real Chromium: accessible, and readable again offline."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, axe_violations

pytestmark = pytest.mark.browser

SEXTORTION = "Bị doạ tung ảnh để đòi tiền hoặc đòi thêm ảnh"

SAVED_URLS = """async () => {
    const urls = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
    }
    return urls;
}"""


def wait_until_saved(page: Page, path: str) -> None:
    """Wait until the service worker has saved the page (it does so just after answering)."""
    saved = page.evaluate(
        """async (path) => {
            for (let attempt = 0; attempt < 400; attempt++) {
                for (const name of await caches.keys()) {
                    const cache = await caches.open(name);
                    if (await cache.match(path, {ignoreVary: true})) return true;
                }
                await new Promise((resolve) => setTimeout(resolve, 25));
            }
            return false;
        }""",
        path,
    )
    assert saved, f"{path} was never saved for offline reading"


def open_help_with_worker(new_context) -> tuple:
    context = new_context(**PHONE)
    page = context.new_page()
    page.goto("/help/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cẩm nang an toàn trên mạng")
    # The worker takes over the page it was registered from (clients.claim).
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return context, page


def test_it_passes_axe_and_shows_a_page_it_read_again_offline(new_context):
    context, page = open_help_with_worker(new_context)
    assert axe_violations(page) == []

    page.get_by_role("link", name=re.compile(SEXTORTION)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SEXTORTION)
    assert axe_violations(page) == []
    expect(page.get_by_role("link", name=re.compile("^111"))).to_have_attribute("href", "tel:111")
    wait_until_saved(page, "/help/bi-doa-tung-anh/")

    context.set_offline(True)
    page.reload()

    expect(page.get_by_role("heading", level=1)).to_have_text(SEXTORTION)
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^113"))).to_have_attribute("href", "tel:113")
    # A page never opened on this phone says so instead of failing.
    page.goto("/help/tin-gia/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Không có mạng")
    context.set_offline(False)


def test_it_saves_nothing_but_the_public_help_pages_and_their_files(new_context):
    _, page = open_help_with_worker(new_context)
    page.goto("/help/en/cai-dat-rieng-tu/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy settings")
    wait_until_saved(page, "/help/en/cai-dat-rieng-tu/")
    page.goto("/chat/")
    expect(page.get_by_role("button", name="Bắt đầu trò chuyện")).to_be_visible()
    page.goto("/help/no-such-page/")

    saved = page.evaluate(SAVED_URLS)

    assert "/help/en/cai-dat-rieng-tu/" in saved
    assert all(re.match(r"^/(help|static/handbook)/", url) for url in saved), saved
    assert "/help/no-such-page/" not in saved
    assert "/help/sw.js" not in saved


def test_it_never_saves_the_editors_pages_under_help(login_as):
    editor = login_as("sup_central")
    editor.goto("/help/")
    editor.wait_for_function("() => navigator.serviceWorker.controller !== null")

    editor.goto("/help/manage/")
    heading = editor.get_by_role("heading", level=1)
    expect(heading).to_have_text("Trang trợ giúp cho thanh thiếu nhi")
    editor.goto("/help/")

    assert [url for url in editor.evaluate(SAVED_URLS) if "/manage/" in url] == []


def test_it_quick_exits_deleting_the_saved_pages_and_leaving_no_way_back(new_context):
    context = new_context(**PHONE)
    page = context.new_page()
    page.goto("/help/anh-bi-dang/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()
    wait_until_saved(page, "/help/anh-bi-dang/")

    page.get_by_role("link", name="Thoát nhanh").click()

    page.wait_for_url(re.compile(r"/healthz$"))
    assert page.evaluate(SAVED_URLS) == []
    page.go_back()
    assert "/help/" not in page.url
