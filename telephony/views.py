"""Staff pages of telephony: the softphone token, revealing a number, reconnecting a call."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from accounts.reauth import reauth_required
from helpline.access import hotline_staff_required
from telephony import calls, services
from telephony.selectors import (
    call_for_conversation,
    phone_conversation_get_for_user,
    phone_masked_for,
    sms_of_conversation,
    softphone_identity,
)

VOICE_TOKEN_TTL_SECONDS = 3600


@never_cache
@require_GET
@hotline_staff_required
def voice_token(request):
    """A short-lived Voice access token for the console's browser softphone."""
    if not (
        settings.TWILIO_ACCOUNT_SID
        and settings.TWILIO_API_KEY_SID
        and settings.TWILIO_API_KEY_SECRET
    ):
        return JsonResponse(
            {
                "error": "not_configured",
                "detail": _("Điện thoại trên trình duyệt chưa được cấu hình."),
            },
            status=503,
        )
    identity = softphone_identity(user=request.user)
    token = AccessToken(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_API_KEY_SID,
        settings.TWILIO_API_KEY_SECRET,
        identity=identity,
        ttl=VOICE_TOKEN_TTL_SECONDS,
    )
    grant = VoiceGrant(incoming_allow=True)
    if settings.TWILIO_TWIML_APP_SID:
        grant.outgoing_application_sid = settings.TWILIO_TWIML_APP_SID
    token.add_grant(grant)
    return JsonResponse(
        {"token": token.to_jwt(), "identity": identity, "ttl": VOICE_TOKEN_TTL_SECONDS}
    )


@never_cache
@require_GET
@hotline_staff_required
def phone_masked(request, conversation_id):
    conversation = phone_conversation_get_for_user(
        user=request.user, conversation_id=conversation_id
    )
    return JsonResponse(
        {
            "conversation": str(conversation.pk),
            "masked": phone_masked_for(conversation=conversation),
            "can_reveal": request.user.is_supervisor,
        }
    )


def _iso(value):
    return value.isoformat() if value else None


def _call_state(conversation) -> dict | None:
    call = call_for_conversation(conversation_id=conversation.pk)
    if call is None:
        return None
    return {
        "status": call.status,
        "status_label": call.get_status_display(),
        "terminal": call.is_terminal,
        "pressed_danger": call.pressed_danger,
        "connect_failed": bool(call.connect_error),
        "received_at": _iso(call.received_at),
        "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at),
        "queue_seconds": call.queue_seconds,
        "talk_seconds": call.talk_seconds,
        "voicemails": [
            {"duration_seconds": v.duration_seconds, "recorded_at": _iso(v.recorded_at)}
            for v in conversation.voicemails.all()
        ],
    }


@never_cache
@require_GET
@hotline_staff_required
def phone_state(request, conversation_id):
    """What the console shows of a phone conversation: the masked number, the call's
    progress and each SMS's delivery state. Never a full number, never a message body."""
    conversation = phone_conversation_get_for_user(
        user=request.user, conversation_id=conversation_id
    )
    sms = sms_of_conversation(conversation=conversation)
    return JsonResponse(
        {
            "conversation": str(conversation.pk),
            "channel": conversation.channel,
            "masked": phone_masked_for(conversation=conversation),
            "can_reveal": request.user.is_supervisor,
            "call": _call_state(conversation),
            "sms": [
                {
                    "seq": s.message.seq,
                    "direction": s.direction,
                    "status": s.status,
                    "status_label": s.get_status_display(),
                    "error_code": s.error_code,
                }
                for s in sms
            ],
        }
    )


@never_cache
@require_POST
@hotline_staff_required
@reauth_required()
def phone_reveal(request, conversation_id):
    """Show a supervisor the full number, and write one audit row for each reveal."""
    number = services.phone_reveal(user=request.user, conversation_id=conversation_id)
    if number is None:
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse({"conversation": str(conversation_id), "number": number})


@never_cache
@require_POST
@hotline_staff_required
def call_reconnect(request, conversation_id):
    """Try again to connect a call the operator accepted (after a call_error)."""
    conversation = phone_conversation_get_for_user(
        user=request.user, conversation_id=conversation_id
    )
    if conversation.operator_id != request.user.pk:
        raise PermissionDenied
    call = calls.call_connect_operator(conversation_id=conversation.pk, operator=request.user)
    if call is None:
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse(
        {"conversation": str(conversation.pk), "status": call.status, "ok": not call.connect_error}
    )
