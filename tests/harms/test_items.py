"""Online items on a case: recorded from the case page, revised, on the timeline, in scope only."""

import datetime

import pytest
from django.urls import reverse

from cases.models import CaseEvent
from cases.services import case_transition
from harms.models import OnlineItem, OnlineItemRevision
from harms.services import HarmsError, StaleItemError, online_item_update
from tests.harms.helpers import category_id, platform, record_item
from tests.logins import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(op_hanoi, make_case, harms_data):
    return make_case(by=op_hanoi, summary="Có người mạo danh em trên TikTok")


def item_form(**fields) -> dict:
    return {
        "platform": platform("tiktok").pk,
        "kind": "profile",
        "url": "https://www.tiktok.com/@ke_mao_danh?is_from_webapp=1",
        "handle": "",
        "category": category_id("online.impersonation"),
        "seen_at": "2026-03-01T20:15",
        "description": "Tài khoản dùng ảnh của em",
        **fields,
    }


def test_it_records_an_item_from_the_case_page_and_shows_it_there(client, op_hanoi, case):
    staff_login(client, op_hanoi)
    form = client.get(reverse("harms:item_create", args=[case.pk]))
    assert form.status_code == 200
    assert "Hình ảnh xâm hại tình dục trẻ em không bao giờ được lưu" in form.content.decode()

    response = client.post(reverse("harms:item_create", args=[case.pk]), item_form())

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk]) + "#harms"
    item = OnlineItem.objects.get()
    assert (item.case, item.platform.code, item.kind, item.created_by) == (
        case,
        "tiktok",
        "profile",
        op_hanoi,
    )
    assert item.seen_at.astimezone(datetime.UTC) == datetime.datetime(
        2026, 3, 1, 13, 15, tzinfo=datetime.UTC
    )
    assert item.handle_hash and item.url_hash
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "@ke_mao_danh" in page
    assert "Tài khoản dùng ảnh của em" in page
    event = CaseEvent.objects.get(case=case, action=CaseEvent.Action.ONLINE_ITEM)
    assert event.actor == op_hanoi
    assert event.detail == {
        "item": item.pk,
        "change": "created",
        "version": 1,
        "platform": "tiktok",
        "category": "online.impersonation",
    }


