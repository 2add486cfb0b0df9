"""A young person asks, from the chat, to delete their conversation, and is told where it stands.

Through the full ASGI app: the youth socket's delete_request frame, the
console's deletion_requested push, the worker honouring what waited, and the
supervisors' list.
"""

import datetime
import uuid

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent
from helpline.contacts import contact_wrap_up
from helpline.conversations import conversation_accept, conversation_case_create, conversation_end
from helpline.models import ContactRecord, Conversation, Message
from retention import jobs
from retention.models import DeletionRequest
from retention.services import legal_hold_lift, legal_hold_place
from tests.escalation.helpers import escalate
from tests.helpline.chat_sockets import (
    console_socket,
    frames_until_quiet,
    receive_type,
    start_chat,
    youth_socket,
)
from tests.logins import staff_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

WORDS = "Em sợ lắm, đừng để ai đọc được"


async def chat_with_words(operator=None):
    """A web chat with one youth message, accepted by the operator when one is given."""
    youth = await start_chat(province="01")
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": WORDS})
    await receive_type(youth, "ack")
    conversation_id = youth.started["conversation"]
    if operator is not None:
        await database_sync_to_async(conversation_accept)(
            user=operator, conversation_id=conversation_id
        )
        await receive_type(youth, "state")
    return youth, conversation_id


async def end_by_youth(youth):
    await youth.send_json_to({"type": "end"})
    await receive_type(youth, "state")


async def ask_deletion(youth) -> dict:
    await youth.send_json_to({"type": "delete_request"})
    return await receive_type(youth, "delete_status")


@database_sync_to_async
def messages_of(conversation_id) -> list[str]:
    return list(
        Message.objects.filter(conversation_id=conversation_id).values_list("body", flat=True)
    )


@database_sync_to_async
def request_of(conversation_id) -> DeletionRequest:
    return DeletionRequest.objects.get(conversation_uuid=conversation_id)


@database_sync_to_async
def honour_now() -> int:
    return jobs.honour_deletion_requests(now=timezone.now())


@database_sync_to_async
def case_of(conversation_id, operator):
    return conversation_case_create(user=operator, conversation_id=conversation_id)


@database_sync_to_async
def wrap_up(conversation_id, operator):
    contact_wrap_up(
        user=operator, conversation_id=conversation_id, contact_type="counselling", outcome="case"
    )


async def test_it_deletes_an_ended_chat_at_once_and_keeps_the_contact_counted():
    youth, conversation_id = await chat_with_words()
    await end_by_youth(youth)
    status = await ask_deletion(youth)
    assert status["status"] == "done"
    assert "đã được xoá" in status["detail"]
    assert await messages_of(conversation_id) == []
    conversation = await database_sync_to_async(Conversation.objects.get)(pk=conversation_id)
    assert conversation.content_erased_at is not None
    assert (
        await database_sync_to_async(
            ContactRecord.objects.filter(conversation_id=conversation_id).count
        )()
        == 1
    )
    # Asking again changes nothing and says the same.
    assert (await ask_deletion(youth))["status"] == "done"
    assert await database_sync_to_async(DeletionRequest.objects.count)() == 1
    # Nobody opens it again with the token it had.
    again = await youth_socket()
    await again.send_json_to({"type": "resume", "token": youth.started["token"], "last_seq": 0})
    assert (await receive_type(again, "error"))["code"] == "invalid_token"


async def test_it_answers_in_english_when_the_chat_is_in_english():
    youth = await start_chat(province="01", language="en")
    await end_by_youth(youth)
    status = await ask_deletion(youth)
    assert status["detail"] == "Your conversation has been deleted from the system."


