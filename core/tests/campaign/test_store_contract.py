"""The shared store suite: what every campaign store must do, run on the
SQLite store and on the PostgreSQL store (ileti-postgres) alike.

A third-party store passes it by adding its own parameter to the ``make``
fixture (core/tests/campaign/conftest.py). The PostgreSQL store runs against
the server ``.ci/services`` starts (``ILETI_TEST_POSTGRES``), each test in a
throw-away schema.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ileti.campaign.states import TRANSITIONS, Event, IllegalTransition, RowState
from ileti.campaign.store import (
    BatchRecord,
    CampaignBusy,
    CampaignRecord,
    CampaignStore,
    Decide,
    NewRow,
    Row,
    RowUpdate,
)

from .conftest import Make
from .conftest import new_rows as rows

Ending = tuple[str, str | None] | None


def test_adding_a_line_twice_stores_it_once(make: Make) -> None:
    store = make()
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(5), line=6, offset=100, done=False)
    store.add_rows("c1", rows(5), line=6, offset=100, done=True)
    assert store.counts("c1") == {RowState.PENDING: (5, 5)}
    record = store.get("c1")
    assert (record.import_line, record.import_offset, record.imported) == (6, 100, True)


def test_a_move_the_table_forbids_is_refused(make: Make) -> None:
    store = make()
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


def test_a_claim_takes_one_chunk_and_gives_each_row_a_reference(make: Make) -> None:
    store = make()
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(25), line=26, offset=0, done=True)
    first = store.claim("c1", batch="b1")
    assert [r.line for r in first] == list(range(2, 12))
    assert [r.client_ref for r in first] == [f"b1-{r.rid}" for r in first]
    assert {r.state for r in first} == {RowState.CLAIMED}
    # the claim gives each row as the store reads it back
    assert first == store.rows("c1", [RowState.CLAIMED])
    assert [len(store.claim("c1", batch=f"b{i}")) for i in (2, 3, 4)] == [10, 5, 0]


def claim_all(
    opener: Callable[[], CampaignStore], taken: list[int], errors: list[BaseException]
) -> None:
    store = opener()
    try:
        while batch := store.claim("c1", batch=os.urandom(8).hex()):
            taken.extend(r.rid for r in batch)
    except BaseException as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
    finally:
        store.close()


def test_concurrent_claimers_never_take_the_same_row(make: Make) -> None:
    """Each thread has a store of its own (a connection of its own)."""
    store = make()
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(3000, chunk_size=7), line=3001, offset=0, done=True)
    taken: list[int] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=claim_all, args=(make.again, taken, errors)) for _ in range(12)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(taken) == 3000
    assert len(set(taken)) == 3000
    assert store.counts("c1") == {RowState.CLAIMED: (3000, 3000)}


def test_one_store_shared_by_many_threads(make: Make) -> None:
    """Workers share one store object (one connection): claims and their
    settlement interleave from many threads without a misuse or a lost row."""
    store = make()
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


def _model_rows(store: CampaignStore) -> list[tuple[int, RowState, str | None, str | None]]:
    return [(r.rid, r.state, r.batch, r.message_id) for r in store.rows("c1", limit=10_000)]


_EVENTS = [e for e in Event if e is not Event.CLAIM]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_rows_moving_by_chunk_or_one_by_one_agree_with_the_transition_table(
    make: Make, data: st.DataObject
) -> None:
    """Claims and whole-batch events move a chunk's rows together; any other
    event gives the rows their own states. Whatever the mix, every row is
    where the transition table says, and every way of reading agrees."""
    store = make.fresh()
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


def test_a_claim_can_be_for_one_chunk(make: Make) -> None:
    store = make()
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(25), line=26, offset=0, done=True)
    assert store.last_chunk("c1") == 3
    third = store.claim("c1", batch="b1", chunk=3)
    assert [r.line for r in third] == list(range(22, 27))
    assert store.claim("c1", batch="b2", chunk=3) == []
    assert [r.chunk for r in store.claim("c1", batch="b3")] == [1] * 10


def test_a_claim_of_a_dead_runner_is_found_and_a_live_ones_is_not(make: Make) -> None:
    store = make()
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(20), line=21, offset=0, done=True)
    with store.runner("c1") as gone:
        store.claim("c1", batch="b1", runner=gone)
    # the runner that claimed b1 ended without settling it
    with store.runner("c1") as me:
        mine = store.claim("c1", batch="b2", runner=me)
        dead = store.dead_claims("c1")
        # a store with one runner at a time counts every claim as a dead one's
        assert {r.batch for r in dead} == ({"b1"} if store.shared else {"b1", "b2"})
        assert [r.rid for r in store.dead_claims("c1", limit=3)] == [r.rid for r in dead[:3]]
    assert len(mine) == 10


def test_a_second_runner_is_refused_or_joins_as_the_store_allows(make: Make) -> None:
    store = make()
    store.create("c1", "testprov", {})
    other = make.again()
    with store.runner("c1") as first:
        if store.shared:
            with other.runner("c1") as second:
                assert second != first
            with pytest.raises(CampaignBusy), other.runner("c1", exclusive=True):
                pass
        else:
            with pytest.raises(CampaignBusy), other.runner("c1"):
                pass
    with other.runner("c1", exclusive=True), pytest.raises(CampaignBusy), store.runner("c1"):
        pass


def test_the_same_facts_come_back_from_every_reading(make: Make) -> None:
    store = make()
    store.create("c1", "testprov", {"rows": 3})
    invalid = NewRow(9, "bad", None, RowState.INVALID, error="bad number", error_category="number")
    store.add_rows("c1", [*rows(3), invalid], line=9, offset=77, done=True)
    assert store.duplicates("c1", ["+905320000001", "+905329999999", "bad"]) == {"+905320000001": 3}
    claimed = store.claim("c1", batch="b1")
    record = BatchRecord("c1", "b1", "pkg-1", "1.5")
    store.apply_chunk("c1", 1, RowUpdate(0, Event.ACCEPTED, "pkg-1"), rows=3, batch=record)
    store.apply([], batch=BatchRecord("c1", "b0", None, "2"))
    assert store.credits("c1") == "3.5"
    assert [r.rid for r in store.by_message("c1", "pkg-1")] == [r.rid for r in claimed]
    assert store.unreported("c1", ["delivered"]) == ["pkg-1"]
    store.set_delivery([(claimed[0].rid, "delivered", "D", "2026-12-04T10:00:00+00:00")])
    assert store.delivery_counts("c1") == {"delivered": 1, "no report yet": 2}
    first = next(store.iter_rows("c1", [RowState.ACCEPTED], page=1))
    assert (first.delivery, first.delivery_raw) == ("delivered", "D")
    assert first.client_ref == f"b1-{first.rid}"
    (bad,) = store.rows("c1", [RowState.INVALID])
    assert (bad.number, bad.error, bad.error_category) == ("bad", "bad number", "number")
    store.set_status("c1", "done", "all sent")
    got = store.get("c1")
    assert (got.status, got.note, got.spec, got.import_offset) == (
        "done",
        "all sent",
        {"rows": 3},
        77,
    )
    assert [c.id for c in store.campaigns()] == ["c1"]


def test_a_claim_records_the_provider_it_was_made_for(make: Make) -> None:
    """A routed campaign's claim names the provider its request goes to, in
    the claim's own transaction: settling a row later asks that provider."""
    store = make()
    store.create("c1", "testprov", {})
    store.add_rows("c1", rows(20), line=21, offset=0, done=True)
    (first,) = {r.batch for r in store.claim("c1", batch="b1", provider="efecell")}
    assert first == "b1"
    store.claim("c1", batch="b2")  # a claim without a provider records none
    moved = store.claim("c1", batch="b3", provider="modexi")
    assert moved == []  # nothing left: no claim, no record
    assert store.providers("c1", ["b1", "b2", "b3", "b9"]) == {"b1": "efecell"}
    # rows released by a failure and claimed again for another provider
    again = store.rows("c1", [RowState.CLAIMED], limit=100)
    store.apply([RowUpdate(r.rid, Event.RELEASED) for r in again if r.batch == "b1"])
    retried = store.claim("c1", batch="b4", chunk=again[0].chunk, provider="modexi")
    assert {r.line for r in retried} == {r.line for r in again if r.batch == "b1"}
    assert store.providers("c1", ["b1", "b4"]) == {"b1": "efecell", "b4": "modexi"}
    assert store.providers("c1", []) == {}


