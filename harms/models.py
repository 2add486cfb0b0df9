"""Online harm on a case: what was seen where, the files that prove it, the requests to remove it,
and the same handle or URL met by several hotlines.

Platforms and takedown channels are data that administrators manage in /admin/.
Items, files, takedowns and matches hold or point at case content: no admin
page shows them.
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from helpline.crypto import EncryptedTextField

# The category of the tree that is child sexual abuse material (OCSEA). An item
# in it never keeps an image: only the URL or handle, and the hash of a file.
OCSEA_CATEGORY_CODES = ("online.ocsea",)


class NamedInTwoLanguages(models.Model):
    name_vi = models.CharField(_("tên tiếng Việt"), max_length=200)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class Platform(NamedInTwoLanguages):
    """Where an item was seen: a social network, a messaging app, a game, a website."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    position = models.PositiveIntegerField(_("thứ tự"), default=0)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("nền tảng")
        verbose_name_plural = _("nền tảng")


class ItemKind(models.TextChoices):
    POST = "post", _("Bài đăng")
    PROFILE = "profile", _("Trang cá nhân / tài khoản")
    GROUP = "group", _("Nhóm / trang / kênh")
    VIDEO = "video", _("Video / phát trực tiếp")
    MESSAGE = "message", _("Tin nhắn")
    GAME = "game", _("Trò chơi")
    OTHER = "other", _("Khác")


class OnlineItem(models.Model):
    """Something online that harmed the young person: a post, an account, a group, a game.

    The URL and handle are kept as typed, and as keyed hashes of their
    normalised form (harms/normalize.py) so that the same one is recognised in
    cases of other hotlines without anyone reading those cases.
    """

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="online_items", verbose_name=_("hồ sơ")
    )
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="+", verbose_name=_("nền tảng")
    )
    kind = models.CharField(_("loại"), max_length=10, choices=ItemKind.choices)
    url = EncryptedTextField(_("đường dẫn"), max_length=2000, blank=True)
    handle = EncryptedTextField(_("tài khoản / ID"), max_length=200, blank=True)
    category = models.ForeignKey(
        "cases.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("loại tác hại")
    )
    seen_at = models.DateTimeField(_("thời điểm người liên hệ thấy"), null=True, blank=True)
    description = EncryptedTextField(_("mô tả"), max_length=2000, blank=True)
    handle_hash = models.CharField(max_length=64, blank=True, db_index=True)
    url_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # Bumped on every change, so a stale form is refused and a disclosure can name
    # the revision it shared.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="online_item_has_url_or_handle", condition=~models.Q(url="", handle="")
            )
        ]

    def __str__(self) -> str:
        return f"online item {self.pk} on case {self.case_id}"

    @property
    def is_ocsea(self) -> bool:
        return self.category.code in OCSEA_CATEGORY_CODES


