"""Benchmark of the reports at national size: every kind and scope, on PostgreSQL.

Not a test. It starts a private PostgreSQL (or uses DATABASE_URL), seeds
synthetic history with `manage.py seed_synthetic` (1,000,000 contacts by
default, with the cases and escalations they open), rolls every past day up
as the worker does (reports.jobs.roll_up_contact_days, timed; days already
rolled up are left), then times, three runs each:

- `reports.figures.report_build` (every figure, counted in the database) for
  every kind (yearly, quarterly, monthly, weekly) over its usual period, for all
  hotlines (with the per-province breakdown) and for the biggest province; and
  the yearly report over the whole history (every contact);
- the report page (`/reports/view/`) as a central supervisor: figures, charts,
  the audit row and the HTML;
- every export, if this tree has reports/exports.

Run 1 follows a restart of a private PostgreSQL (its cache empty; the operating
system's page cache stays warm); runs 2 and 3 are warm. It prints a table and
`EXPLAIN (ANALYZE, BUFFERS)` of the heaviest query of the yearly report.

Usage: python bench/reports.py [--contacts 1000000] [--cases N] [--escalations N]
       [--seed 1] [--runs 3] [--province 79]
"""

import argparse
import datetime
import importlib.util
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.national import (
    django_setup,
    explain,
    machine,
    national_database,
    slowest_query,
)
from bench.pgserver import postgres_for_bench, server_description


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--escalations", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--province", default="79", help="the province measured alone")
    return parser.parse_args()


def scenarios(province: str, first_day: datetime.date):
    from reports.periods import default_period, local_today
    from reports.report import ALL

    today = local_today()
    for kind in ("yearly", "quarterly", "monthly", "weekly"):
        period = default_period(kind, today=today)
        for scope in (ALL, province):
            yield kind, scope, period.start, period.end
    yield "yearly", ALL, first_day, today


def roll_up_every_day() -> str:
    """Run the worker's rollup job until no past day is left; say how long it took."""
    from django.db import connection
    from django.utils import timezone

    from reports.jobs import roll_up_contact_days
    from reports.models import ContactCount, ContactRollupDay, ContactRollupMonth, ContactWaitCount

    started, days = time.monotonic(), 0
    while done := roll_up_contact_days(now=timezone.now()):
        days += done
    seconds = time.monotonic() - started
    with connection.cursor() as cursor:
        for model in (ContactCount, ContactWaitCount, ContactRollupDay, ContactRollupMonth):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return (
        f"rolled up {days} days in {seconds:.1f} s; the rollups hold "
        f"{ContactRollupDay.objects.count():,} days, "
        f"{ContactRollupMonth.objects.filter(rolled_up_at__isnull=False).count()} months, "
        f"{ContactCount.objects.count():,} count rows and "
        f"{ContactWaitCount.objects.count():,} histogram rows"
    )


def cold_start(server) -> None:
    from django.db import connections

    if server is None:
        return
    connections.close_all()
    server.restart()


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(server, client, runs: int, kind: str, scope: str, start, end) -> dict:
    """Time the figures (run 1 cold), the page and every export of one report."""
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from reports.figures import report_build
    from tests.logins import staff_login

    now = timezone.now()

    def build():
        return report_build(kind=kind, scope=scope, start=start, end=end, now=now)

    query = {"kind": kind, "scope": scope, "start": start.isoformat(), "end": end.isoformat()}

    def fetch(url):
        response = client.get(url, query, secure=True)
        assert response.status_code == 200, (url, response.status_code)

    cold_start(server)
    # A fresh login is also the proof an export asks for again (for ten minutes).
    staff_login(client, client.user)
    figures = [timed(build) for _run in range(runs)]
    page = [timed(lambda: fetch(reverse("reports:view"))) for _run in range(runs)]
    exported = {}
    if importlib.util.find_spec("reports.exports") is not None:
        for format_name in ("csv", "xlsx", "docx"):
            try:
                url = reverse("reports:export", args=[format_name])
            except NoReverseMatch:
                continue
            exported[format_name] = [timed(lambda url=url: fetch(url)) for _run in range(runs)]
    return {"figures": figures, "page": page, "exports": exported, "build": build}


def seconds_list(values) -> str:
    return " / ".join(f"{seconds:.2f} s" for seconds in values)


def main() -> None:
    options = arguments()
    with postgres_for_bench() as server:
        django_setup()
        from django.db import connection
        from django.test import Client
        from django.utils import timezone

        from helpline.models import ContactRecord, User
        from reports.periods import Period
        from reports.report import ALL
        from reports.selectors import contacts_in, report_scope_get

        print(f"machine: {machine()}")
        seeded = national_database(
            contacts=options.contacts,
            cases=options.cases,
            escalations=options.escalations,
            queued=0,
            seed=options.seed,
        )
        print(f"database: {server_description(connection)}; {seeded}")
        print(roll_up_every_day(), flush=True)
        first_ended = ContactRecord.objects.order_by("ended_at").values_list("ended_at", flat=True)
        first_day = timezone.localdate(first_ended.first())
        client = Client()
        client.user = User.objects.get(username="sup_central")
        rows, heaviest = [], None
        for kind, scope, start, end in scenarios(options.province, first_day):
            period = Period(start, end)
            counted = contacts_in(scope=report_scope_get(code=scope), period=period).count()
            measured = measure(server, client, options.runs, kind, scope, start, end)
            rows.append((kind, scope, f"{start} – {end}", counted, measured))
            print(
                f"{kind} {scope} {start}–{end}: figures {seconds_list(measured['figures'])}",
                flush=True,
            )
            if kind == "yearly" and scope == ALL and heaviest is None:
                heaviest = slowest_query(measured["build"])
        print()
        print("| report | scope | period | contacts in period | figures: run 1 (cold) / 2 / 3 "
              "| page: run 1 / 2 / 3 |")  # fmt: skip
        print("|---|---|---|---|---|---|")
        for kind, scope, period, counted, measured in rows:
            figures, page = seconds_list(measured["figures"]), seconds_list(measured["page"])
            print(f"| {kind} | {scope} | {period} | {counted:,} | {figures} | {page} |")
        if any(measured["exports"] for *_row, measured in rows):
            print("\n| report | scope | export | run 1 / 2 / 3 |\n|---|---|---|---|")
            for kind, scope, _period, _counted, measured in rows:
                for format_name, runs in measured["exports"].items():
                    print(f"| {kind} | {scope} | {format_name} | {seconds_list(runs)} |")
        else:
            print("\nexports: this tree has no reports/exports; none timed.")
        if heaviest:
            seconds, sql = heaviest
            print(f"\nheaviest query of the yearly report, all hotlines ({seconds * 1000:.0f} ms):")
            print(f"{sql}\n\n{explain(sql)}")


if __name__ == "__main__":
    main()
