"""The reports' own records: who generated or exported which report."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportEvent(models.Model):
    """One view, generation or export of a report: who, which, which period and scope, when.

    Codes and dates only: a report holds no content, and neither does this.
    """

    class Action(models.TextChoices):
        VIEWED = "viewed", _("Xem báo cáo")
        EXPORTED = "exported", _("Xuất báo cáo")
        GENERATED = "generated", _("Tạo báo cáo tự động")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    kind = models.CharField(max_length=10)
    scope = models.CharField(max_length=4)
    start = models.DateField()
    end = models.DateField()
    format = models.CharField(max_length=5, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.scope} {self.start}..{self.end}"


class WeeklyReport(models.Model):
    """The weekly situation report the worker made for one scope and week.

    The row records that the report exists and that its supervisors were told;
    the figures are not stored but built again from the data whenever it is
    opened (reports/figures/), so a page and an export of it always agree and
    a wrap-up written late is counted. One per scope and week, whatever the
    worker does.
    """

    scope = models.CharField(max_length=4)
    week_start = models.DateField()
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week_start", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "week_start"], name="weekly_report_unique")
        ]

    def __str__(self) -> str:
        return f"weekly {self.scope} {self.week_start}"
