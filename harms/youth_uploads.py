"""The young person's side of screenshots: POST /chat/upload/.

It answers JSON in the young person's language; the contract is in
docs/protocol.md ("Screenshots from the chat"). The chat page sets no cookie,
so there is no CSRF token: the Origin header must be the site's own, by the
sockets' rule (config/origin.py), and the conversation's token travels in a
header, never in the URL.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.origin import origin_allowed
from harms.screenshots import ScreenshotRefused, chat_screenshot_post
from harms.uploads import upload_read
from helpline import conversations

TOKEN_HEADER = "X-Chat-Token"  # noqa: S105 - a header's name, not a secret
LANGUAGE_HEADER = "X-Chat-Language"
LANGUAGES = ("vi", "en")
TOKEN_ERRORS = ("invalid_token", "token_expired")


def origin_is_own(request) -> bool:
    """Whether the request comes from a page of this site (scheme, host and port)."""
    headers = [(b"host", request.get_host().encode("latin-1"))]
    if "Origin" in request.headers:
        headers.append((b"origin", request.headers["Origin"].encode("latin-1")))
    return origin_allowed(
        {"type": "websocket", "scheme": "wss" if request.is_secure() else "ws", "headers": headers}
    )


def _refusal(status: int, error: str, message: str = "") -> JsonResponse:
    body = {"error": error}
    if message:
        body["message"] = message
    return JsonResponse(body, status=status)


@login_not_required
@csrf_exempt  # No cookie, so no token: origin_is_own stands in (see the module's docstring).
@never_cache
@require_POST
def chat_upload(request):
    """A screenshot in the chat: stored encrypted, posted as a message, acked with its seq."""
    if not origin_is_own(request):
        return _refusal(403, "forbidden_origin")
    language = request.headers.get(LANGUAGE_HEADER)
    with translation.override(language if language in LANGUAGES else settings.LANGUAGE_CODE):
        return _chat_upload(request)


def _chat_upload(request) -> JsonResponse:
    if request.content_type != "multipart/form-data":
        return _refusal(415, "unsupported_media_type")
    token = request.headers.get(TOKEN_HEADER, "")
    try:
        # Before the body is read: a wrong token costs no upload.
        conversations.conversation_get_by_token(token=token)
    except conversations.ConversationError as error:
        return _refusal(403, error.code, error.detail)
    data, too_large = upload_read(request, field="file", limit=settings.EVIDENCE_IMAGE_MAX_BYTES)
    if too_large:
        megabytes = settings.EVIDENCE_IMAGE_MAX_BYTES / (1024 * 1024)
        return _refusal(
            413,
            "too_large",
            translation.gettext("Ảnh quá lớn: tối đa %(mb)s MB.") % {"mb": f"{megabytes:g}"},
        )
    if data is None:
        return _refusal(400, "missing_field", translation.gettext("Hãy chọn một ảnh."))
    client_id = request.POST.get("client_id", "")
    try:
        posted = chat_screenshot_post(
            token=token,
            client_id=client_id,
            data=data,
            client_address=request.META.get("REMOTE_ADDR"),
        )
    except ScreenshotRefused as refused:
        return _refusal(refused.status, refused.code, refused.message)
    except conversations.ConversationError as error:
        status = 403 if error.code in TOKEN_ERRORS else 409
        return _refusal(status, error.code, error.detail)
    message = posted.message
    return JsonResponse(
        {
            "type": "ack",
            "client_id": str(message.client_id),
            "seq": message.seq,
            "attachment": {"id": str(message.attachment), "kind": message.attachment_kind},
        },
        status=201 if posted.created else 200,
    )
