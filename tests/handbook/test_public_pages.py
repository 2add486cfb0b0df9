"""The public help pages: anyone reads them, in Vietnamese or English, and they keep nothing."""

import re

import pytest

from handbook.models import HelpPage
from handbook.services import help_page_create, help_page_publish, help_page_unpublish
from tests.logins import staff_login
from tests.test_translations import vietnamese_left

pytestmark = pytest.mark.django_db

SEEDED = {
    "anh-bi-dang": ("Ai đó đăng ảnh riêng tư của mình", "Someone posted my private photos"),
    "bi-doa-tung-anh": (
        "Bị doạ tung ảnh để đòi tiền hoặc đòi thêm ảnh",
        "Threatened with your photos (sextortion)",
    ),
    "lua-dao-truc-tuyen": ("Lừa đảo trên mạng", "Online scams"),
    "bat-nat-tren-mang": ("Bị bắt nạt trên mạng", "Cyberbullying"),
    "tin-gia": ("Tin giả: kiểm tra trước khi chia sẻ", "Fake news: check before you share"),
    "cai-dat-rieng-tu": ("Cài đặt quyền riêng tư", "Privacy settings"),
}
PUBLIC_URLS = [
    "/help/",
    "/help/en/",
    "/help/anh-bi-dang/",
    "/help/en/anh-bi-dang/",
    "/help/offline/",
    "/help/en/offline/",
    "/help/no-such-page/",
    "/help/sw.js",
]


def text(response) -> str:
    return response.content.decode()


def assert_emergency_numbers(page: str) -> None:
    assert '<a href="tel:113">' in page
    assert '<a href="tel:111">' in page


def test_it_lists_the_six_seeded_pages_in_vietnamese_in_order(client):
    response = client.get("/help/")

    page = text(response)
    assert response.status_code == 200
    assert '<html lang="vi">' in page
    titles = [vietnamese for vietnamese, _ in SEEDED.values()]
    positions = [page.index(f">{title}<") for title in titles]
    assert positions == sorted(positions)
    for slug in SEEDED:
        assert f'href="/help/{slug}/"' in page
    assert 'href="/help/en/"' in page
    assert "Thoát nhanh" in page
    assert_emergency_numbers(page)


def test_it_lists_the_pages_in_english_at_their_own_address(client):
    response = client.get("/help/en/")

    page = text(response)
    assert '<html lang="en">' in page
    assert response["Content-Language"] == "en"
    for slug, (_, english) in SEEDED.items():
        assert f">{english}<" in page
        assert f'href="/help/en/{slug}/"' in page
    assert "Quick exit" in page and "Online safety handbook" in page
    assert vietnamese_left(page) == []


@pytest.mark.parametrize("slug", SEEDED)
def test_it_shows_each_seeded_page_in_both_languages_ending_with_the_numbers(client, slug):
    vietnamese, english = SEEDED[slug]

    in_vietnamese = text(client.get(f"/help/{slug}/"))
    in_english = text(client.get(f"/help/en/{slug}/"))

    assert f"<h1>{vietnamese}</h1>" in in_vietnamese
    assert '<html lang="vi">' in in_vietnamese
    assert f'href="/help/en/{slug}/"' in in_vietnamese
    assert f"<h1>{english}</h1>" in in_english
    assert vietnamese_left(in_english) == []
    for page in (in_vietnamese, in_english):
        assert_emergency_numbers(page)
        # The numbers come after the advice, at the end of the page.
        assert page.index('href="tel:113"') > page.index('<div class="body">')


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_it_sets_no_cookie_on_a_public_page(client, url):
    response = client.get(url)

    assert response.status_code in (200, 404)
    assert "Set-Cookie" not in response
    assert not response.cookies


def test_it_sets_no_cookie_for_a_signed_in_member_of_staff_either(client, op_hanoi):
    staff_login(client, op_hanoi)

    response = client.get("/help/anh-bi-dang/")

    assert not response.cookies
    # The same page as everyone's: nothing about the reader is in it.
    assert op_hanoi.username not in text(response)


