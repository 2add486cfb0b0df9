"""The one writer of the case timeline refuses anything but ids, codes and state names."""

import pytest

from cases.audit import (
    AuditDetailError,
    case_event_fields,
    case_event_record,
    case_events_record,
)
from cases.models import CaseEvent


@pytest.mark.django_db
def test_it_writes_ids_codes_and_state_names(op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    event = case_event_record(
        case=case,
        actor=op_hanoi,
        action=CaseEvent.Action.UPDATED,
        fields=["risk", "summary"],
        risk={"from": "high", "to": "low"},
        conversation="7f0d1ca0-1111-4222-8333-944445555666",
        escalation=12,
    )
    event.refresh_from_db()
    assert event.detail == {
        "fields": ["risk", "summary"],
        "risk": {"from": "high", "to": "low"},
        "conversation": "7f0d1ca0-1111-4222-8333-944445555666",
        "escalation": 12,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "detail",
    [
        {"reason": "em bị bắt nạt trên mạng"},
        {"note": "call me at 0912345678 please"},
        {"fields": ["risk", "free text here"]},
        {"nested": {"body": "a sentence, with punctuation."}},
        {"amount": 1.5},
        {"blob": b"bytes"},
    ],
)
def test_it_refuses_free_text_and_writes_nothing(op_hanoi, make_case, detail):
    case = make_case(by=op_hanoi)
    before = CaseEvent.objects.count()
    with pytest.raises(AuditDetailError):
        case_event_record(case=case, actor=op_hanoi, action=CaseEvent.Action.UPDATED, **detail)
    with pytest.raises(AuditDetailError):
        case_events_record(
            case=case, actor=op_hanoi, action=CaseEvent.Action.VIEWED, details=[{}, detail]
        )
    # The bulk loader of synthetic history is held to the same rules.
    with pytest.raises(AuditDetailError):
        case_event_fields(
            case_id=case.pk,
            actor_id=op_hanoi.pk,
            action=CaseEvent.Action.UPDATED,
            at=case.created_at,
            **detail,
        )
    assert CaseEvent.objects.count() == before


@pytest.mark.django_db
def test_it_refuses_an_unknown_action(op_hanoi, make_case):
    case = make_case(by=op_hanoi)
    with pytest.raises(AuditDetailError):
        case_event_record(case=case, actor=op_hanoi, action="looked_around")
