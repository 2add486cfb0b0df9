"""The two live pages: the young person's web chat and the operators' console.

Both pages are shells: everything live happens over their websockets
(docs/protocol.md). The views only hand the scripts what they cannot ask the
socket for, such as the province list or where quick exit goes.
"""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpline.access import hotline_staff_required
from helpline.models import AgeGroup, Hotline, Risk
from helpline.provinces import all_provinces

# Both pages run under the site's policy (CONTENT_SECURITY_POLICY in settings): only
# their own scripts and styles, talking only to their own origin. A page that a
# frightened child opens must not pull code or beacons from anywhere else. Each
# adds its blank data: favicon, which keeps the browser from asking for one.
CHAT_CSP = {"img-src": ["data:"]}
# The console may also reach Twilio: the softphone's signalling socket, its event
# gateway and its ringtones (wss/https on *.twilio.com). Nothing else.
CONSOLE_CSP = {
    "img-src": ["data:"],
    "media-src": ["'self'", "blob:", "https://*.twilio.com"],
    "connect-src": ["https://*.twilio.com", "wss://*.twilio.com"],
}


# Any UUID works as the placeholder the script replaces with a conversation's id.
URL_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def _telephony_urls() -> dict:
    """Where the console asks about phone conversations and gets its softphone."""

    def template(name: str) -> str:
        return reverse(name, args=[URL_PLACEHOLDER])

    return {
        "placeholder": URL_PLACEHOLDER,
        "state": template("telephony:phone_state"),
        "reveal": template("telephony:phone_reveal"),
        "reconnect": template("telephony:call_reconnect"),
        "voiceToken": reverse("telephony:voice_token"),
        # Loaded only once the token view answers: a console without a softphone never fetches it.
        "sdk": static("vendor/twilio-voice/twilio.min.js"),
    }


@login_not_required
@csp_update(CHAT_CSP)
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
    return response


@csp_update(CONSOLE_CSP)
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
    return render(
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
                "isSupervisor": user.is_supervisor,
                "csrfToken": get_token(request),
                "telephony": _telephony_urls(),
            },
        },
    )
