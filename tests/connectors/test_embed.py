"""The chat in a frame on another site: only the origins administrators allowed may frame it, and
it is the same chat page as /chat/; the widget script stays small enough to embed anywhere."""

import gzip
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from connectors.models import EmbedOrigin, origin_normalize
from tests.logins import staff_login

pytestmark = pytest.mark.django_db

WIDGET = Path(settings.BASE_DIR) / "static" / "widget" / "helpline-widget.js"
EMBED_SCRIPT = '<script src="/static/widget/embed.js" defer></script>'


def policy_of(response) -> dict[str, str]:
    directives = (d.strip() for d in response["Content-Security-Policy"].split(";"))
    return {d.split(" ", 1)[0]: d for d in directives if d}


def test_it_lets_only_the_allowed_origins_frame_the_embed_page(client, reference_data):
    EmbedOrigin.objects.create(origin="https://doanthanhnien.vn", label="Trung ương Đoàn")
    EmbedOrigin.objects.create(origin="https://app.tuoitre.example:8443")
    EmbedOrigin.objects.create(origin="https://old-partner.example", is_active=False)

    response = client.get("/chat/embed/")

    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["frame-ancestors"] == (
        "frame-ancestors https://app.tuoitre.example:8443 https://doanthanhnien.vn"
    )
    # A switched-off origin, or any other, is refused by the browser.
    assert "old-partner" not in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    # The rest of the chat's policy holds inside the frame.
    assert policy["script-src"] == "script-src 'self'"
    assert policy["connect-src"] == "connect-src 'self'"
    assert response["Referrer-Policy"] == "no-referrer"


def test_it_lets_nobody_frame_the_embed_page_while_no_origin_is_allowed(client, reference_data):
    EmbedOrigin.objects.create(origin="https://old-partner.example", is_active=False)

    response = client.get("/chat/embed/")

    assert policy_of(response)["frame-ancestors"] == "frame-ancestors 'none'"


def test_it_keeps_every_other_page_unframeable(client, reference_data):
    EmbedOrigin.objects.create(origin="https://doanthanhnien.vn")

    for path in ("/chat/", "/help/", "/accounts/login/"):
        response = client.get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert policy_of(response)["frame-ancestors"] == "frame-ancestors 'none'", path


def test_it_serves_the_same_chat_page_plus_the_embed_script(client, reference_data):
    chat = client.get("/chat/").content.decode()
    embed = client.get("/chat/embed/").content.decode()

    assert EMBED_SCRIPT not in chat
    assert embed.count(EMBED_SCRIPT) == 1
    # Loaded before chat.js, so the host's province is chosen before the chat reads it.
    assert embed.index(EMBED_SCRIPT) < embed.index("/static/chat/chat.js")
    # Nothing else differs: a change to the chat page reaches the embedded chat too.
    assert embed.replace(EMBED_SCRIPT, "") == chat


def test_it_refuses_the_embed_page_to_anything_but_a_get(client, reference_data):
    assert client.post("/chat/embed/").status_code == 405


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://DoanThanhNien.vn", "https://doanthanhnien.vn"),
        ("https://doanthanhnien.vn/", "https://doanthanhnien.vn"),
        ("https://doanthanhnien.vn:443", "https://doanthanhnien.vn"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
    ],
)
def test_it_stores_an_origin_as_browsers_send_it(given, stored):
    assert origin_normalize(given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "https://doanthanhnien.vn/chat",
        "https://*.doanthanhnien.vn",
        "doanthanhnien.vn",
        "javascript:alert(1)",
        "https://user:pw@doanthanhnien.vn",
        "https://doanthanhnien.vn/?a=1",
        "'none'",
    ],
)
def test_it_refuses_anything_but_one_exact_origin(given):
    with pytest.raises(ValidationError):
        origin_normalize(given)


def test_it_lets_the_administrator_allow_an_origin_in_the_admin(client, administrator):
    staff_login(client, administrator)
    add = reverse("admin:connectors_embedorigin_add")

    refused = client.post(add, {"origin": "https://*.example.vn", "label": "", "is_active": "on"})
    assert refused.status_code == 200
    assert not EmbedOrigin.objects.exists()

    client.post(add, {"origin": "https://Example.vn/", "label": "Tỉnh đoàn", "is_active": "on"})
    assert list(EmbedOrigin.objects.values_list("origin", flat=True)) == ["https://example.vn"]
    assert policy_of(client.get("/chat/embed/"))["frame-ancestors"] == (
        "frame-ancestors https://example.vn"
    )


def test_it_keeps_the_widget_script_under_30_kb_gzipped_and_free_of_inline_styles():
    source = WIDGET.read_bytes()
    assert len(gzip.compress(source)) < 30 * 1024
    text = source.decode()
    # A host's strict style-src refuses style attributes and <style> elements.
    assert ".style." not in text
    assert 'setAttribute("style"' not in text
    assert 'createElement("style")' not in text
