"""Help pages for young people (/help/): short advice in Vietnamese and English.

Central supervisors write them; anyone reads the published ones without an
account. The text is plain: the pages render it through handbook.markup, which
escapes everything and knows only paragraphs, subheadings and simple lists.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Path segments under /help/ that name something other than a page.
RESERVED_SLUGS = frozenset({"en", "vi", "manage", "offline", "sw.js"})


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("Tên này đã được dùng cho một phần khác của trang trợ giúp."))


class HelpPage(models.Model):
    slug = models.SlugField(
        _("địa chỉ"),
        max_length=60,
        unique=True,
        validators=[validate_slug_not_reserved],
        help_text=_(
            "Chữ thường không dấu, số và dấu gạch ngang, ví dụ: lua-dao-truc-tuyen. "
            "Không đổi được sau khi tạo."
        ),
    )
    title_vi = models.CharField(_("tiêu đề (tiếng Việt)"), max_length=120)
    summary_vi = models.CharField(_("tóm tắt (tiếng Việt)"), max_length=240)
    body_vi = models.TextField(_("nội dung (tiếng Việt)"), max_length=12000)
    title_en = models.CharField(_("tiêu đề (tiếng Anh)"), max_length=120, blank=True)
    summary_en = models.CharField(_("tóm tắt (tiếng Anh)"), max_length=240, blank=True)
    body_en = models.TextField(_("nội dung (tiếng Anh)"), max_length=12000, blank=True)
    position = models.PositiveSmallIntegerField(
        _("thứ tự"), default=100, help_text=_("Số nhỏ hơn đứng trước trong danh sách.")
    )
    is_published = models.BooleanField(_("đã đăng"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người sửa gần nhất"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("sửa lúc"), default=timezone.now)
    # Bumped by every save: an edit made on a stale form is refused, not silently lost.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("trang trợ giúp")
        verbose_name_plural = _("trang trợ giúp")

    def __str__(self) -> str:
        return self.slug

    def has_english(self) -> bool:
        return bool(self.title_en and self.summary_en and self.body_en)

    def in_language(self, language: str) -> "HelpPageText":
        """The page's text in the language asked for, or in Vietnamese when it has no English."""
        if language == "en" and self.has_english():
            return HelpPageText("en", self.title_en, self.summary_en, self.body_en)
        return HelpPageText("vi", self.title_vi, self.summary_vi, self.body_vi)


@dataclass(frozen=True)
class HelpPageText:
    language: str
    title: str
    summary: str
    body: str


class HelpPageChange(models.Model):
    """One save of a help page: who, when, what kind and which fields, never the text."""

    class Action(models.TextChoices):
        CREATED = "created", _("Đã tạo")
        EDITED = "edited", _("Đã sửa")
        PUBLISHED = "published", _("Đã đăng")
        UNPUBLISHED = "unpublished", _("Đã gỡ xuống")

    page = models.ForeignKey(HelpPage, on_delete=models.PROTECT, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    fields = models.JSONField(default=list, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("thay đổi trang trợ giúp")
        verbose_name_plural = _("thay đổi trang trợ giúp")

    def __str__(self) -> str:
        return f"{self.page_id}:{self.action}"
