"""What retention keeps about itself: purges, legal holds and young people's deletion requests."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PurgeKind(models.TextChoices):
    """What one purge batch removed. The code names the kind of data, not a table."""

    CONTACT = "contact", _("Liên hệ không thành hồ sơ")
    CLOSED_CASE = "closed_case", _("Nội dung hồ sơ đã đóng")
    CALLBACK = "callback", _("Yêu cầu gọi lại đã xong")
    PHONE_NUMBER = "phone_number", _("Số điện thoại không còn dùng")
    IDENTITY = "identity", _("Cụm mật khẩu không còn dùng")
    PLATFORM_HELD_MESSAGE = (
        "platform_held_message",
        _("Tin nhắn Zalo/Messenger chưa vào cuộc trao đổi"),
    )
    PLATFORM_CONTACT = "platform_contact", _("Tài khoản Zalo/Messenger không còn dùng")
    AUDIT_CASE_EVENT = "audit.case_event", _("Nhật ký hồ sơ")
    AUDIT_CONVERSATION_READ = "audit.conversation_read", _("Lượt đọc cuộc trao đổi")
    AUDIT_MONITORING = "audit.monitoring", _("Phiên giám sát")
    AUDIT_PHONE_REVEAL = "audit.phone_reveal", _("Lượt xem số điện thoại")
    AUDIT_CALLBACK_EVENT = "audit.callback_event", _("Bước của yêu cầu gọi lại")
    AUDIT_DISCLOSURE = "audit.disclosure", _("Bản ghi chia sẻ thông tin")
    AUDIT_REPORT_EVENT = "audit.report_event", _("Lượt xem, xuất báo cáo")
    AUDIT_LEGAL_HOLD = "audit.legal_hold", _("Lệnh giữ dữ liệu đã gỡ")
    AUDIT_BREAK_GLASS = "audit.break_glass", _("Quyền xem khẩn cấp")
    AUDIT_DELETION_REQUEST = "audit.deletion_request", _("Yêu cầu xoá đã xử lý")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Bản ghi này không thể sửa."))

    def delete(self):
        raise ValidationError(_("Bản ghi này không thể xoá."))


class PurgeRecord(models.Model):
    """One batch of a purge: which kind of data, how many rows, when, and the span of their dates.

    Counts and dates only, never ids: it proves that the schedule ran without
    keeping anything of what it removed. Never edited or deleted.
    """

    kind = models.CharField(max_length=30, choices=PurgeKind.choices)
    count = models.PositiveIntegerField()
    # What went with them, by table: {"helpline.Message": 120, "telephony.Call": 2}.
    cascaded = models.JSONField(default=dict, blank=True)
    run_at = models.DateTimeField(db_index=True)
    # The dates (not times) of the event each period counts from, oldest and newest in the batch.
    oldest = models.DateField()
    newest = models.DateField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-run_at", "-id"]

    def __str__(self) -> str:
        return f"purge {self.kind} {self.count} at {self.run_at:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("Bản ghi này không thể sửa."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Bản ghi này không thể xoá."))


class HoldReason(models.TextChoices):
    POLICE_INVESTIGATION = "police_investigation", _("Cơ quan công an đang điều tra")
    PROSECUTION_OR_COURT = "prosecution_or_court", _("Viện kiểm sát hoặc toà án yêu cầu")
    AUTHORITY_REQUEST = "authority_request", _("Cơ quan nhà nước có thẩm quyền khác yêu cầu")
    BREACH_INVESTIGATION = "breach_investigation", _("Điều tra sự cố lộ lọt dữ liệu")
    COMPLAINT = "complaint", _("Đang giải quyết khiếu nại")


# A reference such as a police dispatch number (123/CV-PC02): letters, digits and / . _ : -,
# no spaces, so that it cannot hold a sentence about a child.
HOLD_REFERENCE_PATTERN = r"^[A-Za-z0-9/._:\-]{1,40}$"


class LegalHold(models.Model):
    """A case that must not be purged while it is held: who placed it, why, until when.

    The reason is a code and the reference a short number from the request,
    never a child's details. At most one hold per case is in force; lifting
    one keeps the row, which is the record.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("lý do"), max_length=30, choices=HoldReason.choices)
    reference = models.CharField(_("số hiệu văn bản yêu cầu"), max_length=40)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now, db_index=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(lifted_at__isnull=True),
                name="legal_hold_one_in_force_per_case",
            ),
            models.CheckConstraint(
                name="legal_hold_lifted_by_someone",
                condition=models.Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | models.Q(lifted_at__isnull=False, lifted_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} on case {self.case_id}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None


class DeletionStatus(models.TextChoices):
    """Where a young person's deletion request stands, as the chat tells them."""

    DONE = "done", _("Đã xoá")
    HELD = "held", _("Chưa xoá được: hồ sơ đang bị giữ theo yêu cầu của cơ quan có thẩm quyền")
    ESCALATION_OPEN = "escalation_open", _("Chưa xoá được: một cơ quan đang xử lý yêu cầu hỗ trợ")
    PENDING = "pending", _("Sẽ xoá khi cuộc trò chuyện kết thúc")


class DeletionRequest(models.Model):
    """A young person asked, from the chat, to delete their conversation.

    Kept by the conversation's id, not a foreign key, so the record outlives
    what it deleted. One per conversation: asking again re-checks the same
    request. It is honoured as soon as nothing stands in the way (the
    conversation has ended, its case is not on hold, no escalation is open);
    until then its status says what does.
    """

    conversation_uuid = models.UUIDField(unique=True)
    hotline = models.ForeignKey("helpline.Hotline", on_delete=models.PROTECT, related_name="+")
    # The case the conversation belonged to when it was last checked, if any.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=DeletionStatus.choices)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    checked_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.CheckConstraint(
                name="deletion_request_done_when_done",
                condition=models.Q(status="done", done_at__isnull=False)
                | (~models.Q(status="done") & models.Q(done_at__isnull=True)),
            )
        ]

    def __str__(self) -> str:
        return f"deletion {self.conversation_uuid} {self.status}"