def test_runners_ending_together_conclude_one_after_the_other(make: Make) -> None:
    """Runner A reads the counts (a row still unknown) and, before it writes
    its status, runner B settles the row and concludes: B waits until A has
    written, then counts again, so the last status is made from the last
    rows ("done"), never A's older "attention" written over B's "done"."""
    a, b = make(), make.again()
    a.create("c1", "testprov", {})
    a.add_rows("c1", rows(1), line=2, offset=0, done=True)
    (row,) = a.claim("c1", batch="b1")
    a.apply([RowUpdate(row.rid, Event.MAY_HAVE_LEFT)])
    inside, release = threading.Event(), threading.Event()

    def status_of(record: CampaignRecord, counts: Mapping[RowState, tuple[int, int]]) -> Ending:
        unknown = counts.get(RowState.UNKNOWN, (0, 0))[0]
        return ("attention", f"{unknown} unknown") if unknown else ("done", None)

    def held(record: CampaignRecord, counts: Mapping[RowState, tuple[int, int]]) -> Ending:
        inside.set()
        assert release.wait(30)
        return status_of(record, counts)

    endings: dict[str, Ending] = {}
    errors: list[BaseException] = []

    def conclude(name: str, store: CampaignStore, decide: Decide) -> None:
        try:
            if name == "b":
                store.apply([RowUpdate(row.rid, Event.SETTLED_PRESENT, "m1")])
            endings[name] = store.conclude("c1", decide)
        except BaseException as exc:  # pragma: no cover - reported by the test
            errors.append(exc)

    first = threading.Thread(target=conclude, args=("a", a, held))
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=conclude, args=("b", b, status_of))
    second.start()
    try:
        second.join(0.5)
        assert second.is_alive(), "B concluded while A held the campaign between counts and status"
    finally:
        release.set()
    first.join(30)
    second.join(30)
    assert errors == []
    assert endings == {"a": ("attention", "1 unknown"), "b": ("done", None)}
    got = a.get("c1")
    assert (got.status, got.note) == ("done", None)
    assert a.counts("c1") == {RowState.ACCEPTED: (1, 1)}
