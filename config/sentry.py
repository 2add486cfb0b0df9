"""Sentry set up so that no personal data leaves the helpline.

Young people's messages, phone numbers and case notes must never reach a third
party. The SDK is told not to collect personal data, and every event and
breadcrumb is stripped of anything that may carry such data before it is sent:
request bodies, query strings, headers, cookies, the user, local variables,
exception messages and log arguments.
"""

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.utils import BadDsn, Dsn

# Top-level event keys that may hold identifiers or arbitrary data attached by code.
DROPPED_EVENT_KEYS = ("user", "extra")
# Breadcrumb keys kept as they are: none of them carries data typed by a person.
KEPT_BREADCRUMB_KEYS = ("type", "category", "level", "timestamp")


def strip_event(event: dict, hint: dict | None = None) -> dict:
    """Remove request data, user data, variables and free text from an event."""
    request = event.get("request")
    if request is not None:
        kept = {"method": request.get("method"), "url": _path_only(request.get("url"))}
        event["request"] = {key: value for key, value in kept.items() if value}
    for key in DROPPED_EVENT_KEYS:
        event.pop(key, None)
    if "logentry" in event:
        # The message template is kept; its arguments may be personal data.
        event["logentry"] = {"message": (event["logentry"] or {}).get("message", "")}
    if "message" in event:
        event["message"] = ""
    for exception in (event.get("exception") or {}).get("values", []):
        # Exception messages may quote input, such as a validation error on a body.
        exception["value"] = ""
        _strip_frames(exception.get("stacktrace"))
    for thread in (event.get("threads") or {}).get("values", []):
        _strip_frames(thread.get("stacktrace"))
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict):
        breadcrumbs["values"] = [strip_breadcrumb(b) for b in breadcrumbs.get("values", [])]
    return event


def strip_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    """Keep the category and level of a breadcrumb, never its message or data."""
    clean = {key: crumb[key] for key in KEPT_BREADCRUMB_KEYS if key in crumb}
    if crumb.get("category") == "query":
        # Without send_default_pii the SQL text holds placeholders, never parameters.
        clean["message"] = crumb.get("message", "")
    return clean


def _strip_frames(stacktrace: dict | None) -> None:
    for frame in (stacktrace or {}).get("frames", []):
        frame.pop("vars", None)


def _path_only(url: str | None) -> str | None:
    if not url:
        return url
    return url.split("?", 1)[0].split("#", 1)[0]


def sentry_options(*, dsn: str, environment: str) -> dict:
    """The options Sentry is started with; see design §2."""
    return {
        "dsn": dsn,
        "environment": environment,
        "send_default_pii": False,
        "max_request_body_size": "never",
        "include_local_variables": False,
        "before_send": strip_event,
        "before_breadcrumb": strip_breadcrumb,
        "traces_sample_rate": 0.0,
    }


def init_sentry(*, dsn: str, environment: str, **overrides) -> None:
    """Start Sentry, or raise ImproperlyConfigured naming SENTRY_DSN if it is not a DSN.

    overrides exist for tests, which pass a transport that keeps events in memory.
    """
    try:
        Dsn(dsn)
    except BadDsn:
        # The DSN holds a key, so it is not echoed back.
        raise ImproperlyConfigured("SENTRY_DSN is not a valid Sentry DSN") from None
    sentry_sdk.init(**{**sentry_options(dsn=dsn, environment=environment), **overrides})
