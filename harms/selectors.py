"""The one door to online items, evidence files and takedown requests.

Rules:
- hotline staff see the items, files and takedowns of the cases they may see
  (cases.selectors), and the files a young person sent in a conversation they
  may see (helpline.selectors), before it has a case;
- a liaison sees an item, a file or a takedown only when an escalation their
  agency still holds disclosed it: the item as the revision that was disclosed,
  the file only while it belongs to that escalation's case. Nothing else;
- administrators and everyone else see none; what a user may not see is 404.
Matches and the weekly counts are for central supervisors, and hold no content.
"""

import datetime
import uuid

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from cases.audit import case_event_record
from cases.models import Case, CaseEvent, CaseState
from cases.selectors import case_get_for_user, cases_visible_to
from escalation.models import TALKING_STATES, Escalation, SharedItem
from escalation.selectors import (
    escalation_disclosed,
    escalation_get_for_user,
    escalations_visible_to,
)
from harms.models import (
    AGENCY_TAKEDOWN_TRANSITIONS,
    TAKEDOWN_TRANSITIONS,
    EvidenceFile,
    HarmMatch,
    OnlineItem,
    OnlineItemRevision,
    Platform,
    TakedownChannel,
    TakedownRequest,
)
from helpline.models import Hotline
from helpline.selectors import conversations_visible_to


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise Http404 from None


# --- online items -----------------------------------------------------------------


def online_items_visible_to(*, user) -> QuerySet[OnlineItem]:
    """The items of the cases this member of hotline staff may see."""
    return OnlineItem.objects.filter(case__in=cases_visible_to(user=user))


