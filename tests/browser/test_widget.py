"""The embeddable widget in Chromium: a host page on another local origin embeds one script tag,
opens the chat in a panel, starts a chat in the host's province and quick-exits the whole tab; a
host whose origin administrators did not allow gets the frame refused.

The host pages are served by a tiny http.server on other loopback ports, with a strict
Content-Security-Policy of their own that allows only the widget's script and the frame.
"""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LIVE_SERVER_ENV, SETUP
from tests.browser.test_chat import STORE_KEY, accept, open_console
from tests.live_server import free_port, live_daphne

pytestmark = pytest.mark.browser

ALLOWED_PORT = free_port()
HOST_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Tỉnh đoàn</title></head>
<body><h1>Trang của tỉnh đoàn</h1>
<script src="{helpline}/static/widget/helpline-widget.js" data-province="01" defer></script>
</body></html>
"""


@pytest.fixture(scope="module")
def live_server_url():
    """A daphne like the session's, where one local origin may embed the chat."""
    allow = (
        "from connectors.models import EmbedOrigin; "
        f"EmbedOrigin.objects.create(origin='http://127.0.0.1:{ALLOWED_PORT}', label='test host')"
    )
    with live_daphne(setup=(*SETUP, ["shell", "-c", allow]), **LIVE_SERVER_ENV) as base_url:
        yield base_url


class HostSite:
    """A union website on loopback: one page embedding the widget, under a strict CSP."""

    def __init__(self, helpline: str, port: int = 0):
        page = HOST_PAGE.format(helpline=helpline).encode()
        policy = (
            f"default-src 'none'; script-src {helpline}; frame-src {helpline}; "
            "style-src 'none'; base-uri 'none'"
        )

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", policy)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def open_host(new_context, site: HostSite):
    page = new_context().new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(site.url)
    return page, violations


def test_it_opens_the_chat_on_an_allowed_site_in_its_province_and_quick_exits_the_tab(
    new_context, login_as, live_server_url
):
    operator = open_console(login_as, "op_hanoi")
    with HostSite(live_server_url, ALLOWED_PORT) as site:
        page, violations = open_host(new_context, site)
        launcher = page.get_by_role("button", name="Trò chuyện với tổng đài")
        expect(launcher).to_be_visible()
        # Styled by the constructed stylesheet, which the host's style-src 'none' leaves alone.
        assert launcher.evaluate("b => getComputedStyle(b).position") == "fixed"
        # Nothing reaches the helpline before the young person asks for the chat.
        assert len(page.frames) == 1

        launcher.click()
        chat = page.frame_locator("iframe[title='Trò chuyện với tổng đài hỗ trợ thanh thiếu nhi']")
        expect(chat.locator("#province")).to_have_value("01")
        chat.get_by_role("button", name="Bắt đầu trò chuyện").click()
        expect(chat.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
        frame = next(f for f in page.frames if f.url.startswith(live_server_url))
        state = frame.evaluate(f"JSON.parse(sessionStorage.getItem('{STORE_KEY}'))")
        assert state["province"] == "01"

        # The operator sees it queued in Hanoi like any web chat, and can take it.
        pane = accept(operator, state["conversation"])
        expect(pane).to_be_visible()

        # Minimised, the chat keeps running; the button brings the same chat back.
        page.get_by_role("button", name="Thu nhỏ khung trò chuyện").click()
        expect(chat.locator("#status")).to_be_hidden()
        launcher.click()
        expect(chat.locator("#status")).to_be_visible()

        chat.get_by_role("button", name="Thoát nhanh").click()
        page.wait_for_url(live_server_url + LIVE_SERVER_ENV["QUICK_EXIT_URL"])
        assert violations == []


def test_it_gets_the_frame_refused_on_a_site_that_is_not_allowed(new_context, live_server_url):
    with HostSite(live_server_url) as site:
        page, _violations = open_host(new_context, site)
        with page.expect_response(re.compile(r"/chat/embed/")) as embed:
            page.get_by_role("button", name="Trò chuyện với tổng đài").click()
        # The helpline names only the allowed origin; the browser refuses this one.
        policy = embed.value.headers["content-security-policy"]
        assert f"frame-ancestors http://127.0.0.1:{ALLOWED_PORT}" in policy
        assert site.url.rstrip("/") not in policy

        expect(page.get_by_text("Không mở được khung trò chuyện trên trang này.")).to_be_visible()
        link = page.get_by_role("link", name="Mở trang trò chuyện của tổng đài")
        assert link.get_attribute("href") == live_server_url + "/chat/#province=01"
        [frame] = [f for f in page.frames if f != page.main_frame]
        assert not frame.url.startswith(live_server_url + "/chat/embed/")
