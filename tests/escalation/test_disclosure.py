"""An agency sees exactly what was disclosed to it, and more only by a new, explicit disclosure.

What the liaison page shows is read from the escalation's disclosure records:
each ticked fact as it was when shared, and of the transcript only the messages
up to the seq recorded for each conversation. A conversation linked later, a
message posted later or a fact changed later reaches the agency only when
hotline staff share it again, which writes a record, a timeline event and
tells the agency.
"""

import datetime
import html
import importlib
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.http import Http404
from django.urls import reverse

from cases.models import CaseEvent, Category
from cases.services import case_transition, case_update
from escalation.models import DisclosureRecord, EscalationState
from escalation.selectors import case_disclosable_values
from escalation.services import (
    EscalationError,
    StaleEscalationError,
    escalation_disclose,
    escalation_transition,
)
from helpline.groups import agency_group, staff_group
from helpline.models import Conversation, Message
from tests.escalation.helpers import T0, GroupListener, agency, escalate
from tests.logins import staff_login

LATER = T0 + datetime.timedelta(hours=2)
SHARED = ["categories", "risk", "transcript"]


def conversation_with(case, *bodies, at=T0 - datetime.timedelta(hours=1)):
    conversation = Conversation.objects.create(
        channel="webchat", hotline=case.hotline, case=case, province_code="01", created_at=at
    )
    for body in bodies:
        message_add(conversation, body, at=at)
    return conversation


def message_add(conversation, body, *, at):
    seq = conversation.messages.count() + 1
    return Message.objects.create(
        conversation=conversation, seq=seq, sender="youth", body=body, created_at=at
    )


@pytest.fixture
def sent(op_hanoi, make_case):
    """A medium-risk cyberbullying case in Hanoi, sent to A05 with categories, risk, transcript."""
    case = make_case(by=op_hanoi, risk="medium", categories=("online.cyberbullying",))
    first = conversation_with(case, "TRƯỚC-KHI-GỬI-1", "TRƯỚC-KHI-GỬI-2")
    escalation = escalate(case, by=op_hanoi, shared_items=SHARED)
    return {"case": case, "escalation": escalation, "first": first}


