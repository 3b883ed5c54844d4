"""The report store: packages before sends, reports kept once pulled."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ileti_kobikom.store import (
    ReportStore,
    StoredPackage,
    StoredRecipient,
    StoredReport,
    better,
)
from ileti_kobikom.wire import DLR_STATES, DeliveryMessage

from ileti.errors import ConfigurationError, ValidationError
from ileti.models import DeliveryState

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def package(ref: str = "ref", count: int = 2) -> StoredPackage:
    return StoredPackage(
        package_id=ref,
        created=NOW,
        schedule=NOW + timedelta(hours=1),
        recipients=tuple(
            StoredRecipient(f"{ref}-{i}", f"+90532111223{i}") for i in range(1, count + 1)
        ),
    )


def report(ident: str, status: str) -> DeliveryMessage:
    return DeliveryMessage(id=ident, status=status, sent_date="2025/1/2 6:4:5")


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ReportStore:
    where = ":memory:" if request.param == "memory" else str(tmp_path / "s" / "r.sqlite3")
    return ReportStore(where, account="acct")


def test_claim_then_find(store: ReportStore) -> None:
    store.claim(package())
    found = store.find("ref")
    assert found is not None
    assert [r.message_id for r in found.recipients] == ["ref-1", "ref-2"]
    assert found.schedule == NOW + timedelta(hours=1)
    one = store.find("ref-2")
    assert one is not None
    assert [r.number for r in one.recipients] == ["+905321112232"]
    assert store.find("nope") is None


@pytest.mark.parametrize("again", ["ref", "ref-1", "ref-2"])
def test_ids_cannot_be_claimed_twice(store: ReportStore, again: str) -> None:
    store.claim(package())
    with pytest.raises(ValidationError, match="already used"):
        store.claim(
            StoredPackage(
                package_id=again if again == "ref" else "other",
                created=NOW,
                schedule=None,
                recipients=(StoredRecipient(again, "+905321112233"),),
            )
        )


def test_release_frees_the_ids(store: ReportStore) -> None:
    store.claim(package())
    store.release("ref")
    assert store.find("ref") is None
    store.claim(package())  # may be used again


def test_record_submit_keeps_codes_and_new_ids(store: ReportStore) -> None:
    store.claim(package())
    answered = StoredPackage(
        package_id="ref",
        created=NOW,
        schedule=None,
        recipients=(
            StoredRecipient("ref-1", "+905321112231", "0"),
            StoredRecipient("KOBI-77", "+905321112232", "-13"),
        ),
    )
    store.record_submit(answered)
    found = store.find("ref")
    assert found is not None
    assert [(r.message_id, r.submit_code) for r in found.recipients] == [
        ("ref-1", "0"),
        ("KOBI-77", "-13"),
    ]
    assert store.find("KOBI-77") is not None


def test_reports_never_move_backwards(store: ReportStore) -> None:
    store.save_reports([report("a", "SENT")], NOW)
    store.save_reports([report("a", "NOT_SENT")], NOW)
    assert store.reports(["a"])["a"].status == "SENT"
    store.save_reports([report("a", "DELIVERED")], NOW)
    store.save_reports([report("a", "NOT_DELIVERED")], NOW)  # the first final one stays
    assert store.reports(["a"])["a"].status == "DELIVERED"


def test_reports_for_unknown_messages_are_kept(store: ReportStore) -> None:
    store.save_reports([report("someone-else", "DELIVERED")], NOW)
    assert store.reports(["someone-else", "missing"]).keys() == {"someone-else"}


def test_file_store_outlives_the_instance(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ileti" / "r.sqlite3"
    first = ReportStore(str(path), account="acct")
    assert not path.parent.exists()  # nothing on disk before the first use
    first.claim(package())
    first.save_reports([report("ref-1", "DELIVERED")], NOW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    second = ReportStore(str(path), account="acct")
    found = second.find("ref-1")
    assert found is not None
    assert found.package_id == "ref"
    assert second.reports(["ref-1"])["ref-1"].state is DeliveryState.DELIVERED
    with pytest.raises(ValidationError):
        second.claim(package())
    # another account on the same file sees none of it
    other = ReportStore(str(path), account="someone")
    assert other.find("ref") is None
    assert other.reports(["ref-1"]) == {}


def test_memory_store_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = ReportStore(":memory:", account="acct")
    store.claim(package())
    store.save_reports([report("ref-1", "SENT")], NOW)
    assert list(tmp_path.iterdir()) == []


def test_unusable_file_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = ReportStore(str(blocker / "r.sqlite3"), account="acct")
    with pytest.raises(ConfigurationError) as caught:
        store.claim(package())
    assert caught.value.setting == "report_store"


_STATUSES = st.sampled_from([*DLR_STATES, "SOMETHING_NEW"])


@given(statuses=st.lists(_STATUSES, min_size=1, max_size=8))
def test_stored_state_only_moves_forward(statuses: list[str]) -> None:
    store = ReportStore(":memory:", account="acct")
    rank = -1
    first_final: str | None = None
    for status in statuses:
        store.save_reports([report("m", status)], NOW)
        kept = store.reports(["m"])["m"]
        assert kept.state.rank >= rank
        rank = kept.state.rank
        if first_final is None and kept.state.is_final:
            first_final = kept.status
        if first_final is not None:
            assert kept.status == first_final


def test_better_rules() -> None:
    def stored(status: str) -> StoredReport:
        return StoredReport.of(report("m", status), NOW)

    assert better(stored("NOT_SENT"), None)
    assert better(stored("SENT"), stored("NOT_SENT"))
    assert not better(stored("NOT_SENT"), stored("SENT"))
    assert not better(stored("DELIVERED"), stored("REJECTED"))


def _synchronous_levels(store: ReportStore, action: object) -> list[str]:
    """The ``synchronous`` level of each statement the store runs during ``action``
    (SQLite's trace callback sees the pragmas the store switches with)."""
    assert store._conn is not None
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    try:
        action()  # type: ignore[operator]
    finally:
        store._conn.set_trace_callback(None)
    levels, level = [], None
    for statement in seen:
        if statement.upper().startswith("PRAGMA SYNCHRONOUS="):
            level = statement.split("=", 1)[1].strip().upper()
        elif statement.upper().startswith(("INSERT", "UPDATE", "DELETE")):
            levels.append(level or "STORE")
    return levels


@pytest.mark.parametrize("sync", ["normal", "full"])
def test_which_commits_are_fsynced(tmp_path: Path, sync: str) -> None:
    store = ReportStore(str(tmp_path / "r.sqlite3"), account="acct", sync=sync)
    store.claim(package("first"))  # opens the connection
    assert store._conn is not None
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL between
    # the package before the request: fsynced with "full" only
    claimed = "FULL" if sync == "full" else "STORE"
    assert set(_synchronous_levels(store, lambda: store.claim(package("second")))) == {claimed}
    # the answer: never (losing it leaves the package unanswered, which reports settle)
    assert set(_synchronous_levels(store, lambda: store.record_submit(package("second")))) == {
        "STORE"
    }
    # pulled reports: always (Kobikom gives each one once)
    levels = _synchronous_levels(store, lambda: store.save_reports([report("first-1", "2")], NOW))
    assert set(levels) == {"FULL"}
    assert set(_synchronous_levels(store, lambda: store.release("second"))) == {claimed}
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # switched back


def test_an_unknown_sync_level_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sync"):
        ReportStore(str(tmp_path / "r.sqlite3"), account="acct", sync="off")


def test_a_killed_process_loses_no_claim(tmp_path: Path) -> None:
    """Even with ``sync="normal"`` a claim is in the write-ahead log when it
    returns: SIGKILL right after it loses nothing."""
    import os
    import signal
    import subprocess
    import sys

    where = tmp_path / "r.sqlite3"
    script = (
        "import os, signal, sys\n"
        "from datetime import UTC, datetime\n"
        "from ileti_kobikom.store import ReportStore, StoredPackage, StoredRecipient\n"
        f"store = ReportStore({str(where)!r}, account='acct', sync='normal')\n"
        "for i in range(50):\n"
        "    store.claim(StoredPackage(f'p{i}', datetime.now(UTC), None,"
        " (StoredRecipient(f'p{i}', '+905321112233'),)))\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert os.path.exists(f"{where}-wal")  # never checkpointed: the claims are only in the log
    again = ReportStore(str(where), account="acct")
    assert all(again.find(f"p{i}") is not None for i in range(50))


def test_two_stores_on_one_file_cannot_both_claim_one_reference(tmp_path: Path) -> None:
    """The check for a used id and the insert are one locked transaction: a
    second store on the same file that claims the same reference between them
    waits, then is refused as a reuse (not an SQLite constraint error)."""
    import threading
    import time

    where = str(tmp_path / "r.sqlite3")
    first, second = ReportStore(where, account="acct"), ReportStore(where, account="acct")
    second.claim(package("alpha"))  # both open their connections first
    first.claim(package("beta"))
    outcome: list[BaseException | None] = []

    def claim_in_second() -> None:
        try:
            second.claim(package("ref"))
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    other = threading.Thread(target=claim_in_second)
    checked = first._used_in_db

    def check_then_let_the_other_in(db: object, ids: object) -> list[str]:
        used = checked(db, ids)  # type: ignore[arg-type]
        other.start()
        time.sleep(0.3)
        assert other.is_alive()  # it waits for this transaction
        return used

    first._used_in_db = check_then_let_the_other_in  # type: ignore[method-assign]
    first.claim(package("ref"))
    other.join(timeout=30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], ValidationError)
    assert "already used" in str(outcome[0])


def test_submit_answers_read_back_from_the_file(tmp_path: Path) -> None:
    """What ``record_submit`` writes is what a new store on the file reads:
    codes for every recipient, a changed message id, and an answer recorded
    by a store that never saw the claim (it writes every row)."""
    where = str(tmp_path / "r.sqlite3")
    store = ReportStore(where, account="acct")
    store.claim(package("ref", count=3))
    store.claim(package("other", count=2))

    def answered(ref: str, *answers: tuple[str, str | None]) -> StoredPackage:
        claimed = package(ref, count=len(answers))
        return attrs.evolve(
            claimed,
            recipients=tuple(
                StoredRecipient(message_id, r.number, code)
                for r, (message_id, code) in zip(claimed.recipients, answers, strict=True)
            ),
        )

    store.record_submit(answered("ref", ("ref-1", "0"), ("KOBI-77", "-13"), ("ref-3", None)))
    elsewhere = ReportStore(where, account="acct")  # knows nothing in memory
    elsewhere.record_submit(answered("other", ("other-1", "0"), ("KOBI-78", "0")))
    store.close()
    elsewhere.close()
    fresh = ReportStore(where, account="acct")

    def answers(ref: str) -> list[tuple[str, str | None]]:
        found = fresh.find(ref)
        assert found is not None
        return [(r.message_id, r.submit_code) for r in found.recipients]

    assert answers("ref") == [("ref-1", "0"), ("KOBI-77", "-13"), ("ref-3", None)]
    assert answers("other") == [("other-1", "0"), ("KOBI-78", "0")]
    assert fresh.find("KOBI-77") is not None
    assert fresh.find("ref-2") is None  # its id moved to KOBI-77


def test_an_answer_rewrites_a_message_id_only_when_it_changed(tmp_path: Path) -> None:
    """The message id is indexed: an answer that keeps it sets only the code
    (one page fewer written per send)."""
    store = ReportStore(str(tmp_path / "r.sqlite3"), account="acct")
    store.claim(package("ref", count=2))
    assert store._conn is not None
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    store.record_submit(
        attrs.evolve(
            package("ref", count=2),
            recipients=(
                StoredRecipient("ref-1", "+905321112231", "0"),
                StoredRecipient("KOBI-77", "+905321112232", "0"),
            ),
        )
    )
    store._conn.set_trace_callback(None)
    updates = [s for s in seen if s.upper().startswith("UPDATE")]
    assert len(updates) == 2
    assert sum("message_id =" in s for s in updates) == 1
    assert "'KOBI-77'" in next(s for s in updates if "message_id =" in s)


_IDS = st.sampled_from(["a", "b", "a-1", "a-2", "b-1", "c", "c-1", "Z", "z", "0"])


@given(
    stored=st.lists(st.tuples(_IDS, st.lists(_IDS, max_size=3)), max_size=4),
    probe=st.lists(_IDS, max_size=6),
)
def test_used_ids_are_what_a_union_of_both_lookups_gives(
    tmp_path_factory: pytest.TempPathFactory,
    stored: list[tuple[str, list[str]]],
    probe: list[str],
) -> None:
    """``_used_in_db`` (``UNION ALL``, deduplicated and sorted in Python) gives
    exactly what the ``UNION`` query it replaced gives, so the id a refusal
    names is the same."""
    where = str(tmp_path_factory.mktemp("used") / "r.sqlite3")
    store = ReportStore(where, account="acct")
    with store._db() as db:
        assert db is not None
        for n, (package_id, message_ids) in enumerate(stored):
            db.execute(
                "INSERT OR IGNORE INTO packages VALUES ('acct', ?, '2025-01-01', NULL)",
                (package_id,),
            )
            db.executemany(
                "INSERT INTO recipients VALUES ('acct', ?, ?, ?, '+905321112233', NULL)",
                [(package_id, n * 10 + i, m) for i, m in enumerate(message_ids)],
            )
        db.execute("INSERT INTO packages VALUES ('other', 'o', '2025-01-01', NULL)")
        db.execute("INSERT INTO recipients VALUES ('other', 'o', 0, 'o', '+905321112233', NULL)")
    marks = ",".join("?" * len(probe))
    with store._db(read=True) as db:
        assert db is not None
        union = [
            str(r[0])
            for r in db.execute(
                f"SELECT package_id FROM packages WHERE account = ? AND package_id IN ({marks}) "  # noqa: S608
                "UNION SELECT message_id FROM recipients WHERE account = ? "
                f"AND message_id IN ({marks})",
                ["acct", *probe, "acct", *probe],
            ).fetchall()
        ]
        assert store._used_in_db(db, [*probe, "o"]) == union
    store.close()


@pytest.mark.parametrize("count", [1, 2])
def test_an_answer_of_one_row_is_one_statement(tmp_path: Path, count: int) -> None:
    """A usual send's answer (one recipient) is a single UPDATE, its own
    transaction; more rows are one transaction begun with the write lock."""
    store = ReportStore(str(tmp_path / "r.sqlite3"), account="acct")
    claimed = package("ref", count=count)
    store.claim(claimed)
    assert store._conn is not None
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    store.record_submit(
        attrs.evolve(
            claimed, recipients=tuple(attrs.evolve(r, submit_code="0") for r in claimed.recipients)
        )
    )
    store._conn.set_trace_callback(None)
    kinds = [s.split()[0].upper() for s in seen]
    assert kinds == (["UPDATE"] if count == 1 else ["BEGIN", "UPDATE", "UPDATE", "COMMIT"])
    store.close()
    found = ReportStore(str(tmp_path / "r.sqlite3"), account="acct").find("ref")
    assert found is not None
    assert [r.submit_code for r in found.recipients] == ["0"] * count


def test_a_file_store_keeps_only_the_latest_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-lived client does not grow with its sends: past MEMORY_KEEP
    packages and reports, the oldest are read from the file again."""
    from ileti_kobikom import store as module

    monkeypatch.setattr(module, "MEMORY_KEEP", 3)
    store = ReportStore(str(tmp_path / "r.sqlite3"), account="acct")
    memory = ReportStore(":memory:", account="acct")
    for kept in (store, memory):
        for i in range(5):
            kept.claim(package(f"p{i}"))
        kept.save_reports([report(f"p{i}-1", "DELIVRD") for i in range(5)], pulled_at=NOW)
    assert list(store._packages) == ["p2", "p3", "p4"]
    assert sorted(store._by_message) == ["p2-1", "p2-2", "p3-1", "p3-2", "p4-1", "p4-2"]
    assert len(store._reports) == 3
    assert len(memory._packages) == len(memory._reports) == 5  # memory is all it has
    first = store.find("p0-2")  # from the file
    assert first is not None
    assert [r.number for r in first.recipients] == ["+905321112232"]
    assert store.reports(["p0-1"])["p0-1"].status == "DELIVRD"
    with pytest.raises(ValidationError, match="'p1' was already used"):
        store.claim(package("p1"))
