"""Zalo Official Account: the webhook's signature, its events, and the customer-service API.

The webhook (POST /connectors/zalo/webhook/) carries `X-ZEvent-Signature:
mac=<hex>`, the SHA-256 of the app id, the raw body, the body's `timestamp`
and the OA secret key, concatenated in that order (Zalo's webhook
documentation). The app id must be ours, and the timestamp (milliseconds)
within ZALO_WEBHOOK_MAX_AGE_SECONDS of now, so a captured request can't be
replayed later.

Replies use the OA API v3.0 customer-service message ("tin tư vấn") with the
OA's access token in the `access_token` header (connectors/zalo_tokens.py keeps
it fresh). Zalo lets an OA answer a young person's message for free up to
ZALO_REPLIES_PER_USER_MESSAGE (8) times within ZALO_REPLY_WINDOW_HOURS (48);
past that a send would be a paid proactive message, which an OA may not even
have: the reply is refused before any call and the console says why.
"""

import datetime
import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.utils import timezone

from connectors.base import InboundEvent, Outcome, ReplyWindow, SendResult
from connectors.crypto import connector_keys_configured
from connectors.http import EdgeUnreachable, post_json
from connectors.zalo_tokens import ZaloTokenError, zalo_access_token, zalo_tokens_refresh

logger = logging.getLogger(__name__)

PLATFORM = "zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
SEND_PATH = "/v3.0/oa/message/cs"
MAX_TEXT_CHARS = 2000

# Zalo's OA API error codes (its "mã lỗi" table) the sender acts on; any other
# negative code is treated as permanent, so the console says "not delivered"
# instead of the reply looping. Check them against the current table when
# connecting an OA.
TOKEN_ERRORS = {-216, -220, -124}  # access token invalid / expired
WINDOW_ERRORS = {-230, -232}  # no interaction recently enough to answer
RETRY_ERRORS = {-32, -211}  # rate limit, quota for now

# What the young person sent, named by the event: "user_send_<kind>". Images are kept
# (their URLs go in image_urls); a GIF is an animation, refused like the web chat refuses one.
ATTACHMENT_KINDS = {
    "gif": "gif",
    "sticker": "sticker",
    "file": "file",
    "audio": "audio",
    "video": "video",
    "link": "link",
    "location": "location",
    "business_card": "business_card",
}


def ready() -> bool:
    return bool(settings.ZALO_APP_ID and settings.ZALO_OA_SECRET_KEY) and (
        connector_keys_configured()
    )


def signature_expected(*, raw: bytes, timestamp: str) -> str:
    subject = (
        settings.ZALO_APP_ID.encode()
        + raw
        + timestamp.encode()
        + settings.ZALO_OA_SECRET_KEY.encode()
    )
    return "mac=" + hashlib.sha256(subject).hexdigest()


def signature_valid(request, data: dict, *, at: datetime.datetime) -> bool:
    """The signature is Zalo's, for our app, and the event is not stale."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    timestamp = str(data.get("timestamp") or "")
    if not signature or not timestamp.isdigit() or str(data.get("app_id")) != settings.ZALO_APP_ID:
        return False
    expected = signature_expected(raw=request.body, timestamp=timestamp)
    if not hmac.compare_digest(signature.strip().encode(), expected.encode()):
        return False
    sent_at = datetime.datetime.fromtimestamp(int(timestamp) / 1000, tz=datetime.UTC)
    return abs((at - sent_at).total_seconds()) <= settings.ZALO_WEBHOOK_MAX_AGE_SECONDS


def inbound_events(data: dict, *, at: datetime.datetime) -> list[InboundEvent]:
    """A young person's message in the event, or nothing (follows, echoes, receipts...)."""
    name = str(data.get("event_name") or "")
    if not name.startswith("user_send_"):
        return []
    kind = name.removeprefix("user_send_")
    message = data.get("message") if isinstance(data.get("message"), dict) else {}
    sender = data.get("sender") if isinstance(data.get("sender"), dict) else {}
    recipient = data.get("recipient") if isinstance(data.get("recipient"), dict) else {}
    message_id, user_id = str(message.get("msg_id") or ""), str(sender.get("id") or "")
    if not message_id or not user_id or not recipient.get("id"):
        return []
    if kind not in ("text", "image") and kind not in ATTACHMENT_KINDS:
        return []
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    return [
        InboundEvent(
            account_id=str(recipient["id"]),
            user_id=user_id,
            message_id=message_id,
            at=at,
            text=text,
            attachment=ATTACHMENT_KINDS.get(kind, ""),
            image_urls=_image_urls(message) if kind == "image" else (),
        )
    ]


