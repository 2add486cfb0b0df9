"""Cases, their categories, notes and the timeline of events."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from helpline.crypto import EncryptedTextField
from helpline.models import AgeGroup, Hotline, Risk


class Category(models.Model):
    """A node of the category tree, aligned with Child Helpline International."""

    code = models.CharField(_("mã"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name_vi = models.CharField(_("tên tiếng Việt"), max_length=200)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=200)
    escalation_hint = models.CharField(_("gợi ý chuyển tuyến"), max_length=40, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("phân loại")
        verbose_name_plural = _("phân loại")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class CaseState(models.TextChoices):
    NEW = "new", _("Mới")
    OPEN = "open", _("Đang xử lý")
    RESOLVED = "resolved", _("Đã giải quyết")
    CLOSED = "closed", _("Đã đóng")


class Gender(models.TextChoices):
    FEMALE = "female", _("Nữ")
    MALE = "male", _("Nam")
    OTHER = "other", _("Khác")
    UNKNOWN = "unknown", _("Không rõ")


HIGH_RISKS = (Risk.HIGH, Risk.IMMINENT)
# The risk levels from the lowest to the highest.
RISK_SCALE = (Risk.LOW, Risk.MEDIUM, Risk.HIGH, Risk.IMMINENT)


def risk_is_lower(new: str, old: str) -> bool:
    return RISK_SCALE.index(new) < RISK_SCALE.index(old)


def risk_highest(*risks: str) -> str:
    return max(risks, key=RISK_SCALE.index)


def can_handle_case(case: "Case", user) -> bool:
    """Operators and supervisors may move a case they can see."""
    return user.is_hotline_staff


def can_close_case(case: "Case", user) -> bool:
    """Closing a case that is, or ever was, high or imminent risk needs a supervisor's judgement."""
    if case.close_needs_supervisor:
        return user.is_supervisor
    return user.is_hotline_staff


def can_set_risk(case: "Case", user, risk: str) -> bool:
    """Lowering a high or imminent risk needs a supervisor, like closing such a case."""
    if case.risk in HIGH_RISKS and risk_is_lower(risk, case.risk):
        return user.is_supervisor
    return user.is_hotline_staff


