"""The retention schedule: how long each kind of data is kept, and from which event.

settings.RETENTION holds one period in days per kind of data (config/settings.py
names the event each is counted from). It is checked when the apps load, so a
bad schedule stops the start with ImproperlyConfigured instead of deleting
something too early, or keeping an audit trail shorter than what it describes.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Kinds of data, each counted from its own event.
CONTENT_KEYS = (
    "contact_days",
    "closed_case_days",
    "callback_days",
    "identity_days",
    "voicemail_days",
)
AUDIT_KEY = "audit_days"
KEYS = (*CONTENT_KEYS, AUDIT_KEY)


def retention_schedule_check(schedule) -> None:
    """Raise ImproperlyConfigured unless the schedule names every period, each a whole number
    of days of at least one, and keeps audit rows longer than any data they describe."""
    if not isinstance(schedule, dict):
        raise ImproperlyConfigured("RETENTION must be a dict of periods in days")
    missing = [key for key in KEYS if key not in schedule]
    unknown = sorted(set(schedule) - set(KEYS))
    if missing or unknown:
        raise ImproperlyConfigured(
            f"RETENTION must name exactly {', '.join(KEYS)}"
            f" (missing: {', '.join(missing) or '-'}; unknown: {', '.join(unknown) or '-'})"
        )
    for key in KEYS:
        value = schedule[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ImproperlyConfigured(f"RETENTION[{key!r}] must be a whole number of days >= 1")
    longest = max(schedule[key] for key in CONTENT_KEYS)
    if schedule[AUDIT_KEY] <= longest:
        raise ImproperlyConfigured(
            f"RETENTION['audit_days'] ({schedule[AUDIT_KEY]}) must be longer than every other "
            f"period (the longest is {longest}): the audit trail outlives the data it describes"
        )


def retention_period(key: str) -> datetime.timedelta:
    """The period of one kind of data, from settings.RETENTION."""
    return datetime.timedelta(days=settings.RETENTION[key])


def retention_cutoff(key: str, *, now: datetime.datetime) -> datetime.datetime:
    """Data whose event came at or before this moment is past its period."""
    return now - retention_period(key)
