"""Reads of help pages, through two doors.

The public door takes no user: a published page is for everyone, signed in or
not, and looks the same to all of them (so a copy kept for offline reading
holds nothing about the reader). The editors' door is for central supervisors
only; anyone else finds no page there, and a page they may not see is a 404.
"""

from django.db.models import QuerySet
from django.http import Http404

from handbook.models import HelpPage, HelpPageChange

RECENT_CHANGES_SHOWN = 20


def help_pages_published() -> QuerySet[HelpPage]:
    """Return the pages anyone may read, in reading order."""
    return HelpPage.objects.filter(is_published=True).order_by("position", "pk")


def help_page_get_published(*, slug: str) -> HelpPage:
    """Fetch one published page by its address, or raise Http404."""
    try:
        return help_pages_published().get(slug=slug)
    except HelpPage.DoesNotExist:
        raise Http404 from None


def help_pages_editable_by(*, user) -> QuerySet[HelpPage]:
    """Return every page, drafts included, for a central supervisor; none for anyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_central_supervisor:
        return HelpPage.objects.none()
    return HelpPage.objects.select_related("updated_by").order_by("position", "pk")


def help_page_get_for_editor(*, user, page_id, for_update: bool = False) -> HelpPage:
    """Fetch one page this user may edit, or raise Http404."""
    queryset = help_pages_editable_by(user=user)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=page_id)
    except (HelpPage.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def help_page_changes(*, user, page: HelpPage) -> QuerySet[HelpPageChange]:
    """The latest saves of a page, for the people who may edit it."""
    if not help_pages_editable_by(user=user).filter(pk=page.pk).exists():
        return HelpPageChange.objects.none()
    return page.changes.select_related("actor")[:RECENT_CHANGES_SHOWN]
