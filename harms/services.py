"""Every change to online items and evidence files goes through one function here.

Each runs in one transaction: it reaches the case (or the file) through its
selector with a row lock, changes the rows, writes the case's timeline
(cases.audit) and the file's custody (EvidenceEvent) beside the change. Files
are written to disk inside the transaction and erased again if it fails.

The OCSEA rule: an item in the category of child sexual abuse material keeps
its URL or handle and the SHA-256 of a file, never the file. An image given
with such an item is hashed and dropped unread; one already kept is erased at
once (content and thumbnail) when its item becomes OCSEA, and the erasure is
recorded on the timeline and in the file's custody.
"""

import datetime
import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import case_event_record
from cases.models import Case, CaseEvent, CaseState, Category
from cases.selectors import case_get_for_user
from harms import matches
from harms.images import EvidenceRefused, evidence_clean
from harms.models import (
    DeletionReason,
    EvidenceEvent,
    EvidenceFile,
    EvidenceSource,
    ItemKind,
    OnlineItem,
    OnlineItemRevision,
    Platform,
)
from harms.normalize import item_hashes, url_canonical
from harms.selectors import evidence_file_get_for_user, online_item_get_for_user
from harms.storage import (
    CONTENT,
    THUMBNAIL,
    EvidenceKeyMissing,
    evidence_erase,
    evidence_keys_check,
    evidence_read,
    evidence_write,
)

ITEM_FIELDS = ("platform", "kind", "url", "handle", "category", "seen_at", "description")
DESCRIPTION_MAX = 2000
HANDLE_MAX = 200
URL_MAX = 2000


class HarmsError(Exception):
    """A change that cannot be made, with a message to show the person."""


class StaleItemError(HarmsError):
    """Someone else changed the item after this person loaded it."""


def ocsea_explanation() -> str:
    """Why an image of an OCSEA item is not kept, in the words the forms use."""
    return _(
        "Hình ảnh xâm hại tình dục trẻ em không bao giờ được lưu trên hệ thống: giữ hay chuyển "
        "tiếp hình ảnh đó là vi phạm pháp luật và làm tổn thương em thêm lần nữa. Hệ thống chỉ "
        "giữ đường dẫn, tài khoản và mã băm (SHA-256) của tệp để cơ quan chức năng xử lý."
    )


@dataclass
class ItemResult:
    item: OnlineItem
    # Files whose content was erased (or never kept) because the item is OCSEA.
    ocsea_erased: list[EvidenceFile] = field(default_factory=list)
    file: EvidenceFile | None = None


def case_editable_check(case: Case) -> None:
    if case.state == CaseState.CLOSED:
        raise HarmsError(_("Hồ sơ đã đóng. Hãy mở lại hồ sơ trước khi sửa."))


