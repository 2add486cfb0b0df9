"""Timed work of the reports, run by `manage.py run_worker`."""

import datetime

from reports.selectors import weekly_report_scopes, weekly_report_scopes_made
from reports.services import weekly_report_due_week, weekly_report_generate


def generate_weekly_reports(*, now: datetime.datetime) -> int:
    """On Monday from 07:00, make last week's report for central (ALL) and every province."""
    week_start = weekly_report_due_week(now=now)
    if week_start is None:
        return 0
    done = weekly_report_scopes_made(week_start=week_start)
    made = 0
    for scope in weekly_report_scopes():
        if scope.code not in done and weekly_report_generate(
            scope=scope, week_start=week_start, now=now
        ):
            made += 1
    return made


JOBS = [generate_weekly_reports]
