"""Every conversation ends as a contact record; the operator's wrap-up completes it, and is
required before the next conversation once the hotline's grace has passed."""

import datetime
import uuid

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from helpline.contacts import WrapUpRequired, contact_wrap_up
from helpline.conversations import (
    NotAllowed,
    conversation_abandon,
    conversation_accept,
    conversation_end,
    conversation_start,
    message_post,
)
from helpline.models import ContactRecord, Hotline, User
from tests.helpline.chat_sockets import console_socket, receive_type, start_chat
from tests.logins import staff_login


def start(channel, code="01", at=None):
    conversation, _token = conversation_start(
        channel=channel, hotline=Hotline.objects.get(code=code), age_group="15-17", at=at
    )
    return conversation


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["webchat", "voice", "sms"])
def test_a_contact_abandoned_in_the_queue_is_counted_without_anyone_typing(channel, reference_data):
    conversation = start(channel)
    conversation_abandon(conversation_id=conversation.pk, reason="youth_left")
    record = ContactRecord.objects.get(conversation=conversation)
    assert (record.channel, record.contact_type, record.filled_by_system) == (
        channel,
        "abandoned",
        True,
    )
    assert record.wrapped_up_at is not None and record.answered_at is None
    assert (record.hotline.code, record.age_group) == ("01", "15-17")


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["webchat", "sms"])
def test_a_chat_where_the_young_person_never_wrote_is_silent(channel, op_hanoi):
    conversation = start(channel)
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    conversation_end(conversation_id=conversation.pk, by_user=op_hanoi)
    record = ContactRecord.objects.get(conversation=conversation)
    assert (record.contact_type, record.filled_by_system) == ("silent", True)


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["webchat", "voice", "sms"])
def test_an_answered_contact_waits_for_its_wrap_up_and_the_operator_fills_it(channel, op_hanoi):
    queued = timezone.now() - datetime.timedelta(minutes=5)
    conversation = start(channel, at=queued)
    conversation_accept(
        user=op_hanoi, conversation_id=conversation.pk, at=queued + datetime.timedelta(seconds=40)
    )
    if channel != "voice":
        message_post(conversation_id=conversation.pk, sender="youth", body="giúp em")
    conversation_end(conversation_id=conversation.pk, by_user=op_hanoi)
    record = ContactRecord.objects.get(conversation=conversation)
    assert record.wrapped_up_at is None and record.operator == op_hanoi
    assert record.waited_seconds == 40 and record.handled_seconds >= 0
    contact_wrap_up(
        user=op_hanoi,
        conversation_id=conversation.pk,
        contact_type="counselling",
        category_codes=["online.cyberbullying"],
        outcome="resolved",
        gender="female",
    )
    record.refresh_from_db()
    assert (record.contact_type, record.outcome, record.gender) == (
        "counselling",
        "resolved",
        "female",
    )
    assert [c.code for c in record.categories.all()] == ["online.cyberbullying"]
    assert record.wrapped_up_by == op_hanoi and record.filled_by_system is False


@pytest.mark.django_db
def test_a_wrap_up_is_refused_with_bad_codes_or_by_another_operator(op_hanoi, op_hue, sup_hanoi):
    from helpline.conversations import ConversationNotFound, InvalidField

    conversation = start("webchat")
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    message_post(conversation_id=conversation.pk, sender="youth", body="a")
    conversation_end(conversation_id=conversation.pk, by_user=op_hanoi)
    good = {"contact_type": "counselling", "outcome": "resolved"}
    for bad in ({"contact_type": "gossip"}, {"outcome": "maybe"}, {"gender": "x"}):
        with pytest.raises(InvalidField):
            contact_wrap_up(user=op_hanoi, conversation_id=conversation.pk, **{**good, **bad})
    with pytest.raises(InvalidField):
        contact_wrap_up(
            user=op_hanoi, conversation_id=conversation.pk, category_codes=["nope"], **good
        )
    with pytest.raises(ConversationNotFound):
        contact_wrap_up(user=op_hue, conversation_id=conversation.pk, **good)
    colleague = User.objects.create_user(
        username="op_hanoi_2", role="operator", hotline=Hotline.objects.get(code="01")
    )
    with pytest.raises(NotAllowed):
        contact_wrap_up(user=colleague, conversation_id=conversation.pk, **good)
    contact_wrap_up(user=sup_hanoi, conversation_id=conversation.pk, **good)


