"""What the supervisors' live board (/board/) shows, read for one scope at a time.

A scope is a hotline's id (a provincial supervisor's hotline) or ALL (central
supervisors: every hotline). The scope is exactly what the doors let a
supervisor see: cases.selectors and helpline.selectors give a provincial
supervisor their hotline's cases and conversations and a central one every
hotline's; reports.incident_selectors their hotline's incidents and the ones
reaching their province. Reading by scope instead of by person lets one read
serve every board of that scope in a process (reports/sockets.py).

The board holds no content: codes, counts, times, the operator's username and
the escalation's number. Every list is cut at LIST_LIMIT rows, most urgent
first; the totals count everything. Every query is an aggregate or a short list
over an indexed column, so its cost follows the number of hotlines and of
conversations in progress, not the years of history behind them.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Q,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.urls import reverse
from django.utils import timezone

from cases.models import HIGH_RISKS
from escalation.models import Escalation, EscalationState
from helpline.models import RISK_ORDER, ContactRecord, Conversation, ConversationState, Hotline
from helpline.presence import staff_online
from reports.incident_selectors import incidents_in_scope
from reports.models import IncidentCase, IncidentProvince, IncidentState
from reports.report import ALL

# Escalations whose deadline falls within this are "due soon".
DUE_SOON = datetime.timedelta(hours=2)
# Contacts today are compared with the same weekday of this many weeks before.
WEEKS_COMPARED = 4
# Rows per list; the totals count every one.
LIST_LIMIT = 100
ESCALATION_STATES_WITH_DEADLINE = (
    EscalationState.SENT,
    EscalationState.ACKNOWLEDGED,
    EscalationState.IN_PROGRESS,
)


def board_scope_for_user(user):
    """ALL for a central supervisor, their hotline's id for another supervisor.

    Anyone else may not see the board (PermissionDenied).
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_supervisor", False):
        raise PermissionDenied
    return ALL if user.is_central_supervisor else user.hotline_id


