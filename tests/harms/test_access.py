"""Who sees an item or a file: staff of the case's hotline, and an agency only what it was shown."""

import pytest
from django.urls import reverse

from cases.models import CaseEvent
from escalation.services import escalation_disclose, escalation_transition
from harms.services import evidence_upload, online_item_update
from tests.escalation.helpers import escalate
from tests.harms.helpers import image_bytes, record_item
from tests.logins import staff_login

pytestmark = pytest.mark.django_db

SHOW, CONTENT, THUMBNAIL = "harms:file_show", "harms:file_content", "harms:file_thumbnail"


@pytest.fixture
def case(op_hanoi, make_case, harms_data):
    return make_case(by=op_hanoi, categories=("online.image_abuse",), risk="high")


@pytest.fixture
def evidence(op_hanoi, case):
    """An item with a screenshot, on the case."""
    return record_item(
        case,
        by=op_hanoi,
        url="https://facebook.com/groups/phat-tan",
        category="online.image_abuse",
        description="nhóm đăng lại ảnh của em",
        upload=image_bytes(),
    )


def can_open(client, file) -> bool:
    codes = {
        client.get(reverse(THUMBNAIL, args=[file.pk])).status_code,
        client.post(reverse(CONTENT, args=[file.pk])).status_code,
    }
    assert len(codes) == 1, codes
    return codes == {200}


def test_it_shows_the_agency_no_item_and_no_file_unless_its_escalation_disclosed_them(
    client, op_hanoi, liaison_a05, case, evidence
):
    escalation = escalate(case, by=op_hanoi, shared_items=["categories"])
    staff_login(client, liaison_a05)

    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()

    assert "facebook.com/groups/phat-tan" not in page
    assert "nhóm đăng lại ảnh của em" not in page
    assert not can_open(client, evidence.file)


def test_it_shows_the_agency_the_item_and_file_its_escalation_disclosed(
    client, op_hanoi, liaison_a05, case, evidence
):
    escalation = escalate(case, by=op_hanoi, shared_items=["online_items", "evidence_files"])
    staff_login(client, liaison_a05)

    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()

    assert "facebook.com/groups/phat-tan" in page
    assert "nhóm đăng lại ảnh của em" in page
    assert reverse(THUMBNAIL, args=[evidence.file.pk]) in page
    assert can_open(client, evidence.file)
    shown = CaseEvent.objects.get(case=case, action=CaseEvent.Action.EVIDENCE_SHOWN)
    assert (shown.actor, shown.detail["side"], shown.detail["escalation"]) == (
        liaison_a05,
        "agency",
        escalation.pk,
    )


def test_it_shares_items_without_their_files_when_only_items_are_ticked(
    client, op_hanoi, liaison_a05, case, evidence
):
    escalation = escalate(case, by=op_hanoi, shared_items=["online_items"])
    staff_login(client, liaison_a05)

    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()

    assert "facebook.com/groups/phat-tan" in page
    assert reverse(THUMBNAIL, args=[evidence.file.pk]) not in page
    assert not can_open(client, evidence.file)


def test_it_shows_a_file_added_after_the_disclosure_only_once_it_is_disclosed_too(
    client, op_hanoi, liaison_a05, case, evidence
):
    escalation = escalate(case, by=op_hanoi, shared_items=["online_items", "evidence_files"])
    later = evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes("PNG"))
    staff_login(client, liaison_a05)
    assert not can_open(client, later)

    escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["evidence_files"])

    assert can_open(client, later)
    assert can_open(client, evidence.file)


def test_it_shows_the_agency_the_revision_it_was_shown_not_a_later_edit(
    client, op_hanoi, liaison_a05, case, evidence
):
    escalation = escalate(case, by=op_hanoi, shared_items=["online_items"])
    item = evidence.item
    online_item_update(
        user=op_hanoi,
        item_id=item.pk,
        expected_version=1,
        platform=item.platform_id,
        kind=item.kind,
        url=item.url,
        handle="ten_that_cua_ke_xau",
        category=item.category_id,
        seen_at=None,
        description="chi tiết mới chưa chia sẻ",
    )
    staff_login(client, liaison_a05)

    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()
    assert "nhóm đăng lại ảnh của em" in page
    assert "chi tiết mới chưa chia sẻ" not in page
    assert "ten_that_cua_ke_xau" not in page

    escalation_disclose(user=op_hanoi, escalation_id=escalation.pk, items=["online_items"])
    page = client.get(reverse("liaison:detail", args=[escalation.pk])).content.decode()
    assert "chi tiết mới chưa chia sẻ" in page


def test_it_shares_only_the_files_the_hotline_page_counted(
    client, op_hanoi, liaison_a05, case, evidence
):
    escalation = escalate(case, by=op_hanoi, shared_items=["categories"])
    seen = {"evidence_files": {str(evidence.file.pk): 1}}
    arrived_meanwhile = evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes("PNG"))

    escalation_disclose(
        user=op_hanoi, escalation_id=escalation.pk, items=["evidence_files"], seen=seen
    )

    staff_login(client, liaison_a05)
    assert can_open(client, evidence.file)
    assert not can_open(client, arrived_meanwhile)


def test_it_shows_another_agency_nothing(client, op_hanoi, liaison_111, case, evidence):
    escalation = escalate(case, by=op_hanoi, shared_items=["online_items", "evidence_files"])
    staff_login(client, liaison_111)

    assert client.get(reverse("liaison:detail", args=[escalation.pk])).status_code == 404
    assert not can_open(client, evidence.file)


def test_it_shows_the_agency_nothing_more_once_the_escalation_is_withdrawn(
    client, op_hanoi, liaison_a05, case, evidence
):
    escalation = escalate(case, by=op_hanoi, shared_items=["online_items", "evidence_files"])
    escalation_transition(
        user=op_hanoi, escalation_id=escalation.pk, transition="withdraw", text="nhầm cơ quan"
    )
    staff_login(client, liaison_a05)

    assert not can_open(client, evidence.file)


def test_it_shows_another_hotline_nothing(client, op_hue, evidence):
    staff_login(client, op_hue)

    assert not can_open(client, evidence.file)
    assert client.post(reverse(SHOW, args=[evidence.file.pk])).status_code == 404
    assert not CaseEvent.objects.filter(action=CaseEvent.Action.EVIDENCE_SHOWN).exists()


def test_it_gives_administrators_no_file(client, administrator, evidence):
    staff_login(client, administrator)

    assert client.get(reverse(THUMBNAIL, args=[evidence.file.pk])).status_code == 403
    assert client.post(reverse(CONTENT, args=[evidence.file.pk])).status_code == 403


def test_it_answers_an_unknown_file_like_a_hidden_one(client, op_hanoi, evidence):
    staff_login(client, op_hanoi)

    unknown = "00000000-0000-0000-0000-000000000000"
    assert client.get(reverse(THUMBNAIL, args=[unknown])).status_code == 404
    assert client.post(reverse(CONTENT, args=[unknown])).status_code == 404
