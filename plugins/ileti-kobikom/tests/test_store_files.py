"""The report store on disk holds numbers and message ids: only its owner
may read it, from the moment it exists."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from ileti.testing import emulated


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_new_store_is_private_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state" / "reports.sqlite3"
    seen: list[int | None] = []
    real_connect = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if Path(database) == path:
            seen.append(_mode(path) if path.exists() else None)
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    old = os.umask(0o022)
    try:
        with emulated("kobikom", report_store=str(path)) as env:
            env.client.send("05321112233", "Merhaba")
    finally:
        os.umask(old)
    # the file existed, private, before SQLite opened it: never briefly 0644
    assert seen
    assert seen[0] == 0o600
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_an_existing_store_others_can_read_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "reports.sqlite3"
    with emulated("kobikom", report_store=str(path)) as env:
        env.client.send("05321112233", "Merhaba")
    os.chmod(path, 0o644)
    with emulated("kobikom", report_store=str(path)) as env:
        env.client.send("05321112233", "Merhaba")
    assert _mode(path) == 0o600
