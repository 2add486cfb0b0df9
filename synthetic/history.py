"""Years of made-up helpline history, written in the order it would have happened.

`history_seed(plan)` walks day by day from `years` ago to now. Each day it draws
that day's contacts (a conversation and its contact record each), the cases
some of them open, cases opened without a contact when more are asked for, the
escalations of some cases with the agency's grants on the ones still granted,
and survey answers; each case's timeline is written in time order across all
cases (synthetic/timeline.py). So rows sit on disk, and ids grow, as they would
in production. Everything is drawn from `random.Random(seed)` and the shares in
synthetic/distributions.py.

The rows are written directly (synthetic/tables.py: COPY on PostgreSQL), not
through the services: the services take one change at a time, and the history
of a million contacts would take hours that way. The timeline's lines still go
through its one writer's checks. No row holds anything a person wrote
(summaries, outcomes and messages are one placeholder) and no transcript is
made: there are no message rows.
"""

import datetime
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from cases.models import Case, CaseEvent
from escalation.models import (
    DisclosureRecord,
    Escalation,
    EscalationGroupObjectPermission,
    EscalationLastOpened,
    EscalationMessage,
)
from helpline.models import ContactRecord, Conversation, Hotline, SurveyResponse
from reports.rollups import contact_days_mark_changed
from synthetic import distributions as shape
from synthetic.cases import case_draft_from_contact, case_draft_standalone, case_write
from synthetic.contacts import contact_draw, contact_write, queued_now
from synthetic.tables import ForeignKeysDeferredToTheEnd, TableLoader
from synthetic.timeline import Timeline
from synthetic.world import Agencies, Categories, References, Staff

LOADED_MODELS = (
    Conversation,
    ContactRecord,
    ContactRecord.categories.through,
    Case,
    Case.categories.through,
    CaseEvent,
    Escalation,
    EscalationGroupObjectPermission,
    DisclosureRecord,
    EscalationMessage,
    EscalationLastOpened,
    SurveyResponse,
)


@dataclass(frozen=True)
class SeedPlan:
    contacts: int
    cases: int | None = None  # None: as many as the contacts open
    escalations: int | None = None  # None: as many as the cases call for
    years: int = 3
    seed: int = 1
    queued: int = 0  # conversations waiting in the queues now
    now: datetime.datetime | None = None


@dataclass
class SeedResult:
    first_day: datetime.date
    last_day: datetime.date
    counts: Counter = field(default_factory=Counter)


class Quota:
    """Say yes to about `target` of a stream of about `expected` weighted chances.

    Without a target each item is taken with its own chance. With one, the
    chances are scaled so that the takes spread evenly over the stream, and no
    more than the target are taken.
    """

    def __init__(self, target: int | None, expected: float):
        self.target = target
        self.expected = max(1.0, expected)
        self.seen = 0
        self.chance_sum = 0.0
        self.taken = 0

    def take(self, rng: random.Random, chance: float) -> bool:
        self.seen += 1
        self.chance_sum += chance
        if chance <= 0 or (self.target is not None and self.taken >= self.target):
            return False
        if self.target is not None:
            remaining = max(1.0, self.expected - self.seen + 1)
            chance *= (self.target - self.taken) / (remaining * self.chance_sum / self.seen)
        taken = rng.random() < chance
        self.taken += taken
        return taken

    def shortfall(self) -> int:
        return 0 if self.target is None else self.target - self.taken


class Clock:
    """The days of the history, how many contacts each gets, and moments within a day."""

    def __init__(self, *, now: datetime.datetime, years: int):
        self.now = now
        self.zone = timezone.get_current_timezone()
        self.last_day = timezone.localdate(now)
        self.first_day = self.last_day - datetime.timedelta(days=365 * years - 1)
        self.days = [
            self.first_day + datetime.timedelta(days=offset)
            for offset in range((self.last_day - self.first_day).days + 1)
        ]

    def day_weight(self, day: datetime.date) -> float:
        weight = shape.YEARLY_GROWTH ** ((day - self.first_day).days / 365)
        if day.month in (6, 7, 8):
            weight *= shape.SUMMER_FACTOR
        if day.weekday() >= 5:
            weight *= shape.WEEKEND_FACTOR
        return weight

    def allocate(self, total: int) -> list[int]:
        """Split `total` over the days by their weight, exactly."""
        weights = [self.day_weight(day) for day in self.days]
        whole = sum(weights)
        marks, running = [0], 0.0
        for weight in weights:
            running += weight
            marks.append(round(total * running / whole))
        return [after - before for before, after in itertools.pairwise(marks)]

    def moment(self, rng: random.Random, day: datetime.date, hours=shape.HOUR_WEIGHTS):
        """A moment of this local day, its hour drawn by weight; never later than now."""
        local = datetime.datetime(
            day.year,
            day.month,
            day.day,
            hours.draw(rng),
            rng.randrange(60),
            rng.randrange(60),
            rng.randrange(1_000_000),
            tzinfo=self.zone,
        )
        if local > self.now:
            local = self.now - datetime.timedelta(seconds=rng.uniform(1, 3600))
        return local

    def day_end(self, day: datetime.date) -> datetime.datetime:
        after = day + datetime.timedelta(days=1)
        return datetime.datetime(after.year, after.month, after.day, tzinfo=self.zone)


