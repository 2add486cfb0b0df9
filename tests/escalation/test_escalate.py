"""Escalating a case: what is checked, what is written, who is told."""

import datetime

import pytest
from django.urls import reverse

from cases.models import CaseEvent
from cases.services import case_transition
from escalation.models import (
    DisclosureRecord,
    Escalation,
    EscalationGroupObjectPermission,
    EscalationState,
)
from escalation.services import EscalationError, escalation_transition
from helpline.groups import agency_group, staff_group
from tests.escalation.helpers import T0, GroupListener, agency, escalate
from tests.logins import staff_login


@pytest.mark.django_db
def test_it_sends_a_case_with_a_disclosure_record_and_a_grant_to_the_agency_group(
    op_hanoi, make_case
):
    case = make_case(by=op_hanoi)
    escalation = escalate(case, by=op_hanoi, urgency="immediate", shared_items=["age_group"])

    assert escalation.state == EscalationState.SENT
    a05 = agency("a05-police")
    assert escalation.acknowledge_by == T0 + a05.immediate_acknowledge_within
    assert escalation.resolve_by == T0 + a05.immediate_resolve_within
    record = DisclosureRecord.objects.get(escalation=escalation)
    assert record.recipient == a05
    assert record.recipient_name == a05.name_vi
    assert record.items == ["summary", "age_group"]
    assert record.legal_basis == "emergency"
    assert record.youth_informed == "informed"
    assert record.sent_by == op_hanoi
    assert record.sent_at == T0
    grants = EscalationGroupObjectPermission.objects.filter(content_object=escalation)
    assert {(g.group_id, g.permission.codename) for g in grants} == {
        (a05.group_id, "view_escalation"),
        (a05.group_id, "change_escalation"),
    }


