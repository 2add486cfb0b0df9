"""Every page carries a strict Content-Security-Policy; the live pages add only what they need."""

import re

import pytest
from django.test import Client
from django.urls import get_resolver

from tests.helpline.test_settings import all_routes
from tests.logins import staff_login

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": {"'none'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'"},
    "font-src": {"'self'"},
    "connect-src": {"'self'"},
    "form-action": {"'self'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
}


def directives(policy: str) -> dict[str, set[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = set(sources)
    return parsed


def fixed_routes() -> list[str]:
    """Every URL pattern without a parameter, as a path."""
    paths = set()
    for route, _view in all_routes(get_resolver().url_patterns):
        path = route.replace("^", "").replace("$", "").replace("\\Z", "")
        if re.search(r"[<>()\[\]?*+\\|{}]", path):
            continue
        paths.add("/" + path)
    return sorted(paths)


def test_it_walks_a_good_part_of_the_site():
    routes = fixed_routes()

    assert {"/", "/chat/", "/console/", "/cases/", "/liaison/", "/admin/", "/healthz"} <= set(
        routes
    )
    assert len(routes) > 25


@pytest.mark.parametrize("who", [None, "op_hanoi", "sup_central", "liaison_a05", "administrator"])
def test_it_sends_a_strict_policy_on_every_page(request, reference_data, who):
    user = request.getfixturevalue(who) if who else None
    client = Client(raise_request_exception=False)

    for path in fixed_routes():
        for method in (client.get, client.post):
            # The walk posts to the logout pages too: log in again before each request.
            if user:
                staff_login(client, user)
            response = method(path)
            assert "Content-Security-Policy" in response, (path, response.status_code)
            policy = directives(response["Content-Security-Policy"])
            for name, sources in STRICT.items():
                # Pages may add sources (below), never loosen the frame, base and default rules.
                assert sources <= policy[name], (path, name, policy[name])
            assert policy["default-src"] == {"'none'"}, path
            assert policy["frame-ancestors"] == {"'none'"}, path
            assert policy["base-uri"] == {"'none'"}, path
            assert "'unsafe-inline'" not in response["Content-Security-Policy"], path
            assert "'unsafe-eval'" not in response["Content-Security-Policy"], path


def test_it_gives_ordinary_pages_nothing_beyond_the_strict_policy(client, sup_hanoi):
    staff_login(client, sup_hanoi)

    for path in ("/cases/", "/accounts/login/", "/healthz", "/canned/"):
        assert directives(client.get(path)["Content-Security-Policy"]) == STRICT, path


def test_it_lets_the_youth_chat_show_its_blank_icon_and_nothing_more(client, reference_data):
    policy = directives(client.get("/chat/")["Content-Security-Policy"])

    assert policy == {**STRICT, "img-src": {"'self'", "data:"}}


def test_it_lets_the_console_reach_twilio_for_the_softphone_and_nothing_more(client, op_hanoi):
    staff_login(client, op_hanoi)

    policy = directives(client.get("/console/")["Content-Security-Policy"])

    assert policy == {
        **STRICT,
        "img-src": {"'self'", "data:"},
        "media-src": {"'self'", "blob:", "https://*.twilio.com"},
        "connect-src": {"'self'", "https://*.twilio.com", "wss://*.twilio.com"},
    }


def test_it_sends_the_policy_on_error_pages_too(client):
    assert "Content-Security-Policy" in client.get("/no-such-page/")
