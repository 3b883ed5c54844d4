"""The emulators' delivery convention (ileti.emulation.progress)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ileti.emulation
from ileti.emulation import FINAL_AFTER, SENT_AFTER, changed_at, delivery_progress
from ileti.models import DeliveryState

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_the_constants() -> None:
    assert timedelta(seconds=10) == SENT_AFTER
    assert timedelta(seconds=60) == FINAL_AFTER
    for name in ("SENT_AFTER", "FINAL_AFTER", "changed_at", "delivery_progress"):
        assert name in ileti.emulation.__all__


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (START - timedelta(days=1), DeliveryState.SCHEDULED),
        (START - TICK, DeliveryState.SCHEDULED),
        (START, DeliveryState.QUEUED),
        (START + SENT_AFTER - TICK, DeliveryState.QUEUED),
        (START + SENT_AFTER, DeliveryState.SENT),
        (START + FINAL_AFTER - TICK, DeliveryState.SENT),
        (START + FINAL_AFTER, DeliveryState.DELIVERED),
        (START + timedelta(days=365), DeliveryState.DELIVERED),
    ],
)
def test_boundaries(now: datetime, state: DeliveryState) -> None:
    assert delivery_progress(START, now, "+905321112233") is state


@pytest.mark.parametrize(
    ("number", "final"),
    [
        ("+905321112239", DeliveryState.UNDELIVERED),
        ("905321112239", DeliveryState.UNDELIVERED),
        ("5321112239", DeliveryState.UNDELIVERED),
        ("+905321112290", DeliveryState.DELIVERED),  # a 9, but not the last digit
        ("+905321112230", DeliveryState.DELIVERED),
        ("+905321112238", DeliveryState.DELIVERED),
    ],
)
def test_the_last_digit_9_is_undelivered(number: str, final: DeliveryState) -> None:
    assert delivery_progress(START, at(59.999999), number) is DeliveryState.SENT
    assert delivery_progress(START, at(60), number) is final
    assert delivery_progress(START, at(3600), number) is final


def test_the_number_matters_only_once_final() -> None:
    for seconds in (-1, 0, 5, 10, 30):
        assert delivery_progress(START, at(seconds), "+905321112239") is delivery_progress(
            START, at(seconds), "+905321112233"
        )


def test_a_scheduled_message_counts_from_its_scheduled_time() -> None:
    scheduled = START + timedelta(hours=2)
    assert delivery_progress(scheduled, at(3600), "+905321112239") is DeliveryState.SCHEDULED
    assert delivery_progress(scheduled, scheduled, "+905321112239") is DeliveryState.QUEUED
    later = scheduled + FINAL_AFTER
    assert delivery_progress(scheduled, later, "+905321112239") is DeliveryState.UNDELIVERED


def test_times_in_other_zones_compare_as_instants() -> None:
    istanbul = timezone(timedelta(hours=3))
    now = datetime(2026, 5, 1, 12, 0, 10, tzinfo=istanbul)  # START + 10 s
    assert delivery_progress(START, now, "+905321112233") is DeliveryState.SENT
    assert changed_at(START.astimezone(istanbul), now) == START + SENT_AFTER


@pytest.mark.parametrize(
    ("now", "changed"),
    [
        (START - timedelta(hours=1), START),
        (START, START),
        (START + SENT_AFTER - TICK, START),
        (START + SENT_AFTER, START + SENT_AFTER),
        (START + FINAL_AFTER - TICK, START + SENT_AFTER),
        (START + FINAL_AFTER, START + FINAL_AFTER),
        (START + timedelta(days=2), START + FINAL_AFTER),
    ],
)
def test_changed_at(now: datetime, changed: datetime) -> None:
    assert changed_at(START, now) == changed


_boundaries = [timedelta(0), SENT_AFTER, FINAL_AFTER]
_offsets = st.one_of(
    st.sampled_from([b + d for b in _boundaries for d in (-TICK, timedelta(0), TICK)]),
    st.timedeltas(min_value=timedelta(minutes=-5), max_value=timedelta(minutes=5)),
)
_numbers = st.from_regex(r"\+?90[0-9]{10}", fullmatch=True)


@given(first=_offsets, second=_offsets, number=_numbers)
def test_progress_is_monotonic(first: timedelta, second: timedelta, number: str) -> None:
    earlier, later = START + min(first, second), START + max(first, second)
    before = delivery_progress(START, earlier, number)
    after = delivery_progress(START, later, number)
    assert after.rank >= before.rank
    if before.is_final:
        assert after is before
    assert changed_at(START, earlier) <= changed_at(START, later)


@given(offset=_offsets, number=_numbers)
def test_the_state_holds_from_changed_at_to_now(offset: timedelta, number: str) -> None:
    now = START + offset
    state = delivery_progress(START, now, number)
    changed = changed_at(START, now)
    if state is DeliveryState.SCHEDULED:
        assert changed == START > now
        return
    assert changed <= now
    assert delivery_progress(START, changed, number) is state
    if changed > START:
        assert delivery_progress(START, changed - TICK, number) is not state


@given(offset=_offsets, number=_numbers)
def test_every_state_is_one_of_the_convention(offset: timedelta, number: str) -> None:
    state = delivery_progress(START, START + offset, number)
    assert state in {
        DeliveryState.SCHEDULED,
        DeliveryState.QUEUED,
        DeliveryState.SENT,
        DeliveryState.DELIVERED,
        DeliveryState.UNDELIVERED,
    }
    if state.is_final:
        assert (state is DeliveryState.UNDELIVERED) == number.endswith("9")