class AppendOnly(models.Model):
    """A record that is written once and never changed or deleted: custody and audit rows."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError(_("Bản ghi này không thể sửa."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Bản ghi này không thể xoá."))


class OnlineItemRevision(AppendOnly):
    """An item as it was at one version: who recorded what, when (the chain of custody).

    A disclosure to an agency names the version it shared, and the agency sees
    that revision, not whatever the item says later.
    """

    item = models.ForeignKey(OnlineItem, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField()
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    url = EncryptedTextField(max_length=2000, blank=True)
    handle = EncryptedTextField(max_length=200, blank=True)
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+")
    seen_at = models.DateTimeField(null=True, blank=True)
    description = EncryptedTextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="online_item_revision_once")
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} v{self.version}"


class EvidenceKind(models.TextChoices):
    IMAGE = "image", _("Ảnh")
    PDF = "pdf", _("PDF")


class EvidenceSource(models.TextChoices):
    YOUTH = "youth", _("Người liên hệ gửi trong cuộc trò chuyện")
    STAFF = "staff", _("Nhân viên tải lên")


class DeletionReason(models.TextChoices):
    OCSEA = "ocsea", _("Nội dung xâm hại tình dục trẻ em: không được lưu giữ")


class EvidenceFile(models.Model):
    """A screenshot or PDF kept as evidence: encrypted in a file, never in the database.

    The row keeps what custody needs: where it came from, its SHA-256 as
    received and as kept, its size, who uploaded it and when. Deleting the
    content (an OCSEA image) keeps the row and the hash.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A young person's upload belongs to their conversation, and to its case once it has one.
    conversation = models.ForeignKey(
        "helpline.Conversation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        OnlineItem, on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    source = models.CharField(max_length=10, choices=EvidenceSource.choices)
    # Blank for a file given with an OCSEA item: it is hashed, never opened.
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    original_size = models.PositiveIntegerField()
    original_sha256 = models.CharField(max_length=64)
    # What is kept: the image as re-encoded without its metadata (a PDF as received).
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deleted_reason = models.CharField(max_length=10, choices=DeletionReason.choices, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="evidence_file_has_case_or_conversation",
                condition=models.Q(case__isnull=False) | models.Q(conversation__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"evidence file {self.pk}"

    @property
    def has_content(self) -> bool:
        return self.deleted_at is None

    @property
    def case_id_now(self) -> int | None:
        """The case the file belongs to: its own, or its conversation's."""
        if self.case_id is not None:
            return self.case_id
        return self.conversation.case_id if self.conversation_id else None


class EvidenceEvent(AppendOnly):
    """One step in the custody of a file: received, attached to an item, shown, deleted."""

    class Action(models.TextChoices):
        UPLOADED = "uploaded", _("Nhận tệp")
        ATTACHED = "attached", _("Gắn vào dấu vết")
        SHOWN = "shown", _("Xem tệp")
        DELETED = "deleted", _("Xoá nội dung")

    file = models.ForeignKey(EvidenceFile, on_delete=models.PROTECT, related_name="events")
    # None: the young person (an upload from the chat) or the system.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    side = models.CharField(max_length=10, blank=True)
    escalation_id = models.PositiveBigIntegerField(null=True, blank=True)
    item_id = models.PositiveBigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.file_id}"


class UploadAttempt(models.Model):
    """A screenshot sent from the chat, kept as the keyed hash of its network for an hour."""

    address_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["address_hash", "at"])]

    def __str__(self) -> str:
        return f"upload at {self.at:%H:%M:%S}"


class TakedownChannel(NamedInTwoLanguages):
    """Where a takedown request goes: a platform's reporting route, an authority, or an agency.

    A channel through a partner agency reuses the escalation of the case to that
    agency: the agency sees the items disclosed to it and records the outcome.
    """

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("Kênh báo cáo của nền tảng")
        AUTHORITY = "authority", _("Cơ quan quản lý nhà nước")
        AGENCY = "agency", _("Qua cơ quan phối hợp (yêu cầu chuyển tuyến)")

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    kind = models.CharField(_("loại kênh"), max_length=10, choices=Kind.choices)
    platform = models.ForeignKey(
        Platform,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("nền tảng"),
    )
    agency = models.ForeignKey(
        "escalation.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cơ quan"),
    )
    response_hours = models.PositiveIntegerField(
        _("thời hạn phản hồi dự kiến (giờ)"),
        default=24,
        help_text=_(
            "Theo quy định, nền tảng phải gỡ nội dung trong 24 giờ khi cơ quan có thẩm quyền "
            "yêu cầu."
        ),
    )
    how_to = models.TextField(_("cách gửi yêu cầu"), max_length=2000, blank=True)
    position = models.PositiveIntegerField(_("thứ tự"), default=0)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("kênh yêu cầu gỡ bỏ")
        verbose_name_plural = _("kênh yêu cầu gỡ bỏ")

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.AGENCY and self.agency_id is None:
            raise ValidationError({"agency": _("Kênh qua cơ quan phối hợp cần chọn cơ quan.")})
        if self.kind != self.Kind.AGENCY and self.agency_id is not None:
            raise ValidationError({"agency": _("Chỉ kênh qua cơ quan phối hợp mới chọn cơ quan.")})
        if self.kind == self.Kind.PLATFORM and self.platform_id is None:
            raise ValidationError({"platform": _("Kênh báo cáo của nền tảng cần chọn nền tảng.")})


