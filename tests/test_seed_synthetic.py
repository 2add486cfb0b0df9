"""`manage.py seed_synthetic`: made-up national-size history, shaped like the real thing.

The distributions are checked roughly (they are drawn), the consistency of what
was written exactly (grants, states, references), and the reports' figures
against a recount in Python of the rows written.
"""

import datetime
import statistics
import zoneinfo
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from cases.models import Case, CaseEvent, CaseNote, CaseReferenceCounter
from cases.services import case_create
from escalation.models import (
    OPEN_STATES,
    Escalation,
    EscalationGroupObjectPermission,
)
from escalation.selectors import liaison_queue
from helpline.crypto import content_decrypt
from helpline.models import Channel, ContactRecord, ContactType, Hotline
from reports.figures import report_build
from reports.report import ALL
from synthetic import tables
from synthetic.history import SeedPlan, history_seed
from synthetic.tables import TableLoader

LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime.datetime(2026, 11, 20, 15, 0, tzinfo=LOCAL)
# The union year NOW falls in: the yearly report's default period.
YEAR_START, YEAR_END = datetime.date(2025, 12, 1), datetime.date(2026, 11, 30)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(reference_data):
    """2,000 contacts over three years, seeded and with a fixed clock: the same every run."""
    return history_seed(SeedPlan(contacts=2000, seed=7, now=NOW))


def shares(values) -> dict:
    counted = Counter(values)
    total = sum(counted.values())
    return {value: count / total for value, count in counted.items()}


def test_it_refuses_to_write_fake_data_outside_debug_unless_told(reference_data):
    with pytest.raises(CommandError, match="not-production"):
        call_command("seed_synthetic", "--contacts", "10")
    assert not ContactRecord.objects.exists()

    call_command("seed_synthetic", "--contacts", "10", "--i-know-this-is-not-production")
    assert ContactRecord.objects.count() == 10
    with override_settings(DEBUG=True):
        call_command("seed_synthetic", "--contacts", "10")
    assert ContactRecord.objects.count() == 20


def test_it_spreads_contacts_over_every_hotline_the_big_provinces_first(history):
    hotlines = dict(Hotline.objects.values_list("pk", "code"))
    by_hotline = Counter(
        hotlines[pk] for pk in ContactRecord.objects.values_list("hotline_id", flat=True)
    )
    assert sum(by_hotline.values()) == 2000
    assert set(by_hotline) == set(hotlines.values())
    assert 0.10 < by_hotline["00"] / 2000 < 0.20
    # Ho Chi Minh City and Hanoi take the most; Lai Chau, the smallest province, few.
    provinces = [code for code, _count in by_hotline.most_common() if code != "00"]
    assert provinces[:2] == ["79", "01"]
    assert by_hotline["79"] > 10 * by_hotline["12"]


def test_it_draws_channels_types_and_categories_in_their_usual_shares(history):
    records = list(ContactRecord.objects.values_list("channel", "contact_type"))
    channels = shares(channel for channel, _type in records)
    assert channels[Channel.WEBCHAT] > 0.5
    assert channels[Channel.WEBCHAT] > channels[Channel.VOICE] > channels[Channel.SMS] > 0
    types = shares(contact_type for _channel, contact_type in records)
    assert max(types, key=types.get) == ContactType.COUNSELLING
    assert 0.10 <= types[ContactType.ABANDONED] <= 0.16
    assert set(ContactType.values) <= set(types)
    areas = Counter(
        ContactRecord.objects.exclude(categories=None).values_list(
            "categories__parent__code", flat=True
        )
    )
    assert areas.most_common(1)[0][0] == "online"


def test_it_leaves_unanswered_contacts_without_an_answer_and_waits_long_tailed(history):
    unanswered = ContactRecord.objects.filter(contact_type__in=["abandoned", "out_of_hours"])
    assert unanswered.exists()
    assert not unanswered.exclude(answered_at=None, operator=None, waited_seconds=None).exists()
    answered = ContactRecord.objects.exclude(contact_type__in=["abandoned", "out_of_hours"])
    assert not answered.filter(answered_at=None).exists()
    assert not answered.filter(operator=None).exists()
    waits = sorted(answered.values_list("waited_seconds", flat=True))
    median = statistics.median(waits)
    assert waits[int(len(waits) * 0.9)] >= 3 * median
    assert waits[-1] >= 10 * median


def test_it_spans_the_years_asked_for_growing_and_never_in_the_future(history):
    ended = sorted(ContactRecord.objects.values_list("ended_at", flat=True))
    assert ended[-1] <= NOW
    assert ended[0] < NOW - datetime.timedelta(days=3 * 365 - 10)
    first_year = sum(1 for at in ended if at < NOW - datetime.timedelta(days=2 * 365))
    last_year = sum(1 for at in ended if at >= NOW - datetime.timedelta(days=365))
    assert last_year > first_year


def test_it_opens_cases_from_some_contacts_with_a_timeline_each(history):
    cases = Case.objects.count()
    assert 0.08 * 2000 < cases < 0.20 * 2000
    linked = ContactRecord.objects.exclude(case=None)
    assert linked.count() == cases
    assert set(linked.values_list("outcome", flat=True)) == {"case", "escalated"}
    newest_first = CaseEvent.objects.order_by("-at", "-id").values_list("case_id", "action")
    first_lines = dict(newest_first)
    assert len(first_lines) == cases
    assert set(first_lines.values()) == {CaseEvent.Action.CREATED}


