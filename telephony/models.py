"""Calls, SMS and voicemails from Twilio, and the phone numbers they came from.

Every Twilio record is keyed by Twilio's own id (CallSid, MessageSid,
RecordingSid) with a UNIQUE constraint: Twilio retries and repeats callbacks,
and a repeat must find the row instead of creating another.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from helpline.models import AgeGroup, Conversation, Hotline, Message
from telephony.phone import phone_decrypt, phone_mask


class PhoneNumber(models.Model):
    """A caller's or texter's number: encrypted, and found again by its keyed hash."""

    number_hash = models.CharField(max_length=64, unique=True, editable=False)
    number_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("số điện thoại")
        verbose_name_plural = _("số điện thoại")

    def __str__(self) -> str:
        return self.masked

    @property
    def masked(self) -> str:
        return phone_mask(phone_decrypt(self.number_encrypted))


class PhoneContact(models.Model):
    """Which number a voice or SMS conversation came from, and on which hotline number."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="phone_contact"
    )
    phone = models.ForeignKey(PhoneNumber, on_delete=models.PROTECT, related_name="contacts")
    # The hotline's own public number (Twilio's "To"): not personal data.
    called_number = models.CharField(max_length=20)
    last_inbound_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["phone", "called_number", "last_inbound_at"])]

    def __str__(self) -> str:
        return f"contact {self.conversation_id}"


class CallStatus(models.TextChoices):
    RECEIVED = "received", _("Đang nghe lời chào")
    QUEUED = "queued", _("Đang chờ")
    CONNECTING = "connecting", _("Đang chuyển tới tư vấn viên")
    RINGING = "ringing", _("Đang đổ chuông")
    ANSWERED = "answered", _("Đang nói chuyện")
    COMPLETED = "completed", _("Đã kết thúc")
    BUSY = "busy", _("Máy tư vấn viên bận")
    NO_ANSWER = "no_answer", _("Tư vấn viên không nhấc máy")
    FAILED = "failed", _("Lỗi kết nối")
    ABANDONED = "abandoned", _("Người gọi gác máy khi đang chờ")
    VOICEMAIL = "voicemail", _("Để lại lời nhắn thoại")


# A call's status only moves to a higher rank; the terminal ones share the top
# rank, so the first outcome recorded is the one that stays.
CALL_STATUS_RANK = {
    CallStatus.RECEIVED: 0,
    CallStatus.QUEUED: 1,
    CallStatus.CONNECTING: 2,
    CallStatus.RINGING: 3,
    CallStatus.ANSWERED: 4,
    CallStatus.COMPLETED: 5,
    CallStatus.BUSY: 5,
    CallStatus.NO_ANSWER: 5,
    CallStatus.FAILED: 5,
    CallStatus.ABANDONED: 5,
    CallStatus.VOICEMAIL: 5,
}
CALL_TERMINAL_RANK = 5


