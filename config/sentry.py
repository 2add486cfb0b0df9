"""Sentry set up so that no personal data leaves the helpline.

Young people's messages, phone numbers and case notes must never reach a third
party. The SDK is told not to collect personal data, and every event and
breadcrumb is stripped of anything that may carry such data before it is sent.
"""

import sentry_sdk

# Keys whose values may carry message bodies or identifiers.
SENSITIVE_KEYS = {"body", "message", "text", "summary", "note", "token", "from", "to", "phone"}


def strip_event(event: dict, hint: dict | None = None) -> dict:
    """Remove request data, user data, variables and free text from an event."""
    request = event.get("request")
    if request:
        event["request"] = {"method": request.get("method"), "url": _path_only(request.get("url"))}
    event.pop("user", None)
    event.pop("extra", None)
    if "logentry" in event:
        event["logentry"] = {"message": (event["logentry"] or {}).get("message", "")}
    for exception in (event.get("exception") or {}).get("values", []):
        # Exception messages may quote input, such as a validation error on a body.
        exception["value"] = ""
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict):
        breadcrumbs["values"] = [strip_breadcrumb(b) for b in breadcrumbs.get("values", [])]
    return event


def strip_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    """Keep the category and level of a breadcrumb, never its message or data."""
    clean = {key: crumb[key] for key in ("type", "category", "level", "timestamp") if key in crumb}
    if crumb.get("category") == "query":
        # SQL text holds placeholders only, never parameters, so it is safe to keep.
        clean["message"] = crumb.get("message", "")
    return clean


def _path_only(url: str | None) -> str | None:
    if not url:
        return url
    return url.split("?", 1)[0]


def init_sentry(*, dsn: str, environment: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=strip_event,
        before_breadcrumb=strip_breadcrumb,
        traces_sample_rate=0.0,
    )
