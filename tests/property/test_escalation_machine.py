"""The escalation state machine and the agencies' access, driven by random steps of random people.

Hotline staff send cases to agencies, withdraw, resubmit, share more and write; liaisons
acknowledge, report progress, return, decline and resolve; supervisors close and reopen
the cases underneath. Whoever takes a step, in scope or not, gets the answer the rules
in docs/architecture.md ("Agency access") give. After every step the database must
hold what the rules allow, above all: an agency reaches an escalation only through a
grant to its own group, a closed case leaves no grant behind, and a liaison never
reads a case.
"""

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

from cases.models import CaseEvent
from cases.selectors import case_get_for_user, cases_visible_to
from cases.services import CaseError, case_create, case_transition, case_update
from escalation.models import (
    Agency,
    DisclosureRecord,
    Escalation,
    EscalationGroupObjectPermission,
    EscalationUserObjectPermission,
    LegalBasis,
)
from escalation.selectors import escalation_get_for_user, escalations_visible_to
from escalation.services import (
    EscalationError,
    StaleEscalationError,
    escalation_create,
    escalation_disclose,
    escalation_message_send,
    escalation_transition,
)
from tests.property.machines import (
    HIGH_RISKS,
    LIAISONS,
    RISKS,
    STAFF,
    RolledBackMachine,
    anyone,
    expect,
    machine_for,
    typed_text,
)
from tests.property.profiles import examples

# The agencies seeded for the tests, as tests/conftest.py loads them: which province
# each covers (None: every one) and which types it accepts.
AGENCIES = {
    "a05-police": (None, {"privacy_violation", "child_abuse", "ocsea", "scam"}),
    "hotline-111": (None, {"child_abuse", "ocsea", "self_harm"}),
    "hanoi-police": ("01", {"privacy_violation", "child_abuse", "ocsea", "scam"}),
}
TYPES = ("privacy_violation", "child_abuse", "ocsea", "self_harm", "scam")
OPEN = ("sent", "acknowledged", "in_progress", "returned")
TALKING = (*OPEN, "resolved", "declined")
# transition -> (side, from states, to state), from the table in architecture.md.
STEPS = {
    "acknowledge": ("agency", ("sent",), "acknowledged"),
    "progress": ("agency", ("acknowledged", "in_progress"), "in_progress"),
    "resolve": ("agency", ("acknowledged", "in_progress"), "resolved"),
    "return": ("agency", ("sent", "acknowledged", "in_progress"), "returned"),
    "decline": ("agency", ("sent", "acknowledged", "in_progress"), "declined"),
    "resubmit": ("hotline", ("returned",), "sent"),
    "withdraw": ("hotline", OPEN, "withdrawn"),
}
FACTS = ("categories", "risk", "age_group", "gender", "province")
CASE_STEPS = {
    "open": (("new",), "open"),
    "resolve": (("open",), "resolved"),
    "close": (("resolved",), "closed"),
    "reopen": (("resolved", "closed"), "open"),
}


@dataclass
class CaseModel:
    pk: int
    hotline: str
    risk: str
    state: str = "new"
    escalation_events: int = 0
    ever_high: bool = False

    def facts(self) -> dict:
        """The values a disclosure of each fact would hold now (case_create's defaults)."""
        province = "" if self.hotline == "00" else self.hotline
        return {
            "categories": [],
            "risk": self.risk,
            "age_group": "",
            "gender": "unknown",
            "province": province,
        }


@dataclass
class EscalationModel:
    pk: int
    case: CaseModel
    agency: str
    state: str = "sent"
    revoked: str = ""  # why the grant ended: "", "withdrawn" or "case_closed"
    disclosures: int = 1
    disclosed: dict = field(default_factory=dict)


