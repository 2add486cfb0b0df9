"""Conversation services and selectors: queue scope and order, overflow, races, timeouts."""

import datetime
import threading
import time
import uuid
import zoneinfo

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from helpline.conversations import (
    ConversationAlreadyTaken,
    ConversationClosed,
    conversation_accept,
    conversation_end,
    conversation_start,
    conversations_abandon_stale,
    message_post,
)
from helpline.models import Conversation, ConversationState, Hotline, Message
from helpline.presence import presence_heartbeat, presence_is_online, staff_online
from helpline.selectors import queue_for_user
from helpline.signals import conversation_accepted

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=HANOI)  # a Wednesday, 10:00


def start(code, *, at=NOW, risk="", channel="webchat"):
    hotline = Hotline.objects.get(code=code)
    conversation, _token = conversation_start(channel=channel, hotline=hotline, risk=risk, at=at)
    return conversation


@pytest.mark.django_db
def test_the_queue_is_ordered_by_risk_then_waiting_time(op_hanoi):
    old_low = start("01", at=NOW - datetime.timedelta(seconds=50), risk="low")
    new_imminent = start("01", at=NOW - datetime.timedelta(seconds=5), risk="imminent")
    older_unknown = start("01", at=NOW - datetime.timedelta(seconds=90))
    high = start("01", at=NOW - datetime.timedelta(seconds=10), risk="high")
    older_low = start("01", at=NOW - datetime.timedelta(seconds=70), risk="low")
    start("46")
    queue = queue_for_user(user=op_hanoi, at=NOW)
    assert [c.pk for c in queue] == [
        new_imminent.pk,
        high.pk,
        older_low.pk,
        old_low.pk,
        older_unknown.pk,
    ]


@pytest.mark.django_db
def test_central_sees_provincial_chats_only_after_the_overflow_delay(op_central, op_hue, settings):
    settings.CENTRAL_OVERFLOW_SECONDS = 120
    hue = start("46", at=NOW)
    central = start("00", at=NOW + datetime.timedelta(seconds=1))
    assert [
        c.pk for c in queue_for_user(user=op_central, at=NOW + datetime.timedelta(seconds=1))
    ] == [central.pk]
    later = NOW + datetime.timedelta(seconds=121)
    assert [c.pk for c in queue_for_user(user=op_central, at=later)] == [hue.pk, central.pk]
    # The province keeps it in its own queue, and never sees central's.
    assert [c.pk for c in queue_for_user(user=op_hue, at=later)] == [hue.pk]


@pytest.mark.django_db
def test_central_sees_at_once_a_chat_that_arrives_while_the_province_is_closed(op_central):
    night = datetime.datetime(2026, 11, 25, 23, 0, tzinfo=HANOI)
    hue = start("46", at=night)
    assert [c.pk for c in queue_for_user(user=op_central, at=night)] == [hue.pk]
    accepted = conversation_accept(user=op_central, conversation_id=hue.pk, at=night)
    assert accepted.operator == op_central


@pytest.mark.django_db
def test_a_provincial_operator_cannot_accept_another_provinces_chat(op_hue, op_hanoi):
    from helpline.conversations import ConversationNotFound

    hanoi = start("01")
    with pytest.raises(ConversationNotFound):
        conversation_accept(user=op_hue, conversation_id=hanoi.pk)
    conversation_accept(user=op_hanoi, conversation_id=hanoi.pk)
    with pytest.raises(ConversationAlreadyTaken):
        conversation_accept(user=op_hanoi, conversation_id=hanoi.pk)
    # Taken or not, another province's conversation is as missing as an unknown id.
    with pytest.raises(ConversationNotFound):
        conversation_accept(user=op_hue, conversation_id=hanoi.pk)
    with pytest.raises(ConversationNotFound):
        conversation_accept(user=op_hue, conversation_id=uuid.uuid4())


@pytest.mark.django_db
def test_a_central_operator_who_saw_an_overflowed_chat_is_told_it_was_taken(
    op_central, op_hue, settings
):
    settings.CENTRAL_OVERFLOW_SECONDS = 120
    hue = start("46", at=NOW - datetime.timedelta(seconds=300))
    conversation_accept(user=op_hue, conversation_id=hue.pk, at=NOW)
    with pytest.raises(ConversationAlreadyTaken):
        conversation_accept(user=op_central, conversation_id=hue.pk, at=NOW)


@pytest.mark.django_db(transaction=True)
def test_two_threads_accepting_at_once_have_exactly_one_winner(op_hanoi, sup_hanoi):
    conversation = start("01")
    barrier = threading.Barrier(2)
    outcomes = {}

    def accept(user):
        barrier.wait()
        try:
            for _attempt in range(200):
                try:
                    conversation_accept(user=user, conversation_id=conversation.pk)
                    outcomes[user.username] = "won"
                except ConversationAlreadyTaken:
                    outcomes[user.username] = "already_taken"
                except OperationalError as error:
                    # The in-memory SQLite test database shares one cache between
                    # threads and answers "table is locked" instead of waiting as
                    # a file database (busy timeout) or PostgreSQL (row lock) do.
                    if "locked" not in str(error):
                        raise
                    time.sleep(0.01)
                    continue
                return
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (op_hanoi, sup_hanoi)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["already_taken", "won"]
    conversation.refresh_from_db()
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    assert conversation.operator.username == winner


