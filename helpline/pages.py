"""The two live pages: the young person's web chat and the operators' console.

Both pages are shells: everything live happens over their websockets
(docs/protocol.md). The views only hand the scripts what they cannot ask the
socket for, such as the province list or where quick exit goes.
"""

import re

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpline.access import hotline_staff_required
from helpline.models import AgeGroup, ContactOutcome, ContactType, Hotline, Risk
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
        "callbacks": reverse("telephony:callbacks"),
        "callbackItems": reverse("telephony:callback_items"),
        # Loaded only once the token view answers: a console without a softphone never fetches it.
        "sdk": static("vendor/twilio-voice/twilio.min.js"),
    }


# Every text of the chat page, Vietnamese first. The page carries them in both
# languages (chat_texts) so that the young person's choice of language lives in
# the page and its tab (sessionStorage, wiped by quick exit), never in a cookie
# that would stay on the device. The keys are the page's data-text names. The
# title stays neutral: a tab or history entry must not tell anyone what the page is.
CHAT_TEXT = {
    "title": _("Trò chuyện"),
    "brand": _("Tổng đài hỗ trợ thanh thiếu nhi"),
    "quickExit": _("Thoát nhanh"),
    "exitHint": _("Thoát nhanh (hoặc Esc hai lần): rời trang ngay, xoá dấu vết."),
    "welcomeTitle": _("Bạn không một mình."),
    "lead": _("Trò chuyện miễn phí với tư vấn viên. Không cần tên hay số điện thoại."),
    "availabilityChecking": _("Đang xem có tư vấn viên nào trực không…"),
    "provinceLabel": _("Tỉnh/thành của bạn"),
    "optional": _("(không bắt buộc)"),
    "provinceNone": _("Không chọn"),
    "provinceHint": _("Không chọn: bạn được nối với tổng đài trung ương."),
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
    "screenshot": _("Gửi ảnh chụp màn hình"),
    "screenshotNotice": _(
        "Đừng gửi ảnh khoả thân, của bạn hay của ai khác. Hãy kể bằng lời: chúng tôi sẽ giúp "
        "bạn báo cáo để gỡ ảnh. Ảnh chụp màn hình tin nhắn đe doạ, tài khoản giả hay bài đăng "
        "thì được."
    ),
    "screenshotChoose": _("Chọn ảnh"),
    "screenshotCancel": _("Thôi"),
    "screenshotSending": _("Đang gửi ảnh…"),
    "screenshotFailed": _("Chưa gửi được ảnh. Bạn hãy thử lại, hoặc kể bằng lời."),
    "deleteAsk": _("Xin xoá cuộc trò chuyện này"),
    "deleteWhy": _(
        "Tổng đài sẽ xoá những gì bạn và tư vấn viên đã viết. Lượt liên hệ vẫn được đếm, "
        "không kèm lời nào."
    ),
    "deleteQuestion": _("Xoá hết cuộc trò chuyện này? Không lấy lại được."),
    "deleteYes": _("Xoá"),
    "deleteNo": _("Không xoá"),
    "deleteSending": _("Đang gửi yêu cầu xoá…"),
    "deleteUnavailable": _(
        "Trang này không còn xin xoá được cuộc trò chuyện đó. Hãy bắt đầu cuộc trò chuyện mới "
        "và nhờ tư vấn viên."
    ),
    "danger": _("Tôi đang gặp nguy hiểm"),
    "urgent": _(
        "Nếu bạn hoặc ai đó đang gặp nguy hiểm ngay lúc này, hãy gọi 113 (Công an) hoặc 111 "
        "(Tổng đài quốc gia bảo vệ trẻ em, miễn phí)."
    ),
    "offersLead": _("Không muốn chờ? Bạn có thể:"),
    "leaveMessage": _("Để lại lời nhắn"),
    "requestCallback": pgettext_lazy("youth chat button", "Yêu cầu gọi lại"),
    "comeback": _("Tôi đã để lại lời nhắn / đã từng trò chuyện"),
    "passphraseLabel": _("Cụm mật khẩu của bạn"),
    "comebackOpen": _("Xem lời nhắn và câu trả lời"),
    "comebackReturning": _("Tôi đã từng trò chuyện và muốn tư vấn viên xem lại"),
    "comebackHint": _(
        "Nút thứ hai bắt đầu một cuộc trò chuyện mới, trong đó tư vấn viên xem được "
        "các lần trước của bạn."
    ),
    "chatTitle": _("Cuộc trò chuyện"),
    "log": _("Tin nhắn"),
    "typing": _("Tư vấn viên đang nhập…"),
    "composerLabel": _("Tin nhắn của bạn"),
    "composerPlaceholder": _("Viết tin nhắn…"),
    "send": _("Gửi"),
    "composerHint": _("Nhấn Enter để gửi, Shift+Enter để xuống dòng."),
    "leaveLead": _(
        "Hãy viết lời nhắn ở ô bên dưới. Tư vấn viên sẽ đọc và trả lời khi có người trực."
    ),
    "keepTitle": _("Chọn cụm mật khẩu để quay lại đọc câu trả lời"),
    "keepWhy": _(
        "Chỉ ai biết cụm này mới mở lại được lời nhắn. Hãy ghi nhớ nó: chúng tôi không "
        "tìm lại được cho bạn."
    ),
    "keepLabel": _("Cụm mật khẩu (giữ nguyên hoặc tự sửa)"),
    "keepOther": _("Gợi ý khác"),
    "keepSave": _("Lưu cụm mật khẩu"),
    "done": _("Tôi viết xong rồi, xoá khỏi màn hình"),
    "end": _("Kết thúc trò chuyện"),
    "endQuestion": _("Bạn muốn kết thúc cuộc trò chuyện?"),
    "endYes": _("Kết thúc"),
    "endNo": _("Quay lại"),
    "endedTitle": _("Cuộc trò chuyện đã kết thúc"),
    "endedText": _("Cảm ơn bạn đã tin tưởng chia sẻ. Bạn có thể quay lại bất cứ lúc nào."),
    "helpLead": _("Muốn tìm hiểu thêm?"),
    "helpLink": _("Thông tin giúp bạn an toàn trên mạng"),
    "surveyTitle": _("Ba câu hỏi ngắn (không bắt buộc, không ghi tên)"),
    "surveyHeard": _("Bạn có thấy mình được lắng nghe không?"),
    "surveyHelp": _("Bạn có nhận được điều mình cần không?"),
    "surveyReturn": _("Khi cần, bạn có quay lại đây không?"),
    "answerYes": _("Có"),
    "answerPartly": _("Một phần"),
    "answerNo": _("Không"),
    "surveySend": _("Gửi câu trả lời"),
    "afterKeepTitle": _("Muốn quay lại sau? Chọn một cụm mật khẩu"),
    "afterKeepWhy": _(
        "Lần sau, nhập cụm này để tư vấn viên xem lại cuộc trò chuyện hôm nay. Hãy ghi nhớ "
        "nó: chúng tôi không tìm lại được cho bạn."
    ),
    "clear": _("Xoá cuộc trò chuyện khỏi màn hình"),
    "clearHint": _("Xoá khỏi máy này mà không rời trang."),
    "restart": _("Bắt đầu cuộc trò chuyện mới"),
    "callbackTitle": _("Yêu cầu gọi lại an toàn"),
    "callbackLead": _(
        "Cho chúng tôi số điện thoại và lúc nào gọi cho bạn là an toàn. Không cần tên."
    ),
    "phoneLabel": _("Số điện thoại"),
    "phoneHint": _("Số được mã hoá; chỉ tư vấn viên gọi lại cho bạn mới xem được đầy đủ."),
    "windowLegend": _("Gọi cho tôi trong khoảng (giờ Việt Nam)"),
    "windowStart": pgettext_lazy("callback window", "Từ"),
    "windowEnd": pgettext_lazy("callback window", "Đến"),
    "dayLabel": _("Ngày gọi"),
    "dayToday": _("Hôm nay"),
    "dayTomorrow": _("Ngày mai"),
    "identifyLegend": _("Khi gọi, tư vấn viên có được nói là gọi từ tổng đài không?"),
    "identifyYes": _("Có, cứ nói"),
    "identifyNo": _("Không, hãy kín đáo"),
    "identifyHint": _("Chọn “Không” nếu người khác có thể nghe máy."),
    "callbackSend": _("Gửi yêu cầu gọi lại"),
    "callbackBack": _("Quay lại"),
}


