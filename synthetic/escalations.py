"""Synthetic escalations: the agency's course, its messages, and the grants still held.

An escalation goes to an agency that accepts its type and covers the case's
province, with that agency's deadlines for its urgency. Where it got depends on
how much time passed: until now, or until the case closed (which withdraws
what is still open and revokes every grant, as escalation.services does). The
agency's group keeps its direct foreign-key grants (view, change) only on
escalations whose access was not revoked: written in bulk, not one
assign_perm per row.
"""

import datetime
from dataclasses import dataclass

from escalation.models import (
    OPEN_STATES,
    DisclosureRecord,
    Escalation,
    EscalationGroupObjectPermission,
    EscalationLastOpened,
    EscalationMessage,
)
from synthetic import distributions as shape
from synthetic.timeline import Event

# Transitions whose reason, update or outcome the service keeps as a message.
WITH_MESSAGE = ("progress", "resolve", "return", "decline", "withdraw")
OPEN = frozenset(state.value for state in OPEN_STATES)


def _type(history, categories: tuple[str, ...]) -> str:
    codes = set(categories)
    if "online.ocsea" in codes:
        return "ocsea"
    if "online.scam" in codes:
        return "scam"
    hints = sorted(
        history.categories.hints[code] for code in codes if code in history.categories.hints
    )
    if hints:
        return hints[0]
    if any(code.startswith("mental_health.") for code in codes):
        return "self_harm"
    return "child_abuse"


def escalation_agency(history, draft):
    """(type, agency) an escalation of this case would go to, or None if no agency fits."""
    escalation_type = _type(history, draft.categories)
    agency = history.agencies.choose(history.rng, escalation_type, draft.province_code)
    return None if agency is None else (escalation_type, agency)


def _course(rng, created_at, acknowledge_by, resolve_by, horizon):
    """(state, acknowledged_at, finished_at) the escalation reached by `horizon`."""
    in_time = rng.random() < shape.ACKNOWLEDGED_IN_TIME
    if horizon < acknowledge_by:
        if rng.random() < 0.6:
            return "sent", None, None
        return "acknowledged", shape.between(rng, created_at, horizon), None
    if in_time:
        acknowledged_at = shape.between(rng, created_at, acknowledge_by)
    else:
        late_until = min(horizon, acknowledge_by + (acknowledge_by - created_at) * 2)
        acknowledged_at = shape.between(rng, acknowledge_by, late_until)
    if horizon < resolve_by:
        if not in_time and rng.random() < 0.3:
            # Past its acknowledgement deadline and still not acknowledged.
            return "sent", None, None
        state = shape.UNDER_WAY.draw(rng)
        if state in ("resolved", "declined"):
            return state, acknowledged_at, shape.between(rng, acknowledged_at, horizon)
        return state, acknowledged_at, None
    state = shape.FINISHED_AS.draw(rng)
    if state == "sent":
        return "sent", None, None
    if state in ("in_progress", "returned"):
        return state, acknowledged_at, None
    if rng.random() < shape.RESOLVED_IN_TIME:
        finished_at = shape.between(rng, acknowledged_at, resolve_by)
    else:
        late_until = min(horizon, resolve_by + (resolve_by - created_at))
        finished_at = shape.between(rng, resolve_by, late_until)
    if state == "declined" and rng.random() < 0.5:
        acknowledged_at = None
    return state, acknowledged_at, finished_at


class _Course:
    """The steps of one escalation as timeline lines, with the messages some of them carry."""

    def __init__(self, history, escalation_id: int):
        self.history = history
        self.escalation_id = escalation_id
        self.events: list[Event] = []
        self.messages: list[dict] = []
        self.state = "sent"

    def step(self, name, actor, at, to_state, *, side="agency", **extra) -> None:
        detail = {"escalation": self.escalation_id, "transition": name, "from": self.state}
        detail.update(to=to_state, **extra)
        if name in WITH_MESSAGE and actor is not None and not extra:
            messages = self.history.loaders[EscalationMessage]
            message_id = messages.allocate_id()
            self.messages.append(
                {"id": message_id, "escalation_id": self.escalation_id, "side": side,
                 "author_id": actor, "transition": name, "body": shape.PLACEHOLDER_TEXT,
                 "created_at": at}
            )  # fmt: skip
            detail["message"] = message_id
        self.events.append(Event("escalation", actor, at, detail=detail))
        self.state = to_state


