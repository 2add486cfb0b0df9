"""What the voice and SMS state machines share, and the number reveal.

The machines themselves live in telephony/calls.py and telephony/sms.py. Both
store the caller's number once (encrypted, found by its lookup hash), tell an
operator's consoles about a failure through staff_push, and read Twilio's
counts and durations with non_negative_int. phone_reveal shows a supervisor a
full number and records that it did.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.audit import case_event_record
from cases.models import CaseEvent
from helpline.broadcast import broadcast_on_commit
from helpline.groups import staff_group
from telephony.models import PhoneNumber, PhoneReveal
from telephony.phone import phone_decrypt, phone_encrypt, phone_lookup_hash
from telephony.selectors import phone_contact_for, phone_conversation_get_for_user


def phone_number_get_or_create(*, number: str) -> PhoneNumber:
    """The stored (encrypted) number, found by its lookup hash; stored once."""
    number_hash = phone_lookup_hash(number)
    phone = PhoneNumber.objects.filter(number_hash=number_hash).first()
    if phone is not None:
        return phone
    try:
        with transaction.atomic():
            return PhoneNumber.objects.create(
                number_hash=number_hash, number_encrypted=phone_encrypt(number)
            )
    except IntegrityError:
        # A concurrent request stored the same number first.
        return PhoneNumber.objects.get(number_hash=number_hash)


def staff_push(*, user_id: int | None, frame: dict) -> None:
    """Tell one operator's consoles, after commit; the channel layer only signals."""
    if user_id is not None:
        broadcast_on_commit(staff_group(user_id), {"type": "console.push", "frame": frame})


def non_negative_int(raw) -> int | None:
    """A count or a number of seconds as Twilio sends it (text); None when missing or invalid."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


@transaction.atomic
def phone_reveal(*, user, conversation_id) -> str | None:
    """The full number of a phone conversation, for a supervisor in scope; None when it has none.

    Each reveal writes a PhoneReveal row, and a timeline event when the
    conversation belongs to a case, in the same transaction as the read.
    """
    conversation = phone_conversation_get_for_user(user=user, conversation_id=conversation_id)
    if not user.is_supervisor:
        raise PermissionDenied
    contact = phone_contact_for(conversation=conversation)
    if contact is None:
        return None
    at = timezone.now()
    PhoneReveal.objects.create(conversation_uuid=conversation.pk, actor=user, at=at)
    if conversation.case_id is not None:
        case_event_record(
            case_id=conversation.case_id,
            actor=user,
            action=CaseEvent.Action.PHONE_REVEALED,
            conversation=str(conversation.pk),
            at=at,
        )
    return phone_decrypt(contact.phone.number_encrypted)
