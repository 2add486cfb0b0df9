"""A conversation moves between cases only inside the staff member's scope, never into a closed
case, and the move is written on both cases' timelines."""

import pytest
from django.utils import timezone

from cases.models import CaseEvent, CaseState
from cases.services import case_transition
from helpline.conversations import (
    CaseClosed,
    NotAllowed,
    conversation_accept,
    conversation_case_create,
    conversation_case_link,
    conversation_start,
    conversation_transfer,
)
from helpline.models import Hotline


def chat(code="01"):
    conversation, _token = conversation_start(
        channel="webchat", hotline=Hotline.objects.get(code=code), at=timezone.now()
    )
    return conversation


def events(case, action):
    return list(case.events.filter(action=action).values_list("detail", flat=True))


@pytest.mark.django_db
def test_a_move_between_two_cases_of_the_hotline_is_on_both_timelines(op_hanoi, make_case):
    conversation = chat()
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    first = conversation_case_create(user=op_hanoi, conversation_id=conversation.pk)
    second = make_case(by=op_hanoi)
    conversation_case_link(user=op_hanoi, conversation_id=conversation.pk, case_id=second.pk)
    conversation.refresh_from_db()
    assert conversation.case_id == second.pk
    assert events(first, CaseEvent.Action.CONVERSATION_UNLINKED) == [
        {"conversation": str(conversation.pk), "channel": "webchat", "moved_to": second.pk}
    ]
    assert events(second, CaseEvent.Action.CONVERSATION_LINKED) == [
        {"conversation": str(conversation.pk), "channel": "webchat", "moved_from": first.pk}
    ]


@pytest.mark.django_db
def test_it_never_links_into_a_closed_case(op_hanoi, make_case):
    closed = make_case(by=op_hanoi)
    for transition in ("open", "resolve", "close"):
        case_transition(user=op_hanoi, case_id=closed.pk, transition=transition)
    closed.refresh_from_db()
    assert closed.state == CaseState.CLOSED
    conversation = chat()
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    with pytest.raises(CaseClosed):
        conversation_case_link(user=op_hanoi, conversation_id=conversation.pk, case_id=closed.pk)
    conversation.refresh_from_db()
    assert conversation.case_id is None
    assert events(closed, CaseEvent.Action.CONVERSATION_LINKED) == []


@pytest.mark.django_db
def test_another_hotline_cannot_pull_a_conversation_away_from_a_case(op_hanoi, op_hue, make_case):
    conversation = chat()
    conversation_accept(user=op_hanoi, conversation_id=conversation.pk)
    hanoi_case = conversation_case_create(user=op_hanoi, conversation_id=conversation.pk)
    conversation_transfer(user=op_hanoi, conversation_id=conversation.pk, hotline="46")
    conversation_accept(user=op_hue, conversation_id=conversation.pk)
    hue_case = make_case(by=op_hue)
    with pytest.raises(NotAllowed):
        conversation_case_link(user=op_hue, conversation_id=conversation.pk, case_id=hue_case.pk)
    conversation.refresh_from_db()
    assert conversation.case_id == hanoi_case.pk
    assert events(hanoi_case, CaseEvent.Action.CONVERSATION_UNLINKED) == []
