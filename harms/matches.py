"""Central's radar: the same handle or URL in cases of two or more hotlines.

Items carry keyed hashes of their normalised handle and URL (normalize.py).
When a hash is found in cases of two or more hotlines, a HarmMatch holds the
hash and the counts, and central supervisors are told (a console push) each
time one more hotline joins it. Nothing of the cases travels: no reference, no
URL, no handle. Opening an incident on a match is an audited action
(HarmMatchAction); linking the cases is the incident's business (reports).

A match is refreshed inside the transaction that saves the item. Two items
saved at the same moment in two provinces may each miss the other on
PostgreSQL; the worker's refresh_harm_matches finds such a pair on its next
round.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from harms.models import HarmMatch, HarmMatchAction, MatchKind, OnlineItem, Platform
from helpline.broadcast import broadcast_on_commit
from helpline.groups import staff_group
from helpline.models import Role, User

MATCH_MIN_HOTLINES = 2


class MatchNotAllowed(Exception):
    """Only central supervisors act on matches."""


def _keys(items) -> set[tuple[str, str]]:
    keys = set()
    for item in items:
        if item.handle_hash:
            keys.add((MatchKind.HANDLE, item.handle_hash))
        if item.url_hash:
            keys.add((MatchKind.URL, item.url_hash))
    return keys


def harm_matches_refresh(*, items, at: datetime.datetime) -> list[HarmMatch]:
    """Count again the hotlines behind each hash of these items; return the matches that grew."""
    grown = []
    for kind, key in sorted(_keys(items)):
        match = _refresh(kind, key, at=at)
        if match is not None:
            grown.append(match)
    return grown


def _counts(kind: str, key: str) -> dict:
    items = OnlineItem.objects.filter(**{f"{kind}_hash": key})
    return {
        "hotline_count": items.values("case__hotline_id").distinct().count(),
        "case_count": items.values("case_id").distinct().count(),
        "item_count": items.count(),
    }


def _refresh(kind: str, key: str, *, at: datetime.datetime) -> HarmMatch | None:
    counts = _counts(kind, key)
    match = HarmMatch.objects.select_for_update().filter(kind=kind, key_hash=key).first()
    if match is None:
        if counts["hotline_count"] < MATCH_MIN_HOTLINES:
            return None
        try:
            with transaction.atomic():
                match = HarmMatch.objects.create(
                    kind=kind, key_hash=key, first_matched_at=at, changed_at=at, **counts
                )
        except IntegrityError:
            # Another transaction recorded it a moment ago: count from its row.
            match = HarmMatch.objects.select_for_update().get(kind=kind, key_hash=key)
        else:
            _notify(match, at=at)
            return match
    before = match.hotline_count
    if all(getattr(match, name) == value for name, value in counts.items()):
        return None
    for name, value in counts.items():
        setattr(match, name, value)
    match.changed_at = at
    match.save(update_fields=[*counts, "changed_at"])
    if match.hotline_count > before and match.hotline_count >= MATCH_MIN_HOTLINES:
        _notify(match, at=at)
        return match
    return None


def central_supervisor_ids() -> list[int]:
    return list(
        User.objects.filter(
            is_active=True, role=Role.SUPERVISOR, hotline__is_central=True
        ).values_list("pk", flat=True)
    )


def _notice(match: HarmMatch) -> str:
    # Said in the helpline's first language: the people told have no language on record.
    with translation.override(settings.LANGUAGE_CODE):
        if match.kind == MatchKind.HANDLE:
            platform_ids = OnlineItem.objects.filter(handle_hash=match.key_hash).values(
                "platform_id"
            )
            platform = Platform.objects.filter(pk__in=platform_ids).first()
            return _(
                "Cùng một tài khoản trên %(platform)s xuất hiện trong hồ sơ của %(n)d tổng đài."
            ) % {"platform": platform.name if platform else "?", "n": match.hotline_count}
        return _("Cùng một đường dẫn xuất hiện trong hồ sơ của %(n)d tổng đài.") % {
            "n": match.hotline_count
        }


def _notify(match: HarmMatch, *, at: datetime.datetime) -> None:
    """Tell every central supervisor's console, after commit: counts and a link, nothing else."""
    frame = {
        "type": "harm_match",
        "match": match.pk,
        "kind": match.kind,
        "hotlines": match.hotline_count,
        "cases": match.case_count,
        "notice": _notice(match),
        "url": reverse("harms:matches"),
    }
    for user_id in central_supervisor_ids():
        broadcast_on_commit(staff_group(user_id), {"type": "console.push", "frame": frame})


def refresh_harm_matches(*, now: datetime.datetime) -> int:
    """The worker's backstop: every hash in cases of two or more hotlines, counted again."""
    grown = 0
    for kind in MatchKind.values:
        column = f"{kind}_hash"
        keys = (
            OnlineItem.objects.exclude(**{column: ""})
            .values(column)
            .annotate(hotlines=Count("case__hotline_id", distinct=True))
            .filter(hotlines__gte=MATCH_MIN_HOTLINES)
            .values_list(column, flat=True)
        )
        for key in list(keys):
            with transaction.atomic():
                grown += _refresh(kind, key, at=now) is not None
    return grown


@transaction.atomic
def match_incident_open(*, user, match_id: int, at: datetime.datetime) -> HarmMatchAction:
    """A central supervisor opens an incident on a match: recorded before anything is linked."""
    if not getattr(user, "is_central_supervisor", False):
        raise MatchNotAllowed
    match = HarmMatch.objects.select_for_update().get(pk=match_id)
    return HarmMatchAction.objects.create(
        match=match, actor=user, action=HarmMatchAction.Action.INCIDENT_OPENED, at=at
    )
