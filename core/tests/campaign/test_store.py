"""The SQLite store: private file, versioned schema, claims no two workers share."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from ileti.campaign.states import Event, IllegalTransition, RowState
from ileti.campaign.store import NewRow, RowUpdate, SQLiteStore, default_store_path, open_store
from ileti.errors import ConfigurationError


def rows(n: int, chunk_size: int = 10, start: int = 0) -> list[NewRow]:
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


def test_a_new_store_is_private_and_an_open_one_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.db"
    SQLiteStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    SQLiteStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_schema_is_versioned_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(ConfigurationError, match="newer ileti"):
        SQLiteStore(path)


def test_default_location_and_urls(tmp_path: Path) -> None:
    assert default_store_path({"XDG_DATA_HOME": "/x"}) == Path("/x/ileti/campaigns.sqlite3")
    assert default_store_path({"ILETI_CAMPAIGN_STORE": "/y/c.db"}) == Path("/y/c.db")
    with pytest.raises(ConfigurationError, match="redis:// is not available"):
        open_store("redis://localhost")


def test_adding_a_line_twice_stores_it_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(5), line=6, offset=100, done=False)
    store.add_rows("c1", rows(5), line=6, offset=100, done=True)
    assert store.counts("c1") == {RowState.PENDING: (5, 5)}
    record = store.get("c1")
    assert (record.import_line, record.import_offset, record.imported) == (6, 100, True)


def test_a_move_the_table_forbids_is_refused(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(1), line=2, offset=0, done=True)
    (row,) = store.claim("c1", batch="b1")
    store.apply([RowUpdate(row.rid, Event.MAY_HAVE_LEFT)])
    with pytest.raises(IllegalTransition):
        store.apply([RowUpdate(row.rid, Event.CLAIM)])
    with pytest.raises(IllegalTransition):
        store.apply([RowUpdate(row.rid, Event.RELEASED)])  # unknown never just goes back
    store.apply([RowUpdate(row.rid, Event.SETTLED_ABSENT)])
    assert store.counts("c1") == {RowState.PENDING: (1, 1)}


def test_a_claim_takes_one_chunk_and_gives_each_row_a_reference(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(25), line=26, offset=0, done=True)
    first = store.claim("c1", batch="b1")
    assert [r.line for r in first] == list(range(2, 12))
    assert [r.client_ref for r in first] == [f"b1-{r.rid}" for r in first]
    assert {r.state for r in first} == {RowState.CLAIMED}
    assert [len(store.claim("c1", batch=f"b{i}")) for i in (2, 3, 4)] == [10, 5, 0]


def _claim_all(path: Path, taken: list[int], errors: list[BaseException]) -> None:
    store = SQLiteStore(path)
    try:
        while batch := store.claim("c1", batch=os.urandom(8).hex()):
            taken.extend(r.rid for r in batch)
    except BaseException as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
    finally:
        store.close()


def test_concurrent_claimers_never_take_the_same_row(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = SQLiteStore(path)
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(3000, chunk_size=7), line=3001, offset=0, done=True)
    taken: list[int] = []
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_claim_all, args=(path, taken, errors)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(taken) == 3000
    assert len(set(taken)) == 3000
    assert store.counts("c1") == {RowState.CLAIMED: (3000, 3000)}


def test_concurrent_claimers_in_separate_processes(tmp_path: Path) -> None:
    import multiprocessing

    path = tmp_path / "c.db"
    store = SQLiteStore(path)
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(2000, chunk_size=5), line=2001, offset=0, done=True)
    store.close()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_claim_in_process, args=(path,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    store = SQLiteStore(path)
    batches = store.rows("c1", limit=5000)
    assert {r.state for r in batches} == {RowState.CLAIMED}
    # every row's batch is one claim of one process: no row claimed twice
    per_batch: dict[str, int] = {}
    for r in batches:
        assert r.batch is not None
        per_batch[r.batch] = per_batch.get(r.batch, 0) + 1
    assert sum(per_batch.values()) == 2000
    assert all(r.attempts == 1 for r in batches)


def _claim_in_process(path: Path) -> None:
    taken: list[int] = []
    errors: list[BaseException] = []
    _claim_all(path, taken, errors)
    if errors:
        raise SystemExit(1)


def test_one_store_shared_by_many_threads(tmp_path: Path) -> None:
    """Workers share one store object (one connection): claims and their
    settlement interleave from many threads without a misuse or a lost row."""
    store = SQLiteStore(tmp_path / "c.db")
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(6000, chunk_size=50), line=6001, offset=0, done=True)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while batch := store.claim("c1", batch=os.urandom(8).hex()):
                store.apply([RowUpdate(r.rid, Event.ACCEPTED, "m") for r in batch])
                store.counts("c1")
        except BaseException as exc:  # pragma: no cover - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.counts("c1") == {RowState.ACCEPTED: (6000, 6000)}
