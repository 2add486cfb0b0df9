"""The one door to escalations, for liaisons and for hotline staff.

Rules:
- a liaison sees an escalation only while their agency's group holds an object
  permission on it (granted when it is sent, revoked when it is withdrawn or the
  case closes). Global permissions and superuser status widen nothing;
- hotline staff see the escalations of the cases they may see, through
  cases.selectors.case_get_for_user;
- nobody else sees any; what a user may not see answers 404;
- of the case, a liaison is shown only what the escalation's disclosure records
  hold, with the values they recorded, never the case as it is now;
- once the grant is revoked, the agency's "closed / withdrawn" list keeps only
  the escalation's number, the case reference, its dates and why it ended.
Every read of an escalation writes an ESCALATION_VIEWED event on its case; a
liaison's read also moves forward when they last opened it, which the queue
uses to mark what is new to them.
"""

import datetime
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from cases.audit import case_event_record, case_events_record
from cases.models import Case, CaseEvent, Category
from cases.selectors import case_get_for_user
from escalation import extensions
from escalation.models import (
    AGENCY_TRANSITIONS,
    DEADLINE_LABELS,
    FINISHED_STATES,
    HOTLINE_TRANSITIONS,
    NEXT_DEADLINE,
    OPEN_STATES,
    RANGE_ITEMS,
    STEP_LABELS,
    TRANSITION_METHODS,
    Agency,
    DisclosureRecord,
    EndReason,
    Escalation,
    EscalationLastOpened,
    EscalationMessage,
    EscalationState,
    EscalationType,
    SharedItem,
    Urgency,
    end_reason_of,
)
from helpline.models import Conversation, Message

# The largest id a database row can have (a signed 64-bit key).
MAX_ROW_ID = 2**63 - 1


def escalations_visible_to(*, user, perm: str = "view") -> QuerySet[Escalation]:
    """Return the escalations this liaison's agency holds `perm` ("view" or "change") on."""
    if not getattr(user, "is_authenticated", False) or not user.is_liaison:
        return Escalation.objects.none()
    granted = get_objects_for_user(
        user,
        f"escalation.{perm}_escalation",
        klass=Escalation,
        accept_global_perms=False,
        with_superuser=False,
    )
    # A liaison moved to another agency keeps nothing of the old one, even if a
    # group membership was left behind.
    return granted.filter(agency_id=user.agency_id)


