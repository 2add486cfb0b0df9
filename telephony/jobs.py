"""Timed work for the worker (manage.py run_worker)."""

from django.conf import settings

from telephony.callbacks import callback_requests_expire
from telephony.calls import voicemails_purge
from telephony.sms import sms_retry_pending


def twilio_rest_configured() -> bool:
    return bool(
        settings.TWILIO_ACCOUNT_SID and (settings.TWILIO_API_KEY_SID or settings.TWILIO_AUTH_TOKEN)
    )


def retry_pending_sms(*, now) -> int:
    """Operators' SMS replies left pending when Twilio could not be reached."""
    if not twilio_rest_configured():
        return 0
    return sms_retry_pending(at=now)


def purge_expired_voicemails(*, now) -> int:
    """Voicemail audio at Twilio past VOICEMAIL_RETENTION_DAYS; the metadata stays."""
    if not twilio_rest_configured():
        return 0
    return voicemails_purge(at=now)


def expire_passed_callbacks(*, now) -> int:
    """Callback requests nobody finished, CALLBACK_EXPIRE_AFTER_HOURS after their window ended."""
    return callback_requests_expire(at=now)


JOBS = [retry_pending_sms, purge_expired_voicemails, expire_passed_callbacks]