class EscalationMachine(RolledBackMachine):
    escalations = Bundle("escalations")
    clients: dict = {}

    @initialize()
    def cases_to_escalate(self):
        """A case in Hanoi, which every agency covers, and one in Hue, outside Hanoi's police.

        Both are open already: closing one is then two steps away, not three.
        """
        self.cases: dict[int, CaseModel] = {}
        self.model: dict[int, EscalationModel] = {}
        self.case_moves = 0
        self.agency_ids = dict(Agency.objects.values_list("code", "pk"))
        for username, risk in (("op_hanoi", "high"), ("op_hue", "medium")):
            user = self.user(username)
            case = case_create(user=user, risk=risk)
            case_transition(user=user, case_id=case.pk, transition="open")
            self.cases[case.pk] = CaseModel(
                pk=case.pk,
                hotline=STAFF[username].hotline,
                risk=risk,
                state="open",
                ever_high=risk in HIGH_RISKS,
            )

    def draw_person(self, data, *, side: str, hotline: str, agency: str = "") -> str:
        """Mostly someone of the side that takes the step, else anyone at all.

        On the agency's side that is the liaison of the escalation's own agency when it
        has one among the named staff: a random liaison would mostly be turned away,
        and an escalation would hardly ever be resolved before its case closes.
        """
        if side == "agency":
            own = [n for n in LIAISONS if STAFF[n].agency == agency]
            likely = st.sampled_from(own or LIAISONS)
        else:
            inside = [n for n, p in STAFF.items() if p.sees_case_of(hotline)]
            likely = st.sampled_from(sorted(inside))
        return data.draw(st.one_of(likely, likely, likely, anyone), label="who")

    # --- the hotline's steps ---

    # A handful of escalations is enough to meet every rule; more only slow each
    # step's checks, which read every escalation through the selectors.
    @precondition(lambda self: len(self.model) < 6)
    @rule(target=escalations, data=st.data())
    def send(self, data):
        case = self.cases[data.draw(st.sampled_from(sorted(self.cases)), label="case")]
        username = self.draw_person(data, side="hotline", hotline=case.hotline)
        # Mostly an agency with a named liaison, who can then act on it.
        with_liaison = st.sampled_from(sorted({STAFF[n].agency for n in LIAISONS}))
        agency = data.draw(
            st.one_of(with_liaison, with_liaison, st.sampled_from(sorted(AGENCIES))),
            label="agency",
        )
        kind = data.draw(st.sampled_from(TYPES), label="type")
        items = data.draw(st.lists(st.sampled_from(FACTS), unique=True), label="items")
        province, accepted = AGENCIES[agency]
        already_open = any(
            e.case is case and e.agency == agency and e.state in OPEN for e in self.model.values()
        )
        if not STAFF[username].sees_case_of(case.hotline):
            outcome = Http404
        elif (
            case.state == "closed"
            or kind not in accepted
            or province not in (None, case.hotline)
            or already_open
        ):
            outcome = EscalationError
        else:
            outcome = None
        escalation = expect(
            outcome,
            escalation_create,
            user=self.user(username),
            case_id=case.pk,
            agency_id=self.agency_ids[agency],
            escalation_type=kind,
            urgency="24h",
            legal_basis=data.draw(st.sampled_from(LegalBasis.values), label="basis"),
            summary="Tóm tắt gửi cơ quan",
            youth_informed="informed",
            shared_items=items,
        )
        if outcome is not None:
            return multiple()
        facts = case.facts()
        self.model[escalation.pk] = EscalationModel(
            pk=escalation.pk,
            case=case,
            agency=agency,
            disclosed={item: facts[item] for item in items},
        )
        case.escalation_events += 1
        return escalation.pk

    # --- a step of either side ---

    @rule(escalation_id=escalations, data=st.data())
    def step(self, escalation_id, data):
        escalation = self.model[escalation_id]
        # Mostly a step the state allows; a resolved, declined or withdrawn escalation
        # allows none, and then every step is one the rules must refuse.
        allowed = sorted(n for n, s in STEPS.items() if escalation.state in s[1]) or sorted(STEPS)
        likely = st.sampled_from(allowed)
        name = data.draw(st.one_of(likely, likely, st.sampled_from(sorted(STEPS))), label="step")
        side, sources, target = STEPS[name]
        username = self.draw_person(
            data, side=side, hotline=escalation.case.hotline, agency=escalation.agency
        )
        text = data.draw(st.sampled_from(["Đã xem, đang xử lý."] * 3 + ["", " "]), label="text")
        stale = data.draw(st.sampled_from([False] * 7 + [True]), label="stale")
        person = STAFF[username]
        if not self._may_change(username, escalation):
            outcome = Http404
        elif (side == "agency") != (person.role == "liaison"):
            outcome = EscalationError
        elif stale:
            outcome = StaleEscalationError
        elif escalation.state not in sources or (name != "acknowledge" and not text.strip()):
            outcome = EscalationError
        else:
            outcome = None
        seen = "acknowledged" if stale and escalation.state != "acknowledged" else "sent"
        expect(
            outcome,
            escalation_transition,
            user=self.user(username),
            escalation_id=escalation_id,
            transition=name,
            text=text,
            expected_state=seen if stale else escalation.state,
        )
        if outcome is None:
            escalation.state = target
            escalation.case.escalation_events += 1
            if name == "withdraw":
                escalation.revoked = "withdrawn"
            if name == "resubmit":
                escalation.disclosures += 1

    @rule(escalation_id=escalations, data=st.data())
    def share_more(self, escalation_id, data):
        escalation = self.model[escalation_id]
        username = self.draw_person(data, side="hotline", hotline=escalation.case.hotline)
        items = data.draw(st.lists(st.sampled_from(FACTS), unique=True), label="items")
        facts = escalation.case.facts()
        adds = any(escalation.disclosed.get(item) != facts[item] for item in items)
        if not self._may_change(username, escalation):
            outcome = Http404
        elif (
            not STAFF[username].handles_cases
            or escalation.state not in TALKING
            or escalation.revoked
            or not items
            or not adds
        ):
            outcome = EscalationError
        else:
            outcome = None
        expect(
            outcome,
            escalation_disclose,
            user=self.user(username),
            escalation_id=escalation_id,
            items=items,
        )
        if outcome is None:
            escalation.disclosed.update({item: facts[item] for item in items})
            escalation.disclosures += 1
            escalation.case.escalation_events += 1

    @rule(escalation_id=escalations, data=st.data())
    def write(self, escalation_id, data):
        escalation = self.model[escalation_id]
        side = data.draw(st.sampled_from(["agency", "hotline"]), label="side")
        username = self.draw_person(
            data, side=side, hotline=escalation.case.hotline, agency=escalation.agency
        )
        body = data.draw(typed_text, label="body")
        if not self._may_change(username, escalation):
            outcome = Http404
        elif not body.strip() or escalation.state not in TALKING or escalation.revoked:
            outcome = EscalationError
        else:
            outcome = None
        expect(
            outcome,
            escalation_message_send,
            user=self.user(username),
            escalation_id=escalation_id,
            body=body,
        )
        if outcome is None:
            escalation.case.escalation_events += 1
            if STAFF[username].handles_cases:
                escalation.disclosures += 1

    # --- the case underneath ---

    # At most one move of a case per escalation sent: left to itself Hypothesis picks
    # this rule, which needs nothing, far more often than the others, and the cases
    # would close (revoking every grant) before any agency had acted on an escalation.
    @precondition(lambda self: self.case_moves < len(self.model))
    @rule(data=st.data())
    def case_step(self, data):
        """A step of the case underneath: a transition, or a central supervisor's new risk."""
        self.case_moves += 1
        case = self.cases[data.draw(st.sampled_from(sorted(self.cases)), label="case")]
        likely = st.sampled_from(sorted(n for n, s in CASE_STEPS.items() if case.state in s[0]))
        name = data.draw(st.one_of(likely, likely, st.sampled_from([*CASE_STEPS, "risk"])))
        if name == "risk":
            self._revise_risk(case, data.draw(st.sampled_from(RISKS), label="risk"))
            return
        sources = CASE_STEPS[name][0]
        username = data.draw(st.sampled_from(["sup_central", "sup_hanoi", "op_hue"]), label="who")
        person = STAFF[username]
        needs_supervisor = name == "close" and case.ever_high
        if not person.sees_case_of(case.hotline):
            outcome = Http404
        elif case.state not in sources or (needs_supervisor and not person.is_supervisor):
            outcome = CaseError
        else:
            outcome = None
        expect(
            outcome,
            case_transition,
            user=self.user(username),
            case_id=case.pk,
            transition=name,
        )
        if outcome is None:
            self._case_moved(case, name)

    @precondition(lambda self: any(e.state in ("resolved", "declined") for e in self.unrevoked()))
    @rule(data=st.data())
    def close_after_the_agency_answered(self, data):
        """A central supervisor closes a case whose agency resolved or declined it.

        The agency keeps its grant on a finished escalation until then; the close must
        take it away like any other. Random case steps rarely meet this moment.
        """
        finished = [e for e in self.unrevoked() if e.state in ("resolved", "declined")]
        case = data.draw(st.sampled_from(finished), label="escalation").case
        for name in ("resolve", "close") if case.state == "open" else ("close",):
            case_transition(user=self.user("sup_central"), case_id=case.pk, transition=name)
            self._case_moved(case, name)

    def unrevoked(self) -> list[EscalationModel]:
        return [e for e in self.model.values() if not e.revoked]

    def _case_moved(self, case: CaseModel, name: str):
        case.state = CASE_STEPS[name][1]
        if name != "close":
            return
        for escalation in self.model.values():
            if escalation.case is case and not escalation.revoked:
                if escalation.state in OPEN:
                    escalation.state = "withdrawn"
                escalation.revoked = "case_closed"
                case.escalation_events += 1

    def _revise_risk(self, case: CaseModel, risk: str):
        """So that there is something new to share with an agency."""
        expect(
            CaseError if case.state == "closed" else None,
            case_update,
            user=self.user("sup_central"),
            case_id=case.pk,
            expected_version=None,
            risk=risk,
        )
        if case.state != "closed":
            case.risk = risk
            case.ever_high |= risk in HIGH_RISKS

    # --- reads ---

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def read_page(self, data):
        escalation = self.model[data.draw(st.sampled_from(sorted(self.model)), label="escalation")]
        username = data.draw(anyone, label="who")
        person = STAFF[username]
        # Each side's page: a person of the other side (or an administrator) gets the
        # role check's 403 whatever the id; on their own side, 404 when out of reach.
        for prefix, their_side in (
            ("/liaison/", person.role == "liaison"),
            ("/escalations/", person.handles_cases),
        ):
            status = self.clients[username].get(f"{prefix}{escalation.pk}/").status_code
            if not their_side:
                assert status == 403, (prefix, username, status)
            elif self._may_see(username, escalation):
                assert status == 200, (prefix, username, status)
            else:
                assert status == 404, (prefix, username, status)

    # --- the rules, written out ---

    def _may_see(self, username: str, escalation: EscalationModel) -> bool:
        person = STAFF[username]
        if person.role == "liaison":
            return person.agency == escalation.agency and not escalation.revoked
        return person.sees_case_of(escalation.case.hotline)

    _may_change = _may_see

    # --- invariants, after every step ---

    @invariant()
    def each_escalation_is_where_the_rules_put_it(self):
        found = {
            pk: (state, reason or "")
            for pk, state, reason in Escalation.objects.values_list(
                "pk", "state", "access_revoked_reason"
            )
        }
        assert found == {pk: (e.state, e.revoked) for pk, e in self.model.items()}

    @invariant()
    def an_agency_holds_a_grant_exactly_while_its_access_stands(self):
        grants: dict[int, set] = {pk: set() for pk in self.model}
        for pk, group, codename in EscalationGroupObjectPermission.objects.values_list(
            "content_object_id", "group__name", "permission__codename"
        ):
            grants[pk].add((group, codename))
        expected = {
            pk: set()
            if e.revoked
            else {
                (f"agency:{e.agency}", "view_escalation"),
                (f"agency:{e.agency}", "change_escalation"),
            }
            for pk, e in self.model.items()
        }
        assert grants == expected
        assert not EscalationUserObjectPermission.objects.exists()

    @invariant()
    def a_closed_case_leaves_no_grant_and_nothing_open(self):
        closed = Escalation.objects.filter(case__state="closed")
        assert not EscalationGroupObjectPermission.objects.filter(
            content_object__in=closed
        ).exists()
        assert not closed.filter(state__in=OPEN).exists()
        assert not closed.filter(access_revoked_at__isnull=True).exists()

    @invariant()
    def at_most_one_open_escalation_per_case_and_agency(self):
        pairs = list(Escalation.objects.filter(state__in=OPEN).values_list("case_id", "agency_id"))
        assert len(pairs) == len(set(pairs))

    @invariant()
    def a_liaison_reads_only_what_their_agency_was_granted_and_never_a_case(self):
        for username in LIAISONS:
            user = self.user(username)
            expected = {pk for pk, e in self.model.items() if self._may_see(username, e)}
            assert set(escalations_visible_to(user=user).values_list("pk", flat=True)) == expected
            for pk in self.model:
                expect(
                    None if pk in expected else Http404,
                    escalation_get_for_user,
                    user=user,
                    escalation_id=pk,
                )
            assert not cases_visible_to(user=user).exists()
            for case_id in self.cases:
                expect(Http404, case_get_for_user, user=user, case_id=case_id)

    @invariant()
    def hotline_staff_reach_an_escalation_only_through_its_case(self):
        for username in ("op_hue", "sup_hanoi", "admin"):
            user = self.user(username)
            for pk, escalation in self.model.items():
                expect(
                    None if self._may_see(username, escalation) else Http404,
                    escalation_get_for_user,
                    user=user,
                    escalation_id=pk,
                )

    @invariant()
    def every_disclosure_is_recorded_with_its_legal_basis(self):
        records: dict[int, int] = dict.fromkeys(self.model, 0)
        for pk, basis, escalation_basis, recipient, agency in DisclosureRecord.objects.values_list(
            "escalation_id",
            "legal_basis",
            "escalation__legal_basis",
            "recipient_id",
            "escalation__agency_id",
        ):
            assert basis == escalation_basis and basis in LegalBasis.values
            assert recipient == agency
            records[pk] += 1
        assert records == {pk: e.disclosures for pk, e in self.model.items()}

    @invariant()
    def every_step_is_on_the_case_timeline(self):
        counts = dict.fromkeys(self.cases, 0)
        for case_id in CaseEvent.objects.filter(action=CaseEvent.Action.ESCALATION).values_list(
            "case_id", flat=True
        ):
            counts[case_id] += 1
        assert counts == {pk: case.escalation_events for pk, case in self.cases.items()}


@pytest.mark.django_db
def test_it_keeps_the_escalation_rules_whatever_anyone_does(staff, staff_clients):
    run_state_machine_as_test(
        machine_for(EscalationMachine, staff, clients=staff_clients),
        settings=settings(max_examples=examples(12), stateful_step_count=30),
    )
