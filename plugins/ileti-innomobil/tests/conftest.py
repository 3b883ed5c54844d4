"""Fixtures: a fresh emulator on a virtual clock, served on loopback, and a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ileti_innomobil.emulator import InnomobilEmulator

import ileti
from ileti.emulation import ServedApp, VirtualClock, serve
from ileti.settings import forget_plain_http_warnings


@pytest.fixture(autouse=True)
def _fresh_http_warning() -> None:
    """Every test starts as a new process would: the plain-HTTP warning not yet given."""
    forget_plain_http_warnings()


@pytest.fixture
def emulator() -> InnomobilEmulator:
    return InnomobilEmulator(clock=VirtualClock())


@pytest.fixture
def served(emulator: InnomobilEmulator) -> Iterator[ServedApp]:
    with serve(emulator) as app:
        yield app


@pytest.fixture
def client(emulator: InnomobilEmulator, served: ServedApp) -> Iterator[ileti.Client]:
    with ileti.Client("innomobil", base_url=served.base_url, **emulator.credentials()) as c:
        yield c
