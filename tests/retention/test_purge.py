"""The purge: what is past its period goes, in recorded batches, and reports keep their figures.

Every test drives the clock: the purge is given `now`, and the data is made at
chosen moments through the helpline's own services.
"""

import datetime

import pytest
from django.db.models import Count

from cases.models import Case, CaseEvent, CaseNote
from escalation.models import DisclosureRecord, Escalation, EscalationMessage
from helpline.models import (
    Channel,
    ContactRecord,
    Conversation,
    ConversationRead,
    Message,
    YouthIdentity,
)
from reports.figures import report_build
from reports.models import ContactCount, ContactRollupChange, ContactWaitCount
from reports.report import ALL
from reports.rollups import contact_day_roll_up
from retention import jobs
from retention.models import LegalHold, PurgeKind, PurgeRecord
from retention.purge import PURGES_BY_KIND, Purge, purge_batch, purge_run
from retention.services import legal_hold_lift, legal_hold_place
from telephony.models import CallbackEvent, CallbackRequest, PhoneNumber
from tests.reports.factories import roll_up_every_day
from tests.retention.helpers import DAY, MINUTE, T0, call, case_from_chat, chat

pytestmark = pytest.mark.usefixtures("reference_data")

CONTACT_ENDED = T0 + 10 * MINUTE
NINETY_DAYS = datetime.timedelta(days=90)
CASE_CLOSED = T0 + 20 * MINUTE
FIVE_YEARS = datetime.timedelta(days=5 * 365)


def purge(now) -> int:
    removed, _finished = jobs.retention_purge(now=now)
    return removed


def records(kind: str) -> list[tuple[int, datetime.date, datetime.date]]:
    return list(
        PurgeRecord.objects.filter(kind=kind)
        .order_by("id")
        .values_list("count", "oldest", "newest")
    )


def contacts_by_channel() -> dict[str, int]:
    """A report's figure: contacts counted by channel, from the contact records."""
    return dict(
        ContactRecord.objects.values("channel").annotate(n=Count("pk")).values_list("channel", "n")
    )


# --- contacts without a case --------------------------------------------------------------------


@pytest.mark.django_db
def test_it_keeps_a_contact_until_its_period_is_over(op_hanoi):
    conversation, _token = chat(operator=op_hanoi)
    assert purge(CONTACT_ENDED + NINETY_DAYS - MINUTE) == 0
    assert Message.objects.filter(conversation=conversation).count() == 2
    assert not PurgeRecord.objects.exists()


@pytest.mark.django_db
def test_it_deletes_a_contact_without_a_case_90_days_after_it_ended_and_keeps_its_record(
    op_hanoi,
):
    conversation, _token = chat(operator=op_hanoi)
    record = ContactRecord.objects.get(conversation=conversation)
    assert purge(CONTACT_ENDED + NINETY_DAYS) == 1
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not Message.objects.filter(conversation_id=conversation.pk).exists()
    record.refresh_from_db()
    assert (record.conversation_id, record.channel, record.hotline.code) == (None, "webchat", "01")
    purged = PurgeRecord.objects.get(kind=PurgeKind.CONTACT)
    assert (purged.count, purged.oldest, purged.newest) == (1, T0.date(), T0.date())
    assert purged.cascaded == {"helpline.Conversation": 1, "helpline.Message": 2}


@pytest.mark.django_db
def test_it_keeps_the_figures_of_earlier_reports_after_the_purge(op_hanoi, hotline_hanoi):
    for day in range(3):
        chat(operator=op_hanoi, at=T0 + day * DAY)
    call(hotline=hotline_hanoi, at=T0)
    before = contacts_by_channel()
    assert before == {Channel.WEBCHAT: 3, Channel.VOICE: 1}
    assert purge(T0 + 2 * DAY + NINETY_DAYS + DAY) == 4
    assert not Conversation.objects.exists()
    assert contacts_by_channel() == before


