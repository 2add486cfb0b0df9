"""Zalo and Messenger rows leave with the contact they belong to, and with its deletion request.

A platform user id names a young person as surely as a phone number; the rows
are made here as the connectors make them, with placeholder ciphertext, since
only their links matter to the purge.
"""

import datetime

import pytest

from connectors.models import (
    DeliveryStatus,
    Platform,
    PlatformAccount,
    PlatformContact,
    PlatformMessage,
    PlatformThread,
)
from helpline.models import ContactRecord, Conversation
from retention import jobs
from retention.models import PurgeKind, PurgeRecord
from retention.services import deletion_request_make
from tests.retention.helpers import MINUTE, T0, chat

pytestmark = [pytest.mark.usefixtures("reference_data"), pytest.mark.django_db]

CONTACT_ENDED = T0 + 10 * MINUTE
NINETY_DAYS = datetime.timedelta(days=90)


def purge(now) -> int:
    removed, _finished = jobs.retention_purge(now=now)
    return removed


def platform_contact(hotline, *, name="a") -> PlatformContact:
    account = PlatformAccount.objects.create(
        platform=Platform.ZALO, external_id=f"oa-{name}", name="OA", hotline=hotline
    )
    return PlatformContact.objects.create(
        account=account, user_hash=name * 64, user_encrypted="ciphertext", created_at=T0
    )


def on_platform(conversation: Conversation, contact: PlatformContact) -> None:
    """The conversation came from the contact's platform account, with one inbound message."""
    PlatformThread.objects.create(conversation=conversation, contact=contact, last_inbound_at=T0)
    PlatformMessage.objects.create(
        account=contact.account,
        contact=contact,
        external_id="msg-1",
        direction=PlatformMessage.Direction.INBOUND,
        conversation=conversation,
        status=DeliveryStatus.RECEIVED,
        created_at=T0,
    )


def test_it_deletes_the_platform_account_link_with_the_contact_and_then_the_account(op_hanoi):
    conversation, _token = chat(operator=op_hanoi)
    contact = platform_contact(op_hanoi.hotline)
    on_platform(conversation, contact)

    assert purge(CONTACT_ENDED + NINETY_DAYS - MINUTE) == 0
    assert PlatformContact.objects.exists()

    purge(CONTACT_ENDED + NINETY_DAYS)
    assert not Conversation.objects.exists()
    assert not PlatformThread.objects.exists()
    assert not PlatformMessage.objects.exists()
    # Nothing refers to the young person's platform account any more: it goes in the same round.
    assert not PlatformContact.objects.exists()
    assert PurgeRecord.objects.filter(kind=PurgeKind.PLATFORM_CONTACT, count=1).exists()
    assert ContactRecord.objects.count() == 1


def test_it_keeps_a_platform_account_while_a_kept_conversation_refers_to_it(op_hanoi):
    kept, _token = chat(operator=op_hanoi, at=T0 + NINETY_DAYS)
    contact = platform_contact(op_hanoi.hotline)
    on_platform(kept, contact)

    purge(CONTACT_ENDED + NINETY_DAYS)
    assert PlatformContact.objects.filter(pk=contact.pk).exists()
    assert PlatformThread.objects.filter(conversation=kept).exists()


def test_it_deletes_a_held_message_that_never_joined_a_conversation(op_hanoi):
    contact = platform_contact(None)
    held = PlatformMessage.objects.create(
        account=contact.account,
        contact=contact,
        external_id="held-1",
        direction=PlatformMessage.Direction.INBOUND,
        held_body_encrypted="ciphertext of the young person's first words",
        status=DeliveryStatus.HELD,
        created_at=T0,
    )
    assert purge(T0 + NINETY_DAYS - MINUTE) == 0
    assert PlatformMessage.objects.filter(pk=held.pk).exists()

    purge(T0 + NINETY_DAYS)
    assert not PlatformMessage.objects.exists()
    assert not PlatformContact.objects.exists()
    assert list(PurgeRecord.objects.order_by("id").values_list("kind", flat=True)) == [
        PurgeKind.PLATFORM_HELD_MESSAGE,
        PurgeKind.PLATFORM_CONTACT,
    ]


def test_a_deletion_request_unlinks_the_conversation_from_the_platform_account(op_hanoi):
    conversation, _token = chat(operator=op_hanoi)
    contact = platform_contact(op_hanoi.hotline)
    on_platform(conversation, contact)

    request = deletion_request_make(conversation_id=conversation.pk, at=CONTACT_ENDED + MINUTE)

    assert request.status == "done"
    assert not PlatformThread.objects.exists()
    assert not PlatformMessage.objects.exists()
    # The account row itself holds no words; it leaves with its period like any other.
    assert PlatformContact.objects.filter(pk=contact.pk).exists()
