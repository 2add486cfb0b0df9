"""The escalation state machine: every step in order, every step out of order, races, clocks."""

import contextlib
import datetime
import threading

import pytest
from django.db import connection, transaction
from django.http import Http404
from django.urls import reverse
from django_fsm import ConcurrentTransition

from cases.models import CaseEvent
from escalation.models import (
    AGENCY_TRANSITIONS,
    HOTLINE_TRANSITIONS,
    Escalation,
    EscalationMessage,
    EscalationState,
)
from escalation.selectors import liaison_queue_page
from escalation.services import EscalationError, StaleEscalationError, escalation_transition
from helpline.staff import staff_create
from tests.escalation.helpers import T0, agency, escalate
from tests.logins import staff_login

S = EscalationState
MINUTE = datetime.timedelta(minutes=1)

# Every allowed step: (from, transition, to).
ALLOWED = [
    (S.SENT, "acknowledge", S.ACKNOWLEDGED),
    (S.ACKNOWLEDGED, "progress", S.IN_PROGRESS),
    (S.IN_PROGRESS, "progress", S.IN_PROGRESS),
    (S.ACKNOWLEDGED, "resolve", S.RESOLVED),
    (S.IN_PROGRESS, "resolve", S.RESOLVED),
    (S.SENT, "return", S.RETURNED),
    (S.ACKNOWLEDGED, "return", S.RETURNED),
    (S.IN_PROGRESS, "return", S.RETURNED),
    (S.SENT, "decline", S.DECLINED),
    (S.ACKNOWLEDGED, "decline", S.DECLINED),
    (S.IN_PROGRESS, "decline", S.DECLINED),
    (S.RETURNED, "resubmit", S.SENT),
    (S.SENT, "withdraw", S.WITHDRAWN),
    (S.ACKNOWLEDGED, "withdraw", S.WITHDRAWN),
    (S.IN_PROGRESS, "withdraw", S.WITHDRAWN),
    (S.RETURNED, "withdraw", S.WITHDRAWN),
]
ALL_TRANSITIONS = [*AGENCY_TRANSITIONS, *HOTLINE_TRANSITIONS]
REFUSED = [
    (state, name)
    for state in S
    for name in ALL_TRANSITIONS
    if not any(f == state and t == name for f, t, _to in ALLOWED)
]
# The shortest way to reach each state from "sent".
PATH = {
    S.SENT: [],
    S.ACKNOWLEDGED: ["acknowledge"],
    S.IN_PROGRESS: ["acknowledge", "progress"],
    S.RESOLVED: ["acknowledge", "resolve"],
    S.RETURNED: ["return"],
    S.DECLINED: ["decline"],
    S.WITHDRAWN: ["withdraw"],
}


def actor_for(name: str, *, operator, liaison):
    return liaison if name in AGENCY_TRANSITIONS else operator


def step(escalation, name, *, operator, liaison, at=None, text="texte"):
    return escalation_transition(
        user=actor_for(name, operator=operator, liaison=liaison),
        escalation_id=escalation.pk,
        transition=name,
        text="" if name == "acknowledge" else text,
        at=at,
    )


def bring_to(state, *, case, operator, liaison):
    escalation = escalate(case, by=operator)
    for name in PATH[state]:
        escalation = step(escalation, name, operator=operator, liaison=liaison)
    assert escalation.state == state
    return escalation


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "name", "target"), ALLOWED)
def test_it_takes_every_allowed_step(op_hanoi, liaison_a05, make_case, source, name, target):
    case = make_case(by=op_hanoi)
    escalation = bring_to(source, case=case, operator=op_hanoi, liaison=liaison_a05)
    events_before = case.events.count()
    at = T0 + 5 * MINUTE

    escalation = step(
        escalation, name, operator=op_hanoi, liaison=liaison_a05, at=at, text="Nội dung"
    )

    escalation.refresh_from_db()
    assert escalation.state == target
    event = case.events.order_by("-id").first()
    assert case.events.count() == events_before + 1
    assert event.action == CaseEvent.Action.ESCALATION
    assert event.at == at
    assert event.detail["escalation"] == escalation.pk
    assert event.detail["transition"] == name
    assert (event.detail["from"], event.detail["to"]) == (source, target)
    assert "Nội dung" not in str(event.detail)
    if name != "acknowledge":
        message = escalation.messages.order_by("-id").first()
        assert (message.transition, message.body) == (name, "Nội dung")
        assert event.detail["message"] == message.pk
    if name == "acknowledge":
        assert escalation.acknowledged_at == at
    if name == "resolve":
        assert (escalation.outcome, escalation.finished_at) == ("Nội dung", at)
    if name == "decline":
        assert (escalation.decline_reason, escalation.finished_at) == ("Nội dung", at)


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "name"), REFUSED)
def test_it_refuses_every_step_out_of_order(op_hanoi, liaison_a05, make_case, source, name):
    case = make_case(by=op_hanoi)
    escalation = bring_to(source, case=case, operator=op_hanoi, liaison=liaison_a05)
    events_before = case.events.count()
    messages_before = EscalationMessage.objects.count()

    expected = EscalationError
    if source == S.WITHDRAWN and name in AGENCY_TRANSITIONS:
        # A withdrawn escalation is no longer the agency's: it does not exist for them.
        expected = Http404
    with pytest.raises(expected):
        step(escalation, name, operator=op_hanoi, liaison=liaison_a05)

    escalation.refresh_from_db()
    assert escalation.state == source
    assert case.events.count() == events_before
    assert EscalationMessage.objects.count() == messages_before


