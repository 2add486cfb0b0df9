"""The worker's weekly situation reports: Monday 07:00, once per scope, a notice without figures."""

import datetime
import zoneinfo

import pytest
from django.core import mail
from django.core.management import call_command

from helpline.management.commands.run_worker import registered_jobs
from helpline.models import ContactRecord, Hotline
from reports import jobs
from reports.models import ReportEvent, WeeklyReport
from tests.logins import staff_login

pytestmark = pytest.mark.django_db

LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
SUNDAY_LAST_MINUTE = datetime.datetime(2026, 11, 29, 23, 59, tzinfo=LOCAL)
MONDAY_SEVEN = datetime.datetime(2026, 11, 30, 7, 0, tzinfo=LOCAL)
LAST_WEEK = datetime.date(2026, 11, 23)


@pytest.fixture
def supervisors(sup_hanoi, sup_central, settings):
    settings.PUBLIC_BASE_URL = "https://tongdai.example"
    sup_hanoi.email = "sup-hanoi@example.invalid"
    sup_hanoi.save()
    sup_central.email = "sup-central@example.invalid"
    sup_central.save()
    return sup_hanoi, sup_central


def test_it_registers_the_weekly_reports_with_the_worker():
    assert jobs.generate_weekly_reports in registered_jobs()


def test_it_makes_last_weeks_report_once_per_scope_from_monday_seven(supervisors):
    hotline = Hotline.objects.get(code="01")
    ended = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL)
    for _index in range(37):
        ContactRecord.objects.create(
            channel="sms", hotline=hotline, queued_at=ended, ended_at=ended
        )

    assert jobs.generate_weekly_reports(now=SUNDAY_LAST_MINUTE) == 0
    assert jobs.generate_weekly_reports(now=MONDAY_SEVEN - datetime.timedelta(seconds=1)) == 0
    assert not WeeklyReport.objects.exists() and mail.outbox == []

    provinces = Hotline.objects.filter(is_central=False).count()
    assert jobs.generate_weekly_reports(now=MONDAY_SEVEN) == provinces + 1
    assert jobs.generate_weekly_reports(now=MONDAY_SEVEN + datetime.timedelta(minutes=1)) == 0

    scopes = sorted(WeeklyReport.objects.values_list("scope", flat=True))
    assert scopes == sorted(
        ["all", *Hotline.objects.filter(is_central=False).values_list("code", flat=True)]
    )
    assert set(WeeklyReport.objects.values_list("week_start", flat=True)) == {LAST_WEEK}
    events = ReportEvent.objects.filter(action="generated")
    assert events.count() == provinces + 1
    assert set(events.values_list("actor", "kind", "start", "end")) == {
        (None, "weekly", LAST_WEEK, datetime.date(2026, 11, 29))
    }


def test_it_tells_the_scopes_supervisors_with_a_reference_and_a_link_but_no_figure(supervisors):
    hotline = Hotline.objects.get(code="01")
    ended = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL)
    for _index in range(37):
        ContactRecord.objects.create(
            channel="sms", hotline=hotline, queued_at=ended, ended_at=ended, risk="imminent"
        )

    jobs.generate_weekly_reports(now=MONDAY_SEVEN)

    by_recipient = {tuple(message.to): message for message in mail.outbox}
    assert set(by_recipient) == {("sup-hanoi@example.invalid",), ("sup-central@example.invalid",)}
    hanoi = by_recipient[("sup-hanoi@example.invalid",)]
    assert "Báo cáo tình hình tuần 2026-W48" in hanoi.subject
    assert (
        "https://tongdai.example/reports/view/?kind=weekly&start=2026-11-23&scope=01" in hanoi.body
    )
    central = by_recipient[("sup-central@example.invalid",)]
    assert "scope=all" in central.body
    for message in mail.outbox:
        text = message.subject + message.body
        assert "37" not in text  # the week's contacts, and its contacts in danger
        assert "Lượt liên hệ" not in text


def test_it_makes_nothing_once_the_day_after_has_passed(supervisors):
    assert jobs.generate_weekly_reports(now=MONDAY_SEVEN + datetime.timedelta(days=1)) == 0
    assert jobs.generate_weekly_reports(now=MONDAY_SEVEN + datetime.timedelta(hours=23)) > 0


def test_it_runs_from_the_worker_command(supervisors, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: MONDAY_SEVEN + datetime.timedelta(minutes=3))

    call_command("run_worker", "--once", "--job", "reports.jobs.generate_weekly_reports")

    assert WeeklyReport.objects.filter(scope="all", week_start=LAST_WEEK).exists()


def test_it_lets_the_supervisor_open_the_announced_report(supervisors, client):
    jobs.generate_weekly_reports(now=MONDAY_SEVEN)
    link = next(m for m in mail.outbox if m.to == ["sup-hanoi@example.invalid"]).body
    path = link[link.index("/reports/view/") :].split()[0]

    staff_login(client, supervisors[0])
    response = client.get(path)

    assert response.status_code == 200
    assert response.context["report"].title == "Báo cáo tình hình tuần 2026-W48"
