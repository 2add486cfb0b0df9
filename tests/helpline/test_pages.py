"""The /chat/ and /console/ pages: who may open them and what they promise."""

import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


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

    assert config == {"quickExitUrl": "https://example.org/weather", "language": "vi"}


def test_it_puts_nothing_personal_in_the_chat_page_url(client):
    response = client.get("/chat/")

    # The page starts and resumes over the socket; no form posts to a URL with data in it.
    assert 'method="get"' not in response.content.decode().lower()


def test_it_lets_the_anonymous_young_person_switch_language(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/chat/"})

    assert response.status_code == 302
    assert response["Location"] == "/chat/"
    assert '<html lang="en">' in client.get("/chat/").content.decode()


def test_it_sends_anonymous_visitors_of_the_console_to_the_login(client):
    response = client.get("/console/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("username", ["liaison_a05", "admin"])
def test_it_refuses_the_console_to_people_who_do_not_answer_chats(client, reference_data, username):
    from helpline.models import User

    client.force_login(User.objects.get(username=username))

    assert client.get("/console/").status_code == 403


def test_it_opens_the_console_for_an_operator_with_transfer_targets(client, op_hanoi):
    client.force_login(op_hanoi)

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
