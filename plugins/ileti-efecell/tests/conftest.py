"""Shared fixtures: an Efecell emulator on a virtual clock, served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from ileti_efecell.emulator import EfecellEmulator

import ileti
from ileti.emulation import ServedApp, VirtualClock, serve

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def emulator(clock: VirtualClock) -> EfecellEmulator:
    return EfecellEmulator(clock=clock)


@pytest.fixture
def served(emulator: EfecellEmulator) -> Iterator[ServedApp]:
    with serve(emulator) as app:
        yield app


@pytest.fixture
def client(served: ServedApp, emulator: EfecellEmulator) -> Iterator[ileti.Client]:
    with ileti.Client(
        "efecell",
        base_url=served.base_url,
        retry=ileti.RetryPolicy(attempts=1),
        **emulator.credentials(),
    ) as c:
        yield c
