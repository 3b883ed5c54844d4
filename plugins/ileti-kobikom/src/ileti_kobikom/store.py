"""Where the plugin keeps what Kobikom tells only once.

Kobikom's pull endpoint returns each delivery report once, then ``NO_DATA``;
its reports carry no phone number. So the plugin keeps, per account:

* every package it sends (its id, schedule, and each recipient's message id,
  number and submit status), written *before* the send request leaves, so
  that a send whose answer was lost can still be settled with a report;
* every report it pulls, written before the pull is considered done.

Everything is kept in a SQLite file that outlives the process and can be
shared by several clients, and the most recent of it in memory (in the
client's ``ctx.state``: :data:`MEMORY_KEEP` packages and reports); with the
``report_store`` setting ``":memory:"``, everything in memory only, for the
client's life. The file's folder is created on first use, never earlier.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import attrs

from ileti.plugin import ConfigurationError, DeliveryState, ValidationError, private_file
from ileti_kobikom.settings import MEMORY_STORE, SYNC_LEVELS
from ileti_kobikom.wire import DeliveryMessage, dlr_state

__all__ = ["ReportStore", "StoredPackage", "StoredRecipient", "StoredReport"]

SCHEMA_VERSION = 1

#: how many packages, and how many reports, a store backed by a file also
#: keeps in memory (the most recently claimed or pulled); the file holds every
#: one, and is read for the others. A ":memory:" store keeps every one.
MEMORY_KEEP = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS packages (
    account TEXT NOT NULL,
    package_id TEXT NOT NULL,
    created TEXT NOT NULL,
    schedule TEXT,
    PRIMARY KEY (account, package_id)
);
CREATE TABLE IF NOT EXISTS recipients (
    account TEXT NOT NULL,
    package_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    number TEXT NOT NULL,
    submit_code TEXT,
    PRIMARY KEY (account, package_id, position)
);
CREATE INDEX IF NOT EXISTS recipients_by_message ON recipients (account, message_id);
CREATE TABLE IF NOT EXISTS reports (
    account TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    sent_date TEXT,
    done_date TEXT,
    gsm_error TEXT,
    pulled_at TEXT NOT NULL,
    PRIMARY KEY (account, message_id)
);
"""


@attrs.frozen
class StoredRecipient:
    """One recipient of a sent package.

    ``submit_code`` is the send answer's ``<status>`` for it, ``None`` while
    the answer is not known (the send's answer was lost).
    """

    message_id: str
    number: str
    submit_code: str | None = None


@attrs.frozen
class StoredPackage:
    """A package (one ``send`` or ``send_multi``) and its recipients in order."""

    package_id: str
    created: datetime
    schedule: datetime | None
    recipients: tuple[StoredRecipient, ...]


@attrs.frozen
class StoredReport:
    """The best report pulled so far for one message id."""

    message_id: str
    status: str
    sent_date: str | None
    done_date: str | None
    gsm_error: str | None
    pulled_at: datetime

    @property
    def state(self) -> DeliveryState:
        return dlr_state(self.status)

    @classmethod
    def of(cls, message: DeliveryMessage, pulled_at: datetime) -> StoredReport:
        return cls(
            message_id=message.id,
            status=message.status.strip(),
            sent_date=message.sent_date,
            done_date=message.done_date,
            gsm_error=message.gsm_error,
            pulled_at=pulled_at,
        )


def better(new: StoredReport, old: StoredReport | None) -> bool:
    """Whether ``new`` should replace ``old``: states never move backwards, and
    the first final report is kept."""
    if old is None:
        return True
    if old.state.is_final:
        return False
    return new.state.rank >= old.state.rank


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat()