def liaison_page(client, liaison, escalation) -> str:
    staff_login(client, liaison)
    response = client.get(reverse("liaison:detail", args=[escalation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def hotline_page(client, user, escalation) -> str:
    staff_login(client, user)
    response = client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def seen_on(page: str) -> dict:
    """The codes the hotline page showed as current, as its form posts them back."""
    value = re.search(r'name="seen" value="([^"]*)"', page).group(1)
    return json.loads(html.unescape(value))


def raise_to_high_and_retag(case, user):
    case.refresh_from_db()
    case_update(
        user=user,
        case_id=case.pk,
        expected_version=case.version,
        risk="high",
        categories=list(Category.objects.filter(code="online.privacy")),
    )


@pytest.mark.django_db
def test_it_stores_what_was_disclosed_at_sending_as_codes(sent):
    first = sent["first"]
    record = DisclosureRecord.objects.get(escalation=sent["escalation"])
    assert record.items == ["summary", *SHARED]
    assert record.snapshot == {
        "categories": ["online.cyberbullying"],
        "risk": "medium",
        "transcript": {str(first.pk): 2},
    }


@pytest.mark.django_db
def test_it_does_not_show_a_conversation_linked_after_sending_until_it_is_disclosed(
    client, op_hanoi, liaison_a05, sent
):
    escalation = sent["escalation"]
    later = conversation_with(sent["case"], "LIÊN-KẾT-SAU", at=LATER)

    page = liaison_page(client, liaison_a05, escalation)
    assert "TRƯỚC-KHI-GỬI-2" in page
    assert "LIÊN-KẾT-SAU" not in page

    record = escalation_disclose(
        user=op_hanoi, escalation_id=escalation.pk, items=["transcript"], at=LATER
    )

    assert record.items == ["transcript"]
    assert record.snapshot == {"transcript": {str(sent["first"].pk): 2, str(later.pk): 1}}
    assert (record.sent_by, record.sent_at, record.legal_basis) == (op_hanoi, LATER, "emergency")
    assert record.recipient == agency("a05-police")
    page = liaison_page(client, liaison_a05, escalation)
    assert "LIÊN-KẾT-SAU" in page
    # A heading per conversation, in the order they began.
    assert page.index("Cuộc trao đổi 1") < page.index("TRƯỚC-KHI-GỬI-1")
    assert (
        page.index("TRƯỚC-KHI-GỬI-2") < page.index("Cuộc trao đổi 2") < page.index("LIÊN-KẾT-SAU")
    )


@pytest.mark.django_db
def test_it_does_not_show_a_message_posted_after_sending_until_it_is_disclosed(
    client, op_hanoi, liaison_a05, sent
):
    escalation = sent["escalation"]
    message_add(sent["first"], "TIN-NHẮN-SAU", at=LATER)

    assert "TIN-NHẮN-SAU" not in liaison_page(client, liaison_a05, escalation)

    escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["transcript"], at=LATER)
    assert "TIN-NHẮN-SAU" in liaison_page(client, liaison_a05, escalation)


@pytest.mark.django_db
def test_it_stops_showing_a_disclosed_conversation_moved_to_another_case(
    client, op_hanoi, liaison_a05, make_case, sent
):
    other_case = make_case(by=op_hanoi)
    Conversation.objects.filter(pk=sent["first"].pk).update(case=other_case)

    page = liaison_page(client, liaison_a05, sent["escalation"])
    assert "TRƯỚC-KHI-GỬI-1" not in page
    assert "Không có tin nhắn." in page


@pytest.mark.django_db
def test_it_shows_risk_and_categories_as_sent_until_the_new_values_are_disclosed(
    client, op_hanoi, liaison_a05, sent
):
    escalation = sent["escalation"]
    raise_to_high_and_retag(sent["case"], op_hanoi)

    page = liaison_page(client, liaison_a05, escalation)
    assert "Trung bình" in page
    assert "Bắt nạt trực tuyến" in page
    assert ">Cao<" not in page
    assert "lộ lọt thông tin cá nhân" not in page

    escalation_disclose(
        user=op_hanoi, escalation_id=escalation.pk, items=["categories", "risk"], at=LATER
    )

    page = liaison_page(client, liaison_a05, escalation)
    assert ">Cao<" in page
    assert "Xâm phạm quyền riêng tư / lộ lọt thông tin cá nhân" in page
    assert "Trung bình" not in page
    assert "Bắt nạt trực tuyến" not in page
    # The values are codes, shown in the reader's language.
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()
    assert ">High<" in page
    assert "Invasion of privacy / doxxing" in page


@pytest.mark.django_db
def test_it_shows_an_item_that_was_not_ticked_only_once_it_is_disclosed(
    client, op_hanoi, liaison_a05, sent
):
    escalation = sent["escalation"]
    sent["case"].refresh_from_db()
    case_update(
        user=op_hanoi,
        case_id=sent["case"].pk,
        expected_version=sent["case"].version,
        gender="female",
    )
    assert "Giới tính" not in liaison_page(client, liaison_a05, escalation)

    escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["gender"], at=LATER)

    page = liaison_page(client, liaison_a05, escalation)
    assert "<dt>Giới tính</dt><dd>Nữ</dd>" in page


@pytest.mark.django_db
def test_it_writes_the_disclosure_on_the_timeline_with_codes_only(op_hanoi, sent):
    escalation = sent["escalation"]
    raise_to_high_and_retag(sent["case"], op_hanoi)

    record = escalation_disclose(
        user=op_hanoi, escalation_id=escalation.pk, items=["risk", "categories"], at=LATER
    )

    event = sent["case"].events.filter(action=CaseEvent.Action.ESCALATION).last()
    assert (event.actor, event.at) == (op_hanoi, LATER)
    assert event.detail == {
        "escalation": escalation.pk,
        "transition": "disclose",
        "items": ["categories", "risk"],
        "disclosure": record.pk,
    }


@pytest.mark.django_db
def test_it_tells_the_agency_and_the_case_staff_of_a_disclosure(
    op_hanoi, sup_hanoi, sent, django_capture_on_commit_callbacks
):
    escalation = sent["escalation"]
    message_add(sent["first"], "TIN-NHẮN-SAU", at=LATER)
    a05 = GroupListener(agency_group(escalation.agency_id))
    other_agency = GroupListener(agency_group(agency("hotline-111").pk))
    staff = GroupListener(staff_group(sup_hanoi.pk))

    with django_capture_on_commit_callbacks(execute=True):
        escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["transcript"])

    assert a05.drain() == [{"type": "escalation.changed", "escalation": escalation.pk}]
    assert other_agency.drain() == []
    [push] = staff.drain()
    assert push["frame"]["escalation"] == escalation.pk
    assert "TIN-NHẮN-SAU" not in json.dumps(push, ensure_ascii=False)