@pytest.mark.django_db
def test_it_writes_the_send_on_the_case_timeline_without_content(op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    escalation = escalate(case, by=op_hanoi, summary="Nội dung bí mật gửi cơ quan")

    event = case.events.get(action=CaseEvent.Action.ESCALATION)
    assert event.actor == op_hanoi
    assert event.at == T0
    assert event.detail == {
        "escalation": escalation.pk,
        "transition": "send",
        "to": "sent",
        "agency": escalation.agency_id,
    }
    assert "bí mật" not in str(event.detail)


@pytest.mark.django_db
def test_it_refuses_an_agency_that_does_not_accept_the_type(op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    with pytest.raises(EscalationError, match="không tiếp nhận loại"):
        escalate(case, by=op_hanoi, agency_code="mental-health", escalation_type="scam")
    assert not Escalation.objects.exists()
    assert not DisclosureRecord.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_agency_that_does_not_cover_the_case_province(op_hue, make_case):
    case = make_case(by=op_hue)
    assert case.province_code == "46"
    with pytest.raises(EscalationError, match="không phụ trách tỉnh/thành"):
        escalate(case, by=op_hue, agency_code="hanoi-police")
    assert not Escalation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_inactive_agency(op_hanoi, make_case):
    a05 = agency("a05-police")
    a05.is_active = False
    a05.save()
    case = make_case(by=op_hanoi)
    with pytest.raises(EscalationError, match="ngừng hợp tác"):
        escalate(case, by=op_hanoi)


@pytest.mark.django_db
def test_it_refuses_a_second_open_escalation_to_the_same_agency(op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    escalate(case, by=op_hanoi)
    with pytest.raises(EscalationError, match="đang mở"):
        escalate(case, by=op_hanoi)
    # Another agency is fine: a case may go to several.
    escalate(case, by=op_hanoi, agency_code="hotline-111", escalation_type="child_abuse")
    assert case.escalations.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("summary", "   ", "nội dung gửi cơ quan"),
        ("urgency", "someday", "Mức khẩn cấp"),
        ("shared_items", ["notes"], "Thông tin chia sẻ"),
    ],
)
def test_it_refuses_bad_input_with_a_message(op_hanoi, make_case, field, value, message):
    case = make_case(by=op_hanoi)
    with pytest.raises(EscalationError, match=message):
        escalate(case, by=op_hanoi, **{field: value})
    assert not Escalation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_escalating_a_closed_case(op_hanoi, sup_hanoi, make_case):
    case = make_case(by=op_hanoi)
    for name in ("open", "resolve", "close"):
        case_transition(user=sup_hanoi, case_id=case.pk, transition=name)
    with pytest.raises(EscalationError, match="đã đóng"):
        escalate(case, by=op_hanoi)


@pytest.mark.django_db
def test_it_offers_only_agencies_that_cover_the_case_province(client, op_hue, make_case):
    case = make_case(by=op_hue)
    staff_login(client, op_hue)
    page = client.get(reverse("escalations:create", args=[case.pk])).content.decode()
    assert agency("a05-police").name_vi in page
    assert agency("hotline-111").name_vi in page
    assert agency("hanoi-police").name_vi not in page
    # The page offers only the agencies that accept the chosen type.
    assert 'data-types="privacy_violation child_abuse ocsea scam"' in page


@pytest.mark.django_db
def test_it_keeps_what_the_operator_wrote_when_the_agency_refuses_the_type(
    client, op_hanoi, make_case
):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    response = client.post(
        reverse("escalations:create", args=[case.pk]),
        {
            "agency": agency("mental-health").pk,
            "escalation_type": "privacy_violation",
            "urgency": "24h",
            "legal_basis": "consent",
            "summary": "Bản tóm tắt viết cho cơ quan",
            "youth_informed": "informed",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "không tiếp nhận loại" in page
    assert "Bản tóm tắt viết cho cơ quan" in page
    assert not Escalation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_province_the_agency_does_not_cover_through_the_form(
    client, op_hue, make_case
):
    case = make_case(by=op_hue)
    staff_login(client, op_hue)
    response = client.post(
        reverse("escalations:create", args=[case.pk]),
        {
            "agency": agency("hanoi-police").pk,
            "escalation_type": "scam",
            "urgency": "24h",
            "legal_basis": "consent",
            "summary": "x",
            "youth_informed": "informed",
        },
    )
    assert response.status_code == 200
    assert "không phụ trách tỉnh/thành" in response.content.decode()
    assert not Escalation.objects.exists()


@pytest.mark.django_db
def test_it_escalates_from_the_case_page_and_shows_the_state_there(client, op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    staff_login(client, op_hanoi)
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("escalations:create", args=[case.pk]) in detail

    response = client.post(
        reverse("escalations:create", args=[case.pk]),
        {
            "agency": agency("hotline-111").pk,
            "escalation_type": "child_abuse",
            "urgency": "immediate",
            "legal_basis": "emergency",
            "summary": "Em bị đe doạ phát tán ảnh.",
            "shared_items": ["age_group", "transcript"],
            "youth_informed": "would_endanger",
        },
    )
    assert response.status_code == 302
    escalation = case.escalations.get()
    assert escalation.shared_items == ["age_group", "transcript"]
    assert escalation.youth_informed == "would_endanger"
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert agency("hotline-111").name_vi in detail
    assert "Đã gửi" in detail


@pytest.mark.django_db
def test_it_pushes_the_new_escalation_to_the_case_staff_consoles_and_the_agency(
    op_hanoi, sup_hanoi, sup_central, op_hue, make_case, django_capture_on_commit_callbacks
):
    case = make_case(by=op_hanoi)
    a05 = agency("a05-police")
    staff = GroupListener(staff_group(op_hanoi.pk), staff_group(sup_hanoi.pk))
    central = GroupListener(staff_group(sup_central.pk))
    other = GroupListener(staff_group(op_hue.pk), agency_group(agency("hotline-111").pk))
    agency_listener = GroupListener(agency_group(a05.pk))

    with django_capture_on_commit_callbacks(execute=True):
        escalation = escalate(case, by=op_hanoi)

    frame = {
        "type": "escalation",
        "case": case.pk,
        "reference": case.reference,
        "escalation": escalation.pk,
        "agency": a05.name_vi,
        # Both names and a code: each console says it in its own operator's language.
        "agency_names": {"vi": a05.name_vi, "en": a05.name_en},
        "state": "sent",
        "state_label": "Đã gửi",
        "notice": f"Đã gửi yêu cầu chuyển tuyến tới {a05.name_vi}.",
        "notice_code": "send",
    }
    assert staff.drain() == [{"type": "console.push", "frame": frame}] * 2
    assert central.drain() == [{"type": "console.push", "frame": frame}]
    assert agency_listener.drain() == [{"type": "escalation.changed", "escalation": escalation.pk}]
    assert other.drain() == []


@pytest.mark.django_db
def test_it_broadcasts_nothing_when_the_escalation_is_refused(
    op_hanoi, make_case, django_capture_on_commit_callbacks
):
    case = make_case(by=op_hanoi)
    listener = GroupListener(staff_group(op_hanoi.pk))
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(EscalationError),
    ):
        escalate(case, by=op_hanoi, agency_code="mental-health")
    assert callbacks == []
    assert listener.drain() == []


@pytest.mark.django_db
def test_it_takes_the_deadlines_from_the_agency_for_each_urgency(op_hanoi, make_case):
    a05 = agency("a05-police")
    expected = {
        "immediate": (a05.immediate_acknowledge_within, a05.immediate_resolve_within),
        "24h": (a05.within_24h_acknowledge_within, a05.within_24h_resolve_within),
        "72h": (a05.within_72h_acknowledge_within, a05.within_72h_resolve_within),
    }
    for urgency, (acknowledge, resolve) in expected.items():
        case = make_case(by=op_hanoi)
        at = T0 + datetime.timedelta(minutes=7)
        escalation = escalate(case, by=op_hanoi, urgency=urgency, at=at)
        assert (escalation.acknowledge_by, escalation.resolve_by) == (
            at + acknowledge,
            at + resolve,
        )


@pytest.mark.django_db
def test_it_shows_each_step_and_the_agency_answer_on_the_case_page(
    client, op_hanoi, liaison_a05, make_case
):
    case = make_case(by=op_hanoi)
    escalation = escalate(case, by=op_hanoi)
    escalation_transition(user=liaison_a05, escalation_id=escalation.pk, transition="acknowledge")
    escalation_transition(
        user=liaison_a05,
        escalation_id=escalation.pk,
        transition="return",
        text="Xin đường dẫn tới bài đăng",
    )
    staff_login(client, op_hanoi)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    section = page[page.index('id="escalations"') :]
    for text in ("Gửi yêu cầu", "Tiếp nhận", "Yêu cầu bổ sung thông tin", "liaison_a05"):
        assert text in section
    assert "Cần bổ sung thông tin" in section
    assert "Xin đường dẫn tới bài đăng" in section
