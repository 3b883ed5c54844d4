"""What only the SQLite store does: a private file, a versioned schema, claims
shared by processes through file locks. What every store does is in
test_store_contract.py."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from ileti.campaign.states import RowState
from ileti.campaign.store import (
    _MIGRATIONS,
    SCHEMA_VERSION,
    SQLiteStore,
    default_store_path,
    open_store,
)
from ileti.errors import ConfigurationError

from .conftest import new_rows as rows


def _claim_all(path: Path) -> list[int]:
    store = SQLiteStore(path)
    taken: list[int] = []
    try:
        while batch := store.claim("c1", batch=os.urandom(8).hex()):
            taken.extend(r.rid for r in batch)
    finally:
        store.close()
    return taken


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
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
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
    _claim_all(path)


def test_a_version_1_store_is_migrated_with_every_row_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    conn = sqlite3.connect(path)
    conn.executescript(_MIGRATIONS[1])
    conn.execute(
        "INSERT INTO campaigns (cid, id, provider, created, status, spec) "
        "VALUES (1, 'c1', 'testprov', 0, 'stopped', '{}')"
    )
    old = [  # rid, line, state, chunk, batch, client_ref, message_id
        (1, 2, "accepted", 1, "b1", "b1-1", "m1"),
        (2, 3, "accepted", 1, "b1", "b1-2", "m1"),
        (3, 4, "unknown", 2, "b2", "b2-3", None),
        (4, 5, "pending", 2, None, None, None),
        (5, 6, "invalid", None, None, None, None),
        (6, 7, "pending", 3, None, None, None),
    ]
    conn.executemany(
        "INSERT INTO rows (rid, cid, line, number, text, state, grp, chunk, parts, batch, "
        "client_ref, message_id, updated) VALUES (?, 1, ?, '+905320000000', 'x', ?, 'gsm7', "
        "?, 1, ?, ?, ?, 0)",
        old,
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    assert store.counts("c1") == {
        RowState.ACCEPTED: (2, 2),
        RowState.UNKNOWN: (1, 1),
        RowState.PENDING: (2, 2),
        RowState.INVALID: (1, 1),
    }
    assert [(r.rid, r.state, r.batch, r.client_ref, r.message_id) for r in store.rows("c1")] == [
        (rid, RowState(state), batch, ref, mid) for rid, _, state, _, batch, ref, mid in old
    ]
    assert [r.rid for r in store.by_message("c1", "m1")] == [1, 2]
    assert [r.rid for r in store.claim("c1", batch="b3")] == [4]
    assert [r.rid for r in store.claim("c1", batch="b4")] == [6]
    assert store.last_chunk("c1") == 3


@pytest.mark.parametrize(("size", "group", "params"), [(23, 7, 32766), (23, 50, 10), (50, 50, 999)])
def test_a_chunk_is_inserted_a_group_of_rows_a_statement_with_every_row_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, group: int, params: int
) -> None:
    """Whole groups through one statement each, then the rest; never more
    parameters to a statement than SQLite allows (10: two rows of five)."""
    from ileti.campaign import store as module

    monkeypatch.setattr(module, "_GROUP", group)
    store = SQLiteStore(tmp_path / "c.db")
    monkeypatch.setattr(store, "_params", params)
    store.create("c1", "testprov", {})
    added = rows(size, chunk_size=size)
    store.add_rows("c1", added, line=size + 1, offset=0, done=True)
    stored = store.rows("c1", limit=100)
    assert [(r.line, r.number, r.text, r.chunk) for r in stored] == [
        (r.line, r.number, r.text, r.chunk) for r in added
    ]
    assert [r.rid for r in stored] == list(range(stored[0].rid, stored[0].rid + size))
    assert store.counts("c1")[RowState.PENDING] == (size, size)
    # a line stored before is skipped, and the chunk's other rows still go in
    store.add_rows("c1", rows(3, chunk_size=3, start=size - 1), line=size + 3, offset=0, done=True)
    assert [r.line for r in store.rows("c1", limit=100)][-3:] == [size + 1, size + 2, size + 3]
    assert len(list(store.rows("c1", limit=100))) == size + 2


def test_a_claim_of_a_chunk_with_gaps_in_its_row_ids_gives_each_row_its_own_id(
    tmp_path: Path,
) -> None:
    """A chunk's rows usually have consecutive ids, and a claim then does not
    fetch them; a chunk with gaps (as one migrated from schema 1 may have)
    gets its rows' ids fetched."""
    store = SQLiteStore(tmp_path / "c.db")
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(20), line=21, offset=0, done=True)
    with sqlite3.connect(tmp_path / "c.db", isolation_level=None) as conn:
        # row 5 leaves chunk 1 (lo 1, hi 10): nine rows, ids 1-4 and 6-10
        conn.execute("UPDATE rows SET chunk = 99 WHERE rid = 5")
        conn.execute("UPDATE chunks SET size = 9 WHERE chunk = 1")
    claimed = store.claim("c1", batch="b1")
    assert [r.rid for r in claimed] == [1, 2, 3, 4, 6, 7, 8, 9, 10]
    assert [r.line for r in claimed] == [2, 3, 4, 5, 7, 8, 9, 10, 11]
    assert [r.client_ref for r in claimed] == [f"b1-{r.rid}" for r in claimed]
    assert claimed == store.rows("c1", [RowState.CLAIMED])
    whole = store.claim("c1", batch="b2")  # consecutive ids: not fetched
    assert [r.rid for r in whole] == list(range(11, 21))
    assert whole == [r for r in store.rows("c1", [RowState.CLAIMED]) if r.batch == "b2"]
    store.close()


