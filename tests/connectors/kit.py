"""What the connector tests share: platform payloads, signing, and an inbox of console pushes."""

import hashlib
import hmac
import itertools
import json
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from helpline.groups import staff_group
from tests.connectors import messenger_edge, zalo_edge

ZALO_WEBHOOK = "/connectors/zalo/webhook/"
MESSENGER_WEBHOOK = "/connectors/messenger/webhook/"
ZALO_USER = "2468458835296117922"
MESSENGER_USER = "6543210987654321"
_ids = itertools.count(1)


def now_ms() -> int:
    return int(time.time() * 1000)


def zalo_event(
    text="Em cần giúp đỡ",
    *,
    kind="text",
    user=ZALO_USER,
    oa=zalo_edge.OA_ID,
    msg_id=None,
    timestamp=None,
    app_id=zalo_edge.APP_ID,
    url="https://zalo.example/x",
) -> dict:
    """A user_send_<kind> event as Zalo posts it; an image's or file's payload names `url`.

    An image with text carries it as its caption, as Zalo does.
    """
    message = {"msg_id": msg_id or f"zalo-in-{next(_ids)}"}
    if kind == "text":
        message["text"] = text
    else:
        payload = {"url": url, "thumbnail": url}
        message["attachments"] = [{"type": kind, "payload": payload}]
        if kind == "image" and text:
            message["text"] = text
    return {
        "app_id": app_id,
        "user_id_by_app": "552177279717587730",
        "event_name": f"user_send_{kind}",
        "timestamp": str(timestamp if timestamp is not None else now_ms()),
        "sender": {"id": user},
        "recipient": {"id": oa},
        "message": message,
    }


def zalo_sign(raw: bytes, *, timestamp: str, secret=zalo_edge.OA_SECRET_KEY, app_id=None) -> str:
    app_id = app_id or zalo_edge.APP_ID
    subject = app_id.encode() + raw + timestamp.encode() + secret.encode()
    return "mac=" + hashlib.sha256(subject).hexdigest()


def zalo_post(client, event: dict, *, signature: str | None = None):
    """POST like Zalo: the JSON body, signed (unless a signature is given; "" sends none)."""
    raw = json.dumps(event, ensure_ascii=False).encode()
    if signature is None:
        signature = zalo_sign(raw, timestamp=event["timestamp"])
    headers = {"HTTP_X_ZEVENT_SIGNATURE": signature} if signature else {}
    return client.post(ZALO_WEBHOOK, raw, content_type="application/json", **headers)


def messenger_message(
    text="Em cần giúp đỡ",
    *,
    user=MESSENGER_USER,
    page=messenger_edge.PAGE_ID,
    mid=None,
    quick_reply=None,
    attachment=None,
    images=(),
    echo=False,
) -> dict:
    """A message as Meta posts it; `images` are the URLs of its photos, each an attachment."""
    message = {"mid": mid or f"m_in{next(_ids)}"}
    if text:
        message["text"] = text
    if quick_reply:
        message["quick_reply"] = {"payload": quick_reply}
    attachments = [{"type": "image", "payload": {"url": url}} for url in images]
    if attachment:
        attachments.append({"type": attachment, "payload": {"url": "https://x.example"}})
    if attachments:
        message["attachments"] = attachments
    if echo:
        message["is_echo"] = True
    sender, recipient = (page, user) if echo else (user, page)
    return _messenger_entry(
        page,
        {
            "sender": {"id": sender},
            "recipient": {"id": recipient},
            "timestamp": now_ms(),
            "message": message,
        },
    )


def messenger_postback(title, payload, *, user=MESSENGER_USER, page=messenger_edge.PAGE_ID):
    item = {
        "sender": {"id": user},
        "recipient": {"id": page},
        "timestamp": now_ms(),
        "postback": {"mid": f"m_pb{next(_ids)}", "title": title, "payload": payload},
    }
    return _messenger_entry(page, item)


def _messenger_entry(page: str, item: dict) -> dict:
    return {"object": "page", "entry": [{"id": page, "time": now_ms(), "messaging": [item]}]}


def messenger_sign(raw: bytes, *, secret=messenger_edge.APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def messenger_post(client, body: dict, *, signature: str | None = None, **headers):
    raw = json.dumps(body, ensure_ascii=False).encode()
    if signature is None:
        signature = messenger_sign(raw)
    if signature:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(MESSENGER_WEBHOOK, raw, content_type="application/json", **headers)


class StaffInbox:
    """Frames pushed to one member of staff's consoles, read from the channel layer."""

    def __init__(self, user):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(staff_group(user.pk), self.channel)

    def frames(self) -> list[dict]:
        found = []
        while True:
            try:
                event = async_to_sync(self._receive)()
            except TimeoutError:
                return found
            if event.get("type") == "console.push":
                found.append(event["frame"])

    async def _receive(self):
        import asyncio

        return await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.05)
