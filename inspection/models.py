"""The data-breach register. (Break-glass grants live beside the cases they open:
cases.models.BreakGlassGrant.)"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Law 91/2025 on personal data protection: a breach is notified to the authority within 72
# hours. A legal deadline, so not a setting.
BREACH_NOTIFY_WITHIN = datetime.timedelta(hours=72)


class BreachDataKind(models.TextChoices):
    CHAT_MESSAGES = "chat_messages", _("Nội dung trò chuyện, tin nhắn")
    CASE_RECORDS = "case_records", _("Hồ sơ, tóm tắt, ghi chú")
    ESCALATIONS = "escalations", _("Yêu cầu chuyển tuyến và thông tin đã chia sẻ")
    PHONE_NUMBERS = "phone_numbers", _("Số điện thoại")
    CONTACT_RECORDS = "contact_records", _("Thông tin lượt liên hệ (tỉnh, tuổi, thời gian)")
    STAFF_ACCOUNTS = "staff_accounts", _("Tài khoản nhân sự")
    OTHER = "other", _("Khác")


class BreachReport(models.Model):
    """A suspected personal-data breach, from its discovery to its notification to the authority.

    What is written here is read by inspectors and sent to the authority: a
    short description without any child's details, the kinds of data and how
    many young people may be affected. The 72-hour clock runs from the moment
    of discovery and is computed, never stored.
    """

    description = models.CharField(_("mô tả ngắn"), max_length=500)
    discovered_at = models.DateTimeField(_("phát hiện lúc"))
    data_kinds = models.JSONField(_("loại dữ liệu liên quan"), default=list)
    # Young people whose data may be affected; None while nobody can tell.
    people_affected = models.PositiveIntegerField(_("số người trẻ bị ảnh hưởng"), null=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(_("đã thông báo lúc"), null=True, blank=True)
    notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notification_authority = models.CharField(
        _("cơ quan nhận thông báo"), max_length=200, blank=True
    )
    notification_reference = models.CharField(_("số hiệu thông báo"), max_length=60, blank=True)

    class Meta:
        ordering = ["-discovered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="breach_notification_complete",
                condition=models.Q(notified_at__isnull=True, notified_by__isnull=True)
                | models.Q(notified_at__isnull=False, notified_by__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"breach {self.pk}"

    @property
    def notify_by(self) -> datetime.datetime:
        return self.discovered_at + BREACH_NOTIFY_WITHIN

    def time_left(self, *, now: datetime.datetime) -> datetime.timedelta | None:
        """Until the notification is due; negative once overdue; None once notified."""
        if self.notified_at is not None:
            return None
        return self.notify_by - now

    def is_overdue(self, *, now: datetime.datetime) -> bool:
        return self.notified_at is None and now > self.notify_by

    @property
    def notified_in_time(self) -> bool | None:
        if self.notified_at is None:
            return None
        return self.notified_at <= self.notify_by

    def data_kind_labels(self) -> list[str]:
        return [
            str(BreachDataKind(kind).label) if kind in BreachDataKind.values else kind
            for kind in self.data_kinds
        ]
