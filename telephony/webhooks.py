"""The public URLs Twilio calls. Each checks Twilio's signature first.

The signed URL is rebuilt from TWILIO_PUBLIC_BASE_URL, never from the Host or
X-Forwarded-* headers, which anyone can set. Without an auth token (or without
the phone encryption key) every URL answers 403: fail closed.

Webhooks answer fast: they write rows and render TwiML, and never call Twilio.
A duplicate delivery gets a 200 and changes nothing.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from helpline.selectors import queue_position
from telephony import calls, selectors, services, sms, twiml
from telephony.models import CallStatus
from telephony.phone import phone_keys_configured

SIGNATURE_HEADER = "X-Twilio-Signature"


def twilio_ready() -> bool:
    return bool(
        settings.TWILIO_AUTH_TOKEN and settings.TWILIO_PUBLIC_BASE_URL and phone_keys_configured()
    )


def signed_url(request) -> str:
    """The URL Twilio requested, as the public base URL plus the path and query."""
    url = settings.TWILIO_PUBLIC_BASE_URL.rstrip("/") + request.path_info
    query = request.META.get("QUERY_STRING", "")
    return f"{url}?{query}" if query else url


def signature_valid(request) -> bool:
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return False
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return validator.validate(signed_url(request), request.POST, signature)


def twilio_webhook(*required: str):
    """Public, CSRF-free (the signature stands in), POST only, signed or 403.

    A signed request without the named parameters is refused with 400, before
    anything is written.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not twilio_ready() or not signature_valid(request):
                return HttpResponseForbidden("forbidden\n", content_type="text/plain")
            missing = [name for name in required if not request.POST.get(name)]
            if missing:
                return HttpResponseBadRequest(
                    "missing: " + ", ".join(missing) + "\n", content_type="text/plain"
                )
            return view(request, *args, **kwargs)

        return login_not_required(csrf_exempt(require_POST(never_cache(wrapper))))

    return decorator


def xml(document: str) -> HttpResponse:
    return HttpResponse(document, content_type="text/xml; charset=utf-8")


@twilio_webhook("CallSid", "From", "To")
def voice_incoming(request):
    post = request.POST
    call = calls.call_receive(
        call_sid=post.get("CallSid", ""),
        from_number=post.get("From", ""),
        called_number=post.get("To", ""),
    )
    if call.status == CallStatus.VOICEMAIL:
        return xml(twiml.twiml_voicemail(reason="nobody_available"))
    if call.is_terminal:
        return xml(twiml.twiml_hangup())
    if call.conversation_id is not None:
        # A repeat after the caller already chose: straight back to the queue.
        return xml(
            twiml.twiml_enqueue(
                queue_name=calls.queue_name_for(call.hotline), imminent=call.pressed_danger
            )
        )
    return xml(twiml.twiml_greeting())


@twilio_webhook("CallSid")
def voice_gather(request):
    post = request.POST
    call = calls.call_enqueue(call_sid=post.get("CallSid", ""), digits=post.get("Digits", ""))
    if call is None:
        # Unknown call (its first webhook was lost): start it over.
        response = twiml.VoiceResponse()
        response.redirect(twiml.public_url("telephony:voice_incoming"), method="POST")
        return xml(str(response))
    if call.status == CallStatus.VOICEMAIL:
        return xml(twiml.twiml_voicemail(reason="nobody_available"))
    if call.is_terminal:
        return xml(twiml.twiml_hangup())
    return xml(
        twiml.twiml_enqueue(
            queue_name=calls.queue_name_for(call.hotline), imminent=call.pressed_danger
        )
    )


@twilio_webhook("CallSid")
def voice_wait(request):
    call = selectors.call_for_sid(call_sid=request.POST.get("CallSid", ""))
    if call is None or call.conversation is None:
        return xml(twiml.twiml_hold(position=None))
    position = queue_position(conversation_id=call.conversation_id)
    if position is None:
        return xml(twiml.twiml_connecting())
    return xml(twiml.twiml_hold(position=position))


@twilio_webhook("CallSid")
def voice_enqueue_action(request):
    post = request.POST
    result = post.get("QueueResult", "")
    call = calls.call_queue_left(
        call_sid=post.get("CallSid", ""), result=result, queue_seconds=post.get("QueueTime")
    )
    if call is not None and call.status == CallStatus.VOICEMAIL and not call.ended_at:
        return xml(twiml.twiml_voicemail(reason="nobody_available"))
    return xml(twiml.twiml_empty())


@twilio_webhook("CallSid")
def voice_dial_action(request):
    post = request.POST
    _call, unreachable = calls.call_dial_finished(
        call_sid=post.get("CallSid", ""),
        dial_status=post.get("DialCallStatus", ""),
        dial_duration=post.get("DialCallDuration"),
    )
    if unreachable:
        return xml(twiml.twiml_voicemail(reason="operator_unreachable"))
    return xml(twiml.twiml_hangup())


@twilio_webhook("CallSid", "CallStatus")
def voice_status(request):
    post = request.POST
    calls.call_status_update(
        call_sid=post.get("CallSid", ""),
        parent_call_sid=post.get("ParentCallSid", ""),
        status=post.get("CallStatus", ""),
        duration=post.get("CallDuration"),
    )
    return HttpResponse(status=204)


def _record_voicemail(post, *, status: str) -> None:
    calls.voicemail_record(
        call_sid=post.get("CallSid", ""),
        recording_sid=post.get("RecordingSid", ""),
        recording_url=post.get("RecordingUrl", ""),
        duration=post.get("RecordingDuration"),
        status=status,
    )


@twilio_webhook("CallSid", "RecordingSid")
def voicemail(request):
    """The <Record> action: the caller finished; say goodbye."""
    _record_voicemail(request.POST, status="")
    return xml(twiml.twiml_goodbye())


@twilio_webhook("CallSid", "RecordingSid")
def voicemail_status(request):
    """The recording status callback, which may arrive before or after the action."""
    _record_voicemail(request.POST, status=request.POST.get("RecordingStatus", ""))
    return HttpResponse(status=204)


@twilio_webhook()
def voice_outgoing(request):
    """The TwiML App's voice URL: the softphone only receives calls."""
    return xml(twiml.twiml_outgoing_refused())


@twilio_webhook("MessageSid", "From", "To")
def sms_incoming(request):
    post = request.POST
    sms.sms_receive(
        message_sid=post["MessageSid"],
        from_number=post.get("From", ""),
        called_number=post.get("To", ""),
        body=post.get("Body", ""),
        media_count=services.non_negative_int(post.get("NumMedia")) or 0,
    )
    return xml(twiml.twiml_sms_empty())


@twilio_webhook("MessageSid", "MessageStatus")
def sms_status(request):
    post = request.POST
    sms.sms_status_update(
        message_sid=post["MessageSid"],
        status=post["MessageStatus"],
        error_code=post.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)