@pytest.mark.django_db
def test_it_audits_a_transcript_the_liaison_reads_once_it_is_disclosed(
    client, op_hanoi, liaison_a05, make_case
):
    case = make_case(by=op_hanoi)
    conversation_with(case, "NỘI-DUNG")
    escalation = escalate(case, by=op_hanoi, shared_items=["risk"])

    assert "NỘI-DUNG" not in liaison_page(client, liaison_a05, escalation)
    transcript_reads = CaseEvent.objects.filter(
        case=case, actor=liaison_a05, action=CaseEvent.Action.TRANSCRIPT_VIEWED
    )
    assert not transcript_reads.exists()

    escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["transcript"], at=LATER)

    assert "NỘI-DUNG" in liaison_page(client, liaison_a05, escalation)
    assert [event.detail for event in transcript_reads] == [
        {"escalation": escalation.pk, "side": "agency"}
    ]


@pytest.mark.django_db
def test_it_never_shows_another_agency_or_another_hotline_any_of_it(
    client, op_hanoi, op_hue, liaison_a05, liaison_111, sent
):
    escalation = sent["escalation"]
    case = sent["case"]
    to_111 = escalate(
        case, by=op_hanoi, agency_code="hotline-111", escalation_type="child_abuse", shared_items=[]
    )
    message_add(sent["first"], "TIN-NHẮN-SAU", at=LATER)
    escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["transcript"], at=LATER)

    staff_login(client, liaison_111)
    assert client.get(reverse("liaison:detail", args=[escalation.pk])).status_code == 404
    page = client.get(reverse("liaison:detail", args=[to_111.pk])).content.decode()
    for secret in ("TRƯỚC-KHI-GỬI-1", "TIN-NHẮN-SAU", "Bắt nạt trực tuyến", "Trung bình"):
        assert secret not in page

    staff_login(client, op_hue)
    assert client.get(reverse("escalations:detail", args=[escalation.pk])).status_code == 404
    response = client.post(
        reverse("escalations:disclose", args=[escalation.pk]),
        {"items": ["risk"], "seen": json.dumps({"risk": "medium"})},
    )
    assert response.status_code == 404
    with pytest.raises(Http404):
        escalation_disclose(user=op_hue, escalation_id=escalation.pk, items=["risk"])
    assert DisclosureRecord.objects.filter(escalation=escalation).count() == 2


@pytest.mark.django_db
def test_it_lets_only_hotline_staff_disclose(client, liaison_a05, sent):
    escalation = sent["escalation"]
    message_add(sent["first"], "TIN-NHẮN-SAU", at=LATER)
    with pytest.raises(EscalationError, match="không được thực hiện"):
        escalation_disclose(user=liaison_a05, escalation_id=escalation.pk, items=["transcript"])
    staff_login(client, liaison_a05)
    response = client.post(
        reverse("escalations:disclose", args=[escalation.pk]), {"items": ["transcript"]}
    )
    assert response.status_code == 403
    assert DisclosureRecord.objects.filter(escalation=escalation).count() == 1


