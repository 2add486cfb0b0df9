"""Timed work of the reports, run by `manage.py run_worker`."""

import datetime

from reports.rollups import contact_days_roll_up
from reports.selectors import weekly_report_scopes, weekly_report_scopes_made
from reports.services import weekly_report_due_week, weekly_report_generate

# Days rolled up per round of the worker: a day is three grouped counts over its
# contacts (a few milliseconds each at national size), so a round stays short, and
# three years of history are rolled up in about twenty rounds after an upgrade.
ROLLUP_DAYS_PER_ROUND = 60


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


def roll_up_contact_days(*, now: datetime.datetime) -> int:
    """Roll up the past days not rolled up yet, or changed since (reports/rollups.py)."""
    return contact_days_roll_up(now=now, limit=ROLLUP_DAYS_PER_ROUND)


JOBS = [roll_up_contact_days, generate_weekly_reports]
