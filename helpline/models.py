"""Hotlines, staff, conversations and their messages."""

import datetime
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from helpline.crypto import EncryptedTextField


class Hotline(models.Model):
    """The central hotline (24/7) or one of the 34 provincial hotlines."""

    code = models.CharField(_("mã"), max_length=4, unique=True)
    name_vi = models.CharField(_("tên tiếng Việt"), max_length=120)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=120)
    is_central = models.BooleanField(_("tổng đài trung ương"), default=False)
    ref_prefix = models.CharField(_("tiền tố mã hồ sơ"), max_length=4, unique=True)
    always_open = models.BooleanField(_("mở 24/7"), default=False)
    opens_at = models.TimeField(_("giờ mở cửa"), default=datetime.time(7, 30))
    closes_at = models.TimeField(_("giờ đóng cửa"), default=datetime.time(21, 30))
    # Set by the hotline's supervisors: how long an operator may leave a finished
    # conversation without its wrap-up before taking the next one.
    wrap_up_grace_seconds = models.PositiveIntegerField(
        _("thời gian cho phép chưa ghi kết quả (giây)"), default=120
    )
    voice_number = models.CharField(
        _("số điện thoại tổng đài"), max_length=20, blank=True, db_index=True
    )

    class Meta:
        ordering = ["-is_central", "code"]
        verbose_name = _("tổng đài")
        verbose_name_plural = _("tổng đài")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi

    def is_open(self, at: datetime.datetime | None = None) -> bool:
        """Tell whether the hotline answers at this moment, in local time."""
        if self.always_open:
            return True
        local = timezone.localtime(at or timezone.now()).time()
        if self.opens_at <= self.closes_at:
            return self.opens_at <= local < self.closes_at
        # Overnight hours, such as 18:00 to 06:00.
        return local >= self.opens_at or local < self.closes_at


class Role(models.TextChoices):
    OPERATOR = "operator", _("Tư vấn viên")
    SUPERVISOR = "supervisor", _("Giám sát viên")
    LIAISON = "liaison", _("Cán bộ liên lạc cơ quan")
    ADMINISTRATOR = "administrator", _("Quản trị viên")
    # A member of the union's inspection committee (Ban kiểm tra): reads the audit trail of
    # every hotline, never case content.
    INSPECTOR = "inspector", _("Cán bộ kiểm tra")


