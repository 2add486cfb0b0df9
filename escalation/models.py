"""Partner agencies that receive escalated cases."""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class EscalationType(models.TextChoices):
    PRIVACY_VIOLATION = "privacy_violation", _("Xâm phạm quyền riêng tư")
    CHILD_ABUSE = "child_abuse", _("Xâm hại trẻ em")
    OCSEA = "ocsea", _("Xâm hại tình dục trẻ em trên mạng")
    SELF_HARM = "self_harm", _("Tự gây hại")
    SCAM = "scam", _("Lừa đảo")


class Agency(models.Model):
    """A partner organisation: national, or covering some provinces."""

    class Scope(models.TextChoices):
        NATIONAL = "national", _("Toàn quốc")
        PROVINCIAL = "provincial", _("Cấp tỉnh")

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name_vi = models.CharField(_("tên tiếng Việt"), max_length=200)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=200)
    scope = models.CharField(_("phạm vi"), max_length=10, choices=Scope.choices)
    # Province codes covered by a provincial agency; empty for a national one.
    province_codes = models.JSONField(_("tỉnh/thành phụ trách"), default=list, blank=True)
    accepted_types = models.JSONField(_("loại chuyển tuyến tiếp nhận"), default=list)
    notification_email = models.EmailField(_("email nhận thông báo"), blank=True)
    # The liaisons of an agency form one group; object permissions go to it.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="agency")
    is_active = models.BooleanField(_("đang hợp tác"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi

    def covers_province(self, code: str) -> bool:
        return self.scope == self.Scope.NATIONAL or code in self.province_codes