def test_it_asks_for_a_url_or_a_handle_and_keeps_what_was_typed(client, op_hanoi, case):
    staff_login(client, op_hanoi)

    response = client.post(
        reverse("harms:item_create", args=[case.pk]), item_form(url="", handle="")
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Hãy ghi đường dẫn hoặc tài khoản." in body
    assert "Tài khoản dùng ảnh của em" in body
    assert not OnlineItem.objects.exists()


def test_it_refuses_something_that_is_not_a_web_address(op_hanoi, case):
    with pytest.raises(HarmsError, match="Đường dẫn không hợp lệ"):
        record_item(case, by=op_hanoi, url="javascript:alert(1)")
    assert not OnlineItem.objects.exists()


def test_it_keeps_each_version_of_an_item_and_puts_the_changed_fields_on_the_timeline(
    op_hanoi, sup_hanoi, case
):
    item = record_item(case, by=op_hanoi, handle="kexau", description="lần đầu").item

    online_item_update(
        user=sup_hanoi,
        item_id=item.pk,
        expected_version=1,
        platform=item.platform_id,
        kind="profile",
        url="",
        handle="kexau",
        category=category_id("online.scam"),
        seen_at=None,
        description="sửa lại",
    )

    item.refresh_from_db()
    assert (item.version, item.description) == (2, "sửa lại")
    revisions = OnlineItemRevision.objects.filter(item=item).order_by("version")
    assert [(r.version, r.description, r.recorded_by) for r in revisions] == [
        (1, "lần đầu", op_hanoi),
        (2, "sửa lại", sup_hanoi),
    ]
    updated = CaseEvent.objects.filter(case=case, action=CaseEvent.Action.ONLINE_ITEM).last()
    assert updated.detail == {
        "item": item.pk,
        "change": "updated",
        "version": 2,
        "fields": ["category", "description"],
    }
    assert "sửa lại" not in str(updated.detail)


def test_it_refuses_an_edit_made_from_a_stale_form(op_hanoi, case):
    item = record_item(case, by=op_hanoi, handle="kexau").item
    values = {
        "platform": item.platform_id,
        "kind": "profile",
        "url": "",
        "handle": "kexau",
        "category": item.category_id,
        "seen_at": None,
    }
    online_item_update(
        user=op_hanoi, item_id=item.pk, expected_version=1, description="một", **values
    )

    with pytest.raises(StaleItemError):
        online_item_update(
            user=op_hanoi, item_id=item.pk, expected_version=1, description="hai", **values
        )


def test_it_refuses_items_on_a_closed_case(op_hanoi, sup_hanoi, case):
    case_transition(user=op_hanoi, case_id=case.pk, transition="open")
    case_transition(user=op_hanoi, case_id=case.pk, transition="resolve")
    case_transition(user=sup_hanoi, case_id=case.pk, transition="close")

    with pytest.raises(HarmsError, match="Hồ sơ đã đóng"):
        record_item(case, by=op_hanoi, handle="kexau")


def test_it_shows_another_hotline_nothing_of_the_items(client, op_hanoi, op_hue, case):
    item = record_item(case, by=op_hanoi, handle="kexau").item
    staff_login(client, op_hue)

    for url in (
        reverse("harms:item_create", args=[case.pk]),
        reverse("harms:item_edit", args=[item.pk]),
        reverse("harms:takedown_create", args=[item.pk]),
        reverse("harms:evidence_sheet", args=[case.pk]),
        reverse("harms:file_upload", args=[case.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("harms:item_create", args=[case.pk]), item_form()).status_code == 404
    assert OnlineItem.objects.count() == 1


@pytest.mark.parametrize("username", ["liaison_a05", "administrator"])
def test_it_keeps_people_who_handle_no_cases_off_the_item_pages(
    request, client, op_hanoi, case, username
):
    item = record_item(case, by=op_hanoi, handle="kexau").item
    staff_login(client, request.getfixturevalue(username))

    assert client.get(reverse("harms:item_create", args=[case.pk])).status_code == 403
    assert client.get(reverse("harms:item_edit", args=[item.pk])).status_code == 403
    assert client.get(reverse("harms:evidence_sheet", args=[case.pk])).status_code == 403


def test_it_lets_central_supervisors_see_every_hotlines_items(client, op_hanoi, sup_central, case):
    record_item(case, by=op_hanoi, handle="kexau")
    staff_login(client, sup_central)

    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()

    assert "kexau" in page


def test_it_prints_an_evidence_sheet_with_the_chain_of_custody_and_records_the_read(
    client, op_hanoi, sup_hanoi, case
):
    from tests.harms.helpers import image_bytes

    result = record_item(
        case,
        by=op_hanoi,
        url="https://facebook.com/groups/123",
        upload=image_bytes(),
        description="nhóm phát tán ảnh",
    )
    staff_login(client, sup_hanoi)

    response = client.get(reverse("harms:evidence_sheet", args=[case.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert case.reference in body
    assert "https://facebook.com/groups/123" in body
    assert result.file.original_sha256 in body and result.file.sha256 in body
    assert "op_hanoi" in body or op_hanoi.get_full_name() in body
    assert case.summary not in body  # the case's own summary is not evidence
    assert "harms/sheet.css" in body
    read = CaseEvent.objects.filter(case=case, action=CaseEvent.Action.VIEWED, actor=sup_hanoi)
    assert read.filter(detail={"page": "evidence_sheet"}).count() == 1


def test_it_checks_the_csrf_token_of_the_upload_forms(op_hanoi, case):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    staff_login(client, op_hanoi)

    for url in (
        reverse("harms:item_create", args=[case.pk]),
        reverse("harms:file_upload", args=[case.pk]),
    ):
        assert client.post(url, item_form()).status_code == 403, url
    assert not OnlineItem.objects.exists()