def test_it_grants_agencies_only_what_they_still_hold(history, liaison_a05):
    escalations = list(Escalation.objects.select_related("agency", "case"))
    assert escalations
    grants = Counter(
        EscalationGroupObjectPermission.objects.values_list("content_object_id", "group_id")
    )
    for escalation in escalations:
        assert escalation.agency.accepts(escalation.type)
        assert escalation.agency.covers_province(escalation.case.province_code)
        held = grants.get((escalation.pk, escalation.agency.group_id), 0)
        assert held == (2 if escalation.access_revoked_at is None else 0)
        if escalation.case.state == "closed":
            assert escalation.state not in OPEN_STATES
            assert escalation.access_revoked_reason in ("case_closed", "withdrawn")
    assert sum(grants.values()) == 2 * sum(1 for e in escalations if e.access_revoked_at is None)
    expected = {
        e.pk
        for e in escalations
        if e.agency.code == "a05-police" and e.state in OPEN_STATES and e.access_revoked_at is None
    }
    assert {e.pk for e in liaison_queue(user=liaison_a05)} == expected


def test_it_moves_the_reference_counters_past_every_number_it_used(history, op_hanoi):
    references = set(Case.objects.values_list("reference", flat=True))
    assert len(references) == Case.objects.count()
    counter = CaseReferenceCounter.objects.get(hotline=op_hanoi.hotline, year=2026)
    used = [int(ref.rsplit("-", 1)[1]) for ref in references if ref.startswith("HN-2026-")]
    assert counter.last_number == max(used)
    new = case_create(user=op_hanoi, risk="low")
    assert new.reference not in references


def test_it_makes_the_cases_and_escalations_asked_for(reference_data):
    call_command(
        "seed_synthetic",
        "--contacts=2000",
        "--cases=600",
        "--escalations=40",
        "--i-know-this-is-not-production",
    )
    assert Case.objects.count() == 600
    # Linked to a contact where the contacts allow it; the rest opened on the case page.
    assert 0 < ContactRecord.objects.exclude(case=None).count() < 600
    assert 30 <= Escalation.objects.count() <= 40


def _recount(start, end, *, hotline_id=None) -> list[tuple]:
    rows = ContactRecord.objects.values_list("ended_at", "hotline_id", "channel", "contact_type")
    return [
        (hotline, channel, contact_type)
        for ended_at, hotline, channel, contact_type in rows
        if start <= ended_at.astimezone(LOCAL).date() <= end and hotline_id in (None, hotline)
    ]


def _column(report, key) -> dict:
    table = report.table(key)
    return {row[0]: row[1] for row in table.rows[:-1]}


@pytest.mark.parametrize("scope", [ALL, "79"])
def test_it_gives_yearly_figures_that_a_recount_of_its_rows_confirms(history, scope):
    hotline = None if scope == ALL else Hotline.objects.get(code=scope)
    report = report_build(kind="yearly", scope=scope, start=YEAR_START, end=YEAR_END, now=NOW)
    recounted = _recount(YEAR_START, YEAR_END, hotline_id=hotline and hotline.pk)
    assert len(recounted) > (300 if scope == ALL else 50)

    channels = Counter(channel for _hotline, channel, _type in recounted)
    assert _column(report, "contacts_by_channel") == {
        str(label): channels[code] for code, label in Channel.choices
    }
    types = Counter(contact_type for _hotline, _channel, contact_type in recounted)
    expected_types = {str(label): types[code] for code, label in ContactType.choices}
    expected_types["Chưa ghi nhận"] = types[""]
    assert _column(report, "contacts_by_type") == expected_types
    assert report.table("contacts_by_channel").rows[-1][1] == len(recounted)
    opened = Counter(
        risk
        for risk, created_at, hotline_id in Case.objects.values_list(
            "highest_risk", "created_at", "hotline_id"
        )
        if YEAR_START <= created_at.astimezone(LOCAL).date() <= YEAR_END
        and (hotline is None or hotline_id == hotline.pk)
    )
    by_risk = {row[0]: row[1] for row in report.table("cases_by_risk").rows[:-1]}
    assert sum(by_risk.values()) == sum(opened.values()) > 0
    if scope == ALL:
        names = dict(Hotline.objects.values_list("pk", "name_vi"))
        per_hotline = Counter(names[hotline_id] for hotline_id, _channel, _type in recounted)
        table = report.table("contacts_by_hotline")
        assert {row[0]: row[1] for row in table.rows[:-1]} == {
            name: per_hotline[name] for name in names.values()
        }


class _RecordingCopy:
    """Stands in for PostgreSQL's COPY: keeps the rows it is given."""

    def __init__(self):
        self.rows = []

    def __enter__(self):
        return self

    def __exit__(self, *error):
        return False

    def write_row(self, values):
        self.rows.append(list(values))


class _RecordingCursor:
    """Django's cursor around psycopg's (`.cursor`), whose COPY records."""

    def __init__(self, copy: _RecordingCopy):
        self.cursor = self
        self._copy = copy

    def __enter__(self):
        return self

    def __exit__(self, *error):
        return False

    def copy(self, statement):
        return self._copy


class _RecordingConnection:
    def __init__(self, copy: _RecordingCopy):
        self._copy = copy

    def cursor(self):
        return _RecordingCursor(self._copy)


def test_it_copies_an_encrypted_text_as_ciphertext_and_other_values_as_given(monkeypatch):
    loader = TableLoader(CaseNote)
    row = dict.fromkeys(loader.attnames, 7)
    row["body"] = "Em bị đe doạ tung ảnh"
    recorded = _RecordingCopy()
    monkeypatch.setattr(tables, "connection", _RecordingConnection(recorded))

    loader._copy([row])

    (values,) = recorded.rows
    stored = dict(zip(loader.attnames, values, strict=True))
    assert stored["body"] != "Em bị đe doạ tung ảnh"
    assert content_decrypt(stored["body"]) == "Em bị đe doạ tung ảnh"
    assert stored["case_id"] == 7
