"""Pages refuse a session that has not passed the second factor, and sessions note their use.

SecondFactorRequiredMiddleware is the one place pages enforce the second factor
(sockets do it in helpline.selectors.staff_for_socket, by the same rule): after
LoginRequiredMiddleware, every view that needs a login sends a signed-in person
whose session is not verified to enrol (no device yet) or to verify, and back.
Views open without a login, and the few steps of signing in themselves
(marked with second_factor_not_required), are let through.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accounts.second_factor import second_factor_enrolled, second_factor_verified

SEEN_SESSION_KEY = "staff_seen_at"


def second_factor_not_required(view):
    """Let a signed-in person reach this view before the second factor (enrol, verify, logout)."""
    view.second_factor_required = False
    return view


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        if not getattr(view_func, "second_factor_required", True):
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        if second_factor_verified(user=user, session=request.session):
            return None
        step = "accounts:verify" if second_factor_enrolled(user) else "accounts:enrol"
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")


class StaffSessionMiddleware:
    """Keep each signed-in session's row (browser family, last activity) for its owner's list.

    The time of the last write is kept in the session itself, so most requests
    cost no query; the row is written again at most every SESSION_TOUCH_SECONDS.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        self._touch(request)
        return response

    def _touch(self, request):
        from accounts.services import SESSION_TOUCH_SECONDS, staff_session_touch

        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session to describe (the youth chat sends no cookie); a login notes its own.
            return
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or not user.is_authenticated:
            return
        if not session.session_key or session.get("_auth_user_id") != str(user.pk):
            return  # Logged out during this request.
        seen_at = session.get(SEEN_SESSION_KEY)
        now = time.time()
        if isinstance(seen_at, int | float) and now - seen_at < SESSION_TOUCH_SECONDS:
            return
        staff_session_touch(
            user=user,
            session_key=session.session_key,
            user_agent=request.headers.get("User-Agent", ""),
            at=timezone.now(),
        )
        session[SEEN_SESSION_KEY] = int(now)
