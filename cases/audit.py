"""The one writer of a case's timeline and audit trail (CaseEvent rows).

Every app that records a read or a change of a case calls this module, inside
the transaction of the read or the change, so the row commits with it or not
at all. The timeline is read by the people who handle the case, by inspectors
and, in a breach, by investigators: it holds ids, codes and state names, never
text that anyone typed. The writer refuses anything else, so a careless caller
fails in its tests instead of leaking a child's words into the audit trail.
"""

import datetime
import re
from collections.abc import Iterable

from django.utils import timezone

from cases.models import Case, CaseEvent

# Ids, codes, state and transition names, UUIDs and references (HN-2026-000123):
# no spaces, no punctuation that prose needs, and short.
_CODE = re.compile(r"[A-Za-z0-9_.:\-]{0,64}")


class AuditDetailError(ValueError):
    """A detail that is not an id, a code or a state name."""


def _checked(value, where: str):
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        if not _CODE.fullmatch(value):
            raise AuditDetailError(f"audit detail {where} is not a code")
        return value
    if isinstance(value, list | tuple):
        return [_checked(item, f"{where}[]") for item in value]
    if isinstance(value, dict):
        return {
            _checked(key, f"{where} key"): _checked(v, f"{where}.{key}") for key, v in value.items()
        }
    raise AuditDetailError(f"audit detail {where} has an unsupported type")


_ACTIONS = frozenset(CaseEvent.Action.values)


def _fields(*, case_id, action: str, from_state: str, to_state: str, at, detail) -> dict:
    """The columns of one line, each checked: a known action, codes only."""
    if action not in _ACTIONS:
        raise AuditDetailError(f"unknown audit action {action!r}")
    for state in (from_state, to_state):
        _checked(state, "state")
    if case_id is None:
        raise AuditDetailError("an audit row needs its case")
    return {
        "case_id": case_id,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "detail": {key: _checked(value, key) for key, value in detail.items()},
        "at": at or timezone.now(),
    }


def _event(*, case, case_id, actor, action: str, from_state: str, to_state: str, at, detail):
    if case is not None:
        case_id = case.pk
    fields = _fields(
        case_id=case_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        at=at,
        detail=detail,
    )
    return CaseEvent(actor=actor, **fields)


def case_event_record(
    *,
    case: Case | None = None,
    case_id: int | None = None,
    actor,
    action: str,
    from_state: str = "",
    to_state: str = "",
    at: datetime.datetime | None = None,
    **detail,
) -> CaseEvent:
    """Write one line of a case's timeline: who, which action, when, and codes only."""
    event = _event(
        case=case,
        case_id=case_id,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        at=at,
        detail=detail,
    )
    event.save()
    return event


def case_events_record(
    *,
    case: Case,
    actor,
    action: str,
    details: Iterable[dict],
    at: datetime.datetime | None = None,
) -> list[CaseEvent]:
    """Write several lines of one action at once (one per escalation a page shows, say)."""
    events = [
        _event(
            case=case,
            case_id=None,
            actor=actor,
            action=action,
            from_state="",
            to_state="",
            at=at,
            detail=detail,
        )
        for detail in details
    ]
    return CaseEvent.objects.bulk_create(events)


def case_event_fields(
    *,
    case_id: int,
    actor_id: int | None,
    action: str,
    from_state: str = "",
    to_state: str = "",
    at: datetime.datetime,
    **detail,
) -> dict:
    """The checked columns of one line of a timeline, for a loader to write.

    Only for loading made-up history in bulk (synthetic/, `manage.py
    seed_synthetic`), which writes millions of lines at once: the same rules as
    every other line, codes only.
    """
    fields = _fields(
        case_id=case_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        at=at,
        detail=detail,
    )
    return {"actor_id": actor_id, **fields}
