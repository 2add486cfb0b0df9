"""Partner agencies, the escalations sent to them, and what was disclosed.

An escalation is the only thing of a case an agency ever sees. Its liaisons
reach it through a per-object permission held by the agency's group (direct
foreign-key guardian tables below); the hotline reaches it through the case.
"""

import datetime

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from helpline.crypto import EncryptedTextField


class EscalationType(models.TextChoices):
    PRIVACY_VIOLATION = "privacy_violation", _("Xâm phạm quyền riêng tư")
    CHILD_ABUSE = "child_abuse", _("Xâm hại trẻ em")
    OCSEA = "ocsea", _("Xâm hại tình dục trẻ em trên mạng")
    SELF_HARM = "self_harm", _("Tự gây hại")
    SCAM = "scam", _("Lừa đảo")


class Urgency(models.TextChoices):
    IMMEDIATE = "immediate", _("Khẩn cấp, xử lý ngay")
    WITHIN_24H = "24h", _("Trong 24 giờ")
    WITHIN_72H = "72h", _("Trong 72 giờ")


class LegalBasis(models.TextChoices):
    """Why the hotline may share personal data with the agency."""

    EMERGENCY = (
        "emergency",
        _(
            "Tình huống khẩn cấp, cần xử lý ngay để bảo vệ tính mạng, sức khỏe, sự an toàn "
            "(Luật Bảo vệ dữ liệu cá nhân 2025)"
        ),
    )
    CONSENT = "consent", _("Có sự đồng ý của người liên hệ hoặc người đại diện hợp pháp")
    CHILD_PROTECTION = (
        "child_protection",
        _("Thông báo, tố giác hành vi xâm hại trẻ em (Luật Trẻ em 2016)"),
    )
    CRIME_REPORT = "crime_report", _("Tố giác, tin báo về tội phạm theo quy định của pháp luật")
    AUTHORITY_REQUEST = (
        "authority_request",
        _("Yêu cầu của cơ quan nhà nước có thẩm quyền theo quy định của pháp luật"),
    )


class SharedItem(models.TextChoices):
    """What of the case, besides the summary written for the agency, it may see."""

    CATEGORIES = "categories", _("Phân loại")
    RISK = "risk", _("Mức độ rủi ro")
    AGE_GROUP = "age_group", _("Nhóm tuổi")
    GENDER = "gender", _("Giới tính")
    PROVINCE = "province", _("Tỉnh/thành")
    TRANSCRIPT = "transcript", _("Nội dung trao đổi (toàn văn)")
    # Rows of harms/, disclosed through escalation/extensions.py.
    ONLINE_ITEMS = "online_items", _("Dấu vết trên mạng (đường dẫn, tài khoản)")
    EVIDENCE_FILES = "evidence_files", _("Tệp bằng chứng (ảnh chụp màn hình, PDF)")


# The shared items that are facts of the case, kept as codes in a disclosure's snapshot.
FACT_ITEMS = (
    SharedItem.CATEGORIES,
    SharedItem.RISK,
    SharedItem.AGE_GROUP,
    SharedItem.GENDER,
    SharedItem.PROVINCE,
)


# The shared items whose value maps ids to how far they were shared: the transcript
# (conversation id -> last seq), online items (item id -> version) and evidence files
# (file id -> 1). The agency sees the union of what its records shared, each id as far
# as the furthest record reached.
RANGE_ITEMS = (SharedItem.TRANSCRIPT, SharedItem.ONLINE_ITEMS, SharedItem.EVIDENCE_FILES)


def disclosure_adds(item: str, value, disclosed) -> bool:
    """Whether disclosing `value` of an item tells the agency more than `disclosed` did.

    A fact adds when it differs; a range item (the transcript, online items,
    evidence files) adds when it reaches further for some id.
    """
    if item not in RANGE_ITEMS:
        return disclosed is None or value != disclosed
    disclosed = disclosed or {}
    return any(seq > disclosed.get(conversation, 0) for conversation, seq in value.items())


# Which deadline an escalation is counted against now (Escalation.next_deadline_kind).
DEADLINE_LABELS = {"acknowledge": _("Hạn tiếp nhận"), "resolve": _("Hạn giải quyết")}


