"""The harms sections of pages other apps own: the case page and the liaison's escalation page.

cases and escalation cannot import harms (harms builds on them), so their
templates load these tags, which read through harms' own doors with the
person who is looking. The page around them has already recorded its read.
"""

import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.views import time_left_text
from harms import selectors

register = template.Library()


def _with_deadlines(takedowns, now: datetime.datetime) -> None:
    for takedown in takedowns:
        takedown.time_left = (
            time_left_text(takedown.due_at, now)
            if takedown.due_at and not takedown.outcome_at
            else ""
        )


@register.inclusion_tag("harms/_case_section.html", takes_context=True)
def harms_case_section(context, case):
    """Items, files and takedowns of the case, for hotline staff who may see it."""
    user = context["request"].user
    now = timezone.now()
    section = selectors.case_harms(user=user, case_id=case.pk, now=now)
    for item in section["items"]:
        _with_deadlines(item.takedown_list, now)
    section["user"] = user
    return section


@register.inclusion_tag("harms/_liaison_section.html", takes_context=True)
def harms_liaison_section(context, escalation):
    """What the agency was shown of online harm on this escalation, and its takedowns."""
    user = context["request"].user
    now = timezone.now()
    section = selectors.escalation_harms_for_liaison(
        user=user, escalation_id=escalation.pk, now=now
    )
    _with_deadlines(section["takedowns"], now)
    section["user"] = user
    return section


@register.filter
def duration(seconds) -> str:
    """A duration to the minute, in its two largest units: "2 ngày 3 giờ"."""
    if seconds is None:
        return ""
    days, rest = divmod(int(seconds) // 60, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [(days, _("%(n)d ngày")), (hours, _("%(n)d giờ")), (minutes, _("%(n)d phút"))]
    while units and units[0][0] == 0:
        units.pop(0)
    if not units:
        return _("dưới 1 phút")
    return " ".join(text % {"n": n} for n, text in units[:2] if n)


@register.filter
def short_hash(value: str) -> str:
    return f"{value[:12]}…" if value else "—"