def _commit_levels(store: SQLiteStore) -> list[tuple[str, int]]:
    """Each COMMIT the store's connection runs, with the ``synchronous``
    level in force for it (1 NORMAL: not flushed; 2 FULL: flushed)."""
    seen: list[tuple[str, int]] = []
    level = [store._conn.execute("PRAGMA synchronous").fetchone()[0]]

    def trace(statement: str) -> None:
        if statement.startswith("PRAGMA synchronous="):
            level[0] = {"NORMAL": 1, "FULL": 2}[statement.split("=")[1]]
        elif statement in ("COMMIT", "ROLLBACK"):
            seen.append((statement, level[0]))

    store._conn.set_trace_callback(trace)
    return seen


def test_claims_are_flushed_before_they_return_and_imports_and_outcomes_are_not(
    tmp_path: Path,
) -> None:
    """A claim is on the disk before its request leaves (FULL); the rows an
    import stores and a request's outcome are only written to the log
    (NORMAL: a crash of the process loses nothing, and the next claim's flush
    takes them to the disk with it)."""
    from ileti.campaign.states import Event
    from ileti.campaign.store import BatchRecord, RowUpdate

    store = SQLiteStore(tmp_path / "c.db")
    store.create("c1", "testprov", {})
    commits = _commit_levels(store)
    store.add_rows("c1", rows(20), line=21, offset=0, done=True)
    assert commits == [("COMMIT", 1)]
    claimed = store.claim("c1", batch="b1")
    assert commits[-1] == ("COMMIT", 2)
    update = RowUpdate(claimed[0].rid, Event.ACCEPTED, "p1")
    record = BatchRecord("c1", "b1", "p1", None)
    store.apply_chunk("c1", 1, update, rows=len(claimed), batch=record)
    assert commits[-1] == ("COMMIT", 1)
    store.claim("c1", batch="b2")
    store.set_status("c1", "done")
    assert commits[-2:] == [("COMMIT", 2), ("COMMIT", 2)]
    assert [r.state for r in store.rows("c1")] == [RowState.ACCEPTED] * 10 + [RowState.CLAIMED] * 10
    store.close()
