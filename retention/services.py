"""Legal holds on cases, and young people's requests to delete their conversation.

Each function runs in one transaction, locks what it changes, writes the case's
timeline through cases.audit beside the change, and signals sockets only after
the commit (helpline.broadcast).
"""

import datetime
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import case_event_record
from cases.models import Case, CaseEvent
from cases.selectors import case_get_for_user
from escalation.models import OPEN_STATES, Escalation
from helpline import groups
from helpline.broadcast import broadcast_on_commit
from helpline.conversations import ConversationNotFound, TokenExpired
from helpline.models import Conversation, ConversationState, User
from retention.models import (
    HOLD_REFERENCE_PATTERN,
    DeletionRequest,
    DeletionStatus,
    HoldReason,
    LegalHold,
)
from retention.purge import conversation_content_erase, holds_in_force

# --- legal holds -------------------------------------------------------------------------------


def _central_supervisor(user) -> User:
    """The member of staff as the database knows them now, if they may place or lift holds."""
    current = User.objects.select_related("hotline").filter(pk=user.pk).first()
    if current is None or not current.is_central_supervisor:
        raise PermissionDenied
    return current


@transaction.atomic
def legal_hold_place(
    *, user, case_id: int, reason: str, reference: str, at: datetime.datetime | None = None
) -> LegalHold:
    """Put a case on hold: nothing of it is purged until the hold is lifted.

    Central supervisors only. The reason is a code and the reference a short
    number from the request (letters, digits and / . _ : -), never a child's
    details. A case already on hold keeps its hold and this one is refused.
    """
    user = _central_supervisor(user)
    if reason not in HoldReason.values:
        raise ValidationError(_("Lý do không hợp lệ."))
    reference = (reference or "").strip()
    if not re.fullmatch(HOLD_REFERENCE_PATTERN, reference):
        raise ValidationError(
            _("Số hiệu văn bản chỉ gồm chữ, số và các dấu / . _ : -, tối đa 40 ký tự.")
        )
    at = at or timezone.now()
    # The lock makes a purge batch that already picked this case finish first, or wait.
    case = case_get_for_user(user=user, case_id=case_id, for_update=True)
    if holds_in_force([case.pk]):
        raise ValidationError(_("Hồ sơ này đang có lệnh giữ dữ liệu."))
    try:
        with transaction.atomic():
            hold = LegalHold.objects.create(
                case=case, reason=reason, reference=reference, placed_by=user, placed_at=at
            )
    except IntegrityError:
        raise ValidationError(_("Hồ sơ này đang có lệnh giữ dữ liệu.")) from None
    case_event_record(
        case=case,
        actor=user,
        action=CaseEvent.Action.LEGAL_HOLD_PLACED,
        at=at,
        hold=hold.pk,
        reason=reason,
    )
    return hold


@transaction.atomic
def legal_hold_lift(*, user, hold_id: int, at: datetime.datetime | None = None) -> LegalHold:
    """Lift a hold in force; the case's data then follows its schedule again."""
    user = _central_supervisor(user)
    at = at or timezone.now()
    hold = LegalHold.objects.select_for_update().filter(pk=hold_id).first()
    if hold is None:
        raise ValidationError(_("Không có lệnh giữ dữ liệu này."))
    if not hold.in_force:
        raise ValidationError(_("Lệnh giữ dữ liệu này đã được gỡ."))
    hold.lifted_by, hold.lifted_at = user, at
    hold.save(update_fields=["lifted_by", "lifted_at"])
    case_event_record(
        case_id=hold.case_id,
        actor=user,
        action=CaseEvent.Action.LEGAL_HOLD_LIFTED,
        at=at,
        hold=hold.pk,
        reason=hold.reason,
    )
    return hold


# --- deletion requests -------------------------------------------------------------------------