def online_item_get_for_user(*, user, item_id, for_update: bool = False) -> OnlineItem:
    """One item of a case the user may see, or Http404."""
    queryset = online_items_visible_to(user=user).select_related(
        "case", "case__hotline", "platform", "category"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=item_id)
    except (OnlineItem.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def case_items_disclosable(*, case: Case) -> dict:
    """What disclosing the case's online items would hold now: {item id: version}."""
    return {
        str(pk): version
        for pk, version in OnlineItem.objects.filter(case=case).values_list("pk", "version")
    }


# --- evidence files ---------------------------------------------------------------


def case_files(*, case: Case) -> QuerySet[EvidenceFile]:
    """The files of a case: uploaded on it, or sent in one of its conversations.

    A file attached to an item stays with that item's case; one sent in a
    conversation follows the conversation until then.
    """
    return EvidenceFile.objects.filter(Q(case=case) | Q(case__isnull=True, conversation__case=case))


def case_files_disclosable(*, case: Case) -> dict:
    """What disclosing the case's evidence files would hold now: {file id: 1}, kept ones only."""
    kept = case_files(case=case).filter(deleted_at__isnull=True)
    return {str(pk): 1 for pk in kept.values_list("pk", flat=True)}


def _staff_files(user) -> QuerySet[EvidenceFile]:
    cases = cases_visible_to(user=user)
    return EvidenceFile.objects.filter(
        Q(case__in=cases)
        | Q(case__isnull=True, conversation__in=conversations_visible_to(user=user))
        | Q(case__isnull=True, conversation__case__in=cases)
    )


def _liaison_file(user, file_id: uuid.UUID) -> EvidenceFile:
    """A kept file that an escalation of the liaison's agency disclosed, with that escalation."""
    file = (
        EvidenceFile.objects.select_related("conversation")
        .filter(pk=file_id, deleted_at__isnull=True)
        .first()
    )
    case_id = file.case_id_now if file else None
    if case_id is None:
        raise Http404
    for escalation in escalations_visible_to(user=user).filter(case_id=case_id):
        disclosed = escalation_disclosed(escalation=escalation)
        if str(file.pk) in disclosed.get(SharedItem.EVIDENCE_FILES, {}):
            file.via_escalation = escalation
            return file
    raise Http404


def evidence_file_get_for_user(*, user, file_id, for_update: bool = False) -> EvidenceFile:
    """One file this user may see, or Http404.

    For a liaison, the file's via_escalation is the escalation that disclosed
    it; for hotline staff it is None.
    """
    file_id = _uuid(file_id)
    if getattr(user, "is_liaison", False):
        return _liaison_file(user, file_id)
    if not getattr(user, "is_hotline_staff", False):
        raise Http404
    queryset = _staff_files(user).select_related("conversation", "item")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        file = queryset.get(pk=file_id)
    except EvidenceFile.DoesNotExist:
        raise Http404 from None
    file.via_escalation = None
    return file


# --- takedown requests ------------------------------------------------------------


def _disclosed_item_ids(escalation: Escalation) -> set[int]:
    reached = escalation_disclosed(escalation=escalation).get(SharedItem.ONLINE_ITEMS, {})
    return {int(key) for key in reached}


def takedown_get_for_user(
    *, user, takedown_id, perm: str = "view", for_update: bool = False
) -> TakedownRequest:
    """One takedown request this user may see (or, with perm="change", act on), or Http404.

    A liaison reaches only the takedowns sent through an escalation their agency
    holds, and only for an item that escalation disclosed.
    """
    queryset = TakedownRequest.objects.select_related(
        "item", "item__case", "item__platform", "channel", "escalation"
    )
    if getattr(user, "is_liaison", False):
        escalations = escalations_visible_to(user=user, perm=perm)
        queryset = queryset.filter(escalation__in=escalations, channel__agency_id=user.agency_id)
    elif getattr(user, "is_hotline_staff", False):
        queryset = queryset.filter(item__case__in=cases_visible_to(user=user))
    else:
        raise Http404
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        takedown = queryset.get(pk=takedown_id)
    except (TakedownRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if user.is_liaison and takedown.item_id not in _disclosed_item_ids(takedown.escalation):
        raise Http404
    return takedown


def takedown_channels_for_item(*, item: OnlineItem) -> list[TakedownChannel]:
    """Active channels: the item's platform's own, then the authorities and agencies."""
    channels = TakedownChannel.objects.filter(is_active=True).select_related("platform", "agency")
    return [
        channel
        for channel in channels
        if channel.kind != TakedownChannel.Kind.PLATFORM or channel.platform_id == item.platform_id
    ]


def escalations_for_takedown(*, user, item: OnlineItem) -> list[Escalation]:
    """The case's escalations a takedown may go through: still talking, and the item disclosed."""
    case = case_get_for_user(user=user, case_id=item.case_id)
    escalations = case.escalations.filter(
        state__in=TALKING_STATES, access_revoked_at__isnull=True
    ).select_related("agency")
    return [e for e in escalations if item.pk in _disclosed_item_ids(e)]


def takedown_steps(*, takedown: TakedownRequest, user) -> list[tuple[str, str]]:
    """The (name, label) of the steps this user may take now, in button order."""
    available = {t.name for t in takedown.get_available_user_state_transitions(user)}
    names = AGENCY_TAKEDOWN_TRANSITIONS if user.is_liaison else TAKEDOWN_TRANSITIONS
    return [(name, TAKEDOWN_TRANSITIONS[name]) for name in names if name in available]


# --- what pages show --------------------------------------------------------------


def _with_takedown_times(takedowns, now: datetime.datetime) -> list[TakedownRequest]:
    for takedown in takedowns:
        takedown.overdue = takedown.is_overdue(now=now)
        takedown.elapsed = takedown.elapsed_seconds(now=now)
    return list(takedowns)


def case_harms(*, user, case_id: int, now: datetime.datetime) -> dict:
    """The case page's section: items with their files and takedowns, and the files sent loose.

    The case page has already written its read to the timeline.
    """
    case = case_get_for_user(user=user, case_id=case_id)
    files = case_files(case=case).select_related("uploaded_by", "deleted_by")
    items = list(
        case.online_items.select_related("platform", "category", "created_by").prefetch_related(
            Prefetch("files", queryset=files),
            Prefetch("takedowns", queryset=TakedownRequest.objects.select_related("channel")),
        )
    )
    for item in items:
        item.takedown_list = _with_takedown_times(item.takedowns.all(), now)
        for takedown in item.takedown_list:
            takedown.steps = takedown_steps(takedown=takedown, user=user)
    return {
        "case": case,
        "items": items,
        "loose_files": list(files.filter(item__isnull=True)),
        "editable": case.state != CaseState.CLOSED,
    }


def escalation_harms_for_liaison(*, user, escalation_id, now: datetime.datetime) -> dict:
    """What an agency was shown of the case's online harm: disclosed revisions, files, takedowns.

    Each item as the furthest revision a record disclosed, only while it is
    still on the escalation's case; each disclosed file that is still kept
    and still the case's; the takedowns sent through this escalation.
    """
    escalation = escalation_get_for_user(user=user, escalation_id=escalation_id)
    disclosed = escalation_disclosed(escalation=escalation)
    versions = {int(key): upto for key, upto in disclosed.get(SharedItem.ONLINE_ITEMS, {}).items()}
    wanted = Q(pk__in=[])
    for item_id, version in versions.items():
        wanted |= Q(item_id=item_id, version=version)
    revisions = list(
        OnlineItemRevision.objects.filter(wanted, item__case_id=escalation.case_id)
        .select_related("platform", "category", "recorded_by")
        .order_by("item_id")
    )
    file_ids = [_uuid(key) for key in disclosed.get(SharedItem.EVIDENCE_FILES, {})]
    files = [
        file
        for file in EvidenceFile.objects.filter(pk__in=file_ids, deleted_at__isnull=True)
        .select_related("conversation")
        .order_by("uploaded_at")
        if file.case_id_now == escalation.case_id
    ]
    takedowns = _with_takedown_times(
        TakedownRequest.objects.filter(escalation=escalation, item_id__in=list(versions))
        .select_related("channel", "item")
        .order_by("created_at"),
        now,
    )
    for takedown in takedowns:
        takedown.steps = takedown_steps(takedown=takedown, user=user)
    return {
        "escalation": escalation,
        "revisions": revisions,
        "files": files,
        "takedowns": takedowns,
    }


@transaction.atomic
def evidence_sheet(*, user, case_id: int, at: datetime.datetime) -> dict:
    """The chain of custody for the police: items, their revisions, files and hashes. Audited."""
    case = case_get_for_user(user=user, case_id=case_id)
    case_event_record(
        case=case, actor=user, action=CaseEvent.Action.VIEWED, page="evidence_sheet", at=at
    )
    items = list(
        case.online_items.select_related("platform", "category").prefetch_related(
            Prefetch(
                "revisions",
                queryset=OnlineItemRevision.objects.select_related(
                    "recorded_by", "platform", "category"
                ),
            )
        )
    )
    files = list(
        case_files(case=case)
        .select_related("uploaded_by", "deleted_by", "item")
        .prefetch_related("events__actor")
    )
    return {"case": case, "items": items, "files": files, "generated_at": at}


# --- central's view: matches -----------------------------------------------------------


def match_items(match: HarmMatch) -> QuerySet[OnlineItem]:
    return OnlineItem.objects.filter(**{f"{match.kind}_hash": match.key_hash})


def matches_for_user(*, user, limit: int = 200) -> list[dict]:
    """The matches as central sees them: counts, platforms and hotlines; no case, no content.

    Empty for anyone but a central supervisor.
    """
    if not getattr(user, "is_central_supervisor", False):
        return []
    rows = []
    for match in HarmMatch.objects.prefetch_related("actions")[:limit]:
        items = match_items(match)
        hotline_ids = set(items.values_list("case__hotline_id", flat=True))
        platform_ids = set(items.values_list("platform_id", flat=True))
        rows.append(
            {
                "match": match,
                "kind_label": match.get_kind_display(),
                "hotlines": list(Hotline.objects.filter(pk__in=hotline_ids)),
                "platforms": list(Platform.objects.filter(pk__in=platform_ids)),
                "hotline_count": len(hotline_ids),
                "case_count": items.values("case_id").distinct().count(),
                "item_count": items.count(),
                "incident_opened": any(True for _action in match.actions.all()),
            }
        )
    return rows


def match_case_ids(*, user, match_id: int) -> list[int]:
    """The cases behind a match, for the incident that links them (reports' hand-off).

    Only for central supervisors, and only once a central supervisor opened an
    incident on the match (the audited HarmMatchAction): until then the match
    reveals counts alone. Anything else is Http404.
    """
    if not getattr(user, "is_central_supervisor", False):
        raise Http404
    match = HarmMatch.objects.filter(pk=match_id).first()
    if match is None or not match.actions.filter(action="incident_opened").exists():
        raise Http404
    ids = match_items(match).values_list("case_id", flat=True).distinct().order_by("case_id")
    return list(ids)