class Call(models.Model):
    """One incoming phone call and what happened to it, with the times reports need."""

    call_sid = models.CharField(max_length=34, unique=True)
    hotline = models.ForeignKey(Hotline, on_delete=models.PROTECT, related_name="calls")
    called_number = models.CharField(max_length=20, blank=True)
    phone = models.ForeignKey(PhoneNumber, on_delete=models.PROTECT, related_name="calls")
    # Set when the caller enters the queue (or reaches voicemail).
    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="call"
    )
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=CallStatus.choices, default=CallStatus.RECEIVED
    )
    # True when the called hotline was closed (or the number unknown) and central took it.
    rerouted_to_central = models.BooleanField(default=False)
    pressed_danger = models.BooleanField(_("bấm phím 1 (nguy hiểm)"), default=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    endpoint_kind = models.CharField(max_length=10, blank=True)
    operator_leg_sid = models.CharField(max_length=34, blank=True)
    # Twilio's error code of the last failed attempt to connect the operator; never text.
    connect_error = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    queue_seconds = models.PositiveIntegerField(_("thời gian chờ (giây)"), null=True, blank=True)
    talk_seconds = models.PositiveIntegerField(
        _("thời gian nói chuyện (giây)"), null=True, blank=True
    )
    duration_seconds = models.PositiveIntegerField(
        _("tổng thời lượng (giây)"), null=True, blank=True
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("cuộc gọi")
        verbose_name_plural = _("cuộc gọi")

    def __str__(self) -> str:
        return self.call_sid

    @property
    def is_terminal(self) -> bool:
        return CALL_STATUS_RANK[self.status] >= CALL_TERMINAL_RANK

    def advance(self, status: str) -> bool:
        """Move to a later status; a late or repeated callback changes nothing."""
        if CALL_STATUS_RANK[status] <= CALL_STATUS_RANK[self.status]:
            return False
        self.status = status
        return True


class SmsStatus(models.TextChoices):
    RECEIVED = "received", _("Đã nhận")
    PENDING = "pending", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    ACCEPTED = "accepted", _("Twilio đã nhận")
    QUEUED = "queued", _("Trong hàng gửi")
    SENT = "sent", _("Đã gửi")
    DELIVERED = "delivered", _("Đã tới máy")
    READ = "read", _("Đã đọc")
    UNDELIVERED = "undelivered", _("Không tới được máy")
    FAILED = "failed", _("Gửi thất bại")


SMS_STATUS_RANK = {
    SmsStatus.RECEIVED: 0,
    SmsStatus.PENDING: 0,
    SmsStatus.SENDING: 1,
    SmsStatus.ACCEPTED: 2,
    SmsStatus.QUEUED: 3,
    SmsStatus.SENT: 4,
    SmsStatus.DELIVERED: 5,
    SmsStatus.UNDELIVERED: 5,
    SmsStatus.FAILED: 5,
    SmsStatus.READ: 6,
}


class SmsMessage(models.Model):
    """One SMS in or out, tied to the chat message that holds its text."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Đến")
        OUTBOUND = "out", _("Đi")

    # Empty until Twilio accepted an outgoing message; NULL never collides in a UNIQUE index.
    message_sid = models.CharField(max_length=34, unique=True, null=True, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="sms_messages"
    )
    # The text lives once, in the conversation's message; None only for a status
    # callback that arrived before the send recorded its MessageSid.
    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="sms"
    )
    status = models.CharField(max_length=12, choices=SmsStatus.choices)
    error_code = models.CharField(max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("tin nhắn SMS")
        verbose_name_plural = _("tin nhắn SMS")
        indexes = [models.Index(fields=["direction", "status"])]

    def __str__(self) -> str:
        return self.message_sid or f"sms {self.pk}"

    def advance(self, status: str) -> bool:
        """Move to a later status; a late or repeated callback changes nothing."""
        if status not in SMS_STATUS_RANK:
            return False
        if SMS_STATUS_RANK[status] <= SMS_STATUS_RANK[self.status]:
            return False
        self.status = status
        return True


class Voicemail(models.Model):
    """A voicemail's metadata. The audio stays at Twilio until the deletion policy removes it."""

    recording_sid = models.CharField(max_length=34, unique=True)
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="voicemails")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="voicemails"
    )
    recording_url = models.URLField(max_length=300, blank=True)
    status = models.CharField(max_length=12, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    delete_after = models.DateTimeField(db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("lời nhắn thoại")
        verbose_name_plural = _("lời nhắn thoại")

    def __str__(self) -> str:
        return self.recording_sid


class PhoneReveal(models.Model):
    """Audit: a supervisor saw a full phone number. One row per reveal.

    It keeps the conversation's id rather than a foreign key so that the trail
    outlives the conversation's retention.
    """

    conversation_uuid = models.UUIDField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("lượt xem số điện thoại")
        verbose_name_plural = _("lượt xem số điện thoại")

    def __str__(self) -> str:
        return f"{self.actor_id} {self.conversation_uuid}"


class OperatorEndpoint(models.Model):
    """Where a call goes when this member of staff accepts it.

    Without a row, calls go to the browser softphone of the console.
    """

    class Kind(models.TextChoices):
        CLIENT = "client", _("Điện thoại trên trình duyệt")
        PHONE = "phone", _("Số điện thoại")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nhân sự"),
        on_delete=models.CASCADE,
        related_name="voice_endpoint",
    )
    kind = models.CharField(_("nhận cuộc gọi qua"), max_length=10, choices=Kind.choices)
    # Staff numbers are personal data too.
    phone_encrypted = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("nơi nhận cuộc gọi")
        verbose_name_plural = _("nơi nhận cuộc gọi")

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


# ---------------------------------------------------------------- safe callbacks


class CallbackState(models.TextChoices):
    REQUESTED = "requested", _("Chờ người nhận")
    CLAIMED = "claimed", _("Đã có người nhận")
    DONE = "done", _("Đã xong")
    CANCELLED = "cancelled", _("Đã huỷ")
    EXPIRED = "expired", _("Hết hạn")


CALLBACK_OPEN_STATES = (CallbackState.REQUESTED, CallbackState.CLAIMED)


class CallbackOutcome(models.TextChoices):
    REACHED = "reached", _("Đã nói chuyện được")
    NO_ANSWER = "no_answer", _("Không ai nghe máy")
    NOT_SAFE_TO_TALK = "not_safe_to_talk", _("Bạn ấy chưa thể nói chuyện an toàn")
    WRONG_NUMBER = "wrong_number", _("Nhầm số")


class CallbackRequest(ConcurrentTransitionMixin, models.Model):
    """A young person's request to be called back safely: a task for their hotline's staff.

    It holds no content: no message and no name, only the number (stored once,
    encrypted, like a caller's), the window and a few codes. The window is one
    stretch of one day, today or tomorrow, chosen in the helpline's local time
    and kept as its two instants.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hotline = models.ForeignKey(
        Hotline,
        verbose_name=_("tổng đài"),
        on_delete=models.PROTECT,
        related_name="callback_requests",
    )
    province_code = models.CharField(_("tỉnh/thành"), max_length=2, blank=True)
    phone = models.ForeignKey(PhoneNumber, on_delete=models.PROTECT, related_name="callbacks")
    window_starts_at = models.DateTimeField(_("gọi từ"))
    window_ends_at = models.DateTimeField(_("gọi đến trước"), db_index=True)
    may_identify = models.BooleanField(_("được nói là tổng đài gọi"))
    language = models.CharField(_("ngôn ngữ"), max_length=5, default="vi")
    age_group = models.CharField(
        _("nhóm tuổi"), max_length=10, choices=AgeGroup.choices, blank=True
    )
    state = FSMField(
        _("trạng thái"),
        default=CallbackState.REQUESTED,
        choices=CallbackState.choices,
        protected=True,
    )
    # Set when the request is done: the outcome of its last attempt.
    outcome = models.CharField(
        _("kết quả"), max_length=20, choices=CallbackOutcome.choices, blank=True
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("yêu cầu lúc"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["window_starts_at", "created_at", "id"]
        verbose_name = _("yêu cầu gọi lại")
        verbose_name_plural = _("yêu cầu gọi lại")
        constraints = [
            # A second request for a number that is still waiting must find the first.
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(state__in=["requested", "claimed"]),
                name="callback_one_open_per_number",
            )
        ]
        indexes = [models.Index(fields=["state", "hotline", "window_starts_at"])]

    def __str__(self) -> str:
        return f"callback {str(self.id)[:8]}"

    @transition(field=state, source=CallbackState.REQUESTED, target=CallbackState.CLAIMED)
    def claim(self, *, by, at) -> None:
        self.claimed_by = by
        self.claimed_at = at

    @transition(field=state, source=CallbackState.CLAIMED, target=CallbackState.REQUESTED)
    def release(self) -> None:
        self.claimed_by = None
        self.claimed_at = None

    @transition(field=state, source=CallbackState.CLAIMED, target=CallbackState.DONE)
    def finish(self, *, outcome: str, at) -> None:
        self.outcome = outcome
        self.closed_at = at

    @transition(field=state, source=list(CALLBACK_OPEN_STATES), target=CallbackState.CANCELLED)
    def cancel(self, *, at) -> None:
        self.closed_at = at

    @transition(field=state, source=list(CALLBACK_OPEN_STATES), target=CallbackState.EXPIRED)
    def expire(self, *, at) -> None:
        self.closed_at = at


class CallbackAttempt(models.Model):
    """One try to call a young person back, and how it went."""

    callback = models.ForeignKey(CallbackRequest, on_delete=models.CASCADE, related_name="attempts")
    outcome = models.CharField(_("kết quả"), max_length=20, choices=CallbackOutcome.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.at:%H:%M}"


class CallbackEvent(models.Model):
    """Audit: one step of a callback request, who took it and when. Codes only, never text.

    It keeps the request's id rather than a foreign key so that the trail
    outlives the request's retention. A step with no actor was the young
    person's (requested, repeated) or the worker's (expired).
    """

    class Action(models.TextChoices):
        REQUESTED = "requested", _("Được yêu cầu")
        REPEATED = "repeated", _("Được yêu cầu lại")
        CLAIMED = "claimed", _("Được nhận")
        RELEASED = "released", _("Được trả lại")
        NUMBER_REVEALED = "number_revealed", _("Xem số đầy đủ")
        ATTEMPTED = "attempted", _("Gọi thử")
        DONE = "done", _("Xong")
        CANCELLED = "cancelled", _("Huỷ")
        EXPIRED = "expired", _("Hết hạn")

    callback_uuid = models.UUIDField(db_index=True)
    hotline = models.ForeignKey(Hotline, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=20, choices=CallbackOutcome.choices, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("bước của yêu cầu gọi lại")
        verbose_name_plural = _("các bước của yêu cầu gọi lại")

    def __str__(self) -> str:
        return f"{self.action} {self.callback_uuid}"