def _deletion_status(conversation: Conversation) -> str:
    """What a deletion of this conversation waits for now, or DONE when nothing does."""
    if conversation.case_id is not None:
        if holds_in_force([conversation.case_id]):
            return DeletionStatus.HELD
        open_escalation = Escalation.objects.filter(
            case_id=conversation.case_id, state__in=OPEN_STATES
        )
        if open_escalation.exists():
            return DeletionStatus.ESCALATION_OPEN
    if conversation.state not in (ConversationState.ENDED, ConversationState.ABANDONED):
        return DeletionStatus.PENDING
    return DeletionStatus.DONE


def _deletion_check(request: DeletionRequest, *, at: datetime.datetime) -> DeletionRequest:
    """Check a request again, with its conversation locked, and honour it when nothing stands
    in the way. The caller holds the transaction."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .filter(pk=request.conversation_uuid)
        .first()
    )
    if conversation is None or conversation.content_erased_at is not None:
        # Already gone: retention deleted it, or an earlier check erased it.
        status = DeletionStatus.DONE
    else:
        if conversation.case_id is not None:
            # A hold is placed with the case's row locked: lock it too, so none slips in between.
            Case.objects.select_for_update().filter(pk=conversation.case_id).first()
        status = _deletion_status(conversation)
        request.case_id = conversation.case_id
        if status == DeletionStatus.DONE:
            conversation_content_erase(conversation=conversation, at=at)
            if conversation.case_id is not None:
                case_event_record(
                    case_id=conversation.case_id,
                    actor=None,
                    action=CaseEvent.Action.CONTENT_ERASED,
                    at=at,
                    conversation=str(conversation.pk),
                    reason="youth_request",
                )
    request.status = status
    request.checked_at = at
    request.done_at = at if status == DeletionStatus.DONE else None
    request.save(update_fields=["status", "checked_at", "done_at", "case"])
    return request


@transaction.atomic
def deletion_request_make(
    *, conversation_id, at: datetime.datetime | None = None
) -> DeletionRequest:
    """A young person asks, from their chat, to delete their conversation.

    The socket reached the conversation with its token; the token must still
    be valid now. The request is recorded once per conversation (asking again
    checks it again) and honoured at once when the conversation has ended, its
    case is not on hold and no escalation of it is open; otherwise its status
    says which, and the worker honours it as soon as nothing stands in the way.
    The consoles that hold or watch the conversation are told.
    """
    at = at or timezone.now()
    conversation = (
        Conversation.objects.select_for_update(of=("self",)).filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise ConversationNotFound()
    if conversation.content_erased_at is None and (
        conversation.token_expires_at is None or conversation.token_expires_at <= at
    ):
        raise TokenExpired()
    request, created = DeletionRequest.objects.get_or_create(
        conversation_uuid=conversation.pk,
        defaults={
            "hotline_id": conversation.hotline_id,
            "case_id": conversation.case_id,
            "status": DeletionStatus.PENDING,
            "requested_at": at,
            "checked_at": at,
        },
    )
    if request.status == DeletionStatus.DONE:
        return request
    if created and conversation.case_id is not None:
        case_event_record(
            case_id=conversation.case_id,
            actor=None,
            action=CaseEvent.Action.DELETION_REQUESTED,
            at=at,
            conversation=str(conversation.pk),
        )
    request = _deletion_check(request, at=at)
    broadcast_on_commit(
        groups.conversation_group(conversation.pk),
        {"type": "chat.deletion", "conversation": str(conversation.pk), "status": request.status},
    )
    return request


def deletion_requests_honour(*, at: datetime.datetime | None = None, limit: int = 200) -> int:
    """Check every request still waiting, honouring those nothing stands in the way of any more.

    Each in its own transaction; returns how many were honoured.
    """
    at = at or timezone.now()
    waiting = list(
        DeletionRequest.objects.exclude(status=DeletionStatus.DONE)
        .order_by("requested_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    honoured = 0
    for pk in waiting:
        with transaction.atomic():
            request = DeletionRequest.objects.select_for_update().filter(pk=pk).first()
            if request is None or request.status == DeletionStatus.DONE:
                continue
            if _deletion_check(request, at=at).status == DeletionStatus.DONE:
                honoured += 1
    return honoured