@pytest.mark.django_db
def test_it_refuses_to_disclose_once_the_escalation_is_withdrawn(client, op_hanoi, sent):
    escalation = sent["escalation"]
    escalation_transition(
        user=op_hanoi, escalation_id=escalation.pk, transition="withdraw", text="Nhầm cơ quan"
    )
    raise_to_high_and_retag(sent["case"], op_hanoi)

    with pytest.raises(EscalationError, match="không thể chia sẻ thêm"):
        escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["risk"])
    assert DisclosureRecord.objects.filter(escalation=escalation).count() == 1
    page = hotline_page(client, op_hanoi, escalation)
    assert reverse("escalations:disclose", args=[escalation.pk]) not in page


@pytest.mark.django_db
def test_it_refuses_to_disclose_once_the_case_closed(op_hanoi, sup_hanoi, sent):
    escalation = sent["escalation"]
    for name in ("open", "resolve", "close"):
        case_transition(user=sup_hanoi, case_id=sent["case"].pk, transition=name)
    escalation.refresh_from_db()
    assert escalation.access_revoked_at is not None

    with pytest.raises(EscalationError, match="không thể chia sẻ thêm"):
        escalation_disclose(user=sup_hanoi, escalation_id=escalation.pk, items=["transcript"])


@pytest.mark.django_db
def test_it_lets_the_hotline_disclose_while_the_agency_has_resolved_it(op_hanoi, liaison_a05, sent):
    escalation = sent["escalation"]
    escalation_transition(user=liaison_a05, escalation_id=escalation.pk, transition="acknowledge")
    escalation_transition(
        user=liaison_a05, escalation_id=escalation.pk, transition="resolve", text="Đã xử lý"
    )
    raise_to_high_and_retag(sent["case"], op_hanoi)
    record = escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["risk"])
    assert record.snapshot == {"risk": "high"}
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.RESOLVED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["risk"], "không có gì mới"),
        (["transcript", "categories"], "không có gì mới"),
        ([], "Hãy chọn thông tin"),
        (["notes"], "không hợp lệ"),
    ],
)
def test_it_refuses_a_disclosure_that_adds_nothing_or_is_not_an_item(
    op_hanoi, sent, items, message
):
    escalation = sent["escalation"]
    with pytest.raises(EscalationError, match=message):
        escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=items)
    assert DisclosureRecord.objects.filter(escalation=escalation).count() == 1


@pytest.mark.django_db
def test_it_refuses_a_fact_that_changed_after_the_page_showed_it(op_hanoi, sup_hanoi, sent):
    escalation = sent["escalation"]
    raise_to_high_and_retag(sent["case"], op_hanoi)
    seen = case_disclosable_values(case=sent["case"], items=["risk", "categories"])
    case = sent["case"]
    case.refresh_from_db()
    case_update(user=op_hanoi, case_id=case.pk, expected_version=case.version, risk="imminent")

    with pytest.raises(StaleEscalationError, match="vừa thay đổi"):
        escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["risk"], seen=seen)
    assert DisclosureRecord.objects.filter(escalation=escalation).count() == 1


@pytest.mark.django_db
def test_it_shares_the_transcript_only_as_far_as_the_page_counted(op_hanoi, sent):
    escalation = sent["escalation"]
    first = sent["first"]
    message_add(first, "ĐÃ-THẤY", at=LATER)
    seen = case_disclosable_values(case=sent["case"], items=["transcript"])
    message_add(first, "CHƯA-THẤY", at=LATER)
    conversation_with(sent["case"], "CUỘC-CHƯA-THẤY", at=LATER)

    record = escalation_disclose(
        user=op_hanoi, escalation_id=escalation.pk, items=["transcript"], seen=seen
    )

    assert record.snapshot == {"transcript": {str(first.pk): 3}}