# The emergency numbers. Wherever a text of the page names one, a tap dials it;
# chat.js links the same numbers in the texts it shows (EMERGENCY_NUMBER there).
EMERGENCY_NUMBER = re.compile(r"\b(111|113)\b")


def phone_linked(text: str) -> SafeString:
    """The text escaped for HTML, with every emergency number as a tel: link."""
    pieces = EMERGENCY_NUMBER.split(text)  # the numbers land at odd positions
    return format_html_join(
        "",
        "{}",
        (
            (format_html('<a href="tel:{0}">{0}</a>', piece) if odd else piece,)
            for odd, piece in ((index % 2 == 1, piece) for index, piece in enumerate(pieces))
        ),
    )


def chat_texts() -> dict[str, dict[str, str]]:
    """The chat page's texts in each language, age groups included: {"vi": {key: text}, ...}."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = {key: str(text) for key, text in CHAT_TEXT.items()}
            texts[code].update({f"age-{value}": str(label) for value, label in AgeGroup.choices})
    return texts


def chat_context(*, embedded: bool = False) -> dict:
    """What helpline/chat.html needs: both languages' texts, provinces, age groups, settings.

    The embedded chat (connectors.embed) renders the same page from the same context.
    """
    texts = chat_texts()
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    if language not in texts:
        language = settings.LANGUAGE_CODE
    text = {key: phone_linked(value) for key, value in texts[language].items()}
    return {
        "language": language,
        "text": text,
        "texts": texts,
        "provinces": [(p.code, p.name) for p in all_provinces()],
        "age_groups": [(value, f"age-{value}", text[f"age-{value}"]) for value in AgeGroup.values],
        "chat_config": {
            "quickExitUrl": settings.QUICK_EXIT_URL,
            "callbackUrl": reverse("telephony:callback_request"),
        },
        "embedded": embedded,
    }


@login_not_required
@csp_update(CHAT_CSP)
@never_cache
@require_GET
def chat(request):
    """The anonymous youth chat. Nothing personal is asked for or put in the URL.

    The page sets no cookie: no form posts from it (so no CSRF token; the
    callback request is a JSON fetch checked by its Origin), and the language
    switch is the script's, kept in the tab.
    """
    response = render(request, "helpline/chat.html", chat_context())
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
                "wrapUp": _wrap_up_choices(),
            },
        },
    )


def _wrap_up_choices() -> dict:
    """What the wrap-up form offers, in the request's language: codes and labels only."""
    from cases.models import Category, Gender

    categories = [
        {"code": c.code, "name": c.name, "parent": c.parent.code if c.parent_id else ""}
        for c in Category.objects.filter(is_active=True).select_related("parent")
    ]
    return {
        "contactTypes": [[value, str(label)] for value, label in ContactType.choices],
        "outcomes": [[value, str(label)] for value, label in ContactOutcome.choices],
        "genders": [[value, str(label)] for value, label in Gender.choices],
        "categories": categories,
    }