def test_it_answers_404_in_the_address_language_for_a_draft_or_a_page_taken_down(
    client, sup_central
):
    draft = help_page_create(
        by=sup_central, slug="ban-nhap", title_vi="Bản nháp", summary_vi="Tóm tắt", body_vi="Nháp"
    )
    taken_down = HelpPage.objects.get(slug="tin-gia")
    help_page_unpublish(by=sup_central, page_id=taken_down.pk)

    for url in ("/help/ban-nhap/", "/help/tin-gia/", "/help/en/tin-gia/", "/help/does-not-exist/"):
        assert client.get(url).status_code == 404, url
    assert "Không tìm thấy trang này" in text(client.get("/help/ban-nhap/"))
    assert "Page not found" in text(client.get("/help/en/ban-nhap/"))
    listing = text(client.get("/help/"))
    assert draft.title_vi not in listing
    assert "/help/tin-gia/" not in listing


def test_it_shows_the_vietnamese_text_marked_as_such_when_a_page_has_no_english(
    client, sup_central
):
    page = help_page_create(
        by=sup_central,
        slug="chi-tieng-viet",
        title_vi="Chỉ có tiếng Việt",
        summary_vi="Chưa dịch",
        body_vi="Nội dung",
    )
    help_page_publish(by=sup_central, page_id=page.pk)

    in_english = text(client.get("/help/en/chi-tieng-viet/"))

    assert '<html lang="en">' in in_english
    assert '<article class="page" lang="vi">' in in_english
    assert "This page is not in English yet." in in_english
    assert '<li lang="vi">' in text(client.get("/help/en/"))


def test_it_follows_the_address_not_the_language_cookie_or_the_browser(client):
    client.cookies["django_language"] = "en"

    vietnamese = client.get("/help/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    english = client.get("/help/en/", HTTP_ACCEPT_LANGUAGE="vi")

    assert '<html lang="vi">' in text(vietnamese)
    assert "Cẩm nang an toàn trên mạng" in text(vietnamese)
    client.cookies["django_language"] = "vi"
    assert '<html lang="en">' in text(client.get("/help/en/"))
    assert '<html lang="en">' in text(english)


@pytest.mark.parametrize("url", ["/help/", "/help/en/anh-bi-dang/", "/help/nope/"])
def test_it_runs_only_its_own_files_and_tells_no_referrer(client, url):
    response = client.get(url)

    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert response["Referrer-Policy"] == "no-referrer"
    page = text(response)
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert "<style" not in page and " style=" not in page
    assert re.findall(r"<[^>]*\son[a-z]+=", page) == []


def test_it_puts_no_query_string_in_any_link_or_form_of_the_site(client):
    page = text(client.get("/help/anh-bi-dang/"))

    own_links = [link for link in re.findall(r'(?:href|src)="([^"]*)"', page) if link[:1] == "/"]
    assert own_links
    assert [link for link in own_links if "?" in link] == []
    assert "<form" not in page


def test_it_escapes_html_a_page_text_carries(client, sup_central):
    page = help_page_create(
        by=sup_central,
        slug="thu-html",
        title_vi="<b>Tiêu đề</b>",
        summary_vi='<img src=x onerror="alert(1)">',
        body_vi="<script>alert('xin chào')</script>\n\n- <a href='x'>mục</a>",
    )
    help_page_publish(by=sup_central, page_id=page.pk)

    html = text(client.get("/help/thu-html/"))

    assert "<script>alert" not in html and "<b>Tiêu đề</b>" not in html
    assert "&lt;script&gt;alert(&#x27;xin chào&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Tiêu đề&lt;/b&gt;" in html
    assert "<img src=x" not in html
    assert "<li>&lt;a href=&#x27;x&#x27;&gt;mục&lt;/a&gt;</li>" in html
