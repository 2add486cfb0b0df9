"""The TwiML documents the webhooks answer with. Callers hear Vietnamese first."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, VoiceResponse

SAY_LANGUAGE = "vi-VN"


def public_url(name: str, **kwargs) -> str:
    """The absolute URL Twilio must call; it is also the URL Twilio signs."""
    return settings.TWILIO_PUBLIC_BASE_URL.rstrip("/") + reverse(name, kwargs=kwargs or None)


def _say(response, text: str) -> None:
    options = {"language": SAY_LANGUAGE}
    if settings.TWILIO_SAY_VOICE:
        options["voice"] = settings.TWILIO_SAY_VOICE
    response.say(text, **options)


def twiml_greeting() -> str:
    """Greet, then ask whether the caller is in danger right now."""
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1,
        timeout=6,
        action=public_url("telephony:voice_gather"),
        method="POST",
    )
    _say(
        gather,
        _(
            "Xin chào, bạn đã gọi tới Tổng đài hỗ trợ và ứng cứu thanh thiếu nhi trên không gian "
            "mạng. Cuộc gọi của bạn được giữ bí mật."
        ),
    )
    _say(gather, _("Nếu bạn đang gặp nguy hiểm ngay lúc này, hãy bấm phím 1."))
    # No key pressed: the same action, without Digits.
    response.redirect(public_url("telephony:voice_gather"), method="POST")
    return str(response)


def twiml_enqueue(*, queue_name: str, imminent: bool) -> str:
    response = VoiceResponse()
    if imminent:
        _say(response, _("Chúng tôi sẽ ưu tiên kết nối bạn với tư vấn viên ngay."))
    else:
        _say(response, _("Vui lòng giữ máy, tư vấn viên sẽ nói chuyện với bạn sớm nhất có thể."))
    response.enqueue(
        queue_name,
        wait_url=public_url("telephony:voice_wait"),
        wait_url_method="POST",
        action=public_url("telephony:voice_enqueue_action"),
        method="POST",
    )
    return str(response)


def twiml_hold(*, position: int | None) -> str:
    """What a queued caller hears; Twilio asks for it again when it ends."""
    response = VoiceResponse()
    if position:
        _say(
            response,
            _("Bạn đang ở vị trí số %(position)s trong hàng chờ.") % {"position": position},
        )
    _say(response, _("Cảm ơn bạn đã kiên nhẫn chờ. Tư vấn viên sẽ nghe máy ngay khi có thể."))
    response.pause(length=20)
    return str(response)


def twiml_connecting() -> str:
    response = VoiceResponse()
    _say(response, _("Đang kết nối bạn với tư vấn viên."))
    response.pause(length=10)
    return str(response)


def twiml_voicemail(*, reason: str) -> str:
    """Explain why nobody can answer, then record a voicemail."""
    response = VoiceResponse()
    if reason == "operator_unreachable":
        text = _("Rất tiếc, tư vấn viên chưa thể nghe máy.")
    else:
        text = _("Rất tiếc, hiện chưa có tư vấn viên nào có thể nghe máy.")
    _say(response, text)
    _say(
        response,
        _(
            "Sau tiếng bíp, hãy để lại lời nhắn, rồi bấm phím thăng hoặc gác máy. Tư vấn viên sẽ "
            "nghe lời nhắn sớm nhất có thể. Nếu bạn đang gặp nguy hiểm, hãy gọi 113."
        ),
    )
    response.record(
        action=public_url("telephony:voicemail"),
        method="POST",
        max_length=settings.VOICEMAIL_MAX_SECONDS,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=public_url("telephony:voicemail_status"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    _say(response, _("Chúng tôi không nhận được lời nhắn. Xin cảm ơn bạn đã gọi."))
    response.hangup()
    return str(response)


def twiml_goodbye() -> str:
    response = VoiceResponse()
    _say(response, _("Chúng tôi đã nhận được lời nhắn của bạn. Xin cảm ơn bạn đã gọi."))
    response.hangup()
    return str(response)


def twiml_hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


def twiml_empty() -> str:
    return str(VoiceResponse())


def twiml_outgoing_refused() -> str:
    response = VoiceResponse()
    _say(response, _("Điện thoại trên trình duyệt chỉ dùng để nhận cuộc gọi."))
    response.hangup()
    return str(response)


def twiml_dial_operator(
    *, conversation_id, endpoint_kind: str, endpoint: str, caller_id: str
) -> str:
    """Bridge the caller to the operator who accepted the call.

    The caller's own number is never shown to the operator: the caller id is
    the hotline's number, and the softphone learns the conversation instead.
    """
    response = VoiceResponse()
    _say(response, _("Đang kết nối bạn với tư vấn viên."))
    dial = Dial(
        action=public_url("telephony:voice_dial_action"),
        method="POST",
        timeout=settings.TWILIO_DIAL_TIMEOUT_SECONDS,
        answer_on_bridge=True,
        caller_id=caller_id or None,
    )
    callback = {
        "status_callback": public_url("telephony:voice_status"),
        "status_callback_method": "POST",
        "status_callback_event": "initiated ringing answered completed",
    }
    if endpoint_kind == "phone":
        dial.number(endpoint, **callback)
    else:
        client = dial.client(**callback)
        client.identity(endpoint)
        client.parameter(name="conversation", value=str(conversation_id))
    response.append(dial)
    return str(response)


def twiml_sms_empty() -> str:
    return str(MessagingResponse())
