"""Messaging platforms feeding the queue, the young people who write through them, and the
origins allowed to embed the chat.

Every platform record is keyed by the platform's own id with a UNIQUE
constraint: platforms deliver webhooks more than once, and a repeat must find
the row instead of creating another.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.crypto import platform_user_mask, secret_decrypt
from helpline.models import Conversation, Hotline, Message


class Platform(models.TextChoices):
    """The values are the conversation's channel (helpline.models.Channel) too."""

    ZALO = "zalo", _("Zalo")
    MESSENGER = "messenger", _("Facebook Messenger")


class PlatformAccount(models.Model):
    """A Zalo Official Account or a Facebook Page the helpline answers on.

    With a hotline, every conversation goes to that hotline's queue; without
    one the account is national, and the young person is first asked for
    their province. Tokens are set on the server (manage.py connector_account),
    never in the admin, and kept encrypted.
    """

    platform = models.CharField(_("nền tảng"), max_length=10, choices=Platform.choices)
    # The OA id or Page id: public identifiers of the helpline's own accounts.
    external_id = models.CharField(_("mã tài khoản trên nền tảng"), max_length=64)
    name = models.CharField(_("tên"), max_length=120)
    hotline = models.ForeignKey(
        Hotline,
        verbose_name=_("tổng đài"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Để trống: tài khoản quốc gia, hỏi tỉnh/thành trước khi vào hàng chờ."),
    )
    is_active = models.BooleanField(_("đang dùng"), default=True)
    access_token_encrypted = models.TextField(blank=True, editable=False)
    # Zalo only: single-use, replaced at every refresh.
    refresh_token_encrypted = models.TextField(blank=True, editable=False)
    access_expires_at = models.DateTimeField(_("access token hết hạn lúc"), null=True, blank=True)
    tokens_updated_at = models.DateTimeField(_("token cập nhật lúc"), null=True, blank=True)
    # The platform's code of the last failed refresh; empty once one succeeds.
    token_error = models.CharField(_("lỗi làm mới token"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("tài khoản nhắn tin")
        verbose_name_plural = _("tài khoản nhắn tin")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="platform_account_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} · {self.name}"

    @property
    def access_token(self) -> str:
        return secret_decrypt(self.access_token_encrypted) if self.access_token_encrypted else ""

    @property
    def refresh_token(self) -> str:
        if not self.refresh_token_encrypted:
            return ""
        return secret_decrypt(self.refresh_token_encrypted)


class PlatformContact(models.Model):
    """A young person's account on one platform account: encrypted, found by its keyed hash."""

    account = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="contacts")
    user_hash = models.CharField(max_length=64, unique=True, editable=False)
    user_encrypted = models.TextField(editable=False)
    # National accounts: when the province question was sent, while the answer is awaited.
    province_asked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.masked

    @property
    def user_id(self) -> str:
        return secret_decrypt(self.user_encrypted)

    @property
    def masked(self) -> str:
        return platform_user_mask(self.user_id)


class PlatformThread(models.Model):
    """Which platform user a conversation is with, and when they last wrote."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="platform_thread"
    )
    contact = models.ForeignKey(PlatformContact, on_delete=models.PROTECT, related_name="threads")
    # The platforms' reply windows run from the young person's last message.
    last_inbound_at = models.DateTimeField(default=timezone.now)
    # Zalo counts a reply as free only when it names the message it answers.
    last_inbound_external_id = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"thread {self.conversation_id}"


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Đã nhận")
    # A national account's first messages, kept until the province is known.
    HELD = "held", _("Chờ chọn tỉnh/thành")
    PENDING = "pending", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Không gửi được")
    # The platform's rules forbid the reply now; nothing was sent.
    WINDOW_CLOSED = "window_closed", _("Quá thời hạn trả lời")


class Notice(models.TextChoices):
    """What the helpline itself tells a young person on a platform."""

    RECEIVED = "received", _("Đã nhận tin nhắn")
    PROVINCE_QUESTION = "province_question", _("Hỏi tỉnh/thành")
    # A file, a voice message, a video or an animation: not kept on these channels.
    ATTACHMENT_REFUSED = "attachment_refused", _("Chưa nhận tệp đính kèm")
    # An image that was not kept (too large, not an image, not fetched...), and why.
    IMAGE_NOT_KEPT = "image_not_kept", _("Chưa nhận được ảnh")
    # After the first image of a conversation: the web chat's warning, which came too late to
    # show before it was sent.
    IMAGE_WARNING = "image_warning", _("Nhắc về ảnh khoả thân")


class PlatformMessage(models.Model):
    """One message in or out through a platform, tied to the chat message that holds its text.

    In: a young person's message, found again by the platform's message id.
    Out: an operator's reply (or the helpline's own notice) and its delivery:
    attempts, the next attempt's time, the platform's error code.
    """

    class Direction(models.TextChoices):
        INBOUND = "in", _("Đến")
        OUTBOUND = "out", _("Đi")

    account = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(PlatformContact, on_delete=models.PROTECT, related_name="messages")
    # The platform's message id; empty (NULL) for a reply until the platform took it.
    external_id = models.CharField(max_length=100, null=True, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="platform_messages",
    )
    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="platform_message"
    )
    # A held message's text, encrypted like the platform ids, until it joins its conversation
    # (then emptied): a young person's words are never plain text at rest.
    held_body_encrypted = models.TextField(blank=True, editable=False)
    # A held message's images, likewise: encrypted JSON naming the images already kept
    # encrypted on disk (harms.screenshots.StagedScreenshot) and why the others were not.
    held_images_encrypted = models.TextField(blank=True, editable=False)
    notice = models.CharField(max_length=20, choices=Notice.choices, blank=True)
    status = models.CharField(max_length=15, choices=DeliveryStatus.choices)
    # Messenger: the message tag a reply outside the 24-hour window goes out with.
    tag = models.CharField(max_length=20, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A long reply leaves in parts; a retry resumes after the last part the platform took.
    parts_sent = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], name="platform_message_external_id_unique"
            )
        ]
        indexes = [models.Index(fields=["direction", "status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.status} {self.pk}"


def origin_normalize(value: str) -> str:
    """A web origin as browsers send it: scheme://host[:port], lower case, nothing after.

    Raises ValidationError for anything else (a path, a query, a wildcard, user info).
    """
    value = (value or "").strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValidationError(_("Nguồn không hợp lệ.")) from None
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or "*" in value
        or parts.username
        or parts.password
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValidationError(
            _("Nhập đúng một nguồn, dạng https://ten-mien.vn (không có đường dẫn).")
        )
    default_port = {"https": 443, "http": 80}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    suffix = f":{port}" if port and port != default_port else ""
    return f"{parts.scheme}://{host}{suffix}"


class EmbedOrigin(models.Model):
    """A website or app allowed to show the youth chat in a frame (the widget)."""

    origin = models.CharField(
        _("nguồn"),
        max_length=200,
        unique=True,
        help_text=_("Dạng https://doanthanhnien.vn: giao thức, tên miền và cổng nếu có."),
    )
    label = models.CharField(_("mô tả"), max_length=120, blank=True)
    is_active = models.BooleanField(_("đang cho phép"), default=True)
    created_at = models.DateTimeField(_("thêm lúc"), default=timezone.now)
    updated_at = models.DateTimeField(_("sửa lúc"), auto_now=True)

    class Meta:
        ordering = ["origin"]
        verbose_name = _("trang được nhúng khung trò chuyện")
        verbose_name_plural = _("trang được nhúng khung trò chuyện")

    def __str__(self) -> str:
        return self.origin

    def save(self, *args, **kwargs) -> None:
        # A frame-ancestors source must be exact: never store an origin a browser would not send.
        self.origin = origin_normalize(self.origin)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.origin = origin_normalize(self.origin)
