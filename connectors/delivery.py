"""How an operator's reply on Zalo or Messenger is going, as the console shows it.

Two ways, with the same words: outbound.py pushes a connector_status frame to
the author's consoles at each outcome (reply_status_push), and a console that
opens the conversation again (a reload, a reconnect, a supervisor watching,
the next operator after a transfer) reads every reply's current state in the
history (reply_deliveries, through helpline.signals.history_delivery_requested).
docs/protocol.md describes both.
"""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import messenger
from connectors.models import DeliveryStatus, Platform, PlatformMessage
from connectors.selectors import replies_of_messages, thread_for_conversation
from helpline.broadcast import broadcast_on_commit
from helpline.groups import staff_group
from helpline.models import ConversationState

# Not a stored status: a reply the platform could not take yet, to be tried again.
RETRYING = "retrying"


def window_notice(reply: PlatformMessage, code: str, *, tag: str) -> str:
    """Why the platform's rules keep this reply from leaving now, and what can still be done."""
    seq = reply.message.seq
    if code == "zalo_reply_limit":
        return _(
            "Tin số %(seq)s không gửi được qua Zalo: đã trả lời %(count)s tin kể từ tin nhắn "
            "cuối của người liên hệ, mức Zalo cho phép. Tin nhắn vẫn được lưu; khi người liên "
            "hệ nhắn tiếp, bạn trả lời được."
        ) % {"seq": seq, "count": settings.ZALO_REPLIES_PER_USER_MESSAGE}
    if code == "zalo_window":
        return _(
            "Tin số %(seq)s không gửi được qua Zalo: Zalo chỉ cho trả lời trong %(hours)s giờ "
            "kể từ tin nhắn cuối của người liên hệ. Tin nhắn vẫn được lưu; khi người liên hệ "
            "nhắn tiếp, bạn trả lời được."
        ) % {"seq": seq, "hours": settings.ZALO_REPLY_WINDOW_HOURS}
    if tag:
        return _(
            "Tin số %(seq)s chưa được gửi: đã quá 24 giờ kể từ tin nhắn cuối của người liên "
            "hệ. Messenger vẫn cho tư vấn viên trả lời trong 7 ngày với thẻ HUMAN_AGENT, chỉ "
            "dành cho câu trả lời do chính bạn viết."
        ) % {"seq": seq}
    return _(
        "Tin số %(seq)s không gửi được qua Messenger: Messenger chỉ cho trả lời trong 24 giờ "
        "kể từ tin nhắn cuối của người liên hệ. Tin nhắn vẫn được lưu; khi người liên hệ nhắn "
        "tiếp, bạn trả lời được."
    ) % {"seq": seq}


def retry_notice(reply: PlatformMessage) -> str:
    return _(
        "Tin số %(seq)s chưa gửi được qua %(platform)s; hệ thống sẽ tự gửi lại. "
        "Tin nhắn đã được lưu."
    ) % {"seq": _seq(reply), "platform": reply.account.get_platform_display()}


def failed_notice(reply: PlatformMessage) -> str:
    return _(
        "Tin số %(seq)s không gửi được tới người liên hệ qua %(platform)s (mã lỗi %(code)s)."
    ) % {
        "seq": _seq(reply),
        "platform": reply.account.get_platform_display(),
        "code": reply.error_code or "?",
    }


def _seq(reply: PlatformMessage) -> int | None:
    return reply.message.seq if reply.message is not None else None


def _offer(reply: PlatformMessage, tag: str) -> dict:
    url = reverse("connectors:reply_human_agent", args=[reply.pk])
    return {"tag": tag, "reply": reply.pk, "url": url}


def reply_status_push(reply: PlatformMessage, *, status: str, code="", notice="", offer=""):
    """Tell the author's consoles, after commit. The helpline's own notices have no author.

    offer: the message tag the author may still send this reply with (Messenger).
    """
    message = reply.message
    if message is None or not message.author_id:
        return
    frame = {
        "type": "connector_status",
        "conversation": str(reply.conversation_id),
        "channel": reply.account.platform,
        "seq": message.seq,
        "reply": reply.pk,
        "status": status,
        "code": code,
        "notice": notice,
    }
    if offer:
        frame["offer"] = _offer(reply, offer)
    broadcast_on_commit(staff_group(message.author_id), {"type": "console.push", "frame": frame})


def reply_window_push(reply: PlatformMessage, code: str, *, tag: str = "") -> None:
    if reply.message is None:
        return
    reply_status_push(
        reply,
        status=DeliveryStatus.WINDOW_CLOSED,
        code=code,
        notice=window_notice(reply, code, tag=tag),
        offer=tag,
    )


# ---------------------------------------------------------------- in a history


def _tag_offered(reply: PlatformMessage, *, user, thread, at) -> str:
    """The tag this reader may still send a window-closed reply with: its author, holding it."""
    conversation = reply.conversation
    if (
        reply.account.platform != Platform.MESSENGER
        or reply.tag
        or reply.message.author_id != user.pk
        or conversation.operator_id != user.pk
        or conversation.state != ConversationState.ACTIVE
        or thread is None
    ):
        return ""
    tag = messenger.HUMAN_AGENT_TAG
    return tag if messenger.tag_allowed(thread=thread, tag=tag, at=at) else ""


def _window_code(reply: PlatformMessage) -> str:
    """The window code stored with the reply; the platform's generic one if none was."""
    if reply.error_code in ("zalo_window", "zalo_reply_limit", "messenger_window"):
        return reply.error_code
    return f"{reply.account.platform}_window"


def reply_delivery(reply: PlatformMessage, *, user, thread, at: datetime.datetime) -> dict:
    """A reply's state now, as its latest connector_status frame said it (without the frame)."""
    state = {"reply": reply.pk, "status": reply.status, "code": "", "notice": ""}
    if reply.status == DeliveryStatus.PENDING and reply.attempts > 0:
        state.update(status=RETRYING, code=reply.error_code, notice=retry_notice(reply))
    elif reply.status == DeliveryStatus.FAILED:
        state.update(code=reply.error_code, notice=failed_notice(reply))
    elif reply.status == DeliveryStatus.WINDOW_CLOSED:
        code = _window_code(reply)
        tag = _tag_offered(reply, user=user, thread=thread, at=at)
        state.update(code=code, notice=window_notice(reply, code, tag=tag))
        if tag:
            state["offer"] = _offer(reply, tag)
    return state


def reply_deliveries(*, conversation, messages, user, at=None) -> dict[int, dict]:
    """{seq: state} of the operators' messages among `messages` that left through a platform.

    The caller has already let `user` read the conversation (helpline's history
    read): this adds how each reply went, never anything the history lacks.
    """
    if conversation.channel not in Platform.values:
        return {}
    at = at or timezone.now()
    replies = replies_of_messages(message_ids=[m.pk for m in messages])
    if not replies:
        return {}
    thread = thread_for_conversation(conversation_id=conversation.pk)
    return {
        reply.message.seq: reply_delivery(reply, user=user, thread=thread, at=at)
        for reply in replies
    }
