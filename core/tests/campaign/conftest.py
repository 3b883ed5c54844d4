"""A testprov emulator on loopback and a client wired to it."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ileti import host
from ileti.campaign.states import RowState
from ileti.campaign.store import CampaignStore, NewRow, open_store
from ileti.client import Client
from ileti.emulation import ServedApp, VirtualClock, serve
from ileti.testing import service_url

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


def new_rows(n: int, chunk_size: int = 10, start: int = 0) -> list[NewRow]:
    """``n`` pending rows, ``chunk_size`` to a chunk, lines from 2."""
    return [
        NewRow(
            line=start + i + 2,
            number=f"+90532{start + i:07d}",
            text="x",
            state=RowState.PENDING,
            group="gsm7",
            parts=1,
            chunk=(start + i) // chunk_size + 1,
        )
        for i in range(n)
    ]


def postgres_url() -> str:
    return service_url("ILETI_TEST_POSTGRES")


class Make:
    """Stores on one location: ``make()`` the first, ``again()`` another
    connection to the same, ``fresh()`` a new empty location."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self._tmp = tmp_path
        self._opened: list[CampaignStore] = []
        self._schemas = contextlib.ExitStack()
        self._location = self._new_location()

    def _new_location(self) -> str:
        if self.kind == "sqlite":
            folder = Path(tempfile.mkdtemp(dir=self._tmp))
            return str(folder / "c.db")
        from ileti_postgres import temporary_schema

        return self._schemas.enter_context(temporary_schema(postgres_url()))

    def __call__(self) -> CampaignStore:
        return self.again()

    def again(self) -> CampaignStore:
        store = open_store(self._location)
        self._opened.append(store)
        return store

    def fresh(self) -> CampaignStore:
        self._location = self._new_location()
        return self.again()

    def close(self) -> None:
        for store in self._opened:
            store.close()
        self._schemas.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    maker = Make(request.param, tmp_path)
    try:
        yield maker
    finally:
        maker.close()
