"""The reports' own records: who generated or exported which report, and incidents."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from helpline.models import Hotline


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


class IncidentSeverity(models.TextChoices):
    LOW = "low", _("Thấp")
    MEDIUM = "medium", _("Trung bình")
    HIGH = "high", _("Cao")
    CRITICAL = "critical", _("Nghiêm trọng")


class IncidentState(models.TextChoices):
    OPEN = "open", _("Đang theo dõi")
    CLOSED = "closed", _("Đã đóng")


def can_close_incident(incident: "Incident", user) -> bool:
    """The hotline that opened an incident closes it, or a central supervisor."""
    if not getattr(user, "is_supervisor", False):
        return False
    return user.is_central_supervisor or incident.hotline_id == user.hotline_id


class Incident(ConcurrentTransitionMixin, models.Model):
    """A situation a supervisor follows when one harm reaches many young people.

    A platform trend, or one account hurting children in several provinces: the
    supervisor names it, links the cases it touches, and the flash report and
    the board count them. Its title and description are written by supervisors
    for other hotlines and partners to read, so they never hold a child's details.
    """

    hotline = models.ForeignKey(
        Hotline, verbose_name=_("tổng đài mở"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("tên sự việc"), max_length=120)
    platform = models.CharField(_("nền tảng hoặc xu hướng"), max_length=80, blank=True)
    description = models.TextField(_("mô tả"), max_length=1000, blank=True)
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("loại tác hại"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    severity = models.CharField(_("mức độ"), max_length=10, choices=IncidentSeverity.choices)
    state = FSMField(
        _("trạng thái"),
        default=IncidentState.OPEN,
        choices=IncidentState.choices,
        protected=True,
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("mở lúc"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("đóng lúc"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("sự việc")
        verbose_name_plural = _("sự việc")
        indexes = [models.Index(fields=["state", "hotline"])]

    def __str__(self) -> str:
        return f"incident {self.pk}"

    @transition(
        field=state,
        source=IncidentState.OPEN,
        target=IncidentState.CLOSED,
        permission=can_close_incident,
    )
    def close(self, *, by, at: datetime.datetime) -> None:
        self.closed_by = by
        self.closed_at = at


class IncidentProvince(models.Model):
    """One province an incident reaches; the supervisors of its hotline see the incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="provinces")
    province_code = models.CharField(max_length=2, db_index=True)

    class Meta:
        ordering = ["province_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "province_code"], name="incident_province_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.province_code}"


class IncidentCase(models.Model):
    """A case linked to an incident: who linked it and when, and who took it off and when.

    Unlinking keeps the row, so the incident keeps its own history; a case linked
    again gets a new row. The case's timeline records both steps too.
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="links")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)
    unlinked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unlinked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            # Linked once at a time: a second link of the same case waits for an unlink.
            models.UniqueConstraint(
                fields=["incident", "case"],
                condition=models.Q(unlinked_at__isnull=True),
                name="incident_case_linked_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.case_id}"


# --- Rollups of the contact records (reports/rollups.py) --------------------------------------
#
# Counts and codes only: no row names a contact, conversation or case, so the figures of past
# days stay whatever retention removes. Reports read them for the days and months they hold and
# count the contact records themselves for the others (docs/architecture.md, "Daily rollups").


class RollupGrain(models.TextChoices):
    DAY = "day", "day"
    MONTH = "month", "month"


class ContactCount(models.Model):
    """How many contacts one hotline recorded in one local day or month with one value of a code.

    dimension: "channel", "contact_type", "age_group" or "gender" (each contact
    counts once, under its value); "category" (once under each of its
    categories); "area" (once under each top-level area its categories fall in,
    "" for none). answered and in_danger count those of the contacts that were
    answered, and that were at imminent risk or raised the danger alarm. The
    day is the local day the contact ended; `start` is the day, or the first of
    the month.
    """

    grain = models.CharField(max_length=5, choices=RollupGrain.choices)
    start = models.DateField()
    hotline = models.ForeignKey(Hotline, on_delete=models.PROTECT, related_name="+")
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=60, blank=True)
    contacts = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    in_danger = models.PositiveIntegerField()

    class Meta:
        indexes = [
            # Every hotline's counts of a few codes over a run of days or months, from the
            # index alone on PostgreSQL.
            models.Index(
                fields=["grain", "dimension", "start"],
                include=["hotline", "value", "contacts", "answered", "in_danger"],
                name="contact_count_span",
            ),
            models.Index(
                fields=["hotline", "grain", "dimension", "start"],
                include=["value", "contacts", "answered", "in_danger"],
                name="contact_count_hotline_span",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.start} {self.hotline_id} {self.dimension}={self.value}"


class ContactWaitCount(models.Model):
    """How many answered contacts of one local month, every hotline together, waited (or were
    handled) this many seconds: the month's histogram, from which percentiles are exact."""

    month = models.DateField()
    measure = models.CharField(max_length=16)  # "waited_seconds" or "handled_seconds"
    seconds = models.PositiveIntegerField()
    contacts = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["measure", "month"],
                include=["seconds", "contacts"],
                name="contact_wait_count_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.measure}={self.seconds}"


class ContactRollupDay(models.Model):
    """A local day whose contacts were rolled up: its day rows are its figures, unless a
    ContactRollupChange of the same day says a contact of it changed since."""

    day = models.DateField(unique=True)
    rolled_up_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"rolled up {self.day}"


class ContactRollupMonth(models.Model):
    """A local month. rolled_up_at is set once every day of it is rolled up and its month rows
    were counted; they are its figures while none of its days has a ContactRollupChange.
    Every rollup of a day of the month locks this row first."""

    month = models.DateField(unique=True)
    rolled_up_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"month {self.month}"


class ContactRollupChange(models.Model):
    """A contact record of this local day was written, changed or removed.

    Written in the transaction of the change (reports/receivers.py), so a change and
    its mark commit together; rolling the day up again deletes the marks it found.
    Until then, reports count that day (and its month) from the contact records.
    """

    day = models.DateField(db_index=True)

    def __str__(self) -> str:
        return f"changed {self.day}"
