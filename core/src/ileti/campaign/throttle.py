"""A throttle shared by a campaign's workers: messages/s, requests/s, and a
pause for everyone when the gateway says to slow down.

A small class of our own rather than a library: it must take a whole batch
at once (500 messages against a 100/s budget waits 5 s instead of never
fitting a bucket), share one pause across threads, and run on an injectable
clock so the tests need no sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Throttle", "Throttling"]


class Throttling(Protocol):
    """What the campaign engine asks of a throttle: :class:`Throttle` in one
    process, or one shared by many (``ileti_celery.RedisThrottle``)."""

    def take(self, n: int) -> None:
        """Wait until a request carrying ``n`` messages may leave."""
        ...

    def slow_down(self, retry_after: float | None = None) -> float:
        """The gateway said too much: everyone pauses; returns the pause."""
        ...

    def relax(self) -> None:
        """A request went through: forget earlier slow-downs."""
        ...


class _Rate:
    """A rate as a schedule: each take reserves its share of time in turn."""

    def __init__(self, per_second: float, burst: float) -> None:
        if per_second <= 0:
            raise ValueError("a rate must be positive")
        self.per_second = per_second
        self.burst = burst
        self.free_at = float("-inf")

    def reserve(self, n: float, now: float) -> float:
        """Reserve ``n`` and return when the caller may go."""
        start = max(now - self.burst / self.per_second, self.free_at)
        self.free_at = start + n / self.per_second
        return max(now, start)


class Throttle:
    """``messages`` and ``requests`` per second (``None``: unlimited).

    :meth:`take` blocks until a request of ``n`` messages may leave.
    :meth:`slow_down` makes every worker wait, longer each time the gateway
    says so in a row; :meth:`relax` (after a success) resets that.
    """

    MAX_PAUSE = 60.0

    def __init__(
        self,
        messages: float | None = None,
        requests: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._messages = _Rate(messages, burst=1.0) if messages else None
        self._requests = _Rate(requests, burst=1.0) if requests else None
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._paused_until = float("-inf")
        self._pause = 0.0

    @property
    def messages_per_second(self) -> float | None:
        return self._messages.per_second if self._messages else None

    def take(self, n: int) -> None:
        """Wait until a request carrying ``n`` messages may leave."""
        with self._lock:
            now = self._clock()
            go = max(now, self._paused_until)
            if self._messages is not None:
                go = max(go, self._messages.reserve(n, go))
            if self._requests is not None:
                go = max(go, self._requests.reserve(1, go))
        wait = go - self._clock()
        if wait > 0:
            self._sleep(wait)

    def slow_down(self, retry_after: float | None = None) -> float:
        """The gateway said too much: everyone pauses; the pause it chose."""
        with self._lock:
            self._pause = min(self.MAX_PAUSE, max(1.0, self._pause * 2))
            pause = max(self._pause, min(retry_after or 0.0, self.MAX_PAUSE))
            self._paused_until = max(self._paused_until, self._clock() + pause)
            return pause

    def relax(self) -> None:
        with self._lock:
            self._pause = 0.0
