"""Errors reach Sentry without any personal data (design §2).

The real SDK runs with a transport that keeps envelopes in memory instead of
sending them, which is the only part faked here.
"""

import logging

import pytest
import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from django.urls import path
from sentry_sdk.transport import Transport

from config import urls as project_urls
from config.sentry import init_sentry, sentry_options, strip_breadcrumb, strip_event
from tests.logins import staff_login

NAME = "Nguyễn Văn An"
PHONE = "0912345678"
DSN = "https://publickey@sentry.example.invalid/42"
logger = logging.getLogger("tests.sentry")


def failing_view(request):
    logger.warning("lookup failed for %s", request.POST.get("phone"))
    raise ValueError(f"could not file {request.POST.get('summary')}")


# The project's own URLs stay, because the error page links to them.
urlpatterns = [path("boom/", failing_view), *project_urls.urlpatterns]


class MemoryTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def events(self) -> list[dict]:
        return [
            item.payload.json
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == "event"
        ]


@pytest.fixture
def sentry():
    """Sentry started the way settings start it, sending into memory."""
    transport = MemoryTransport()
    init_sentry(dsn=DSN, environment="test", transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_it_starts_sentry_with_the_options_of_the_design():
    options = sentry_options(dsn=DSN, environment="production")
    assert options["send_default_pii"] is False
    assert options["max_request_body_size"] == "never"
    assert options["include_local_variables"] is False
    assert options["before_send"] is strip_event
    assert options["before_breadcrumb"] is strip_breadcrumb
    assert options["traces_sample_rate"] == 0.0


def test_it_passes_those_options_to_the_running_client(sentry):
    options = sentry_sdk.get_client().options
    assert options["send_default_pii"] is False
    assert options["max_request_body_size"] == "never"
    assert options["include_local_variables"] is False
    assert options["before_send"] is strip_event
    assert options["before_breadcrumb"] is strip_breadcrumb


def test_it_refuses_a_malformed_dsn_without_echoing_it():
    with pytest.raises(ImproperlyConfigured, match="SENTRY_DSN") as refused:
        init_sentry(dsn="https://sentry.example.invalid/secret-key-here", environment="test")
    assert "secret-key-here" not in str(refused.value)


@pytest.mark.django_db
@pytest.mark.urls("tests.test_sentry")
def test_it_sends_an_error_from_a_request_without_body_user_or_arguments(client, sentry, op_hanoi):
    staff_login(client, op_hanoi)
    client.raise_request_exception = False
    client.cookies["tracking"] = PHONE
    response = client.post(
        f"/boom/?phone={PHONE}",
        {"summary": NAME, "phone": PHONE},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 500
    sentry_sdk.flush()
    events = sentry.events()
    assert len(events) == 1
    event = events[0]
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert set(event.get("request", {})) <= {"method", "url"}
    sent = repr(events)
    for secret in (NAME, PHONE, "op_hanoi", "203.0.113.9", "sessionid"):
        assert secret not in sent, secret
    assert "user" not in event


def test_it_strips_an_event_down_to_what_carries_no_personal_data():
    event = {
        "request": {
            "method": "POST",
            "url": f"https://tongdai.example.vn/cases/7/?phone={PHONE}",
            "data": {"summary": NAME},
            "query_string": f"phone={PHONE}",
            "cookies": {"sessionid": "abc"},
            "headers": {"X-Forwarded-For": "203.0.113.9"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": 3, "username": "op_hanoi", "ip_address": "203.0.113.9"},
        "extra": {"body": NAME},
        "message": f"free text {PHONE}",
        "logentry": {"message": "lookup failed for %s", "params": [PHONE]},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"bad body {NAME}",
                    "stacktrace": {"frames": [{"function": "f", "vars": {"body": NAME}}]},
                }
            ]
        },
        "threads": {"values": [{"stacktrace": {"frames": [{"vars": {"phone": PHONE}}]}}]},
        "breadcrumbs": {
            "values": [
                {"category": "log", "level": "info", "message": f"sms from {PHONE}"},
                {"category": "query", "message": "SELECT 1 WHERE phone = %s", "data": {"p": 1}},
            ]
        },
    }
    clean = strip_event(event)
    assert clean["request"] == {"method": "POST", "url": "https://tongdai.example.vn/cases/7/"}
    assert "user" not in clean and "extra" not in clean
    assert clean["logentry"] == {"message": "lookup failed for %s"}
    assert clean["exception"]["values"][0]["type"] == "ValueError"
    assert clean["breadcrumbs"]["values"] == [
        {"category": "log", "level": "info"},
        {"category": "query", "message": "SELECT 1 WHERE phone = %s"},
    ]
    assert NAME not in repr(clean)
    assert PHONE not in repr(clean)
    assert "203.0.113.9" not in repr(clean)


def test_it_keeps_only_the_kind_of_a_breadcrumb():
    crumb = {
        "type": "http",
        "category": "httplib",
        "level": "info",
        "timestamp": "2026-11-28T00:00:00Z",
        "message": f"GET /sms?to={PHONE}",
        "data": {"url": f"https://api.twilio.com/?To={PHONE}"},
    }
    assert strip_breadcrumb(crumb) == {
        "type": "http",
        "category": "httplib",
        "level": "info",
        "timestamp": "2026-11-28T00:00:00Z",
    }