def _iso(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _in_scope(scope, field: str = "hotline_id") -> Q:
    return Q() if scope == ALL else Q(**{field: scope})


def _at_risk() -> Q:
    return Q(risk__in=HIGH_RISKS) | Q(danger_at__isnull=False)


def _over_threshold(at: datetime.datetime) -> Q:
    """Waiting longer than the overflow threshold, or shown to central early (closed, danger)."""
    threshold = datetime.timedelta(seconds=settings.CENTRAL_OVERFLOW_SECONDS)
    return Q(queued_at__lte=at - threshold) | Q(overflow_at__lte=at)


def board_snapshot(*, scope, at: datetime.datetime | None = None) -> dict:
    """The whole board of one scope, and in next_change_in how many seconds until
    time alone changes it (a wait crossing the threshold, a deadline coming due)."""
    at = at or timezone.now()
    hotlines = list(Hotline.objects.filter(_in_scope(scope, "pk")))
    rows = {hotline.pk: _hotline_row(hotline) for hotline in hotlines}
    code_of = {hotline.pk: hotline.code for hotline in hotlines}
    changes: list[datetime.datetime] = []

    changes += _add_queues(rows, scope=scope, at=at)
    _add_staff(rows, scope=scope, at=at)
    active = _active_conversations(scope=scope, rows=rows, code_of=code_of)
    waiting, queued_at_risk = _queued_conversations(scope=scope, at=at, code_of=code_of)
    _add_contacts(rows, scope=scope, at=at)
    escalations, escalation_changes = _escalations(scope=scope, at=at, rows=rows)
    changes += escalation_changes
    incidents = _incidents(scope=scope)

    at_risk = sorted(
        queued_at_risk + [item for item in active if _is_at_risk(item)],
        key=lambda item: (not item["danger"], RISK_ORDER.get(item["risk"], 9), item["since"]),
    )
    ordered = sorted(rows.values(), key=_pressure)
    totals = {
        key: sum(row[key] for row in ordered)
        for key in (
            "queue",
            "over_threshold",
            "online",
            "available",
            "away",
            "busy",
            "at_capacity",
            "active",
            "at_risk",
            "contacts_today",
            "escalations_due",
            "escalations_overdue",
        )
    }
    totals["contacts_usual"] = round(sum(row["contacts_usual"] for row in ordered), 1)
    totals["incidents"] = len(incidents)
    upcoming = [moment for moment in changes if moment > at]
    return {
        "scope": scope if scope == ALL else code_of.get(scope, ""),
        "threshold": settings.CENTRAL_OVERFLOW_SECONDS,
        "capacity": settings.OPERATOR_CAPACITY,
        "due_soon_minutes": int(DUE_SOON.total_seconds() // 60),
        "totals": totals,
        "hotlines": ordered,
        "active": _limited(sorted(active, key=lambda item: item["answered_at"] or "")),
        "waiting": _limited(waiting),
        "at_risk": _limited(at_risk),
        "escalations": _limited(escalations),
        "incidents": _limited(incidents),
        "next_change_in": (min(upcoming) - at).total_seconds() if upcoming else None,
    }


def _limited(items: list) -> list:
    return items[:LIST_LIMIT]


def _hotline_row(hotline: Hotline) -> dict:
    return {
        "code": hotline.code,
        "name": {"vi": hotline.name_vi, "en": hotline.name_en},
        "central": hotline.is_central,
        "queue": 0,
        "waiting_since": None,
        "over_threshold": 0,
        "online": 0,
        "available": 0,
        "away": 0,
        "busy": 0,
        "at_capacity": 0,
        "active": 0,
        "at_risk": 0,
        "contacts_today": 0,
        "contacts_usual": 0.0,
        "escalations_due": 0,
        "escalations_overdue": 0,
    }


def _pressure(row: dict) -> tuple:
    """Under the most pressure first: the longest wait, then the longest queue, then at risk."""
    return (
        row["waiting_since"] is None,
        row["waiting_since"] or "",
        -row["queue"],
        -row["at_risk"],
        row["code"],
    )


def _add_queues(rows: dict, *, scope, at: datetime.datetime) -> list[datetime.datetime]:
    """Queue length, longest wait and the waits over the threshold, per hotline (one query).

    Returns when the first wait now under the threshold will cross it.
    """
    over = _over_threshold(at)
    threshold = datetime.timedelta(seconds=settings.CENTRAL_OVERFLOW_SECONDS)
    queues = (
        Conversation.objects.filter(state=ConversationState.QUEUED)
        .filter(_in_scope(scope))
        .values("hotline_id")
        .annotate(
            queue=Count("pk"),
            oldest=Min("queued_at"),
            over=Count("pk", filter=over),
            at_risk=Count("pk", filter=_at_risk()),
            next_under=Min("queued_at", filter=~over),
            next_overflow=Min("overflow_at", filter=~over),
        )
    )
    crossings = []
    for queue in queues:
        row = rows.get(queue["hotline_id"])
        if row is None:
            continue
        row["queue"] = queue["queue"]
        row["waiting_since"] = _iso(queue["oldest"])
        row["over_threshold"] = queue["over"]
        row["at_risk"] += queue["at_risk"]
        if queue["next_under"] is not None:
            crossings.append(queue["next_under"] + threshold)
        if queue["next_overflow"] is not None:
            crossings.append(queue["next_overflow"])
    return crossings


def _add_staff(rows: dict, *, scope, at: datetime.datetime) -> None:
    """Staff at the console (a live heartbeat), and how many are busy or full (two queries)."""
    online = list(
        staff_online(at=at)
        .filter(_in_scope(scope))
        .values_list("pk", "hotline_id", "presence__status")
    )
    loads = dict(
        Conversation.objects.filter(
            state=ConversationState.ACTIVE, operator_id__in=[pk for pk, *_ in online]
        )
        .values("operator_id")
        .annotate(load=Count("pk"))
        .values_list("operator_id", "load")
    )
    for pk, hotline_id, status in online:
        row = rows.get(hotline_id)
        if row is None:
            continue
        row["online"] += 1
        row["available" if status == "available" else "away"] += 1
        load = loads.get(pk, 0)
        row["busy"] += load > 0
        row["at_capacity"] += load >= settings.OPERATOR_CAPACITY


def _conversation_item(values: dict, code_of: dict) -> dict:
    return {
        "conversation": str(values["pk"]),
        "channel": values["channel"],
        "risk": values["risk"],
        "danger": values["danger_at"] is not None,
        "hotline": code_of.get(values["hotline_id"], ""),
        "province": values["province_code"],
    }


CONVERSATION_FIELDS = ("pk", "channel", "risk", "danger_at", "hotline_id", "province_code")


def _active_conversations(*, scope, rows: dict, code_of: dict) -> list[dict]:
    """Every answered conversation in progress: who handles it, since when, how long it waited."""
    active = (
        Conversation.objects.filter(state=ConversationState.ACTIVE)
        .filter(_in_scope(scope))
        .values(*CONVERSATION_FIELDS, "operator__username", "created_at", "answered_at")
    )
    items = []
    for values in active:
        item = _conversation_item(values, code_of)
        item["state"] = ConversationState.ACTIVE
        item["operator"] = values["operator__username"] or ""
        item["answered_at"] = _iso(values["answered_at"])
        item["since"] = item["answered_at"] or ""
        waited = values["answered_at"] - values["created_at"] if values["answered_at"] else None
        item["waited"] = max(0, int(waited.total_seconds())) if waited is not None else None
        row = rows.get(values["hotline_id"])
        if row is not None:
            row["active"] += 1
            row["at_risk"] += _is_at_risk(item)
        items.append(item)
    return items


def _is_at_risk(item: dict) -> bool:
    return item["danger"] or item["risk"] in HIGH_RISKS


def _queued_conversations(*, scope, at, code_of: dict) -> tuple[list[dict], list[dict]]:
    """The queued conversations waiting over the threshold, and the queued ones at risk."""
    over = _over_threshold(at)
    # In queue order, as the consoles list it: the most at risk, then the longest waiting.
    risk_rank = DbCase(
        *[When(risk=risk, then=Value(rank)) for risk, rank in RISK_ORDER.items()],
        default=Value(len(RISK_ORDER)),
        output_field=IntegerField(),
    )
    queued = (
        Conversation.objects.filter(state=ConversationState.QUEUED)
        .filter(_in_scope(scope))
        .filter(over | _at_risk())
        .annotate(is_over=ExpressionWrapper(over, output_field=BooleanField()))
        .order_by(risk_rank, "queued_at", "id")
        .values(*CONVERSATION_FIELDS, "queued_at", "is_over")
    )
    waiting, at_risk = [], []
    for values in queued[: LIST_LIMIT * 2]:
        item = _conversation_item(values, code_of)
        item["state"] = ConversationState.QUEUED
        item["operator"] = ""
        item["waiting_since"] = _iso(values["queued_at"])
        item["since"] = item["waiting_since"]
        if values["is_over"]:
            waiting.append(item)
        if _is_at_risk(item):
            at_risk.append(item)
    return waiting, at_risk


def _contact_windows(at: datetime.datetime) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """From midnight to this time of day, today and on the same weekday of past weeks."""
    now = timezone.localtime(at)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = datetime.timedelta(days=7)
    return [(midnight - n * week, now - n * week) for n in range(WEEKS_COMPARED + 1)]


def _add_contacts(rows: dict, *, scope, at: datetime.datetime) -> None:
    """Contacts finished so far today, and the average by this time on the same weekday (one query).

    Contacts are counted when they end (ContactRecord.ended_at), so a
    conversation in progress counts once it is over.
    """
    windows = _contact_windows(at)
    in_window = [Q(ended_at__gte=start, ended_at__lt=end) for start, end in windows]
    anywhere = Q()
    for window in in_window:
        anywhere |= window
    counts = (
        ContactRecord.objects.filter(anywhere)
        .filter(_in_scope(scope))
        .values("hotline_id")
        .annotate(**{f"week{n}": Count("pk", filter=window) for n, window in enumerate(in_window)})
    )
    for count in counts:
        row = rows.get(count["hotline_id"])
        if row is None:
            continue
        row["contacts_today"] = count["week0"]
        past = [count[f"week{n}"] for n in range(1, WEEKS_COMPARED + 1)]
        row["contacts_usual"] = round(sum(past) / WEEKS_COMPARED, 1)


def _escalations(*, scope, at, rows: dict) -> tuple[list[dict], list[datetime.datetime]]:
    """Escalations of the scope's cases whose deadline is past or within DUE_SOON (two queries).

    Overdue is computed from the deadline and the clock, as everywhere else.
    Returns them, soonest deadline first, and the moments when time alone
    changes that: a deadline coming within DUE_SOON or passing.
    """
    soon = at + DUE_SOON
    in_scope = _in_scope(scope, "case__hotline_id")
    sent = Q(state=EscalationState.SENT)
    working = Q(state__in=[EscalationState.ACKNOWLEDGED, EscalationState.IN_PROGRESS])
    due = (
        Escalation.objects.filter(in_scope)
        # Implied by the deadlines below, but said: the state index then finds the few
        # open ones, where the OR of the deadlines alone had every escalation read.
        .filter(state__in=ESCALATION_STATES_WITH_DEADLINE)
        .filter((sent & Q(acknowledge_by__lte=soon)) | (working & Q(resolve_by__lte=soon)))
        .select_related("agency")
        # Nothing of the case but its hotline: its summary stays in the database.
        .only("pk", "state", "acknowledge_by", "resolve_by", "agency__name_vi", "agency__name_en")
        .annotate(hotline_id=F("case__hotline_id"), hotline_code=F("case__hotline__code"))
    )
    items, changes = [], []
    for escalation in due:
        deadline = escalation.next_deadline
        overdue = escalation.is_overdue(now=at)
        if not overdue:
            changes.append(deadline)
        row = rows.get(escalation.hotline_id)
        if row is not None:
            row["escalations_overdue" if overdue else "escalations_due"] += 1
        items.append(
            {
                "id": escalation.pk,
                "hotline": escalation.hotline_code,
                "agency": {"vi": escalation.agency.name_vi, "en": escalation.agency.name_en},
                "state": escalation.state,
                "deadline_kind": escalation.next_deadline_kind,
                "deadline": _iso(deadline),
                "overdue": overdue,
                "url": reverse("escalations:detail", args=[escalation.pk]),
            }
        )
    items.sort(key=lambda item: (item["deadline"] or "", item["id"]))
    # Only the states that have a deadline: the two filters below look at nothing else, and
    # without this the aggregate read every escalation the scope ever sent (docs/performance.md).
    upcoming = (
        Escalation.objects.filter(in_scope)
        .filter(state__in=ESCALATION_STATES_WITH_DEADLINE)
        .aggregate(
            acknowledge=Min("acknowledge_by", filter=sent & Q(acknowledge_by__gt=soon)),
            resolve=Min("resolve_by", filter=working & Q(resolve_by__gt=soon)),
        )
    )
    changes += [moment - DUE_SOON for moment in upcoming.values() if moment is not None]
    return items, changes


def _incidents(*, scope) -> list[dict]:
    """The open incidents of the scope, the most severe and the newest first (two queries)."""
    incidents = list(
        incidents_in_scope(scope=scope)
        .filter(state=IncidentState.OPEN)
        .select_related("hotline", "category")
        .order_by("-opened_at", "-id")
    )
    ids = [incident.pk for incident in incidents]
    provinces: dict[int, list[str]] = {}
    for incident_id, code in IncidentProvince.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "province_code"
    ):
        provinces.setdefault(incident_id, []).append(code)
    cases = dict(
        IncidentCase.objects.filter(incident_id__in=ids, unlinked_at__isnull=True)
        .values("incident_id")
        .annotate(n=Count("pk"))
        .values_list("incident_id", "n")
    )
    severity_rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    items = [
        {
            "id": incident.pk,
            "title": incident.title,
            "platform": incident.platform,
            "severity": incident.severity,
            "category": {"vi": incident.category.name_vi, "en": incident.category.name_en},
            "hotline": incident.hotline.code,
            "provinces": sorted(provinces.get(incident.pk, [])),
            "cases": cases.get(incident.pk, 0),
            "opened_at": _iso(incident.opened_at),
            "url": reverse("incidents:detail", args=[incident.pk]),
        }
        for incident in incidents
    ]
    items.sort(key=lambda item: severity_rank.get(item["severity"], 9))
    return items