class YouthInformed(models.TextChoices):
    """Whether the young person was told before the escalation, as the notice promises."""

    INFORMED = "informed", _("Đã thông báo cho người liên hệ trước khi chuyển tuyến")
    NOT_REACHABLE = "not_reachable", _("Chưa thông báo: không liên lạc được")
    WOULD_ENDANGER = "would_endanger", _("Chưa thông báo: việc thông báo có thể gây nguy hiểm")


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
    # Default deadlines per urgency: how long the agency has to acknowledge, and to resolve.
    immediate_acknowledge_within = models.DurationField(
        _("hạn tiếp nhận (khẩn cấp)"), default=datetime.timedelta(hours=1)
    )
    immediate_resolve_within = models.DurationField(
        _("hạn giải quyết (khẩn cấp)"), default=datetime.timedelta(hours=24)
    )
    within_24h_acknowledge_within = models.DurationField(
        _("hạn tiếp nhận (24 giờ)"), default=datetime.timedelta(hours=24)
    )
    within_24h_resolve_within = models.DurationField(
        _("hạn giải quyết (24 giờ)"), default=datetime.timedelta(days=7)
    )
    within_72h_acknowledge_within = models.DurationField(
        _("hạn tiếp nhận (72 giờ)"), default=datetime.timedelta(hours=72)
    )
    within_72h_resolve_within = models.DurationField(
        _("hạn giải quyết (72 giờ)"), default=datetime.timedelta(days=30)
    )

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

    def accepts(self, escalation_type: str) -> bool:
        return escalation_type in self.accepted_types

    def deadlines(
        self, urgency: str, *, at: datetime.datetime
    ) -> tuple[datetime.datetime, datetime.datetime]:
        """Return (acknowledge by, resolve by) for an escalation of this urgency sent at `at`."""
        prefix = {
            Urgency.IMMEDIATE: "immediate",
            Urgency.WITHIN_24H: "within_24h",
            Urgency.WITHIN_72H: "within_72h",
        }[Urgency(urgency)]
        acknowledge = getattr(self, f"{prefix}_acknowledge_within")
        resolve = getattr(self, f"{prefix}_resolve_within")
        return at + acknowledge, at + max(resolve, acknowledge)

    def clean(self) -> None:
        super().clean()
        unknown = set(self.accepted_types or []) - set(EscalationType.values)
        if unknown:
            raise ValidationError(
                {
                    "accepted_types": _("Loại chuyển tuyến không hợp lệ: %(codes)s")
                    % {"codes": ", ".join(sorted(unknown))}
                }
            )
        if self.scope == self.Scope.PROVINCIAL and not self.province_codes:
            raise ValidationError(
                {"province_codes": _("Cơ quan cấp tỉnh cần ít nhất một tỉnh/thành.")}
            )
        if self.scope == self.Scope.NATIONAL and self.province_codes:
            raise ValidationError(
                {"province_codes": _("Cơ quan toàn quốc không cần chọn tỉnh/thành.")}
            )


class EscalationState(models.TextChoices):
    SENT = "sent", _("Đã gửi")
    ACKNOWLEDGED = "acknowledged", _("Đã tiếp nhận")
    IN_PROGRESS = "in_progress", _("Đang xử lý")
    RESOLVED = "resolved", _("Đã giải quyết")
    RETURNED = "returned", _("Cần bổ sung thông tin")
    DECLINED = "declined", _("Bị từ chối")
    WITHDRAWN = "withdrawn", _("Đã rút lại")


# States in which the agency is still expected to act; one such escalation per
# case and agency at a time.
OPEN_STATES = (
    EscalationState.SENT,
    EscalationState.ACKNOWLEDGED,
    EscalationState.IN_PROGRESS,
    EscalationState.RETURNED,
)
# States in which messages between the hotline and the agency may still be exchanged.
TALKING_STATES = (*OPEN_STATES, EscalationState.RESOLVED, EscalationState.DECLINED)
# States in which nothing more is expected of the agency: the queue's "closed / withdrawn" tab.
FINISHED_STATES = (EscalationState.RESOLVED, EscalationState.DECLINED, EscalationState.WITHDRAWN)


class RevokeReason(models.TextChoices):
    """Why the agency's grant on an escalation was taken away."""

    WITHDRAWN = "withdrawn", _("Tổng đài đã rút lại yêu cầu")
    CASE_CLOSED = "case_closed", _("Hồ sơ đã đóng")


class EndReason(models.TextChoices):
    """Why an escalation left the agency's open queue, as its "closed / withdrawn" tab says it."""

    RESOLVED = "resolved", _("Cơ quan đã giải quyết")
    DECLINED = "declined", _("Cơ quan đã từ chối")
    WITHDRAWN = "withdrawn", _("Tổng đài đã rút lại yêu cầu")
    CASE_CLOSED = "case_closed", _("Hồ sơ đã đóng")


