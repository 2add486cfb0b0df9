"""What signing in keeps: each staff session's coarse description, and the account events."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaffSession(models.Model):
    """One signed-in session of a member of staff, as its owner sees it in their list.

    Holds the browser's family and the times, never an address or the full
    user-agent string. The session itself lives in Django's session store; a
    row whose session has ended is deleted when its owner's list is read.
    """

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    browser = models.CharField(_("trình duyệt"), max_length=40, blank=True)
    started_at = models.DateTimeField(_("bắt đầu"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("hoạt động gần nhất"), default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class AccountAction(models.TextChoices):
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Đăng ký xác thực hai bước")
    RECOVERY_CODES_CREATED = "recovery_codes_created", _("Tạo mã khôi phục")
    SESSION_ENDED = "session_ended", _("Kết thúc một phiên đăng nhập")
    SESSIONS_ENDED_BY_ADMINISTRATOR = (
        "sessions_ended_by_administrator",
        _("Quản trị viên kết thúc mọi phiên đăng nhập"),
    )
    UNLOCKED = "unlocked", _("Mở khoá đăng nhập")
    ENROLMENT_LINK_SENT = "enrolment_link_sent", _("Gửi liên kết kích hoạt tài khoản")
    SECOND_FACTOR_RESET = "second_factor_reset", _("Xoá thiết bị xác thực hai bước")


class AccountEvent(models.Model):
    """Who did what to a staff account's sign-in, and when: codes only, never changed or deleted."""

    at = models.DateTimeField(_("thời điểm"), default=timezone.now)
    # None when whoever operates the server did it from a command.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.PROTECT,
        related_name="account_events",
    )
    action = models.CharField(_("việc"), max_length=40, choices=AccountAction.choices)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} on user {self.account_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError(_("Nhật ký tài khoản không thể sửa."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Nhật ký tài khoản không thể xoá."))
