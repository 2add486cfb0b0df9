"""What the helpline itself says to a young person on a platform, and how a province is read.

The texts are Vietnamese (young people on Zalo and Messenger are reached in
Vietnamese first); English translations exist for the catalogue and for staff
reading a transcript in English.
"""

import re
import unicodedata

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from connectors.models import Notice
from helpline.provinces import all_provinces

# A quick reply's payload naming a province; "00" is central (no province given).
PROVINCE_PAYLOAD_PREFIX = "PROVINCE:"
CENTRAL_ANSWERS = {"00", "0", "khong", "khong muon noi", "trung uong"}
PROVINCE_PREFIXES = ("thanh pho ", "tinh ", "tp ")


def _short_name(name_vi: str) -> str:
    lowered = name_vi
    for prefix in ("Thành phố ", "Tỉnh "):
        lowered = lowered.removeprefix(prefix)
    return lowered


def notice_text(notice: str, *, reason: str = "") -> str:
    """The text of one of the helpline's own messages, in Vietnamese.

    reason: for IMAGE_NOT_KEPT, the code of why (harms.screenshots' refusal
    codes, or fetch_failed).
    """
    with translation.override("vi"):
        if notice == Notice.IMAGE_NOT_KEPT:
            return _image_not_kept(reason)
        if notice == Notice.IMAGE_WARNING:
            # The web chat's own words before an upload (helpline/pages.py), sent after the
            # first image because a platform gives no moment before it.
            return _(
                "Đừng gửi ảnh khoả thân, của bạn hay của ai khác. Hãy kể bằng lời: chúng tôi sẽ "
                "giúp bạn báo cáo để gỡ ảnh. Ảnh chụp màn hình tin nhắn đe doạ, tài khoản giả hay "
                "bài đăng thì được."
            )
        if notice == Notice.RECEIVED:
            return _(
                "Tổng đài hỗ trợ thanh thiếu nhi đã nhận tin nhắn của bạn. Một tư vấn viên sẽ "
                "trả lời bạn ngay tại đây, sớm nhất có thể. Nếu bạn hoặc ai đó đang gặp nguy "
                "hiểm ngay lúc này, hãy gọi 113 (Công an) hoặc 111 (Tổng đài quốc gia bảo vệ "
                "trẻ em, miễn phí)."
            )
        if notice == Notice.ATTACHMENT_REFUSED:
            return _(
                "Tổng đài chưa xem được tệp, tin nhắn thoại, video hay ảnh động gửi qua kênh "
                "này. Bạn hãy kể bằng lời nhé. Ảnh chụp màn hình thì bạn gửi được ngay tại đây."
            )
        if notice == Notice.PROVINCE_QUESTION:
            lines = [
                _(
                    "Chào bạn! Bạn đang ở tỉnh/thành nào? Hãy trả lời bằng mã số hoặc tên "
                    "tỉnh/thành dưới đây để được nối với tổng đài gần bạn. Trả lời 00 nếu bạn "
                    "không muốn nói: bạn sẽ được nối với tổng đài trung ương."
                )
            ]
            lines += [f"{p.code} {_short_name(p.name_vi)}" for p in all_provinces()]
            return "\n".join(lines)
    raise LookupError(notice)


def _image_not_kept(reason: str) -> str:
    """Why an image did not reach the helpline, and what the young person can do."""
    if reason == "too_large":
        megabytes = f"{settings.EVIDENCE_IMAGE_MAX_BYTES / (1024 * 1024):g}"
        why = _("Ảnh quá lớn: tối đa %(mb)s MB. Bạn hãy chụp lại màn hình rồi gửi.") % {
            "mb": megabytes
        }
    elif reason in ("unsupported_type", "malformed", "empty"):
        why = _(
            "Tổng đài chỉ nhận ảnh JPEG, PNG hoặc WebP đọc được. Bạn hãy chụp lại màn hình rồi gửi."
        )
    elif reason == "too_many_uploads":
        why = _("Bạn đã gửi nhiều ảnh trong một giờ qua. Hãy thử lại sau, hoặc kể bằng lời.")
    elif reason == "unavailable":
        why = _("Tổng đài hiện chưa nhận được ảnh. Bạn hãy kể bằng lời nhé.")
    else:
        why = _("Tổng đài không tải được ảnh từ ứng dụng. Bạn hãy gửi lại ảnh, hoặc kể bằng lời.")
    return _("Tổng đài chưa nhận được ảnh bạn vừa gửi.") + " " + why


def province_choices() -> list[tuple[str, str]]:
    """Quick replies offered with the question where the platform has them."""
    with translation.override("vi"):
        return [(_("Không muốn nói"), PROVINCE_PAYLOAD_PREFIX + "00")]


def _plain(text: str) -> str:
    """Lower case, no accents, no punctuation: "Thành phố Huế" → "thanh pho hue"."""
    text = text.replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", stripped)).strip()


def province_from_answer(*, text: str, choice: str) -> str | None:
    """The province code a young person's answer names: "" for central, None when it names none.

    Accepts the quick reply, a code ("01", "1"), or a name with or without accents
    and with or without "Tỉnh"/"Thành phố" ("ha noi", "TP Hồ Chí Minh").
    """
    codes = {p.code for p in all_provinces()}
    if choice.startswith(PROVINCE_PAYLOAD_PREFIX):
        code = choice.removeprefix(PROVINCE_PAYLOAD_PREFIX)
        return "" if code == "00" else (code if code in codes else None)
    answer = _plain(text)
    if answer in CENTRAL_ANSWERS:
        return ""
    if answer.isdigit() and len(answer) <= 2 and answer.zfill(2) in codes:
        return answer.zfill(2)
    for prefix in PROVINCE_PREFIXES:
        answer = answer.removeprefix(prefix)
    for province in all_provinces():
        names = {_plain(_short_name(province.name_vi)), _plain(province.name_en)}
        if answer and answer in names:
            return province.code
    return None