async def test_it_deletes_a_live_chat_once_it_ends_and_tells_the_operator_at_once(op_hanoi):
    youth = await start_chat(province="01")
    await youth.send_json_to({"type": "message", "client_id": str(uuid.uuid4()), "body": WORDS})
    await receive_type(youth, "ack")
    conversation_id = youth.started["conversation"]
    console = await console_socket(op_hanoi)
    await console.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_type(console, "accepted")
    status = await ask_deletion(youth)
    assert status["status"] == "pending"
    assert "khi kết thúc" in status["detail"]
    pushed = await receive_type(console, "deletion_requested")
    assert pushed == {
        "type": "deletion_requested",
        "conversation": conversation_id,
        "status": "pending",
    }
    assert await messages_of(conversation_id) == [WORDS]
    # The worker waits for the end...
    assert await honour_now() == 0
    await console.send_json_to({"type": "end", "conversation": conversation_id})
    await receive_type(console, "state")
    assert await honour_now() == 1
    assert await messages_of(conversation_id) == []
    assert (await request_of(conversation_id)).status == "done"
    assert (await ask_deletion(youth))["status"] == "done"
    await console.disconnect()


async def test_it_keeps_a_case_on_hold_tells_the_young_person_why_and_deletes_after_the_lift(
    op_hanoi, sup_central
):
    youth, conversation_id = await chat_with_words(op_hanoi)
    case = await case_of(conversation_id, op_hanoi)
    await end_by_youth(youth)
    await wrap_up(conversation_id, op_hanoi)
    hold = await database_sync_to_async(legal_hold_place)(
        user=sup_central, case_id=case.pk, reason="police_investigation", reference="5/PC02"
    )
    status = await ask_deletion(youth)
    assert status["status"] == "held"
    assert "cơ quan có thẩm quyền" in status["detail"]
    assert await messages_of(conversation_id) == [WORDS]
    assert await honour_now() == 0
    await database_sync_to_async(legal_hold_lift)(user=sup_central, hold_id=hold.pk)
    assert await honour_now() == 1
    assert await messages_of(conversation_id) == []
    actions = await database_sync_to_async(
        lambda: list(case.events.values_list("action", "detail"))
    )()
    assert ("deletion_requested", {"conversation": conversation_id}) in actions
    assert (
        "content_erased",
        {"conversation": conversation_id, "reason": "youth_request"},
    ) in actions


async def test_it_keeps_a_conversation_an_agency_is_still_working_on(op_hanoi):
    youth, conversation_id = await chat_with_words(op_hanoi)
    case = await case_of(conversation_id, op_hanoi)
    await end_by_youth(youth)
    await database_sync_to_async(escalate)(case, by=op_hanoi, at=None)
    status = await ask_deletion(youth)
    assert status["status"] == "escalation_open"
    assert "một cơ quan đang giúp" in status["detail"]
    assert await messages_of(conversation_id) == [WORDS]
    assert (await request_of(conversation_id)).status == "escalation_open"


