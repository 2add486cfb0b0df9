"""Benchmark of the case and escalation pages at national size, on PostgreSQL.

Not a test. It starts a private PostgreSQL (or uses DATABASE_URL), seeds
1,000,000 contacts and 1,000,000 cases over 35 hotlines with their timelines,
50,000 escalations with their agencies' grants and a few hundred conversations
waiting in the queues (`manage.py seed_synthetic`), then times N requests of
each page through Django's test client in this process, with the production
settings (DEBUG off): server time only, middleware, session, queries, template
and all, no network. Measured:

- the case list as an operator and a provincial supervisor of the biggest
  province (Ho Chi Minh City) and as a central supervisor, with the filters
  and a page deep in the history, and as an operator and a supervisor (its
  closed cases of a rare category) of the smallest province;
- a case page (each request a different case);
- the liaison queue of the national police unit (A05): its first page, two
  filters, a page 500 escalations deep, and the first page its socket sends
  (a function call, as the socket makes it);
- the console's queue snapshot: `helpline.selectors.queue_for_user` and the
  payloads the socket sends (a function call, as the socket makes it);
- the supervisors' live board, national and of the biggest province: one read
  (`reports.sockets.board_read_now`, a function call, as the board's socket
  makes it for every board of a scope).

Each is warmed up with 5 requests first. It prints p50, p95 and max of the
whole request and p50 and p95 of its database time (the time spent in the
queries, measured around each one in this process), then
`EXPLAIN (ANALYZE, BUFFERS)` of the slowest query of one request of each.

Usage: python bench/pages.py [--contacts 1000000] [--cases 1000000]
       [--escalations 50000] [--requests 100] [--seed 1] [--no-explain]
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.national import (
    django_setup,
    explain,
    machine,
    national_database,
    percentile,
    slowest_query,
    summary_ms,
)
from bench.pgserver import postgres_for_bench, server_description

PROVINCE = "79"  # Ho Chi Minh City, the most cases
SMALL_PROVINCE = "12"  # Lai Chau, the fewest
WARM_UP = 5


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--escalations", type=int, default=50_000)
    parser.add_argument("--queued", type=int, default=300)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-explain", action="store_true")
    return parser.parse_args()


def deep_cursor(cases, depth: int) -> str:
    """The id of the case `depth` cases down the list (or the last): a page far into the history."""
    depth = min(depth, cases.count() - 1)
    return str(cases.order_by("-created_at", "-pk").values_list("pk", flat=True)[depth])


def page_scenarios(users):
    """(name, user, url name, query) of every case list page measured."""
    from cases.models import Case

    operator, supervisor, central = users["operator"], users["supervisor"], users["central"]
    hotline_cases = Case.objects.filter(hotline_id=operator.hotline_id)
    lists = [
        ("list, operator", operator, {}),
        ("list, operator, state=open", operator, {"state": "open"}),
        ("list, operator, risk=high", operator, {"risk": "high"}),
        ("list, operator, category=online (a branch)", operator, {"category": "online"}),
        ("list, operator, category=online.sextortion", operator, {"category": "online.sextortion"}),
        (
            "list, operator, state=open risk=imminent",
            operator,
            {"state": "open", "risk": "imminent"},
        ),
        (
            "list, operator, 10,000 cases deep",
            operator,
            {"older_than": deep_cursor(hotline_cases, 10_000)},
        ),
        ("list, operator of the smallest province (12)", users["small operator"], {}),
        ("list, provincial supervisor", supervisor, {}),
        (
            "list, provincial supervisor, state=closed category=violence",
            supervisor,
            {"state": "closed", "category": "violence"},
        ),
        (
            "list, supervisor of the smallest province (12), state=closed "
            "category=missing.abduction",
            users["small supervisor"],
            {"state": "closed", "category": "missing.abduction"},
        ),
        ("list, central supervisor", central, {}),
        ("list, central supervisor, hotline=79", central, {"hotline": PROVINCE}),
        ("list, central supervisor, risk=imminent", central, {"risk": "imminent"}),
        ("list, central supervisor, state=new", central, {"state": "new"}),
        ("list, central supervisor, category=online.ocsea", central, {"category": "online.ocsea"}),
        (
            "list, central supervisor, 100,000 cases deep",
            central,
            {"older_than": deep_cursor(Case.objects.all(), 100_000)},
        ),
    ]
    return [(name, user, "cases:list", query) for name, user, query in lists]


class DatabaseTime:
    """The time spent in queries while installed (Django's execute wrapper), in seconds."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def measure(label, requests, action, *, explain_plans: bool, plans: list):
    """(request seconds, database seconds) of each of `requests` calls of action."""
    from django.db import connection

    for _index in range(WARM_UP):
        action(0)
    times, database_times = [], []
    for index in range(requests):
        database = DatabaseTime()
        with connection.execute_wrapper(database):
            started = time.perf_counter()
            action(index)
            times.append(time.perf_counter() - started)
        database_times.append(database.seconds)
    database_p50 = percentile(database_times, 0.5) * 1000
    database_p95 = percentile(database_times, 0.95) * 1000
    print(
        f"{label:<64} {summary_ms(times)}  database p50 {database_p50:6.1f} ms "
        f"p95 {database_p95:6.1f} ms",
        flush=True,
    )
    if explain_plans:
        seconds, sql = slowest_query(lambda: action(0))
        plans.append((label, seconds, sql))
    return times, database_times


def main() -> None:
    options = arguments()
    with postgres_for_bench():
        django_setup()
        from django.db import connection
        from django.test import Client
        from django.urls import reverse
        from django.utils import timezone

        from cases.models import Case
        from escalation.selectors import liaison_queue, liaison_queue_page
        from helpline import payloads, selectors
        from helpline.models import User
        from reports.report import ALL
        from reports.sockets import board_read_now
        from tests.logins import staff_login

        print(f"machine: {machine()}")
        seeded = national_database(
            contacts=options.contacts,
            cases=options.cases,
            escalations=options.escalations,
            queued=options.queued,
            seed=options.seed,
        )
        print(f"database: {server_description(connection)}; {seeded}")
        users = {
            "operator": User.objects.get(username=f"synthetic-ope-{PROVINCE}-001"),
            "small operator": User.objects.get(username=f"synthetic-ope-{SMALL_PROVINCE}-001"),
            "supervisor": User.objects.get(username=f"synthetic-sup-{PROVINCE}-001"),
            "small supervisor": User.objects.get(username=f"synthetic-sup-{SMALL_PROVINCE}-001"),
            "central": User.objects.get(username="sup_central"),
            "liaison": User.objects.get(username="liaison_a05"),
            "central operator": User.objects.get(username="op_central"),
        }
        print(
            f"cases {Case.objects.count():,}; of {PROVINCE}: "
            f"{Case.objects.filter(hotline_id=users['operator'].hotline_id).count():,}\n"
        )
        results, plans = {}, []
        clients = {}
        for role, user in users.items():
            clients[role] = Client()
            staff_login(clients[role], user)

        def get(role, url, query=None):
            def action(_index):
                response = clients[role].get(url, query or {}, secure=True)
                assert response.status_code == 200, (url, response.status_code)

            return action

        for name, user, url_name, query in page_scenarios(users):
            role = next(role for role, candidate in users.items() if candidate == user)
            results[name] = measure(
                name,
                options.requests,
                get(role, reverse(url_name), query),
                explain_plans=not options.no_explain,
                plans=plans,
            )
        rng = random.Random(options.seed)
        for role, label in (
            ("operator", "case page, operator"),
            ("central", "case page, central supervisor"),
        ):
            hotline = users["operator"].hotline_id
            ids = list(
                Case.objects.filter(hotline_id=hotline).values_list("pk", flat=True)[:50_000]
            )
            chosen = [rng.choice(ids) for _index in range(options.requests + WARM_UP)]

            def case_page(index, role=role, chosen=chosen):
                response = clients[role].get(
                    reverse("cases:detail", args=[chosen[index]]), secure=True
                )
                assert response.status_code == 200

            results[label] = measure(
                label,
                options.requests,
                case_page,
                explain_plans=not options.no_explain,
                plans=plans,
            )
        queue = list(liaison_queue(user=users["liaison"]).values_list("pk", flat=True))
        print(f"\nliaison queue of A05: {len(queue):,} open escalations\n")
        deep = str(queue[min(500, len(queue) - 1)])
        for label, query in (
            ("liaison queue (A05)", {}),
            ("liaison queue (A05), state=sent", {"state": "sent"}),
            ("liaison queue (A05), urgency=immediate", {"urgency": "immediate"}),
            ("liaison queue (A05), 500 escalations deep", {"after": deep}),
        ):
            results[label] = measure(
                label,
                options.requests,
                get("liaison", reverse("liaison:queue"), query),
                explain_plans=not options.no_explain,
                plans=plans,
            )
        label = "liaison socket's queue frame (A05)"
        results[label] = measure(
            label,
            options.requests,
            lambda _index: liaison_queue_page(user=users["liaison"], now=timezone.now()),
            explain_plans=not options.no_explain,
            plans=plans,
        )
        for role in ("operator", "central operator"):
            user = users[role]
            label = f"console queue snapshot, {role}"

            def snapshot(_index, user=user):
                return [
                    payloads.queue_item(c, user=user) for c in selectors.queue_for_user(user=user)
                ]

            results[label] = measure(
                label, options.requests, snapshot, explain_plans=not options.no_explain, plans=plans
            )
        for label, scope in (
            ("board, national (central supervisors)", ALL),
            (f"board, province {PROVINCE}", users["operator"].hotline_id),
        ):
            results[label] = measure(
                label,
                options.requests,
                lambda _index, scope=scope: board_read_now(scope),
                explain_plans=not options.no_explain,
                plans=plans,
            )
        print()
        print("| page | p50 | p95 | max | database p50 | database p95 |")
        print("|---|---|---|---|---|---|")
        for name, (times, database_times) in results.items():
            p50, p95 = percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000
            database_p50 = percentile(database_times, 0.5) * 1000
            database_p95 = percentile(database_times, 0.95) * 1000
            print(
                f"| {name} | {p50:.1f} ms | {p95:.1f} ms | {max(times) * 1000:.1f} ms "
                f"| {database_p50:.1f} ms | {database_p95:.1f} ms |"
            )
        for label, seconds, sql in plans:
            print(f"\n== {label}: slowest query {seconds * 1000:.1f} ms\n{sql}\n")
            print(explain(sql))


if __name__ == "__main__":
    main()