@pytest.mark.django_db
def test_it_refuses_an_agency_step_from_the_hotline_and_a_hotline_step_from_the_agency(
    op_hanoi, liaison_a05, make_case
):
    case = make_case(by=op_hanoi)
    escalation = escalate(case, by=op_hanoi)
    with pytest.raises(EscalationError, match="không được thực hiện"):
        escalation_transition(user=op_hanoi, escalation_id=escalation.pk, transition="acknowledge")
    with pytest.raises(EscalationError, match="không được thực hiện"):
        escalation_transition(
            user=liaison_a05, escalation_id=escalation.pk, transition="withdraw", text="x"
        )
    with pytest.raises(EscalationError, match="không hợp lệ"):
        escalation_transition(user=liaison_a05, escalation_id=escalation.pk, transition="delete")
    escalation.refresh_from_db()
    assert escalation.state == S.SENT


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["progress", "resolve", "return", "decline"])
def test_it_asks_for_the_reason_or_outcome(op_hanoi, liaison_a05, make_case, name):
    case = make_case(by=op_hanoi)
    escalation = bring_to(S.ACKNOWLEDGED, case=case, operator=op_hanoi, liaison=liaison_a05)
    with pytest.raises(EscalationError, match="Hãy"):
        escalation_transition(
            user=liaison_a05, escalation_id=escalation.pk, transition=name, text="   "
        )
    escalation.refresh_from_db()
    assert escalation.state == S.ACKNOWLEDGED


@pytest.mark.django_db
def test_it_runs_the_deadlines_on_the_clock_it_is_given(op_hanoi, liaison_a05, make_case):
    a05 = agency("a05-police")
    case = make_case(by=op_hanoi)
    escalation = escalate(case, by=op_hanoi, urgency="immediate", at=T0)
    acknowledge_by = T0 + a05.immediate_acknowledge_within
    resolve_by = T0 + a05.immediate_resolve_within

    assert not escalation.is_overdue(now=acknowledge_by)
    assert escalation.acknowledgement_overdue(now=acknowledge_by + MINUTE)
    assert escalation.is_overdue(now=acknowledge_by + MINUTE)

    escalation = escalation_transition(
        user=liaison_a05,
        escalation_id=escalation.pk,
        transition="acknowledge",
        at=acknowledge_by + 2 * MINUTE,
    )
    # Late, but acknowledged: only the resolution deadline matters now.
    assert not escalation.is_overdue(now=acknowledge_by + 3 * MINUTE)
    assert escalation.next_deadline == resolve_by
    assert escalation.is_overdue(now=resolve_by + MINUTE)

    escalation = escalation_transition(
        user=liaison_a05,
        escalation_id=escalation.pk,
        transition="resolve",
        text="Đã gỡ nội dung",
        at=resolve_by + 2 * MINUTE,
    )
    assert not escalation.is_overdue(now=resolve_by + datetime.timedelta(days=30))
    assert escalation.next_deadline is None


@pytest.mark.django_db
def test_it_restarts_the_deadlines_when_the_hotline_answers_a_return(
    op_hanoi, liaison_a05, make_case
):
    a05 = agency("a05-police")
    case = make_case(by=op_hanoi)
    escalation = escalate(case, by=op_hanoi, urgency="24h", at=T0)
    escalation_transition(
        user=liaison_a05,
        escalation_id=escalation.pk,
        transition="return",
        text="Cần đường dẫn bài đăng",
        at=T0 + 10 * MINUTE,
    )
    # While returned the agency waits for the hotline: nothing is overdue for them.
    escalation.refresh_from_db()
    assert not escalation.is_overdue(now=T0 + datetime.timedelta(days=60))

    resent_at = T0 + datetime.timedelta(days=2)
    escalation = escalation_transition(
        user=op_hanoi,
        escalation_id=escalation.pk,
        transition="resubmit",
        text="Đường dẫn: (đã bổ sung)",
        at=resent_at,
    )
    assert escalation.state == S.SENT
    assert escalation.sent_at == resent_at
    assert escalation.acknowledge_by == resent_at + a05.within_24h_acknowledge_within
    assert escalation.resolve_by == resent_at + a05.within_24h_resolve_within
    assert list(escalation.disclosures.values_list("items", flat=True)) == [
        ["summary"],
        ["message"],
    ]


