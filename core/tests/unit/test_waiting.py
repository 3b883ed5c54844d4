"""The poll schedule shared by Client.wait_report, AsyncClient.wait_report and
``ileti report --wait``."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti import waiting
from ileti.errors import ValidationError
from ileti.models import DeliveryReport, DeliveryState, RecipientReport


def report(state: DeliveryState) -> DeliveryReport:
    return DeliveryReport(
        provider="p",
        message_id="m",
        recipients=(RecipientReport(number="+905321112233", state=state, raw_state="x"),),
    )


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    clock = FakeTime()
    monkeypatch.setattr(waiting, "_sleep", clock.sleep)
    monkeypatch.setattr(waiting, "_async_sleep", clock.async_sleep)
    monkeypatch.setattr(waiting, "_monotonic", clock.monotonic)
    return clock


@given(
    first=st.floats(0.05, 10),
    factor=st.floats(1, 3),
    extra=st.floats(0, 60),
    deadline=st.floats(0.01, 500),
)
def test_pauses_grow_are_capped_and_end_at_the_deadline(
    first: float, factor: float, extra: float, deadline: float
) -> None:
    cap = first + extra
    clock = FakeTime()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(waiting, "_sleep", clock.sleep)
        mp.setattr(waiting, "_monotonic", clock.monotonic)
        calls: list[float] = []

        def fetch() -> DeliveryReport:
            calls.append(clock.now)
            return report(DeliveryState.SENT)

        last = waiting.wait_report(
            fetch, deadline=deadline, backoff=waiting.Backoff(first, factor, cap)
        )
    assert not last.is_final
    assert len(calls) == len(clock.pauses) + 1
    assert sum(clock.pauses) == pytest.approx(deadline)
    full = clock.pauses[:-1]  # the last one is cut at the deadline
    assert all(p <= cap for p in clock.pauses)
    assert full == sorted(full)
    assert not full or full[0] == first


def test_default_schedule_and_stop_when_final(fake: FakeTime) -> None:
    states = iter([DeliveryState.QUEUED] * 5 + [DeliveryState.DELIVERED])
    seen: list[tuple[int, float | None]] = []
    last = waiting.wait_report(
        lambda: report(next(states)), on_poll=lambda r, n, p: seen.append((n, p))
    )
    assert last.is_final
    assert fake.pauses == [2.0, 3.0, 4.5, 6.75, 10.125]
    assert seen == [(1, 2.0), (2, 3.0), (3, 4.5), (4, 6.75), (5, 10.125), (6, None)]


def test_the_async_twin_follows_the_same_schedule(fake: FakeTime) -> None:
    states = iter([DeliveryState.QUEUED] * 3 + [DeliveryState.UNDELIVERED])

    async def fetch() -> DeliveryReport:
        return report(next(states))

    last = asyncio.run(waiting.wait_report_async(fetch, deadline=timedelta(minutes=1)))
    assert last.recipients[0].state is DeliveryState.UNDELIVERED
    assert fake.pauses == [2.0, 3.0, 4.5]


def test_final_at_once_makes_one_call(fake: FakeTime) -> None:
    calls: list[int] = []

    def fetch() -> DeliveryReport:
        calls.append(1)
        return report(DeliveryState.DELIVERED)

    waiting.wait_report(fetch)
    assert calls == [1]
    assert fake.pauses == []


@pytest.mark.parametrize("deadline", [0, -1, timedelta(0), "10", True])
def test_bad_deadlines(deadline: object) -> None:
    with pytest.raises(ValidationError, match="deadline"):
        waiting.wait_report(lambda: report(DeliveryState.SENT), deadline=deadline)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"first": 0}, "first"),
        ({"cap": -1}, "cap"),
        ({"factor": 0.5}, "factor"),
        ({"first": 5, "cap": 1}, "must not be less than first"),
    ],
)
def test_bad_backoff(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        waiting.Backoff(**kwargs)