class Case(ConcurrentTransitionMixin, models.Model):
    reference = models.CharField(_("mã hồ sơ"), max_length=24, unique=True, editable=False)
    hotline = models.ForeignKey(
        Hotline, verbose_name=_("tổng đài"), on_delete=models.PROTECT, related_name="cases"
    )
    state = FSMField(
        _("trạng thái"), default=CaseState.NEW, choices=CaseState.choices, protected=True
    )
    categories = models.ManyToManyField(
        Category, verbose_name=_("phân loại"), blank=True, related_name="cases"
    )
    risk = models.CharField(
        _("mức độ rủi ro"), max_length=10, choices=Risk.choices, default=Risk.LOW
    )
    # The highest risk the case ever had, kept by the services. Closing looks at
    # it, so lowering the risk first is no way around the supervisor's close.
    highest_risk = models.CharField(
        _("mức độ rủi ro cao nhất"), max_length=10, choices=Risk.choices, default=Risk.LOW
    )
    age_group = models.CharField(
        _("nhóm tuổi"), max_length=10, choices=AgeGroup.choices, blank=True
    )
    gender = models.CharField(
        _("giới tính"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    province_code = models.CharField(_("tỉnh/thành"), max_length=2, blank=True)
    summary = EncryptedTextField(_("tóm tắt"), max_length=4000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Indexed by Meta.indexes (case_opened), which also serves the central case list.
    created_at = models.DateTimeField(_("ngày tạo"), default=timezone.now)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when retention erased what the case held (its conversations, summary, notes and
    # escalation messages) after its period; the row stays with its codes, for reports.
    content_erased_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every save through the services, so that an edit made from a
    # stale form is refused instead of silently overwriting someone else's.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        indexes = [
            models.Index(fields=["hotline", "state", "risk"]),
            # The case list of a hotline, newest first and paged by (created_at, id).
            models.Index(fields=["hotline", "created_at", "id"], name="case_hotline_newest"),
            # The same list filtered by state: most of a province's cases are closed, but
            # its newest mostly are not, so without it a list of closed cases walks the
            # newest cases of the whole country to find a page (docs/performance.md).
            models.Index(
                fields=["hotline", "state", "created_at", "id"], name="case_hotline_state_newest"
            ),
            # Reports count cases opened and closed in a period by their highest risk, in
            # a scope: these indexes hold every column they read, so the table is not read.
            models.Index(
                fields=["created_at"], include=["highest_risk", "hotline"], name="case_opened"
            ),
            models.Index(
                fields=["closed_at"],
                include=["state", "highest_risk", "hotline"],
                condition=models.Q(closed_at__isnull=False),
                name="case_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def close_needs_supervisor(self) -> bool:
        return self.risk in HIGH_RISKS or self.highest_risk in HIGH_RISKS

    @transition(
        field=state, source=CaseState.NEW, target=CaseState.OPEN, permission=can_handle_case
    )
    def open(self) -> None:
        pass

    @transition(
        field=state, source=CaseState.OPEN, target=CaseState.RESOLVED, permission=can_handle_case
    )
    def resolve(self, *, at: datetime.datetime) -> None:
        self.resolved_at = at

    @transition(
        field=state, source=CaseState.RESOLVED, target=CaseState.CLOSED, permission=can_close_case
    )
    def close(self, *, at: datetime.datetime) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=[CaseState.RESOLVED, CaseState.CLOSED],
        target=CaseState.OPEN,
        permission=can_handle_case,
    )
    def reopen(self) -> None:
        self.resolved_at = None
        self.closed_at = None


# The transitions a person can take from a case page, in the order the buttons appear.
CASE_TRANSITIONS = {
    "open": _("Bắt đầu xử lý"),
    "resolve": _("Đánh dấu đã giải quyết"),
    "close": _("Đóng hồ sơ"),
    "reopen": _("Mở lại"),
}


class CaseReferenceCounter(models.Model):
    """The last number handed out per hotline and year; it only ever grows."""

    hotline = models.ForeignKey(Hotline, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hotline", "year"], name="case_reference_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.hotline_id}/{self.year}: {self.last_number}"


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk changes are refused too, so that no code path can rewrite a note."""

    def update(self, **kwargs):
        raise ValidationError(_("Ghi chú không thể sửa sau khi đã lưu."))

    def delete(self):
        raise ValidationError(_("Ghi chú không thể xoá."))


class CaseNote(models.Model):
    """A note on a case. Notes are append-only: they are never edited or deleted."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = EncryptedTextField(_("nội dung"), max_length=8000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.case_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None or not self._state.adding:
            raise ValidationError(_("Ghi chú không thể sửa sau khi đã lưu."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Ghi chú không thể xoá."))


class CaseEvent(models.Model):
    """One line of a case's timeline and audit trail: who did what, when.

    It never holds content: only the action, the states and the names of the
    fields that changed.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("Tạo hồ sơ")
        VIEWED = "viewed", _("Xem hồ sơ")
        UPDATED = "updated", _("Cập nhật hồ sơ")
        TRANSITIONED = "transitioned", _("Chuyển trạng thái")
        NOTE_ADDED = "note_added", _("Thêm ghi chú")
        CONVERSATION_LINKED = "conversation_linked", _("Gắn cuộc trao đổi")
        CONVERSATION_UNLINKED = "conversation_unlinked", _("Chuyển cuộc trao đổi sang hồ sơ khác")
        TRANSCRIPT_VIEWED = "transcript_viewed", _("Xem nội dung trao đổi")
        ESCALATION = "escalation", _("Chuyển tuyến")
        ESCALATION_VIEWED = "escalation_viewed", _("Xem yêu cầu chuyển tuyến")
        PHONE_REVEALED = "phone_revealed", _("Xem số điện thoại")
        # A supervisor tied the case to an incident (reports.Incident), or took it off one.
        INCIDENT_LINKED = "incident_linked", _("Gắn vào sự việc")
        INCIDENT_UNLINKED = "incident_unlinked", _("Gỡ khỏi sự việc")
        ONLINE_ITEM = "online_item", _("Dấu vết trên mạng")
        EVIDENCE = "evidence", _("Tệp bằng chứng")
        EVIDENCE_SHOWN = "evidence_shown", _("Xem tệp bằng chứng")
        TAKEDOWN = "takedown", _("Yêu cầu gỡ bỏ nội dung")
        LEGAL_HOLD_PLACED = "legal_hold_placed", _("Đặt lệnh giữ dữ liệu")
        LEGAL_HOLD_LIFTED = "legal_hold_lifted", _("Gỡ lệnh giữ dữ liệu")
        BREAK_GLASS_OPENED = "break_glass_opened", _("Mở quyền xem khẩn cấp")
        DELETION_REQUESTED = "deletion_requested", _("Người liên hệ yêu cầu xoá cuộc trao đổi")
        CONTENT_ERASED = "content_erased", _("Xoá nội dung")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    # Field names, transition names or ids: never free text typed by anyone.
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"

    @property
    def from_state_label(self) -> str:
        return CaseState(self.from_state).label if self.from_state in CaseState.values else ""

    @property
    def to_state_label(self) -> str:
        return CaseState(self.to_state).label if self.to_state in CaseState.values else ""

    @property
    def risk_change(self) -> tuple[str, str] | None:
        """The risk levels before and after an update, as labels, if the update changed risk."""
        change = self.detail.get("risk") if isinstance(self.detail, dict) else None
        if not isinstance(change, dict):
            return None
        levels = [change.get("from"), change.get("to")]
        if not all(level in Risk.values for level in levels):
            return None
        return Risk(levels[0]).label, Risk(levels[1]).label


class BreakGlassReason(models.TextChoices):
    """Why a supervisor must read a case outside their own hotline."""

    STAFF_UNREACHABLE = "staff_unreachable", _("Không liên lạc được cán bộ của tổng đài phụ trách")
    IMMINENT_DANGER = "imminent_danger", _("Trẻ đang gặp nguy hiểm tức thời")
    AUTHORITY_REQUEST = "authority_request", _("Cơ quan có thẩm quyền yêu cầu khẩn")
    OTHER = "other", _("Lý do khác (ghi rõ)")


class BreakGlassGrant(models.Model):
    """A supervisor's time-limited right to read one case outside their scope ("break-glass").

    The case door (cases.selectors) reads these rows, so the model lives beside
    Case; the only writer is inspection.services.break_glass_open, which alerts
    the inspectors and the case's own supervisors. A grant opens the case to
    read, never to change, and ends by itself at expires_at. Rows are never
    edited: they are the record the inspectors read.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("lý do"), max_length=30, choices=BreakGlassReason.choices)
    # The supervisor's own words for the inspectors: why, never the child's details.
    note = models.CharField(_("giải thích"), max_length=300, blank=True)
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["user", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                name="break_glass_expires_after_opening",
                condition=models.Q(expires_at__gt=models.F("opened_at")),
            )
        ]

    def __str__(self) -> str:
        return f"break-glass {self.pk} on case {self.case_id}"

    def is_active(self, *, now: datetime.datetime) -> bool:
        return self.opened_at <= now < self.expires_at