@pytest.mark.django_db
def test_it_orders_the_liaison_queue_by_deadline_and_marks_overdue_ones(
    op_hanoi, liaison_a05, make_case
):
    slow = escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="72h", at=T0)
    urgent = escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="immediate", at=T0)
    medium = escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="24h", at=T0)
    returned = escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="immediate", at=T0)
    escalation_transition(
        user=liaison_a05, escalation_id=returned.pk, transition="return", text="Thiếu địa chỉ"
    )
    done = escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="immediate", at=T0)
    escalation_transition(
        user=liaison_a05, escalation_id=done.pk, transition="decline", text="Không thuộc thẩm quyền"
    )
    now = T0 + agency("a05-police").immediate_acknowledge_within + MINUTE

    items = liaison_queue_page(user=liaison_a05, now=now).items

    # Open ones only, by the deadline counted now; the declined one has its own tab.
    assert [item["id"] for item in items] == [urgent.pk, medium.pk, slow.pk, returned.pk]
    assert [item["overdue"] for item in items] == [True, False, False, False]
    assert [item["deadline_kind"] for item in items] == ["acknowledge"] * 3 + [None]
    assert items[-1]["deadline"] is None
    assert set(items[0]) == {
        "id",
        "reference",
        "type",
        "type_label",
        "urgency",
        "urgency_label",
        "state",
        "state_label",
        "deadline",
        "deadline_kind",
        "deadline_label",
        "overdue",
        "unread",
        "changed_at",
        "finished",
        "url",
    }


@pytest.fixture
def second_a05_liaison(reference_data):
    return staff_create(
        username="liaison_a05_b", role="liaison", agency_code="a05-police", password=None
    )


@pytest.mark.django_db
def test_it_tells_the_second_of_two_liaisons_that_someone_else_acted(
    op_hanoi, liaison_a05, second_a05_liaison, make_case
):
    escalation = escalate(make_case(by=op_hanoi), by=op_hanoi)
    # Both saw "sent"; the first one's click lands first.
    escalation_transition(
        user=liaison_a05,
        escalation_id=escalation.pk,
        transition="acknowledge",
        expected_state="sent",
    )
    with pytest.raises(StaleEscalationError, match="người khác"):
        escalation_transition(
            user=second_a05_liaison,
            escalation_id=escalation.pk,
            transition="decline",
            text="Không thuộc thẩm quyền",
            expected_state="sent",
        )
    escalation.refresh_from_db()
    assert escalation.state == S.ACKNOWLEDGED
    assert escalation.decline_reason == ""


@pytest.mark.django_db
def test_it_shows_the_stale_refusal_on_the_liaison_page(
    client, op_hanoi, liaison_a05, second_a05_liaison, make_case
):
    escalation = escalate(make_case(by=op_hanoi), by=op_hanoi)
    escalation_transition(user=liaison_a05, escalation_id=escalation.pk, transition="acknowledge")
    staff_login(client, second_a05_liaison)
    response = client.post(
        reverse("liaison:act", args=[escalation.pk]),
        {"transition": "acknowledge", "state": "sent", "text": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "vừa được người khác cập nhật" in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_to_save_a_transition_taken_on_a_stale_copy(op_hanoi, make_case):
    escalation = escalate(make_case(by=op_hanoi), by=op_hanoi)
    first = Escalation.objects.get(pk=escalation.pk)
    second = Escalation.objects.get(pk=escalation.pk)
    first.acknowledge(at=T0)
    first.save()
    second.decline(reason="x", at=T0)
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    escalation.refresh_from_db()
    assert escalation.state == S.ACKNOWLEDGED


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_racing_liaisons_win(
    op_hanoi, liaison_a05, second_a05_liaison, make_case
):
    escalation = escalate(make_case(by=op_hanoi), by=op_hanoi)
    barrier = threading.Barrier(2)
    outcomes = {}
    # The in-memory SQLite of the test run shares one cache between threads and
    # answers "table is locked" instead of waiting, as a file or PostgreSQL
    # would; there the two requests queue one behind the other as they do in
    # production SQLite with IMMEDIATE transactions. On PostgreSQL they really race.
    serialize = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def act(user, name, text):
        barrier.wait()
        try:
            with serialize:
                escalation_transition(
                    user=user,
                    escalation_id=escalation.pk,
                    transition=name,
                    text=text,
                    expected_state="sent",
                )
            outcomes[user.username] = "won"
        except EscalationError as error:
            outcomes[user.username] = str(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(liaison_a05, "acknowledge", "")),
        threading.Thread(target=act, args=(second_a05_liaison, "decline", "Không thuộc")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["liaison_a05", "liaison_a05_b"]
    winners = [name for name, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1
    loser = next(name for name in outcomes if name not in winners)
    assert "người khác" in outcomes[loser]
    escalation.refresh_from_db()
    assert escalation.state in (S.ACKNOWLEDGED, S.DECLINED)
    steps = CaseEvent.objects.filter(
        case_id=escalation.case_id, action=CaseEvent.Action.ESCALATION
    ).exclude(detail__transition="send")
    assert steps.count() == 1
