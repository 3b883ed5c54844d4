"""Fixtures: a Modexi emulator on a virtual clock, served on loopback, and a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ileti_modexi.emulator import ModexiEmulator

import ileti
from ileti.emulation import ServedApp, VirtualClock, serve


@pytest.fixture
def clock() -> VirtualClock:
    # starts at the real time: the client checks schedules against the wall clock
    return VirtualClock()


@pytest.fixture
def emulator(clock: VirtualClock) -> ModexiEmulator:
    return ModexiEmulator(clock=clock)


@pytest.fixture
def served(emulator: ModexiEmulator) -> Iterator[ServedApp]:
    with serve(emulator) as srv:
        yield srv


@pytest.fixture
def client(emulator: ModexiEmulator, served: ServedApp) -> Iterator[ileti.Client]:
    with ileti.Client(
        "modexi",
        base_url=served.base_url,
        sender=emulator.default_sender,
        **emulator.credentials(),
    ) as c:
        yield c
