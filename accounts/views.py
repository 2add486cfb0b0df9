"""The steps of signing in after the password, re-authentication, sessions and lockouts."""

from urllib.parse import urlencode

import segno
from csp.decorators import csp_update
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from accounts import selectors, services
from accounts.browsers import browser_label
from accounts.middleware import second_factor_not_required
from accounts.reauth import CODE_FIELD, PASSWORD_FIELD, reauth_check, reauth_mark, reauth_required
from accounts.second_factor import (
    second_factor_enrolled,
    second_factor_exempt,
    second_factor_verified,
)

# The enrolment page draws its QR code as an SVG data: URI, made on the server.
QR_CSP = {"img-src": ["data:"]}


def _next_path(request, default: str | None = None) -> str:
    """The local path to go on to after this step, or default (home) when missing or not ours."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home") if default is None else default


def _key_groups(device) -> str:
    """The device's key in base32, in groups of four for typing by hand."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode()
    return " ".join(key[index : index + 4] for index in range(0, len(key), 4))


@second_factor_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """Ask for the code of the authenticator app, or a recovery code, once per session."""
    user = request.user
    next_path = _next_path(request)
    if second_factor_verified(user=user, session=request.session):
        return redirect(next_path)
    if not second_factor_enrolled(user):
        return redirect(f"{reverse('accounts:enrol')}?{urlencode({'next': next_path})}")
    failed = False
    if request.method == "POST":
        device = services.second_factor_check(user=user, token=request.POST.get("code", ""))
        if device is not None:
            otp_login(request, device)
            reauth_mark(request)
            return redirect(next_path)
        failed = True
    return render(request, "accounts/verify.html", {"next": next_path, "failed": failed})


@second_factor_not_required
@csp_update(QR_CSP)
@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request):
    """Set up the authenticator app at the first login: a QR code, the key as text, a first code."""
    user = request.user
    next_path = _next_path(request)
    if second_factor_enrolled(user) or second_factor_exempt(user):
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': next_path})}")
    device = services.totp_device_for_enrolment(user=user)
    error = ""
    if request.method == "POST":
        try:
            device, codes = services.second_factor_enrol(
                user=user, device_id=device.pk, token=request.POST.get("code", "")
            )
        except ValidationError as refused:
            error = refused.messages[0]
        else:
            otp_login(request, device)
            reauth_mark(request)
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next": next_path}
            )
    qr = segno.make(device.config_url, error="m")
    context = {
        "qr_data_uri": qr.svg_data_uri(scale=5, dark="#000", light="#fff"),
        "key": _key_groups(device),
        "next": next_path,
        "error": error,
    }
    return render(request, "accounts/enrol.html", context)


@never_cache
@require_POST
@reauth_required()
def recovery_codes(request):
    """New recovery codes, shown once; the old ones stop working."""
    try:
        codes = services.recovery_codes_replace(user=request.user)
    except PermissionDenied:
        return redirect("accounts:enrol")
    return render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("home")}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reauth(request):
    """Give the password or a code again, then go back to where it was asked for."""
    next_path = _next_path(request, default="")
    failed = False
    if request.method == "POST":
        password = request.POST.get(PASSWORD_FIELD, "")
        code = request.POST.get(CODE_FIELD, "")
        if reauth_check(request, password=password, code=code):
            if next_path:
                return redirect(next_path)
            return render(request, "accounts/reauth_done.html")
        failed = True
    context = {
        "action": request.path,
        "next": next_path,
        "failed": failed,
        "needs_code": not second_factor_exempt(request.user),
    }
    return render(request, "accounts/reauth.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def sessions(request):
    """The person's own signed-in sessions; they can end any other one, or all others."""
    user = request.user
    current = request.session.session_key
    if request.method == "POST":
        if request.POST.get("end") == "others":
            ended = services.staff_sessions_end_others(user=user, current_session_key=current)
            messages.success(request, _("Đã kết thúc %(count)d phiên khác.") % {"count": ended})
        else:
            session_id = request.POST.get("session_id", "")
            if not session_id.isdigit():
                raise PermissionDenied
            services.staff_session_end(user=user, session_id=int(session_id))
            messages.success(request, _("Đã kết thúc phiên đăng nhập."))
        return redirect("accounts:sessions")
    rows = [
        {
            "id": row.pk,
            "browser": browser_label(row.browser),
            "started_at": row.started_at,
            "last_seen_at": row.last_seen_at,
            "current": row.session_key == current,
        }
        for row in selectors.staff_sessions_for_user(user=user)
    ]
    rows.sort(key=lambda row: not row["current"])
    return render(request, "accounts/sessions.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
def lockouts(request):
    """Locked-out accounts: a supervisor sees their hotline's, an administrator any."""
    user = request.user
    if not selectors.accounts_unlockable_by(user=user).exists():
        raise PermissionDenied
    if request.method == "POST":
        account_id = request.POST.get("account_id", "")
        if not account_id.isdigit():
            raise PermissionDenied
        account = services.account_unlock(by=user, user_id=int(account_id))
        messages.success(request, _("Đã mở khoá %(name)s.") % {"name": account.username})
        return redirect("accounts:lockouts")
    locked = selectors.locked_accounts_for_user(user=user)
    return render(request, "accounts/lockouts.html", {"locked": locked})
