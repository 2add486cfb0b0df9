"""Every change to a help page: create, edit, publish and unpublish.

Only central supervisors write help pages. Each change runs in one
transaction, locks the page, records who and when on the page itself and
writes a HelpPageChange row (the action and the names of the fields that
changed, never the text) beside it. Nothing listens live for help pages, so
nothing is broadcast: readers get the new text on their next visit.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from handbook.models import HelpPage, HelpPageChange
from handbook.selectors import help_page_get_for_editor

# What an editor may change after creation; the address (slug) stays, so links keep working.
EDITABLE_FIELDS = (
    "title_vi",
    "summary_vi",
    "body_vi",
    "title_en",
    "summary_en",
    "body_en",
    "position",
)


def _require_editor(by) -> None:
    if not getattr(by, "is_authenticated", False) or not by.is_central_supervisor:
        raise PermissionDenied


def _record(*, page: HelpPage, by, action: str, fields: list[str], at) -> HelpPageChange:
    return HelpPageChange.objects.create(page=page, actor=by, action=action, fields=fields, at=at)


def _stamp(page: HelpPage, *, by, at) -> list[str]:
    page.updated_by = by
    page.updated_at = at
    page.version += 1
    return ["updated_by", "updated_at", "version"]


@transaction.atomic
def help_page_create(*, by, slug: str, position: int = 100, **text: str) -> HelpPage:
    """Create a page as a draft; it is public only once published."""
    _require_editor(by)
    unknown = set(text) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown help page fields: {sorted(unknown)}")
    at = timezone.now()
    page = HelpPage(slug=slug, position=position, updated_by=by, updated_at=at, **text)
    page.full_clean()
    page.save()
    _record(page=page, by=by, action=HelpPageChange.Action.CREATED, fields=[], at=at)
    return page


@transaction.atomic
def help_page_update(*, by, page_id: int, version: int, **changes) -> HelpPage:
    """Save an editor's changes, unless someone else saved the page since they opened it."""
    _require_editor(by)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown help page fields: {sorted(unknown)}")
    page = help_page_get_for_editor(user=by, page_id=page_id, for_update=True)
    if page.version != version:
        raise ValidationError(
            _("Người khác vừa sửa trang này. Hãy mở lại trang rồi sửa lại."), code="stale"
        )
    changed = [name for name, value in changes.items() if getattr(page, name) != value]
    if not changed:
        return page
    for name in changed:
        setattr(page, name, changes[name])
    page.full_clean()
    at = timezone.now()
    page.save(update_fields=[*changed, *_stamp(page, by=by, at=at)])
    _record(page=page, by=by, action=HelpPageChange.Action.EDITED, fields=sorted(changed), at=at)
    return page


@transaction.atomic
def help_page_publish(*, by, page_id: int) -> HelpPage:
    """Make a page public, on the list and at its address."""
    return _set_published(by=by, page_id=page_id, published=True)


@transaction.atomic
def help_page_unpublish(*, by, page_id: int) -> HelpPage:
    """Take a page down: the public get a 404 and offline copies are dropped on the next visit."""
    return _set_published(by=by, page_id=page_id, published=False)


def _set_published(*, by, page_id: int, published: bool) -> HelpPage:
    _require_editor(by)
    page = help_page_get_for_editor(user=by, page_id=page_id, for_update=True)
    if page.is_published == published:
        return page
    at = timezone.now()
    page.is_published = published
    page.save(update_fields=["is_published", *_stamp(page, by=by, at=at)])
    action = HelpPageChange.Action.PUBLISHED if published else HelpPageChange.Action.UNPUBLISHED
    _record(page=page, by=by, action=action, fields=["is_published"], at=at)
    return page
