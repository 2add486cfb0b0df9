"""The one long-running worker: a loop over the jobs the apps register.

An app with timed work puts a `jobs.py` module in its package with a list
`JOBS` of callables `job(*, now) -> int` that return how many things they did.
Each job keeps its state in the database and is idempotent: running it twice,
or restarting the worker at any moment, never does the same thing twice. That
is what makes the command safe to run under a supervisor that restarts it, and
safe to run on two machines at once.

Usage: manage.py run_worker [--interval SECONDS] [--once] [--job NAME ...]
"""

import datetime
import logging
import signal
import time
from collections.abc import Callable
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from helpline import metrics

logger = logging.getLogger("helpline.worker")

Job = Callable[..., int]


def job_name(job: Job) -> str:
    return f"{job.__module__}.{job.__name__}"


def registered_jobs() -> list[Job]:
    """Every job in the JOBS list of each installed app's jobs module, in app order."""
    jobs: list[Job] = []
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.jobs"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue
            raise
        jobs.extend(getattr(module, "JOBS", []))
    return jobs


def refresh_connections() -> None:
    """Drop database connections that broke or aged out, as a request would.

    A connection inside a transaction is left alone: the worker never holds one
    between jobs, so that only happens when the caller (a test) owns it.
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def run_jobs_once(jobs: list[Job], *, now: datetime.datetime) -> dict[str, int]:
    """Run each job once. A failing job is logged and the others still run."""
    done: dict[str, int] = {}
    for job in jobs:
        name = job_name(job)
        refresh_connections()
        try:
            done[name] = job(now=now)
        except Exception as error:
            # The class only: an exception's text may quote data the job was handling.
            logger.error("job %s failed: %s", name, type(error).__name__)
            metrics.error_caught("worker_job", error)
            done[name] = 0
        else:
            # The lag metric is the time since this: it grows while a job keeps failing.
            metrics.job_succeeded(name)
    return done


class Command(BaseCommand):
    help = "Run the timed jobs (SLA reminders, notifications, ...) in a loop. Safe to restart."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=15.0,
            help="Seconds between two rounds (default 15).",
        )
        parser.add_argument("--once", action="store_true", help="Run one round, then exit.")
        parser.add_argument(
            "--job",
            action="append",
            default=[],
            help="Run only the job with this name (module.function); may be repeated.",
        )

    def handle(self, *args, interval: float, once: bool, job: list[str], **options):
        if interval <= 0:
            raise CommandError("--interval must be positive")
        jobs = registered_jobs()
        if job:
            unknown = set(job) - {job_name(j) for j in jobs}
            if unknown:
                raise CommandError(f"unknown job: {', '.join(sorted(unknown))}")
            jobs = [j for j in jobs if job_name(j) in job]
        self.stopping = False
        if not once:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
            self._serve_metrics()
            logger.info("worker started with %d jobs", len(jobs))
        while True:
            done = run_jobs_once(jobs, now=timezone.now())
            for name, count in done.items():
                if count:
                    logger.info("job %s did %d", name, count)
            logger.debug("round finished")
            if once or self.stopping:
                break
            self._sleep(interval)
            if self.stopping:
                break
        refresh_connections()

    def _serve_metrics(self) -> None:
        """Answer /metrics on METRICS_WORKER_PORT (loopback by default), when configured."""
        if settings.METRICS_ENABLED and settings.METRICS_WORKER_PORT:
            metrics.worker_listener_start(
                address=settings.METRICS_WORKER_ADDRESS, port=settings.METRICS_WORKER_PORT
            )

    def _stop(self, signum, frame) -> None:
        # Finish the round in progress; each job's work is committed per item.
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.5, deadline - time.monotonic()))
