"""The SQLite store: private file, versioned schema, claims no two workers share."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ileti.campaign.states import TRANSITIONS, Event, IllegalTransition, RowState
from ileti.campaign.store import (
    _MIGRATIONS,
    SCHEMA_VERSION,
    BatchRecord,
    NewRow,
    Row,
    RowUpdate,
    SQLiteStore,
    default_store_path,
    open_store,
)
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


def _model_rows(store: SQLiteStore) -> list[tuple[int, RowState, str | None, str | None]]:
    return [(r.rid, r.state, r.batch, r.message_id) for r in store.rows("c1", limit=10_000)]


_EVENTS = [e for e in Event if e is not Event.CLAIM]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_rows_moving_by_chunk_or_one_by_one_agree_with_the_transition_table(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Claims and whole-batch events move a chunk's rows together; any other
    event gives the rows their own states. Whatever the mix, every row is
    where the transition table says, and every way of reading agrees."""
    store = SQLiteStore(tmp_path_factory.mktemp("s") / "c.db")
    store.create("c1", "testprov", {})
    new = rows(12, chunk_size=4)
    new.append(NewRow(20, "bad", None, RowState.INVALID, error="bad number"))
    store.add_rows("c1", new, line=20, offset=0, done=True)
    model: dict[int, list[object]] = {  # rid -> [state, batch, message id, chunk]
        r.rid: [r.state, r.batch, r.message_id, r.chunk] for r in store.rows("c1")
    }
    batches: dict[str, list[int]] = {}
    for step in range(data.draw(st.integers(1, 12))):
        op = data.draw(st.sampled_from(["claim", "batch", "rows"]))
        if op == "claim":
            pending = [rid for rid, m in model.items() if m[0] is RowState.PENDING and m[3]]
            claimed = store.claim("c1", batch=f"b{step}")
            if not pending:
                assert claimed == []
                continue
            first = min(model[rid][3] for rid in pending)  # type: ignore[type-var]
            expected = sorted(rid for rid in pending if model[rid][3] == first)
            assert [r.rid for r in claimed] == expected
            for rid in expected:
                model[rid][:2] = [RowState.CLAIMED, f"b{step}"]
            batches[f"b{step}"] = expected
        elif op == "batch" and batches:
            ref = data.draw(st.sampled_from(sorted(batches)))
            rids = batches[ref]
            event = data.draw(st.sampled_from([Event.ACCEPTED, Event.MAY_HAVE_LEFT]))
            move = TRANSITIONS[event]
            ok = all(model[rid][0] in move.sources and model[rid][1] == ref for rid in rids)
            chunk = model[rids[0]][3]
            update = RowUpdate(0, event, f"m-{ref}")
            record = BatchRecord("c1", ref, f"m-{ref}", None)
            if not ok:
                with pytest.raises(IllegalTransition):
                    store.apply_chunk("c1", chunk, update, rows=len(rids), batch=record)  # type: ignore[arg-type]
                continue
            store.apply_chunk("c1", chunk, update, rows=len(rids), batch=record)  # type: ignore[arg-type]
            for rid in rids:
                model[rid][0] = move.target
                model[rid][2] = model[rid][2] or f"m-{ref}"
        else:
            chosen = data.draw(st.lists(st.sampled_from(sorted(model)), min_size=1, unique=True))
            event = data.draw(st.sampled_from(_EVENTS))
            move = TRANSITIONS[event]
            updates = [RowUpdate(rid, event) for rid in chosen]
            if not all(model[rid][0] in move.sources for rid in chosen):
                with pytest.raises(IllegalTransition):
                    store.apply(updates)
                continue
            store.apply(updates)
            for rid in chosen:
                model[rid][0] = move.target
        expected_rows = [(rid, m[0], m[1], m[2]) for rid, m in sorted(model.items())]
        assert _model_rows(store) == expected_rows
        counts: dict[RowState, tuple[int, int]] = {}
        for m in model.values():
            n, parts = counts.get(m[0], (0, 0))  # type: ignore[call-overload]
            counts[m[0]] = (n + 1, parts + (1 if m[0] is not RowState.INVALID else 0))  # type: ignore[index]
        assert store.counts("c1") == counts
        for state in RowState:
            paged: list[Row] = []
            while page := store.rows("c1", [state], after=paged[-1].rid if paged else 0, limit=3):
                paged.extend(page)
            assert [r.rid for r in paged] == [
                rid for rid, m in sorted(model.items()) if m[0] is state
            ]
        for ref in batches:
            accepted = [
                rid
                for rid, m in sorted(model.items())
                if m[0] is RowState.ACCEPTED and m[2] == f"m-{ref}"
            ]
            assert [r.rid for r in store.by_message("c1", f"m-{ref}")] == accepted
    store.close()
