"""The youth chat inside a frame on another site: the page the widget opens.

static/widget/helpline-widget.js, on a union website or in the union's app,
opens /chat/embed/ in a frame. The page is the youth chat itself (the same
template and context as /chat/, with `embedded` set) plus
static/widget/embed.js, which preselects the host's province and carries the
chat's quick exit out to the host page. Only the origins administrators
allowed (EmbedOrigin) may frame it; docs/protocol.md describes the messages
between the frame and the widget.
"""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from connectors.selectors import embed_origins_allowed
from helpline.pages import CHAT_CSP, chat_context


@login_not_required
@xframe_options_exempt
@never_cache
@require_GET
def chat_embed(request):
    """The youth chat for a frame on an allowed site (the widget). Framed anywhere else, refused.

    Only the origins administrators allowed (EmbedOrigin) may frame it
    (Content-Security-Policy frame-ancestors); with none, nobody may. The
    host's province comes in the address's fragment (#province=01), which the
    server never sees.
    """
    response = render(request, "helpline/chat.html", chat_context(embedded=True))
    response["Referrer-Policy"] = "no-referrer"
    response._csp_update = CHAT_CSP
    response._csp_replace = {"frame-ancestors": embed_origins_allowed() or ["'none'"]}
    return response