@pytest.mark.django_db
def test_a_stale_copy_cannot_accept_what_someone_else_took(op_hanoi, sup_hanoi):
    from django_fsm import ConcurrentTransition

    conversation = start("01")
    stale = Conversation.objects.get(pk=conversation.pk)
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    stale.accept(operator=sup_hanoi, at=NOW)
    with pytest.raises(ConcurrentTransition):
        stale.save()


@pytest.mark.django_db(transaction=True)
def test_the_accepted_signal_goes_out_only_after_commit(op_hanoi):
    conversation = start("01")
    seen = []

    def listener(sender, conversation, operator, **kwargs):
        seen.append(Conversation.objects.get(pk=conversation.pk).state)

    conversation_accepted.connect(listener, dispatch_uid="after-commit")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
            raise RuntimeError("rolled back")
        assert seen == []
        conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
        assert seen == ["active"]
    finally:
        conversation_accepted.disconnect(dispatch_uid="after-commit")


@pytest.mark.django_db(transaction=True)
def test_seq_is_gap_free_and_a_resend_uses_no_seq(hotline_hanoi):
    conversation = start("01")
    client_id = uuid.uuid4()
    first, created = message_post(
        conversation_id=conversation.pk, sender="youth", body="a", client_id=client_id
    )
    again, created_again = message_post(
        conversation_id=conversation.pk, sender="youth", body="a", client_id=client_id
    )
    assert (created, created_again, again.pk, again.seq) == (True, False, first.pk, 1)
    second, _ = message_post(conversation_id=conversation.pk, sender="youth", body="b")
    assert second.seq == 2
    conversation.refresh_from_db()
    assert conversation.last_seq == 2
    assert list(Message.objects.values_list("seq", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_posting_a_message_is_one_statement_on_postgresql(hotline_hanoi):
    conversation = start("01")
    with CaptureQueriesContext(connection) as queries:
        message_post(
            conversation_id=conversation.pk, sender="youth", body="x", client_id=uuid.uuid4()
        )
    statements = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert len(statements) == 1
    else:
        # SQLite has no data-modifying CTE: the seq and the row take two statements.
        assert [
            s.split()[0] for s in statements if s.split()[0] in ("UPDATE", "INSERT", "SELECT")
        ] == [
            "UPDATE",
            "INSERT",
        ]


@pytest.mark.django_db
def test_a_resend_after_the_end_still_gets_its_ack(op_hanoi):
    conversation = start("01")
    client_id = uuid.uuid4()
    first, _ = message_post(
        conversation_id=conversation.pk, sender="youth", body="a", client_id=client_id
    )
    conversation_end(conversation_id=conversation.pk)
    again, created = message_post(
        conversation_id=conversation.pk, sender="youth", body="a", client_id=client_id
    )
    assert (again.seq, created) == (first.seq, False)
    with pytest.raises(ConversationClosed):
        message_post(conversation_id=conversation.pk, sender="youth", body="new")


@pytest.mark.django_db
def test_a_queued_chat_whose_socket_is_gone_times_out_but_a_live_one_stays(
    settings, reference_data
):
    settings.CHAT_QUEUED_GRACE_SECONDS = 90
    gone = start("01", at=NOW - datetime.timedelta(seconds=200))
    live = start("01", at=NOW - datetime.timedelta(seconds=200))
    Conversation.objects.filter(pk=live.pk).update(
        youth_seen_at=NOW - datetime.timedelta(seconds=10)
    )
    call = start("01", at=NOW - datetime.timedelta(seconds=200), channel="voice")
    assert conversations_abandon_stale(at=NOW) == 1
    states = dict(Conversation.objects.values_list("pk", "state"))
    assert states[gone.pk] == ConversationState.ABANDONED
    assert states[live.pk] == ConversationState.QUEUED
    assert states[call.pk] == ConversationState.QUEUED
    assert Conversation.objects.get(pk=gone.pk).ended_reason == "timeout"


@pytest.mark.django_db
def test_presence_expires_without_a_heartbeat_even_if_no_disconnect_ran(op_hanoi, settings):
    settings.PRESENCE_TTL_SECONDS = 60
    presence = presence_heartbeat(user=op_hanoi, status="available", at=NOW)
    assert presence_is_online(presence, at=NOW + datetime.timedelta(seconds=59))
    assert list(staff_online(at=NOW + datetime.timedelta(seconds=59))) == [op_hanoi]
    assert not presence_is_online(presence, at=NOW + datetime.timedelta(seconds=61))
    assert list(staff_online(at=NOW + datetime.timedelta(seconds=61))) == []
    presence_heartbeat(user=op_hanoi, at=NOW + datetime.timedelta(seconds=61))
    assert list(staff_online(at=NOW + datetime.timedelta(seconds=61))) == [op_hanoi]
