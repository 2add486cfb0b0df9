"""The young person's side of safe callbacks: POST /chat/callback/.

It answers JSON in the young person's language. Its fields and answers are the
contract the chat page is built against (docs/protocol.md, "Callback requests").
Every change it makes goes through telephony/callbacks.py.
"""

import datetime
import json
import re

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.origin import origin_allowed
from helpline.models import AgeGroup
from helpline.provinces import provinces_by_code
from telephony import callbacks
from telephony.phone import phone_keys_configured, phone_vietnam_e164

# A request is a handful of short fields; anything bigger is not one.
CALLBACK_MAX_BODY_BYTES = 2048
CALLBACK_FIELDS = frozenset(
    (
        "province",
        "phone",
        "window_start",
        "window_end",
        "day",
        "may_identify",
        "language",
        "age_group",
    )
)
LANGUAGES = ("vi", "en")
TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _active_language() -> str:
    """The language switch's choice (its cookie), else Vietnamese."""
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]


def origin_is_own(request) -> bool:
    """Whether the request comes from a page of this site: same scheme, host and port.

    The chat page sets no cookie, so there is no CSRF token to check. The
    browser's Origin header stands in: a page elsewhere (another site, plain
    http, another port) cannot send a number in a young person's name. The
    sockets' rule decides (config.origin: the site's own full origin, or one
    of CSRF_TRUSTED_ORIGINS), handed this request's headers and whether it
    came over TLS as a handshake would carry them.
    """
    headers = [(b"host", request.get_host().encode("latin-1"))]
    if "Origin" in request.headers:
        headers.append((b"origin", request.headers["Origin"].encode("latin-1")))
    return origin_allowed(
        {"type": "websocket", "scheme": "wss" if request.is_secure() else "ws", "headers": headers}
    )


def _refusal(status: int, error: str, message: str = "", **extra) -> JsonResponse:
    body = {"error": error, **extra}
    if message:
        body["message"] = message
    return JsonResponse(body, status=status)


def _time_field(data: dict, name: str, errors: dict):
    raw = data.get(name)
    if raw is None or raw == "":
        errors[name] = {"code": "required", "message": _("Hãy chọn giờ.")}
        return None
    match = TIME_OF_DAY.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        errors[name] = {"code": "invalid", "message": _("Giờ phải có dạng HH:MM, ví dụ 18:30.")}
        return None
    return datetime.time(int(match[1]), int(match[2]))


def _choice_field(data: dict, name: str, choices, errors: dict, message: str) -> str:
    value = data.get(name)
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or value not in choices:
        errors[name] = {"code": "invalid", "message": message}
        return ""
    return value


def callback_fields(data: dict, *, at) -> tuple[dict, dict]:
    """The request's values, and the errors per field ({"code", "message"}) when there are any."""
    errors: dict = {}
    for name in sorted(set(data) - CALLBACK_FIELDS):
        errors[name] = {"code": "unknown", "message": _("Trường này không được nhận.")}
    province = _choice_field(
        data, "province", provinces_by_code(), errors, _("Tỉnh/thành không hợp lệ.")
    )
    phone = None
    if data.get("phone") in (None, ""):
        errors["phone"] = {"code": "required", "message": _("Hãy nhập số điện thoại.")}
    else:
        phone = phone_vietnam_e164(data["phone"])
        if phone is None:
            errors["phone"] = {
                "code": "invalid",
                "message": _(
                    "Số điện thoại không hợp lệ. Hãy nhập số di động hoặc số cố định Việt Nam, "
                    "ví dụ 0912 345 678."
                ),
            }
    start = _time_field(data, "window_start", errors)
    end = _time_field(data, "window_end", errors)
    day = _choice_field(
        data, "day", (callbacks.TODAY, callbacks.TOMORROW), errors, _("Ngày không hợp lệ.")
    )
    may_identify = data.get("may_identify")
    if may_identify is None:
        errors["may_identify"] = {
            "code": "required",
            "message": _("Hãy cho biết tư vấn viên có được nói là gọi từ tổng đài không."),
        }
    elif not isinstance(may_identify, bool):
        errors["may_identify"] = {"code": "invalid", "message": _("Hãy chọn có hoặc không.")}
    language = _choice_field(data, "language", LANGUAGES, errors, _("Ngôn ngữ không hợp lệ."))
    age_group = _choice_field(
        data, "age_group", AgeGroup.values, errors, _("Nhóm tuổi không hợp lệ.")
    )
    window = None
    if start is not None and end is not None and "day" not in errors:
        try:
            window = callbacks.callback_window(start=start, end=end, day=day, at=at)
        except callbacks.CallbackWindowInvalid as invalid:
            errors[invalid.field] = {"code": invalid.code, "message": str(invalid)}
    if errors:
        return {}, errors
    return {
        "province_code": province,
        "phone": phone,
        "window_starts_at": window[0],
        "window_ends_at": window[1],
        "may_identify": may_identify,
        "language": language or _active_language(),
        "age_group": age_group,
    }, {}


