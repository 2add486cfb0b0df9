"""The national-size database the report and page benchmarks measure on, and their tools.

`national_database(...)` sets Django up with the real settings (DEBUG off,
static files collected, as in production) against DATABASE_URL, migrates,
loads the hotlines, agencies and demo staff, and seeds synthetic history
(`manage.py seed_synthetic`) unless the database already holds that much. Then
`VACUUM ANALYZE`, as autovacuum would have done on a database that grew over
years. The timing helpers measure in this process: server time, no network.
"""

import atexit
import base64
import hashlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def django_setup() -> None:
    """Django with the production settings, pointed at DATABASE_URL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("DEBUG", None)
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    # Production settings refuse to start without a content key. A fixed one, for fake data
    # only: the kept database of BENCH_PG_DIR must still decrypt on the next run.
    os.environ.setdefault(
        "CONTENT_ENCRYPTION_KEY",
        base64.urlsafe_b64encode(hashlib.sha256(b"bench-only-content-key").digest()).decode(),
    )
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    if "STATIC_ROOT" not in os.environ:
        static_root = tempfile.mkdtemp(prefix="bench-static-")
        atexit.register(shutil.rmtree, static_root, ignore_errors=True)
        os.environ["STATIC_ROOT"] = static_root
    import django

    django.setup()


def national_database(
    *, contacts: int, cases: int | None, escalations: int | None, queued: int, seed: int, out=print
) -> dict:
    """Migrate and seed as asked, unless already there; return what the database holds."""
    from django.core.management import call_command
    from django.db import connection

    from cases.models import Case
    from helpline.models import ContactRecord

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0)
    seeded = {"seed seconds": None}
    have_contacts, have_cases = ContactRecord.objects.count(), Case.objects.count()
    if have_contacts < contacts or (cases is not None and have_cases < cases):
        arguments = [
            f"--contacts={contacts}",
            f"--seed={seed}",
            f"--queued={queued}",
            "--i-know-this-is-not-production",
        ]
        if cases is not None:
            arguments.append(f"--cases={cases}")
        if escalations is not None:
            arguments.append(f"--escalations={escalations}")
        out(f"seeding: manage.py seed_synthetic {' '.join(arguments)}")
        started = time.monotonic()
        call_command("seed_synthetic", *arguments)
        seeded["seed seconds"] = round(time.monotonic() - started, 1)
    else:
        out(f"reusing the database: {have_contacts:,} contacts, {have_cases:,} cases")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seeded["vacuum analyze seconds"] = round(time.monotonic() - started, 1)
    return seeded


def machine() -> str:
    cpus = os.cpu_count()
    memory = ""
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) // 1024 // 1024} GiB RAM"
    load = os.getloadavg()
    return (
        f"{platform.platform()}, {cpus} CPUs{memory}, Python {platform.python_version()}, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at start"
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: list[float]) -> str:
    median, p95, top = statistics.median(values), percentile(values, 0.95), max(values)
    return f"p50 {median * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  max {top * 1000:7.1f} ms"


EXPLAINABLE = ("SELECT", "WITH", "UPDATE", "INSERT", "DELETE")


def slowest_query(action):
    """Run action once; return (seconds, sql) of the slowest statement it sent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        action()
    # Only statements EXPLAIN can show: a COMMIT or SAVEPOINT can be the slowest (the
    # session's write waiting on the disk) but has no plan.
    timed = [
        (float(query["time"]), query["sql"])
        for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith(EXPLAINABLE)
    ]
    return max(timed) if timed else (0.0, "")


def explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement, in a transaction rolled back after."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan
