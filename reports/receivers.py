"""What reports do when contact records or the category tree change elsewhere.

Every write to a contact record marks its local day as changed, in the
transaction of the write, so that no report reads a rollup the write made stale
(reports/rollups.py). The marks are cheap inserts; the worker clears them when it
rolls the day up again.
"""

from django.utils import timezone

from reports import selectors
from reports.rollups import contact_days_mark_changed, contact_rollups_forget

# The end a contact record had when it was loaded: a write that moves it to another
# day changes the figures of both days.
LOADED_END = "_rollup_loaded_ended_at"


def _mark_days_of(moments) -> None:
    """Mark the local days of these ends (None: skipped) as changed."""
    contact_days_mark_changed(
        days={timezone.localdate(moment) for moment in moments if moment is not None}
    )


def contact_loaded(sender, instance, **kwargs) -> None:
    # __dict__, not the attribute: a deferred field would cost a query per instance.
    setattr(instance, LOADED_END, instance.__dict__.get("ended_at"))


def contact_written(sender, instance, **kwargs) -> None:
    """A contact record was saved or deleted: its day (and the day it had) changed."""
    _mark_days_of((instance.ended_at, getattr(instance, LOADED_END, None)))
    setattr(instance, LOADED_END, instance.ended_at)


def contact_categories_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """Categories added to or removed from contact records: their days changed."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if action != "pre_clear" and not pk_set:
        return  # nothing added or removed (set() to the same categories)
    if not reverse:
        _mark_days_of((instance.ended_at,))
        return
    # From the category's side: the contacts it was added to or taken from (all of its
    # contacts when it is cleared, read before they go).
    if pk_set is None:
        _mark_days_of(selectors.contact_ends(category=instance))
    else:
        _mark_days_of(selectors.contact_ends(ids=pk_set))


def category_moved(sender, instance, raw=False, **kwargs) -> None:
    """A category given another code or parent changes the areas of every day before."""
    if raw or instance._state.adding:
        return
    stored = selectors.category_place(category_id=instance.pk)
    if stored is not None and stored != (instance.code, instance.parent_id):
        contact_rollups_forget()
