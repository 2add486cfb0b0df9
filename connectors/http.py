"""The one HTTP client the connectors use to reach the platforms' APIs.

The standard library's urllib is enough for a few JSON and form POSTs, so no
dependency is added. Proxies from the environment are ignored: tokens and
young people's messages go to the platform and nowhere else. Nothing here
logs a URL, a header or a body: URLs carry ids, headers carry tokens.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EdgeUnreachable(Exception):
    """The platform could not be reached, or answered with something that is not JSON."""


@dataclass(frozen=True)
class EdgeAnswer:
    status: int
    data: dict


def _send(request: urllib.request.Request) -> EdgeAnswer:
    try:
        response = _opener.open(request, timeout=settings.CONNECTOR_HTTP_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        # Error statuses still carry the platform's JSON explanation.
        response = error
    except (OSError, ValueError) as error:
        raise EdgeUnreachable(type(error).__name__) from None
    with response:
        status = response.status if hasattr(response, "status") else response.code
        try:
            raw = response.read()
        except OSError as error:
            raise EdgeUnreachable(type(error).__name__) from None
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise EdgeUnreachable(f"not json ({status})") from None
    return EdgeAnswer(status=status, data=data if isinstance(data, dict) else {})


def post_json(url: str, payload: dict, *, headers: dict[str, str]) -> EdgeAnswer:
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the base URLs are checked in settings
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )
    return _send(request)


def post_form(url: str, fields: dict[str, str], *, headers: dict[str, str]) -> EdgeAnswer:
    request = urllib.request.Request(  # noqa: S310 - the base URLs are checked in settings
        url,
        data=urlencode(fields).encode(),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    return _send(request)
