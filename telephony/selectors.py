"""Reads of telephony data, through the conversations' one door.

Staff see a phone conversation exactly when helpline.selectors lets them see the
conversation: their own hotline's, the ones they hold, and for central staff the
provincial ones waiting in the overflow queue. Anything else is missing (404).
"""

from django.db.models import QuerySet
from django.http import Http404

from helpline.models import Channel, Conversation
from helpline.selectors import conversations_visible_to
from telephony.models import PhoneContact


def phone_conversations_visible_to(*, user) -> QuerySet[Conversation]:
    """Return the voice and SMS conversations this user may see."""
    return conversations_visible_to(user=user).filter(channel__in=(Channel.VOICE, Channel.SMS))


def phone_conversation_get_for_user(*, user, conversation_id) -> Conversation:
    try:
        return phone_conversations_visible_to(user=user).get(pk=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def phone_masked_for(*, conversation: Conversation) -> str:
    """The masked number of a phone conversation, for any staff who may see it."""
    contact = PhoneContact.objects.select_related("phone").filter(conversation=conversation).first()
    return contact.phone.masked if contact is not None else ""
