"""The one module that deletes data when its time is up, or when a young person asks.

Each kind of data has a period in settings.RETENTION, counted from one event
(retention.schedule). A purge takes the rows past their period, oldest first,
in batches of RETENTION_BATCH_SIZE: each batch is one transaction that removes
its rows and writes one PurgeRecord (the kind, how many, when, the span of
their dates), so a restart at any moment loses nothing and repeats nothing:
the next round starts from what is still there.

Nothing of a case under a legal hold goes, whatever its age; the rows of a
case are locked and the holds read again inside the batch, so a hold placed
while a batch runs either waits for it or keeps the case. Contact records
(helpline.ContactRecord), the case rows with their codes, survey answers and
staff change requests stay: reports count them, and they hold no content.

Notes and disclosure records refuse deletion through their own managers, so
that no ordinary code path can rewrite them; this module is the one path that
removes them, through a plain QuerySet, once their period is over.

Evidence files (harms) go with what they belong to: their encrypted content on
disk is erased before the batch commits, so a crash in between leaves a row
whose content is already gone (the next round finishes the rows), never a
file nobody will delete. A file of a case keeps its row and hashes under the
case; a file of a contact alone goes with its custody rows.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from cases.audit import case_event_record
from cases.models import BreakGlassGrant, Case, CaseEvent, CaseNote, CaseState
from connectors.models import PlatformContact, PlatformMessage, PlatformThread
from escalation.models import DisclosureRecord, Escalation, EscalationMessage
from harms.models import (
    EvidenceEvent,
    EvidenceFile,
    OnlineItem,
    OnlineItemRevision,
    TakedownRequest,
)
from harms.storage import evidence_erase
from helpline.models import (
    Conversation,
    ConversationRead,
    ConversationState,
    Message,
    MonitoringSession,
    YouthIdentity,
)
from reports.models import ReportEvent
from retention.models import DeletionRequest, DeletionStatus, LegalHold, PurgeKind, PurgeRecord
from retention.schedule import retention_cutoff
from telephony.models import (
    Call,
    CallbackEvent,
    CallbackRequest,
    CallbackState,
    PhoneContact,
    PhoneNumber,
    PhoneReveal,
    SmsMessage,
    Voicemail,
)

CLOSED_CONVERSATION_STATES = (ConversationState.ENDED, ConversationState.ABANDONED)
FINISHED_CALLBACK_STATES = (CallbackState.DONE, CallbackState.CANCELLED, CallbackState.EXPIRED)


def _plain(model) -> models.QuerySet:
    """Every row of the model through a plain QuerySet, past any append-only manager."""
    return models.QuerySet(model=model)


def _delete(queryset) -> dict[str, int]:
    """Delete the rows and what cascades from them; the counts per table, for the record."""
    _total, per_table = _plain(queryset.model).filter(pk__in=queryset.values("pk")).delete()
    return {label: count for label, count in per_table.items() if count}


def _voicemail_audio_pending(conversation_ref: str):
    """A voicemail whose audio is still at Twilio: its row holds the only handle to delete it."""
    return Exists(
        Voicemail.objects.filter(conversation_id=OuterRef(conversation_ref), deleted_at=None)
    )


def holds_in_force(case_ids) -> set[int]:
    """The cases among these with a legal hold in force, read now."""
    return set(
        LegalHold.objects.filter(case_id__in=list(case_ids), lifted_at=None).values_list(
            "case_id", flat=True
        )
    )


def _held():
    return Exists(LegalHold.objects.filter(case_id=OuterRef("pk"), lifted_at=None))


def _conversation_still_kept(uuid_field: str):
    """The conversation a row names is still there with its content."""
    return Exists(Conversation.objects.filter(pk=OuterRef(uuid_field), content_erased_at=None))


# --- erasing -------------------------------------------------------------------------------


def _evidence_erase(files, at: datetime.datetime) -> int:
    """Erase the content of these evidence files from disk now; mark their rows. How many."""
    ids = list(files.filter(deleted_at=None).values_list("pk", flat=True))
    for file_id in ids:
        evidence_erase(file_id)
    EvidenceFile.objects.filter(pk__in=ids).update(deleted_at=at)
    return len(ids)


def _counted(cascaded: dict, label: str, count: int) -> None:
    if count:
        cascaded[label] = cascaded.get(label, 0) + count


def conversation_content_erase(*, conversation: Conversation, at: datetime.datetime) -> dict:
    """Delete what the young person said in a conversation, keeping the row and its counts.

    Its messages go (and the SMS rows tied to them); the handover note, the
    token and the passphrase link are cleared, so nobody reopens it. The row
    keeps its times and codes, and its seq counter (last_seq) is left as it
    was: a socket that still follows it finds no message after its own and
    is never given a seq twice. Run inside the caller's transaction, with the
    row locked.
    """
    # Zalo or Messenger: the platform rows, and the link to the young person's account there,
    # which would otherwise lead back to them (the account row goes with its period).
    cascaded = _delete(PlatformMessage.objects.filter(conversation=conversation))
    cascaded.update(_delete(PlatformThread.objects.filter(conversation=conversation)))
    cascaded.update(_delete(Message.objects.filter(conversation=conversation)))
    cascaded.update(_delete(SmsMessage.objects.filter(conversation=conversation)))
    # The screenshots the young person sent: content gone, rows (and hashes) kept.
    _counted(
        cascaded,
        "harms.EvidenceFile content",
        _evidence_erase(EvidenceFile.objects.filter(conversation=conversation), at),
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        handover_note="",
        token_hash="",
        token_expires_at=None,
        youth_identity=None,
        youth_ip_hash="",
        content_erased_at=at,
    )
    return cascaded


def _cases_evidence_erase(case_ids: list[int], at: datetime.datetime) -> int:
    """Erase the evidence files of these cases and of their conversations, keeping the rows
    (hashes, sizes, custody) under the case, since the conversations go."""
    files = EvidenceFile.objects.filter(
        Q(case_id__in=case_ids) | Q(conversation__case_id__in=case_ids)
    )
    erased = _evidence_erase(files, at)
    of_conversation = EvidenceFile.objects.filter(conversation__case_id__in=case_ids)
    of_conversation.filter(case=None).update(
        case_id=Subquery(
            Conversation.objects.filter(pk=OuterRef("conversation_id")).values("case_id")
        )
    )
    EvidenceFile.objects.filter(conversation__case_id__in=case_ids).update(conversation=None)
    # What staff wrote about the harm goes. The address or handle of the harmful account or
    # post stays, with its keyed hash: takedowns and the cross-province match name it, and an
    # item must keep one of the two (harms' own constraint).
    OnlineItem.objects.filter(case_id__in=case_ids).update(description="")
    _plain(OnlineItemRevision).filter(item__case_id__in=case_ids).update(description="")
    TakedownRequest.objects.filter(item__case_id__in=case_ids).update(outcome_note="")
    return erased


def _cases_erase(case_ids: list[int], at: datetime.datetime) -> dict:
    """Erase what closed cases hold, keeping their rows and codes (reports count them)."""
    cascaded: dict[str, int] = {}
    _counted(cascaded, "harms.EvidenceFile content", _cases_evidence_erase(case_ids, at))
    for part in (
        Conversation.objects.filter(case_id__in=case_ids),
        _plain(CaseNote).filter(case_id__in=case_ids),
        EscalationMessage.objects.filter(escalation__case_id__in=case_ids),
    ):
        for label, count in _delete(part).items():
            cascaded[label] = cascaded.get(label, 0) + count
    Escalation.objects.filter(case_id__in=case_ids).update(
        summary="", outcome="", decline_reason=""
    )
    Case.objects.filter(pk__in=case_ids).update(summary="", content_erased_at=at)
    for case_id in case_ids:
        case_event_record(
            case_id=case_id,
            actor=None,
            action=CaseEvent.Action.CONTENT_ERASED,
            at=at,
            reason="retention",
        )
    return cascaded


def _rows_delete(model):
    def erase(pks: list, at: datetime.datetime) -> dict:
        return _delete(_plain(model).filter(pk__in=pks))

    return erase


def _conversations_delete(pks: list, at: datetime.datetime) -> dict:
    """Delete contacts and what hangs from them, their evidence files included."""
    cascaded: dict[str, int] = {}
    files = EvidenceFile.objects.filter(conversation_id__in=pks)
    _counted(cascaded, "harms.EvidenceFile content", _evidence_erase(files, at))
    # A file already given to a case stays with the case; one of the contact alone goes.
    files.exclude(case=None).update(conversation=None)
    alone = list(files.filter(case=None).values_list("pk", flat=True))
    cascaded.update(_delete(_plain(EvidenceEvent).filter(file_id__in=alone)))
    cascaded.update(_delete(_plain(EvidenceFile).filter(pk__in=alone)))
    cascaded.update(_delete(Conversation.objects.filter(pk__in=pks)))
    return cascaded


# --- the kinds of data -----------------------------------------------------------------------


@dataclass(frozen=True)
class Purge:
    """One kind of data: which rows are past their period, and how they go.

    due(cutoff) returns the rows whose event (date_field) came at or before the
    cutoff and that may go; erase(pks, at) removes them and returns what
    cascaded. lock: the rows are locked first, because a concurrent change (a
    conversation linked to a case, a case reopened or put on hold) can make
    them stay.
    """

    kind: str
    period: str
    model: type
    date_field: str
    due: Callable[[datetime.datetime], models.QuerySet]
    erase: Callable[[list, datetime.datetime], dict]
    lock: bool = False
    # The rows are cases: their holds are read again once they are locked.
    holds_recheck: bool = False


def _contacts_due(cutoff):
    return Conversation.objects.filter(
        case=None, state__in=CLOSED_CONVERSATION_STATES, ended_at__lte=cutoff
    ).exclude(_voicemail_audio_pending("pk"))


def _closed_cases_due(cutoff):
    conversations_waiting = Exists(
        Voicemail.objects.filter(conversation__case_id=OuterRef("pk"), deleted_at=None)
    )
    return (
        Case.objects.filter(state=CaseState.CLOSED, closed_at__lte=cutoff, content_erased_at=None)
        .exclude(_held())
        .exclude(conversations_waiting)
    )


def _callbacks_due(cutoff):
    return CallbackRequest.objects.filter(state__in=FINISHED_CALLBACK_STATES, closed_at__lte=cutoff)


def _phone_numbers_due(cutoff):
    return (
        PhoneNumber.objects.filter(created_at__lte=cutoff)
        .exclude(Exists(PhoneContact.objects.filter(phone=OuterRef("pk"))))
        .exclude(Exists(Call.objects.filter(phone=OuterRef("pk"))))
        .exclude(Exists(CallbackRequest.objects.filter(phone=OuterRef("pk"))))
    )


def _platform_contacts_due(cutoff):
    """An account on a platform that no conversation or platform message refers to any more."""
    return (
        PlatformContact.objects.filter(created_at__lte=cutoff)
        .exclude(Exists(PlatformThread.objects.filter(contact=OuterRef("pk"))))
        .exclude(Exists(PlatformMessage.objects.filter(contact=OuterRef("pk"))))
    )


def _erased_cases(field: str) -> Q:
    return Q(**{f"{field}__content_erased_at__isnull": False})


PURGES = [
    Purge(
        kind=PurgeKind.CONTACT,
        period="contact_days",
        model=Conversation,
        date_field="ended_at",
        due=_contacts_due,
        erase=_conversations_delete,
        lock=True,
    ),
    Purge(
        kind=PurgeKind.CLOSED_CASE,
        period="closed_case_days",
        model=Case,
        date_field="closed_at",
        due=_closed_cases_due,
        erase=_cases_erase,
        lock=True,
        holds_recheck=True,
    ),
    Purge(
        kind=PurgeKind.CALLBACK,
        period="callback_days",
        model=CallbackRequest,
        date_field="closed_at",
        due=_callbacks_due,
        erase=_rows_delete(CallbackRequest),
    ),
    Purge(
        kind=PurgeKind.PHONE_NUMBER,
        period="contact_days",
        model=PhoneNumber,
        date_field="created_at",
        due=_phone_numbers_due,
        erase=_rows_delete(PhoneNumber),
        lock=True,
    ),
    # A national account's messages held while the province question waits for an answer,
    # never joined to a conversation (the young person did not answer).
    Purge(
        kind=PurgeKind.PLATFORM_HELD_MESSAGE,
        period="contact_days",
        model=PlatformMessage,
        date_field="created_at",
        due=lambda cutoff: PlatformMessage.objects.filter(
            conversation=None, created_at__lte=cutoff
        ),
        erase=_rows_delete(PlatformMessage),
    ),
    Purge(
        kind=PurgeKind.PLATFORM_CONTACT,
        period="contact_days",
        model=PlatformContact,
        date_field="created_at",
        due=_platform_contacts_due,
        erase=_rows_delete(PlatformContact),
        lock=True,
    ),
    Purge(
        kind=PurgeKind.IDENTITY,
        period="identity_days",
        model=YouthIdentity,
        date_field="last_used_at",
        due=lambda cutoff: YouthIdentity.objects.filter(last_used_at__lte=cutoff),
        erase=_rows_delete(YouthIdentity),
    ),
    # Audit rows: past their own period, and only once what they describe is gone.
    Purge(
        kind=PurgeKind.AUDIT_CASE_EVENT,
        period="audit_days",
        model=CaseEvent,
        date_field="at",
        due=lambda cutoff: CaseEvent.objects.filter(_erased_cases("case"), at__lte=cutoff),
        erase=_rows_delete(CaseEvent),
    ),
    Purge(
        kind=PurgeKind.AUDIT_CONVERSATION_READ,
        period="audit_days",
        model=ConversationRead,
        date_field="at",
        due=lambda cutoff: ConversationRead.objects.filter(at__lte=cutoff).exclude(
            _conversation_still_kept("conversation_uuid")
        ),
        erase=_rows_delete(ConversationRead),
    ),
    Purge(
        kind=PurgeKind.AUDIT_MONITORING,
        period="audit_days",
        model=MonitoringSession,
        date_field="started_at",
        due=lambda cutoff: MonitoringSession.objects.filter(
            started_at__lte=cutoff, ended_at__isnull=False
        ).exclude(_conversation_still_kept("conversation_uuid")),
        erase=_rows_delete(MonitoringSession),
    ),
    Purge(
        kind=PurgeKind.AUDIT_PHONE_REVEAL,
        period="audit_days",
        model=PhoneReveal,
        date_field="at",
        due=lambda cutoff: PhoneReveal.objects.filter(at__lte=cutoff).exclude(
            _conversation_still_kept("conversation_uuid")
        ),
        erase=_rows_delete(PhoneReveal),
    ),
    Purge(
        kind=PurgeKind.AUDIT_CALLBACK_EVENT,
        period="audit_days",
        model=CallbackEvent,
        date_field="at",
        due=lambda cutoff: CallbackEvent.objects.filter(at__lte=cutoff).exclude(
            Exists(CallbackRequest.objects.filter(pk=OuterRef("callback_uuid")))
        ),
        erase=_rows_delete(CallbackEvent),
    ),
    Purge(
        kind=PurgeKind.AUDIT_DISCLOSURE,
        period="audit_days",
        model=DisclosureRecord,
        date_field="sent_at",
        due=lambda cutoff: _plain(DisclosureRecord).filter(
            _erased_cases("escalation__case"), sent_at__lte=cutoff
        ),
        erase=_rows_delete(DisclosureRecord),
    ),
    Purge(
        kind=PurgeKind.AUDIT_REPORT_EVENT,
        period="audit_days",
        model=ReportEvent,
        date_field="at",
        due=lambda cutoff: ReportEvent.objects.filter(at__lte=cutoff),
        erase=_rows_delete(ReportEvent),
    ),
    Purge(
        kind=PurgeKind.AUDIT_LEGAL_HOLD,
        period="audit_days",
        model=LegalHold,
        date_field="lifted_at",
        due=lambda cutoff: LegalHold.objects.filter(_erased_cases("case"), lifted_at__lte=cutoff),
        erase=_rows_delete(LegalHold),
    ),
    Purge(
        kind=PurgeKind.AUDIT_BREAK_GLASS,
        period="audit_days",
        model=BreakGlassGrant,
        date_field="expires_at",
        due=lambda cutoff: BreakGlassGrant.objects.filter(
            _erased_cases("case"), expires_at__lte=cutoff
        ),
        erase=_rows_delete(BreakGlassGrant),
    ),
    Purge(
        kind=PurgeKind.AUDIT_DELETION_REQUEST,
        period="audit_days",
        model=DeletionRequest,
        date_field="done_at",
        due=lambda cutoff: DeletionRequest.objects.filter(
            status=DeletionStatus.DONE, done_at__lte=cutoff
        ),
        erase=_rows_delete(DeletionRequest),
    ),
]
PURGES_BY_KIND = {purge.kind: purge for purge in PURGES}


# --- running -------------------------------------------------------------------------------


def purge_batch(purge: Purge, *, now: datetime.datetime, limit: int) -> int:
    """Remove up to `limit` rows of one kind past their period, in one transaction.

    Returns how many went; a PurgeRecord with that count is written with them.
    """
    with transaction.atomic():
        rows = purge.due(retention_cutoff(purge.period, now=now))
        if purge.lock:
            rows = rows.select_for_update(of=("self",))
        rows = rows.order_by(purge.date_field, "pk").values_list("pk", purge.date_field)
        picked = list(rows[:limit])
        if purge.holds_recheck and picked:
            held = holds_in_force(pk for pk, _at in picked)
            picked = [(pk, at) for pk, at in picked if pk not in held]
        if not picked:
            return 0
        cascaded = purge.erase([pk for pk, _at in picked], now)
        dates = sorted(timezone.localdate(at) for _pk, at in picked)
        PurgeRecord.objects.create(
            kind=purge.kind,
            count=len(picked),
            cascaded=cascaded,
            run_at=now,
            oldest=dates[0],
            newest=dates[-1],
        )
    return len(picked)


def purge_run(purge: Purge, *, now: datetime.datetime, batch_size: int, max_batches: int) -> int:
    """Purge one kind in batches until nothing is due or max_batches ran; how many rows went."""
    total = 0
    for _ in range(max_batches):
        done = purge_batch(purge, now=now, limit=batch_size)
        total += done
        if done < batch_size:
            break
    return total
