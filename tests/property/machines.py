"""What the state machines of the property tests share: who is who, and one example per savepoint.

The roles and scopes below are written out by hand from docs/architecture.md ("Who sees
which case"), not read from the code under test, so that the expected answer of a step
is worked out independently of the selectors that give the real one.
"""

from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

CENTRAL = "00"


@dataclass(frozen=True)
class Person:
    role: str  # operator, supervisor, liaison, administrator
    hotline: str | None = None  # hotline code, for operators and supervisors
    agency: str | None = None  # agency code, for liaisons

    @property
    def handles_cases(self) -> bool:
        return self.role in ("operator", "supervisor")

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def is_central_supervisor(self) -> bool:
        return self.role == "supervisor" and self.hotline == CENTRAL

    def sees_case_of(self, hotline: str) -> bool:
        """The one rule for cases: own hotline, every hotline for central supervisors."""
        return self.handles_cases and (self.is_central_supervisor or self.hotline == hotline)


STAFF = {
    "op_hanoi": Person("operator", hotline="01"),
    "op_hue": Person("operator", hotline="46"),
    "op_central": Person("operator", hotline=CENTRAL),
    "sup_hanoi": Person("supervisor", hotline="01"),
    "sup_central": Person("supervisor", hotline=CENTRAL),
    "admin": Person("administrator"),
    "liaison_a05": Person("liaison", agency="a05-police"),
    "liaison_111": Person("liaison", agency="hotline-111"),
}
HOTLINE_STAFF = [name for name, person in STAFF.items() if person.handles_cases]
LIAISONS = [name for name, person in STAFF.items() if person.role == "liaison"]

anyone = st.sampled_from(sorted(STAFF))
hotline_staff = st.sampled_from(HOTLINE_STAFF)


def in_scope_or_anyone(hotline: str):
    """Two times in three someone who sees the hotline's cases, else anyone at all.

    Uniformly random people would mostly be refused at the door, and the paths the
    rules care about (a supervisor lowering a risk, then an operator closing) would
    hardly ever be walked.
    """
    inside = sorted(name for name, person in STAFF.items() if person.sees_case_of(hotline))
    return st.one_of(st.sampled_from(inside), st.sampled_from(inside), anyone)


RISKS = ("low", "medium", "high", "imminent")
HIGH_RISKS = ("high", "imminent")

# What people type into a form: any text the HTTP forms accept (no NUL, no lone surrogate).
typed_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


def expect(outcome: type[Exception] | None, call, /, **kwargs):
    """Call call(**kwargs): it must raise exactly outcome, or return its result when None."""
    if outcome is None:
        return call(**kwargs)
    with pytest.raises(outcome) as raised:
        call(**kwargs)
    # A subclass would be another answer (a StaleCaseError is a CaseError, say).
    assert type(raised.value) is outcome, f"expected {outcome.__name__}, got {raised.value!r}"
    return None


class RolledBackMachine(RuleBasedStateMachine):
    """A state machine whose example runs inside a savepoint, rolled back when it ends.

    The test's database fixture holds the reference data and the named staff; each
    example starts from exactly that, and what one example wrote never meets the next.
    on_commit callbacks never run inside a test's transaction, so no broadcast leaves.
    """

    users: dict = {}

    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()

    def user(self, username: str):
        return self.users[username]

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)


def machine_for(machine: type[RolledBackMachine], users: dict, **attributes) -> type:
    """A subclass of machine bound to this test's users (and any other fixtures it needs)."""
    return type(machine.__name__, (machine,), {"users": users, **attributes})
