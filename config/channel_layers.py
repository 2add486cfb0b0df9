"""The embedded channel layer: Channels' in-memory layer, with its sweep made cheap.

Channels' InMemoryChannelLayer sweeps every inbox and every group membership for
expired messages on each receive and each group send. Every socket waits in a
receive, so one queue change heard by N sockets costs N sweeps over N channels:
at 200 chats that sweep was two thirds of the event loop's time, and the chat's
p99 waited behind it. Sweeping at most every CLEAN_EVERY_SECONDS keeps what the
sweep is for (a message past its 60 s expiry is dropped and its channel leaves its
groups) five seconds late at most. Each sweep walks every channel: at 5,000
waiting chats a sweep every second was a tenth of the idle process's time.
"""

import time

from channels.layers import InMemoryChannelLayer


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    CLEAN_EVERY_SECONDS = 5.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._swept_at = float("-inf")

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._swept_at < self.CLEAN_EVERY_SECONDS:
            return
        self._swept_at = now
        super()._clean_expired()
