"""Generated data for report tests, with its own answer key.

`report_dataset(...)` writes contacts, cases, escalations and survey answers
whose every attribute is drawn from `random.Random(seed)`, and returns, beside
the rows, a plain Python record of what it drew (`ReportDataset.contacts`,
`.cases`, `.escalations`, `.surveys`). A test recounts a figure from those
records in Python and compares it with the report: the figure is then checked
against an independent count, not the same query asked twice.

Rows are written directly (bulk_create), not through the services: a report
reads only their columns, and the services would write timelines, grants and
notices that have nothing to do with counting. Nothing here is content: no
summary, message or name a report could leak.

Typical use (the `reference_data` fixture of tests/conftest.py must have run):

    data = report_dataset(seed=7, by=op_hanoi, start=date(2026, 1, 1), end=date(2026, 3, 31))
    in_period = data.contacts_between(date(2026, 2, 1), date(2026, 2, 28), hotline="01")
    assert report.table("contacts_by_channel") ... == Counter(c.channel for c in in_period)

Dates drawn fall between `start - margin_days` and `end + margin_days`, local
time, and the first and last local second of `start` and `end` (and the
seconds just outside) are always used, so period boundaries are exercised.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.utils import timezone

from cases.models import Case, CaseState, Category, Gender
from escalation.models import (
    Agency,
    Escalation,
    EscalationState,
    EscalationType,
    LegalBasis,
    Urgency,
    YouthInformed,
)
from helpline.models import (
    AgeGroup,
    Channel,
    ContactRecord,
    ContactType,
    Hotline,
    Risk,
    SurveyAnswer,
    SurveyResponse,
)

HOTLINES = ("01", "46", "00")
AGENCIES = ("a05-police", "hotline-111", "mental-health")
# Blank ("") stands for a contact whose wrap-up was never written.
CONTACT_TYPES = (*ContactType.values, "")
GENDERS = (*Gender.values,)
AGE_GROUPS = (*AgeGroup.values, "")
RISKS = ("", *Risk.values)
ESCALATION_STATES = (*EscalationState.values,)
SURVEY_ANSWERS = (*SurveyAnswer.values, "")


@dataclass(frozen=True)
class DrawnContact:
    hotline: str
    channel: str
    contact_type: str
    categories: tuple[str, ...]
    age_group: str
    gender: str
    ended_at: datetime.datetime  # aware, local
    waited_seconds: int | None  # None: never answered
    handled_seconds: int | None
    risk: str
    danger: bool

    @property
    def answered(self) -> bool:
        return self.waited_seconds is not None

    @property
    def ended_on(self) -> datetime.date:
        return timezone.localdate(self.ended_at)


@dataclass(frozen=True)
class DrawnCase:
    hotline: str
    highest_risk: str
    created_at: datetime.datetime
    closed_at: datetime.datetime | None  # set only for closed cases


@dataclass(frozen=True)
class DrawnEscalation:
    hotline: str
    agency: str
    type: str
    urgency: str
    state: str
    created_at: datetime.datetime
    acknowledge_by: datetime.datetime
    resolve_by: datetime.datetime
    acknowledged_at: datetime.datetime | None
    finished_at: datetime.datetime | None


@dataclass(frozen=True)
class DrawnSurvey:
    hotline: str
    submitted_on: datetime.date
    felt_heard: str
    got_help: str
    would_return: str


@dataclass
class ReportDataset:
    contacts: list[DrawnContact] = field(default_factory=list)
    cases: list[DrawnCase] = field(default_factory=list)
    escalations: list[DrawnEscalation] = field(default_factory=list)
    surveys: list[DrawnSurvey] = field(default_factory=list)

    def contacts_between(self, start, end, *, hotline: str | None = None) -> list[DrawnContact]:
        """Contacts that ended on a local day from start to end (inclusive), of a hotline or all."""
        return [
            contact
            for contact in self.contacts
            if start <= contact.ended_on <= end and hotline in (None, contact.hotline)
        ]


def _local(day: datetime.date, seconds: int) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time.min) + datetime.timedelta(seconds=seconds)
    return timezone.make_aware(moment)


class _Clock:
    """Draws local moments in a date range, the boundaries first."""

    def __init__(self, rng: random.Random, start: datetime.date, end: datetime.date, margin: int):
        self.rng = rng
        self.first = start - datetime.timedelta(days=margin)
        self.span = (end - self.first).days + margin + 1
        last_second = 24 * 3600 - 1
        self.boundaries = [
            _local(start, 0),
            _local(start - datetime.timedelta(days=1), last_second),
            _local(end, last_second),
            _local(end + datetime.timedelta(days=1), 0),
        ]

    def moment(self) -> datetime.datetime:
        if self.boundaries:
            return self.boundaries.pop()
        day = self.first + datetime.timedelta(days=self.rng.randrange(self.span))
        return _local(day, self.rng.randrange(24 * 3600))


def report_dataset(
    *,
    seed: int,
    by,
    start: datetime.date,
    end: datetime.date,
    margin_days: int = 10,
    contacts: int = 300,
    cases: int = 60,
    escalations: int = 40,
    surveys: int = 40,
    hotlines: tuple[str, ...] = HOTLINES,
    now: datetime.datetime | None = None,
) -> ReportDataset:
    """Write a random but reproducible dataset and return what was drawn.

    `by` is the member of staff recorded as creating the cases and escalations.
    Escalation states are drawn consistently with their times; `now` (default:
    the day after end + margin) is the latest any of those times may be.
    """
    rng = random.Random(seed)
    now = now or _local(end + datetime.timedelta(days=margin_days + 1), 0)
    hotline_ids = dict(Hotline.objects.filter(code__in=hotlines).values_list("code", "pk"))
    data = ReportDataset()
    _contacts(data, rng, _Clock(rng, start, end, margin_days), hotline_ids, contacts)
    made_cases = _cases(
        data, rng, _Clock(rng, start, end, margin_days), hotline_ids, by, cases, seed=seed
    )
    _escalations(data, rng, _Clock(rng, start, end, margin_days), made_cases, by, escalations, now)
    _surveys(data, rng, _Clock(rng, start, end, margin_days), hotline_ids, surveys)
    return data


def _contacts(data, rng, clock, hotline_ids, how_many) -> None:
    leaves = list(
        Category.objects.filter(parent__isnull=False)
        .values_list("code", flat=True)
        .order_by("code")
    )
    # A few contacts name the online-harm area itself, not one of its harms.
    leaves.append("online")
    category_ids = dict(Category.objects.values_list("code", "pk"))
    records = []
    for _index in range(how_many):
        answered = rng.random() < 0.8
        waited = rng.choice((rng.randrange(0, 120), rng.randrange(0, 2400))) if answered else None
        handled = rng.randrange(30, 3600) if answered else None
        contact = DrawnContact(
            hotline=rng.choice(list(hotline_ids)),
            channel=rng.choice(Channel.values),
            contact_type=rng.choice(CONTACT_TYPES),
            categories=tuple(sorted(rng.sample(leaves, rng.choice((0, 1, 1, 2, 3))))),
            age_group=rng.choice(AGE_GROUPS),
            gender=rng.choice(GENDERS),
            ended_at=clock.moment(),
            waited_seconds=waited,
            handled_seconds=handled,
            risk=rng.choice(RISKS),
            danger=rng.random() < 0.05,
        )
        data.contacts.append(contact)
        queued_at = contact.ended_at - datetime.timedelta(seconds=(waited or 60) + (handled or 0))
        records.append(
            ContactRecord(
                channel=contact.channel,
                hotline_id=hotline_ids[contact.hotline],
                age_group=contact.age_group,
                gender=contact.gender,
                queued_at=queued_at,
                answered_at=queued_at + datetime.timedelta(seconds=waited) if answered else None,
                ended_at=contact.ended_at,
                waited_seconds=waited,
                handled_seconds=handled,
                risk=contact.risk,
                danger=contact.danger,
                contact_type=contact.contact_type,
            )
        )
    created = ContactRecord.objects.bulk_create(records)
    links = [
        ContactRecord.categories.through(contactrecord_id=record.pk, category_id=category_ids[code])
        for record, contact in zip(created, data.contacts, strict=True)
        for code in contact.categories
    ]
    ContactRecord.categories.through.objects.bulk_create(links)


def _cases(data, rng, clock, hotline_ids, by, how_many, *, seed) -> list[tuple[Case, str]]:
    made = []
    for index in range(how_many):
        hotline = rng.choice(list(hotline_ids))
        created_at = clock.moment()
        state = rng.choice(CaseState.values)
        closed_at = None
        if state == CaseState.CLOSED:
            closed_at = clock.moment()
        risk = rng.choice(Risk.values)
        data.cases.append(DrawnCase(hotline, risk, created_at, closed_at))
        case = Case(
            # Unique across datasets of different seeds written in one test.
            reference=f"RPT{seed}-{hotline}-{index:05d}",
            hotline_id=hotline_ids[hotline],
            state=state,
            risk=risk,
            highest_risk=risk,
            created_by=by,
            created_at=created_at,
            closed_at=closed_at,
        )
        made.append((case, hotline))
    Case.objects.bulk_create([case for case, _hotline in made])
    return made


def _maybe_after(rng, moment: datetime.datetime, deadline: datetime.datetime, now):
    """A time after `moment`, before or after the deadline at random, never after now."""
    hours = max(1.0, (deadline - moment).total_seconds() / 3600)
    later = moment + datetime.timedelta(hours=rng.uniform(0.1, hours * 2))
    return min(later, now)


def _escalations(data, rng, clock, made_cases, by, how_many, now) -> None:
    agencies = dict(Agency.objects.filter(code__in=AGENCIES).values_list("code", "pk"))
    rows = []
    # One escalation per case, so the one-open-per-case-and-agency rule always holds.
    for (case, hotline), _index in zip(made_cases, range(how_many), strict=False):
        created_at = min(clock.moment(), now - datetime.timedelta(hours=1))
        acknowledge_by = created_at + datetime.timedelta(hours=rng.choice((1, 4, 24)))
        resolve_by = acknowledge_by + datetime.timedelta(days=rng.choice((1, 3, 7)))
        state = rng.choice(ESCALATION_STATES)
        acknowledged_at = finished_at = None
        if state in ("acknowledged", "in_progress", "resolved") or (
            state in ("declined", "withdrawn") and rng.random() < 0.5
        ):
            acknowledged_at = _maybe_after(rng, created_at, acknowledge_by, now)
        if state in ("resolved", "declined", "withdrawn"):
            finished_at = _maybe_after(rng, acknowledged_at or created_at, resolve_by, now)
        drawn = DrawnEscalation(
            hotline=hotline,
            agency=rng.choice(list(agencies)),
            type=rng.choice(EscalationType.values),
            urgency=rng.choice(Urgency.values),
            state=state,
            created_at=created_at,
            acknowledge_by=acknowledge_by,
            resolve_by=resolve_by,
            acknowledged_at=acknowledged_at,
            finished_at=finished_at,
        )
        data.escalations.append(drawn)
        rows.append(
            Escalation(
                case=case,
                agency_id=agencies[drawn.agency],
                type=drawn.type,
                urgency=drawn.urgency,
                legal_basis=LegalBasis.EMERGENCY,
                summary="-",
                youth_informed=YouthInformed.values[0],
                state=state,
                created_by=by,
                created_at=created_at,
                sent_at=created_at,
                acknowledge_by=acknowledge_by,
                resolve_by=resolve_by,
                acknowledged_at=acknowledged_at,
                finished_at=finished_at,
            )
        )
    Escalation.objects.bulk_create(rows)


def _surveys(data, rng, clock, hotline_ids, how_many) -> None:
    rows = []
    for _index in range(how_many):
        drawn = DrawnSurvey(
            hotline=rng.choice(list(hotline_ids)),
            submitted_on=timezone.localdate(clock.moment()),
            felt_heard=rng.choice(SURVEY_ANSWERS),
            got_help=rng.choice(SURVEY_ANSWERS),
            would_return=rng.choice(SURVEY_ANSWERS),
        )
        data.surveys.append(drawn)
        rows.append(
            SurveyResponse(
                hotline_id=hotline_ids[drawn.hotline],
                channel=Channel.WEBCHAT,
                submitted_on=drawn.submitted_on,
                felt_heard=drawn.felt_heard,
                got_help=drawn.got_help,
                would_return=drawn.would_return,
            )
        )
    SurveyResponse.objects.bulk_create(rows)


def roll_up_every_day(*, now: datetime.datetime) -> int:
    """Run the worker's rollup job until every day before `now`'s is rolled up; how many days."""
    from reports.jobs import roll_up_contact_days

    rolled = 0
    while done := roll_up_contact_days(now=now):
        rolled += done
    return rolled
