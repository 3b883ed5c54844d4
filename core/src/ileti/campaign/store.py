"""Where campaigns live: the store interface and its SQLite implementation.

The store only persists; it decides nothing. Every change of a row's state
goes through :meth:`CampaignStore.apply` (or :meth:`CampaignStore.claim` and
:meth:`CampaignStore.apply_chunk` for a whole chunk), which moves a row only
from a state that :data:`ileti.campaign.states.TRANSITIONS` allows for the
event (``UPDATE ... WHERE state IN (...)``), so a bug elsewhere cannot make a
row jump from ``unknown`` to ``pending`` unseen.

In the SQLite store, the rows of a chunk (one future request) share one
state, kept on the chunk, as long as they move together: pending → claimed
→ accepted is three one-row updates for a whole request, not three updates
of every row. The first event that concerns some rows of a chunk only (a
refused recipient, a failure, a settled report) gives each of its rows its
own state, and from then on they move one by one.

SQLite is the embedded default: one file (mode 0600) in the per-user data
folder, WAL journal, ``synchronous=FULL`` so that a claim committed before
a request leaves survives a power cut as well as a crash, one connection
per store shared by its threads under a lock, a small page cache (2 MiB:
memory stays flat however many rows). The schema is versioned (``PRAGMA user_version``) and migrated
when the store is opened.

Two kinds of commit are not flushed on their own (``synchronous=NORMAL``):
an import's rows (:meth:`SQLiteStore.add_rows`) and a request's outcome
(:meth:`SQLiteStore.apply_chunk`). They are in the log when the commit
returns, so a crash of the process loses neither, and the next flushed
commit (the next claim's) takes them to the disk with it: the log is
written in order. A power cut before that can lose them, and nothing is
sent twice for it: lost import rows are read again (the import position is
lost with them), and rows whose outcome is lost are still ``claimed``, so
they are settled as any dead runner's claim. (Each flush holds the store,
and every thread that needs it, for a disk's round trip: three a request
were a tenth of a 10,000-row campaign's time; ``docs/benchmarks.md``.)
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Protocol, TypeVar

import attrs

from ileti.campaign.states import TRANSITIONS, Event, RowState
from ileti.errors import ConfigurationError, IletiError, ValidationError

__all__ = [
    "STORE_ENTRY_POINTS",
    "BatchRecord",
    "CampaignBusy",
    "CampaignNotFound",
    "CampaignRecord",
    "CampaignStore",
    "NewRow",
    "Row",
    "RowUpdate",
    "SQLiteStore",
    "StoreBase",
    "default_store_path",
    "open_store",
]

#: the entry-point group naming a store class by the scheme of its URL
#: (``postgresql`` → ``ileti_postgres:PostgresStore``)
STORE_ENTRY_POINTS = "ileti.campaign_stores"

SCHEMA_VERSION = 3


class CampaignNotFound(ValidationError):
    """No campaign with that id in this store (exit 3 on the command line)."""


class CampaignBusy(IletiError):
    """Another process is running this campaign now."""

    @classmethod
    def of(cls, campaign_id: str) -> CampaignBusy:
        return cls(
            f"campaign {campaign_id} is being run by another process; wait for it to "
            "finish (or stop it) before resuming"
        )


@attrs.frozen
class CampaignRecord:
    """A campaign as stored: what it sends and how far it got."""

    id: str
    provider: str
    created: float
    status: str
    spec: Mapping[str, Any]
    import_line: int = 0
    import_offset: int = 0
    imported: bool = False
    note: str | None = None

    @classmethod
    def from_row(cls, values: Sequence[Any]) -> CampaignRecord:
        """From ``id, provider, created, status, spec (JSON), import_line,
        import_offset, imported, note`` as a store reads them."""
        return cls(
            id=values[0],
            provider=values[1],
            created=values[2],
            status=values[3],
            spec=json.loads(values[4]),
            import_line=int(values[5]),
            import_offset=int(values[6]),
            imported=bool(values[7]),
            note=values[8],
        )


class NewRow(NamedTuple):
    """A row read from the input: ready to send (``pending``) or ``invalid``."""

    line: int
    number: str
    text: str | None
    state: RowState
    group: str | None = None
    parts: int = 0
    error: str | None = None
    error_category: str | None = None
    chunk: int | None = None


class Row(NamedTuple):
    """A stored row. ``number`` is E.164 (or the raw value of an invalid row)."""

    rid: int
    line: int
    number: str
    text: str | None
    state: RowState
    group: str | None
    parts: int
    batch: str | None
    client_ref: str | None
    message_id: str | None
    recipient_id: str | None
    attempts: int
    error_category: str | None
    error_code: str | None
    error: str | None
    delivery: str | None
    delivery_raw: str | None
    delivery_at: str | None
    chunk: int | None = None


@attrs.frozen
class RowUpdate:
    """One event applied to one row, with the facts it brings."""

    rid: int
    event: Event
    message_id: str | None = None
    recipient_id: str | None = None
    error_category: str | None = None
    error_code: str | None = None
    error: str | None = None


@attrs.frozen
class BatchRecord:
    """What the gateway said of a whole request: its package id and credits."""

    campaign_id: str
    ref: str
    message_id: str | None
    credits: str | None


_STATES = {state.value: state for state in RowState}

#: what a chunk's row stores of its NewRow: line, number, text, group, parts
_CHUNK_ROW = operator.itemgetter(0, 1, 2, 4, 5)
_CHUNK_WIDTH = 5  # the values _CHUNK_ROW takes
#: rows a statement of the import inserts (SQLite parses each statement anew)
_GROUP = 50
_NEW_STATE = operator.itemgetter(3)
_PENDING_ONLY = {RowState.PENDING}
_new_tuple = tuple.__new__


#: what a campaign's status becomes, made from its record and its counts (rows
#: and parts per state): ``(status, note)``, or ``None`` to leave it as it is
Decide = Callable[
    ["CampaignRecord", Mapping[RowState, tuple[int, int]]], "tuple[str, str | None] | None"
]


def _row(values: Sequence[Any]) -> Row:
    return Row(
        values[0],
        values[1],
        values[2],
        values[3],
        _STATES[values[4]],
        *values[5:],
    )


class CampaignStore(Protocol):
    """What the campaign engine needs from a store (SQLite here, others later).

    Every method is one transaction and safe to call from several threads.
    A third-party store registers its class under the entry-point group
    :data:`STORE_ENTRY_POINTS` by the scheme of its URL, and passes the
    shared store suite (``core/tests/campaign/test_store_contract.py``).
    """

    #: where it is, for messages (a URL without its password)
    location: str
    #: several runners (processes, machines) may run one campaign at once
    shared: bool

    def create(
        self, campaign_id: str, provider: str, spec: Mapping[str, Any]
    ) -> CampaignRecord: ...
    def get(self, campaign_id: str) -> CampaignRecord: ...
    def campaigns(self) -> list[CampaignRecord]: ...
    def set_status(self, campaign_id: str, status: str, note: str | None = None) -> None: ...
    def conclude(self, campaign_id: str, decide: Decide) -> tuple[str, str | None] | None:
        """Read the campaign's record and counts and write the status
        ``decide`` makes of them (``(status, note)``, or ``None`` to leave
        it), in one transaction under the campaign's lock; returns what it
        wrote. Runners that end together then conclude one after the other,
        and the last sees every row another committed before it: a status
        read from older counts never overwrites a newer one."""
        ...

    def add_rows(
        self, campaign_id: str, rows: Sequence[NewRow], *, line: int, offset: int, done: bool
    ) -> None: ...
    def last_chunk(self, campaign_id: str) -> int: ...
    def duplicates(self, campaign_id: str, numbers: Sequence[str]) -> dict[str, int]: ...
    def runner(self, campaign_id: str, *, exclusive: bool = False) -> AbstractContextManager[str]:
        """Hold the campaign as one of its runners (alone when ``exclusive``,
        or when the store is not :attr:`shared`) until the block ends or the
        process dies; yields the runner's id, which its claims carry. Raises
        :class:`CampaignBusy` when that is not possible now."""
        ...

    def claim(
        self,
        campaign_id: str,
        *,
        batch: str,
        chunk: int | None = None,
        runner: str = "",
        provider: str | None = None,
    ) -> list[Row]:
        """Claim the pending rows of the first chunk that has any (or of
        ``chunk``) for ``batch``, committed before this returns. A routed
        campaign gives the ``provider`` the request goes to: it is recorded
        in the same transaction (see :meth:`providers`)."""
        ...

    def providers(self, campaign_id: str, batches: Sequence[str]) -> dict[str, str]:
        """The provider each of ``batches`` was claimed for, where one was given."""
        ...

    def dead_claims(self, campaign_id: str, *, limit: int = 5000) -> list[Row]:
        """Rows ``claimed`` by runners that are no longer running (call it
        while holding :meth:`runner`)."""
        ...

    def apply_chunk(
        self, campaign_id: str, chunk: int, update: RowUpdate, *, rows: int, batch: BatchRecord
    ) -> None: ...
    def by_message(self, campaign_id: str, message_id: str) -> list[Row]: ...
    def iter_rows(
        self, campaign_id: str, states: Sequence[RowState] | None = None, page: int = 5000
    ) -> Iterator[Row]: ...
    def apply(self, updates: Sequence[RowUpdate], *, batch: BatchRecord | None = None) -> None: ...
    def rows(
        self,
        campaign_id: str,
        states: Sequence[RowState] | None = None,
        *,
        after: int = 0,
        limit: int = 1000,
    ) -> list[Row]: ...
    def set_delivery(self, updates: Sequence[tuple[int, str, str, str | None]]) -> None: ...
    def unreported(self, campaign_id: str, final: Sequence[str]) -> list[str]: ...
    def counts(self, campaign_id: str) -> dict[RowState, tuple[int, int]]: ...
    def delivery_counts(self, campaign_id: str) -> dict[str, int]: ...
    def credits(self, campaign_id: str) -> str | None: ...
    def close(self) -> None: ...


def default_store_path(env: Mapping[str, str] | None = None) -> Path:
    """``$ILETI_CAMPAIGN_STORE``, else ``$XDG_DATA_HOME/ileti/campaigns.sqlite3``
    (``~/.local/share/ileti/campaigns.sqlite3``)."""
    env = os.environ if env is None else env
    if env.get("ILETI_CAMPAIGN_STORE"):
        return Path(env["ILETI_CAMPAIGN_STORE"]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ileti" / "campaigns.sqlite3"


def open_store(location: str | Path | None = None) -> CampaignStore:
    """A store by location: a path to an SQLite file (the default), ``:memory:``,
    or the URL of a store a plugin provides (``postgresql://…`` with
    ``ileti-postgres`` installed). Without one: ``$ILETI_CAMPAIGN_STORE``
    (a path or a URL), else :func:`default_store_path`."""
    if location is None:
        configured = os.environ.get("ILETI_CAMPAIGN_STORE", "")
        if "://" not in configured:
            return SQLiteStore(default_store_path())
        location = configured
    text = str(location)
    if "://" in text:
        from importlib.metadata import entry_points

        scheme = text.split("://", 1)[0]
        found = entry_points(group=STORE_ENTRY_POINTS, name=scheme)
        if not found:
            hint = (
                "pip install ileti-postgres"
                if scheme in ("postgresql", "postgres")
                else "give the path of an SQLite file (or leave the store out for the default)"
            )
            raise ConfigurationError(
                f"the campaign store {scheme}:// is not available: {hint}", setting="store"
            )
        store: CampaignStore = next(iter(found)).load()(text)
        return store
    return SQLiteStore(text)


class StoreBase:
    """What every store computes the same way from its own queries."""

    def get(self, campaign_id: str) -> CampaignRecord:
        raise NotImplementedError

    def set_status(self, campaign_id: str, status: str, note: str | None = None) -> None:
        raise NotImplementedError

    def conclude(self, campaign_id: str, decide: Decide) -> tuple[str, str | None] | None:
        """Without a transaction of the store's own: the counts, then the
        status, as two steps (a store that several runners share overrides
        this with one transaction under the campaign's lock)."""
        ending = decide(self.get(campaign_id), self.counts(campaign_id))
        if ending is not None:
            self.set_status(campaign_id, *ending)
        return ending

    def rows(
        self,
        campaign_id: str,
        states: Sequence[RowState] | None = None,
        *,
        after: int = 0,
        limit: int = 1000,
    ) -> list[Row]:
        raise NotImplementedError

    def counts(self, campaign_id: str) -> dict[RowState, tuple[int, int]]:
        raise NotImplementedError

    def iter_rows(
        self, campaign_id: str, states: Sequence[RowState] | None = None, page: int = 5000
    ) -> Iterator[Row]:
        """Every row (or those in ``states``), in line order, a page at a time."""
        after = 0
        while True:
            chunk = self.rows(campaign_id, states, after=after, limit=page)
            if not chunk:
                return
            yield from chunk
            after = chunk[-1].rid

    def _deliveries(self, campaign_id: str) -> dict[str, int]:
        """Accepted rows per delivery state, of those that have one."""
        raise NotImplementedError

    def delivery_counts(self, campaign_id: str) -> dict[str, int]:
        # a delivery state is stored for accepted rows only, and accepted is final
        found = self._deliveries(campaign_id)
        accepted = self.counts(campaign_id).get(RowState.ACCEPTED, (0, 0))[0]
        waiting = accepted - sum(found.values())
        if waiting:
            found["no report yet"] = waiting
        return found

    @staticmethod
    def _sum_credits(found: Sequence[str]) -> str | None:
        """The credits of a campaign's batches, summed (``None`` when none said)."""
        if not found:
            return None
        return str(sum((Decimal(c) for c in found), Decimal(0)))


_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE campaigns (
        cid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL,
        created REAL NOT NULL,
        status TEXT NOT NULL,
        spec TEXT NOT NULL,
        import_line INTEGER NOT NULL DEFAULT 0,
        import_offset INTEGER NOT NULL DEFAULT 0,
        imported INTEGER NOT NULL DEFAULT 0,
        note TEXT
    );
    CREATE TABLE rows (
        rid INTEGER PRIMARY KEY,
        cid INTEGER NOT NULL REFERENCES campaigns(cid),
        line INTEGER NOT NULL,
        number TEXT NOT NULL,
        text TEXT,
        state TEXT NOT NULL,
        grp TEXT,
        chunk INTEGER,
        parts INTEGER NOT NULL DEFAULT 0,
        batch TEXT,
        client_ref TEXT,
        message_id TEXT,
        recipient_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        error_category TEXT,
        error_code TEXT,
        error TEXT,
        delivery TEXT,
        delivery_raw TEXT,
        delivery_at TEXT,
        updated REAL NOT NULL
    );
    CREATE UNIQUE INDEX rows_line ON rows(cid, line);
    CREATE INDEX rows_claim ON rows(cid, state, chunk, rid);
    CREATE INDEX rows_number ON rows(cid, number);
    CREATE INDEX rows_message ON rows(cid, message_id) WHERE message_id IS NOT NULL;
    CREATE TABLE batches (
        ref TEXT PRIMARY KEY,
        cid INTEGER NOT NULL REFERENCES campaigns(cid),
        message_id TEXT,
        credits TEXT,
        at REAL NOT NULL
    );
    """,
    # rows of a chunk share one state (on the chunk) while they move together
    2: """
    CREATE TABLE chunks (
        cid INTEGER NOT NULL REFERENCES campaigns(cid),
        chunk INTEGER NOT NULL,
        lo INTEGER NOT NULL,
        hi INTEGER NOT NULL,
        size INTEGER NOT NULL,
        parts INTEGER NOT NULL,
        state TEXT,
        batch TEXT,
        message_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated REAL NOT NULL,
        PRIMARY KEY (cid, chunk)
    );
    CREATE INDEX chunks_state ON chunks(cid, state, chunk) WHERE state IS NOT NULL;
    CREATE INDEX chunks_message ON chunks(cid, message_id) WHERE message_id IS NOT NULL;
    CREATE TABLE rows2 (
        rid INTEGER PRIMARY KEY,
        cid INTEGER NOT NULL REFERENCES campaigns(cid),
        line INTEGER NOT NULL,
        number TEXT NOT NULL,
        text TEXT,
        state TEXT,
        grp TEXT,
        chunk INTEGER,
        parts INTEGER NOT NULL DEFAULT 0,
        batch TEXT,
        client_ref TEXT,
        message_id TEXT,
        recipient_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        error_category TEXT,
        error_code TEXT,
        error TEXT,
        delivery TEXT,
        delivery_raw TEXT,
        delivery_at TEXT,
        updated REAL NOT NULL
    );
    INSERT INTO rows2 SELECT rid, cid, line, number, text, state, grp, chunk, parts, batch,
        client_ref, message_id, recipient_id, attempts, error_category, error_code, error,
        delivery, delivery_raw, delivery_at, updated FROM rows;
    INSERT INTO chunks (cid, chunk, lo, hi, size, parts, state, updated)
        SELECT cid, chunk, min(rid), max(rid), count(*), sum(parts), NULL, max(updated)
        FROM rows WHERE chunk IS NOT NULL GROUP BY cid, chunk;
    DROP TABLE rows;
    ALTER TABLE rows2 RENAME TO rows;
    CREATE UNIQUE INDEX rows_line ON rows(cid, line);
    CREATE INDEX rows_state ON rows(cid, state) WHERE state IS NOT NULL;
    CREATE INDEX rows_number ON rows(cid, number);
    CREATE INDEX rows_message ON rows(cid, message_id) WHERE message_id IS NOT NULL;
    CREATE INDEX rows_delivery ON rows(cid, delivery) WHERE delivery IS NOT NULL;
    """,
    # a routed campaign's claim records the provider its request goes to
    3: """
    CREATE TABLE routes (
        batch TEXT PRIMARY KEY,
        cid INTEGER NOT NULL REFERENCES campaigns(cid),
        provider TEXT NOT NULL
    );
    """,
}

#: a row's state, batch, client reference, package id and attempts: its own
#: once it has its own state, else its chunk's
_ROW_SELECT = (
    "SELECT r.rid, r.line, r.number, r.text, coalesce(r.state, c.state), r.grp, r.parts, "
    "CASE WHEN r.state IS NULL THEN c.batch ELSE r.batch END, "
    "CASE WHEN r.state IS NULL THEN c.batch || '-' || r.rid ELSE r.client_ref END, "
    "CASE WHEN r.state IS NULL THEN c.message_id ELSE r.message_id END, "
    "r.recipient_id, CASE WHEN r.state IS NULL THEN c.attempts ELSE r.attempts END, "
    "r.error_category, r.error_code, r.error, r.delivery, r.delivery_raw, r.delivery_at, "
    "r.chunk FROM rows AS r LEFT JOIN chunks AS c ON c.cid = r.cid AND c.chunk = r.chunk "
)


_F = TypeVar("_F", bound=Callable[..., Any])


def _serialised(method: _F) -> _F:
    """Run a read under the store's lock: its one connection serves one thread at a time."""

    @functools.wraps(method)
    def locked(self: SQLiteStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


def _each_in(conn: Any, query: str, head: tuple[Any, ...], values: Sequence[str]) -> Iterator[Any]:
    """The rows of ``query`` for every distinct one of ``values``: its
    ``{marks}`` becomes an ``IN`` list of at most 500 values a statement
    (SQLite bounds the variables of one statement), after the ``head``
    parameters. Only ``?`` marks of our own are written into the query."""
    unique = list(dict.fromkeys(values))
    for i in range(0, len(unique), 500):
        part = unique[i : i + 500]
        yield from conn.execute(query.format(marks=",".join("?" * len(part))), (*head, *part))


def _create_private(path: Path) -> None:
    """Create the database file 0600 from the start; tighten an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return
    os.close(fd)


class _FileLock:
    """One runner per campaign: an exclusive ``flock`` beside the store file
    (released by the kernel when the process dies, even by SIGKILL)."""

    _memory: ClassVar[dict[str, threading.Lock]] = {}

    def __init__(self, location: str, campaign_id: str) -> None:
        self.campaign_id = campaign_id
        self._fd: int | None = None
        self._mem: threading.Lock | None = None
        self.path: str | None = None
        if location.startswith("file:") or location == ":memory:":
            self._mem = self._memory.setdefault(f"{location}/{campaign_id}", threading.Lock())
        else:
            self.path = f"{location}.{campaign_id}.lock"

    def __enter__(self) -> str:
        if self._mem is not None:
            if not self._mem.acquire(blocking=False):
                raise CampaignBusy.of(self.campaign_id)
            return "local"
        import fcntl

        assert self.path is not None
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise CampaignBusy.of(self.campaign_id) from None
        self._fd = fd
        return "local"

    def __exit__(self, *exc: object) -> None:
        if self._mem is not None:
            self._mem.release()
        elif self._fd is not None:
            os.close(self._fd)
            self._fd = None


class SQLiteStore(StoreBase):
    """The embedded campaign store: one SQLite file, one connection for every thread.

    One runner at a time per campaign (a file lock beside the store), so every
    row left ``claimed`` when a runner starts was claimed by one that died.
    """

    shared = False

    def __init__(self, path: str | Path) -> None:
        self.location = str(path)
        self._memory = self.location == ":memory:"
        if self._memory:
            # one shared in-memory database for every thread of this store
            self.location = f"file:ileti-{id(self)}?mode=memory&cache=shared"
        else:
            _create_private(Path(self.location))
        # One connection for every thread of this process, used one thread at
        # a time: one page cache, never invalidated by our own other
        # connections' commits (with a connection per thread, WAL made each
        # commit cost the others a cache reload: about 100 µs of CPU per row).
        # Other processes coordinate through SQLite's file locks.
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = self._connect()
        #: whether the connection's commits are flushed (synchronous=FULL) now
        self._flushing = True
        #: the most parameters one statement may have (32,766 from SQLite 3.32; 999 before)
        self._params = self._connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._migrate()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.location!r})"

    # -- connections -------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.location,
            uri=self._memory,
            timeout=30.0,
            isolation_level=None,
            check_same_thread=False,
            # Python 3.11's statement cache hands one prepared statement to
            # cursors of different threads, and executemany on it then fails
            # with "bad parameter or other API misuse" even under our lock
            cached_statements=0,
        )
        if not self._memory:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA cache_size=-2048")  # 2 MiB
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError(f"the campaign store {self.location} is closed")
        return self._connection

    def _tx(self, *, flush: bool = True) -> _Tx:
        return _Tx(self, flush)

    def runner(self, campaign_id: str, *, exclusive: bool = False) -> AbstractContextManager[str]:
        return _FileLock(self.location, campaign_id)

    def dead_claims(self, campaign_id: str, *, limit: int = 5000) -> list[Row]:
        # one runner at a time: whoever asks holds the lock, so any claim is a dead one's
        return self.rows(campaign_id, [RowState.CLAIMED], limit=limit)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _migrate(self) -> None:
        with self._tx() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"the campaign store {self.location} was written by a newer ileti "
                    f"(schema {version}, this one knows {SCHEMA_VERSION}): upgrade ileti",
                    setting="store",
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                conn.executescript_in_tx(_MIGRATIONS[step])
                conn.execute(f"PRAGMA user_version = {step}")

    # -- campaigns ---------------------------------------------------------------

    def _cid(self, conn: Any, campaign_id: str) -> int:
        found = conn.execute("SELECT cid FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        if found is None:
            raise CampaignNotFound(
                f"no campaign {campaign_id!r} in {self.location}: 'ileti campaign list' "
                "shows the campaigns"
            )
        cid: int = found[0]
        return cid

    def create(self, campaign_id: str, provider: str, spec: Mapping[str, Any]) -> CampaignRecord:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO campaigns (id, provider, created, status, spec) VALUES (?,?,?,?,?)",
                (campaign_id, provider, time.time(), "importing", json.dumps(dict(spec))),
            )
        return self.get(campaign_id)

    @_serialised
    def get(self, campaign_id: str) -> CampaignRecord:
        found = self._conn.execute(
            "SELECT id, provider, created, status, spec, import_line, import_offset, imported, "
            "note FROM campaigns WHERE id = ?",
            (campaign_id,),
        ).fetchone()
        if found is None:
            self._cid(self._conn, campaign_id)  # raises CampaignNotFound
        return CampaignRecord.from_row(found)

    @_serialised
    def campaigns(self) -> list[CampaignRecord]:
        found = self._conn.execute(
            "SELECT id, provider, created, status, spec, import_line, import_offset, imported, "
            "note FROM campaigns ORDER BY created, cid"
        ).fetchall()
        return [CampaignRecord.from_row(f) for f in found]

    def set_status(self, campaign_id: str, status: str, note: str | None = None) -> None:
        with self._tx() as conn:
            self._write_status(conn, campaign_id, (status, note))

    def conclude(self, campaign_id: str, decide: Decide) -> tuple[str, str | None] | None:
        # BEGIN IMMEDIATE holds every other writer, thread or process, from
        # the counts to the status
        with self._tx() as conn:
            ending = decide(self.get(campaign_id), self.counts(campaign_id))
            if ending is not None:
                self._write_status(conn, campaign_id, ending)
        return ending

    def _write_status(self, conn: Any, campaign_id: str, ending: tuple[str, str | None]) -> None:
        conn.execute(
            "UPDATE campaigns SET status = ?, note = ? WHERE cid = ?",
            (*ending, self._cid(conn, campaign_id)),
        )

    # -- rows ---------------------------------------------------------------------

    def add_rows(
        self, campaign_id: str, rows: Sequence[NewRow], *, line: int, offset: int, done: bool
    ) -> None:
        """Rows and the import position after them, in one transaction.

        A row whose line is already stored is skipped, so an import continued
        after a crash never stores a line twice. The rows of a chunk are
        stored together (consecutive row ids) and follow their chunk's state.
        """
        now = time.time()
        with self._tx(flush=False) as conn:
            cid = self._cid(conn, campaign_id)
            start = 0
            while start < len(rows):
                chunk = rows[start].chunk
                end = start + 1
                while end < len(rows) and rows[end].chunk == chunk:
                    end += 1
                if chunk is None:
                    conn.executemany(
                        "INSERT OR IGNORE INTO rows (cid, line, number, text, state, grp, "
                        "parts, error, error_category, updated) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        [
                            (
                                cid,
                                r.line,
                                r.number,
                                r.text,
                                r.state.value,
                                r.group,
                                r.parts,
                                r.error,
                                r.error_category,
                                now,
                            )
                            for r in rows[start:end]
                        ],
                    )
                else:
                    self._add_chunk(conn, cid, chunk, rows[start:end], now)
                start = end
            conn.execute(
                "UPDATE campaigns SET import_line = ?, import_offset = ?, imported = ? "
                "WHERE cid = ?",
                (line, offset, int(done), cid),
            )

    @staticmethod
    def _add_chunk(conn: Any, cid: int, chunk: int, rows: Sequence[NewRow], now: float) -> None:
        """The rows of one chunk, with no state of their own: they follow the chunk's."""
        if rows and set(map(_NEW_STATE, rows)) != _PENDING_ONLY:
            raise ValueError(f"chunk {chunk} holds rows that are not pending")
        # a new row's id is one more than the largest (we hold the write lock)
        lo = (conn.execute("SELECT max(rid) FROM rows").fetchone()[0] or 0) + 1
        # numbers of ours, not input, are written into the statement, so that
        # each row binds a slice of its NewRow as it is. The rows go in _GROUP
        # to a statement: one step of SQLite's for each group, where a row a
        # statement made one a row and let go of the GIL for each while this
        # thread held the store (other threads then wait less for it)
        one = f"({int(cid)},?,?,?,?,?,{int(chunk)},{float(now)!r})"
        insert = "INSERT OR IGNORE INTO rows (cid, line, number, text, grp, parts, chunk, updated) "
        group = max(1, min(_GROUP, conn.limit // _CHUNK_WIDTH))
        whole = len(rows) - len(rows) % group
        if whole:
            values = itertools.chain.from_iterable(map(_CHUNK_ROW, rows[:whole]))
            conn.executemany(
                insert + "VALUES " + ",".join([one] * group),
                # each group's values, as one tuple (zip of one iterator, group * width times)
                zip(*[values] * (group * _CHUNK_WIDTH)),  # noqa: B905 - exact multiples
            )
        if whole < len(rows):
            rest = rows[whole:]
            conn.execute(
                insert + "VALUES " + ",".join([one] * len(rest)),
                list(itertools.chain.from_iterable(map(_CHUNK_ROW, rest))),
            )
        size, parts, hi = conn.execute(
            "SELECT count(*), coalesce(sum(parts), 0), max(rid) FROM rows "
            "WHERE rid >= ? AND +cid = ? AND +chunk = ?",
            (lo, cid, chunk),
        ).fetchone()
        if size:
            if hi - lo + 1 != size:  # pragma: no cover - SQLite's documented rowid rule
                raise RuntimeError(f"the rows of chunk {chunk} did not get consecutive ids")
            conn.execute(
                "INSERT INTO chunks (cid, chunk, lo, hi, size, parts, state, updated) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (cid, chunk, lo, hi, size, parts, RowState.PENDING.value, now),
            )

    @_serialised
    def last_chunk(self, campaign_id: str) -> int:
        conn = self._conn
        cid = self._cid(conn, campaign_id)
        found = conn.execute("SELECT max(chunk) FROM chunks WHERE cid = ?", (cid,)).fetchone()
        return int(found[0] or 0)

    @_serialised
    def duplicates(self, campaign_id: str, numbers: Sequence[str]) -> dict[str, int]:
        """For each of ``numbers`` already stored (not invalid): its first line."""
        if not numbers:
            return {}
        conn = self._conn
        cid = self._cid(conn, campaign_id)
        return dict(
            _each_in(
                conn,
                "SELECT number, min(line) FROM rows WHERE cid = ? "
                "AND (state IS NULL OR state != ?) AND number IN ({marks}) GROUP BY number",
                (cid, RowState.INVALID.value),
                numbers,
            )
        )

    def claim(
        self,
        campaign_id: str,
        *,
        batch: str,
        chunk: int | None = None,
        runner: str = "",
        provider: str | None = None,
    ) -> list[Row]:
        """Claim the pending rows of the first chunk that has any (or of
        ``chunk``), for ``batch`` (and ``provider``, recorded with it).

        Committed before this returns, so before any request leaves. Each row
        gets its own client reference, ``<batch>-<row id>``. (``runner`` is
        not stored: one runner at a time holds the campaign.)
        """
        only = "" if chunk is None else f" AND chunk = {int(chunk)}"
        move = TRANSITIONS[Event.CLAIM]
        (source,) = move.sources
        target = move.target
        now = time.time()
        with self._tx() as conn:
            cid = self._cid(conn, campaign_id)
            whole = conn.execute(
                "SELECT chunk, lo, hi, attempts FROM chunks WHERE cid = ? AND state = ?"  # noqa: S608
                f"{only} ORDER BY chunk LIMIT 1",
                (cid, source.value),
            ).fetchone()
            # chunks are numbered in the order of their rows' ids
            single = conn.execute(
                "SELECT chunk FROM rows WHERE cid = ? AND state = ? AND chunk IS NOT NULL"  # noqa: S608
                f"{only} ORDER BY rid LIMIT 1",
                (cid, source.value),
            ).fetchone()
            if single is not None and (whole is None or single[0] < whole[0]):
                found = conn.execute(
                    "UPDATE rows SET state = ?, batch = ?, "
                    "client_ref = ? || '-' || rid, attempts = attempts + 1, updated = ? "
                    "WHERE cid = ? AND state = ? AND chunk = ? RETURNING rid",
                    (target.value, batch, batch, now, cid, source.value, single[0]),
                ).fetchall()
                self._route(conn, cid, batch, provider)
                marks = ",".join("?" * len(found))
                rows = conn.execute(
                    f"{_ROW_SELECT} WHERE r.rid IN ({marks}) ORDER BY r.rid",
                    [rid for (rid,) in found],
                ).fetchall()
                return [_row(r) for r in rows]
            if whole is None:
                return []
            chunk, lo, hi, attempts = whole
            conn.execute(
                "UPDATE chunks SET state = ?, batch = ?, attempts = ?, updated = ? "
                "WHERE cid = ? AND chunk = ?",
                (target.value, batch, attempts + 1, now, cid, chunk),
            )
            self._route(conn, cid, batch, provider)
            where = "WHERE rid BETWEEN ? AND ? AND +cid = ? AND +chunk = ? ORDER BY rid"
            found = conn.execute(
                f"SELECT line, number, text, grp, parts FROM rows {where}",  # noqa: S608
                (lo, hi, cid, chunk),
            ).fetchall()
            if len(found) == hi - lo + 1:
                # as many rows as ids from lo to hi: they are those ids, in
                # order (an import stores a chunk's rows so), not fetched
                rids: Sequence[int] = range(lo, hi + 1)
            else:  # a chunk with gaps (one migrated from a store before chunks)
                rids = [
                    rid
                    for (rid,) in conn.execute(
                        f"SELECT rid FROM rows {where}",  # noqa: S608
                        (lo, hi, cid, chunk),
                    )
                ]
        # tuple.__new__ straight from the values: Row(...) per row would go
        # through the NamedTuple's Python-level __new__ (about 0.5 µs a row).
        # Each client reference, <batch>-<row id>, is written here rather
        # than by the query (one column fewer to fetch a row; in Python 3.11
        # each column of each row lets go of the GIL and takes SQLite's lock)
        attempts += 1
        ref = f"{batch}-"
        return [
            _new_tuple(
                Row,
                (
                    rid,
                    line,
                    number,
                    text,
                    target,
                    grp,
                    parts,
                    batch,
                    f"{ref}{rid}",
                    None,
                    None,
                    attempts,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    chunk,
                ),
            )
            for rid, (line, number, text, grp, parts) in zip(rids, found, strict=True)
        ]

    @staticmethod
    def _route(conn: Any, cid: int, batch: str, provider: str | None) -> None:
        if provider is not None:
            conn.execute(
                "INSERT INTO routes (batch, cid, provider) VALUES (?,?,?)", (batch, cid, provider)
            )

    @_serialised
    def providers(self, campaign_id: str, batches: Sequence[str]) -> dict[str, str]:
        """The provider each of ``batches`` was claimed for (a routed
        campaign's; a batch claimed without one is left out)."""
        conn = self._conn
        cid = self._cid(conn, campaign_id)
        return dict(
            _each_in(
                conn,
                "SELECT batch, provider FROM routes WHERE cid = ? AND batch IN ({marks})",
                (cid,),
                batches,
            )
        )

    def apply_chunk(
        self, campaign_id: str, chunk: int, update: RowUpdate, *, rows: int, batch: BatchRecord
    ) -> None:
        """One event for every row of a claimed batch (``update.rid`` unused),
        with the batch's record, in one transaction."""
        from ileti.campaign.states import IllegalTransition

        move = TRANSITIONS[update.event]
        sources = tuple(s.value for s in move.sources)
        marks = ",".join("?" * len(sources))
        now = time.time()
        with self._tx(flush=False) as conn:
            cid = self._cid(conn, campaign_id)
            conn.execute(
                "INSERT OR REPLACE INTO batches (ref, cid, message_id, credits, at) "
                "VALUES (?,?,?,?,?)",
                (batch.ref, cid, batch.message_id, batch.credits, now),
            )
            plain = update.recipient_id is None and update.error_category is None
            plain = plain and update.error_code is None and update.error is None
            if plain:
                done = conn.execute(
                    "UPDATE chunks SET state = ?, message_id = coalesce(?, message_id), "  # noqa: S608
                    f"updated = ? WHERE cid = ? AND chunk = ? AND state IN ({marks}) "
                    "AND batch = ? AND size = ?",
                    (
                        move.target.value,
                        update.message_id,
                        now,
                        cid,
                        chunk,
                        *sources,
                        batch.ref,
                        rows,
                    ),
                )
                if done.rowcount == 1:
                    return
            self._own_states(conn, cid, chunk)
            done = conn.execute(
                "UPDATE rows SET state = ?, "  # noqa: S608
                "message_id = COALESCE(?, message_id), "
                "recipient_id = COALESCE(?, recipient_id), "
                "error_category = ?, error_code = ?, error = ?, updated = ? "
                f"WHERE cid = ? AND state IN ({marks}) AND chunk = ? AND batch = ?",
                (
                    move.target.value,
                    update.message_id,
                    update.recipient_id,
                    update.error_category,
                    update.error_code,
                    update.error,
                    now,
                    cid,
                    *sources,
                    chunk,
                    batch.ref,
                ),
            )
            if done.rowcount != rows:
                raise IllegalTransition(
                    f"{done.rowcount} of the {rows} rows of batch {batch.ref} could take the "
                    f"event {update.event.value!r}"
                )

    @staticmethod
    def _own_states(conn: Any, cid: int, chunk: int) -> None:
        """Give every row of a chunk its own state (copied from the chunk),
        before an event that concerns only some of them."""
        found = conn.execute(
            "SELECT lo, hi, state, batch, message_id, attempts FROM chunks "
            "WHERE cid = ? AND chunk = ? AND state IS NOT NULL",
            (cid, chunk),
        ).fetchone()
        if found is None:
            return
        lo, hi, state, batch, message_id, attempts = found
        conn.execute(
            "UPDATE rows SET state = ?, batch = ?, "
            "client_ref = CASE WHEN ? IS NULL THEN NULL ELSE ? || '-' || rid END, "
            "message_id = ?, attempts = ? "
            "WHERE rid BETWEEN ? AND ? AND +cid = ? AND +chunk = ? AND state IS NULL",
            (state, batch, batch, batch, message_id, attempts, lo, hi, cid, chunk),
        )
        conn.execute("UPDATE chunks SET state = NULL WHERE cid = ? AND chunk = ?", (cid, chunk))

    @_serialised
    def by_message(self, campaign_id: str, message_id: str) -> list[Row]:
        """The accepted rows a package id covers."""
        conn = self._conn
        cid = self._cid(conn, campaign_id)
        accepted = RowState.ACCEPTED.value
        found = conn.execute(
            f"{_ROW_SELECT} WHERE r.cid = ? AND r.message_id = ? AND r.state = ? "
            f"UNION ALL {_ROW_SELECT} JOIN chunks AS m ON m.cid = ? AND m.message_id = ? "
            "AND m.state = ? AND r.rid BETWEEN m.lo AND m.hi "
            "WHERE +r.cid = ? AND +r.chunk = m.chunk AND r.state IS NULL ORDER BY 1",
            (cid, message_id, accepted, cid, message_id, accepted, cid),
        ).fetchall()
        return [_row(r) for r in found]

    def apply(self, updates: Sequence[RowUpdate], *, batch: BatchRecord | None = None) -> None:
        """Apply events in one transaction (with the batch's record, if given);
        an event a row's state does not allow raises
        :class:`~ileti.campaign.states.IllegalTransition`."""
        from ileti.campaign.states import IllegalTransition

        if not updates and batch is None:
            return
        now = time.time()
        # one statement per kind of update, run for many rows at once
        groups: dict[
            tuple[Event, tuple[str | None, str | None, str | None, str | None, str | None]],
            list[int],
        ] = {}
        for u in updates:
            facts = (u.message_id, u.recipient_id, u.error_category, u.error_code, u.error)
            groups.setdefault((u.event, facts), []).append(u.rid)
        rids = [u.rid for u in updates]
        with self._tx() as conn:
            if batch is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO batches (ref, cid, message_id, credits, at) "
                    "VALUES (?,?,?,?,?)",
                    (
                        batch.ref,
                        self._cid(conn, batch.campaign_id),
                        batch.message_id,
                        batch.credits,
                        now,
                    ),
                )
            for i in range(0, len(rids), 500):
                part = rids[i : i + 500]
                following = conn.execute(
                    "SELECT DISTINCT cid, chunk FROM rows "  # noqa: S608
                    f"WHERE rid IN ({','.join('?' * len(part))}) AND state IS NULL",
                    part,
                ).fetchall()
                for cid, chunk in following:
                    self._own_states(conn, cid, chunk)
            for (event, facts), ids in groups.items():
                move = TRANSITIONS[event]
                sources = tuple(s.value for s in move.sources)
                marks = ",".join("?" * len(sources))
                fixed = (move.target.value, *facts, now)
                done = conn.executemany(
                    "UPDATE rows SET state = ?, "  # noqa: S608
                    "message_id = COALESCE(?, message_id), "
                    "recipient_id = COALESCE(?, recipient_id), "
                    "error_category = ?, error_code = ?, error = ?, updated = ? "
                    f"WHERE rid = ? AND state IN ({marks})",
                    [(*fixed, rid, *sources) for rid in ids],
                )
                if done.rowcount != len(ids):
                    found = conn.execute(
                        f"SELECT rid, state FROM rows WHERE rid IN ({','.join('?' * len(ids))})",  # noqa: S608
                        ids,
                    ).fetchall()
                    wrong = [(rid, st) for rid, st in found if st not in sources]
                    raise IllegalTransition(
                        f"rows {wrong[:5]} cannot take the event {event.value!r}"
                    )

    @_serialised
    def rows(
        self,
        campaign_id: str,
        states: Sequence[RowState] | None = None,
        *,
        after: int = 0,
        limit: int = 1000,
    ) -> list[Row]:
        """Rows in line order, ``limit`` at a time after row id ``after``."""
        conn = self._conn
        cid = self._cid(conn, campaign_id)
        if states is None:
            found = conn.execute(
                f"{_ROW_SELECT} WHERE +r.cid = ? AND r.rid > ? ORDER BY r.rid LIMIT ?",
                (cid, after, limit),
            ).fetchall()
            return [_row(r) for r in found]
        found = []
        for state in dict.fromkeys(s.value for s in states):
            # rows with a state of their own (an index holds only those),
            # looked for first by a statement far cheaper to prepare than
            # the join (the store caches no statement): usually there is none
            own = conn.execute(
                "SELECT 1 FROM rows WHERE cid = ? AND state = ? AND rid > ? LIMIT 1",
                (cid, state, after),
            ).fetchone()
            if own is not None:
                found.extend(
                    conn.execute(
                        f"{_ROW_SELECT} WHERE r.cid = ? AND r.state = ? AND r.rid > ? "
                        "ORDER BY r.rid LIMIT ?",
                        (cid, state, after, limit),
                    )
                )
            # and the rows of the chunks in that state (in chunk order, which
            # is row id order), until there are enough: the chunks are read
            # one at a time (not fetched all first), so that a call for a few
            # rows reads a few chunks, however many there are
            taken = 0
            for chunk, lo, hi in conn.execute(
                "SELECT chunk, lo, hi FROM chunks WHERE cid = ? AND state = ? AND hi > ? "
                "ORDER BY chunk",
                (cid, state, after),
            ):
                page = conn.execute(
                    f"{_ROW_SELECT} WHERE r.rid BETWEEN ? AND ? AND +r.cid = ? "
                    "AND +r.chunk = ? AND r.state IS NULL ORDER BY r.rid LIMIT ?",
                    (max(lo, after + 1), hi, cid, chunk, limit - taken),
                ).fetchall()
                found.extend(page)
                taken += len(page)
                if taken >= limit:
                    break
        found.sort(key=lambda r: r[0])
        return [_row(r) for r in found[:limit]]

    def set_delivery(self, updates: Sequence[tuple[int, str, str, str | None]]) -> None:
        """``(rid, normalised state, raw state, time)`` for accepted rows."""
        accepted = RowState.ACCEPTED.value
        with self._tx() as conn:
            conn.executemany(
                "UPDATE rows SET delivery = ?, delivery_raw = ?, delivery_at = ? "
                "WHERE rid = ? AND coalesce(state, (SELECT c.state FROM chunks AS c "
                "WHERE c.cid = rows.cid AND c.chunk = rows.chunk)) = ?",
                [(s, raw, at, rid, accepted) for rid, s, raw, at in updates],
            )

    @_serialised
    def unreported(self, campaign_id: str, final: Sequence[str]) -> list[str]:
        """Message ids of accepted rows whose delivery state is not final yet."""
        conn = self._conn
        cid = self._cid(conn, campaign_id)
        marks = ",".join("?" * len(final))
        found = conn.execute(
            "SELECT DISTINCT m FROM (SELECT CASE WHEN r.state IS NULL THEN c.message_id "  # noqa: S608
            "ELSE r.message_id END AS m, coalesce(r.state, c.state) AS s, r.delivery AS d "
            "FROM rows AS r LEFT JOIN chunks AS c ON c.cid = r.cid AND c.chunk = r.chunk "
            "WHERE r.cid = ?) "
            f"WHERE s = ? AND m IS NOT NULL AND (d IS NULL OR d NOT IN ({marks}))",
            (cid, RowState.ACCEPTED.value, *final),
        ).fetchall()
        return [m for (m,) in found]

    @_serialised
    def counts(self, campaign_id: str) -> dict[RowState, tuple[int, int]]:
        """Rows and parts per state."""
        conn = self._conn
        cid = self._cid(conn, campaign_id)
        found = conn.execute(
            "SELECT state, sum(size), sum(parts) FROM chunks WHERE cid = ? "
            "AND state IS NOT NULL GROUP BY state UNION ALL "
            "SELECT state, count(*), coalesce(sum(parts), 0) FROM rows WHERE cid = ? "
            "AND state IS NOT NULL GROUP BY state",
            (cid, cid),
        ).fetchall()
        counts: dict[RowState, tuple[int, int]] = {}
        for state, n, parts in found:
            had = counts.get(_STATES[state], (0, 0))
            counts[_STATES[state]] = (had[0] + n, had[1] + parts)
        return counts

    @_serialised
    def _deliveries(self, campaign_id: str) -> dict[str, int]:
        conn = self._conn
        cid = self._cid(conn, campaign_id)
        return dict(
            conn.execute(
                "SELECT delivery, count(*) FROM rows WHERE cid = ? AND delivery IS NOT NULL "
                "GROUP BY delivery",
                (cid,),
            ).fetchall()
        )

    @_serialised
    def credits(self, campaign_id: str) -> str | None:
        """The credits the provider said it charged, summed over batches
        (``None`` when it never said)."""
        conn = self._conn
        cid = self._cid(conn, campaign_id)
        found = conn.execute(
            "SELECT credits FROM batches WHERE cid = ? AND credits IS NOT NULL", (cid,)
        ).fetchall()
        return self._sum_credits([c for (c,) in found])


class _TxConn:
    """A connection inside a transaction (executescript would commit it)."""

    def __init__(self, conn: sqlite3.Connection, limit: int) -> None:
        self._conn = conn
        self.execute = conn.execute
        self.executemany = conn.executemany
        #: the most parameters one statement may have
        self.limit = limit

    def executescript_in_tx(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self._conn.execute(statement)


class _Tx:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error), flushed
    to the disk when it commits (``synchronous=FULL``) unless ``flush`` is
    false (``NORMAL``: in the log, safe from a crash of the process, and
    flushed by the next transaction that is)."""

    def __init__(self, store: SQLiteStore, flush: bool) -> None:
        self._conn = store._conn
        self._lock = store._lock
        self._params = store._params
        self._store = store
        self._flush = flush

    def __enter__(self) -> _TxConn:
        self._lock.acquire()
        try:
            if self._store._flushing is not self._flush:
                level = "FULL" if self._flush else "NORMAL"
                self._conn.execute(f"PRAGMA synchronous={level}")
                self._store._flushing = self._flush
            self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return _TxConn(self._conn, self._params)

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self._lock.release()
