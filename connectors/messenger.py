"""Facebook Messenger (a Page): the webhook's signature, its events, and the Send API.

The webhook (/connectors/messenger/webhook/) answers Meta's subscription check
(GET with hub.mode=subscribe, hub.verify_token, hub.challenge) and takes event
POSTs signed with `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the
raw body under the app secret. The older SHA-1 header (`X-Hub-Signature`) is
never accepted.

Messenger's policy lets a Page answer within 24 hours of the young person's
last message. After that only a message tag may carry a message, and the one
tag meant for a person answering an inquiry is HUMAN_AGENT: up to 7 days after
the last message, once Meta approved the app's Human Agent feature
(MESSENGER_HUMAN_AGENT_ENABLED). The other tags (event, purchase and account
updates) do not describe a counsellor's reply and are never offered.
"""

import datetime
import hashlib
import hmac
import json

from django.conf import settings
from django.utils import timezone

from connectors.base import InboundEvent, Outcome, ReplyWindow, SendResult
from connectors.crypto import connector_keys_configured
from connectors.http import EdgeUnreachable, post_json

PLATFORM = "messenger"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_TEXT_CHARS = 2000
STANDARD_WINDOW = datetime.timedelta(hours=24)
HUMAN_AGENT_WINDOW = datetime.timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"

# Graph API error codes the sender acts on (Messenger Platform's error reference);
# anything else is permanent, so the console says "not delivered" instead of looping.
RETRY_CODES = {1, 2, 4, 17, 32, 613, 1200}  # temporary faults and rate limits
WINDOW_SUBCODES = {2018278}  # sent outside the allowed window


def ready() -> bool:
    return bool(settings.MESSENGER_APP_SECRET) and connector_keys_configured()


def subscription_answer(query) -> str | None:
    """The challenge to echo when Meta's subscription check names our verify token."""
    token = settings.MESSENGER_VERIFY_TOKEN
    if not token or query.get("hub.mode") != "subscribe":
        return None
    if not hmac.compare_digest(query.get("hub.verify_token", "").encode(), token.encode()):
        return None
    challenge = query.get("hub.challenge", "")
    return challenge if challenge.isdigit() else None


def signature_expected(raw: bytes) -> str:
    digest = hmac.new(settings.MESSENGER_APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def signature_valid(request, data: dict, *, at: datetime.datetime) -> bool:
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature or data.get("object") != "page":
        return False
    return hmac.compare_digest(
        signature.strip().encode(), signature_expected(request.body).encode()
    )


def _event(entry_id: str, item: dict, *, at: datetime.datetime) -> InboundEvent | None:
    sender = item.get("sender") if isinstance(item.get("sender"), dict) else {}
    user_id = str(sender.get("id") or "")
    if not user_id or user_id == entry_id:
        return None
    message = item.get("message")
    if isinstance(message, dict):
        if message.get("is_echo") or not message.get("mid"):
            return None
        quick = message.get("quick_reply") if isinstance(message.get("quick_reply"), dict) else {}
        image_urls, others = _attachments(message)
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        return InboundEvent(
            account_id=entry_id,
            user_id=user_id,
            message_id=str(message["mid"]),
            at=at,
            text=text,
            attachment="" if text or not others else others[0],
            image_urls=image_urls,
            choice=str(quick.get("payload") or ""),
        )
    postback = item.get("postback")
    if isinstance(postback, dict):
        # A button press: its title is what the young person saw and tapped.
        mid = postback.get("mid") or f"postback:{user_id}:{item.get('timestamp')}"
        title = postback.get("title") if isinstance(postback.get("title"), str) else ""
        return InboundEvent(
            account_id=entry_id,
            user_id=user_id,
            message_id=str(mid),
            at=at,
            text=title,
            choice=str(postback.get("payload") or ""),
        )
    return None


def _attachments(message: dict) -> tuple[tuple[str, ...], list[str]]:
    """(the URL of each image, the kinds of the other attachments) of a message.

    A sticker (the thumbs-up too) comes as an "image" with a sticker_id: it is
    a sticker, not a picture the young person took.
    """
    attachments = message.get("attachments")
    urls, others = [], []
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, dict):
            continue
        payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
        kind = str(attachment.get("type") or "file")
        if kind == "image" and payload.get("sticker_id"):
            others.append("sticker")
        elif kind == "image":
            url = payload.get("url")
            urls.append(url if isinstance(url, str) else "")
        else:
            others.append(kind)
    return tuple(urls), others


def inbound_events(data: dict, *, at: datetime.datetime) -> list[InboundEvent]:
    """Messages and postbacks; deliveries, reads, echoes and the rest are ignored."""
    events = []
    for entry in data.get("entry") or []:
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        for item in entry.get("messaging") or []:
            if isinstance(item, dict):
                event = _event(str(entry["id"]), item, at=at)
                if event is not None:
                    events.append(event)
    return events


def reply_window(*, thread, at: datetime.datetime, replies_since_inbound: int) -> ReplyWindow:
    since = at - thread.last_inbound_at
    if since <= STANDARD_WINDOW:
        return ReplyWindow(open=True)
    if since <= HUMAN_AGENT_WINDOW and settings.MESSENGER_HUMAN_AGENT_ENABLED:
        return ReplyWindow(open=False, code="messenger_window", tag=HUMAN_AGENT_TAG)
    return ReplyWindow(open=False, code="messenger_window")


def tag_allowed(*, thread, tag: str, at: datetime.datetime) -> bool:
    """Whether policy lets this reply go out now with this tag."""
    return reply_window(thread=thread, at=at, replies_since_inbound=0).tag == tag != ""


def _classify(answer) -> SendResult:
    data = answer.data
    if answer.status == 200 and data.get("message_id"):
        return SendResult(Outcome.SENT, external_id=str(data["message_id"]))
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    code, subcode = error.get("code"), error.get("error_subcode")
    label = f"{code}/{subcode}" if subcode else str(code or f"http_{answer.status}")
    if answer.status >= 500 or code in RETRY_CODES:
        return SendResult(Outcome.RETRY, error_code=label[:40])
    if subcode in WINDOW_SUBCODES:
        return SendResult(Outcome.WINDOW, error_code=label[:40])
    return SendResult(Outcome.PERMANENT, error_code=label[:40])


def send_text(
    *, account, contact, thread, text: str, tag: str = "", choices=(), at=None
) -> SendResult:
    """One Send API call, the Page token in the Authorization header (never in the URL).

    choices: (title, payload) pairs offered as quick replies (Messenger shows 13 at most).
    """
    at = at or timezone.now()
    message = {"text": text}
    if choices:
        message["quick_replies"] = [
            {"content_type": "text", "title": title[:20], "payload": payload}
            for title, payload in list(choices)[:13]
        ]
    payload = {"recipient": {"id": contact.user_id}, "message": message}
    if tag:
        payload.update(messaging_type="MESSAGE_TAG", tag=tag)
    else:
        payload["messaging_type"] = "RESPONSE"
    url = (
        f"{settings.MESSENGER_GRAPH_BASE_URL}/{settings.MESSENGER_GRAPH_VERSION}"
        f"/{account.external_id}/messages"
    )
    token = account.access_token
    if not token:
        return SendResult(Outcome.PERMANENT, error_code="no_page_token")
    try:
        answer = post_json(url, payload, headers={"Authorization": f"Bearer {token}"})
    except EdgeUnreachable:
        return SendResult(Outcome.RETRY, error_code="network")
    return _classify(answer)


def webhook_json(raw: bytes) -> dict | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
