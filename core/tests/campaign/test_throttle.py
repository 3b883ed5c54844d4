"""The throttle, on a clock of its own: no sleeping in tests."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ileti.campaign.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@given(st.lists(st.integers(1, 500), min_size=1, max_size=40), st.floats(1, 1000))
def test_messages_per_second_is_never_exceeded(batches: list[int], rate: float) -> None:
    clock = Clock()
    throttle = Throttle(rate, clock=clock, sleep=clock.sleep)
    for n in batches:
        throttle.take(n)
    sent_before_last = sum(batches[:-1])
    # every message but one second's burst waits its turn
    assert clock.now >= (sent_before_last - rate) / rate - 1e-9


def test_requests_per_second() -> None:
    clock = Clock()
    throttle = Throttle(None, 2, clock=clock, sleep=clock.sleep)
    for _ in range(11):
        throttle.take(500)
    assert 4.5 <= clock.now <= 5.0


def test_unlimited_never_waits() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock, sleep=clock.sleep)
    for _ in range(100):
        throttle.take(1000)
    assert clock.now == 0


def test_slow_down_pauses_everyone_longer_each_time_until_relaxed() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock, sleep=clock.sleep)
    assert [throttle.slow_down() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    throttle.take(1)
    assert clock.now == 60
    throttle.relax()
    assert throttle.slow_down(retry_after=5) == 5
    assert throttle.slow_down(retry_after=3600) == 60
