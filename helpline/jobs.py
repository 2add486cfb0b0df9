"""Timed work for the worker (manage.py run_worker)."""

from helpline.conversations import chat_start_attempts_purge, conversations_abandon_stale
from helpline.monitoring import monitoring_sessions_close_stale


def abandon_stale_queued_chats(*, now) -> int:
    """Queued web chats whose young person's socket has been gone past the grace period."""
    return conversations_abandon_stale(at=now)


def forget_old_chat_starts(*, now) -> int:
    """The keyed hashes of chat starts older than any start limit looks at."""
    return chat_start_attempts_purge(at=now)


def close_stale_monitoring(*, now) -> int:
    """Monitoring sessions whose supervisor's console vanished without closing them."""
    return monitoring_sessions_close_stale(at=now)


JOBS = [abandon_stale_queued_chats, forget_old_chat_starts, close_stale_monitoring]
