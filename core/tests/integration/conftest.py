"""The test provider's emulator, fresh for each test, and its URL on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ileti import host
from ileti.emulation import VirtualClock, serve


@pytest.fixture
def emulator() -> Any:
    return host.load_provider("testprov").plugin.provider_emulator(clock=VirtualClock())


@pytest.fixture
def base_url(emulator: Any) -> Iterator[str]:
    with serve(emulator) as srv:
        yield srv.base_url