def escalation_get_for_user(
    *,
    user,
    escalation_id,
    perm: str = "view",
    for_update: bool = False,
    audit: bool = False,
) -> Escalation:
    """Fetch one escalation the user may see (or change), or raise Http404.

    With audit=True the read is written to the case's timeline; call it inside
    the transaction that reads what is shown.
    """
    if getattr(user, "is_liaison", False):
        queryset = escalations_visible_to(user=user, perm=perm)
    elif getattr(user, "is_hotline_staff", False):
        queryset = Escalation.objects.all()
    else:
        raise Http404
    queryset = queryset.select_related("agency", "case", "case__hotline")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        escalation = queryset.get(pk=escalation_id)
    except (Escalation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not user.is_liaison:
        # Hotline staff reach an escalation only through its case.
        case_get_for_user(user=user, case_id=escalation.case_id)
    if audit:
        escalation_read_audit(escalation=escalation, user=user)
    return escalation


def escalation_read_audit(
    *,
    escalation: Escalation,
    user,
    transcript: bool = False,
    at: datetime.datetime | None = None,
) -> None:
    """Write one read of an escalation (and of the attached transcript) to the case's timeline.

    A liaison's read also becomes the moment they last opened it. Pass as `at`
    a time taken before the content was read, so that nothing committed while
    it was being read counts as seen.
    """
    at = at or timezone.now()
    side = "agency" if user.is_liaison else "hotline"
    case_event_record(
        case_id=escalation.case_id,
        actor=user,
        action=CaseEvent.Action.ESCALATION_VIEWED,
        escalation=escalation.pk,
        side=side,
        at=at,
    )
    if transcript:
        case_event_record(
            case_id=escalation.case_id,
            actor=user,
            action=CaseEvent.Action.TRANSCRIPT_VIEWED,
            escalation=escalation.pk,
            side=side,
            at=at,
        )
    if user.is_liaison:
        EscalationLastOpened.objects.update_or_create(
            liaison=user, escalation=escalation, defaults={"at": at}
        )


def escalations_for_case(*, user, case_id: int, now: datetime.datetime) -> list[Escalation]:
    """The escalations of one case for its hotline staff, each read written to the timeline."""
    with transaction.atomic():
        case = case_get_for_user(user=user, case_id=case_id)
        escalations = list(
            case.escalations.select_related("agency").prefetch_related("messages__author")
        )
        case_events_record(
            case=case,
            actor=user,
            action=CaseEvent.Action.ESCALATION_VIEWED,
            details=[{"escalation": e.pk, "side": "hotline"} for e in escalations],
        )
    steps: dict[int, list[dict]] = {}
    for event in case.events.filter(action=CaseEvent.Action.ESCALATION).select_related("actor"):
        name = event.detail.get("transition") or event.detail.get("notice") or "message"
        steps.setdefault(event.detail.get("escalation"), []).append(
            {"at": event.at, "label": STEP_LABELS.get(name, name), "actor": event.actor}
        )
    for escalation in escalations:
        escalation.steps = steps.get(escalation.pk, [])
        escalation.overdue = escalation.is_overdue(now=now)
        answers = [m for m in escalation.messages.all() if m.side == "agency"]
        escalation.last_answer = answers[-1] if answers else None
    return escalations


def agencies_for_case(*, case: Case, escalation_type: str | None = None) -> list[Agency]:
    """Active agencies that cover the case's province and, if given, accept the type."""
    return [
        agency
        for agency in Agency.objects.filter(is_active=True)
        if agency.covers_province(case.province_code)
        and (escalation_type is None or agency.accepts(escalation_type))
    ]


# What a queue row is made of: never the summary, the outcome or anything of the case
# but its reference, so that the queue does not even load what it must not show. (The
# case's state comes too: its state machine reads it whenever a case is loaded.)
QUEUE_FIELDS = (
    "agency_id",
    "case__reference",
    "case__state",
    "type",
    "urgency",
    "state",
    "sent_at",
    "acknowledge_by",
    "resolve_by",
    "acknowledged_at",
    "finished_at",
    "access_revoked_at",
    "access_revoked_reason",
)


def _with_news(queryset: QuerySet[Escalation], *, user) -> QuerySet[Escalation]:
    """Annotate when each escalation last changed, and when this liaison last opened it.

    The escalation's own rows say when something happened on it: its sending
    (and resending), acknowledgement and end, its messages and disclosures. Only
    messages from others count as news to this liaison.
    """
    messages = EscalationMessage.objects.filter(escalation=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    disclosures = DisclosureRecord.objects.filter(escalation=OuterRef("pk")).order_by(
        "-sent_at", "-id"
    )
    opened = EscalationLastOpened.objects.filter(escalation=OuterRef("pk"), liaison=user)
    return (
        queryset.select_related("case")
        .only(*QUEUE_FIELDS)
        .annotate(
            last_message_at=Subquery(messages.values("created_at")[:1]),
            last_message_from_others_at=Subquery(
                messages.exclude(author=user).values("created_at")[:1]
            ),
            last_disclosure_at=Subquery(disclosures.values("sent_at")[:1]),
            last_opened_at=Subquery(opened.values("at")[:1]),
        )
    )


def _latest(*moments) -> datetime.datetime:
    return max(moment for moment in moments if moment is not None)


def escalation_changed_at(escalation: Escalation) -> datetime.datetime:
    """When anything the liaison's page shows last changed (from a _with_news queryset)."""
    return _latest(
        escalation.sent_at,
        escalation.acknowledged_at,
        escalation.finished_at,
        escalation.last_message_at,
        escalation.last_disclosure_at,
    )


def escalation_unread(escalation: Escalation) -> bool:
    """Whether something happened on it, by someone else, since this liaison last opened it."""
    if escalation.last_opened_at is None:
        return True
    news_at = _latest(
        escalation.sent_at,
        escalation.acknowledged_at,
        escalation.finished_at,
        escalation.last_message_from_others_at,
        escalation.last_disclosure_at,
    )
    return news_at > escalation.last_opened_at


# The queue's order: the nearest deadline first (so overdue, then due soon), those without
# one last, the latest sent first among equals.
QUEUE_ORDER = (models.F("due").asc(nulls_last=True), "-sent_at", "-id")
QUEUE_ORDER_REVERSED = (models.F("due").desc(nulls_first=True), "sent_at", "id")
# How many escalations a page of the queue shows, and the socket's queue frame carries.
QUEUE_PAGE_SIZE = 50
# What the queue can be narrowed to, each a field of the escalation.
QUEUE_FILTERS = ("state", "urgency", "type")


def _open_for(user) -> QuerySet[Escalation]:
    return escalations_visible_to(user=user).filter(state__in=OPEN_STATES)


def liaison_queue(*, user, filters: dict | None = None) -> QuerySet[Escalation]:
    """The liaison's queue: the open escalations, the nearest deadline first.

    `filters` narrows it by the fields of QUEUE_FILTERS (an empty value is no filter).
    """
    queryset = _open_for(user)
    for field in QUEUE_FILTERS:
        if filters and filters.get(field):
            queryset = queryset.filter(**{field: filters[field]})
    return _with_news(queryset, user=user).annotate(due=NEXT_DEADLINE).order_by(*QUEUE_ORDER)


@dataclass
class QueuePage:
    """One page of the liaison's queue, and the escalations its links continue from.

    The queue pages by keyset, like the case list: "less urgent" continues after
    the last escalation shown, "more urgent" before the first. Nothing counts the
    queue, and a page costs the same however long the agency's backlog is.
    """

    items: list[dict]
    more_urgent_than: int | None  # the first escalation shown, when more urgent ones exist
    less_urgent_than: int | None  # the last escalation shown, when less urgent ones exist

    @property
    def is_first(self) -> bool:
        return self.more_urgent_than is None


def _queue_key(user, value) -> tuple | None:
    """(due, sent_at, id) of the open escalation a page link continues from, if still in sight.

    Looked up in the whole queue, not the filtered one: a page continues from where
    that escalation stands now, whatever it was filtered by.
    """
    if not isinstance(value, str) or not value.isdigit() or int(value) > MAX_ROW_ID:
        return None
    found = _open_for(user).filter(pk=int(value)).annotate(due=NEXT_DEADLINE)
    return found.values_list("due", "sent_at", "pk").first()


def _after(due, sent_at, pk) -> Q:
    """Later in the queue's order than (due, sent_at, pk)."""
    same_due_later = Q(sent_at__lt=sent_at) | Q(sent_at=sent_at, pk__lt=pk)
    if due is None:
        return Q(due__isnull=True) & same_due_later
    return Q(due__gt=due) | Q(due__isnull=True) | (Q(due=due) & same_due_later)


def _before(due, sent_at, pk) -> Q:
    """Earlier in the queue's order than (due, sent_at, pk)."""
    same_due_earlier = Q(sent_at__gt=sent_at) | Q(sent_at=sent_at, pk__gt=pk)
    if due is None:
        return Q(due__isnull=False) | (Q(due__isnull=True) & same_due_earlier)
    return Q(due__lt=due) | (Q(due=due) & same_due_earlier)


def liaison_queue_page(
    *,
    user,
    now: datetime.datetime,
    filters: dict | None = None,
    after: str | None = None,
    before: str | None = None,
) -> QueuePage:
    """A page of the queue: the most urgent, or the escalations just after or just before one.

    `after` and `before` are the id of an escalation of the queue, as the page's
    links give them; one the liaison no longer sees leads back to the first page.
    """
    queue = liaison_queue(user=user, filters=filters)
    after_key = _queue_key(user, after)
    before_key = None if after_key else _queue_key(user, before)
    if after_key is not None:
        shown = list(queue.filter(_after(*after_key))[: QUEUE_PAGE_SIZE + 1])
        more_after, more_before = len(shown) > QUEUE_PAGE_SIZE, True
        shown = shown[:QUEUE_PAGE_SIZE]
    elif before_key is not None:
        rows = queue.filter(_before(*before_key)).order_by(*QUEUE_ORDER_REVERSED)
        shown = list(rows[: QUEUE_PAGE_SIZE + 1])
        more_before, more_after = len(shown) > QUEUE_PAGE_SIZE, True
        shown = shown[:QUEUE_PAGE_SIZE][::-1]
    else:
        shown = list(queue[: QUEUE_PAGE_SIZE + 1])
        more_after, more_before = len(shown) > QUEUE_PAGE_SIZE, False
        shown = shown[:QUEUE_PAGE_SIZE]
    return QueuePage(
        items=[queue_item(escalation, now=now) for escalation in shown],
        more_urgent_than=shown[0].pk if shown and more_before else None,
        less_urgent_than=shown[-1].pk if shown and more_after else None,
    )


def _label(choices, value: str) -> str:
    """A choice's label in the reader's language. get_FOO_display() would hash every label of
    the field (each a translation) on every call: a third of a page's time at 50 rows."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def queue_item(escalation: Escalation, *, now: datetime.datetime) -> dict:
    """What the queue shows of one escalation: no summary, no messages, no case content.

    The escalation comes from a _with_news queryset of the liaison reading it.
    """
    deadline = escalation.next_deadline
    kind = escalation.next_deadline_kind
    return {
        "id": escalation.pk,
        "reference": escalation.case.reference,
        "type": escalation.type,
        "type_label": _label(EscalationType, escalation.type),
        "urgency": escalation.urgency,
        "urgency_label": _label(Urgency, escalation.urgency),
        "state": escalation.state,
        "state_label": _label(EscalationState, escalation.state),
        "deadline": deadline.isoformat() if deadline else None,
        "deadline_kind": kind,
        "deadline_label": str(DEADLINE_LABELS[kind]) if kind else "",
        "overdue": escalation.is_overdue(now=now),
        "unread": escalation_unread(escalation),
        "changed_at": escalation_changed_at(escalation).isoformat(),
        "finished": escalation.state in FINISHED_STATES,
        "url": reverse("liaison:detail", args=[escalation.pk]),
    }


def liaison_queue_item(*, user, escalation_id: int, now: datetime.datetime) -> dict | None:
    """The queue row of one escalation if this liaison may still see it, else None.

    Whatever its state: the live page of a resolved escalation follows it too.
    """
    visible = _with_news(escalations_visible_to(user=user), user=user)
    found = visible.filter(pk=escalation_id).first()
    return queue_item(found, now=now) if found else None


# How many finished escalations the "closed / withdrawn" tab lists, the latest first.
FINISHED_SHOWN = 100


def liaison_finished_items(*, user, now: datetime.datetime) -> list[dict]:
    """The agency's finished escalations (resolved, declined, withdrawn), the latest ended first.

    One the agency still holds its grant on is a whole queue row, with why it
    ended. One whose grant was revoked (withdrawn, or the case closed) is only
    its number, the case reference, its dates and why it ended: those columns
    alone are read, never its summary, messages or anything of the case.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_liaison:
        return []
    latest_first = (F("finished_at").desc(nulls_last=True), "-id")
    granted = _with_news(
        escalations_visible_to(user=user).filter(state__in=FINISHED_STATES), user=user
    ).order_by(*latest_first)[:FINISHED_SHOWN]
    rows = [
        {
            **queue_item(escalation, now=now),
            "sent_at": escalation.sent_at,
            "finished_at": escalation.finished_at,
            "end_reason": escalation.end_reason,
            "end_reason_label": str(EndReason(escalation.end_reason).label),
            "access_ended": False,
        }
        for escalation in granted
    ]
    revoked = (
        Escalation.objects.filter(
            agency_id=user.agency_id,
            state__in=FINISHED_STATES,
            access_revoked_at__isnull=False,
        )
        .exclude(pk__in=[row["id"] for row in rows])
        .order_by(*latest_first)
        .values(
            "pk",
            "case__reference",
            "state",
            "sent_at",
            "finished_at",
            "access_revoked_at",
            "access_revoked_reason",
        )[:FINISHED_SHOWN]
    )
    for ended in revoked:
        reason = end_reason_of(ended["state"], ended["access_revoked_reason"])
        rows.append(
            {
                "id": ended["pk"],
                "reference": ended["case__reference"],
                "sent_at": ended["sent_at"],
                "finished_at": ended["finished_at"],
                "end_reason": reason,
                "end_reason_label": str(EndReason(reason).label),
                "access_ended": True,
                "access_ended_at": ended["access_revoked_at"],
            }
        )
    never = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    rows.sort(key=lambda row: (row["finished_at"] or never, row["id"]), reverse=True)
    return rows[:FINISHED_SHOWN]


def case_disclosable_values(*, case: Case, items) -> dict:
    """The case's current values of the shared items, as codes: what a disclosure now would hold.

    The transcript is, for each conversation of the case with messages, the
    seq of its last message; online items and evidence files are what the app
    that keeps them registered (escalation/extensions.py).
    """
    values = {}
    for item in items:
        if item == SharedItem.CATEGORIES:
            values[item] = sorted(case.categories.values_list("code", flat=True))
        elif item == SharedItem.RISK:
            values[item] = case.risk
        elif item == SharedItem.AGE_GROUP:
            values[item] = case.age_group
        elif item == SharedItem.GENDER:
            values[item] = case.gender
        elif item == SharedItem.PROVINCE:
            values[item] = case.province_code
        elif item == SharedItem.TRANSCRIPT:
            # Counted from the messages themselves, which are what the agency would read.
            conversations = (
                Conversation.objects.filter(case_id=case.pk)
                .annotate(newest_seq=Max("messages__seq"))
                .filter(newest_seq__gte=1)
            )
            values[item] = {str(c.pk): c.newest_seq for c in conversations}
        elif item in (SharedItem.ONLINE_ITEMS, SharedItem.EVIDENCE_FILES):
            values[item] = extensions.disclosable_values(item, case=case)
    return values


def escalation_disclosed(*, escalation: Escalation) -> dict:
    """What the agency was shown, folded from the escalation's disclosure records.

    Each fact is its value in the latest record that shared it; the transcript
    is, per conversation, the furthest seq any record shared (the union of the
    disclosed ranges, which all start at the first message), and so are online
    items (per item, the furthest version) and evidence files. Items never
    shared are absent.
    """
    disclosed: dict = {}
    for record in escalation.disclosures.order_by("sent_at", "id"):
        for item, value in (record.snapshot or {}).items():
            if item not in record.items or item not in SharedItem.values:
                continue
            if item in RANGE_ITEMS:
                reached = disclosed.setdefault(item, {})
                for key, upto in value.items():
                    reached[key] = max(upto, reached.get(key, 0))
            else:
                disclosed[item] = value
    return disclosed


def escalation_transcript(
    *, escalation: Escalation, disclosed: dict
) -> list[tuple[Conversation, list[Message]]]:
    """The disclosed messages, per conversation in the order the conversations began.

    Only the messages up to the disclosed seq of each conversation, and only of
    conversations that still belong to the escalation's case: a conversation
    moved to another case (a wrong link put right) is no longer shown.
    """
    upto = disclosed.get(SharedItem.TRANSCRIPT) or {}
    if not upto:
        return []
    conversations = list(
        Conversation.objects.filter(pk__in=list(upto), case_id=escalation.case_id).order_by(
            "created_at", "pk"
        )
    )
    if not conversations:
        return []
    shown = Q()
    for conversation in conversations:
        shown |= Q(conversation=conversation, seq__lte=upto[str(conversation.pk)])
    by_conversation: dict = {conversation.pk: [] for conversation in conversations}
    for message in Message.objects.filter(shown).order_by("seq"):
        by_conversation[message.conversation_id].append(message)
    return [(conversation, by_conversation[conversation.pk]) for conversation in conversations]


def categories_by_code(*, codes) -> dict[str, Category]:
    """The categories of these codes, in the order of the category tree."""
    return {
        category.code: category
        for category in Category.objects.filter(code__in=list(codes)).order_by(
            "parent__position", "position"
        )
    }


def available_transitions(*, escalation: Escalation, user) -> list[tuple[str, str]]:
    """The (name, label) of the transitions this user may take now, in button order."""
    names = AGENCY_TRANSITIONS if user.is_liaison else HOTLINE_TRANSITIONS
    available = {t.name for t in escalation.get_available_user_state_transitions(user)}
    return [
        (name, label)
        for name, label in names.items()
        if TRANSITION_METHODS.get(name, name) in available
    ]
