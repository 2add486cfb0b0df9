"""Every conversation becomes a contact record, and the operator's wrap-up completes it.

The record is written in the transaction that ends or abandons the conversation.
Where the system knows what the contact was, it fills it in: abandoned before
anyone answered, or a chat where the young person never wrote (silent). Anything
else waits for the operator's wrap-up, which is required before that operator
takes another conversation once the hotline's grace period has passed.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.conversations import (
    ConversationError,
    ConversationNotFound,
    InvalidField,
    NotAllowed,
)
from helpline.models import (
    Channel,
    ContactOutcome,
    ContactRecord,
    ContactType,
    Conversation,
    ConversationState,
    Message,
    Sender,
)
from helpline.selectors import conversations_visible_to

GENDERS = ("female", "male", "other", "unknown")


class WrapUpRequired(ConversationError):
    code = "wrap_up_required"

    def default_detail(self) -> str:
        return _("Hãy ghi kết quả cuộc trao đổi vừa xong trước khi nhận cuộc mới.")


def _seconds(later, earlier) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, int((later - earlier).total_seconds()))


def contact_record_open(*, conversation: Conversation, at: datetime.datetime) -> ContactRecord:
    """Write the contact record of a conversation that just ended or was abandoned.

    Runs inside the transaction of the end. A conversation that comes back (a
    transfer ends nothing) never gets two: the record is found again by its
    conversation.
    """
    record, _created = ContactRecord.objects.get_or_create(
        conversation=conversation,
        defaults={
            "channel": conversation.channel,
            "hotline_id": conversation.hotline_id,
            "province_code": conversation.province_code,
            "age_group": conversation.age_group,
            "language": conversation.language,
            "queued_at": conversation.created_at,
            "ended_at": at,
        },
    )
    record.answered_at = conversation.answered_at
    record.ended_at = conversation.ended_at or at
    record.waited_seconds = _seconds(conversation.answered_at, conversation.created_at)
    record.handled_seconds = _seconds(record.ended_at, conversation.answered_at)
    record.operator_id = conversation.operator_id
    record.risk = conversation.risk
    record.danger = conversation.danger_at is not None
    record.transfer_count = conversation.transfer_count
    record.case_id = conversation.case_id
    known = _known_type(conversation)
    if known and record.wrapped_up_at is None:
        record.contact_type = known
        record.outcome = ContactOutcome.NONE
        record.filled_by_system = True
        record.wrapped_up_at = at
    record.save()
    return record


def _known_type(conversation: Conversation) -> str:
    if conversation.state == ConversationState.ABANDONED:
        return ContactType.ABANDONED
    if (
        conversation.channel != Channel.VOICE
        and not Message.objects.filter(conversation=conversation, sender=Sender.YOUTH).exists()
    ):
        return ContactType.SILENT
    return ""


@transaction.atomic
def contact_wrap_up(
    *,
    user,
    conversation_id,
    contact_type: str,
    category_codes=(),
    outcome: str,
    gender: str = "unknown",
    at: datetime.datetime | None = None,
) -> ContactRecord:
    """Record what a finished contact was. The operator who handled it, or a supervisor in
    scope, may fill it in or correct it."""
    from cases.models import Category

    at = at or timezone.now()
    if contact_type not in ContactType.values:
        raise InvalidField(_("Loại liên hệ không hợp lệ."), field="contact_type")
    if outcome not in ContactOutcome.values:
        raise InvalidField(_("Kết quả không hợp lệ."), field="outcome")
    if gender not in GENDERS:
        raise InvalidField(_("Giới tính không hợp lệ."), field="gender")
    codes = list(category_codes)
    if not all(isinstance(code, str) for code in codes):
        raise InvalidField(_("Phân loại không hợp lệ."), field="categories")
    categories = list(Category.objects.filter(code__in=codes, is_active=True))
    if len(categories) != len(set(codes)):
        raise InvalidField(_("Phân loại không hợp lệ."), field="categories")
    visible = conversations_visible_to(user=user).filter(pk=conversation_id)
    record = ContactRecord.objects.select_for_update().filter(conversation__in=visible).first()
    if record is None:
        raise ConversationNotFound()
    if record.operator_id != user.pk and not user.is_supervisor:
        raise NotAllowed()
    record.contact_type = contact_type
    record.outcome = outcome
    record.gender = gender
    record.wrapped_up_by = user
    record.wrapped_up_at = at
    record.filled_by_system = False
    record.save(
        update_fields=[
            "contact_type",
            "outcome",
            "gender",
            "wrapped_up_by",
            "wrapped_up_at",
            "filled_by_system",
        ]
    )
    record.categories.set(categories)
    return record


def contacts_pending_wrap_up(*, user) -> list[ContactRecord]:
    """This operator's finished contacts still waiting for a wrap-up, oldest first."""
    return list(
        ContactRecord.objects.filter(operator_id=user.pk, wrapped_up_at__isnull=True)
        .exclude(conversation=None)
        .order_by("ended_at", "id")
    )


def wrap_up_required_check(*, user, at: datetime.datetime) -> None:
    """Refuse a new conversation while a wrap-up is overdue (past the hotline's grace)."""
    grace = datetime.timedelta(seconds=user.hotline.wrap_up_grace_seconds)
    overdue = (
        ContactRecord.objects.filter(
            operator_id=user.pk, wrapped_up_at__isnull=True, ended_at__lte=at - grace
        )
        .exclude(conversation=None)
        .values_list("conversation_id", flat=True)
    )
    waiting = [str(pk) for pk in overdue]
    if waiting:
        raise WrapUpRequired(conversations=waiting)