def end_reason_of(state: str, revoke_reason: str) -> str | None:
    """The EndReason of an escalation in `state` whose grant was revoked for `revoke_reason`.

    A withdrawal is the hotline's unless it came with the case's closing. None
    while the escalation is open.
    """
    if state == EscalationState.RESOLVED:
        return EndReason.RESOLVED
    if state == EscalationState.DECLINED:
        return EndReason.DECLINED
    if state == EscalationState.WITHDRAWN:
        if revoke_reason == RevokeReason.CASE_CLOSED:
            return EndReason.CASE_CLOSED
        return EndReason.WITHDRAWN
    return None


def is_agency_liaison(escalation: "Escalation", user) -> bool:
    return bool(getattr(user, "is_liaison", False) and user.agency_id == escalation.agency_id)


def is_hotline_staff(escalation: "Escalation", user) -> bool:
    return bool(getattr(user, "is_hotline_staff", False))


# The deadline that matters now, as a query expression: acknowledge by while sent, resolve by
# while acknowledged or in progress, none while the escalation waits on the hotline
# (returned). The liaison queue is ordered by it, and an index holds it in that order.
NEXT_DEADLINE = models.Case(
    models.When(state=EscalationState.SENT, then=models.F("acknowledge_by")),
    models.When(
        state__in=[EscalationState.ACKNOWLEDGED, EscalationState.IN_PROGRESS],
        then=models.F("resolve_by"),
    ),
    default=None,
    output_field=models.DateTimeField(),
)