class History:
    """Draws and writes the history of one plan; the parts it shares with
    synthetic/contacts.py, cases.py and escalations.py are its attributes."""

    def __init__(self, plan: SeedPlan):
        self.plan = plan
        # Reproducible draws of made-up data, nothing secret.
        self.rng = random.Random(plan.seed)  # noqa: S311
        self.now = plan.now or timezone.now()
        self.clock = Clock(now=self.now, years=plan.years)
        self.hotlines = {hotline.pk: hotline for hotline in Hotline.objects.all()}
        self.central_id = next(
            (pk for pk, hotline in self.hotlines.items() if hotline.is_central), None
        )
        population = {
            pk: shape.PROVINCE_POPULATION.get(hotline.code, 1.0)
            for pk, hotline in self.hotlines.items()
            if not hotline.is_central
        }
        self.provinces = shape.Weighted(population)
        self.province_codes = shape.Weighted(
            {self.hotlines[pk].code: weight for pk, weight in population.items()}
        )
        self.staff = Staff(self.hotlines)
        self.categories = Categories()
        self.agencies = Agencies()
        self.references = References(self.hotlines)
        self.loaders = {model: TableLoader(model) for model in LOADED_MODELS}
        self.timeline = Timeline(self.loaders[CaseEvent])
        natural_cases = plan.contacts * shape.expected_case_share()
        if plan.cases is None:
            linked_target, self.standalone_cases, expected_cases = None, 0, natural_cases
        else:
            # Contacts open at most twice their natural share of cases; the others were
            # opened on the case page (a parent, a school, a walk-in).
            linked_target = min(plan.cases, round(natural_cases * 2))
            self.standalone_cases = plan.cases - linked_target
            expected_cases = plan.cases
        self.case_quota = Quota(linked_target, plan.contacts)
        self.escalation_quota = Quota(plan.escalations, expected_cases)

    def run(self, progress=None) -> SeedResult:
        self._lock_tables()
        with ForeignKeysDeferredToTheEnd(LOADED_MODELS):
            contacts_per_day = self.clock.allocate(self.plan.contacts)
            standalone_per_day = self.clock.allocate(self.standalone_cases)
            for index, day in enumerate(self.clock.days):
                self._day(day, contacts_per_day[index], standalone_per_day[index])
                self.timeline.write_until(self.clock.day_end(day))
                if progress and index % 30 == 0:
                    progress(day, self.written())
            # The quota may fall a few cases short at the very end of the stream.
            for _index in range(self.case_quota.shortfall()):
                case_write(self, case_draft_standalone(self, self.clock.last_day))
            self.timeline.write_until(None)
            queued_now(self, self.plan.queued)
            # COPY sends no signal: say which days got contacts, so that no report reads a
            # rollup made before them (a contact can end just after its day's midnight).
            after_last = self.clock.last_day + datetime.timedelta(days=1)
            contact_days_mark_changed(days=[*self.clock.days, after_last])
            for loader in self.loaders.values():
                loader.flush()
                loader.sequence_reset()
            self.references.save()
        result = SeedResult(self.clock.first_day, self.clock.last_day, self.written())
        result.counts["synthetic staff created"] = self.staff.created
        return result

    def written(self) -> Counter:
        return Counter(
            {loader.model._meta.label: loader.written for loader in self.loaders.values()}
        )

    def _lock_tables(self) -> None:
        # Ids are chosen before the rows are written: nobody else may insert meanwhile.
        if connection.vendor != "postgresql":
            return
        tables = ", ".join(f'"{model._meta.db_table}"' for model in LOADED_MODELS)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")

    def _day(self, day: datetime.date, contacts: int, standalone: int) -> None:
        rng = self.rng
        drawn = sorted(
            (contact_draw(self, day) for _index in range(contacts)),
            key=lambda contact: contact["ended_at"],
        )
        drafts = [
            case_draft_from_contact(self, contact)
            for contact in drawn
            if self.case_quota.take(
                rng, shape.CASE_CHANCE.get((contact["contact_type"], contact["risk"]), 0.0)
            )
        ]
        drafts += [case_draft_standalone(self, day) for _index in range(standalone)]
        for draft in sorted(drafts, key=lambda draft: draft.created_at):
            case_write(self, draft)
        for contact in drawn:
            contact_write(self, contact)


def history_seed(plan: SeedPlan, *, progress=None) -> SeedResult:
    """Write the synthetic history of this plan in one transaction; return what was written."""
    with transaction.atomic():
        return History(plan).run(progress=progress)
