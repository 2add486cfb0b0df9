"""The reports' one write: the weekly situation report the worker makes every Monday."""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.audit import report_event_record
from reports.figures import KIND_LABELS
from reports.models import ReportEvent, WeeklyReport
from reports.periods import week_reference
from reports.report import Report
from reports.selectors import ReportScope, report_supervisors

# Monday, local time: when last week's reports are due.
WEEKLY_REPORT_AT = datetime.time(7, 0)
# How late a round may still make them.
WEEKLY_REPORT_LATE_LIMIT = datetime.timedelta(days=1)


def _link(*, scope: ReportScope, week_start: datetime.date) -> str:
    query = urlencode({"kind": "weekly", "start": week_start.isoformat(), "scope": scope.code})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse('reports:view')}?{query}"


@transaction.atomic
def weekly_report_generate(
    *, scope: ReportScope, week_start: datetime.date, now: datetime.datetime
) -> WeeklyReport | None:
    """Record the weekly report of a scope and week, and tell its supervisors by e-mail.

    Returns None when it already exists (an earlier round or another worker made
    it): the unique constraint, not a prior read, decides, so it is never made
    or announced twice. The mail carries the report's reference and a link,
    never a figure: the figures are read on the page, behind a login. A mail that
    cannot be sent rolls everything back, and the next round tries again.
    """
    try:
        with transaction.atomic():
            weekly = WeeklyReport.objects.create(
                scope=scope.code, week_start=week_start, generated_at=now
            )
    except IntegrityError:
        return None
    reference = week_reference(week_start)
    week_end = week_start + datetime.timedelta(days=6)
    report_event_record(
        report=Report(
            kind="weekly",
            scope=scope.code,
            scope_name=scope.name,
            start=week_start,
            end=week_end,
            title=f"{KIND_LABELS['weekly']} {reference}",
            generated_at=now,
        ),
        actor=None,
        action=ReportEvent.Action.GENERATED,
    )
    recipients = [user.email for user in report_supervisors(scope=scope) if user.email]
    if recipients:
        send_mail(
            subject=_("[Tổng đài] Báo cáo tình hình tuần %(week)s: %(scope)s")
            % {"week": reference, "scope": scope.name},
            message=_(
                "Báo cáo tình hình tuần %(week)s (%(start)s – %(end)s) của %(scope)s "
                "đã được lập.\n\nĐăng nhập để xem: %(link)s\n\n"
                "Thư này không chứa số liệu của báo cáo."
            )
            % {
                "week": reference,
                "start": week_start.strftime("%d/%m/%Y"),
                "end": week_end.strftime("%d/%m/%Y"),
                "scope": scope.name,
                "link": _link(scope=scope, week_start=week_start),
            },
            from_email=None,
            recipient_list=recipients,
        )
    return weekly


def weekly_report_due_week(*, now: datetime.datetime) -> datetime.date | None:
    """The Monday of the week whose reports are due at `now`, or None.

    A week's reports are due from 07:00 local time on the Monday after it, and
    the worker makes them in its first round from then until a day later. A
    worker stopped for longer than that leaves the week unannounced (the page
    still builds any week's report on demand); a late announcement of last
    week's figures helps nobody on Sunday night.
    """
    local = timezone.localtime(now)
    monday = local.date() - datetime.timedelta(days=local.weekday())
    due_at = timezone.make_aware(datetime.datetime.combine(monday, WEEKLY_REPORT_AT))
    if due_at <= now < due_at + WEEKLY_REPORT_LATE_LIMIT:
        return monday - datetime.timedelta(days=7)
    return None
