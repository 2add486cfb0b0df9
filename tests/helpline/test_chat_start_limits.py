"""Starting web chats is limited per network, not having them: a school's NAT is not a flood.

Starts per minute and per hour are counted per address (per /64 for IPv6);
chats waiting unanswered from one address are capped; an answered chat no
longer counts. Addresses are only ever stored as keyed hashes.
"""

import datetime
import zoneinfo

import pytest

from helpline.conversations import (
    TooManyChats,
    TooManyStarts,
    chat_start_attempts_purge,
    conversation_accept,
    conversation_end,
    conversation_start,
)
from helpline.models import ChatStartAttempt, Conversation

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=HANOI)


def start(address, *, at=NOW):
    conversation, _token = conversation_start(
        channel="webchat", hotline=None, province_code="01", client_address=address, at=at
    )
    return conversation


@pytest.mark.django_db
def test_a_sixth_child_behind_one_school_address_gets_in_once_the_others_are_answered(
    op_hanoi, sup_hanoi, settings
):
    settings.OPERATOR_CAPACITY = 5
    settings.CHAT_MAX_QUEUED_PER_ADDRESS = 5
    first_five = [start("203.0.113.7", at=NOW + datetime.timedelta(seconds=i)) for i in range(5)]
    with pytest.raises(TooManyChats):
        start("203.0.113.7", at=NOW + datetime.timedelta(seconds=6))
    for conversation in first_five:
        conversation_accept(
            user=op_hanoi, conversation_id=conversation.pk, at=NOW + datetime.timedelta(seconds=6)
        )
    sixth = start("203.0.113.7", at=NOW + datetime.timedelta(seconds=7))
    assert sixth.state == "queued"
    # The hash is kept only while a chat waits: answered chats have forgotten it.
    assert set(
        Conversation.objects.filter(pk__in=[c.pk for c in first_five]).values_list(
            "youth_ip_hash", flat=True
        )
    ) == {""}


@pytest.mark.django_db
def test_a_flood_of_starts_from_one_address_is_cut_off(settings, reference_data):
    settings.CHAT_STARTS_PER_MINUTE = 10
    started, refused = 0, 0
    for i in range(30):
        at = NOW + datetime.timedelta(milliseconds=90 * i)
        try:
            conversation = start("198.51.100.9", at=at)
        except TooManyStarts:
            refused += 1
        else:
            started += 1
            # Ending each at once keeps the queued cap out of the way.
            conversation_end(conversation_id=conversation.pk, at=at)
    assert (started, refused) == (10, 20)
    # Another address is not affected, and a minute later this one may start again.
    start("198.51.100.10", at=NOW + datetime.timedelta(seconds=3))
    start("198.51.100.9", at=NOW + datetime.timedelta(seconds=65))


@pytest.mark.django_db
def test_the_hourly_limit_holds_against_a_slow_flood(settings, reference_data):
    settings.CHAT_STARTS_PER_MINUTE = 100
    settings.CHAT_STARTS_PER_HOUR = 12
    for i in range(12):
        at = NOW + datetime.timedelta(minutes=4 * i)
        conversation_end(conversation_id=start("198.51.100.20", at=at).pk, at=at)
    with pytest.raises(TooManyStarts):
        start("198.51.100.20", at=NOW + datetime.timedelta(minutes=48))
    start("198.51.100.20", at=NOW + datetime.timedelta(minutes=61))


@pytest.mark.django_db
def test_ipv6_addresses_of_one_64_count_together_and_other_64s_do_not(settings, reference_data):
    settings.CHAT_STARTS_PER_MINUTE = 3
    for host in ("::1", "::2", "::abcd"):
        conversation = start(f"2001:db8:1:2{host}")
        conversation_end(conversation_id=conversation.pk)
    with pytest.raises(TooManyStarts):
        start("2001:db8:1:2:ffff:ffff:ffff:ffff")
    start("2001:db8:1:3::1")


@pytest.mark.django_db
def test_only_keyed_hashes_are_kept_and_the_worker_forgets_them_after_an_hour(reference_data):
    start("192.0.2.44")
    [attempt] = ChatStartAttempt.objects.all()
    assert "192.0.2.44" not in attempt.address_hash and len(attempt.address_hash) == 64
    assert chat_start_attempts_purge(at=NOW + datetime.timedelta(minutes=59)) == 0
    assert chat_start_attempts_purge(at=NOW + datetime.timedelta(minutes=61)) == 1
    assert not ChatStartAttempt.objects.exists()
