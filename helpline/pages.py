"""The two live pages: the young person's web chat and the operators' console.

Both pages are shells: everything live happens over their websockets
(docs/protocol.md). The views only hand the scripts what they cannot ask the
socket for, such as the province list or where quick exit goes.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpline.access import hotline_staff_required
from helpline.models import AgeGroup, Hotline, Risk
from helpline.provinces import all_provinces

# The chat page runs only its own script and talks only to its own origin. A page
# that a frightened child opens must not pull code or beacons from anywhere else.
CHAT_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
CONSOLE_CSP = CHAT_CSP


def _with_csp(response, policy: str):
    response["Content-Security-Policy"] = policy
    return response


@login_not_required
@never_cache
@require_GET
def chat(request):
    """The anonymous youth chat. Nothing personal is asked for or put in the URL."""
    provinces = [(p.code, p.name) for p in all_provinces()]
    response = render(
        request,
        "helpline/chat.html",
        {
            "provinces": provinces,
            "age_groups": AgeGroup.choices,
            "chat_config": {
                "quickExitUrl": settings.QUICK_EXIT_URL,
                "language": (get_language() or "vi")[:2],
            },
        },
    )
    # The neutral site a young person escapes to must not learn where they came from.
    response["Referrer-Policy"] = "no-referrer"
    return _with_csp(response, CHAT_CSP)


@never_cache
@require_GET
@hotline_staff_required
def console(request):
    """The live console: queue, conversations, presence."""
    user = request.user
    hotlines = [
        {"code": hotline.code, "name": hotline.name}
        for hotline in Hotline.objects.exclude(pk=user.hotline_id)
    ]
    response = render(
        request,
        "helpline/console.html",
        {
            "risks": Risk.choices,
            "console_config": {
                "language": (get_language() or "vi")[:2],
                "hotline": user.hotline.code if user.hotline else "",
                "hotlines": hotlines,
                "provinces": {p.code: p.name for p in all_provinces()},
                "risks": dict(Risk.choices),
                "capacity": settings.OPERATOR_CAPACITY,
                "heartbeatSeconds": max(5, settings.PRESENCE_TTL_SECONDS // 3),
                "caseUrlTemplate": reverse("cases:detail", args=[0]),
            },
        },
    )
    return _with_csp(response, CONSOLE_CSP)
