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
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
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


# Every text of the chat page, Vietnamese first. The page carries them in both
# languages (chat_texts) so that the young person's choice of language lives in
# the page and its tab (sessionStorage, wiped by quick exit), never in a cookie
# that would stay on the device. The keys are the page's data-text names.
CHAT_TEXT = {
    "title": _("Trò chuyện với tư vấn viên"),
    "brand": _("Tổng đài hỗ trợ thanh thiếu nhi"),
    "quickExit": _("Thoát nhanh"),
    "exitHint": _("Thoát nhanh (hoặc Esc hai lần): rời trang ngay, xoá dấu vết."),
    "welcomeTitle": _("Bạn không một mình."),
    "lead": _("Trò chuyện miễn phí với tư vấn viên. Không cần tên hay số điện thoại."),
    "provinceLabel": _("Tỉnh/thành của bạn"),
    "optional": _("(không bắt buộc)"),
    "provinceNone": _("Không chọn"),
    "provinceHint": _("Không chọn thì bạn được nối với tổng đài trung ương."),
    "ageLabel": _("Tuổi của bạn"),
    "ageNone": _("Không muốn nói"),
    "noticeTitle": _("Trước khi bắt đầu"),
    "noticeStored": _(
        "Chúng tôi lưu nội dung trò chuyện và những gì bạn chọn ở trên để hỗ trợ bạn. "
        "Chúng tôi không hỏi tên, số điện thoại hay địa chỉ."
    ),
    "noticeSecret": _(
        "Mọi điều bạn kể được giữ bí mật, trừ khi tính mạng hoặc sự an toàn của bạn "
        "hay người khác đang bị đe doạ."
    ),
    "noticePrivate": _("Dùng máy của người khác? Hãy mở trang này ở chế độ ẩn danh."),
    "start": _("Bắt đầu trò chuyện"),
    "urgent": _(
        "Nếu bạn hoặc ai đó đang gặp nguy hiểm ngay lúc này, hãy gọi 113 (Công an) hoặc 111 "
        "(Tổng đài quốc gia bảo vệ trẻ em, miễn phí)."
    ),
    "chatTitle": _("Cuộc trò chuyện"),
    "log": _("Tin nhắn"),
    "typing": _("Tư vấn viên đang nhập…"),
    "composerLabel": _("Tin nhắn của bạn"),
    "composerPlaceholder": _("Viết tin nhắn…"),
    "send": _("Gửi"),
    "composerHint": _("Nhấn Enter để gửi, Shift+Enter để xuống dòng."),
    "end": _("Kết thúc trò chuyện"),
    "endQuestion": _("Bạn muốn kết thúc cuộc trò chuyện?"),
    "endYes": _("Kết thúc"),
    "endNo": _("Quay lại"),
    "endedTitle": _("Cuộc trò chuyện đã kết thúc"),
    "endedText": _("Cảm ơn bạn đã tin tưởng chia sẻ. Bạn có thể quay lại bất cứ lúc nào."),
    "restart": _("Bắt đầu cuộc trò chuyện mới"),
}


def chat_texts() -> dict[str, dict[str, str]]:
    """The chat page's texts in each language, age groups included: {"vi": {key: text}, ...}."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = {key: str(text) for key, text in CHAT_TEXT.items()}
            texts[code].update({f"age-{value}": str(label) for value, label in AgeGroup.choices})
    return texts


@login_not_required
@csp_update(CHAT_CSP)
@never_cache
@require_GET
def chat(request):
    """The anonymous youth chat. Nothing personal is asked for or put in the URL.

    The page sets no cookie: no form posts from it (so no CSRF token), and the
    language switch is the script's, kept in the tab.
    """
    texts = chat_texts()
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    if language not in texts:
        language = settings.LANGUAGE_CODE
    text = texts[language]
    response = render(
        request,
        "helpline/chat.html",
        {
            "language": language,
            "text": text,
            "texts": texts,
            "provinces": [(p.code, p.name) for p in all_provinces()],
            "age_groups": [
                (value, f"age-{value}", text[f"age-{value}"]) for value in AgeGroup.values
            ],
            "chat_config": {"quickExitUrl": settings.QUICK_EXIT_URL},
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