def year_report(now):
    """Every figure of the union year T0 falls in, for all hotlines, as the page counts it."""
    report = report_build(
        kind="yearly",
        scope=ALL,
        start=datetime.date(2025, 12, 1),
        end=datetime.date(2026, 11, 30),
        now=now,
    )
    return report.tables, report.charts


def rollup_rows() -> list:
    return [
        *ContactCount.objects.order_by("pk").values(),
        *ContactWaitCount.objects.order_by("pk").values(),
    ]


@pytest.mark.django_db
def test_it_keeps_every_figure_and_the_daily_rollups_whole_through_the_purges(
    op_hanoi, hotline_hanoi
):
    for day in range(3):
        chat(operator=op_hanoi, at=T0 + day * DAY)
    call(hotline=hotline_hanoi, at=T0)
    case_from_chat(operator=op_hanoi, escalate=True, at=T0 + DAY)
    rolled_up_at = T0 + 4 * DAY
    assert roll_up_every_day(now=rolled_up_at) == 4
    before, rows = year_report(rolled_up_at), rollup_rows()

    # Every contact and the closed case are past their period.
    assert purge(CASE_CLOSED + DAY + FIVE_YEARS) == 5
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()

    # The purge changed nothing a report counts: no day was marked, the rows are the same.
    assert not ContactRollupChange.objects.exists()
    assert rollup_rows() == rows
    assert year_report(rolled_up_at) == before
    # And the days rolled up again from what the purge left give the same figures.
    for day in range(4):
        contact_day_roll_up(day=(T0 + day * DAY).date(), now=CASE_CLOSED + FIVE_YEARS)
    assert year_report(rolled_up_at) == before


@pytest.mark.django_db
def test_it_purges_in_batches_and_records_each_with_counts_and_dates_only(op_hanoi):
    for day in range(5):
        chat(operator=op_hanoi, at=T0 + day * DAY)
    removed = purge_run(
        PURGES_BY_KIND[PurgeKind.CONTACT],
        now=T0 + 5 * DAY + NINETY_DAYS,
        batch_size=2,
        max_batches=10,
    )
    assert removed == 5
    assert records(PurgeKind.CONTACT) == [
        (2, T0.date(), (T0 + DAY).date()),
        (2, (T0 + 2 * DAY).date(), (T0 + 3 * DAY).date()),
        (1, (T0 + 4 * DAY).date(), (T0 + 4 * DAY).date()),
    ]


@pytest.mark.django_db
def test_it_stops_after_the_batches_of_one_round_and_goes_on_at_the_next(op_hanoi):
    for day in range(5):
        chat(operator=op_hanoi, at=T0 + day * DAY)
    kind = PURGES_BY_KIND[PurgeKind.CONTACT]
    now = T0 + 5 * DAY + NINETY_DAYS
    assert purge_run(kind, now=now, batch_size=2, max_batches=1) == 2
    assert Conversation.objects.count() == 3
    assert purge_run(kind, now=now, batch_size=2, max_batches=1) == 2
    assert purge_run(kind, now=now, batch_size=2, max_batches=1) == 1
    assert purge_run(kind, now=now, batch_size=2, max_batches=1) == 0
    assert sum(count for count, _old, _new in records(PurgeKind.CONTACT)) == 5


