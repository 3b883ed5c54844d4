"""Waiting for a delivery report: one poll schedule for the library and the CLI.

:meth:`ileti.Client.wait_report`, :meth:`ileti.AsyncClient.wait_report` and
``ileti report --wait`` all poll by the same rule: ask, and while a state is
not final, pause (2 s first, each pause half as long again as the one
before, never more than 30 s) and ask again, until every state is final or
the deadline passes. The last pause is cut short so that the last poll
happens at the deadline, not after it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from ileti.errors import ValidationError

if TYPE_CHECKING:
    from ileti.models import DeliveryReport

__all__ = [
    "BACKOFF",
    "DEFAULT_DEADLINE",
    "FIRST_PAUSE",
    "MAX_PAUSE",
    "Backoff",
    "OnPoll",
    "wait_report",
    "wait_report_async",
]

# the first pause between polls, how it grows, its cap, and how long to wait
# when no deadline is given (seconds): kept where the command line reads them
# without importing this module
from ileti._schedule import BACKOFF, DEFAULT_DEADLINE, FIRST_PAUSE, MAX_PAUSE

#: called after every poll with the report, the number of polls so far and
#: the pause before the next one (``None`` after the last poll)
OnPoll = Callable[["DeliveryReport", int, float | None], None]

# the clock and the pauses, as module attributes so that tests can drive them
_sleep: Callable[[float], None] = time.sleep
_async_sleep: Callable[[float], Awaitable[None]] | None = None  # asyncio.sleep
_monotonic: Callable[[], float] = time.monotonic


def _positive(value: float, name: str) -> float:
    if not value > 0:
        raise ValidationError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


@attrs.frozen
class Backoff:
    """How the pause between polls grows: ``first`` seconds, times ``factor``
    after each poll, at most ``cap`` seconds."""

    first: float = FIRST_PAUSE
    factor: float = BACKOFF
    cap: float = MAX_PAUSE

    def __attrs_post_init__(self) -> None:
        _positive(self.first, "Backoff first")
        _positive(self.cap, "Backoff cap")
        if self.cap < self.first:
            raise ValidationError(
                f"Backoff cap ({self.cap:g}) must not be less than first ({self.first:g})"
            )
        if not self.factor >= 1:
            raise ValidationError(f"Backoff factor must be 1 or more, not {self.factor!r}")


def deadline_seconds(deadline: float | timedelta) -> float:
    """A deadline as positive seconds (a ``timedelta`` or a number)."""
    if isinstance(deadline, timedelta):
        deadline = deadline.total_seconds()
    if isinstance(deadline, bool) or not isinstance(deadline, int | float):
        raise ValidationError(
            f"deadline must be seconds or a timedelta, not {type(deadline).__name__}"
        )
    return _positive(deadline, "deadline")


class _Schedule:
    """When to poll next: the pause before the next poll, or ``None`` to stop."""

    def __init__(self, deadline: float | timedelta, backoff: Backoff | None) -> None:
        self._backoff = backoff or Backoff()
        self._end = _monotonic() + deadline_seconds(deadline)
        self._pause = self._backoff.first
        self.polls = 0

    def after(self, report: DeliveryReport) -> float | None:
        self.polls += 1
        if report.is_final:
            return None
        remaining = self._end - _monotonic()
        if remaining <= 0:
            return None
        step = min(self._pause, remaining)
        self._pause = min(self._pause * self._backoff.factor, self._backoff.cap)
        return step


def wait_report(
    fetch: Callable[[], DeliveryReport],
    *,
    deadline: float | timedelta = DEFAULT_DEADLINE,
    backoff: Backoff | None = None,
    on_poll: OnPoll | None = None,
) -> DeliveryReport:
    """Call ``fetch`` until its report is final or ``deadline`` passed; return
    the last report (check ``report.is_final``)."""
    schedule = _Schedule(deadline, backoff)
    report = fetch()
    while True:
        pause = schedule.after(report)
        if on_poll is not None:
            on_poll(report, schedule.polls, pause)
        if pause is None:
            return report
        _sleep(pause)
        report = fetch()


async def wait_report_async(
    fetch: Callable[[], Awaitable[DeliveryReport]],
    *,
    deadline: float | timedelta = DEFAULT_DEADLINE,
    backoff: Backoff | None = None,
    on_poll: OnPoll | None = None,
) -> DeliveryReport:
    """:func:`wait_report` for a coroutine ``fetch``; pauses without blocking the loop."""
    import asyncio

    sleep = _async_sleep or asyncio.sleep
    schedule = _Schedule(deadline, backoff)
    report = await fetch()
    while True:
        pause = schedule.after(report)
        if on_poll is not None:
            on_poll(report, schedule.polls, pause)
        if pause is None:
            return report
        await sleep(pause)
        report = await fetch()