@pytest.mark.django_db
def test_it_shows_the_changes_and_the_history_on_the_hotline_page_and_discloses_from_it(
    client, op_hanoi, sup_hanoi, liaison_a05, sent
):
    escalation = sent["escalation"]
    raise_to_high_and_retag(sent["case"], op_hanoi)
    message_add(sent["first"], "TIN-NHẮN-SAU", at=LATER)

    page = hotline_page(client, sup_hanoi, escalation)
    changed = re.findall(r'class="disclosure-changed" data-item="(\w+)"', page)
    assert changed == ["categories", "risk", "transcript"]
    assert re.findall(r'class="disclosure-new" data-item="(\w+)"', page) == [
        "age_group",
        "gender",
        "province",
    ]
    assert "Tin nhắn: 2 · cuộc trao đổi: 1" in page
    assert "Tin nhắn: 3 · cuộc trao đổi: 1" in page
    assert "TIN-NHẮN-SAU" not in page

    response = client.post(
        reverse("escalations:disclose", args=[escalation.pk]),
        {"items": ["risk", "transcript"], "seen": json.dumps(seen_on(page))},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Đã chia sẻ thêm thông tin với cơ quan." in page
    assert re.findall(r'class="disclosure-changed" data-item="(\w+)"', page) == ["categories"]
    history = page[page.index("disclosure-history") :]
    assert "Mức độ rủi ro: Trung bình" in history
    assert "Mức độ rủi ro: Cao" in history
    assert "Nội dung trao đổi (toàn văn): Tin nhắn: 3 · cuộc trao đổi: 1" in history
    assert sup_hanoi.get_full_name() in history

    liaison = liaison_page(client, liaison_a05, escalation)
    assert "TIN-NHẮN-SAU" in liaison
    assert ">Cao<" in liaison
    assert "Bắt nạt trực tuyến" in liaison


@pytest.mark.django_db
def test_it_keeps_disclosure_records_append_only(sent):
    record = DisclosureRecord.objects.get(escalation=sent["escalation"])
    record.snapshot = {}
    with pytest.raises(ValidationError):
        record.save()
    with pytest.raises(ValidationError):
        record.delete()
    with pytest.raises(ValidationError):
        DisclosureRecord.objects.filter(pk=record.pk).update(snapshot={})
    with pytest.raises(ValidationError):
        DisclosureRecord.objects.filter(pk=record.pk).delete()
    record.refresh_from_db()
    assert record.snapshot["risk"] == "medium"


@pytest.mark.django_db
def test_it_reconstructs_the_snapshot_of_records_written_before_it_was_kept(op_hanoi, make_case):
    case = make_case(by=op_hanoi, risk="high", age_group="15-17")
    first = conversation_with(case, "TRƯỚC-KHI-GỬI")
    escalation = escalate(case, by=op_hanoi, shared_items=["age_group", "transcript"])
    message_add(first, "SAU-KHI-GỬI", at=LATER)
    # Messages written before sending, in a conversation linked to the case after it.
    linked_later = conversation_with(case, "LIÊN-KẾT-SAU", at=T0 - datetime.timedelta(hours=3))
    CaseEvent.objects.create(
        case=case,
        actor=op_hanoi,
        action=CaseEvent.Action.CONVERSATION_LINKED,
        detail={"conversation": str(linked_later.pk), "channel": "webchat"},
        at=LATER,
    )
    historical = MigrationLoader(connection).project_state(
        ("escalation", "0003_disclosure_snapshot")
    )
    historical.apps.get_model("escalation", "DisclosureRecord").objects.update(snapshot={})
    migration = importlib.import_module("escalation.migrations.0003_disclosure_snapshot")

    migration.snapshot_existing_records(historical.apps, None)

    record = DisclosureRecord.objects.get(escalation=escalation)
    assert record.snapshot == {"age_group": "15-17", "transcript": {str(first.pk): 1}}
