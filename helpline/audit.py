"""Audited reads of conversations over the sockets.

A conversation's history reaching a member of staff is a read of what a young
person said, like opening a transcript page: it is recorded who received which
messages, when and how, in the transaction that read them. A conversation that
belongs to a case also gets the read on the case's timeline.
"""

from cases.audit import case_event_record
from cases.models import CaseEvent
from helpline.models import Conversation, ConversationRead


def conversation_read_record(
    *, conversation: Conversation, actor, kind: str, first_seq: int, last_seq: int
) -> ConversationRead:
    """Write that messages first_seq..last_seq of the conversation reached this member of staff."""
    read = ConversationRead.objects.create(
        conversation_uuid=conversation.pk,
        actor=actor,
        kind=kind,
        first_seq=first_seq,
        last_seq=last_seq,
    )
    if conversation.case_id is not None:
        case_event_record(
            case_id=conversation.case_id,
            actor=actor,
            action=CaseEvent.Action.TRANSCRIPT_VIEWED,
            conversation=str(conversation.pk),
            via=kind,
            at=read.at,
        )
    return read
