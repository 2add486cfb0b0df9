"""A login notes its session for the owner's list and counts as having just proved who one is."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts.middleware import SEEN_SESSION_KEY
from accounts.models import StaffSession
from accounts.reauth import reauth_mark
from accounts.services import staff_session_record


@receiver(user_logged_in)
def staff_session_note(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    reauth_mark(request)
    session[SEEN_SESSION_KEY] = int(time.time())
    if not session.session_key:
        # A login over another person's session flushed it: the new key comes with a save.
        session.save()
    staff_session_record(
        user=user,
        session_key=session.session_key,
        user_agent=request.headers.get("User-Agent", "") if hasattr(request, "headers") else "",
    )


@receiver(user_logged_out)
def staff_session_forget(sender, request, user, **kwargs):
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        StaffSession.objects.filter(session_key=session_key).delete()
