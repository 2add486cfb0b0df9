"""Timed work for the worker (manage.py run_worker)."""

from helpline.conversations import conversations_abandon_stale


def abandon_stale_queued_chats(*, now) -> int:
    """Queued web chats whose young person's socket has been gone past the grace period."""
    return conversations_abandon_stale(at=now)


JOBS = [abandon_stale_queued_chats]
