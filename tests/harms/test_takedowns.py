"""Takedown requests: drafted, sent, followed to an outcome against the channel's deadline."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from cases.models import CaseEvent
from escalation.services import escalation_disclose
from harms.jobs import remind_takedown_recheck
from harms.models import TakedownChannel, TakedownCheck, TakedownNotice, TakedownRequest
from harms.services import HarmsError
from harms.takedowns import takedown_check, takedown_create, takedown_transition
from helpline.groups import staff_group
from tests.escalation.helpers import T0, GroupListener, agency, escalate
from tests.harms.helpers import record_item
from tests.logins import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(op_hanoi, make_case, harms_data):
    case = make_case(by=op_hanoi, categories=("online.impersonation",))
    return record_item(case, by=op_hanoi, handle="ke_mao_danh", platform_code="tiktok").item


def channel(code: str) -> TakedownChannel:
    return TakedownChannel.objects.get(code=code)


@pytest.fixture
def police_channel(harms_data) -> TakedownChannel:
    """A channel through the partner agency A05, which administrators add in /admin/."""
    return TakedownChannel.objects.create(
        code="a05-escalation",
        kind=TakedownChannel.Kind.AGENCY,
        agency=agency("a05-police"),
        name_vi="Qua Cục A05",
        name_en="Through A05",
        response_hours=48,
    )


def sent(item, *, by, at=T0, channel_code="tiktok-report") -> TakedownRequest:
    takedown = takedown_create(user=by, item_id=item.pk, channel_id=channel(channel_code).pk, at=at)
    return takedown_transition(user=by, takedown_id=takedown.pk, transition="send", at=at)


def test_it_follows_a_request_from_draft_to_removal_against_the_channels_deadline(op_hanoi, item):
    takedown = takedown_create(
        user=op_hanoi, item_id=item.pk, channel_id=channel("tiktok-report").pk, at=T0
    )
    assert takedown.state == "drafted" and takedown.due_at is None

    takedown_transition(user=op_hanoi, takedown_id=takedown.pk, transition="send", at=T0)
    takedown.refresh_from_db()
    assert (takedown.state, takedown.sent_by, takedown.due_at) == (
        "sent",
        op_hanoi,
        T0 + datetime.timedelta(hours=24),
    )
    assert not takedown.is_overdue(now=T0 + datetime.timedelta(hours=23))
    assert takedown.is_overdue(now=T0 + datetime.timedelta(hours=25))

    removed_at = T0 + datetime.timedelta(hours=30)
    takedown_transition(user=op_hanoi, takedown_id=takedown.pk, transition="removed", at=removed_at)
    takedown.refresh_from_db()
    assert (takedown.state, takedown.outcome, takedown.outcome_at) == (
        "removed",
        "removed",
        removed_at,
    )
    assert not takedown.is_overdue(now=removed_at + datetime.timedelta(days=3))
    assert takedown.elapsed_seconds(now=removed_at + datetime.timedelta(days=3)) == 30 * 3600

    takedown_transition(user=op_hanoi, takedown_id=takedown.pk, transition="close", at=removed_at)
    takedown.refresh_from_db()
    assert (takedown.state, takedown.outcome) == ("closed", "removed")
    steps = CaseEvent.objects.filter(action=CaseEvent.Action.TAKEDOWN).order_by("at", "id")
    assert [e.detail.get("transition") for e in steps] == ["draft", "send", "removed", "close"]


def test_it_refuses_steps_out_of_order_and_changes_nothing(op_hanoi, item):
    takedown = takedown_create(
        user=op_hanoi, item_id=item.pk, channel_id=channel("tiktok-report").pk
    )

    with pytest.raises(HarmsError, match="Không thể thực hiện thao tác này"):
        takedown_transition(user=op_hanoi, takedown_id=takedown.pk, transition="removed")

    takedown.refresh_from_db()
    assert takedown.state == "drafted"


def test_it_refuses_a_step_from_a_stale_page(op_hanoi, sup_hanoi, item):
    takedown = sent(item, by=op_hanoi)
    takedown_transition(user=sup_hanoi, takedown_id=takedown.pk, transition="acknowledge")

    with pytest.raises(HarmsError, match="vừa được người khác cập nhật"):
        takedown_transition(
            user=op_hanoi, takedown_id=takedown.pk, transition="acknowledge", expected_state="sent"
        )


def test_it_records_no_response_only_once_the_deadline_has_passed(op_hanoi, item):
    takedown = sent(item, by=op_hanoi)

    with pytest.raises(HarmsError, match="sau khi đã quá thời hạn"):
        takedown_transition(
            user=op_hanoi,
            takedown_id=takedown.pk,
            transition="no_response",
            at=T0 + datetime.timedelta(hours=2),
        )
    takedown_transition(
        user=op_hanoi,
        takedown_id=takedown.pk,
        transition="no_response",
        at=T0 + datetime.timedelta(hours=25),
    )
    takedown.refresh_from_db()
    assert takedown.outcome == "no_response"


def test_it_keeps_one_open_request_per_item_and_channel(op_hanoi, item):
    sent(item, by=op_hanoi)

    with pytest.raises(HarmsError, match="đã có một yêu cầu gỡ bỏ đang mở"):
        takedown_create(user=op_hanoi, item_id=item.pk, channel_id=channel("tiktok-report").pk)
    with pytest.raises(HarmsError, match="của một nền tảng khác"):
        takedown_create(user=op_hanoi, item_id=item.pk, channel_id=channel("facebook-report").pk)


def test_it_reminds_the_sender_to_look_again_once_after_the_deadline(
    op_hanoi, sup_hanoi, item, django_capture_on_commit_callbacks
):
    op_hanoi.email = "op@example.invalid"
    op_hanoi.save()
    takedown = sent(item, by=op_hanoi)
    listener = GroupListener(staff_group(op_hanoi.pk), staff_group(sup_hanoi.pk))

    with django_capture_on_commit_callbacks(execute=True):
        assert remind_takedown_recheck(now=T0 + datetime.timedelta(hours=23)) == 0
        assert remind_takedown_recheck(now=T0 + datetime.timedelta(hours=25)) == 1
        assert remind_takedown_recheck(now=T0 + datetime.timedelta(hours=26)) == 0

    assert TakedownNotice.objects.filter(takedown=takedown).count() == 1
    frames = [event["frame"] for event in listener.drain()]
    assert [(f["type"], f["notice_code"], f["takedown"]) for f in frames] == [
        ("takedown", "recheck", takedown.pk)
    ]
    assert "còn trên mạng" in frames[0]["notice"]
    assert len(mail.outbox) == 1 and item.case.reference in mail.outbox[0].subject
    assert "ke_mao_danh" not in mail.outbox[0].body
    reminder = CaseEvent.objects.get(action=CaseEvent.Action.TAKEDOWN, detail__notice="recheck_due")
    assert reminder.actor is None


def test_it_records_a_persons_check_and_marks_removed_when_the_content_is_gone(op_hanoi, item):
    takedown = sent(item, by=op_hanoi)

    takedown_check(user=op_hanoi, takedown_id=takedown.pk, still_online=True)
    takedown.refresh_from_db()
    assert takedown.state == "sent"

    takedown_check(user=op_hanoi, takedown_id=takedown.pk, still_online=False)
    takedown.refresh_from_db()
    assert takedown.state == "removed"
    assert list(TakedownCheck.objects.values_list("still_online", flat=True)) == [True, False]


def test_it_shows_the_deadline_and_marks_an_overdue_request_on_the_case_page(
    client, op_hanoi, item
):
    sent(item, by=op_hanoi, at=T0 - datetime.timedelta(days=3))
    staff_login(client, op_hanoi)

    page = client.get(reverse("cases:detail", args=[item.case_id])).content.decode()

    assert 'class="takedown state-sent overdue"' in page
    assert "Quá hạn" in page
    assert "Báo cáo tới TikTok" in page


def test_it_sends_a_takedown_through_the_agency_only_for_an_item_it_was_shown(
    op_hanoi, item, police_channel
):
    escalation = escalate(item.case, by=op_hanoi, shared_items=["categories"])

    with pytest.raises(HarmsError, match="Cơ quan chưa được chia sẻ dấu vết này"):
        takedown_create(
            user=op_hanoi,
            item_id=item.pk,
            channel_id=police_channel.pk,
            escalation_id=escalation.pk,
        )
    escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["online_items"])

    takedown = takedown_create(
        user=op_hanoi, item_id=item.pk, channel_id=police_channel.pk, escalation_id=escalation.pk
    )
    assert takedown.escalation == escalation


def test_it_lets_the_agency_record_the_outcome_from_its_page(
    client,
    op_hanoi,
    liaison_a05,
    liaison_111,
    item,
    police_channel,
    django_capture_on_commit_callbacks,
):
    escalation = escalate(item.case, by=op_hanoi, shared_items=["online_items"])
    takedown = takedown_create(
        user=op_hanoi, item_id=item.pk, channel_id=police_channel.pk, escalation_id=escalation.pk
    )
    takedown_transition(user=op_hanoi, takedown_id=takedown.pk, transition="send")
    listener = GroupListener(staff_group(op_hanoi.pk))

    staff_login(client, liaison_111)
    act = reverse("harms:takedown_act", args=[takedown.pk])
    assert client.post(act, {"transition": "removed", "state": "sent"}).status_code == 404

    staff_login(client, liaison_a05)
    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()
    assert f'data-takedown="{takedown.pk}"' in page
    assert 'data-step="removed"' in page and 'data-step="close"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            act, {"transition": "removed", "state": "sent", "note": "Nền tảng đã khoá tài khoản"}
        )

    assert response["Location"] == reverse("liaison:detail", args=[escalation.pk])
    takedown.refresh_from_db()
    assert (takedown.state, takedown.outcome_note) == ("removed", "Nền tảng đã khoá tài khoản")
    event = CaseEvent.objects.filter(action=CaseEvent.Action.TAKEDOWN).last()
    assert (event.actor, event.detail["side"], event.detail["escalation"]) == (
        liaison_a05,
        "agency",
        escalation.pk,
    )
    frames = [e["frame"] for e in listener.drain()]
    assert [(f["type"], f["notice_code"]) for f in frames] == [("takedown", "removed")]
    assert "Nền tảng đã khoá" not in str(frames)
    # The hotline's own steps are not the agency's.
    with pytest.raises(HarmsError):
        takedown_transition(user=liaison_a05, takedown_id=takedown.pk, transition="close")


def test_it_shows_the_agency_no_takedown_of_an_item_it_was_not_shown(
    client, op_hanoi, liaison_a05, item, police_channel
):
    escalation = escalate(item.case, by=op_hanoi, shared_items=["online_items"])
    takedown = takedown_create(
        user=op_hanoi, item_id=item.pk, channel_id=police_channel.pk, escalation_id=escalation.pk
    )
    hidden = record_item(item.case, by=op_hanoi, handle="ke_khac").item
    other = TakedownRequest.objects.create(
        item=hidden, channel=police_channel, escalation=escalation, created_by=op_hanoi
    )
    staff_login(client, liaison_a05)

    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()

    assert f'data-takedown="{takedown.pk}"' in page
    assert f'data-takedown="{other.pk}"' not in page
    act = reverse("harms:takedown_act", args=[other.pk])
    assert client.post(act, {"transition": "acknowledge", "state": "drafted"}).status_code == 404


def test_it_keeps_another_hotline_away_from_the_requests(client, op_hanoi, op_hue, item):
    takedown = sent(item, by=op_hanoi)
    staff_login(client, op_hue)

    act = reverse("harms:takedown_act", args=[takedown.pk])
    assert client.post(act, {"transition": "removed", "state": "sent"}).status_code == 404
    check = reverse("harms:takedown_check", args=[takedown.pk])
    assert client.post(check, {"still_online": "no"}).status_code == 404
    assert client.get(reverse("harms:takedown_create", args=[item.pk])).status_code == 404
