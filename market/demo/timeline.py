"""Today's orders as one list of dated steps, carried out in the order they happened.

Each step calls the services with `now=` its moment. They run in time order across all orders
because what a service sees must be the world of that moment: a matching run takes every order
under evaluation then and every firm's running contracts, and must not see an order published
later or a contract made later.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Callable

Step = Callable[[dt.datetime], None]


class Timeline:
    def __init__(self) -> None:
        self._steps: list[tuple[dt.datetime, int, Step]] = []
        self._order = itertools.count()  # steps at the same moment keep the order they were added in
        self.moment: dt.datetime | None = None  # of the step being carried out

    def at(self, moment: dt.datetime, step: Step) -> None:
        """Carry out `step(moment)` at `moment`; a step may add later steps."""
        if self.moment is not None and moment < self.moment:
            raise ValueError(f"a step at {moment} cannot be added from a step at {self.moment}")
        heapq.heappush(self._steps, (moment, next(self._order), step))

    def run(self) -> None:
        while self._steps:
            self.moment, _n, step = heapq.heappop(self._steps)
            step(self.moment)
