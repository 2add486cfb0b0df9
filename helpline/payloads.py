"""Every frame the chat and console sockets send that carries data, built in one place.

docs/protocol.md describes each. A frame is built from rows that a selector
returned; nothing here reads the database or decides who may see what.
"""

import datetime

from django.urls import reverse

from helpline.models import Channel, Conversation, Message


def iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def message(row: Message) -> dict:
    """One chat message, as both sockets send it (alone, or in a history).

    A message that carries a file (a young person's screenshot) names it by id
    and kind only: its content is fetched, and its reading recorded, over HTTP.
    """
    frame = {
        "type": "message",
        "conversation": str(row.conversation_id),
        "seq": row.seq,
        "sender": row.sender,
        "body": row.body,
        "at": iso(row.created_at),
    }
    if row.attachment is not None:
        frame["attachment"] = {"id": str(row.attachment), "kind": row.attachment_kind}
    return frame


def queue_item(conversation: Conversation, *, user) -> dict:
    """A queued conversation as the console's queue lists it: never any message text."""
    return {
        "conversation": str(conversation.pk),
        "channel": conversation.channel,
        "province": conversation.province_code,
        "hotline": conversation.hotline.code,
        "waiting_since": iso(conversation.queued_at),
        "risk": conversation.risk,
        "language": conversation.language,
        "age_group": conversation.age_group,
        "overflow": conversation.hotline_id != user.hotline_id,
        "transferred": conversation.transfer_count > 0,
        "danger": conversation.danger_at is not None,
        "left_message": conversation.left_message,
        "returning": conversation.youth_identity_id is not None,
    }


def case_fields(conversation: Conversation) -> dict:
    case = conversation.case
    return {
        "case": case.pk if case else None,
        "case_reference": case.reference if case else "",
        "case_url": reverse("cases:detail", args=[case.pk]) if case else "",
    }


def conversation_opened(conversation: Conversation, history: list[Message], *, kind: str) -> dict:
    """A conversation a console opens with its whole history.

    kind is "accepted" for one this operator holds, "monitoring" for one a
    supervisor watches without taking part.
    """
    return {
        "type": kind,
        "conversation": str(conversation.pk),
        "channel": conversation.channel,
        "state": conversation.state,
        "province": conversation.province_code,
        "hotline": conversation.hotline.code,
        "risk": conversation.risk,
        "language": conversation.language,
        "age_group": conversation.age_group,
        **case_fields(conversation),
        "youth_connected": conversation.channel == Channel.WEBCHAT
        and conversation.youth_seen_at is not None,
        "danger": conversation.danger_at is not None,
        "left_message": conversation.left_message,
        "returning": conversation.youth_identity_id is not None,
        "handover_note": conversation.handover_note,
        "transferred_from": conversation.transferred_from.code
        if conversation.transferred_from_id
        else "",
        "messages": [_history_message(row) for row in history],
    }


def _history_message(row: Message) -> dict:
    """A message of a history, with how it left the helpline when another app says so."""
    frame = message(row)
    if row.delivery is not None:
        frame["delivery"] = row.delivery
    return frame


def conversation_info(conversation: Conversation) -> dict:
    return {
        "type": "conversation",
        "conversation": str(conversation.pk),
        "state": conversation.state,
        "risk": conversation.risk,
        "danger": conversation.danger_at is not None,
        "returning": conversation.youth_identity_id is not None,
        "hotline": conversation.hotline.code,
        **case_fields(conversation),
        "last_seq": conversation.last_seq,
    }


def case_linked(conversation_id: str, case, *, created: bool) -> dict:
    return {
        "type": "case_linked",
        "conversation": conversation_id,
        "case": case.pk,
        "reference": case.reference,
        "url": reverse("cases:detail", args=[case.pk]),
        "transcript_url": reverse("case_transcript", args=[case.pk]),
        "created": created,
    }


def active_item(conversation: Conversation) -> dict:
    """An answered conversation on a supervisor's list: who handles it and since when, no text."""
    return {
        "conversation": str(conversation.pk),
        "channel": conversation.channel,
        "hotline": conversation.hotline.code,
        "province": conversation.province_code,
        "risk": conversation.risk,
        "operator": conversation.operator.username if conversation.operator else "",
        "answered_at": iso(conversation.answered_at),
        "age_group": conversation.age_group,
    }


def earlier_item(conversation: Conversation) -> dict:
    """An earlier contact of the same young person: when, how, where; no text."""
    return {
        "conversation": str(conversation.pk),
        "channel": conversation.channel,
        "hotline": conversation.hotline.code,
        "started_at": iso(conversation.created_at),
        "state": conversation.state,
        "case_reference": conversation.case.reference if conversation.case_id else "",
    }


def wrap_up_item(record) -> dict:
    """A finished contact waiting for its wrap-up: what the form needs, no content."""
    return {
        "conversation": str(record.conversation_id),
        "channel": record.channel,
        "province": record.province_code,
        "age_group": record.age_group,
        "ended_at": iso(record.ended_at),
        "case": record.case_id,
        "danger": record.danger,
    }