@pytest.mark.django_db
def test_it_starts_again_where_a_failed_batch_left_off_without_repeating_a_batch(
    op_hanoi, monkeypatch
):
    for day in range(4):
        chat(operator=op_hanoi, at=T0 + day * DAY)
    real = PURGES_BY_KIND[PurgeKind.CONTACT]
    erased = []

    def erase_then_fail(pks, at):
        if erased:
            raise RuntimeError("the database went away")
        erased.append(pks)
        return real.erase(pks, at)

    failing = Purge(**{**real.__dict__, "erase": erase_then_fail})
    now = T0 + 4 * DAY + NINETY_DAYS
    with pytest.raises(RuntimeError):
        purge_run(failing, now=now, batch_size=2, max_batches=10)
    # The first batch committed with its record; the failed one left nothing behind.
    assert records(PurgeKind.CONTACT) == [(2, T0.date(), (T0 + DAY).date())]
    assert Conversation.objects.count() == 2
    assert purge_run(real, now=now, batch_size=2, max_batches=10) == 2
    assert records(PurgeKind.CONTACT) == [
        (2, T0.date(), (T0 + DAY).date()),
        (2, (T0 + 2 * DAY).date(), (T0 + 3 * DAY).date()),
    ]
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_it_never_deletes_a_conversation_that_is_still_going_on(op_hanoi):
    conversation, _token = chat(operator=op_hanoi, end=False)
    assert purge(T0 + 10 * 365 * DAY) == 0
    assert Message.objects.filter(conversation=conversation).count() == 2


# --- closed cases -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_erases_a_closed_case_after_its_period_and_keeps_its_codes_and_trail(op_hanoi):
    case, conversation, _token = case_from_chat(operator=op_hanoi, escalate=True)
    escalation = Escalation.objects.get(case=case)
    assert purge(CASE_CLOSED + FIVE_YEARS - MINUTE) == 0
    assert purge(CASE_CLOSED + FIVE_YEARS) == 1
    case.refresh_from_db()
    assert case.summary == ""
    assert case.content_erased_at == CASE_CLOSED + FIVE_YEARS
    assert (case.state, case.risk, case.reference) == ("closed", "low", case.reference)
    assert list(case.categories.values_list("code", flat=True)) == ["online.privacy"]
    assert not CaseNote.objects.filter(case=case).exists()
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not Message.objects.filter(conversation_id=conversation.pk).exists()
    assert not EscalationMessage.objects.filter(escalation=escalation).exists()
    escalation.refresh_from_db()
    assert (escalation.summary, escalation.outcome, escalation.state) == ("", "", "withdrawn")
    # Who did what stays: the trail, the disclosure records and the contact record.
    assert DisclosureRecord.objects.filter(escalation=escalation).count() == 2
    assert ContactRecord.objects.filter(case=case).count() == 1
    erased = case.events.get(action=CaseEvent.Action.CONTENT_ERASED)
    assert (erased.actor, erased.detail) == (None, {"reason": "retention"})
    assert records(PurgeKind.CLOSED_CASE) == [(1, CASE_CLOSED.date(), CASE_CLOSED.date())]


@pytest.mark.django_db
def test_it_never_purges_a_case_on_hold_and_does_once_the_hold_is_lifted(op_hanoi, sup_central):
    case, conversation, _token = case_from_chat(operator=op_hanoi)
    hold = legal_hold_place(
        user=sup_central, case_id=case.pk, reason="police_investigation", reference="123/CV-PC02"
    )
    later = CASE_CLOSED + FIVE_YEARS + 30 * DAY
    assert purge(later) == 0
    case.refresh_from_db()
    assert (case.summary, case.content_erased_at) != ("", None)
    assert CaseNote.objects.filter(case=case).count() == 1
    assert Message.objects.filter(conversation=conversation).count() == 2
    legal_hold_lift(user=sup_central, hold_id=hold.pk)
    assert purge(later) == 1
    assert not CaseNote.objects.filter(case=case).exists()
    assert records(PurgeKind.CLOSED_CASE) == [(1, CASE_CLOSED.date(), CASE_CLOSED.date())]


