"""A testprov emulator on loopback and a client wired to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ileti import host
from ileti.client import Client
from ileti.emulation import ServedApp, VirtualClock, serve

KEY = "test-key-CANARY-42"


@pytest.fixture
def emulator() -> Any:
    em = host.load_provider("testprov").plugin.provider_emulator(clock=VirtualClock())
    em.credit = Decimal(10**6)
    return em


@pytest.fixture
def served(emulator: Any) -> Iterator[ServedApp]:
    with serve(emulator) as srv:
        yield srv


@pytest.fixture
def client(served: ServedApp) -> Iterator[Client]:
    with Client("testprov", api_key=KEY, base_url=served.base_url, timeout=2) as c:
        yield c


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def numbers(n: int, start: int = 0) -> list[str]:
    return [f"0532{i:07d}" for i in range(start, start + n)]


def csv_of(rows: list[str], column: str = "name") -> str:
    return f"to,{column}\n" + "".join(f"{r},Ali {i}\n" for i, r in enumerate(rows))
