"""Fill the database with made-up national-size history, for benchmarks and tests."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from escalation.models import Agency
from helpline.models import Hotline
from synthetic.history import SeedPlan, history_seed

NOT_PRODUCTION_FLAG = "--i-know-this-is-not-production"


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Write synthetic contacts, cases, escalations and grants over the last years, "
        "shaped like a national helpline. Fake data: refused outside DEBUG unless "
        f"{NOT_PRODUCTION_FLAG} is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=_positive, required=True)
        parser.add_argument(
            "--cases",
            type=_positive,
            default=None,
            help="how many cases (default: as many as the contacts open, about 14 %%)",
        )
        parser.add_argument(
            "--escalations",
            type=_positive,
            default=None,
            help="how many escalations (default: as many as the cases' risks call for)",
        )
        parser.add_argument("--years", type=_positive, default=3)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--queued", type=_positive, default=0, help="conversations waiting in the queues now"
        )
        parser.add_argument(
            NOT_PRODUCTION_FLAG,
            dest="not_production",
            action="store_true",
            help="allow it with DEBUG off (a benchmark's database, never a real one)",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "seed_synthetic writes fake contacts and cases. It runs only with DEBUG on, "
                f"or with {NOT_PRODUCTION_FLAG} on a database that is not a real helpline's."
            )
        if options["years"] < 1:
            raise CommandError("--years must be at least 1.")
        if not Hotline.objects.exists():
            raise CommandError("No hotlines: run `manage.py migrate` first.")
        if not Agency.objects.filter(is_active=True).exists():
            self.stderr.write("No active agency (run seed_demo): no escalation will be made.")
        plan = SeedPlan(
            contacts=options["contacts"],
            cases=options["cases"],
            escalations=options["escalations"],
            years=options["years"],
            seed=options["seed"],
            queued=options["queued"],
        )
        started = time.monotonic()
        verbose = options["verbosity"] >= 2

        def progress(day, counts):
            if verbose:
                self.stdout.write(
                    f"  {day}: {sum(counts.values()):,} rows so far "
                    f"({time.monotonic() - started:.0f} s)"
                )

        result = history_seed(plan, progress=progress)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Synthetic history {result.first_day} to {result.last_day}, "
            f"written in {elapsed:.1f} s:"
        )
        for label, count in sorted(result.counts.items()):
            self.stdout.write(f"  {label:<45} {count:>12,}")