@pytest.mark.django_db
def test_it_reads_the_holds_again_once_it_holds_the_cases(op_hanoi, sup_central):
    """A hold that comes between picking the cases and locking them keeps its case."""
    case, _conversation, _token = case_from_chat(operator=op_hanoi)
    LegalHold.objects.create(
        case=case, reason="police_investigation", reference="9/CV", placed_by=sup_central
    )
    real = PURGES_BY_KIND[PurgeKind.CLOSED_CASE]
    # A pick that had not seen the hold yet.
    blind = Purge(
        **{
            **real.__dict__,
            "due": lambda cutoff: Case.objects.filter(state="closed", closed_at__lte=cutoff),
        }
    )
    assert purge_batch(blind, now=CASE_CLOSED + 2 * FIVE_YEARS, limit=10) == 0
    case.refresh_from_db()
    assert case.content_erased_at is None
    assert CaseNote.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_it_leaves_alone_a_case_that_was_reopened(op_hanoi):
    from cases.services import case_transition

    case, _conversation, _token = case_from_chat(operator=op_hanoi)
    case_transition(user=op_hanoi, case_id=case.pk, transition="reopen")
    assert purge(CASE_CLOSED + 2 * FIVE_YEARS) == 0
    assert CaseNote.objects.filter(case=case).count() == 1


# --- audit rows, passphrases, callbacks ---------------------------------------------------------


@pytest.mark.django_db
def test_it_keeps_audit_rows_as_long_as_the_data_they_describe_and_then_their_period(op_hanoi):
    case, _conversation, _token = case_from_chat(operator=op_hanoi)
    kept_case, _c, _t = case_from_chat(operator=op_hanoi, close=False)
    # Notes are written "now": put every line of both timelines at the start of the story.
    CaseEvent.objects.update(at=T0 + 5 * MINUTE)
    ten_years = datetime.timedelta(days=10 * 365)
    # Ten years on, the open case's content and so its trail stay; the closed one's content goes.
    first = T0 + ten_years + DAY
    purge(first)
    assert case.events.exclude(action=CaseEvent.Action.CONTENT_ERASED).exists() is False
    assert case.events.filter(action=CaseEvent.Action.CONTENT_ERASED).exists()
    assert kept_case.events.count() > 0
    assert CaseEvent.objects.filter(case=kept_case).count() == kept_case.events.count()
    # The line saying the content was erased goes ten years after it was written.
    purge(first + ten_years - MINUTE)
    assert case.events.exists()
    purge(first + ten_years)
    assert not case.events.exists()
    assert kept_case.events.exists()


@pytest.mark.django_db
def test_it_keeps_the_reads_of_a_conversation_while_the_conversation_is_kept(op_hanoi):
    conversation, _token = chat(operator=op_hanoi)
    ConversationRead.objects.create(
        conversation_uuid=conversation.pk,
        actor=op_hanoi,
        kind="accepted",
        first_seq=1,
        last_seq=2,
        at=T0,
    )
    other, _token = chat(operator=op_hanoi, end=False)
    ConversationRead.objects.create(
        conversation_uuid=other.pk,
        actor=op_hanoi,
        kind="accepted",
        first_seq=1,
        last_seq=2,
        at=T0,
    )
    purge(T0 + datetime.timedelta(days=10 * 365) + DAY)
    assert list(ConversationRead.objects.values_list("conversation_uuid", flat=True)) == [other.pk]


@pytest.mark.django_db
def test_it_forgets_a_passphrase_nobody_used_for_its_period(op_hanoi):
    conversation, _token = chat(operator=op_hanoi, end=False)
    identity = YouthIdentity.objects.create(
        lookup="abcd", passphrase_hash="x", created_at=T0, last_used_at=T0
    )
    Conversation.objects.filter(pk=conversation.pk).update(youth_identity=identity)
    assert purge(T0 + datetime.timedelta(days=179)) == 0
    assert purge(T0 + datetime.timedelta(days=180)) == 1
    assert not YouthIdentity.objects.exists()
    conversation.refresh_from_db()
    assert conversation.youth_identity_id is None