@dataclass
class EscalationPlan:
    """Where an escalation went, as of now: drawn before its case's own course, which
    waits for the agency (a case is not closed while its escalation is open)."""

    type: str
    agency: object
    urgency: str
    created_at: datetime.datetime
    acknowledge_by: datetime.datetime
    resolve_by: datetime.datetime
    state: str
    acknowledged_at: datetime.datetime | None
    finished_at: datetime.datetime | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN


def escalation_plan(history, draft, highest: str, fitting) -> EscalationPlan:
    rng = history.rng
    escalation_type, agency = fitting
    created_at = draft.created_at + datetime.timedelta(
        seconds=shape.lognormal_seconds(rng, median=1800, sigma=1.0, cap=2 * 86400)
    )
    if created_at >= history.now:
        created_at = shape.between(rng, draft.created_at, history.now)
    urgency = shape.URGENCY_BY_RISK[highest].draw(rng)
    acknowledge_by, resolve_by = agency.deadlines(urgency, at=created_at)
    state, acknowledged_at, finished_at = _course(
        rng, created_at, acknowledge_by, resolve_by, history.now
    )
    return EscalationPlan(
        escalation_type,
        agency,
        urgency,
        created_at,
        acknowledge_by,
        resolve_by,
        state,
        acknowledged_at,
        finished_at,
    )


def _steps(history, plan: EscalationPlan, course: "_Course", by: int, liaison) -> None:
    rng = history.rng
    if plan.acknowledged_at is not None:
        course.step("acknowledge", liaison, plan.acknowledged_at, "acknowledged")
    if plan.state == "in_progress" or (plan.state == "resolved" and rng.random() < 0.5):
        at = shape.between(rng, plan.acknowledged_at, plan.finished_at or history.now)
        course.step("progress", liaison, at, "in_progress")
    if plan.state in ("resolved", "declined"):
        name = "resolve" if plan.state == "resolved" else "decline"
        course.step(name, liaison, plan.finished_at, plan.state)
    elif plan.state == "returned":
        at = shape.between(rng, plan.acknowledged_at or plan.created_at, history.now)
        course.step("return", liaison, at, "returned")
    elif plan.state == "withdrawn":
        course.step("withdraw", by, plan.finished_at, "withdrawn", side="hotline")