class User(AbstractUser):
    """A member of staff, with one role and one scope.

    Operators and supervisors belong to one hotline, liaisons to one agency.
    Administrators manage configuration and see no case content; inspectors read
    the audit trail of every hotline and see no case content either.
    """

    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices, blank=True)
    hotline = models.ForeignKey(
        Hotline,
        verbose_name=_("tổng đài"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    agency = models.ForeignKey(
        "escalation.Agency",
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liaisons",
    )

    class Meta:
        verbose_name = _("nhân sự")
        verbose_name_plural = _("nhân sự")
        constraints = [
            models.CheckConstraint(
                name="staff_scope_matches_role",
                condition=(
                    models.Q(
                        role__in=["operator", "supervisor"],
                        hotline__isnull=False,
                        agency__isnull=True,
                    )
                    | models.Q(role="liaison", agency__isnull=False, hotline__isnull=True)
                    | models.Q(
                        role__in=["administrator", "inspector", ""],
                        agency__isnull=True,
                        hotline__isnull=True,
                    )
                ),
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.role in (Role.OPERATOR, Role.SUPERVISOR):
            if self.hotline_id is None or self.agency_id is not None:
                raise ValidationError(_("Tư vấn viên và giám sát viên cần đúng một tổng đài."))
        elif self.role == Role.LIAISON:
            if self.agency_id is None or self.hotline_id is not None:
                raise ValidationError(_("Cán bộ liên lạc cần đúng một cơ quan."))
        elif self.role == Role.INSPECTOR:
            if self.hotline_id is not None or self.agency_id is not None:
                raise ValidationError(_("Cán bộ kiểm tra không thuộc tổng đài hay cơ quan nào."))
        elif self.hotline_id is not None or self.agency_id is not None:
            raise ValidationError(_("Quản trị viên không thuộc tổng đài hay cơ quan nào."))

    @property
    def is_operator(self) -> bool:
        return self.is_active and self.role == Role.OPERATOR

    @property
    def is_supervisor(self) -> bool:
        return self.is_active and self.role == Role.SUPERVISOR

    @property
    def is_central_supervisor(self) -> bool:
        return self.is_supervisor and self.hotline is not None and self.hotline.is_central

    @property
    def is_liaison(self) -> bool:
        return self.is_active and self.role == Role.LIAISON

    @property
    def is_inspector(self) -> bool:
        return self.is_active and self.role == Role.INSPECTOR

    @property
    def is_hotline_staff(self) -> bool:
        """Operators and supervisors: the people who handle conversations and cases."""
        return self.is_operator or self.is_supervisor


class Channel(models.TextChoices):
    WEBCHAT = "webchat", _("Trò chuyện trên web")
    VOICE = "voice", _("Cuộc gọi")
    SMS = "sms", _("Tin nhắn SMS")
    # A Zalo Official Account and a Facebook Page, through connectors/.
    ZALO = "zalo", _("Zalo")
    MESSENGER = "messenger", _("Facebook Messenger")


class Risk(models.TextChoices):
    LOW = "low", _("Thấp")
    MEDIUM = "medium", _("Trung bình")
    HIGH = "high", _("Cao")
    IMMINENT = "imminent", _("Nguy hiểm tức thời")


RISK_ORDER = {Risk.IMMINENT: 0, Risk.HIGH: 1, Risk.MEDIUM: 2, Risk.LOW: 3, "": 4}


class AgeGroup(models.TextChoices):
    UNDER_12 = "under-12", _("Dưới 12")
    AGE_12_14 = "12-14", _("12-14")
    AGE_15_17 = "15-17", _("15-17")
    AGE_18_24 = "18-24", _("18-24")
    AGE_25_30 = "25-30", _("25-30")
    OVER_30 = "over-30", _("Trên 30")


class ConversationState(models.TextChoices):
    QUEUED = "queued", _("Đang chờ")
    ACTIVE = "active", _("Đang trao đổi")
    ENDED = "ended", _("Đã kết thúc")
    ABANDONED = "abandoned", _("Bỏ dở")
    TRANSFERRED = "transferred", _("Đã chuyển")


class Conversation(ConcurrentTransitionMixin, models.Model):
    """One contact through one channel: a web chat, a call, an SMS, Zalo or Messenger thread."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    hotline = models.ForeignKey(
        Hotline, verbose_name=_("tổng đài"), on_delete=models.PROTECT, related_name="conversations"
    )
    state = FSMField(
        _("trạng thái"),
        default=ConversationState.QUEUED,
        choices=ConversationState.choices,
        protected=True,
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tư vấn viên"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("hồ sơ"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
    )
    risk = models.CharField(_("mức độ rủi ro"), max_length=10, choices=Risk.choices, blank=True)
    province_code = models.CharField(_("tỉnh/thành"), max_length=2, blank=True)
    language = models.CharField(_("ngôn ngữ"), max_length=5, default="vi")
    age_group = models.CharField(
        _("nhóm tuổi"), max_length=10, choices=AgeGroup.choices, blank=True
    )
    # The youth's secret is kept only as a SHA-256 hash.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    ended_reason = models.CharField(max_length=20, blank=True)
    # When the young person's socket last showed life: a queued web chat whose
    # socket is gone for a while is abandoned by a timer, never by a disconnect,
    # so that a reload keeps the place in the queue.
    youth_seen_at = models.DateTimeField(null=True, blank=True)
    # Keyed hash of the client address, only while the chat is open: it caps
    # concurrent chats per address without keeping the address itself.
    youth_ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # From this moment a provincial conversation also shows in the central queue:
    # queued_at + CENTRAL_OVERFLOW_SECONDS, or queued_at itself when the province
    # was closed on arrival.
    overflow_at = models.DateTimeField(null=True, blank=True)
    transferred_from = models.ForeignKey(
        Hotline, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfer_count = models.PositiveSmallIntegerField(default=0)
    # For the operator who receives a transfer: what the one who sent it wants them to know
    # first. Staff only; never sent to the young person.
    handover_note = EncryptedTextField(_("ghi chú bàn giao"), max_length=1000, blank=True)
    # When the young person pressed "I'm in danger now": the conversation went to the top
    # of the queue and to central at once.
    danger_at = models.DateTimeField(null=True, blank=True)
    # A message left while nobody could answer: it waits in the queue without the young
    # person's socket, and they come back with their passphrase to read the answer.
    left_message = models.BooleanField(default=False)
    youth_identity = models.ForeignKey(
        "helpline.YouthIdentity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
    )
    # Only that a survey was answered: the answers themselves are kept apart, unlinked.
    survey_answered = models.BooleanField(default=False)
    # When its messages were deleted while the row stays: at the young person's request
    # (retention.services). Nothing is written into it afterwards.
    content_erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("bắt đầu chờ"), default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(_("vào hàng chờ"), default=timezone.now)
    answered_at = models.DateTimeField(_("được nhận"), null=True, blank=True)
    ended_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("cuộc trao đổi")
        verbose_name_plural = _("cuộc trao đổi")
        indexes = [models.Index(fields=["state", "hotline", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {str(self.id)[:8]}"

    @property
    def waited(self) -> datetime.timedelta | None:
        if self.answered_at is None:
            return None
        return self.answered_at - self.created_at

    @property
    def handled(self) -> datetime.timedelta | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.answered_at

    @transition(field=state, source=ConversationState.QUEUED, target=ConversationState.ACTIVE)
    def accept(self, *, operator, at: datetime.datetime) -> None:
        self.operator = operator
        self.answered_at = at

    @transition(field=state, source=ConversationState.QUEUED, target=ConversationState.ABANDONED)
    def abandon(self, *, at: datetime.datetime, reason: str = "") -> None:
        self.ended_at = at
        self.ended_reason = reason

    @transition(field=state, source=ConversationState.ACTIVE, target=ConversationState.ENDED)
    def end(self, *, at: datetime.datetime, reason: str = "") -> None:
        self.ended_at = at
        self.ended_reason = reason

    @transition(
        field=state,
        source=[ConversationState.QUEUED, ConversationState.ACTIVE],
        target=ConversationState.QUEUED,
    )
    def transfer(self, *, hotline: Hotline, at: datetime.datetime, overflow_at) -> None:
        self.transferred_from = self.hotline
        self.transfer_count += 1
        self.hotline = hotline
        self.operator = None
        self.answered_at = None
        # The young person keeps the place their first wait earned: a transfer is the
        # helpline's doing, not a reason to wait again from the back of the queue.
        self.queued_at = self.created_at
        self.overflow_at = overflow_at


class Sender(models.TextChoices):
    YOUTH = "youth", _("Người liên hệ")
    OPERATOR = "operator", _("Tư vấn viên")
    SYSTEM = "system", _("Hệ thống")


class Message(models.Model):
    """One message in a conversation. seq is 1, 2, 3... without gaps."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=10, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    body = EncryptedTextField()
    client_id = models.UUIDField(null=True, blank=True)
    # A file sent with the message (a young person's screenshot): the id of its
    # harms.EvidenceFile, which this app does not import, and its kind ("image").
    attachment = models.UUIDField(null=True, blank=True)
    attachment_kind = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Not a column: how an operator's reply that left through a platform is going, set by the
    # console's history read (selectors.conversation_history_for_staff) for payloads to send.
    delivery: dict | None = None

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"], name="message_client_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq}"


class PresenceStatus(models.TextChoices):
    AVAILABLE = "available", _("Sẵn sàng")
    AWAY = "away", _("Tạm vắng")
    OFFLINE = "offline", _("Ngoại tuyến")


class Presence(models.Model):
    """Whether a member of staff is at the console.

    Online means a heartbeat younger than PRESENCE_TTL_SECONDS: a socket's
    disconnect handler may never run (killed process, lost network), so the
    last heartbeat is the truth, not the socket.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presence"
    )
    status = models.CharField(
        _("trạng thái"),
        max_length=10,
        choices=PresenceStatus.choices,
        default=PresenceStatus.OFFLINE,
    )
    last_seen = models.DateTimeField(_("lần cuối hoạt động"), null=True, blank=True)

    class Meta:
        verbose_name = _("trạng thái trực")
        verbose_name_plural = _("trạng thái trực")

    def __str__(self) -> str:
        return f"{self.user_id} {self.status}"


class CannedResponse(models.Model):
    """A ready answer an operator can insert. No hotline means every hotline."""

    hotline = models.ForeignKey(
        Hotline,
        verbose_name=_("tổng đài"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
    )
    title = models.CharField(_("tiêu đề"), max_length=80)
    body = models.TextField(_("nội dung"), max_length=2000)
    position = models.PositiveIntegerField(_("thứ tự"), default=0)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("câu trả lời mẫu")
        verbose_name_plural = _("câu trả lời mẫu")

    def __str__(self) -> str:
        return self.title


class ChatStartAttempt(models.Model):
    """A web chat started (or a passphrase tried, or a callback asked for) from a network, kept
    as a keyed hash for an hour to limit floods and guessing."""

    class Kind(models.TextChoices):
        START = "start", _("Bắt đầu trò chuyện")
        PASSPHRASE = "passphrase", _("Thử cụm mật khẩu")
        CALLBACK = "callback", _("Yêu cầu gọi lại")

    address_hash = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.START)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["address_hash", "at"])]

    def __str__(self) -> str:
        return f"start at {self.at:%H:%M:%S}"


class ConversationRead(models.Model):
    """A conversation's history delivered to a member of staff over a socket: an audited read.

    Kept by the conversation's id, not a foreign key, so the record of who read
    a conversation outlives the conversation when retention deletes it.
    """

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Nhận cuộc trao đổi")
        REOPENED = "reopened", _("Mở lại bảng điều khiển")
        SYNC = "sync", _("Đồng bộ lại")
        MONITOR = "monitor", _("Giám sát")
        EARLIER = "earlier", _("Liên hệ trước đây")

    conversation_uuid = models.UUIDField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    first_seq = models.PositiveIntegerField()
    last_seq = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.conversation_uuid} {self.first_seq}-{self.last_seq}"


class MonitoringSession(models.Model):
    """A supervisor watching a conversation live: who, which, from when until when."""

    class EndReason(models.TextChoices):
        STOPPED = "stopped", _("Giám sát viên dừng")
        CONSOLE_CLOSED = "console_closed", _("Đóng bảng điều khiển")
        CONVERSATION_CLOSED = "conversation_closed", _("Cuộc trao đổi kết thúc")
        ACCESS_LOST = "access_lost", _("Hết quyền xem")
        EXPIRED = "expired", _("Mất kết nối")

    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    conversation_uuid = models.UUIDField(db_index=True)
    hotline = models.ForeignKey(Hotline, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"monitoring {self.conversation_uuid} by {self.supervisor_id}"


class YouthIdentity(models.Model):
    """A passphrase a young person chose, so that they can come back to their contacts.

    Never a name or a number. The passphrase is kept as a slow hash (Django's
    password hasher) for checking, and as a short keyed hash that narrows the
    rows to check: short on purpose, so that many passphrases share it and it
    tells nothing on its own.
    """

    lookup = models.CharField(max_length=8, db_index=True)
    passphrase_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"identity {self.pk}"


class SurveyAnswer(models.TextChoices):
    YES = "yes", _("Có")
    PARTLY = "partly", _("Một phần")
    NO = "no", _("Không")


class SurveyResponse(models.Model):
    """The three questions after a chat, answered anonymously: not linked to any conversation."""

    hotline = models.ForeignKey(Hotline, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    submitted_on = models.DateField(db_index=True)
    felt_heard = models.CharField(max_length=10, choices=SurveyAnswer.choices, blank=True)
    got_help = models.CharField(max_length=10, choices=SurveyAnswer.choices, blank=True)
    would_return = models.CharField(max_length=10, choices=SurveyAnswer.choices, blank=True)

    def __str__(self) -> str:
        return f"survey {self.submitted_on}"


def _role_scope_label(role: str, hotline_code: str, agency_code: str) -> str:
    """A role and its scope as the people deciding read them, e.g. "Giám sát viên · 00"."""
    if not role:
        return "—"
    label = str(Role(role).label) if role in Role.values else role
    scope = hotline_code or agency_code
    return f"{label} · {scope}" if scope else label


class StaffChangeKind(models.TextChoices):
    CREATE = "create", _("Tạo tài khoản")
    CHANGE_SCOPE = "change_scope", _("Đổi vai trò hoặc phạm vi")
    REACTIVATE = "reactivate", _("Mở lại tài khoản")
    # The address a password-reset link goes to: whoever sets it can take the account.
    CHANGE_EMAIL = "change_email", _("Đổi email")


class StaffChangeState(models.TextChoices):
    PENDING = "pending", _("Chờ duyệt")
    APPROVED = "approved", _("Đã duyệt")
    REJECTED = "rejected", _("Đã từ chối")


class StaffChangeRequest(ConcurrentTransitionMixin, models.Model):
    """A proposed change to who may do what, applied only when a second person approves it.

    An administrator proposes; a central supervisor who is neither the proposer
    nor the account concerned approves or rejects, exactly once. The rows are the
    record of every access change: proposer, decider, times, and the role and
    scope before and after, as codes. A proposal is never edited or deleted.
    """

    kind = models.CharField(_("loại thay đổi"), max_length=20, choices=StaffChangeKind.choices)
    # The account concerned; for a new account, the one created on approval.
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Only for a new account.
    username = models.CharField(_("tên đăng nhập"), max_length=150, blank=True)
    full_name = models.CharField(_("họ và tên"), max_length=300, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # The role and scope asked for.
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices, blank=True)
    hotline_code = models.CharField(_("mã tổng đài"), max_length=4, blank=True)
    agency_code = models.CharField(_("mã cơ quan"), max_length=40, blank=True)
    # The account's role and scope when the change was proposed; approval checks
    # they still hold, so a decision never applies to an account that moved since.
    before_role = models.CharField(_("vai trò trước đó"), max_length=20, blank=True)
    before_hotline_code = models.CharField(_("mã tổng đài trước đó"), max_length=4, blank=True)
    before_agency_code = models.CharField(_("mã cơ quan trước đó"), max_length=40, blank=True)
    # For an e-mail change: the address when proposed, checked again on approval.
    before_email = models.EmailField(_("email trước đó"), blank=True)
    reason = models.CharField(
        _("lý do"),
        max_length=200,
        blank=True,
        help_text=_("Không bắt buộc. Không ghi nội dung hồ sơ hay thông tin của người liên hệ."),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đề xuất"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("thời điểm đề xuất"), default=timezone.now)
    state = FSMField(
        _("trạng thái"),
        default=StaffChangeState.PENDING,
        choices=StaffChangeState.choices,
        protected=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người quyết định"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("thời điểm quyết định"), null=True, blank=True)

    # The only columns a decision writes; everything else is fixed when proposed.
    DECISION_FIELDS = frozenset({"state", "decided_by", "decided_at", "target"})

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("yêu cầu thay đổi nhân sự")
        verbose_name_plural = _("yêu cầu thay đổi nhân sự")
        constraints = [
            models.CheckConstraint(
                name="staff_change_not_about_the_proposer",
                condition=~models.Q(target=models.F("proposed_by")),
            ),
            models.CheckConstraint(
                name="staff_change_not_decided_by_the_proposer",
                condition=~models.Q(decided_by=models.F("proposed_by")),
            ),
            models.CheckConstraint(
                name="staff_change_not_decided_by_its_subject",
                condition=~models.Q(decided_by=models.F("target")),
            ),
            models.CheckConstraint(
                name="staff_change_decided_once",
                condition=(
                    models.Q(state="pending", decided_by__isnull=True, decided_at__isnull=True)
                    | models.Q(
                        state__in=["approved", "rejected"],
                        decided_by__isnull=False,
                        decided_at__isnull=False,
                    )
                ),
            ),
            models.CheckConstraint(
                name="staff_change_names_its_account",
                condition=(
                    models.Q(kind="create", username__gt="")
                    | models.Q(
                        kind__in=["change_scope", "reactivate", "change_email"],
                        target__isnull=False,
                    )
                ),
            ),
            # One open proposal per account, so two approvals cannot pull it two ways.
            models.UniqueConstraint(
                fields=["target"],
                condition=models.Q(state="pending"),
                name="staff_change_one_pending_per_account",
            ),
            models.UniqueConstraint(
                fields=["username"],
                condition=models.Q(state="pending", kind="create"),
                name="staff_change_one_pending_per_new_username",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.account_name}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.DECISION_FIELDS:
                raise ValidationError(_("Yêu cầu thay đổi nhân sự không thể sửa sau khi gửi."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Yêu cầu thay đổi nhân sự không thể xoá."))

    @property
    def account_name(self) -> str:
        return self.target.username if self.target_id else self.username

    @property
    def before_summary(self) -> str:
        if self.kind == StaffChangeKind.CHANGE_EMAIL:
            return self.before_email or "—"
        return _role_scope_label(
            self.before_role, self.before_hotline_code, self.before_agency_code
        )

    @property
    def after_summary(self) -> str:
        if self.kind == StaffChangeKind.CHANGE_EMAIL:
            return self.email
        return _role_scope_label(self.role, self.hotline_code, self.agency_code)

    @transition(field=state, source=StaffChangeState.PENDING, target=StaffChangeState.APPROVED)
    def approve(self, *, by, at: datetime.datetime) -> None:
        self.decided_by = by
        self.decided_at = at

    @transition(field=state, source=StaffChangeState.PENDING, target=StaffChangeState.REJECTED)
    def reject(self, *, by, at: datetime.datetime) -> None:
        self.decided_by = by
        self.decided_at = at


class ContactType(models.TextChoices):
    """What a contact was, as Child Helpline International counts contacts."""

    COUNSELLING = "counselling", _("Tư vấn")
    INFORMATION = "information", _("Cung cấp thông tin")
    REFERRAL = "referral", _("Chuyển tuyến, giới thiệu")
    SILENT = "silent", _("Im lặng")
    PRANK = "prank", _("Đùa cợt, quấy rối")
    TEST = "test", _("Thử hệ thống")
    ABANDONED = "abandoned", _("Bỏ đi trước khi được trả lời")
    OUT_OF_HOURS = "out_of_hours", _("Ngoài giờ, lời nhắn thoại")


class ContactOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Giải quyết ngay trong lần liên hệ")
    CASE = "case", _("Mở hoặc gắn hồ sơ")
    ESCALATED = "escalated", _("Đã chuyển tuyến")
    FOLLOW_UP = "follow_up", _("Cần theo dõi tiếp")
    NONE = "none", _("Không có")


class ContactRecord(models.Model):
    """Every conversation, however it ended, counted: the base of every report.

    Written when the conversation ends or is abandoned; the operator's wrap-up
    (or the system, where it knows: abandoned, silent) fills in its type,
    categories and outcome. It holds no content and outlives the conversation
    and its messages, so reports keep their figures after retention deletes
    them. The young person's details are copied, as codes, from the conversation.
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="contact"
    )
    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    hotline = models.ForeignKey(
        Hotline, verbose_name=_("tổng đài"), on_delete=models.PROTECT, related_name="contacts"
    )
    province_code = models.CharField(_("tỉnh/thành"), max_length=2, blank=True)
    age_group = models.CharField(
        _("nhóm tuổi"), max_length=10, choices=AgeGroup.choices, blank=True
    )
    gender = models.CharField(_("giới tính"), max_length=10, default="unknown")
    language = models.CharField(max_length=5, default="vi")
    queued_at = models.DateTimeField(_("vào hàng chờ"))
    answered_at = models.DateTimeField(_("được nhận"), null=True, blank=True)
    ended_at = models.DateTimeField(_("kết thúc"), db_index=True)
    waited_seconds = models.PositiveIntegerField(null=True, blank=True)
    handled_seconds = models.PositiveIntegerField(null=True, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xử lý"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    danger = models.BooleanField(default=False)
    transfer_count = models.PositiveSmallIntegerField(default=0)
    contact_type = models.CharField(
        _("loại liên hệ"), max_length=20, choices=ContactType.choices, blank=True
    )
    categories = models.ManyToManyField("cases.Category", blank=True, related_name="contacts")
    outcome = models.CharField(
        _("kết quả"), max_length=20, choices=ContactOutcome.choices, blank=True
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    wrapped_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    wrapped_up_at = models.DateTimeField(null=True, blank=True)
    # Filled by the system (abandoned, silent), which an operator may still correct.
    filled_by_system = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("lượt liên hệ")
        verbose_name_plural = _("lượt liên hệ")
        indexes = [
            # A hotline's report reads its contacts of a period from this index alone: its
            # contacts are spread over the whole table (every hotline's interleave in time),
            # so reading the rows themselves meant a page per contact.
            models.Index(
                fields=["hotline", "ended_at"],
                include=[
                    "id",
                    "channel",
                    "contact_type",
                    "age_group",
                    "gender",
                    "answered_at",
                    "risk",
                    "danger",
                    "waited_seconds",
                    "handled_seconds",
                ],
                name="contact_hotline_ended",
            ),
            models.Index(fields=["operator", "wrapped_up_at"]),
        ]

    def __str__(self) -> str:
        return f"contact {self.pk} {self.channel}"

    @property
    def needs_wrap_up(self) -> bool:
        return self.wrapped_up_at is None