@pytest.mark.django_db
def test_it_deletes_a_finished_callback_request_and_then_the_number_nobody_uses(
    hotline_hanoi, op_hanoi
):
    phone = PhoneNumber.objects.create(number_hash="h" * 64, number_encrypted="e", created_at=T0)
    callback = CallbackRequest.objects.create(
        hotline=hotline_hanoi,
        phone=phone,
        window_starts_at=T0,
        window_ends_at=T0 + datetime.timedelta(hours=2),
        may_identify=False,
        state="expired",
        closed_at=T0 + DAY,
        created_at=T0,
    )
    CallbackEvent.objects.create(
        callback_uuid=callback.pk, hotline=hotline_hanoi, action="expired", at=T0 + DAY
    )
    assert purge(T0 + DAY + NINETY_DAYS - MINUTE) == 0
    assert purge(T0 + DAY + NINETY_DAYS) == 2
    assert not CallbackRequest.objects.exists()
    assert not PhoneNumber.objects.exists()
    # Its steps are the trail, kept for the audit period.
    assert CallbackEvent.objects.count() == 1
    # The request goes first, so that its number is free to go in the same round.
    assert list(PurgeRecord.objects.order_by("id").values_list("kind", flat=True)) == [
        PurgeKind.CALLBACK,
        PurgeKind.PHONE_NUMBER,
    ]


# --- the worker ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_runs_from_the_worker_and_rests_once_nothing_is_left(op_hanoi, monkeypatch, settings):
    from helpline.management.commands.run_worker import registered_jobs, run_jobs_once

    monkeypatch.setattr(jobs, "_next_purge_at", None)
    settings.RETENTION_PURGE_INTERVAL_SECONDS = 3600
    chat(operator=op_hanoi)
    now = CONTACT_ENDED + NINETY_DAYS
    done = run_jobs_once(registered_jobs(), now=now)
    assert done["retention.jobs.purge_expired_data"] == 1
    chat(operator=op_hanoi)
    # Within the hour it rests; after it, it looks again.
    assert jobs.purge_expired_data(now=now + 30 * MINUTE) == 0
    assert jobs.purge_expired_data(now=now + 60 * MINUTE) == 1


@pytest.mark.django_db
def test_it_comes_back_at_the_next_round_when_a_round_did_not_finish(
    op_hanoi, monkeypatch, settings
):
    monkeypatch.setattr(jobs, "_next_purge_at", None)
    settings.RETENTION_BATCH_SIZE = 1
    settings.RETENTION_BATCHES_PER_ROUND = 1
    chat(operator=op_hanoi)
    chat(operator=op_hanoi, at=T0 + MINUTE)
    now = CONTACT_ENDED + NINETY_DAYS + DAY
    assert jobs.purge_expired_data(now=now) == 1
    assert jobs.purge_expired_data(now=now + MINUTE) == 1


@pytest.mark.django_db
def test_it_keeps_a_break_glass_grant_while_the_case_content_is_kept_and_for_its_period(
    op_hanoi, sup_hue
):
    from cases.models import BreakGlassGrant

    closed, _conversation, _token = case_from_chat(operator=op_hanoi)
    still_open, _conversation, _token = case_from_chat(operator=op_hanoi, close=False)
    for case in (closed, still_open):
        BreakGlassGrant.objects.create(
            user=sup_hue,
            case=case,
            reason="imminent_danger",
            opened_at=T0,
            expires_at=T0 + 60 * MINUTE,
        )
    ten_years = datetime.timedelta(days=10 * 365)
    purge(T0 + 60 * MINUTE + ten_years - MINUTE)
    assert BreakGlassGrant.objects.count() == 2
    purge(T0 + 60 * MINUTE + ten_years)
    assert list(BreakGlassGrant.objects.values_list("case", flat=True)) == [still_open.pk]


# --- evidence files (harms) -------------------------------------------------------------------


@pytest.fixture
def evidence_storage(settings, tmp_path):
    from cryptography.fernet import Fernet

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    settings.EVIDENCE_ENCRYPTION_KEY = Fernet.generate_key().decode()
    return settings.EVIDENCE_ROOT


