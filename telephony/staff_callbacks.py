"""The staff's side of safe callbacks: the task list and the pages under /callbacks/.

Ordinary pages with forms (session and CSRF token). Each POST calls one
function of telephony/callbacks.py and goes back with a message; reads go
through telephony/selectors.py, so a request outside one's scope is 404.
"""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.reauth import reauth_required
from helpline.access import hotline_staff_required
from telephony import callbacks
from telephony.models import CALLBACK_OPEN_STATES, CallbackOutcome, CallbackState
from telephony.selectors import (
    callback_attempts_of,
    callback_open_counts,
    callback_request_detail_for,
    callback_requests_open_for,
)


def _staff_name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def callback_item(callback, *, user, at) -> dict:
    """A request as the list and the console show it: masked number, window, codes."""
    local = timezone.get_default_timezone()
    starts = timezone.localtime(callback.window_starts_at, local)
    ends = timezone.localtime(callback.window_ends_at, local)
    is_open = callback.state in CALLBACK_OPEN_STATES
    asked_again = getattr(callback, "asked_again", 0)
    return {
        "id": str(callback.pk),
        "hotline": callback.hotline.code,
        "masked": callback.phone.masked,
        "window": {
            "date": starts.date().isoformat(),
            "start": starts.strftime("%H:%M"),
            "end": ends.strftime("%H:%M"),
        },
        "window_starts_at": callback.window_starts_at.isoformat(),
        "window_ends_at": callback.window_ends_at.isoformat(),
        "in_window": is_open and callback.window_starts_at <= at < callback.window_ends_at,
        "overdue": is_open and at >= callback.window_ends_at,
        # A repeat may have carried another answer, which it did not change: say no.
        "may_identify": callback.may_identify and not asked_again,
        "asked_again": asked_again,
        "age_group": callback.age_group,
        "language": callback.language,
        "requested_at": callback.created_at.isoformat(),
        "state": callback.state,
        "claimed_by": _staff_name(callback.claimed_by) or None,
        "claimed_by_me": callback.claimed_by_id == user.pk,
        "url": reverse("telephony:callback_detail", args=[callback.pk]),
    }


@never_cache
@require_GET
@hotline_staff_required
def callback_list(request):
    """The open callback requests of the user's hotline (every hotline's, for central)."""
    at = timezone.now()
    rows = [
        {"callback": callback, **callback_item(callback, user=request.user, at=at)}
        for callback in callback_requests_open_for(user=request.user)
    ]
    return render(
        request,
        "telephony/callbacks.html",
        {"rows": rows, "show_hotline": request.user.hotline.is_central},
    )


@never_cache
@require_GET
@hotline_staff_required
def callback_items(request):
    """The same list as JSON, for the console's panel, with the counts its badge shows."""
    at = timezone.now()
    items = [
        callback_item(callback, user=request.user, at=at)
        for callback in callback_requests_open_for(user=request.user)
    ]
    return JsonResponse({**callback_open_counts(hotline=request.user.hotline), "items": items})


def _detail(request, callback_id, *, number: str = ""):
    callback = callback_request_detail_for(user=request.user, callback_id=callback_id)
    user = request.user
    holds_it = callback.state == CallbackState.CLAIMED and callback.claimed_by_id == user.pk
    is_open = callback.state in CALLBACK_OPEN_STATES
    return render(
        request,
        "telephony/callbacks_detail.html",
        {
            "callback": callback,
            "item": callback_item(callback, user=user, at=timezone.now()),
            "attempts": callback_attempts_of(callback=callback),
            "outcomes": CallbackOutcome.choices,
            "holds_it": holds_it,
            "can_claim": callback.state == CallbackState.REQUESTED,
            "can_release": callback.state == CallbackState.CLAIMED
            and (holds_it or user.is_supervisor),
            "can_cancel": is_open and (holds_it or user.is_supervisor),
            "number": number,
        },
    )


@never_cache
@require_GET
@hotline_staff_required
def callback_detail(request, callback_id):
    """One request: its facts and attempts, and what this user may do with it."""
    return _detail(request, callback_id)


def _after_step(request, callback_id, step, *, success: str, back_to_list: bool = False):
    """Run one service step, then go back with its message: to the list once the request is
    gone from this user's hands, else to the request's page."""
    try:
        step()
    except (callbacks.CallbackAlreadyClaimed, callbacks.CallbackClosed) as refused:
        messages.error(request, str(refused))
        return redirect("telephony:callbacks")
    except callbacks.CallbackError as refused:
        messages.error(request, str(refused))
        return redirect("telephony:callback_detail", callback_id=callback_id)
    messages.success(request, success)
    if back_to_list:
        return redirect("telephony:callbacks")
    return redirect("telephony:callback_detail", callback_id=callback_id)


@never_cache
@require_POST
@hotline_staff_required
def callback_claim(request, callback_id):
    """Take the request as one's own task; the loser of a race learns who won."""
    return _after_step(
        request,
        callback_id,
        lambda: callbacks.callback_claim(user=request.user, callback_id=callback_id),
        success=_("Bạn đã nhận yêu cầu gọi lại này."),
    )


@never_cache
@require_POST
@hotline_staff_required
def callback_attempt(request, callback_id):
    """Write down one try and how it went."""
    outcome = request.POST.get("outcome", "")
    return _after_step(
        request,
        callback_id,
        lambda: callbacks.callback_attempt_record(
            user=request.user, callback_id=callback_id, outcome=outcome
        ),
        success=_("Đã ghi lại lần gọi."),
    )


@never_cache
@require_POST
@hotline_staff_required
def callback_finish(request, callback_id):
    """Close the request as done, with its last attempt's outcome."""
    return _after_step(
        request,
        callback_id,
        lambda: callbacks.callback_finish(user=request.user, callback_id=callback_id),
        success=_("Đã đánh dấu xong."),
        back_to_list=True,
    )


@never_cache
@require_POST
@hotline_staff_required
def callback_release(request, callback_id):
    """Give the request back to the hotline."""
    return _after_step(
        request,
        callback_id,
        lambda: callbacks.callback_release(user=request.user, callback_id=callback_id),
        success=_("Đã trả yêu cầu lại cho tổng đài."),
        back_to_list=True,
    )


@never_cache
@require_POST
@hotline_staff_required
def callback_cancel(request, callback_id):
    """Close the request without calling back."""
    return _after_step(
        request,
        callback_id,
        lambda: callbacks.callback_cancel(user=request.user, callback_id=callback_id),
        success=_("Đã huỷ yêu cầu gọi lại."),
        back_to_list=True,
    )


@never_cache
@require_POST
@hotline_staff_required
@reauth_required()
def callback_reveal(request, callback_id):
    """Show the holder the full number on the request's page; each reveal is recorded.

    The number is in this answer only, never in a URL and never cached: a reload
    of the page shows it masked again.
    """
    try:
        number = callbacks.callback_number_reveal(user=request.user, callback_id=callback_id)
    except callbacks.CallbackError as refused:
        messages.error(request, str(refused))
        return redirect("telephony:callback_detail", callback_id=callback_id)
    return _detail(request, callback_id, number=number)
