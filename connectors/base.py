"""The seam every messaging platform plugs into: one module per platform.

A platform module (connectors/zalo.py, connectors/messenger.py) does only what
differs between platforms, and the rest is shared:

- `ready()`: whether its secrets are configured; without them its webhook
  answers 403 to everything and stores nothing;
- `signature_valid(request)`: checks the webhook's signature over the raw body
  (and whatever else the platform signs);
- `inbound_events(data, at=...)`: turns a verified webhook body into
  `InboundEvent`s, ignoring what is not a young person's message, with the
  URLs of the images it carries;
- `reply_window(thread=..., at=..., replies_since_inbound=...)`: whether the
  platform's rules allow a reply now, and if not why, and which message tag
  (if any) policy still allows;
- `send_text(account=..., contact=..., thread=..., text=..., tag=..., at=...)`:
  one call to the platform's send API, answered as a `SendResult`;
- `MAX_TEXT_CHARS`: the longest text one send may carry.

connectors/inbound.py maps the platform's user to a conversation and posts
through helpline.conversations with an idempotency key derived from the
platform's message id; connectors/outbound.py delivers operators' replies with
retries and tells the author's console how it went. Adding a platform is one
module like these, its webhook view and its tests.
"""

import datetime
import uuid
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

# client_id of a young person's message from a platform: derived from the
# platform's message id, so a repeated webhook maps to the same chat message.
PLATFORM_CLIENT_ID_NAMESPACE = uuid.UUID("3b0b5f0e-6a8c-4f4e-9a4c-1c2d3e4f5a6b")


@dataclass(frozen=True)
class InboundEvent:
    """A young person's message as a platform delivered it."""

    account_id: str  # the OA's or Page's id
    user_id: str  # the platform's id of the young person (personal data)
    message_id: str  # the platform's id of this message (unique per account)
    at: datetime.datetime
    text: str = ""
    # What else was sent that the helpline does not keep ("sticker", "file", "audio"...), or "".
    attachment: str = ""
    # The platform's URLs of the images sent with the message ("" for one without a URL):
    # fetched and kept like a screenshot from the web chat (connectors/media.py, harms).
    image_urls: tuple[str, ...] = ()
    # A quick reply or button the young person pressed: its payload.
    choice: str = ""


class Outcome:
    SENT = "sent"
    # The platform could not take it now (network, rate limit, its own fault): try again.
    RETRY = "retry"
    # The platform's reply window closed: nothing will go out without a new message.
    WINDOW = "window"
    # It will never go out (the user blocked the account, the token was revoked...).
    PERMANENT = "permanent"


@dataclass(frozen=True)
class SendResult:
    outcome: str
    external_id: str = ""
    error_code: str = ""


@dataclass(frozen=True)
class ReplyWindow:
    open: bool
    # Why a reply can't go out now: a code the console explains.
    code: str = ""
    # The message tag policy still allows for a reply by a person, if any (Messenger).
    tag: str = ""


def platform_client_id(*, platform: str, account_id: str, message_id: str) -> uuid.UUID:
    return uuid.uuid5(PLATFORM_CLIENT_ID_NAMESPACE, f"{platform}:{account_id}:{message_id}")


def adapter(platform: str) -> ModuleType:
    """The module of a platform, by its value ("zalo", "messenger")."""
    if platform not in ("zalo", "messenger"):
        raise LookupError(platform)
    return import_module(f"connectors.{platform}")
