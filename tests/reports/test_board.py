"""What the supervisors' board reads for a scope: per hotline and in lists, no content,
in a fixed number of queries whatever the number of conversations."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalation.services import escalation_transition
from helpline.conversations import conversation_accept, conversation_start, message_post
from helpline.models import ContactRecord, Hotline, PresenceStatus
from helpline.presence import presence_heartbeat
from reports.board import LIST_LIMIT, board_scope_for_user, board_snapshot
from reports.incidents import incident_case_link, incident_close
from reports.report import ALL
from tests.escalation.helpers import escalate
from tests.logins import staff_login
from tests.reports.incident_helpers import open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def hotlines_open(reference_data):
    """Every hotline answering: a chat arriving while its province is closed overflows at once,
    and these tests must not depend on the hour they run at."""
    Hotline.objects.update(always_open=True)


def chat(province: str, *, minutes_ago: float = 0, at=None, **fields):
    at = at or timezone.now()
    conversation, _token = conversation_start(
        channel="webchat",
        hotline=None,
        province_code=province,
        at=at - datetime.timedelta(minutes=minutes_ago),
        **fields,
    )
    return conversation


def rows(board) -> dict:
    return {row["code"]: row for row in board["hotlines"]}


def test_it_lets_only_supervisors_see_a_board(sup_hanoi, sup_central, op_hanoi, liaison_a05):
    assert board_scope_for_user(sup_central) == ALL
    assert board_scope_for_user(sup_hanoi) == sup_hanoi.hotline_id
    for nobody in (op_hanoi, liaison_a05):
        with pytest.raises(PermissionDenied):
            board_scope_for_user(nobody)


def test_it_counts_each_hotlines_queue_and_puts_the_longest_wait_first(reference_data):
    chat("46", minutes_ago=1)
    oldest = chat("01", minutes_ago=5)
    chat("01", minutes_ago=0.5)

    board = board_snapshot(scope=ALL)

    assert len(board["hotlines"]) == Hotline.objects.count() == 35
    assert [row["code"] for row in board["hotlines"][:2]] == ["01", "46"]
    hanoi = rows(board)["01"]
    assert (hanoi["queue"], hanoi["over_threshold"]) == (2, 1)
    assert hanoi["waiting_since"] == timezone.localtime(oldest.queued_at).isoformat()
    assert [item["conversation"] for item in board["waiting"]] == [str(oldest.pk)]
    assert board["totals"]["queue"] == 3


def test_it_shows_a_provincial_scope_only_its_hotline(sup_hanoi, op_hanoi):
    chat("01")
    chat("46", risk="high")
    accepted = chat("01")
    conversation_accept(user=op_hanoi, conversation_id=accepted.pk)

    board = board_snapshot(scope=board_scope_for_user(sup_hanoi))

    assert board["scope"] == "01"
    assert list(rows(board)) == ["01"]
    assert rows(board)["01"]["queue"] == 1
    assert [item["hotline"] for item in board["active"]] == ["01"]
    assert board["at_risk"] == []
    assert board["totals"]["queue"] == 1


def test_it_counts_staff_at_the_console_and_how_busy_they_are(
    settings, sup_hanoi, op_hanoi, op_hue, op_central
):
    settings.OPERATOR_CAPACITY = 1
    presence_heartbeat(user=op_hanoi, status=PresenceStatus.AVAILABLE)
    presence_heartbeat(user=sup_hanoi, status=PresenceStatus.AWAY)
    # A heartbeat older than the expiry is no one at the console.
    presence_heartbeat(user=op_hue, at=timezone.now() - datetime.timedelta(minutes=5))
    accepted = chat("01")
    conversation_accept(user=op_hanoi, conversation_id=accepted.pk)
    # Central staff answer provincial overflow: their load counts on central's row.
    presence_heartbeat(user=op_central, status=PresenceStatus.AVAILABLE)
    overflowed = chat("46", minutes_ago=3)
    conversation_accept(user=op_central, conversation_id=overflowed.pk)

    board = rows(board_snapshot(scope=ALL))

    hanoi = board["01"]
    assert (hanoi["online"], hanoi["available"], hanoi["away"]) == (2, 1, 1)
    assert (hanoi["busy"], hanoi["at_capacity"], hanoi["active"]) == (1, 1, 1)
    assert board["46"]["online"] == 0 and board["46"]["active"] == 1
    assert (board["00"]["online"], board["00"]["busy"], board["00"]["active"]) == (1, 1, 0)


def test_it_lists_active_conversations_with_their_wait_and_no_content(op_hanoi):
    conversation = chat("01", minutes_ago=2)
    message_post(conversation_id=conversation.pk, sender="youth", body="Em cần giúp đỡ gấp")
    accepted = conversation_accept(user=op_hanoi, conversation_id=conversation.pk)

    board = board_snapshot(scope=ALL)

    [item] = board["active"]
    assert item == {
        "conversation": str(conversation.pk),
        "channel": "webchat",
        "risk": "",
        "danger": False,
        "hotline": "01",
        "province": "01",
        "state": "active",
        "operator": "op_hanoi",
        "answered_at": timezone.localtime(accepted.answered_at).isoformat(),
        "since": timezone.localtime(accepted.answered_at).isoformat(),
        "waited": int((accepted.answered_at - conversation.created_at).total_seconds()),
    }
    assert "Em cần giúp đỡ" not in json.dumps(board, ensure_ascii=False)


def test_it_lists_high_and_imminent_risk_in_progress(op_hanoi):
    danger = chat("46", danger=True)
    high = chat("01", risk="high")
    conversation_accept(user=op_hanoi, conversation_id=high.pk)
    chat("01", risk="medium")

    board = board_snapshot(scope=ALL)

    assert [(i["conversation"], i["state"]) for i in board["at_risk"]] == [
        (str(danger.pk), "queued"),
        (str(high.pk), "active"),
    ]
    assert board["totals"]["at_risk"] == 2
    # Pressing "I'm in danger" shows the chat to central at once: over the threshold too.
    assert [item["conversation"] for item in board["waiting"]] == [str(danger.pk)]


def test_it_compares_contacts_today_with_the_same_time_on_the_same_weekday(hotline_hanoi):
    now = timezone.localtime(timezone.now()).replace(hour=15, minute=0, second=0, microsecond=0)
    week = datetime.timedelta(days=7)

    def finished(at):
        ContactRecord.objects.create(
            channel="webchat", hotline=hotline_hanoi, queued_at=at, ended_at=at
        )

    finished(now.replace(hour=9))
    finished(now.replace(hour=14))
    for hour in (1, 8, 14):
        finished(now.replace(hour=hour) - week)
    finished(now.replace(hour=16) - week)  # later in that day than now: not yet comparable
    finished(now.replace(hour=10) - 3 * week)
    finished(now.replace(hour=10) - 5 * week)  # beyond the four weeks compared
    finished(now.replace(hour=10) - datetime.timedelta(days=6))  # another weekday

    hanoi = rows(board_snapshot(scope=ALL, at=now))["01"]

    assert hanoi["contacts_today"] == 2
    assert hanoi["contacts_usual"] == 1.0  # (3 + 0 + 1 + 0) / 4


def test_it_lists_escalations_due_within_two_hours_and_overdue(op_hanoi, op_hue, make_case):
    now = timezone.now()
    # The A05 police acknowledge a 24 h escalation within 12 h.
    due = escalate(make_case(by=op_hanoi), by=op_hanoi, at=now - datetime.timedelta(hours=11))
    overdue = escalate(make_case(by=op_hue), by=op_hue, at=now - datetime.timedelta(hours=13))
    escalate(make_case(by=op_hanoi), by=op_hanoi, at=now)

    board = board_snapshot(scope=ALL, at=now)

    assert [(i["id"], i["overdue"], i["hotline"]) for i in board["escalations"]] == [
        (overdue.pk, True, "46"),
        (due.pk, False, "01"),
    ]
    assert board["escalations"][1]["url"] == reverse("escalations:detail", args=[due.pk])
    assert (rows(board)["01"]["escalations_due"], rows(board)["46"]["escalations_overdue"]) == (
        1,
        1,
    )
    hanoi_only = board_snapshot(scope=op_hanoi.hotline_id, at=now)
    assert [item["id"] for item in hanoi_only["escalations"]] == [due.pk]


def test_it_lists_the_open_incidents_of_the_scope(sup_hanoi, sup_central, op_hanoi, make_case):
    reaching_hanoi = open_incident(by=sup_central, provinces=["01"], severity="medium")
    hanoi_own = open_incident(by=sup_hanoi, severity="critical")
    hue_only = open_incident(by=sup_central, provinces=["46"])
    closed = open_incident(by=sup_hanoi)
    incident_close(user=sup_hanoi, incident_id=closed.pk)
    case = make_case(by=op_hanoi)
    incident_case_link(user=sup_hanoi, incident_id=reaching_hanoi.pk, reference=case.reference)

    hanoi = board_snapshot(scope=sup_hanoi.hotline_id)["incidents"]
    central = board_snapshot(scope=ALL)["incidents"]

    assert [(i["id"], i["cases"]) for i in hanoi] == [(hanoi_own.pk, 0), (reaching_hanoi.pk, 1)]
    assert {i["id"] for i in central} == {hanoi_own.pk, reaching_hanoi.pk, hue_only.pk}
    assert hanoi[1]["provinces"] == ["01"] and hanoi[1]["url"] == reverse(
        "incidents:detail", args=[reaching_hanoi.pk]
    )


def test_it_says_when_time_alone_changes_the_board(settings, reference_data):
    settings.CENTRAL_OVERFLOW_SECONDS = 120
    now = timezone.now()
    chat("01", at=now - datetime.timedelta(seconds=30))

    board = board_snapshot(scope=ALL, at=now)

    assert board["next_change_in"] == pytest.approx(90)


def test_it_wakes_for_the_next_deadline_of_an_escalation_still_waiting_on_the_agency(
    op_hanoi, liaison_a05, make_case
):
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    # A05 acknowledges a 24 h escalation within 12 h and resolves it within 7 days; the board
    # wakes two hours before a deadline, when it becomes due soon.
    waiting = escalate(make_case(by=op_hanoi), by=op_hanoi, at=now - hour)
    working = escalate(make_case(by=op_hanoi), by=op_hanoi, at=now - 2 * hour)
    escalation_transition(user=liaison_a05, escalation_id=working.pk, transition="acknowledge")
    declined = escalate(make_case(by=op_hanoi), by=op_hanoi, at=now - 5 * hour)
    escalation_transition(
        user=liaison_a05, escalation_id=declined.pk, transition="decline", text="Không thuộc"
    )

    board = board_snapshot(scope=op_hanoi.hotline_id, at=now)
    assert board["next_change_in"] == pytest.approx((11 * hour - 2 * hour).total_seconds())

    escalation_transition(
        user=liaison_a05, escalation_id=waiting.pk, transition="decline", text="Không thuộc"
    )
    board = board_snapshot(scope=op_hanoi.hotline_id, at=now)
    wakes_at = working.resolve_by - 2 * hour
    assert board["next_change_in"] == pytest.approx((wakes_at - now).total_seconds())


def test_it_reads_the_board_in_the_same_number_of_queries_however_busy(
    settings, sup_hanoi, op_hanoi, op_hue, make_case
):
    settings.OPERATOR_CAPACITY = 10

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            board_snapshot(scope=ALL)
        return len(captured)

    def some_of_everything(province: str, operator):
        chat(province, risk="high")
        conversation_accept(user=operator, conversation_id=chat(province).pk)
        presence_heartbeat(user=operator, status=PresenceStatus.AVAILABLE)
        late = timezone.now() - datetime.timedelta(hours=13)
        escalate(make_case(by=operator), by=operator, at=late)
        incident = open_incident(by=sup_hanoi, provinces=[province])
        incident_case_link(
            user=sup_hanoi, incident_id=incident.pk, reference=make_case(by=op_hanoi).reference
        )

    some_of_everything("01", op_hanoi)
    quiet = queries()
    for _ in range(3):
        some_of_everything("46", op_hue)
        some_of_everything("01", op_hanoi)

    assert queries() == quiet


def test_it_cuts_long_lists_but_counts_everything(settings, op_hanoi):
    settings.OPERATOR_CAPACITY = LIST_LIMIT + 5
    for _ in range(LIST_LIMIT + 3):
        conversation_accept(user=op_hanoi, conversation_id=chat("01").pk)

    board = board_snapshot(scope=ALL)

    assert len(board["active"]) == LIST_LIMIT
    assert board["totals"]["active"] == LIST_LIMIT + 3


# --- the page ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["op_hanoi", "liaison_a05", "administrator"])
def test_it_refuses_the_board_page_to_anyone_but_supervisors(request, client, who):
    staff_login(client, request.getfixturevalue(who))

    assert client.get(reverse("board:board")).status_code == 403


def test_it_serves_the_board_page_as_a_shell_for_its_socket(client, sup_central):
    staff_login(client, sup_central)

    response = client.get(reverse("board:board"))
    page = response.content.decode()

    assert response.status_code == 200
    assert 'data-socket="/ws/board/"' in page and "reports/board.js" in page
    assert "<script>" not in page and "style=" not in page
    assert 'aria-live="polite"' in page