def _from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class ReportStore:
    """Packages and pulled reports of one account, in memory and (optionally) SQLite.

    Thread-safe. ``location`` is a file path or ``":memory:"``; ``sync`` is
    whether a package written before its send request (and a release) is
    fsynced (``"full"``, the default) or not (``"normal"``). A send's answer
    is never fsynced, pulled reports always are.
    """

    def __init__(self, location: str, account: str, *, sync: str = "full") -> None:
        if sync not in SYNC_LEVELS:
            raise ValueError(f"sync must be one of {SYNC_LEVELS}, not {sync!r}")
        self.location = location
        self.account = account
        self.sync = sync
        self._path = None if location == MEMORY_STORE else Path(location).expanduser()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._packages: dict[str, StoredPackage] = {}
        self._by_message: dict[str, str] = {}
        self._reports: dict[str, StoredReport] = {}

    def __repr__(self) -> str:
        return f"ReportStore({self.location!r})"

    # -- SQLite ---------------------------------------------------------------------

    def _problem(self, exc: BaseException) -> ConfigurationError:
        return ConfigurationError(
            f"the Kobikom report store {self.location!r} cannot be used "
            f"({type(exc).__name__}: {exc}); set report_store to a writable SQLite file path, "
            "or ':memory:' to keep reports in memory only",
            setting="report_store",
            provider="kobikom",
        )

    @contextmanager
    def _db(
        self, *, full: bool = False, read: bool = False, one_statement: bool = False
    ) -> Iterator[sqlite3.Connection | None]:
        """The store's connection for one transaction (``None`` for a
        memory-only store), used by one thread at a time.

        One connection for the store's life, in WAL mode. A commit is in the
        log when it returns, so a killed process loses nothing; with ``full``
        it is also fsynced (``synchronous=FULL`` for this transaction, else
        ``NORMAL``). The Kobikom provider page, "What a crash can lose", says
        which writes are fsynced and what each choice can lose.

        A transaction that writes (not ``read``) takes the file's write lock
        when it begins, so that what it reads first (the ids already used, the
        reports already kept) cannot change under it from another process
        before it writes. With ``one_statement`` the caller runs a single
        statement that reads nothing first: it is its own transaction (the
        connection is in autocommit mode outside ``BEGIN``), which spares a
        ``BEGIN`` and a ``COMMIT``.
        """
        if self._path is None:
            yield None
            return
        with self._lock:
            try:
                if self._conn is None:
                    private_file(self._path)  # numbers and ids are personal data: 0600
                    conn = sqlite3.connect(
                        self._path, timeout=30.0, check_same_thread=False, isolation_level=None
                    )
                    try:
                        conn.execute("PRAGMA journal_mode=WAL")
                        conn.execute("PRAGMA synchronous=NORMAL")
                        conn.executescript(_SCHEMA)
                        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    except BaseException:
                        conn.close()
                        raise
                    self._conn = conn
                if full:
                    self._conn.execute("PRAGMA synchronous=FULL")
                try:
                    if not read and not one_statement:
                        self._conn.execute("BEGIN IMMEDIATE")
                    with self._conn:  # one transaction: commit, or roll back on error
                        yield self._conn
                finally:
                    if full:
                        self._conn.execute("PRAGMA synchronous=NORMAL")
            except (sqlite3.Error, OSError) as exc:
                raise self._problem(exc) from None

    def close(self) -> None:
        """Close the SQLite connection (a later call opens it again)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- packages ---------------------------------------------------------------------

    def claim(self, package: StoredPackage) -> None:
        """Record a package before it is sent; its ids must be new.

        Raises:
            ValidationError: the package id or a message id was used before
                (Kobikom refuses a repeated messageId, and reports are keyed by it).
        """
        ids = [package.package_id, *(r.message_id for r in package.recipients)]
        with self._lock:
            used = [i for i in ids if i in self._packages or i in self._by_message]
            with self._db(full=self.sync == "full") as db:
                if db is not None and not used:
                    used = self._used_in_db(db, ids)
                if used:
                    raise ValidationError(
                        f"client reference {used[0]!r} was already used for a Kobikom send; "
                        "Kobikom keys messages and reports by it: give a new client_ref"
                    )
                if db is not None:
                    self._insert(db, package)
            self._remember(package)

    def _used_in_db(self, db: sqlite3.Connection, ids: Sequence[str]) -> list[str]:
        """The ids of ``ids`` the file already holds, as a package or message id:
        per chunk of 500, each once, in ascending order (what a ``UNION`` of the
        two lookups gives; ``UNION ALL`` and sorting here cost a tenth of its
        temporary B-tree)."""
        used: list[str] = []
        for start in range(0, len(ids), 500):
            # once each: a one-recipient send's package id is its message id
            chunk = list(dict.fromkeys(ids[start : start + 500]))
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT package_id FROM packages WHERE account = ? AND package_id IN ({marks}) "  # noqa: S608 - placeholders only
                f"UNION ALL SELECT message_id FROM recipients WHERE account = ? "
                f"AND message_id IN ({marks})",
                [self.account, *chunk, self.account, *chunk],
            ).fetchall()
            if rows:
                used.extend(sorted({str(r[0]) for r in rows}))
        return used

    def _insert(self, db: sqlite3.Connection, package: StoredPackage) -> None:
        db.execute(
            "INSERT INTO packages (account, package_id, created, schedule) VALUES (?, ?, ?, ?)",
            (self.account, package.package_id, _iso(package.created), _iso(package.schedule)),
        )
        db.executemany(
            "INSERT INTO recipients (account, package_id, position, message_id, number, "
            "submit_code) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (self.account, package.package_id, i, r.message_id, r.number, r.submit_code)
                for i, r in enumerate(package.recipients)
            ],
        )

    def _remember(self, package: StoredPackage) -> None:
        old = self._packages.get(package.package_id)
        if old is not None:
            for r in old.recipients:
                self._by_message.pop(r.message_id, None)
        self._packages[package.package_id] = package
        for r in package.recipients:
            self._by_message[r.message_id] = package.package_id
        if self._path is not None:  # a long-lived client must not grow with its sends
            while len(self._packages) > MEMORY_KEEP:
                oldest = next(iter(self._packages))
                for r in self._packages.pop(oldest).recipients:
                    if self._by_message.get(r.message_id) == oldest:
                        del self._by_message[r.message_id]

    def release(self, package_id: str) -> None:
        """Forget a package that was certainly not sent (its ids may be used again)."""
        with self._lock:
            package = self._packages.pop(package_id, None)
            if package is not None:
                for r in package.recipients:
                    self._by_message.pop(r.message_id, None)
            with self._db(full=self.sync == "full") as db:
                if db is not None:
                    db.execute(
                        "DELETE FROM recipients WHERE account = ? AND package_id = ?",
                        (self.account, package_id),
                    )
                    db.execute(
                        "DELETE FROM packages WHERE account = ? AND package_id = ?",
                        (self.account, package_id),
                    )

    def record_submit(self, package: StoredPackage) -> None:
        """Store the send answer: each recipient's submit code and final message id.

        Never fsynced, whatever ``sync`` says: losing this commit alone (to
        an OS crash or power cut) leaves the package as claimed and
        unanswered, the state a crash between the request and its answer
        leaves, which reports settle. A killed process loses nothing.
        """
        with self._lock:
            known = self._packages.get(package.package_id)
            before = known.recipients if known is not None else ()
            codes: list[tuple[str | None, str, str, int]] = []  # the message id is as claimed
            moved: list[tuple[str, str | None, str, str, int]] = []  # it changed (or is unknown)
            for i, r in enumerate(package.recipients):
                old = before[i] if i < len(before) else None
                if old is None or old.message_id != r.message_id:
                    moved.append((r.message_id, r.submit_code, self.account, package.package_id, i))
                elif old.submit_code != r.submit_code:
                    codes.append((r.submit_code, self.account, package.package_id, i))
            if not codes and not moved:  # nothing new: written again all the same
                codes = [
                    (r.submit_code, self.account, package.package_id, i)
                    for i, r in enumerate(package.recipients)
                ]
            # one row (a usual send): one UPDATE, a transaction by itself
            with self._db(one_statement=len(codes) + len(moved) == 1) as db:
                if db is not None:
                    # only what changed, and the message id (indexed) only when it
                    # changed: each page a commit touches is written to the log again
                    if codes:
                        db.executemany(
                            "UPDATE recipients SET submit_code = ? "
                            "WHERE account = ? AND package_id = ? AND position = ?",
                            codes,
                        )
                    if moved:
                        db.executemany(
                            "UPDATE recipients SET message_id = ?, submit_code = ? "
                            "WHERE account = ? AND package_id = ? AND position = ?",
                            moved,
                        )
            self._remember(package)

    def find(self, ident: str) -> StoredPackage | None:
        """The package with this id, or a one-recipient view of the package that
        holds this message id; ``None`` when neither is known."""
        with self._lock:
            package = self._packages.get(ident)
            if package is None and ident in self._by_message:
                package = self._packages[self._by_message[ident]]
            if package is None:
                with self._db(read=True) as db:
                    if db is not None:
                        package = self._load(db, ident)
                if package is not None:
                    self._remember(package)
        if package is None:
            return None
        if package.package_id == ident:
            return package
        only = tuple(r for r in package.recipients if r.message_id == ident)
        return attrs.evolve(package, recipients=only)

    def _load(self, db: sqlite3.Connection, ident: str) -> StoredPackage | None:
        row = db.execute(
            "SELECT package_id, created, schedule FROM packages WHERE account = ? AND "
            "package_id = ?",
            (self.account, ident),
        ).fetchone()
        if row is None:
            row = db.execute(
                "SELECT p.package_id, p.created, p.schedule FROM packages p JOIN recipients r "
                "ON r.account = p.account AND r.package_id = p.package_id "
                "WHERE p.account = ? AND r.message_id = ?",
                (self.account, ident),
            ).fetchone()
        if row is None:
            return None
        package_id, created, schedule = row
        recipients = db.execute(
            "SELECT message_id, number, submit_code FROM recipients WHERE account = ? AND "
            "package_id = ? ORDER BY position",
            (self.account, package_id),
        ).fetchall()
        return StoredPackage(
            package_id=str(package_id),
            created=_from_iso(created) or datetime.now(UTC),
            schedule=_from_iso(schedule),
            recipients=tuple(StoredRecipient(str(m), str(n), s) for m, n, s in recipients),
        )

    # -- reports ----------------------------------------------------------------------

    def save_reports(self, messages: Iterable[DeliveryMessage], pulled_at: datetime) -> None:
        """Keep every pulled report (whatever message it is for), best state first."""
        new = [StoredReport.of(m, pulled_at) for m in messages]
        if not new:
            return
        with self._lock:
            with self._db(full=True) as db:  # Kobikom gives a report once: never lose it
                stored = self._stored_reports(db, [r.message_id for r in new])
                changed: dict[str, StoredReport] = {}
                for report in new:
                    current = changed.get(report.message_id) or stored.get(report.message_id)
                    if better(report, current):
                        changed[report.message_id] = report
                if db is not None and changed:
                    db.executemany(
                        "INSERT OR REPLACE INTO reports (account, message_id, status, sent_date, "
                        "done_date, gsm_error, pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [
                            (
                                self.account,
                                r.message_id,
                                r.status,
                                r.sent_date,
                                r.done_date,
                                r.gsm_error,
                                _iso(r.pulled_at),
                            )
                            for r in changed.values()
                        ],
                    )
            self._reports.update(changed)
            if self._path is not None:
                while len(self._reports) > MEMORY_KEEP:
                    del self._reports[next(iter(self._reports))]

    def reports(self, message_ids: Sequence[str]) -> dict[str, StoredReport]:
        """The best stored report of each message id that has one."""
        with self._lock, self._db(read=True) as db:
            return self._stored_reports(db, message_ids)

    def _stored_reports(
        self, db: sqlite3.Connection | None, message_ids: Sequence[str]
    ) -> dict[str, StoredReport]:
        found = {i: self._reports[i] for i in message_ids if i in self._reports}
        if db is None:
            return found
        ids = list(dict.fromkeys(message_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                "SELECT message_id, status, sent_date, done_date, gsm_error, pulled_at "  # noqa: S608 - placeholders only
                f"FROM reports WHERE account = ? AND message_id IN ({marks})",
                [self.account, *chunk],
            ).fetchall()
            for message_id, status, sent, done, gsm, pulled in rows:
                report = StoredReport(
                    message_id=str(message_id),
                    status=str(status),
                    sent_date=sent,
                    done_date=done,
                    gsm_error=gsm,
                    pulled_at=_from_iso(pulled) or datetime.now(UTC),
                )
                if better(report, found.get(report.message_id)):
                    found[report.message_id] = report
        return found