def _values_checked(values: dict, *, at: datetime.datetime) -> dict:
    """The item's fields as they will be saved, or HarmsError with what is wrong."""
    platform = Platform.objects.filter(pk=values["platform"], is_active=True).first()
    if platform is None:
        raise HarmsError(_("Hãy chọn nền tảng."))
    if values["kind"] not in ItemKind.values:
        raise HarmsError(_("Loại dấu vết không hợp lệ."))
    category = Category.objects.filter(pk=values["category"], is_active=True).first()
    if category is None:
        raise HarmsError(_("Hãy chọn loại tác hại."))
    url = (values.get("url") or "").strip()
    handle = (values.get("handle") or "").strip()
    if not url and not handle:
        raise HarmsError(_("Hãy ghi đường dẫn hoặc tài khoản."))
    if url and not url_canonical(url):
        raise HarmsError(_("Đường dẫn không hợp lệ: hãy dán địa chỉ bắt đầu bằng https://"))
    if url and "://" not in url:
        url = "https://" + url
    if len(url) > URL_MAX or len(handle) > HANDLE_MAX:
        raise HarmsError(_("Đường dẫn hoặc tài khoản quá dài."))
    description = (values.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise HarmsError(_("Mô tả quá dài: tối đa %(max)d ký tự.") % {"max": DESCRIPTION_MAX})
    seen_at = values.get("seen_at")
    if seen_at is not None and seen_at > at + datetime.timedelta(minutes=5):
        raise HarmsError(_("Thời điểm nhìn thấy không thể ở tương lai."))
    return {
        "platform": platform,
        "kind": values["kind"],
        "url": url,
        "handle": handle,
        "category": category,
        "seen_at": seen_at,
        "description": description,
    }


def _revision(item: OnlineItem, *, user, at: datetime.datetime) -> OnlineItemRevision:
    return OnlineItemRevision.objects.create(
        item=item,
        version=item.version,
        recorded_by=user,
        recorded_at=at,
        **{name: getattr(item, name) for name in ITEM_FIELDS},
    )


def _item_event(item: OnlineItem, *, user, at, change: str, **detail) -> None:
    case_event_record(
        case_id=item.case_id,
        actor=user,
        action=CaseEvent.Action.ONLINE_ITEM,
        item=item.pk,
        change=change,
        version=item.version,
        at=at,
        **detail,
    )


def file_event_record(file: EvidenceFile, *, user, at, action: str, **detail) -> None:
    """The file's custody, and the case's timeline once the file belongs to a case."""
    EvidenceEvent.objects.create(
        file=file,
        actor=user,
        action=action,
        side=detail.get("side", ""),
        escalation_id=detail.get("escalation"),
        item_id=detail.get("item"),
        at=at,
    )
    case_id = file.case_id_now
    if case_id is None:
        return
    timeline_action = (
        CaseEvent.Action.EVIDENCE_SHOWN
        if action == EvidenceEvent.Action.SHOWN
        else CaseEvent.Action.EVIDENCE
    )
    case_event_record(
        case_id=case_id,
        actor=user,
        action=timeline_action,
        file=str(file.pk),
        change=action,
        at=at,
        **detail,
    )


def _hashes(item: OnlineItem) -> None:
    item.handle_hash, item.url_hash = item_hashes(
        platform_code=item.platform.code, url=item.url, handle=item.handle
    )


class FilesWritten:
    """Erase the files written in a block if the block fails, so no orphan is left on disk.

    (A crash between the write and the commit can still leave one: it is
    encrypted, and named by an id no row holds.)
    """

    def __init__(self):
        self.ids = []

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if kind is not None:
            for file_id in self.ids:
                evidence_erase(file_id)
        return False


def online_item_create(*, user, case_id: int, upload: bytes | None = None, at=None, **values):
    """Record an online item on a case, with an optional screenshot or PDF."""
    with FilesWritten() as written:
        return _online_item_create(
            user=user, case_id=case_id, upload=upload, at=at, written=written, **values
        )


@transaction.atomic
def _online_item_create(*, user, case_id, upload, at, written, **values) -> ItemResult:
    at = at or timezone.now()
    case = case_get_for_user(user=user, case_id=case_id, for_update=True)
    case_editable_check(case)
    checked = _values_checked(values, at=at)
    item = OnlineItem(case=case, created_by=user, created_at=at, updated_at=at, **checked)
    _hashes(item)
    item.save()
    _revision(item, user=user, at=at)
    _item_event(
        item,
        user=user,
        at=at,
        change="created",
        platform=item.platform.code,
        category=item.category.code,
    )
    result = ItemResult(item=item)
    if upload is not None:
        result.file = _file_store(
            user=user, case=case, item=item, data=upload, at=at, written=written
        )
        if result.file.deleted_at is not None:
            result.ocsea_erased.append(result.file)
    matches.harm_matches_refresh(items=[item], at=at)
    return result


@transaction.atomic
def online_item_update(
    *, user, item_id: int, expected_version: int | None, at=None, **values
) -> ItemResult:
    """Change an item; a new revision keeps what it said before. OCSEA erases its images."""
    at = at or timezone.now()
    item = online_item_get_for_user(user=user, item_id=item_id, for_update=True)
    case_get_for_user(user=user, case_id=item.case_id, for_update=True)
    case_editable_check(item.case)
    if expected_version is not None and item.version != expected_version:
        raise StaleItemError(
            _("Dấu vết vừa được người khác sửa. Hãy xem lại bản mới nhất rồi thử lại.")
        )
    checked = _values_checked(values, at=at)
    changed = [name for name in ITEM_FIELDS if getattr(item, name) != checked[name]]
    result = ItemResult(item=item)
    if not changed:
        return result
    for name in changed:
        setattr(item, name, checked[name])
    _hashes(item)
    item.version += 1
    item.updated_at = at
    item.save()
    _revision(item, user=user, at=at)
    _item_event(item, user=user, at=at, change="updated", fields=changed)
    if item.is_ocsea:
        for file in item.files.filter(deleted_at__isnull=True).select_for_update():
            result.ocsea_erased.append(_erase_ocsea(file, user=user, at=at))
    if {"platform", "url", "handle"} & set(changed):
        matches.harm_matches_refresh(items=[item], at=at)
    return result


def evidence_upload(*, user, case_id: int, data: bytes, item_id: int | None = None, at=None):
    """Keep a file staff upload on a case, attached to one of its items or not."""
    with FilesWritten() as written:
        return _evidence_upload(
            user=user, case_id=case_id, data=data, item_id=item_id, at=at, written=written
        )


@transaction.atomic
def _evidence_upload(*, user, case_id, data, item_id, at, written) -> EvidenceFile:
    at = at or timezone.now()
    case = case_get_for_user(user=user, case_id=case_id, for_update=True)
    case_editable_check(case)
    item = None
    if item_id is not None:
        item = online_item_get_for_user(user=user, item_id=item_id)
        if item.case_id != case.pk:
            raise HarmsError(_("Dấu vết này không thuộc hồ sơ."))
    return _file_store(user=user, case=case, item=item, data=data, at=at, written=written)


def _keys_checked() -> None:
    try:
        evidence_keys_check()
    except EvidenceKeyMissing:
        raise HarmsError(
            _(
                "Máy chủ chưa được cấu hình khoá mã hoá tệp bằng chứng nên chưa thể nhận tệp. "
                "Hãy báo quản trị hệ thống."
            )
        ) from None


def _file_store(*, user, case, item, data: bytes, at, written: FilesWritten) -> EvidenceFile:
    """Keep a staff upload; an OCSEA item's file is hashed and never kept."""
    if item is not None and item.is_ocsea:
        return _ocsea_hash_only(user=user, case=case, item=item, data=data, at=at)
    _keys_checked()
    try:
        clean = evidence_clean(data, allow_pdf=True)
    except EvidenceRefused as refused:
        raise HarmsError(refused.message) from None
    file = EvidenceFile.objects.create(
        case=case,
        item=item,
        source=EvidenceSource.STAFF,
        kind=clean.kind,
        content_type=clean.content_type,
        original_size=clean.original_size,
        original_sha256=clean.original_sha256,
        size=len(clean.data),
        sha256=clean.sha256,
        width=clean.width,
        height=clean.height,
        uploaded_by=user,
        uploaded_at=at,
    )
    evidence_files_write(file, clean, written)
    file_event_record(
        file,
        user=user,
        at=at,
        action=EvidenceEvent.Action.UPLOADED,
        kind=file.kind,
        item=item.pk if item else None,
    )
    return file


def evidence_files_write(file: EvidenceFile, clean, written: FilesWritten) -> None:
    written.ids.append(file.pk)
    evidence_write(file.pk, CONTENT, clean.data)
    if clean.thumbnail is not None:
        evidence_write(file.pk, THUMBNAIL, clean.thumbnail)


def _ocsea_hash_only(*, user, case, item, data: bytes, at) -> EvidenceFile:
    """Record that a file was given for an OCSEA item: its hash and size, never its content."""
    if not data:
        raise HarmsError(_("Tệp trống."))
    file = EvidenceFile.objects.create(
        case=case,
        item=item,
        source=EvidenceSource.STAFF,
        kind="",
        content_type="",
        original_size=len(data),
        original_sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=user,
        uploaded_at=at,
        deleted_at=at,
        deleted_by=user,
        deleted_reason=DeletionReason.OCSEA,
    )
    file_event_record(
        file,
        user=user,
        at=at,
        action=EvidenceEvent.Action.DELETED,
        reason=DeletionReason.OCSEA,
        item=item.pk,
    )
    return file


def _erase_ocsea(file: EvidenceFile, *, user, at) -> EvidenceFile:
    """Erase a kept file's content and thumbnail now, keeping its row and hashes."""
    evidence_erase(file.pk)
    file.deleted_at = at
    file.deleted_by = user
    file.deleted_reason = DeletionReason.OCSEA
    file.save(update_fields=["deleted_at", "deleted_by", "deleted_reason"])
    file_event_record(
        file,
        user=user,
        at=at,
        action=EvidenceEvent.Action.DELETED,
        reason=DeletionReason.OCSEA,
        item=file.item_id,
    )
    return file


@transaction.atomic
def evidence_delete_ocsea(*, user, file_id, at=None) -> EvidenceFile:
    """A file is child sexual abuse material: erase it at once, keeping only its hash."""
    at = at or timezone.now()
    file = evidence_file_get_for_user(user=user, file_id=file_id, for_update=True)
    if not user.is_hotline_staff:
        raise HarmsError(_("Bạn không được thực hiện thao tác này."))
    if file.deleted_at is not None:
        return file
    return _erase_ocsea(file, user=user, at=at)


@transaction.atomic
def evidence_attach(*, user, file_id, item_id: int, at=None) -> EvidenceFile:
    """Attach a file (one the young person sent) to an item of its case.

    The file then stays with that case. Attached to an OCSEA item, it is erased.
    """
    at = at or timezone.now()
    file = evidence_file_get_for_user(user=user, file_id=file_id, for_update=True)
    item = online_item_get_for_user(user=user, item_id=item_id)
    case_editable_check(item.case)
    if file.case_id_now != item.case_id:
        raise HarmsError(_("Tệp và dấu vết phải thuộc cùng một hồ sơ."))
    file.item = item
    file.case_id = item.case_id
    file.save(update_fields=["item", "case"])
    file_event_record(file, user=user, at=at, action=EvidenceEvent.Action.ATTACHED, item=item.pk)
    if item.is_ocsea and file.deleted_at is None:
        _erase_ocsea(file, user=user, at=at)
    return file


@transaction.atomic
def evidence_show(*, user, file_id, at=None) -> tuple[EvidenceFile, bytes]:
    """The content of a file for one person to see, recorded before it is shown.

    The read is on the file's custody and the case's timeline in the same
    transaction: if the record cannot be written, nothing is shown.
    """
    at = at or timezone.now()
    file = evidence_file_get_for_user(user=user, file_id=file_id)
    if file.deleted_at is not None:
        raise HarmsError(_("Nội dung tệp này đã bị xoá."))
    _keys_checked()
    data = evidence_read(file.pk, CONTENT)
    escalation = file.via_escalation
    file_event_record(
        file,
        user=user,
        at=at,
        action=EvidenceEvent.Action.SHOWN,
        side="agency" if escalation else "hotline",
        escalation=escalation.pk if escalation else None,
    )
    return file, data
