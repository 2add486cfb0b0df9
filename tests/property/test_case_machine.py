"""The case state machine and the case access rules, driven by random steps of random people.

Each step is taken by one of the named staff, in scope or not, and the answer it gets
is checked against the rules as the docs state them: the change is made, or it is
refused with the right kind of answer (an object out of scope is missing, Http404 from
the selector and 404 from the page, never forbidden; a page of another role is 403).
After every step the whole database is checked against invariants that no sequence of
steps may break.
"""

import json
from dataclasses import dataclass, field

import pytest
from django.http import Http404
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cases.models import Case, CaseEvent, CaseNote
from cases.selectors import case_get_for_user, cases_visible_to
from cases.services import (
    CaseError,
    RiskLoweringRefused,
    StaleCaseError,
    case_create,
    case_note_add,
    case_transition,
    case_update,
)
from tests.property.machines import (
    HIGH_RISKS,
    RISKS,
    STAFF,
    RolledBackMachine,
    anyone,
    expect,
    in_scope_or_anyone,
    machine_for,
    typed_text,
)
from tests.property.profiles import examples

# The case's state machine as architecture.md states it: transition -> (from states, to).
TRANSITIONS = {
    "open": (("new",), "open"),
    "resolve": (("open",), "resolved"),
    "close": (("resolved",), "closed"),
    "reopen": (("resolved", "closed"), "open"),
}
GENDERS = ("female", "male", "other", "unknown")
# A form from before someone else's change, now and then.
stale_or_not = st.sampled_from([False] * 7 + [True])


@dataclass
class CaseModel:
    """What the rules say a case is now, kept beside the database."""

    pk: int
    hotline: str
    state: str = "new"
    risk: str = "low"
    gender: str = "unknown"
    risks_ever: set[str] = field(default_factory=set)
    version: int = 1
    events: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def ever_high(self) -> bool:
        return bool(self.risks_ever & set(HIGH_RISKS))

    @property
    def highest_risk(self) -> str:
        return max(self.risks_ever, key=RISKS.index)


