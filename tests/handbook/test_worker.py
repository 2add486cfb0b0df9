"""The service worker: served under /help/, saving only the help pages and their own files."""

import json
import re

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def worker_config(response) -> dict:
    first_line = response.content.decode().split("\n", 1)[0]
    match = re.fullmatch(r"self\.HANDBOOK_WORKER = (\{.*\});", first_line)
    assert match, first_line
    return json.loads(match.group(1))


def test_it_serves_the_worker_as_javascript_whose_scope_is_the_help_pages(client):
    response = client.get("/help/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/help/"
    assert "no-cache" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert 'self.addEventListener("fetch"' in response.content.decode()


def test_it_tells_the_worker_to_save_only_help_pages_and_their_files(client):
    config = worker_config(client.get("/help/sw.js"))

    assert config["scope"] == "/help/"
    assert config["manage"] == "/help/manage/"
    assert config["assets"] == "/static/handbook/"
    assert config["offline"] == {"vi": "/help/offline/", "en": "/help/en/offline/"}
    assert config["precache"] == [
        "/help/",
        "/help/en/",
        "/help/offline/",
        "/help/en/offline/",
        "/static/handbook/help.css",
        "/static/handbook/help.js",
    ]
    assert re.fullmatch(r"handbook-[0-9a-f]{16}", config["cache"])


def test_it_starts_a_new_cache_when_the_static_files_change_name(client):
    before = worker_config(client.get("/help/sw.js"))["cache"]

    with override_settings(STATIC_URL="/assets/"):
        after = worker_config(client.get("/help/sw.js"))

    assert after["cache"] != before
    assert after["assets"] == "/assets/handbook/"
    assert worker_config(client.get("/help/sw.js"))["cache"] == before
