"""The worker's escalation jobs: each notification exactly once, across rounds and restarts."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cases.models import CaseEvent
from escalation import jobs
from escalation.models import EscalationNotice
from escalation.services import escalation_transition
from helpline.groups import staff_group
from helpline.management.commands.run_worker import registered_jobs, run_jobs_once
from tests.escalation.helpers import T0, GroupListener, agency, escalate

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def supervisors_with_email(sup_hanoi, sup_central):
    sup_hanoi.email = "sup-hanoi@example.invalid"
    sup_hanoi.save()
    sup_central.email = "sup-central@example.invalid"
    sup_central.save()
    return sup_hanoi, sup_central


def test_it_registers_the_escalation_jobs_with_the_worker():
    assert jobs.notify_acknowledgement_overdue in registered_jobs()
    assert jobs.email_agency_immediate in registered_jobs()


@pytest.mark.django_db
def test_it_tells_the_case_supervisors_once_when_the_acknowledgement_deadline_passes(
    op_hanoi, supervisors_with_email, make_case, django_capture_on_commit_callbacks
):
    sup_hanoi, sup_central = supervisors_with_email
    case = make_case(by=op_hanoi)
    escalation = escalate(case, by=op_hanoi, urgency="24h", at=T0, summary="NỘI-DUNG-RIÊNG")
    deadline = escalation.acknowledge_by
    console = GroupListener(staff_group(sup_hanoi.pk))
    elsewhere = GroupListener(staff_group(sup_central.pk), staff_group(op_hanoi.pk))

    assert jobs.notify_acknowledgement_overdue(now=deadline - MINUTE) == 0
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.notify_acknowledgement_overdue(now=deadline + MINUTE) == 1
    # A second round, later still, finds it already done.
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.notify_acknowledgement_overdue(now=deadline + 60 * MINUTE) == 0

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["sup-hanoi@example.invalid"]
    assert case.reference in sent.subject
    assert "NỘI-DUNG-RIÊNG" not in sent.body
    frames = console.drain()
    assert len(frames) == 1
    assert frames[0]["frame"]["escalation"] == escalation.pk
    assert frames[0]["frame"]["state"] == "sent"
    assert "chưa tiếp nhận" in frames[0]["frame"]["notice"]
    assert elsewhere.drain() == []
    notice = EscalationNotice.objects.get()
    assert (notice.kind, notice.about) == ("ack_overdue", deadline)
    assert case.events.filter(
        action=CaseEvent.Action.ESCALATION,
        actor=None,
        detail={"escalation": escalation.pk, "notice": "ack_overdue"},
    ).exists()


@pytest.mark.django_db
def test_it_falls_back_to_the_central_supervisors_when_the_hotline_has_none(
    op_hue, supervisors_with_email, make_case
):
    case = make_case(by=op_hue)
    escalation = escalate(case, by=op_hue, urgency="immediate", at=T0)
    jobs.notify_acknowledgement_overdue(now=escalation.acknowledge_by + MINUTE)
    assert [m.to for m in mail.outbox if "Quá hạn" in m.subject] == [
        ["sup-central@example.invalid"]
    ]


@pytest.mark.django_db
def test_it_does_not_remind_about_an_escalation_acknowledged_in_time(
    op_hanoi, liaison_a05, supervisors_with_email, make_case
):
    escalation = escalate(make_case(by=op_hanoi), by=op_hanoi, at=T0)
    escalation_transition(
        user=liaison_a05, escalation_id=escalation.pk, transition="acknowledge", at=T0 + MINUTE
    )
    assert jobs.notify_acknowledgement_overdue(now=escalation.acknowledge_by + MINUTE) == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_reminds_again_for_the_new_deadline_of_a_resubmitted_escalation(
    op_hanoi, liaison_a05, supervisors_with_email, make_case
):
    escalation = escalate(make_case(by=op_hanoi), by=op_hanoi, at=T0)
    jobs.notify_acknowledgement_overdue(now=escalation.acknowledge_by + MINUTE)
    escalation_transition(
        user=liaison_a05, escalation_id=escalation.pk, transition="return", text="Thiếu thông tin"
    )
    resent_at = escalation.acknowledge_by + 10 * MINUTE
    escalation = escalation_transition(
        user=op_hanoi,
        escalation_id=escalation.pk,
        transition="resubmit",
        text="Đã bổ sung",
        at=resent_at,
    )
    assert jobs.notify_acknowledgement_overdue(now=escalation.acknowledge_by + MINUTE) == 1
    assert EscalationNotice.objects.filter(kind="ack_overdue").count() == 2


@pytest.mark.django_db
def test_it_emails_the_agency_once_for_each_new_immediate_escalation(
    op_hanoi, liaison_a05, make_case
):
    immediate = escalate(
        make_case(by=op_hanoi), by=op_hanoi, urgency="immediate", at=T0, summary="NỘI-DUNG"
    )
    escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="24h", at=T0)

    assert jobs.email_agency_immediate(now=T0 + MINUTE) == 1
    assert jobs.email_agency_immediate(now=T0 + 2 * MINUTE) == 0

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [agency("a05-police").notification_email]
    assert f"#{immediate.pk}" in sent.subject
    assert f"/liaison/{immediate.pk}/" in sent.body
    assert "NỘI-DUNG" not in sent.body
    assert immediate.case.reference not in sent.body


@pytest.mark.django_db
def test_it_does_not_email_an_agency_about_an_escalation_already_acknowledged_or_withdrawn(
    op_hanoi, liaison_a05, make_case
):
    first = escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="immediate", at=T0)
    second = escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="immediate", at=T0)
    escalation_transition(user=liaison_a05, escalation_id=first.pk, transition="acknowledge")
    escalation_transition(user=op_hanoi, escalation_id=second.pk, transition="withdraw", text="x")
    assert jobs.email_agency_immediate(now=T0 + MINUTE) == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_sends_each_notification_exactly_once_across_worker_restarts(
    op_hanoi, supervisors_with_email, make_case
):
    # Deadlines already passed by the real clock the command runs on.
    long_ago = timezone.now() - datetime.timedelta(days=10)
    escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="immediate", at=long_ago)
    # The escalation jobs only: on a Monday morning the weekly reports' notices would be
    # sent too, whatever this test is about.
    escalation_jobs = [f"--job=escalation.jobs.{job.__name__}" for job in jobs.JOBS]
    call_command("run_worker", "--once", *escalation_jobs)
    first_run = [(m.subject, tuple(m.to)) for m in mail.outbox]
    # The worker is stopped and started again: a new process, the same database.
    call_command("run_worker", "--once", *escalation_jobs)
    call_command("run_worker", "--once", "--interval", "1", *escalation_jobs)

    assert [(m.subject, tuple(m.to)) for m in mail.outbox] == first_run
    assert sorted(to for _subject, to in first_run) == [
        (agency("a05-police").notification_email,),
        ("sup-hanoi@example.invalid",),
    ]
    assert EscalationNotice.objects.count() == 2


@pytest.mark.django_db
def test_it_keeps_running_the_other_jobs_when_one_fails(op_hanoi, make_case):
    escalate(make_case(by=op_hanoi), by=op_hanoi, urgency="immediate", at=T0)

    def broken(*, now):
        raise RuntimeError("boom")

    done = run_jobs_once([broken, jobs.email_agency_immediate], now=T0 + MINUTE)
    assert done[f"{__name__}.broken"] == 0
    assert done["escalation.jobs.email_agency_immediate"] == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_it_runs_only_the_jobs_asked_for(op_hanoi, make_case):
    escalate(
        make_case(by=op_hanoi),
        by=op_hanoi,
        urgency="immediate",
        at=timezone.now() - datetime.timedelta(days=1),
    )
    call_command("run_worker", "--once", "--job", "escalation.jobs.email_agency_immediate")
    assert [notice.kind for notice in EscalationNotice.objects.all()] == ["agency_immediate"]