class TakedownState(models.TextChoices):
    DRAFTED = "drafted", _("Đang soạn")
    SENT = "sent", _("Đã gửi")
    ACKNOWLEDGED = "acknowledged", _("Đã tiếp nhận")
    REMOVED = "removed", _("Đã gỡ bỏ")
    REFUSED = "refused", _("Bị từ chối")
    NO_RESPONSE = "no_response", _("Không phản hồi")
    CLOSED = "closed", _("Đã đóng")


# Waiting on the channel: the deadline counts, and the sender is reminded to re-check.
WAITING_STATES = (TakedownState.SENT, TakedownState.ACKNOWLEDGED)
OUTCOME_STATES = (TakedownState.REMOVED, TakedownState.REFUSED, TakedownState.NO_RESPONSE)
OPEN_TAKEDOWN_STATES = (TakedownState.DRAFTED, *WAITING_STATES)


def is_hotline_staff(takedown: "TakedownRequest", user) -> bool:
    return bool(getattr(user, "is_hotline_staff", False))


def is_staff_or_its_agency(takedown: "TakedownRequest", user) -> bool:
    """Hotline staff, or a liaison of the agency whose escalation carries the takedown."""
    if getattr(user, "is_hotline_staff", False):
        return True
    return bool(
        getattr(user, "is_liaison", False)
        and takedown.escalation_id is not None
        and takedown.channel.agency_id == user.agency_id
    )


class TakedownRequest(ConcurrentTransitionMixin, models.Model):
    """A request to a channel to remove one item, followed until its outcome is known."""

    item = models.ForeignKey(OnlineItem, on_delete=models.PROTECT, related_name="takedowns")
    channel = models.ForeignKey(TakedownChannel, on_delete=models.PROTECT, related_name="+")
    escalation = models.ForeignKey(
        "escalation.Escalation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = FSMField(
        _("trạng thái"),
        default=TakedownState.DRAFTED,
        choices=TakedownState.choices,
        protected=True,
    )
    # The number the platform or authority gave the report, if any.
    external_reference = models.CharField(_("số tiếp nhận"), max_length=100, blank=True)
    outcome_note = EncryptedTextField(_("ghi chú kết quả"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    # The channel's expected response time counted from sending; overdue is computed from it.
    due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # removed, refused or no_response: kept when the request is closed, for the reports.
    outcome = models.CharField(max_length=12, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "channel"],
                condition=models.Q(state__in=[s.value for s in OPEN_TAKEDOWN_STATES]),
                name="takedown_one_open_per_item_and_channel",
            )
        ]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return f"takedown {self.pk}"

    def is_overdue(self, *, now: datetime.datetime) -> bool:
        """Computed from the deadline and the clock given; never stored."""
        return self.state in WAITING_STATES and self.due_at is not None and now > self.due_at

    def elapsed_seconds(self, *, now: datetime.datetime) -> int | None:
        """Time since sending, until the outcome (or now while waiting)."""
        if self.sent_at is None:
            return None
        end = self.outcome_at if self.outcome_at else now
        return max(0, int((end - self.sent_at).total_seconds()))

    @transition(
        field=state,
        source=TakedownState.DRAFTED,
        target=TakedownState.SENT,
        permission=is_hotline_staff,
    )
    def send(self, *, by, at: datetime.datetime) -> None:
        self.sent_by = by
        self.sent_at = at
        self.due_at = at + datetime.timedelta(hours=self.channel.response_hours)

    @transition(
        field=state,
        source=TakedownState.SENT,
        target=TakedownState.ACKNOWLEDGED,
        permission=is_staff_or_its_agency,
    )
    def acknowledge(self, *, at: datetime.datetime) -> None:
        self.acknowledged_at = at

    @transition(
        field=state,
        source=list(WAITING_STATES),
        target=TakedownState.REMOVED,
        permission=is_staff_or_its_agency,
    )
    def removed(self, *, at: datetime.datetime) -> None:
        self.outcome = TakedownState.REMOVED
        self.outcome_at = at

    @transition(
        field=state,
        source=list(WAITING_STATES),
        target=TakedownState.REFUSED,
        permission=is_staff_or_its_agency,
    )
    def refused(self, *, at: datetime.datetime) -> None:
        self.outcome = TakedownState.REFUSED
        self.outcome_at = at

    @transition(
        field=state,
        source=list(WAITING_STATES),
        target=TakedownState.NO_RESPONSE,
        permission=is_hotline_staff,
    )
    def no_response(self, *, at: datetime.datetime) -> None:
        self.outcome = TakedownState.NO_RESPONSE
        self.outcome_at = at

    @transition(
        field=state,
        source=list(OUTCOME_STATES),
        target=TakedownState.CLOSED,
        permission=is_hotline_staff,
    )
    def close(self, *, at: datetime.datetime) -> None:
        self.closed_at = at


