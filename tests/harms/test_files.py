"""Evidence files: encrypted at rest, metadata stripped, bad files refused in plain words."""

import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cases.models import CaseEvent
from harms.models import EvidenceEvent, EvidenceFile
from harms.services import HarmsError, evidence_show, evidence_upload
from harms.storage import CONTENT, THUMBNAIL, evidence_path, evidence_read
from tests.harms.helpers import GPS_IFD, PDF, image_bytes, noise_bytes, record_item
from tests.logins import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(op_hanoi, make_case, harms_data):
    return make_case(by=op_hanoi, summary="Ảnh của em bị đăng lại")


def upload_page(client, case, data: bytes, *, name="shot.jpg", **fields):
    return client.post(
        reverse("harms:file_upload", args=[case.pk]),
        {"file": SimpleUploadedFile(name, data, content_type="image/jpeg"), **fields},
    )


def test_it_keeps_an_uploaded_screenshot_encrypted_with_no_image_header_on_disk(
    client, op_hanoi, case
):
    staff_login(client, op_hanoi)
    original = image_bytes("JPEG")

    response = upload_page(client, case, original)

    assert response.status_code == 302
    file = EvidenceFile.objects.get()
    stored = evidence_path(file.pk, CONTENT).read_bytes()
    assert not stored.startswith(b"\xff\xd8")  # no JPEG header
    assert b"JFIF" not in stored and b"Exif" not in stored
    assert evidence_path(file.pk, THUMBNAIL).exists()
    assert not evidence_path(file.pk, THUMBNAIL).read_bytes().startswith(b"\xff\xd8")
    # Named by id only, nothing of the browser's file name, and readable only by the server.
    assert "shot" not in str(evidence_path(file.pk, CONTENT))
    assert evidence_path(file.pk, CONTENT).stat().st_mode & 0o077 == 0
    assert evidence_read(file.pk, CONTENT).startswith(b"\xff\xd8")


def test_it_records_the_hash_of_the_file_as_received_and_of_the_file_kept(op_hanoi, case):
    import hashlib

    original = image_bytes("PNG", gps=False)
    file = evidence_upload(user=op_hanoi, case_id=case.pk, data=original)

    assert file.original_sha256 == hashlib.sha256(original).hexdigest()
    assert file.sha256 == hashlib.sha256(evidence_read(file.pk, CONTENT)).hexdigest()
    assert (file.kind, file.content_type, file.width, file.height) == ("image", "image/png", 64, 48)
    assert file.uploaded_by == op_hanoi
    assert EvidenceEvent.objects.get(file=file).action == "uploaded"
    event = CaseEvent.objects.get(case=case, action=CaseEvent.Action.EVIDENCE)
    assert event.detail == {
        "file": str(file.pk),
        "change": "uploaded",
        "kind": "image",
        "item": None,
    }


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP"])
def test_it_strips_the_gps_position_and_every_other_metadata(op_hanoi, case, image_format):
    original = image_bytes(image_format, gps=True)
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # the test image does carry a position

    file = evidence_upload(user=op_hanoi, case_id=case.pk, data=original)

    kept = evidence_read(file.pk, CONTENT)
    with Image.open(io.BytesIO(kept)) as after:
        assert dict(after.getexif()) == {}
        assert after.getexif().get_ifd(GPS_IFD) == {}
        assert "exif" not in after.info and "icc_profile" not in after.info
    assert b"PhoneMaker" not in kept and b"Exif" not in kept


def test_it_refuses_a_malformed_image_with_a_clear_message(client, op_hanoi, case):
    staff_login(client, op_hanoi)
    truncated = image_bytes("JPEG")[:200]

    response = upload_page(client, case, truncated)

    assert response.status_code == 200
    assert (
        "Không đọc được tệp này: tệp bị hỏng hoặc không phải là ảnh." in response.content.decode()
    )
    assert not EvidenceFile.objects.exists()


def test_it_refuses_a_file_that_is_neither_an_image_nor_a_pdf(op_hanoi, case):
    with pytest.raises(HarmsError, match="Chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF"):
        evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes("GIF"))
    with pytest.raises(HarmsError, match="Không đọc được tệp này"):
        evidence_upload(user=op_hanoi, case_id=case.pk, data=b"MZ\x90\0not an image")


def test_it_refuses_an_oversized_image_before_reading_it_all(client, op_hanoi, case, settings):
    settings.EVIDENCE_IMAGE_MAX_BYTES = 4096
    staff_login(client, op_hanoi)

    response = upload_page(client, case, noise_bytes(side=100))

    assert response.status_code == 200
    assert "Tệp quá lớn" in response.content.decode()
    assert not EvidenceFile.objects.exists()
    with pytest.raises(HarmsError, match="Tệp quá lớn"):
        evidence_upload(user=op_hanoi, case_id=case.pk, data=noise_bytes(side=100))


