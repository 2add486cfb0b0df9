"""Child sexual abuse material is never stored: only the URL or handle and a hash remain."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import CaseEvent
from harms.models import EvidenceEvent, EvidenceFile
from harms.services import evidence_attach, evidence_upload, online_item_update
from harms.storage import CONTENT, THUMBNAIL, evidence_path
from tests.harms.helpers import category_id, image_bytes, platform, record_item
from tests.logins import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(op_hanoi, make_case, harms_data):
    return make_case(by=op_hanoi, categories=("online.ocsea",), risk="high")


def no_content_on_disk(file: EvidenceFile) -> bool:
    return (
        not evidence_path(file.pk, CONTENT).exists()
        and not evidence_path(file.pk, THUMBNAIL).exists()
    )


def test_it_keeps_only_the_hash_of_an_image_given_with_an_ocsea_item_and_says_why(
    client, op_hanoi, case, evidence_storage
):
    staff_login(client, op_hanoi)
    image = image_bytes()

    response = client.post(
        reverse("harms:item_create", args=[case.pk]),
        {
            "platform": platform("discord").pk,
            "kind": "group",
            "url": "https://discord.gg/abcdef",
            "handle": "",
            "category": category_id("online.ocsea"),
            "seen_at": "",
            "description": "",
            "file": SimpleUploadedFile("x.jpg", image, content_type="image/jpeg"),
        },
        follow=True,
    )

    body = response.content.decode()
    assert "Ảnh đã bị xoá ngay và không được lưu; chỉ giữ lại mã băm." in body
    assert "giữ hay chuyển tiếp hình ảnh đó là vi phạm pháp luật" in body
    file = EvidenceFile.objects.get()
    assert file.original_sha256 == hashlib.sha256(image).hexdigest()
    assert (file.deleted_reason, file.deleted_by, file.sha256, file.size) == (
        "ocsea",
        op_hanoi,
        "",
        0,
    )
    assert no_content_on_disk(file)
    assert not any(evidence_storage.rglob("*"))  # nothing was ever written
    deleted = CaseEvent.objects.get(case=case, action=CaseEvent.Action.EVIDENCE)
    assert deleted.detail["change"] == "deleted" and deleted.detail["reason"] == "ocsea"
    assert EvidenceEvent.objects.get(file=file).action == "deleted"
    assert "https://discord.gg/abcdef" in body
    assert "Nội dung đã bị xoá lúc" in body


def test_it_erases_kept_images_at_once_when_their_item_becomes_ocsea(op_hanoi, sup_hanoi, case):
    result = record_item(
        case, by=op_hanoi, handle="kexau", category="online.image_abuse", upload=image_bytes()
    )
    item, file = result.item, result.file
    assert evidence_path(file.pk, CONTENT).exists()

    update = online_item_update(
        user=sup_hanoi,
        item_id=item.pk,
        expected_version=1,
        platform=item.platform_id,
        kind=item.kind,
        url="",
        handle="kexau",
        category=category_id("online.ocsea"),
        seen_at=None,
        description="",
    )

    file.refresh_from_db()
    assert update.ocsea_erased == [file]
    assert (file.deleted_reason, file.deleted_by) == ("ocsea", sup_hanoi)
    assert no_content_on_disk(file)
    assert file.original_sha256 and file.sha256  # the hashes stay
    timeline = CaseEvent.objects.filter(case=case, action=CaseEvent.Action.EVIDENCE)
    assert [e.detail["change"] for e in timeline] == ["uploaded", "deleted"]
    assert timeline.last().actor == sup_hanoi


def test_it_erases_a_young_persons_image_attached_to_an_ocsea_item(op_hanoi, case):
    item = record_item(case, by=op_hanoi, url="https://example.com/x", category="online.ocsea").item
    sent = evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes())

    evidence_attach(user=op_hanoi, file_id=sent.pk, item_id=item.pk)

    sent.refresh_from_db()
    assert sent.deleted_reason == "ocsea" and sent.item == item
    assert no_content_on_disk(sent)
    assert [e.action for e in sent.events.all()] == ["uploaded", "attached", "deleted"]


def test_it_erases_any_file_at_once_from_the_case_page_button(client, op_hanoi, case):
    file = evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes())
    staff_login(client, op_hanoi)

    response = client.post(reverse("harms:file_delete_ocsea", args=[file.pk]), follow=True)

    file.refresh_from_db()
    assert file.deleted_at is not None and no_content_on_disk(file)
    assert "Đã xoá nội dung tệp; chỉ giữ lại mã băm." in response.content.decode()
    assert client.post(reverse("harms:file_content", args=[file.pk])).status_code == 404
    assert client.get(reverse("harms:file_thumbnail", args=[file.pk])).status_code == 404