# The steps, by the name used in forms and the audit trail, with the button's label.
TAKEDOWN_TRANSITIONS = {
    "send": _("Đánh dấu đã gửi"),
    "acknowledge": _("Kênh đã tiếp nhận"),
    "removed": _("Nội dung đã bị gỡ"),
    "refused": _("Kênh từ chối gỡ"),
    "no_response": _("Không phản hồi sau thời hạn"),
    "close": _("Đóng yêu cầu"),
}
# What a liaison of the agency may record from the escalation's page.
AGENCY_TAKEDOWN_TRANSITIONS = ("acknowledge", "removed", "refused")


class TakedownCheck(AppendOnly):
    """A person looked: is the content still online? The system itself never opens a URL."""

    takedown = models.ForeignKey(TakedownRequest, on_delete=models.PROTECT, related_name="checks")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    still_online = models.BooleanField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"check of takedown {self.takedown_id}"


class TakedownNotice(models.Model):
    """A re-check reminder the worker sent, so that it is never sent twice for one deadline."""

    takedown = models.ForeignKey(TakedownRequest, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    about = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["takedown", "kind", "about"], name="takedown_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for takedown {self.takedown_id}"


class MatchKind(models.TextChoices):
    HANDLE = "handle", _("Tài khoản")
    URL = "url", _("Đường dẫn")


class HarmMatch(models.Model):
    """The same handle or URL in cases of two or more hotlines: a notice for central.

    It holds the keyed hash and counts, never the handle, the URL or a case:
    who may see which case is for an incident to decide (reports).
    """

    kind = models.CharField(max_length=10, choices=MatchKind.choices)
    key_hash = models.CharField(max_length=64)
    # Counted when the match was last refreshed.
    hotline_count = models.PositiveIntegerField(default=0)
    case_count = models.PositiveIntegerField(default=0)
    item_count = models.PositiveIntegerField(default=0)
    first_matched_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key_hash"], name="harm_match_once")]

    def __str__(self) -> str:
        return f"match {self.pk}"


class HarmMatchAction(AppendOnly):
    """A central supervisor acted on a match: the audited step before cases are linked."""

    class Action(models.TextChoices):
        INCIDENT_OPENED = "incident_opened", _("Mở sự vụ")

    match = models.ForeignKey(HarmMatch, on_delete=models.PROTECT, related_name="actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on match {self.match_id}"
