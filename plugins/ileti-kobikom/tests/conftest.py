"""Fixtures: an emulator on a virtual clock, served on loopback, and clients for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ileti_kobikom.emulator import KobikomEmulator

import ileti
from ileti.emulation import ServedApp, VirtualClock, serve


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default report store lands in this test's folder, never in ~/.local/state."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def emulator(clock: VirtualClock) -> KobikomEmulator:
    return KobikomEmulator(clock=clock)


@pytest.fixture
def served(emulator: KobikomEmulator) -> Iterator[ServedApp]:
    with serve(emulator) as srv:
        yield srv


MakeClient = Callable[..., ileti.Client]


@pytest.fixture
def make_client(
    served: ServedApp, emulator: KobikomEmulator, clock: VirtualClock
) -> Iterator[MakeClient]:
    clients: list[ileti.Client] = []

    def make(**overrides: Any) -> ileti.Client:
        values: dict[str, Any] = {"base_url": served.base_url, **emulator.credentials()}
        values.update(overrides)
        if "body_style" in overrides:  # the strict emulator takes only the client's style
            emulator.body_style = overrides["body_style"]
        # ileriTarih offsets are counted from the emulator's clock, as a
        # gateway's from its own
        client = ileti.Client(
            "kobikom", retry=ileti.RetryPolicy(backoff=0.0), clock=clock.now, **values
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> ileti.Client:
    return make_client()
