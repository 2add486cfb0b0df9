"""Synthetic cases and their timelines.

A case is opened during a contact (or, when more cases are asked for than the
contacts open, on the case page without one). How far it got (new, open,
resolved, closed) depends on its age; its timeline says when each step was
taken and by whom, plus reads and edits, and its escalation if it has one.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from cases.models import Case
from synthetic import distributions as shape
from synthetic.contacts import hotline_draw
from synthetic.escalations import escalation_agency, escalation_plan, escalation_write
from synthetic.timeline import Event

HIGH_RISKS = ("high", "imminent")
RISK_SCALE = ("low", "medium", "high", "imminent")
CASE_GENDERS = ("female", "male", "other", "unknown")


@dataclass
class CaseDraft:
    created_at: datetime.datetime
    hotline_id: int
    created_by: int
    risk: str
    categories: tuple[str, ...]
    age_group: str
    gender: str
    province_code: str
    contact: dict | None = None


def case_draft_from_contact(history, contact: dict) -> CaseDraft:
    """A case the operator opened while talking to the young person."""
    handled = contact["handled_seconds"] or 60
    created_at = contact["answered_at"] + datetime.timedelta(
        seconds=handled * history.rng.uniform(0.3, 0.9)
    )
    return CaseDraft(
        created_at=created_at,
        hotline_id=contact["hotline_id"],
        created_by=contact["operator_id"],
        risk=contact["risk"] or "low",
        categories=contact["categories"],
        age_group=contact["age_group"],
        gender=contact["gender"],
        province_code=contact["province_code"],
        contact=contact,
    )


def case_draft_standalone(history, day: datetime.date) -> CaseDraft:
    """A case opened on the case page, without a contact (a parent, a school, a walk-in)."""
    rng = history.rng
    hotline_id = hotline_draw(history)
    hotline = history.hotlines[hotline_id]
    return CaseDraft(
        created_at=history.clock.moment(rng, day),
        hotline_id=hotline_id,
        created_by=rng.choice(history.staff.operators[hotline_id]),
        risk=shape.RISKS.draw(rng),
        categories=history.categories.draw(rng, shape.AREAS, shape.CATEGORY_COUNT.draw(rng)),
        age_group=shape.AGE_GROUPS.draw(rng),
        gender=shape.GENDERS.draw(rng),
        province_code="" if hotline.is_central else hotline.code,
    )


def _times(history, created_at: datetime.datetime, state: str) -> dict:
    """When the case was opened, resolved and closed, as far as its state goes, before now."""
    rng = history.rng
    steps = {"new": 0, "open": 1, "resolved": 2, "closed": 3}[state]
    gaps = [
        shape.lognormal_seconds(rng, median=3600, sigma=1.0, cap=3 * 86400),
        shape.lognormal_seconds(rng, median=7 * 86400, sigma=0.8, cap=120 * 86400),
        shape.lognormal_seconds(rng, median=3 * 86400, sigma=0.8, cap=60 * 86400),
    ][:steps]
    room = (history.now - created_at).total_seconds() * 0.98
    if sum(gaps) > room:
        gaps = [gap * room / sum(gaps) for gap in gaps]
    times = {}
    moment = created_at
    for name, gap in zip(("opened", "resolved", "closed"), gaps, strict=False):
        moment += datetime.timedelta(seconds=gap)
        times[name] = moment
    return times


def _state(history, created_at: datetime.datetime) -> str:
    age_days = (history.now - created_at).total_seconds() / 86400
    for limit, states in shape.CASE_STATE_BY_AGE:
        if age_days < limit:
            return states.draw(history.rng)
    raise AssertionError("the last age limit has no end")


def _timeline(history, draft: CaseDraft, case_id: int, times: dict, risks) -> list[Event]:
    rng = history.rng
    highest, risk = risks
    by = draft.created_by
    supervisors = history.staff.supervisors.get(draft.hotline_id) or [by]
    events = [Event("created", by, draft.created_at)]
    if draft.contact is not None:
        linked = {
            "conversation": str(draft.contact["conversation_id"]),
            "channel": draft.contact["channel"],
        }
        at = draft.created_at + datetime.timedelta(seconds=1)
        events.append(Event("conversation_linked", by, at, detail=linked))
    if "opened" in times:
        events.append(
            Event("transitioned", by, times["opened"], "new", "open", {"transition": "open"})
        )
    active_until = times.get("closed") or times.get("resolved") or history.now
    if risk != highest:
        # Lowering a high risk needs a supervisor.
        at = shape.between(rng, times["opened"], times["resolved"])
        lowered = {"fields": ["risk"], "risk": {"from": highest, "to": risk}}
        events.append(Event("updated", rng.choice(supervisors), at, detail=lowered))
    if rng.random() < shape.CASE_CATEGORIES_CHANGED:
        at = shape.between(rng, draft.created_at, active_until)
        events.append(Event("updated", by, at, detail={"fields": ["categories"]}))
    for _view in range(shape.CASE_VIEWS.draw(rng)):
        reader = by if rng.random() < 0.7 else rng.choice(supervisors)
        events.append(Event("viewed", reader, shape.between(rng, draft.created_at, active_until)))
    if "resolved" in times:
        resolve = {"transition": "resolve"}
        events.append(Event("transitioned", by, times["resolved"], "open", "resolved", resolve))
    if "closed" in times:
        closer = rng.choice(supervisors) if highest in HIGH_RISKS else by
        close = {"transition": "close"}
        events.append(Event("transitioned", closer, times["closed"], "resolved", "closed", close))
    return events


def _escalation(history, draft: CaseDraft, highest: str):
    """The escalation of the case, if its risk or categories call for one and an agency fits."""
    chance = shape.ESCALATION_CHANCE[highest]
    if any(code in history.categories.hints for code in draft.categories):
        chance = max(chance, shape.ESCALATION_CHANCE_HINTED)
    fitting = escalation_agency(history, draft)
    if fitting is None or not history.escalation_quota.take(history.rng, chance):
        return None
    if draft.contact is not None:
        draft.contact["escalated"] = True
    return escalation_plan(history, draft, highest, fitting)


def _waiting_for(history, state: str, times: dict, escalation) -> tuple[str, dict]:
    """The case's course once it waits for its agency: not resolved while the escalation is
    open, and resolved only after the agency finished."""
    if escalation is None or state not in ("resolved", "closed"):
        return state, times
    if escalation.is_open:
        return "open", {"opened": times["opened"]}
    delay = escalation.finished_at - times["resolved"]
    if delay.total_seconds() <= 0:
        return state, times
    delay += datetime.timedelta(
        seconds=shape.lognormal_seconds(history.rng, median=86400, sigma=0.8, cap=30 * 86400)
    )
    moved = {name: moment + delay if name != "opened" else moment for name, moment in times.items()}
    kept = {name: moment for name, moment in moved.items() if moment < history.now}
    return ("closed" if "closed" in kept else "resolved" if "resolved" in kept else "open"), kept


def case_write(history, draft: CaseDraft) -> None:
    """Write the case, its categories, its escalation, and queue its timeline."""
    rng = history.rng
    highest = risk = draft.risk
    escalation = _escalation(history, draft, highest)
    state = _state(history, draft.created_at)
    state, times = _waiting_for(
        history, state, _times(history, draft.created_at, state), escalation
    )
    if (
        state in ("resolved", "closed")
        and highest != "low"
        and rng.random() < shape.CASE_RISK_LOWERED
    ):
        risk = RISK_SCALE[RISK_SCALE.index(highest) - 1]
    case_id = history.loaders[Case].allocate_id()
    if draft.contact is not None:
        draft.contact["case_id"] = case_id
    events = _timeline(history, draft, case_id, times, (highest, risk))
    if escalation is not None:
        events += escalation_write(history, draft, case_id, escalation, times.get("closed"))
    changes = [event for event in events if event.action in ("transitioned", "updated")]
    year = timezone.localtime(draft.created_at).year
    history.loaders[Case].add(
        {
            "id": case_id,
            "reference": history.references.next(draft.hotline_id, year),
            "hotline_id": draft.hotline_id,
            "state": state,
            "risk": risk,
            "highest_risk": highest,
            "age_group": draft.age_group,
            "gender": draft.gender if draft.gender in CASE_GENDERS else "unknown",
            "province_code": draft.province_code,
            "summary": shape.PLACEHOLDER_TEXT,
            "created_by_id": draft.created_by,
            "created_at": draft.created_at,
            "updated_at": max([draft.created_at, *(event.at for event in changes)]),
            "resolved_at": times.get("resolved") if state in ("resolved", "closed") else None,
            "closed_at": times.get("closed"),
            "version": 1 + len(changes),
        }
    )
    links = history.loaders[Case.categories.through]
    for code in draft.categories:
        links.add(
            {
                "id": links.allocate_id(),
                "case_id": case_id,
                "category_id": history.categories.ids[code],
            }
        )
    for event in events:
        history.timeline.add(case_id, event)
