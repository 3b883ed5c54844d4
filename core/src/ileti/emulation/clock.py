"""A virtual clock: emulators read it, tests move it forward instead of sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

__all__ = ["VirtualClock"]


class VirtualClock:
    """A thread-safe clock that stands still until it is advanced.

    ``start`` defaults to the real time at construction (so times a client
    computes from the wall clock, such as a schedule, stay plausible). It must
    be timezone-aware; it is kept in UTC.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime.now(UTC)
        elif start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(
                "VirtualClock needs a timezone-aware start, e.g. datetime(..., tzinfo=UTC)"
            )
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The clock's current time, aware and in UTC."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> None:
        """Move the clock forward by ``delta`` (a timedelta or seconds).

        Moving backwards is refused: emulated states only ever move forward.
        """
        if not isinstance(delta, timedelta):
            if isinstance(delta, bool) or not isinstance(delta, int | float):
                raise TypeError(
                    f"advance() takes a timedelta or seconds, not {type(delta).__name__}"
                )
            delta = timedelta(seconds=delta)
        if delta < timedelta(0):
            raise ValueError(f"a VirtualClock only moves forward, not by {delta}")
        with self._lock:
            self._now += delta

    def __repr__(self) -> str:
        return f"VirtualClock({self.now().isoformat()})"