def callback_answer(*, window_starts_at, window_ends_at, may_identify: bool, at) -> dict:
    """What the young person is told: when they will be called, and how the caller will sound."""
    local = timezone.get_default_timezone()
    starts = timezone.localtime(window_starts_at, local)
    ends = timezone.localtime(window_ends_at, local)
    is_today = starts.date() == timezone.localtime(at, local).date()
    when = (_("hôm nay, %(date)s") if is_today else _("ngày mai, %(date)s")) % {
        "date": starts.strftime("%d/%m")
    }
    message = _(
        "Đã nhận yêu cầu. Tổng đài sẽ gọi lại cho bạn trong khoảng %(start)s–%(end)s, %(when)s."
    ) % {"start": starts.strftime("%H:%M"), "end": ends.strftime("%H:%M"), "when": when}
    if may_identify:
        how = _("Khi gọi, tư vấn viên sẽ giới thiệu là Tổng đài hỗ trợ thanh thiếu nhi.")
    else:
        how = _(
            "Khi gọi, tư vấn viên sẽ không nói là gọi từ tổng đài cho tới khi chắc chắn đang "
            "nói chuyện với bạn."
        )
    return {
        "status": "requested",
        "message": f"{message} {how}",
        "window": {
            "date": starts.date().isoformat(),
            "day": callbacks.TODAY if is_today else callbacks.TOMORROW,
            "start": starts.strftime("%H:%M"),
            "end": ends.strftime("%H:%M"),
        },
        "may_identify": may_identify,
    }


@login_not_required
@csrf_exempt  # No cookie, so no token: origin_is_own stands in (see its docstring).
@never_cache
@require_POST
def callback_request(request):
    """POST /chat/callback/: a young person asks to be called back. No number is ever logged."""
    if not origin_is_own(request):
        return _refusal(403, "forbidden_origin")
    if request.content_type != "application/json":
        return _refusal(415, "unsupported_media_type")
    if len(request.body) > CALLBACK_MAX_BODY_BYTES:
        return _refusal(413, "too_large")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return _refusal(400, "invalid_json")
    language = data.get("language")
    if language not in LANGUAGES:
        language = _active_language()
    with translation.override(language):
        return _callback_request_answer(request, data)


def _callback_request_answer(request, data: dict) -> JsonResponse:
    if not phone_keys_configured():
        # Without the key a number has nowhere safe to go: refuse, never store it plain.
        return _refusal(
            503,
            "unavailable",
            _("Hiện chưa thể nhận yêu cầu gọi lại. Bạn vẫn có thể trò chuyện với chúng tôi ở đây."),
        )
    at = timezone.now()
    values, errors = callback_fields(data, at=at)
    if errors:
        return _refusal(400, "invalid", _("Hãy kiểm tra lại các ô được đánh dấu."), fields=errors)
    try:
        callbacks.callback_request_create(
            **values, client_address=request.META.get("REMOTE_ADDR"), at=at
        )
    except callbacks.TooManyCallbackRequests:
        return _refusal(
            429,
            "too_many_requests",
            _(
                "Đã có nhiều yêu cầu gọi lại từ mạng này trong một giờ qua. Hãy thử lại sau, "
                "hoặc trò chuyện với chúng tôi ngay ở đây."
            ),
        )
    # A repeat for a number that already waits gets the same answer as a first request:
    # the answer must not tell whoever typed a number that this number asked for help.
    return JsonResponse(
        callback_answer(
            window_starts_at=values["window_starts_at"],
            window_ends_at=values["window_ends_at"],
            may_identify=values["may_identify"],
            at=at,
        ),
        status=201,
    )