async def test_it_refuses_once_the_token_has_expired():
    youth, conversation_id = await chat_with_words()
    await end_by_youth(youth)
    await database_sync_to_async(Conversation.objects.filter(pk=conversation_id).update)(
        token_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    await youth.send_json_to({"type": "delete_request"})
    assert (await receive_type(youth, "error"))["code"] == "token_expired"
    assert await messages_of(conversation_id) == [WORDS]
    assert not await database_sync_to_async(DeletionRequest.objects.exists)()


async def test_it_refuses_before_a_chat_was_started_or_resumed():
    youth = await youth_socket()
    await youth.send_json_to({"type": "delete_request"})
    assert (await receive_type(youth, "error"))["code"] == "not_started"
    assert await frames_until_quiet(youth) == []


async def test_it_leaves_consoles_that_do_not_follow_the_conversation_alone(op_hanoi, op_hue):
    youth, _conversation_id = await chat_with_words(op_hanoi)
    other = await console_socket(op_hue)
    await ask_deletion(youth)
    assert not any(
        frame["type"] == "deletion_requested" for frame in await frames_until_quiet(other)
    )
    await other.disconnect()


async def test_it_lists_waiting_requests_and_why_to_the_hotlines_supervisors(
    op_hanoi, sup_hanoi, sup_central
):
    youth, conversation_id = await chat_with_words(op_hanoi)
    case = await case_of(conversation_id, op_hanoi)
    await end_by_youth(youth)
    await database_sync_to_async(escalate)(case, by=op_hanoi, at=None)
    await ask_deletion(youth)

    @database_sync_to_async
    def page(user):
        client = Client()
        staff_login(client, user)
        return client.get(reverse("retention:deletions"))

    for supervisor in (sup_hanoi, sup_central):
        response = await page(supervisor)
        text = response.content.decode()
        assert response.status_code == 200
        assert case.reference in text
        assert "một cơ quan đang xử lý" in text
        assert WORDS not in text
    assert (await page(op_hanoi)).status_code == 403


@pytest.mark.parametrize("who", ["op_hanoi", "administrator", "liaison_a05", "inspector"])
def test_it_refuses_the_deletions_list_to_all_but_supervisors(request, client, who):
    staff_login(client, request.getfixturevalue(who))
    assert client.get(reverse("retention:deletions")).status_code == 403


def test_it_shows_a_provincial_supervisor_only_their_hotlines_requests(
    client, sup_hanoi, hotline_hanoi
):
    from helpline.models import Hotline

    hue = Hotline.objects.get(code="46")
    DeletionRequest.objects.create(
        conversation_uuid=uuid.uuid4(), hotline=hotline_hanoi, status="pending"
    )
    theirs = DeletionRequest.objects.create(
        conversation_uuid=uuid.uuid4(), hotline=hue, status="pending"
    )
    staff_login(client, sup_hanoi)
    text = client.get(reverse("retention:deletions")).content.decode()
    assert text.count('data-status="pending"') == 1
    assert str(theirs.conversation_uuid)[:8] not in text


def test_it_writes_no_case_line_for_a_chat_without_a_case(op_hanoi):
    from retention.services import deletion_request_make
    from tests.retention.helpers import chat

    conversation, _token = chat(operator=op_hanoi, at=timezone.now() - datetime.timedelta(hours=1))
    assert deletion_request_make(conversation_id=conversation.pk).status == "done"
    assert not CaseEvent.objects.filter(
        action__in=["deletion_requested", "content_erased"]
    ).exists()


def test_it_refuses_a_request_for_a_conversation_that_does_not_exist():
    from helpline.conversations import ConversationNotFound
    from retention.services import deletion_request_make

    with pytest.raises(ConversationNotFound):
        deletion_request_make(conversation_id=uuid.uuid4())


def test_it_honours_a_waiting_request_whose_conversation_the_purge_already_removed(op_hanoi):
    from retention.services import deletion_request_make
    from tests.retention.helpers import chat

    conversation, _token = chat(operator=op_hanoi, at=timezone.now(), end=False)
    assert deletion_request_make(conversation_id=conversation.pk).status == "pending"
    conversation_end(conversation_id=conversation.pk, by_user=op_hanoi)
    Conversation.objects.filter(pk=conversation.pk).delete()
    assert jobs.honour_deletion_requests(now=timezone.now()) == 1
    assert DeletionRequest.objects.get().status == "done"


def test_it_tells_the_cases_staff_that_the_young_person_had_the_words_deleted(client, op_hanoi):
    from retention.services import deletion_request_make
    from tests.retention.helpers import YOUTH_WORDS, case_from_chat

    case, conversation, _token = case_from_chat(
        operator=op_hanoi, at=timezone.now() - datetime.timedelta(hours=1), close=False
    )
    assert deletion_request_make(conversation_id=conversation.pk).status == "done"
    staff_login(client, op_hanoi)
    page = client.get(reverse("case_transcript", args=[case.pk])).content.decode()
    assert "Nội dung đã được xoá theo yêu cầu của người liên hệ" in page
    assert YOUTH_WORDS not in page