class Escalation(ConcurrentTransitionMixin, models.Model):
    """A case, or the part of it the operator chose to share, sent to one agency."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="escalations"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="escalations"
    )
    type = models.CharField(_("loại"), max_length=30, choices=EscalationType.choices)
    urgency = models.CharField(_("mức khẩn cấp"), max_length=10, choices=Urgency.choices)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=30, choices=LegalBasis.choices)
    summary = EncryptedTextField(_("nội dung gửi cơ quan"), max_length=4000)
    shared_items = models.JSONField(_("thông tin chia sẻ thêm"), default=list, blank=True)
    youth_informed = models.CharField(
        _("người liên hệ được thông báo"), max_length=20, choices=YouthInformed.choices
    )
    state = FSMField(
        _("trạng thái"),
        default=EscalationState.SENT,
        choices=EscalationState.choices,
        protected=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày tạo"), default=timezone.now)
    # The last time it was (re)sent; deadlines run from here.
    sent_at = models.DateTimeField(_("gửi lúc"), default=timezone.now)
    acknowledge_by = models.DateTimeField(_("hạn tiếp nhận"))
    resolve_by = models.DateTimeField(_("hạn giải quyết"))
    acknowledged_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    outcome = EncryptedTextField(_("kết quả"), max_length=4000, blank=True)
    decline_reason = EncryptedTextField(_("lý do từ chối"), max_length=4000, blank=True)
    # Set when the agency's group no longer holds its permissions, with the reason.
    access_revoked_at = models.DateTimeField(null=True, blank=True)
    access_revoked_reason = models.CharField(
        max_length=20, choices=RevokeReason.choices, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("yêu cầu chuyển tuyến")
        verbose_name_plural = _("yêu cầu chuyển tuyến")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "agency"],
                condition=models.Q(state__in=[s.value for s in OPEN_STATES]),
                name="escalation_one_open_per_case_and_agency",
            )
        ]
        indexes = [
            models.Index(fields=["agency", "state"]),
            models.Index(fields=["state", "acknowledge_by"]),
            # An agency's open escalations in the liaison queue's order, so that a page of
            # it reads its rows from here, however long the queue, with nothing to sort.
            # Ascending puts nulls last on PostgreSQL, as the queue does; SQLite refuses
            # NULLS LAST in an index, and the embedded default needs no such index.
            models.Index(
                "agency",
                NEXT_DEADLINE.asc(),
                models.F("sent_at").desc(),
                models.F("id").desc(),
                condition=models.Q(state__in=[s.value for s in OPEN_STATES]),
                name="escalation_queue_order",
            ),
        ]

    def __str__(self) -> str:
        return f"escalation {self.pk}"

    @property
    def next_deadline_kind(self) -> str | None:
        """Which deadline matters now: "acknowledge" while sent, then "resolve", else None."""
        if self.state == EscalationState.SENT:
            return "acknowledge"
        if self.state in (EscalationState.ACKNOWLEDGED, EscalationState.IN_PROGRESS):
            return "resolve"
        return None

    @property
    def next_deadline(self) -> datetime.datetime | None:
        """The deadline that matters now: acknowledgement while sent, then resolution."""
        kind = self.next_deadline_kind
        if kind == "acknowledge":
            return self.acknowledge_by
        if kind == "resolve":
            return self.resolve_by
        return None

    @property
    def end_reason(self) -> str | None:
        """Why it is finished (an EndReason), or None while the agency is still expected to act."""
        return end_reason_of(self.state, self.access_revoked_reason)

    def acknowledgement_overdue(self, *, now: datetime.datetime) -> bool:
        return self.state == EscalationState.SENT and now > self.acknowledge_by

    def resolution_overdue(self, *, now: datetime.datetime) -> bool:
        return (
            self.state
            in (
                EscalationState.SENT,
                EscalationState.ACKNOWLEDGED,
                EscalationState.IN_PROGRESS,
            )
            and now > self.resolve_by
        )

    def is_overdue(self, *, now: datetime.datetime) -> bool:
        """Computed from the deadlines and the clock given; never stored."""
        return self.acknowledgement_overdue(now=now) or self.resolution_overdue(now=now)

    # The agency's side.

    @transition(
        field=state,
        source=EscalationState.SENT,
        target=EscalationState.ACKNOWLEDGED,
        permission=is_agency_liaison,
    )
    def acknowledge(self, *, at: datetime.datetime) -> None:
        self.acknowledged_at = at

    @transition(
        field=state,
        source=[EscalationState.ACKNOWLEDGED, EscalationState.IN_PROGRESS],
        target=EscalationState.IN_PROGRESS,
        permission=is_agency_liaison,
    )
    def progress(self) -> None:
        """Report progress; the first update moves an acknowledged escalation into work."""

    @transition(
        field=state,
        source=[EscalationState.ACKNOWLEDGED, EscalationState.IN_PROGRESS],
        target=EscalationState.RESOLVED,
        permission=is_agency_liaison,
    )
    def resolve(self, *, outcome: str, at: datetime.datetime) -> None:
        self.outcome = outcome
        self.finished_at = at

    @transition(
        field=state,
        source=[EscalationState.SENT, EscalationState.ACKNOWLEDGED, EscalationState.IN_PROGRESS],
        target=EscalationState.RETURNED,
        permission=is_agency_liaison,
    )
    def return_to_hotline(self) -> None:
        """Ask the hotline for more information; the reason is an EscalationMessage."""

    @transition(
        field=state,
        source=[EscalationState.SENT, EscalationState.ACKNOWLEDGED, EscalationState.IN_PROGRESS],
        target=EscalationState.DECLINED,
        permission=is_agency_liaison,
    )
    def decline(self, *, reason: str, at: datetime.datetime) -> None:
        self.decline_reason = reason
        self.finished_at = at

    # The hotline's side.

    @transition(
        field=state,
        source=EscalationState.RETURNED,
        target=EscalationState.SENT,
        permission=is_hotline_staff,
    )
    def resubmit(
        self,
        *,
        at: datetime.datetime,
        acknowledge_by: datetime.datetime,
        resolve_by: datetime.datetime,
    ) -> None:
        self.sent_at = at
        self.acknowledge_by = acknowledge_by
        self.resolve_by = resolve_by
        self.acknowledged_at = None

    @transition(
        field=state,
        source=list(OPEN_STATES),
        target=EscalationState.WITHDRAWN,
        permission=is_hotline_staff,
    )
    def withdraw(self, *, at: datetime.datetime) -> None:
        self.finished_at = at


# The transitions, by the name used in forms, frames and the audit trail, with
# the side that may take them and the label of the button.
AGENCY_TRANSITIONS = {
    "acknowledge": _("Tiếp nhận"),
    "progress": _("Cập nhật tiến độ"),
    "resolve": _("Báo kết quả, hoàn tất"),
    "return": _("Yêu cầu bổ sung thông tin"),
    "decline": _("Từ chối"),
}
HOTLINE_TRANSITIONS = {
    "resubmit": _("Bổ sung và gửi lại"),
    "withdraw": _("Rút lại yêu cầu"),
}
TRANSITION_METHODS = {"return": "return_to_hotline"}
# How each step reads on the case page: as something that happened, where the
# buttons above read as something to do (Vietnamese often says both alike).
STEP_LABELS = {
    "send": pgettext_lazy("escalation step", "Gửi yêu cầu"),
    "acknowledge": pgettext_lazy("escalation step", "Tiếp nhận"),
    "progress": pgettext_lazy("escalation step", "Cập nhật tiến độ"),
    "resolve": pgettext_lazy("escalation step", "Báo kết quả, hoàn tất"),
    "return": pgettext_lazy("escalation step", "Yêu cầu bổ sung thông tin"),
    "decline": pgettext_lazy("escalation step", "Từ chối"),
    "resubmit": pgettext_lazy("escalation step", "Bổ sung và gửi lại"),
    "withdraw": pgettext_lazy("escalation step", "Rút lại yêu cầu"),
    "disclose": pgettext_lazy("escalation step", "Chia sẻ thêm thông tin"),
    "revoke": _("Thu hồi quyền truy cập khi đóng hồ sơ"),
    "message": _("Tin nhắn"),
    "ack_overdue": _("Nhắc quá hạn tiếp nhận"),
}
# Transitions that need a text: the reason, the outcome, the update or the answer.
TEXT_REQUIRED = {"progress", "resolve", "return", "decline", "resubmit", "withdraw"}


class EscalationMessage(models.Model):
    """A message between the agency's liaisons and the hotline about one escalation.

    Reasons for returning or declining, progress updates, outcomes and the
    hotline's answers are messages too, so the exchange reads as one thread.
    """

    class Side(models.TextChoices):
        AGENCY = "agency", _("Cơ quan")
        HOTLINE = "hotline", _("Tổng đài")

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="messages")
    side = models.CharField(max_length=10, choices=Side.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The transition this message went with, or "" for a plain message.
    transition = models.CharField(max_length=20, blank=True)
    body = EncryptedTextField(_("nội dung"), max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} on escalation {self.escalation_id}"

    @property
    def transition_label(self) -> str:
        label = AGENCY_TRANSITIONS.get(self.transition) or HOTLINE_TRANSITIONS.get(self.transition)
        return str(label) if label else ""


class AppendOnlyDisclosureQuerySet(models.QuerySet):
    """Bulk changes are refused too, so that no code path can rewrite what was disclosed."""

    def update(self, **kwargs):
        raise ValidationError(_("Bản ghi chia sẻ thông tin không thể sửa."))

    def delete(self):
        raise ValidationError(_("Bản ghi chia sẻ thông tin không thể xoá."))


class DisclosureRecord(models.Model):
    """What was disclosed to whom, on what basis, by whom and when. Never edited.

    The agency sees exactly what its records disclosed: each fact as it was
    when it was shared, and of the transcript only the messages up to the seq
    recorded for each conversation. Anything more needs a new record.
    """

    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    # The recipient's name as it was at the time, in case the agency is renamed.
    recipient_name = models.CharField(max_length=200)
    # Codes: "summary", "message" and the SharedItem values.
    items = models.JSONField(default=list)
    # The values shared, as codes, keyed by the shared items of this record:
    # {"categories": ["online.privacy"], "risk": "high", "age_group": "15-17",
    #  "gender": "female", "province": "01", "transcript": {"<conversation id>": 12}}.
    # Pages render them in the reader's language at read time.
    snapshot = models.JSONField(default=dict, blank=True)
    legal_basis = models.CharField(max_length=30, choices=LegalBasis.choices)
    youth_informed = models.CharField(max_length=20, choices=YouthInformed.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyDisclosureQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("bản ghi chia sẻ thông tin")
        verbose_name_plural = _("bản ghi chia sẻ thông tin")

    def __str__(self) -> str:
        return f"disclosure {self.pk} of escalation {self.escalation_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("Bản ghi chia sẻ thông tin không thể sửa."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Bản ghi chia sẻ thông tin không thể xoá."))


class EscalationNotice(models.Model):
    """A notification the worker has sent, so it is never sent twice.

    One row per escalation, kind and the deadline or send time it was about: a
    resubmitted escalation has new deadlines, so it may be notified again.
    """

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT_OVERDUE = "ack_overdue", _("Quá hạn tiếp nhận")
        AGENCY_IMMEDIATE = "agency_immediate", _("Báo cơ quan về yêu cầu khẩn cấp")

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    about = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "kind", "about"], name="escalation_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for escalation {self.escalation_id}"


class EscalationLastOpened(models.Model):
    """When a liaison last read an escalation: its page, or a live refresh of that page.

    The queue marks an escalation as new to a liaison when something happened on
    it after this moment. One row per liaison and escalation, moved forward on
    every read, in the transaction that audits the read.
    """

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="+")
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["liaison", "escalation"], name="escalation_last_opened_once"
            )
        ]

    def __str__(self) -> str:
        return f"escalation {self.escalation_id} last opened by {self.liaison_id}"


class EscalationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Escalation, on_delete=models.CASCADE)


class EscalationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Escalation, on_delete=models.CASCADE)