def _image_urls(message: dict) -> tuple[str, ...]:
    """The URL of each image of a user_send_image event; "" where one is missing."""
    attachments = message.get("attachments")
    attachments = (
        [a for a in attachments if isinstance(a, dict)] if isinstance(attachments, list) else []
    )
    urls = []
    for attachment in attachments or [{}]:
        payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
        url = payload.get("url")
        urls.append(url if isinstance(url, str) else "")
    return tuple(urls)


def reply_window(*, thread, at: datetime.datetime, replies_since_inbound: int) -> ReplyWindow:
    if at - thread.last_inbound_at > datetime.timedelta(hours=settings.ZALO_REPLY_WINDOW_HOURS):
        return ReplyWindow(open=False, code="zalo_window")
    if replies_since_inbound >= settings.ZALO_REPLIES_PER_USER_MESSAGE:
        return ReplyWindow(open=False, code="zalo_reply_limit")
    return ReplyWindow(open=True)


def _payload(*, user_id: str, text: str, thread) -> dict:
    recipient = {"user_id": user_id}
    if thread is not None and thread.last_inbound_external_id:
        # Zalo counts a reply through the API as a free reply only when it names the
        # young person's message it answers.
        recipient["message_id"] = thread.last_inbound_external_id
    return {"recipient": recipient, "message": {"text": text}}


def _classify(answer) -> SendResult:
    data = answer.data
    error = data.get("error")
    if answer.status >= 500:
        return SendResult(Outcome.RETRY, error_code=f"http_{answer.status}")
    if error == 0 and isinstance(data.get("data"), dict):
        return SendResult(Outcome.SENT, external_id=str(data["data"].get("message_id") or ""))
    try:
        code = int(error)
    except (TypeError, ValueError):
        return SendResult(Outcome.RETRY, error_code=f"http_{answer.status}")
    if code in WINDOW_ERRORS:
        return SendResult(Outcome.WINDOW, error_code=str(code))
    if code in RETRY_ERRORS:
        return SendResult(Outcome.RETRY, error_code=str(code))
    return SendResult(Outcome.PERMANENT, error_code=str(code))


def send_text(
    *, account, contact, thread, text: str, tag: str = "", choices=(), at=None
) -> SendResult:
    """One customer-service message; a refused access token is refreshed and tried once more.

    Zalo has no tags, and its buttons hold four at most: choices are written in the text.
    """
    at = at or timezone.now()
    payload = _payload(user_id=contact.user_id, text=text, thread=thread)
    url = settings.ZALO_API_BASE_URL + SEND_PATH
    try:
        token, stored_at = zalo_access_token(account_id=account.pk, at=at)
        answer = post_json(url, payload, headers={"access_token": token})
        if _token_refused(answer):
            refreshed = zalo_tokens_refresh(account_id=account.pk, at=at, stale_since=stored_at)
            answer = post_json(url, payload, headers={"access_token": refreshed.access_token})
    except ZaloTokenError as error:
        # Unreachable: try later. Refused: the OA needs authorising again.
        outcome = Outcome.RETRY if error.code == "unreachable" else Outcome.PERMANENT
        return SendResult(outcome, error_code=f"token_{error.code}"[:40])
    except EdgeUnreachable:
        return SendResult(Outcome.RETRY, error_code="network")
    if _token_refused(answer):
        return SendResult(Outcome.PERMANENT, error_code=str(answer.data.get("error")))
    return _classify(answer)


def _token_refused(answer) -> bool:
    try:
        return int(answer.data.get("error")) in TOKEN_ERRORS
    except (TypeError, ValueError):
        return False


def webhook_json(raw: bytes) -> dict | None:
    """The body as a JSON object, or None."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
