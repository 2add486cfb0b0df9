"""Timed work for the worker (manage.py run_worker): the purge and the deletion requests."""

import datetime

from django.conf import settings

from retention.purge import PURGES, purge_run
from retention.services import deletion_requests_honour

# When this process may look for data past its period again. Finding nothing to do costs a
# query per kind of data over large tables, so once a purge ran to the end it rests for
# RETENTION_PURGE_INTERVAL_SECONDS; a purge cut short by RETENTION_BATCHES_PER_ROUND goes on
# at the next round. Kept in memory: a restarted worker looks at once, which is harmless.
_next_purge_at: datetime.datetime | None = None


def retention_purge(*, now: datetime.datetime) -> tuple[int, bool]:
    """Purge every kind of data past its period; (rows removed, whether everything due went)."""
    size = settings.RETENTION_BATCH_SIZE
    batches = settings.RETENTION_BATCHES_PER_ROUND
    removed, finished = 0, True
    for purge in PURGES:
        done = purge_run(purge, now=now, batch_size=size, max_batches=batches)
        removed += done
        finished = finished and done < size * batches
    return removed, finished


def purge_expired_data(*, now: datetime.datetime) -> int:
    """Data past its retention period (settings.RETENTION), in batches, each one recorded."""
    global _next_purge_at
    if _next_purge_at is not None and now < _next_purge_at:
        return 0
    removed, finished = retention_purge(now=now)
    _next_purge_at = (
        now + datetime.timedelta(seconds=settings.RETENTION_PURGE_INTERVAL_SECONDS)
        if finished
        else None
    )
    return removed


def honour_deletion_requests(*, now: datetime.datetime) -> int:
    """Young people's deletion requests that nothing stands in the way of any more."""
    return deletion_requests_honour(at=now)


JOBS = [honour_deletion_requests, purge_expired_data]
