"""Case timelines of synthetic history, written in time order across all cases.

A case's lines are known when the case is drawn, but happen over days or
months; they wait in a heap and are written as the walk through the days
passes their moment, so the timeline table fills in the order it does in
production. Each line is checked by the timeline's one writer
(`cases.audit.case_event_fields`): ids, codes and state names only.
"""

import datetime
import heapq
import itertools
from typing import NamedTuple

from cases.audit import case_event_fields


class Event(NamedTuple):
    """One line of a case's timeline, before the timeline's writer checks it."""

    action: str
    actor: int | None
    at: datetime.datetime
    from_state: str = ""
    to_state: str = ""
    detail: dict | None = None


class Timeline:
    def __init__(self, loader):
        self.loader = loader
        self.waiting: list = []
        self.order = itertools.count()

    def add(self, case_id: int, event: Event) -> None:
        heapq.heappush(self.waiting, (event.at, next(self.order), case_id, event))

    def write_until(self, moment: datetime.datetime | None) -> None:
        """Write the lines that happened before `moment` (all of them when None)."""
        while self.waiting and (moment is None or self.waiting[0][0] < moment):
            _at, _order, case_id, event = heapq.heappop(self.waiting)
            fields = case_event_fields(
                case_id=case_id,
                actor_id=event.actor,
                action=event.action,
                from_state=event.from_state,
                to_state=event.to_state,
                at=event.at,
                **(event.detail or {}),
            )
            self.loader.add({"id": self.loader.allocate_id(), **fields})
