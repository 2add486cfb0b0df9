"""What django-axes needs from this project: the key of an address, the limit, the lockout page.

Failed logins are counted per account and per address (AXES_LOCKOUT_PARAMETERS).
The address is never stored: axes keeps, in its ip_address column, a keyed hash
of the network (the young people's chat limits use the same hash) written as a
private-range IPv6 address, which is all that column accepts.
"""

import datetime
import ipaddress

from django.conf import settings
from django.db.models import Max, Q
from django.shortcuts import render
from django.utils import timezone

from helpline.conversations import client_address_hash


def client_address_key(request) -> str:
    """A stand-in for the client's address: fd00::/8 followed by 120 bits of its keyed hash."""
    digest = client_address_hash(request.META.get("REMOTE_ADDR", ""))
    return str(ipaddress.IPv6Address(bytes.fromhex("fd" + digest[:30])))


def failure_limit(request=None, credentials=None) -> int:
    return settings.AXES_FAILURE_LIMIT


def lockout_window_start(at: datetime.datetime | None = None) -> datetime.datetime:
    """Failures before this moment no longer count."""
    return (at or timezone.now()) - settings.AXES_COOLOFF_TIME


def locked_until(*, username: str, address_key: str) -> datetime.datetime:
    """When a lockout of this account or address ends: its last failure plus the cool-off."""
    from axes.models import AccessAttempt

    last = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=address_key),
        attempt_time__gte=lockout_window_start(),
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def lockout_response(request, original_response=None, credentials=None):
    """The login page again, saying in Vietnamese until when logins are refused (429)."""
    from django.contrib.auth.forms import AuthenticationForm

    username = (credentials or {}).get("username") or request.POST.get("username", "")
    until = locked_until(username=username, address_key=client_address_key(request))
    context = {
        "form": AuthenticationForm(request),
        "locked_until": timezone.localtime(until),
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)