def escalation_write(history, draft, case_id: int, plan: EscalationPlan, closed_at) -> list:
    """Write the escalation and what followed it; return its timeline lines.

    closed_at is when its case closed, if it did: that revokes the agency's
    grant, and withdraws the escalation if it was still open.
    """
    rng = history.rng
    agency = plan.agency
    escalation_id = history.loaders[Escalation].allocate_id()
    liaisons = history.agencies.liaisons.get(agency.pk, [])
    liaison = rng.choice(liaisons) if liaisons else None
    course = _Course(history, escalation_id)
    send = {"escalation": escalation_id, "transition": "send", "to": "sent", "agency": agency.pk}
    course.events.append(Event("escalation", draft.created_by, plan.created_at, detail=send))
    _steps(history, plan, course, draft.created_by, liaison)
    state, finished_at = plan.state, plan.finished_at
    revoked_at, revoked_reason = None, ""
    if state == "withdrawn":
        # Withdrawing revoked the grant already; closing the case later finds nothing to revoke.
        revoked_at, revoked_reason = finished_at, "withdrawn"
    elif closed_at is not None:
        if plan.is_open:
            course.step("withdraw", draft.created_by, closed_at, "withdrawn", reason="case_closed")
            state, finished_at = "withdrawn", closed_at
        else:
            revoke = {"escalation": escalation_id, "transition": "revoke", "reason": "case_closed"}
            course.events.append(Event("escalation", draft.created_by, closed_at, detail=revoke))
        revoked_at, revoked_reason = closed_at, "case_closed"
    legal_basis = "crime_report" if plan.type == "scam" else "child_protection"
    history.loaders[Escalation].add(
        {
            "id": escalation_id,
            "case_id": case_id,
            "agency_id": agency.pk,
            "type": plan.type,
            "urgency": plan.urgency,
            "legal_basis": legal_basis,
            "summary": shape.PLACEHOLDER_TEXT,
            "shared_items": ["categories", "risk", "age_group"],
            "youth_informed": "informed" if rng.random() < 0.8 else "would_endanger",
            "state": state,
            "created_by_id": draft.created_by,
            "created_at": plan.created_at,
            "sent_at": plan.created_at,
            "acknowledge_by": plan.acknowledge_by,
            "resolve_by": plan.resolve_by,
            "acknowledged_at": plan.acknowledged_at,
            "finished_at": finished_at,
            "outcome": shape.PLACEHOLDER_TEXT if state == "resolved" else "",
            "decline_reason": shape.PLACEHOLDER_TEXT if state == "declined" else "",
            "access_revoked_at": revoked_at,
            "access_revoked_reason": revoked_reason,
        }
    )
    _disclosure(history, draft, escalation_id, agency, legal_basis, plan.created_at)
    history.loaders[EscalationMessage].add_all(course.messages)
    if liaison is not None and plan.acknowledged_at is not None:
        until = finished_at or history.now
        _exchange(history, escalation_id, liaison, plan.acknowledged_at, until)
        _opened(history, escalation_id, liaisons, plan.acknowledged_at, until)
    if revoked_at is None:
        _grant(history, escalation_id, agency)
    return course.events


def _disclosure(history, draft, escalation_id, agency, legal_basis, at) -> None:
    disclosures = history.loaders[DisclosureRecord]
    disclosures.add(
        {
            "id": disclosures.allocate_id(),
            "escalation_id": escalation_id,
            "recipient_id": agency.pk,
            "recipient_name": agency.name_vi,
            "items": ["summary", "categories", "risk", "age_group"],
            "snapshot": {
                "categories": list(draft.categories),
                "risk": draft.risk,
                "age_group": draft.age_group,
            },
            "legal_basis": legal_basis,
            "youth_informed": "informed",
            "sent_by_id": draft.created_by,
            "sent_at": at,
        }
    )


def _exchange(history, escalation_id, liaison, start, end) -> None:
    """Plain messages from the agency while it works on the escalation."""
    messages = history.loaders[EscalationMessage]
    for _message in range(shape.AGENCY_MESSAGES.draw(history.rng)):
        messages.add(
            {"id": messages.allocate_id(), "escalation_id": escalation_id, "side": "agency",
             "author_id": liaison, "transition": "", "body": shape.PLACEHOLDER_TEXT,
             "created_at": shape.between(history.rng, start, end)}
        )  # fmt: skip


def _opened(history, escalation_id, liaisons, start, end) -> None:
    """When each of the agency's liaisons last read it (the queue's "new to you" mark)."""
    opened = history.loaders[EscalationLastOpened]
    for reader in liaisons:
        opened.add(
            {
                "id": opened.allocate_id(),
                "escalation_id": escalation_id,
                "liaison_id": reader,
                "at": shape.between(history.rng, start, end),
            }
        )


def _grant(history, escalation_id, agency) -> None:
    grants = history.loaders[EscalationGroupObjectPermission]
    for permission_id in history.agencies.permission_ids:
        grants.add(
            {
                "id": grants.allocate_id(),
                "group_id": agency.group_id,
                "permission_id": permission_id,
                "content_object_id": escalation_id,
            }
        )
