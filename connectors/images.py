"""A young person's images on Zalo or Messenger, kept like a screenshot from the web chat.

The same pipeline as POST /chat/upload/ (harms/screenshots.py), in three steps:

1. images_fetch, before any transaction or lock (a slow CDN must hold neither a
   young person's row nor SQLite's write lock): each image is fetched from the
   platform (connectors/media.py: https, allowed hosts, no redirect elsewhere,
   at most EVIDENCE_IMAGE_MAX_BYTES, bounded in time) and cleaned (re-encoded
   without metadata), or given the reason it was not;
2. images_stage, in the message's transaction: written encrypted to disk;
3. images_post, once the conversation is known: the limits (per conversation,
   and per platform user where the web chat counts per network), then an
   EvidenceFile of the conversation and a chat message carrying it, whose
   client_id derives from the platform's message id and the image's place in
   it, so a repeated webhook posts nothing twice. The console shows it blurred
   until someone asks, on the record, to see it.

The young person hears back in words: why an image was not kept, and, after
their first image in a conversation, the web chat's warning about nude images
(a platform gives no moment to say it before).
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from connectors import outbound
from connectors.base import InboundEvent, platform_client_id
from connectors.media import MediaRefused, media_fetch
from connectors.models import Notice
from connectors.selectors import notice_sent_in
from harms.images import CleanFile
from harms.screenshots import (
    ScreenshotRefused,
    StagedScreenshot,
    screenshot_clean,
    screenshot_discard,
    screenshot_limits_check,
    screenshot_post,
    screenshot_stage,
    screenshots_available,
)
from harms.services import FilesWritten
from helpline import conversations


@dataclass(frozen=True)
class FetchedImage:
    """One image of a message after fetching: what is kept of it, or why nothing is."""

    clean: CleanFile | None = None
    refusal: str = ""


def images_fetch(event: InboundEvent) -> list[FetchedImage]:
    """Fetch and clean the event's images. Never call it inside a transaction."""
    if not event.image_urls:
        return []
    if not screenshots_available():
        # No key to keep them with: nothing is fetched (fail closed).
        return [FetchedImage(refusal="unavailable") for _url in event.image_urls]
    fetched = []
    for index, url in enumerate(event.image_urls):
        if index >= settings.CHAT_UPLOADS_PER_CONVERSATION_PER_HOUR:
            # More than a conversation may keep in an hour: not worth a download.
            fetched.append(FetchedImage(refusal="too_many_uploads"))
            continue
        try:
            data = media_fetch(url, limit=settings.EVIDENCE_IMAGE_MAX_BYTES)
            fetched.append(FetchedImage(clean=screenshot_clean(data)))
        except (MediaRefused, ScreenshotRefused) as refused:
            fetched.append(FetchedImage(refusal=refused.code))
    return fetched


def images_stage(fetched: list[FetchedImage], *, written: FilesWritten) -> list[dict]:
    """Write the kept images to disk; the list (plain values) that images_post takes."""
    return [
        {"staged": screenshot_stage(image.clean, written=written).as_dict()}
        if image.clean is not None
        else {"refusal": image.refusal}
        for image in fetched
    ]


def images_hold(items: list[dict]) -> str:
    """The staged images of a held message as text, for the caller to keep encrypted."""
    return json.dumps(items)


def images_held(text: str) -> list[dict]:
    return json.loads(text) if text else []


def images_discard(items: list[dict]) -> None:
    """Erase the staged images of a held message that will never be posted."""
    for item in items:
        if "staged" in item:
            screenshot_discard(StagedScreenshot.from_dict(item["staged"]))


def images_post(thread, *, account, contact, message_id: str, items: list[dict], at):
    """Post the staged images in the thread's conversation; (first message or None, refusals).

    Raises helpline.conversations.ConversationClosed if the conversation ended
    meanwhile: the caller starts a new one.
    """
    first, refusals = None, []
    for index, item in enumerate(items):
        staged = StagedScreenshot.from_dict(item["staged"]) if "staged" in item else None
        refusal = _limits_refusal(thread, contact=contact, at=at) or item.get("refusal", "")
        if refusal:
            refusals.append(refusal)
            if staged is not None:
                transaction.on_commit(lambda staged=staged: screenshot_discard(staged))
            continue
        client_id = platform_client_id(
            platform=account.platform,
            account_id=account.external_id,
            message_id=f"{message_id}/image/{index}",
        )
        try:
            posted = screenshot_post(
                conversation=thread.conversation, client_id=client_id, staged=staged, at=at
            )
        except ScreenshotRefused:
            # The only refusal left at this point: the conversation ended.
            raise conversations.ConversationClosed() from None
        first = first or posted.message
    return first, refusals


def _limits_refusal(thread, *, contact, at) -> str:
    """Count one try from this platform user, as the web chat counts one from a network."""
    try:
        with transaction.atomic():
            screenshot_limits_check(
                conversation=thread.conversation, sender_key=contact.user_hash, at=at
            )
    except ScreenshotRefused as refused:
        return refused.code
    return ""


def image_marker() -> str:
    """The young person's message when an image was sent but none was kept, and no words."""
    return _("[Hình ảnh: tổng đài chưa nhận được]")


def image_notices_enqueue(thread, *, refusals: list[str], at) -> None:
    """Say why images were not kept, then, once per conversation, the warning."""
    for reason in dict.fromkeys(refusals):
        outbound.notice_enqueue(thread=thread, notice=Notice.IMAGE_NOT_KEPT, reason=reason, at=at)
    if not notice_sent_in(conversation_id=thread.conversation_id, notice=Notice.IMAGE_WARNING):
        outbound.notice_enqueue(thread=thread, notice=Notice.IMAGE_WARNING, at=at)
