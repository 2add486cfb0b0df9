"""The /chat/ and /console/ pages: who may open them and what they promise."""

import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.logins import staff_login

pytestmark = pytest.mark.django_db

# Letters that only Vietnamese uses among the languages of these pages.
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)


def page_config(response, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no {element_id} on the page"
    return json.loads(match.group(1))


def test_it_serves_the_youth_chat_without_a_login(client, reference_data):
    response = client.get("/chat/")

    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="vi">' in content
    # Every province, and no choice meaning the central hotline.
    assert 'value="01">Thành phố Hà Nội' in content
    assert content.count("<option value=") >= 34
    assert "Thoát nhanh" in content
    assert "giữ bí mật" in content


def test_it_locks_the_chat_page_to_its_own_scripts_and_tells_no_referrer(client):
    response = client.get("/chat/")

    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    # No inline script runs on the page: the only inline script is JSON data.
    content = response.content.decode()
    assert re.findall(r"<script(?![^>]*(?:src=|application/json))", content) == []


@override_settings(QUICK_EXIT_URL="https://example.org/weather")
def test_it_hands_the_quick_exit_address_from_settings_to_the_page(client):
    config = page_config(client.get("/chat/"), "chat-config")

    assert config == {
        "quickExitUrl": "https://example.org/weather",
        "callbackUrl": "/chat/callback/",
    }


def test_it_puts_nothing_personal_in_the_chat_page_url(client):
    response = client.get("/chat/")

    # The page starts and resumes over the socket; no form posts to a URL with data in it.
    content = response.content.decode()
    assert 'method="get"' not in content.lower()
    # Without the script a form would submit its named fields into the page's URL, so
    # no field a young person fills or picks has a name: the number, the passphrases,
    # the message, the province and the age stay out of any URL. Only the radio
    # buttons need one, to group them.
    fields = re.findall(r"<(?:input|textarea|select)\b[^>]*>", content)
    chosen = [field for field in fields if 'type="radio"' not in field]
    assert len(chosen) >= 9
    assert [field for field in chosen if " name=" in field] == []


def test_it_leaves_no_cookie_from_the_chat_page(client, reference_data):
    response = client.get("/chat/")

    # Nothing to outlive quick exit on the young person's device: no CSRF token,
    # no language, no session.
    assert response.cookies == {}
    assert client.cookies == {}
    content = response.content.decode()
    assert "csrfmiddlewaretoken" not in content
    assert 'method="post"' not in content.lower()


def test_it_renders_the_chat_in_vietnamese_without_a_script(client, reference_data):
    content = client.get("/chat/").content.decode()

    assert '<html lang="vi">' in content
    assert "<title>Trò chuyện</title>" in content
    assert 'data-text="welcomeTitle">Bạn không một mình.</h1>' in content
    assert 'placeholder="Viết tin nhắn…"' in content
    # The language switch needs the script, so it is hidden until the script shows it.
    assert '<button type="button" id="lang-switch" class="lang" hidden></button>' in content


def test_it_keeps_the_chat_page_title_neutral_in_both_languages(client, reference_data):
    texts = page_config(client.get("/chat/"), "chat-text")

    # A tab or a history entry must not tell whoever picks up the phone what this page is.
    assert texts["vi"]["title"] == "Trò chuyện"
    assert texts["en"]["title"] == "Chat"


def test_it_makes_every_emergency_number_on_the_chat_page_a_link_to_dial(client, reference_data):
    content = client.get("/chat/").content.decode()
    visible = re.sub(r'<script id="chat-text".*?</script>', "", content, flags=re.S)

    assert '<a href="tel:113">113</a> (Công an)' in visible
    assert '<a href="tel:111">111</a>' in visible
    unlinked = re.findall(r"(?<![\w\">:])11[13]\b", visible)
    assert unlinked == []


def test_it_points_the_chat_page_to_the_help_pages(client, reference_data):
    content = client.get("/chat/").content.decode()

    assert '<a href="/help/" data-text="helpLink">' in content


def test_it_carries_every_text_of_the_chat_page_in_both_languages(client, reference_data):
    content = client.get("/chat/").content.decode()
    texts = page_config(client.get("/chat/"), "chat-text")

    assert set(texts) == {"vi", "en"}
    assert set(texts["vi"]) == set(texts["en"])
    keys = set(re.findall(r'data-text(?:-placeholder|-aria-label)?="([\w-]+)"', content))
    assert keys <= set(texts["vi"])
    assert {"welcomeTitle", "age-under-12", "composerPlaceholder", "log"} <= keys
    assert texts["vi"]["welcomeTitle"] == "Bạn không một mình."
    assert texts["en"]["welcomeTitle"] == "You are not alone."
    assert texts["en"]["age-over-30"] == "Over 30"
    # Every English text is a translation, not the Vietnamese left as it was.
    untranslated = [key for key, english in texts["en"].items() if VIETNAMESE.search(english)]
    assert untranslated == []


def test_it_keeps_the_staff_switch_working_with_its_cookie(client, op_hanoi):
    staff_login(client, op_hanoi)

    response = client.post(reverse("set_language"), {"language": "en", "next": "/cases/"})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get("/cases/").content.decode()


def test_it_sends_anonymous_visitors_of_the_console_to_the_login(client):
    response = client.get("/console/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("username", ["liaison_a05", "admin"])
def test_it_refuses_the_console_to_people_who_do_not_answer_chats(client, reference_data, username):
    from helpline.models import User

    staff_login(client, User.objects.get(username=username))

    assert client.get("/console/").status_code == 403


def test_it_opens_the_console_for_an_operator_with_transfer_targets(client, op_hanoi):
    staff_login(client, op_hanoi)

    response = client.get("/console/")

    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    config = page_config(response, "console-config")
    assert config["hotline"] == "01"
    codes = {hotline["code"] for hotline in config["hotlines"]}
    assert "00" in codes and "46" in codes
    assert "01" not in codes
    assert config["provinces"]["46"] == "Thành phố Huế"
    assert config["caseUrlTemplate"] == "/cases/0/"
    assert config["heartbeatSeconds"] <= 20
    # The staff menu links to the console.
    assert 'href="/console/"' in response.content.decode()
