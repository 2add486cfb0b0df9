"""Contacts and cases made the way the helpline makes them, at chosen moments."""

import datetime
import uuid
import zoneinfo

from cases.models import Category
from cases.services import case_note_add, case_transition
from escalation.models import Agency
from escalation.services import escalation_create, escalation_message_send
from helpline.contacts import contact_wrap_up
from helpline.conversations import (
    conversation_accept,
    conversation_case_create,
    conversation_end,
    conversation_start,
    message_post,
)
from helpline.models import Channel, Conversation, Sender

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=HCM)
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)

YOUTH_WORDS = "Em bị lộ ảnh riêng tư, SECRET-YOUTH-WORDS"
OPERATOR_WORDS = "Chị ở đây với em, SECRET-OPERATOR-WORDS"
SUMMARY = "Tóm tắt riêng tư SECRET-SUMMARY"
NOTE = "Ghi chú riêng tư SECRET-NOTE"
ESCALATION_SUMMARY = "Nội dung gửi cơ quan SECRET-ESCALATION"
ESCALATION_MESSAGE = "Trao đổi với cơ quan SECRET-AGENCY-MESSAGE"
CONTENT = (YOUTH_WORDS, OPERATOR_WORDS, SUMMARY, NOTE, ESCALATION_SUMMARY, ESCALATION_MESSAGE)


def chat(*, operator, at=T0, end=True) -> tuple[Conversation, str]:
    """A web chat to the operator's hotline with one message each way, answered by the operator
    and (by default) ended ten minutes after `at`. Returns the conversation and the token."""
    province = "" if operator.hotline.is_central else operator.hotline.code
    conversation, token = conversation_start(
        channel=Channel.WEBCHAT, hotline=None, province_code=province, at=at
    )
    message_post(
        conversation_id=conversation.pk,
        sender=Sender.YOUTH,
        body=YOUTH_WORDS,
        client_id=uuid.uuid4(),
        at=at,
    )
    conversation_accept(user=operator, conversation_id=conversation.pk, at=at + MINUTE)
    message_post(
        conversation_id=conversation.pk,
        sender=Sender.OPERATOR,
        body=OPERATOR_WORDS,
        client_id=uuid.uuid4(),
        author=operator,
        at=at + 2 * MINUTE,
    )
    if end:
        chat_end(conversation, operator=operator, at=at + 10 * MINUTE)
    conversation.refresh_from_db()
    return conversation, token


def chat_end(conversation, *, operator, at):
    """End the chat and wrap it up, so the operator may take the next one."""
    conversation_end(conversation_id=conversation.pk, by_user=operator, at=at)
    contact_wrap_up(
        user=operator,
        conversation_id=conversation.pk,
        contact_type="counselling",
        outcome="resolved",
        at=at,
    )


def call(*, hotline, at=T0) -> Conversation:
    """A call that nobody answered: abandoned in the queue a minute after `at`."""
    conversation, _token = conversation_start(channel=Channel.VOICE, hotline=hotline, at=at)
    conversation_end(conversation_id=conversation.pk, at=at + MINUTE)
    conversation.refresh_from_db()
    return conversation


def case_from_chat(*, operator, at=T0, escalate=False, close=True, end=True):
    """A chat turned into a case with a note (and an escalation), closed 20 minutes after `at`
    unless close is False. Returns (case, conversation, token)."""
    conversation, token = chat(operator=operator, at=at, end=False)
    case = conversation_case_create(
        user=operator,
        conversation_id=conversation.pk,
        summary=SUMMARY,
        categories=list(Category.objects.filter(code="online.privacy")),
        at=at + 3 * MINUTE,
    )
    if end:
        chat_end(conversation, operator=operator, at=at + 10 * MINUTE)
    case_note_add(user=operator, case_id=case.pk, body=NOTE)
    if escalate:
        escalation = escalation_create(
            user=operator,
            case_id=case.pk,
            agency_id=Agency.objects.get(code="a05-police").pk,
            escalation_type="privacy_violation",
            urgency="24h",
            legal_basis="emergency",
            summary=ESCALATION_SUMMARY,
            youth_informed="informed",
            shared_items=["transcript"],
            at=at + 5 * MINUTE,
        )
        escalation_message_send(
            user=operator, escalation_id=escalation.pk, body=ESCALATION_MESSAGE, at=at + 6 * MINUTE
        )
    if close:
        case_close(case, by=operator, at=at + 20 * MINUTE)
    case.refresh_from_db()
    conversation.refresh_from_db()
    return case, conversation, token


def case_close(case, *, by, at):
    for step in ("open", "resolve", "close"):
        case.refresh_from_db()
        if step == "open" and case.state != "new":
            continue
        case_transition(user=by, case_id=case.pk, transition=step, at=at)
