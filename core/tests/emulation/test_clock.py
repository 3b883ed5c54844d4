from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ileti.emulation import VirtualClock


def test_defaults_to_now_in_utc_and_stands_still() -> None:
    before = datetime.now(UTC)
    clock = VirtualClock()
    after = datetime.now(UTC)
    first = clock.now()
    assert before <= first <= after
    assert first.utcoffset() == timedelta(0)
    assert clock.now() == first  # frozen: no wall-clock drift


def test_advance_by_timedelta_and_by_seconds() -> None:
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    clock = VirtualClock(start)
    clock.advance(timedelta(minutes=2))
    assert clock.now() == start + timedelta(minutes=2)
    clock.advance(1.5)
    clock.advance(3)
    assert clock.now() == start + timedelta(minutes=2, seconds=4.5)


def test_aware_start_is_converted_to_utc() -> None:
    istanbul = timezone(timedelta(hours=3))
    clock = VirtualClock(datetime(2026, 5, 1, 12, 0, tzinfo=istanbul))
    assert clock.now() == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC


def test_refuses_naive_start_negative_and_odd_deltas() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualClock(datetime(2026, 1, 1))
    clock = VirtualClock()
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(TypeError):
        clock.advance("5")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        clock.advance(True)


def test_advance_is_thread_safe() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = VirtualClock(start)
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for _ in range(500):
            clock.advance(timedelta(microseconds=1))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == start + timedelta(microseconds=4000)