def evidence(*, conversation=None, case=None, source="youth"):
    """A screenshot kept as evidence: its row, its custody line and its encrypted file on disk."""
    from harms.models import EvidenceEvent, EvidenceFile
    from harms.storage import CONTENT, evidence_path, evidence_write

    file = EvidenceFile.objects.create(
        conversation=conversation,
        case=case,
        source=source,
        kind="image",
        original_size=3,
        original_sha256="a" * 64,
        sha256="b" * 64,
        size=3,
    )
    EvidenceEvent.objects.create(file=file, action="uploaded")
    evidence_write(file.pk, CONTENT, b"png")
    file.path = evidence_path(file.pk, CONTENT)
    assert file.path.exists()
    return file


@pytest.mark.django_db
def test_it_deletes_a_contacts_screenshot_from_the_disk_with_the_contact(
    op_hanoi, evidence_storage
):
    from harms.models import EvidenceEvent, EvidenceFile

    conversation, _token = chat(operator=op_hanoi)
    screenshot = evidence(conversation=conversation)
    assert purge(CONTACT_ENDED + NINETY_DAYS) == 1
    assert not screenshot.path.exists()
    assert not EvidenceFile.objects.exists()
    assert not EvidenceEvent.objects.exists()
    assert not Conversation.objects.exists()
    purged = PurgeRecord.objects.get(kind=PurgeKind.CONTACT)
    assert purged.cascaded["harms.EvidenceFile content"] == 1


@pytest.mark.django_db
def test_it_erases_a_closed_cases_evidence_and_what_staff_wrote_about_the_harm(
    op_hanoi, evidence_storage
):
    from harms.models import EvidenceFile, OnlineItem, Platform

    case, conversation, _token = case_from_chat(operator=op_hanoi, close=False)
    sent_in_chat = evidence(conversation=conversation)
    uploaded = evidence(case=case, source="staff")
    item = OnlineItem.objects.create(
        case=case,
        platform=Platform.objects.first(),
        kind="account",
        handle="@ke_xau_SECRET",
        url="https://example.invalid/SECRET",
        description="Tài khoản đe doạ em SECRET",
        category=case.categories.first(),
        handle_hash="c" * 64,
        created_by=op_hanoi,
    )
    from tests.retention.helpers import case_close

    case_close(case, by=op_hanoi, at=CASE_CLOSED)
    assert purge(CASE_CLOSED + FIVE_YEARS) == 1
    assert not sent_in_chat.path.exists() and not uploaded.path.exists()
    kept = {
        file.pk: (file.case_id, file.conversation_id, file.sha256, file.deleted_at)
        for file in EvidenceFile.objects.all()
    }
    assert kept == {
        sent_in_chat.pk: (case.pk, None, "b" * 64, CASE_CLOSED + FIVE_YEARS),
        uploaded.pk: (case.pk, None, "b" * 64, CASE_CLOSED + FIVE_YEARS),
    }
    item.refresh_from_db()
    assert (item.description, item.handle_hash) == ("", "c" * 64)
    # Where the harm was stays named: takedowns and the cross-province match need it.
    assert item.handle == "@ke_xau_SECRET"


@pytest.mark.django_db
def test_it_erases_the_screenshots_of_a_conversation_its_young_person_had_deleted(
    op_hanoi, evidence_storage
):
    from django.utils import timezone

    from harms.models import EvidenceFile
    from retention.services import deletion_request_make

    conversation, _token = chat(operator=op_hanoi, at=timezone.now() - datetime.timedelta(hours=1))
    screenshot = evidence(conversation=conversation)
    assert deletion_request_make(conversation_id=conversation.pk).status == "done"
    assert not screenshot.path.exists()
    assert EvidenceFile.objects.get().deleted_at is not None
