"""Fixtures: an Ekomesaj emulator on a loopback port and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ileti_ekomesaj.emulator import EkomesajEmulator

import ileti
from ileti.emulation import ServedApp, VirtualClock, serve
from ileti.http import RetryPolicy

MakeClient = Callable[..., ileti.Client]


@pytest.fixture
def emulator() -> EkomesajEmulator:
    return EkomesajEmulator(clock=VirtualClock())


@pytest.fixture
def served(emulator: EkomesajEmulator) -> Iterator[ServedApp]:
    with serve(emulator) as app:
        yield app


@pytest.fixture
def make_client(emulator: EkomesajEmulator, served: ServedApp) -> Iterator[MakeClient]:
    made: list[ileti.Client] = []

    def make(**overrides: Any) -> ileti.Client:
        settings: dict[str, Any] = {"base_url": served.base_url, **emulator.credentials()}
        settings.update(overrides)
        client = ileti.Client("ekomesaj", retry=RetryPolicy(attempts=1), **settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> ileti.Client:
    return make_client()
