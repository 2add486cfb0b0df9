"""Asking for the password or a second-factor code again before a sensitive step.

`reauth_required(max_age_seconds)` guards a view: it runs only when this session
proved who it is (logging in, or the re-authentication form) within the last
max_age_seconds (REAUTH_MAX_AGE_SECONDS, 10 minutes, by default). Otherwise:

- a POST gets the re-authentication form in its place, carrying every field
  the person sent as hidden inputs and posting back to the same URL; the view
  then runs with exactly what they typed. Nothing is kept on the server.
- a GET is sent to /accounts/reauth/?next=<its path>, which comes back after.
- a request that wants JSON (the console's fetches) gets 401 with the
  re-authentication page's URL, to open beside the console, and asks again.

Guarded: revealing a phone number (calls and callbacks) and sending an
escalation with the transcript attached. Meant too for exporting a report and
break-glass.
"""

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

REAUTH_SESSION_KEY = "reauth_at"
PASSWORD_FIELD = "reauth_password"  # noqa: S105 - a form field's name
CODE_FIELD = "reauth_code"


def reauth_mark(request) -> None:
    """Note that this session proved who it is just now."""
    request.session[REAUTH_SESSION_KEY] = int(time.time())


def reauth_fresh(request, max_age_seconds: int | None = None) -> bool:
    max_age = settings.REAUTH_MAX_AGE_SECONDS if max_age_seconds is None else max_age_seconds
    proved_at = request.session.get(REAUTH_SESSION_KEY)
    return isinstance(proved_at, int) and time.time() - proved_at <= max_age


def reauth_check(request, *, password: str, code: str) -> bool:
    """Whether the password or a second-factor code given again is right; mark it when it is.

    A wrong password counts as a failed login (django-axes), a wrong code
    against the device's own throttling.
    """
    from accounts.second_factor import second_factor_exempt
    from accounts.services import second_factor_check

    user = request.user
    proved = False
    if password:
        # django-axes records a failure with the request's form fields; the form
        # being replayed may hold what a child said, so it sees none of them.
        replayed, request.POST = request.POST, QueryDict()
        try:
            proved = authenticate(request, username=user.get_username(), password=password) == user
        finally:
            request.POST = replayed
    elif code and not second_factor_exempt(user):
        proved = second_factor_check(user=user, token=code) is not None
    if proved:
        reauth_mark(request)
    return proved


def reauth_url(next_path: str = "") -> str:
    url = reverse("accounts:reauth")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _replayed_fields(request) -> list[tuple[str, str]]:
    skipped = {"csrfmiddlewaretoken", PASSWORD_FIELD, CODE_FIELD}
    return [
        (name, value)
        for name, values in request.POST.lists()
        if name not in skipped
        for value in values
    ]


def reauth_required(max_age_seconds: int | None = None, *, when=None):
    """Run the view only after the password or a code was given within max_age_seconds.

    when(request) -> bool narrows the rule to some requests (an escalation only
    when the transcript is attached); by default every request is guarded.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if (when is not None and not when(request)) or reauth_fresh(request, max_age_seconds):
                return view(request, *args, **kwargs)
            if _wants_json(request):
                return JsonResponse(
                    {
                        "error": "reauth_required",
                        "detail": _("Hãy xác nhận lại mật khẩu hoặc mã, rồi thử lại."),
                        "reauth_url": reauth_url(),
                    },
                    status=401,
                )
            if request.method != "POST":
                # The whole address, query included: an export names its report there.
                return redirect(reauth_url(request.get_full_path()))
            password = request.POST.get(PASSWORD_FIELD, "")
            code = request.POST.get(CODE_FIELD, "")
            if (password or code) and reauth_check(request, password=password, code=code):
                # The view sees what the person sent the first time, without the credential.
                request.POST = request.POST.copy()
                for name in (PASSWORD_FIELD, CODE_FIELD):
                    request.POST.pop(name, None)
                return view(request, *args, **kwargs)
            return render(
                request,
                "accounts/reauth.html",
                {
                    "action": request.path,
                    "replayed": _replayed_fields(request),
                    "failed": bool(password or code),
                    "needs_code": _needs_code(request.user),
                },
                status=200,
            )

        return wrapper

    return decorator


def _needs_code(user) -> bool:
    from accounts.second_factor import second_factor_exempt

    return not second_factor_exempt(user)