@pytest.mark.django_db
def test_the_next_accept_waits_for_an_overdue_wrap_up(op_hanoi, settings):
    settings.OPERATOR_CAPACITY = 5
    hanoi = Hotline.objects.get(code="01")
    hanoi.wrap_up_grace_seconds = 60
    hanoi.save()
    op_hanoi.hotline.refresh_from_db()
    now = timezone.now()
    first = start("webchat", at=now - datetime.timedelta(minutes=10))
    conversation_accept(
        user=op_hanoi, conversation_id=first.pk, at=now - datetime.timedelta(minutes=9)
    )
    message_post(conversation_id=first.pk, sender="youth", body="a")
    conversation_end(
        conversation_id=first.pk, by_user=op_hanoi, at=now - datetime.timedelta(seconds=30)
    )
    second = start("webchat")
    # Within the grace: fine.
    conversation_accept(user=op_hanoi, conversation_id=second.pk, at=now)
    third = start("webchat")
    with pytest.raises(WrapUpRequired) as refused:
        conversation_accept(
            user=op_hanoi, conversation_id=third.pk, at=now + datetime.timedelta(seconds=31)
        )
    assert refused.value.extra["conversations"] == [str(first.pk)]
    contact_wrap_up(
        user=op_hanoi, conversation_id=first.pk, contact_type="information", outcome="resolved"
    )
    conversation_accept(
        user=op_hanoi, conversation_id=third.pk, at=now + datetime.timedelta(seconds=32)
    )


@pytest.mark.django_db(transaction=True)
async def test_the_console_shows_pending_wrap_ups_and_takes_one(op_hanoi, reference_data):
    youth = await start_chat()
    console = await console_socket(op_hanoi)
    conversation_id = youth.started["conversation"]
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": "hi"})
    await receive_type(youth, "ack")
    await console.send_json_to({"type": "end", "conversation": conversation_id})
    pending = await receive_type(console, "wrap_up_pending")
    [item] = pending["items"]
    assert (item["conversation"], item["channel"]) == (conversation_id, "webchat")
    assert "body" not in item
    await console.send_json_to(
        {
            "type": "wrap_up",
            "conversation": conversation_id,
            "contact_type": "counselling",
            "categories": ["online.cyberbullying"],
            "outcome": "follow_up",
            "gender": "unknown",
        }
    )
    done = await receive_type(console, "wrapped_up")
    assert (done["contact_type"], done["outcome"]) == ("counselling", "follow_up")
    assert (await receive_type(console, "wrap_up_pending"))["items"] == []
    record = await database_sync_to_async(ContactRecord.objects.get)(
        conversation_id=conversation_id
    )
    assert record.outcome == "follow_up"
    for socket in (youth, console):
        await socket.disconnect()


@pytest.mark.django_db
def test_a_supervisor_sets_the_wrap_up_grace_of_their_own_hotline_only(client, sup_hanoi, op_hanoi):
    staff_login(client, op_hanoi)
    assert client.get("/hotline/settings/").status_code == 403
    assert client.post("/hotline/settings/", {"wrap_up_grace_seconds": 0}).status_code == 403
    staff_login(client, sup_hanoi)
    assert client.get("/hotline/settings/").status_code == 200
    response = client.post("/hotline/settings/", {"wrap_up_grace_seconds": 300})
    assert response.status_code == 302
    assert Hotline.objects.get(code="01").wrap_up_grace_seconds == 300
    assert Hotline.objects.get(code="46").wrap_up_grace_seconds == 120
    page = client.post("/hotline/settings/", {"wrap_up_grace_seconds": 99999})
    assert page.status_code == 200
    assert Hotline.objects.get(code="01").wrap_up_grace_seconds == 300