def test_it_keeps_a_pdf_as_received_and_refuses_one_over_its_limit(op_hanoi, case, settings):
    file = evidence_upload(user=op_hanoi, case_id=case.pk, data=PDF)

    assert (file.kind, file.content_type) == ("pdf", "application/pdf")
    assert evidence_read(file.pk, CONTENT) == PDF
    assert not evidence_path(file.pk, THUMBNAIL).exists()

    settings.EVIDENCE_PDF_MAX_BYTES = 10
    with pytest.raises(HarmsError, match="Tệp quá lớn"):
        evidence_upload(user=op_hanoi, case_id=case.pk, data=PDF)


def test_it_blurs_the_thumbnail_beyond_recognition(op_hanoi, case):
    file = evidence_upload(
        user=op_hanoi, case_id=case.pk, data=image_bytes("JPEG", size=(640, 480))
    )

    with Image.open(io.BytesIO(evidence_read(file.pk, THUMBNAIL))) as thumbnail:
        assert max(thumbnail.size) <= 240
        # The stripes of the original (8 px apart) are gone: neighbouring pixels barely differ.
        row = [thumbnail.getpixel((x, thumbnail.height // 2)) for x in range(thumbnail.width)]
    assert max(abs(a[2] - b[2]) for a, b in itertools.pairwise(row)) < 20


def test_it_refuses_every_file_while_no_key_is_configured(
    op_hanoi, case, settings, evidence_storage
):
    settings.EVIDENCE_ENCRYPTION_KEY = ""

    with pytest.raises(HarmsError, match="chưa được cấu hình khoá mã hoá"):
        evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes())

    assert not EvidenceFile.objects.exists()
    assert not evidence_storage.exists() or not any(evidence_storage.rglob("*.content"))


def test_it_leaves_no_file_on_disk_when_the_upload_is_rolled_back(
    op_hanoi, case, evidence_storage, monkeypatch
):
    from harms import services

    def audit_fails(*args, **kwargs):
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(services, "case_event_record", audit_fails)

    with pytest.raises(RuntimeError):
        evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes())

    assert not EvidenceFile.objects.exists()
    assert not any(evidence_storage.rglob("*.content"))


def test_it_records_every_show_before_the_image_is_shown(client, op_hanoi, sup_hanoi, case):
    file = evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes())
    staff_login(client, sup_hanoi)

    page = client.post(reverse("harms:file_show", args=[file.pk]))
    raw = client.post(reverse("harms:file_content", args=[file.pk]))

    assert page.status_code == 200
    assert "data:image/jpeg;base64," in page.content.decode()
    assert "img-src 'self' data:" in page["Content-Security-Policy"]
    assert page["Cache-Control"].startswith("no-store")
    assert raw.content.startswith(b"\xff\xd8") and raw["Content-Type"] == "image/jpeg"
    shows = CaseEvent.objects.filter(case=case, action=CaseEvent.Action.EVIDENCE_SHOWN)
    assert [(e.actor, e.detail["file"], e.detail["side"]) for e in shows] == [
        (sup_hanoi, str(file.pk), "hotline")
    ] * 2
    assert EvidenceEvent.objects.filter(file=file, action="shown").count() == 2


def test_it_shows_nothing_when_the_show_cannot_be_recorded(op_hanoi, case, monkeypatch):
    from harms import services

    file = evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes())
    monkeypatch.setattr(
        services.EvidenceEvent.objects, "create", lambda **kwargs: (_ for _ in ()).throw(OSError)
    )

    with pytest.raises(OSError):
        evidence_show(user=op_hanoi, file_id=file.pk)

    assert not CaseEvent.objects.filter(action=CaseEvent.Action.EVIDENCE_SHOWN).exists()


def test_it_answers_the_show_only_to_a_post(client, op_hanoi, case):
    file = evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes())
    staff_login(client, op_hanoi)

    assert client.get(reverse("harms:file_show", args=[file.pk])).status_code == 405
    assert client.get(reverse("harms:file_content", args=[file.pk])).status_code == 405
    thumbnail = client.get(reverse("harms:file_thumbnail", args=[file.pk]))
    assert thumbnail.status_code == 200 and thumbnail["Cache-Control"].startswith("no-store")
    assert not CaseEvent.objects.filter(action=CaseEvent.Action.EVIDENCE_SHOWN).exists()


def test_it_attaches_a_file_to_an_item_of_the_same_case_only(op_hanoi, case, make_case):
    item = record_item(case, by=op_hanoi, handle="kexau").item
    other = make_case(by=op_hanoi)
    stray = record_item(other, by=op_hanoi, handle="someone").item

    file = evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes(), item_id=item.pk)
    assert file.item == item

    with pytest.raises(HarmsError, match="không thuộc hồ sơ"):
        evidence_upload(user=op_hanoi, case_id=case.pk, data=image_bytes(), item_id=stray.pk)


def test_it_warns_at_the_deploy_check_only_of_a_key_that_is_set_but_unusable(settings):
    from harms.checks import evidence_key_check

    settings.EVIDENCE_ENCRYPTION_KEY = ""
    assert evidence_key_check() == []
    settings.EVIDENCE_ENCRYPTION_KEY = "not-a-fernet-key"
    assert [warning.id for warning in evidence_key_check()] == ["harms.W001"]
    assert "not-a-fernet-key" not in str(evidence_key_check()[0])