class CaseMachine(RolledBackMachine):
    cases = Bundle("cases")
    clients: dict = {}

    @initialize()
    def start(self):
        self.model: dict[int, CaseModel] = {}

    # --- steps ---

    @precondition(lambda self: len(self.model) < 2)
    @rule(target=cases, username=anyone, risk=st.sampled_from(RISKS))
    def create(self, username, risk):
        person, user = STAFF[username], self.user(username)
        if not person.handles_cases:
            expect(CaseError, case_create, user=user, risk=risk)
            return multiple()
        case = case_create(user=user, risk=risk)
        self.model[case.pk] = CaseModel(
            pk=case.pk, hotline=person.hotline, risk=risk, risks_ever={risk}
        )
        return case.pk

    @rule(case_id=cases, data=st.data())
    def update(self, case_id, data):
        case = self.model[case_id]
        username = data.draw(in_scope_or_anyone(case.hotline), label="who")
        risk = data.draw(st.sampled_from(RISKS), label="risk")
        gender = data.draw(st.sampled_from(GENDERS), label="gender")
        stale = data.draw(stale_or_not, label="stale")
        person = STAFF[username]
        lowers_high = case.risk in HIGH_RISKS and RISKS.index(risk) < RISKS.index(case.risk)
        changes = risk != case.risk or gender != case.gender
        if not person.sees_case_of(case.hotline):
            outcome = Http404
        elif stale:
            outcome = StaleCaseError
        elif case.state == "closed":
            outcome = CaseError
        elif lowers_high and not person.is_supervisor:
            outcome = RiskLoweringRefused
        else:
            outcome = None
        expect(
            outcome,
            case_update,
            user=self.user(username),
            case_id=case_id,
            expected_version=case.version - 1 if stale else case.version,
            risk=risk,
            gender=gender,
        )
        if outcome is None and changes:
            case.risk, case.gender = risk, gender
            case.risks_ever.add(risk)
            case.version += 1
            case.events += 1

    @rule(case_id=cases, data=st.data())
    def transition(self, case_id, data):
        case = self.model[case_id]
        username = data.draw(in_scope_or_anyone(case.hotline), label="who")
        # Mostly a step the state allows, so that cases get somewhere.
        possible = st.sampled_from(
            sorted(n for n, (sources, _to) in TRANSITIONS.items() if case.state in sources)
        )
        name = data.draw(
            st.one_of(possible, possible, st.sampled_from(sorted(TRANSITIONS))),
            label="transition",
        )
        stale = data.draw(stale_or_not, label="stale")
        person = STAFF[username]
        sources, target = TRANSITIONS[name]
        may_take = person.handles_cases and (
            name != "close" or not case.ever_high or person.is_supervisor
        )
        if not person.sees_case_of(case.hotline):
            outcome = Http404
        elif stale:
            outcome = StaleCaseError
        elif case.state not in sources or not may_take:
            outcome = CaseError
        else:
            outcome = None
        expect(
            outcome,
            case_transition,
            user=self.user(username),
            case_id=case_id,
            transition=name,
            expected_version=case.version - 1 if stale else case.version,
        )
        if outcome is None:
            case.state = target
            case.version += 1
            case.events += 1

    @rule(case_id=cases, username=anyone, body=typed_text)
    def note(self, case_id, username, body):
        case, person = self.model[case_id], STAFF[username]
        if not body.strip():
            # Refused before any lookup, the same for every case, so it tells nothing.
            outcome = CaseError
        elif not person.sees_case_of(case.hotline):
            outcome = Http404
        else:
            outcome = None
        expect(outcome, case_note_add, user=self.user(username), case_id=case_id, body=body)
        if outcome is None:
            case.notes.append(body.strip())
            case.events += 1

    @rule(case_id=cases, username=anyone, door=st.sampled_from(["selector", "page", "missing"]))
    def read(self, case_id, username, door):
        """Read a case through the selector or its page, or one that does not exist."""
        case, person = self.model[case_id], STAFF[username]
        if door == "missing":
            case_id, sees = max(self.model) + 1000, False
        else:
            sees = person.sees_case_of(case.hotline)
        if door == "page":
            status = self.clients[username].get(f"/cases/{case_id}/").status_code
            # People who never handle cases get the role check's 403 whatever the id.
            assert status == (200 if sees else 404 if person.handles_cases else 403)
        else:
            expect(
                None if sees else Http404,
                case_get_for_user,
                user=self.user(username),
                case_id=case_id,
                audit=True,
            )
        if sees:
            case.events += 1

    # --- invariants, after every step ---

    @invariant()
    def the_database_holds_what_the_rules_say(self):
        rows = Case.objects.filter(pk__in=list(self.model)).values(
            "pk", "hotline__code", "state", "risk", "gender", "highest_risk", "version"
        )
        found = {
            row["pk"]: (
                row["hotline__code"],
                row["state"],
                row["risk"],
                row["gender"],
                row["highest_risk"],
                row["version"],
            )
            for row in rows
        }
        expected = {
            pk: (c.hotline, c.state, c.risk, c.gender, c.highest_risk, c.version)
            for pk, c in self.model.items()
        }
        assert found == expected
        assert Case.objects.count() == len(self.model)

    @invariant()
    def every_read_and_change_is_on_the_timeline_and_nothing_else(self):
        counts = dict.fromkeys(self.model, 0)
        for case_id in CaseEvent.objects.values_list("case_id", flat=True):
            counts[case_id] += 1
        assert counts == {pk: case.events for pk, case in self.model.items()}

    @invariant()
    def notes_are_append_only(self):
        notes = {pk: [] for pk in self.model}
        for case_id, body in CaseNote.objects.order_by("created_at", "id").values_list(
            "case_id", "body"
        ):
            notes[case_id].append(body)
        assert notes == {pk: case.notes for pk, case in self.model.items()}

    @invariant()
    def the_timeline_holds_no_text_anyone_typed(self):
        typed = [body for case in self.model.values() for body in case.notes if len(body) > 3]
        details = json.dumps(list(CaseEvent.objects.values_list("detail", flat=True)))
        assert not any(json.dumps(body)[1:-1] in details for body in typed)

    @invariant()
    def the_timeline_replays_to_the_state(self):
        states = dict.fromkeys(self.model, "new")
        transitions = CaseEvent.objects.filter(action=CaseEvent.Action.TRANSITIONED).order_by("id")
        for case_id, from_state, to_state in transitions.values_list(
            "case_id", "from_state", "to_state"
        ):
            assert from_state == states[case_id]
            states[case_id] = to_state
        assert states == {pk: case.state for pk, case in self.model.items()}

    @invariant()
    def an_operator_never_closed_a_case_that_was_ever_high_risk(self):
        """Read from the timeline alone: the levels each update recorded, then who closed."""
        high = dict.fromkeys(self.model, False)
        high.update({pk: risk in HIGH_RISKS for pk, risk in self._created_risks().items()})
        events = CaseEvent.objects.filter(
            action__in=[CaseEvent.Action.UPDATED, CaseEvent.Action.TRANSITIONED]
        ).order_by("id")
        for case_id, action, detail, role in events.values_list(
            "case_id", "action", "detail", "actor__role"
        ):
            if action == CaseEvent.Action.UPDATED:
                high[case_id] |= detail.get("risk", {}).get("to") in HIGH_RISKS
            elif detail.get("transition") == "close" and high[case_id]:
                assert role == "supervisor", f"case {case_id} closed by a {role}"

    def _created_risks(self) -> dict[int, str]:
        # The created event holds no level; the level a case started with is the one
        # before its first recorded risk change, or its risk now if it never changed.
        first = {}
        events = CaseEvent.objects.filter(action=CaseEvent.Action.UPDATED).order_by("id")
        for case_id, detail in events.values_list("case_id", "detail"):
            if "risk" in detail and case_id not in first:
                first[case_id] = detail["risk"]["from"]
        now = dict(Case.objects.filter(pk__in=list(self.model)).values_list("pk", "risk"))
        return {pk: first.get(pk, now[pk]) for pk in self.model}

    @invariant()
    def each_person_sees_exactly_the_cases_of_their_scope(self):
        for username, person in STAFF.items():
            visible = set(cases_visible_to(user=self.user(username)).values_list("pk", flat=True))
            expected = {pk for pk, case in self.model.items() if person.sees_case_of(case.hotline)}
            assert visible == expected, username


@pytest.mark.django_db
def test_it_keeps_the_case_rules_whatever_anyone_does(staff, staff_clients):
    run_state_machine_as_test(
        machine_for(CaseMachine, staff, clients=staff_clients),
        settings=settings(max_examples=examples(15), stateful_step_count=30),
    )
