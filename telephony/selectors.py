"""Reads of telephony data, through the same scope rules as cases.

Staff see the phone conversations of their own hotline, and the ones they
hold themselves (a central operator who took an overflowing provincial call);
central supervisors see all. Anything else is missing (404).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from helpline.models import Channel, Conversation
from telephony.models import PhoneContact


def phone_conversations_visible_to(*, user) -> QuerySet[Conversation]:
    """Return the voice and SMS conversations this user may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_hotline_staff:
        return Conversation.objects.none()
    phone = Conversation.objects.filter(channel__in=(Channel.VOICE, Channel.SMS))
    if user.is_central_supervisor:
        return phone
    return phone.filter(Q(hotline_id=user.hotline_id) | Q(operator_id=user.pk))


def phone_conversation_get_for_user(*, user, conversation_id) -> Conversation:
    try:
        return phone_conversations_visible_to(user=user).get(pk=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def phone_masked_for(*, conversation: Conversation) -> str:
    """The masked number of a phone conversation, for any staff who may see it."""
    contact = PhoneContact.objects.select_related("phone").filter(conversation=conversation).first()
    return contact.phone.masked if contact is not None else ""
