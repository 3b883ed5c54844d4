"""A PostgreSQL store for ileti's campaigns (psycopg 3).

Selected by URL: ``--store postgresql://user@host/db`` on the command line,
``Campaign.create(..., store="postgresql://...")`` in Python. The same state
machine and the same exactly-once rule as the SQLite store, with one
difference: many runners (processes, machines, Celery workers) may run one
campaign at once.

How runners share a campaign:

- **Claims.** A runner claims the pending rows of a chunk with
  ``SELECT … FOR UPDATE SKIP LOCKED`` and commits the claim before its
  request leaves; two runners never claim the same row.
- **Who is alive.** A runner holds a session-level advisory lock of its own
  (on a connection kept for nothing else) for as long as it runs; every
  claim carries that runner's id. PostgreSQL drops the lock when the
  runner's connection ends, so when the process dies, even by SIGKILL. A
  claim whose runner's lock is free belongs to a dead runner: it becomes
  ``unknown`` and is settled by report before anything is sent again.
- **Alone when it matters.** Importing, cancelling and resolving take the
  campaign's lock exclusively; sending takes it shared.

Tables are named ``ileti_*``; add ``?schema=NAME`` to the URL to keep them
in a schema of their own (created if missing). The schema version is in
``ileti_schema`` and migrated on open. The advisory locks use the two-key
form with the first key :data:`LOCK_SPACE`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from ileti.campaign.states import TRANSITIONS, Event, IllegalTransition, RowState
from ileti.campaign.store import (
    BatchRecord,
    CampaignBusy,
    CampaignNotFound,
    CampaignRecord,
    Decide,
    NewRow,
    Row,
    RowUpdate,
    StoreBase,
)
from ileti.errors import ConfigurationError

__all__ = ["LOCK_SPACE", "SCHEMA_VERSION", "PostgresStore", "temporary_schema"]

SCHEMA_VERSION = 2
#: the first key of every advisory lock this store takes ("il" in ASCII)
LOCK_SPACE = 0x696C
_CAMPAIGN_LOCK = LOCK_SPACE  # (LOCK_SPACE, campaign's cid): shared by runners
_RUNNER_LOCK = LOCK_SPACE + 1  # (LOCK_SPACE + 1, runner id): held while it runs
_MIGRATE_LOCK = LOCK_SPACE + 2

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE ileti_campaigns (
        cid bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        provider text NOT NULL,
        created double precision NOT NULL,
        status text NOT NULL,
        spec text NOT NULL,
        import_line bigint NOT NULL DEFAULT 0,
        import_offset bigint NOT NULL DEFAULT 0,
        imported boolean NOT NULL DEFAULT false,
        note text
    );
    CREATE TABLE ileti_rows (
        rid bigserial PRIMARY KEY,
        cid bigint NOT NULL REFERENCES ileti_campaigns(cid),
        line bigint NOT NULL,
        number text NOT NULL,
        text text,
        state text NOT NULL,
        grp text,
        chunk integer,
        parts integer NOT NULL DEFAULT 0,
        batch text,
        client_ref text,
        message_id text,
        recipient_id text,
        attempts integer NOT NULL DEFAULT 0,
        error_category text,
        error_code text,
        error text,
        delivery text,
        delivery_raw text,
        delivery_at text,
        runner text,
        updated double precision NOT NULL,
        UNIQUE (cid, line)
    );
    CREATE INDEX ileti_rows_claim ON ileti_rows (cid, state, chunk, rid);
    CREATE INDEX ileti_rows_order ON ileti_rows (cid, rid);
    CREATE INDEX ileti_rows_state ON ileti_rows (cid, state, rid);
    CREATE INDEX ileti_rows_number ON ileti_rows (cid, number);
    CREATE INDEX ileti_rows_message ON ileti_rows (cid, message_id)
        WHERE message_id IS NOT NULL;
    CREATE TABLE ileti_batches (
        ref text PRIMARY KEY,
        cid bigint NOT NULL REFERENCES ileti_campaigns(cid),
        message_id text,
        credits text,
        at double precision NOT NULL
    );
    """,
    # a routed campaign's claim records the provider its request goes to
    2: """
    CREATE TABLE ileti_routes (
        batch text PRIMARY KEY,
        cid bigint NOT NULL REFERENCES ileti_campaigns(cid),
        provider text NOT NULL
    );
    """,
}

_COLUMNS = (
    "rid, line, number, text, state, grp, parts, batch, client_ref, message_id, "
    "recipient_id, attempts, error_category, error_code, error, delivery, delivery_raw, "
    "delivery_at, chunk"
)
#: the same columns of the updated rows, for ``UPDATE ... RETURNING``
_RETURNED = ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(","))
_STATES = {state.value: state for state in RowState}


def _row(values: Sequence[Any]) -> Row:
    return Row(*values[:4], _STATES[values[4]], *values[5:])  # type: ignore[call-arg]


def _split_url(url: str) -> tuple[str, str | None, str]:
    """The URL for psycopg, the schema asked for, and the URL to show (no password)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    dsn = urlunsplit(parts._replace(scheme="postgresql", query=rest))
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    shown = urlunsplit(parts._replace(netloc=netloc, query=parts.query))
    return dsn, schema, shown


class PostgresStore(StoreBase):
    """Campaigns in PostgreSQL, run by as many runners as you start."""

    shared = True

    def __init__(self, url: str) -> None:
        self._dsn, self._schema, self.location = _split_url(url)
        self._lock = threading.RLock()
        #: connections of runners that ended, without locks, for the next runners
        self._idle: list[psycopg.Connection[Any]] = []
        self._connection: psycopg.Connection[Any] | None = self._connect()
        self._migrate()

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r})"

    # -- connections -------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        conn = self._open()
        if self._schema is not None:
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self._schema))
            )
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self._schema)))
        return conn

    def _open(self) -> psycopg.Connection[Any]:
        """A new connection, or ``ConfigurationError`` saying why not (no password)."""
        try:
            return psycopg.connect(self._dsn, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            password = urlsplit(self._dsn).password
            if password:
                reason = reason.replace(password, "***")
            raise ConfigurationError(
                f"cannot connect to the campaign store {self.location}: {reason}",
                setting="store",
            ) from None

    @property
    def _conn(self) -> psycopg.Connection[Any]:
        if self._connection is None:
            raise RuntimeError(f"the campaign store {self.location} is closed")
        return self._connection

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            conn = self._conn
            with conn.transaction():
                yield conn

    def close(self) -> None:
        with self._lock:
            for idle in self._idle:
                idle.close()
            self._idle.clear()
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _migrate(self) -> None:
        with self._tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_MIGRATE_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS ileti_schema (version integer NOT NULL)")
            found = conn.execute("SELECT version FROM ileti_schema").fetchone()
            version = found[0] if found else 0
            if found is None:
                conn.execute("INSERT INTO ileti_schema VALUES (0)")
            if version > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"the campaign store {self.location} was written by a newer "
                    f"ileti-postgres (schema {version}, this one knows {SCHEMA_VERSION}): "
                    "upgrade ileti-postgres",
                    setting="store",
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                conn.execute(_MIGRATIONS[step])
                conn.execute("UPDATE ileti_schema SET version = %s", (step,))

    # -- runners -----------------------------------------------------------------------

    @contextmanager
    def runner(self, campaign_id: str, *, exclusive: bool = False) -> Iterator[str]:
        """Hold the campaign (shared, or alone when ``exclusive``) on a
        connection of its own, with a lock naming this runner."""
        with self._lock:
            cid = self._cid(self._conn, campaign_id)
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._open()
        try:
            take = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
            held = conn.execute(
                sql.SQL("SELECT {}(%s, %s)").format(sql.Identifier(take)),
                (_CAMPAIGN_LOCK, cid),
            ).fetchone()
            if not (held and held[0]):
                raise CampaignBusy.of(campaign_id)
            while True:
                runner = secrets.randbelow(2**31 - 2) + 1
                mine = conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (_RUNNER_LOCK, runner)
                ).fetchone()
                if mine and mine[0]:
                    break
            yield str(runner)
        finally:
            self._release(conn)

    def _release(self, conn: psycopg.Connection[Any]) -> None:
        """Drop a runner's locks and keep its connection for the next runner
        (a new connection per runner costs a server process each time)."""
        try:
            conn.execute("SELECT pg_advisory_unlock_all()")
        except psycopg.Error:
            conn.close()  # PostgreSQL drops the locks of a closed session
            return
        with self._lock:
            if self._connection is not None and len(self._idle) < 8:
                self._idle.append(conn)
                return
        conn.close()

    def dead_claims(self, campaign_id: str, *, limit: int = 5000) -> list[Row]:
        """Claimed rows whose runner's lock is free: that runner is gone."""
        with self._lock:
            conn = self._conn
            cid = self._cid(conn, campaign_id)
            owners = [
                r
                for (r,) in conn.execute(
                    "SELECT DISTINCT runner FROM ileti_rows WHERE cid = %s AND state = %s",
                    (cid, RowState.CLAIMED.value),
                )
            ]
            dead = []
            for owner in owners:
                if not owner or not owner.isdigit():
                    dead.append(owner)  # claimed outside any runner
                    continue
                free = conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (_RUNNER_LOCK, int(owner))
                ).fetchone()
                if free and free[0]:
                    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_RUNNER_LOCK, int(owner)))
                    dead.append(owner)
            if not dead:
                return []
            found = conn.execute(
                f"SELECT {_COLUMNS} FROM ileti_rows WHERE cid = %s AND state = %s "  # noqa: S608
                "AND coalesce(runner, '') = ANY(%s) ORDER BY rid LIMIT %s",
                (cid, RowState.CLAIMED.value, [d or "" for d in dead], limit),
            ).fetchall()
        return [_row(r) for r in found]

    # -- campaigns ---------------------------------------------------------------

    def _cid(self, conn: psycopg.Connection[Any], campaign_id: str) -> int:
        found = conn.execute(
            "SELECT cid FROM ileti_campaigns WHERE id = %s", (campaign_id,)
        ).fetchone()
        if found is None:
            raise self._missing(campaign_id)
        cid: int = found[0]
        return cid

    def _missing(self, campaign_id: str) -> CampaignNotFound:
        return CampaignNotFound(
            f"no campaign {campaign_id!r} in {self.location}: 'ileti campaign list' "
            "shows the campaigns"
        )

    def create(self, campaign_id: str, provider: str, spec: Mapping[str, Any]) -> CampaignRecord:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO ileti_campaigns (id, provider, created, status, spec) "
                "VALUES (%s, %s, %s, %s, %s)",
                (campaign_id, provider, time.time(), "importing", json.dumps(dict(spec))),
            )
        return self.get(campaign_id)

    _RECORD = (
        "SELECT id, provider, created, status, spec, import_line, import_offset, imported, "
        "note FROM ileti_campaigns "
    )

    def get(self, campaign_id: str) -> CampaignRecord:
        with self._lock:
            found = self._conn.execute(f"{self._RECORD} WHERE id = %s", (campaign_id,)).fetchone()
        if found is None:
            raise self._missing(campaign_id)
        return CampaignRecord.from_row(found)

    def campaigns(self) -> list[CampaignRecord]:
        with self._lock:
            found = self._conn.execute(f"{self._RECORD} ORDER BY created, cid").fetchall()
        return [CampaignRecord.from_row(f) for f in found]

    def set_status(self, campaign_id: str, status: str, note: str | None = None) -> None:
        with self._tx() as conn:
            self._write_status(conn, self._cid(conn, campaign_id), (status, note))

    def conclude(self, campaign_id: str, decide: Decide) -> tuple[str, str | None] | None:
        """The counts and the status in one transaction that holds the
        campaign's row: a runner concluding meanwhile waits, then counts
        (each statement sees what was committed before it began)."""
        with self._tx() as conn:
            found = conn.execute(
                f"{self._RECORD} WHERE id = %s FOR UPDATE", (campaign_id,)
            ).fetchone()
            if found is None:
                raise self._missing(campaign_id)
            cid = self._cid(conn, campaign_id)
            ending = decide(CampaignRecord.from_row(found), self._counts(conn, cid))
            if ending is not None:
                self._write_status(conn, cid, ending)
        return ending

    @staticmethod
    def _write_status(
        conn: psycopg.Connection[Any], cid: int, ending: tuple[str, str | None]
    ) -> None:
        conn.execute(
            "UPDATE ileti_campaigns SET status = %s, note = %s WHERE cid = %s", (*ending, cid)
        )

    # -- rows ---------------------------------------------------------------------

    def add_rows(
        self, campaign_id: str, rows: Sequence[NewRow], *, line: int, offset: int, done: bool
    ) -> None:
        """Rows and the import position after them, in one transaction (a
        line already stored is skipped)."""
        now = time.time()
        with self._tx() as conn:
            cid = self._cid(conn, campaign_id)
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO ileti_rows (cid, line, number, text, state, grp, parts, chunk, "
                    "error, error_category, updated) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (cid, line) DO NOTHING",
                    [
                        (
                            cid,
                            r.line,
                            r.number,
                            r.text,
                            r.state.value,
                            r.group,
                            r.parts,
                            r.chunk,
                            r.error,
                            r.error_category,
                            now,
                        )
                        for r in rows
                    ],
                )
            conn.execute(
                "UPDATE ileti_campaigns SET import_line = %s, import_offset = %s, "
                "imported = %s WHERE cid = %s",
                (line, offset, done, cid),
            )

    def last_chunk(self, campaign_id: str) -> int:
        with self._lock:
            cid = self._cid(self._conn, campaign_id)
            found = self._conn.execute(
                "SELECT max(chunk) FROM ileti_rows WHERE cid = %s", (cid,)
            ).fetchone()
        return int(found[0] or 0) if found else 0

    def duplicates(self, campaign_id: str, numbers: Sequence[str]) -> dict[str, int]:
        """For each of ``numbers`` already stored (not invalid): its first line."""
        if not numbers:
            return {}
        with self._lock:
            cid = self._cid(self._conn, campaign_id)
            found = self._conn.execute(
                "SELECT number, min(line) FROM ileti_rows WHERE cid = %s AND state <> %s "
                "AND number = ANY(%s) GROUP BY number",
                (cid, RowState.INVALID.value, list(dict.fromkeys(numbers))),
            ).fetchall()
        return {number: int(line) for number, line in found}

    def claim(
        self,
        campaign_id: str,
        *,
        batch: str,
        chunk: int | None = None,
        runner: str = "",
        provider: str | None = None,
    ) -> list[Row]:
        """Claim the pending rows of the first chunk that has any unlocked
        (or of ``chunk``) for ``batch`` and ``runner`` (and ``provider``,
        recorded with it); committed on return.

        Rows another transaction is claiming now are skipped, never waited
        for: two claimers get disjoint rows.
        """
        move = TRANSITIONS[Event.CLAIM]
        (source,) = move.sources
        only = "" if chunk is None else "AND chunk = %(chunk)s"
        with self._tx() as conn:
            cid = self._cid(conn, campaign_id)
            found = conn.execute(
                "WITH first AS (SELECT chunk FROM ileti_rows WHERE cid = %(cid)s "  # noqa: S608
                f"AND state = %(source)s AND chunk IS NOT NULL {only} "
                "ORDER BY chunk, rid LIMIT 1 FOR UPDATE SKIP LOCKED), "
                "picked AS (SELECT rid FROM ileti_rows WHERE cid = %(cid)s "
                "AND state = %(source)s AND chunk = (SELECT chunk FROM first) "
                "ORDER BY rid FOR UPDATE SKIP LOCKED) "
                "UPDATE ileti_rows AS r SET state = %(target)s, batch = %(batch)s, "
                "client_ref = %(batch)s || '-' || r.rid, attempts = r.attempts + 1, "
                "runner = %(runner)s, updated = %(now)s FROM picked WHERE r.rid = picked.rid "
                f"RETURNING {_RETURNED}",
                {
                    "cid": cid,
                    "source": source.value,
                    "target": move.target.value,
                    "chunk": chunk,
                    "batch": batch,
                    "runner": runner,
                    "now": time.time(),
                },
            ).fetchall()
            if found and provider is not None:
                conn.execute(
                    "INSERT INTO ileti_routes (batch, cid, provider) VALUES (%s, %s, %s)",
                    (batch, cid, provider),
                )
        return sorted((_row(r) for r in found), key=lambda r: r.rid)

    def providers(self, campaign_id: str, batches: Sequence[str]) -> dict[str, str]:
        """The provider each of ``batches`` was claimed for (a routed
        campaign's; a batch claimed without one is left out)."""
        if not batches:
            return {}
        with self._lock:
            cid = self._cid(self._conn, campaign_id)
            found = self._conn.execute(
                "SELECT batch, provider FROM ileti_routes WHERE cid = %s AND batch = ANY(%s)",
                (cid, list(dict.fromkeys(batches))),
            ).fetchall()
        return {str(batch): str(provider) for batch, provider in found}

    def apply_chunk(
        self, campaign_id: str, chunk: int, update: RowUpdate, *, rows: int, batch: BatchRecord
    ) -> None:
        """One event for every row of a claimed batch (``update.rid`` unused),
        with the batch's record, in one transaction."""
        move = TRANSITIONS[update.event]
        with self._tx() as conn:
            cid = self._cid(conn, campaign_id)
            self._record_batch(conn, cid, batch)
            done = conn.execute(
                "UPDATE ileti_rows SET state = %s, message_id = coalesce(%s, message_id), "
                "recipient_id = coalesce(%s, recipient_id), error_category = %s, "
                "error_code = %s, error = %s, updated = %s "
                "WHERE cid = %s AND chunk = %s AND batch = %s AND state = ANY(%s)",
                (
                    move.target.value,
                    update.message_id,
                    update.recipient_id,
                    update.error_category,
                    update.error_code,
                    update.error,
                    time.time(),
                    cid,
                    chunk,
                    batch.ref,
                    [s.value for s in move.sources],
                ),
            )
            if done.rowcount != rows:
                raise IllegalTransition(
                    f"{done.rowcount} of the {rows} rows of batch {batch.ref} could take the "
                    f"event {update.event.value!r}"
                )

    @staticmethod
    def _record_batch(conn: psycopg.Connection[Any], cid: int, batch: BatchRecord) -> None:
        conn.execute(
            "INSERT INTO ileti_batches (ref, cid, message_id, credits, at) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (ref) DO UPDATE SET "
            "message_id = excluded.message_id, credits = excluded.credits, at = excluded.at",
            (batch.ref, cid, batch.message_id, batch.credits, time.time()),
        )

    def by_message(self, campaign_id: str, message_id: str) -> list[Row]:
        """The accepted rows a package id covers."""
        with self._lock:
            cid = self._cid(self._conn, campaign_id)
            found = self._conn.execute(
                f"SELECT {_COLUMNS} FROM ileti_rows WHERE cid = %s AND message_id = %s "  # noqa: S608
                "AND state = %s ORDER BY rid",
                (cid, message_id, RowState.ACCEPTED.value),
            ).fetchall()
        return [_row(r) for r in found]

    def apply(self, updates: Sequence[RowUpdate], *, batch: BatchRecord | None = None) -> None:
        """Apply events in one transaction (with the batch's record, if given);
        an event a row's state does not allow raises ``IllegalTransition``
        and changes nothing."""
        if not updates and batch is None:
            return
        groups: dict[
            tuple[Event, tuple[str | None, str | None, str | None, str | None, str | None]],
            list[int],
        ] = {}
        for u in updates:
            facts = (u.message_id, u.recipient_id, u.error_category, u.error_code, u.error)
            groups.setdefault((u.event, facts), []).append(u.rid)
        now = time.time()
        with self._tx() as conn:
            if batch is not None:
                self._record_batch(conn, self._cid(conn, batch.campaign_id), batch)
            for (event, facts), ids in groups.items():
                move = TRANSITIONS[event]
                sources = [s.value for s in move.sources]
                done = conn.execute(
                    "UPDATE ileti_rows SET state = %s, message_id = coalesce(%s, message_id), "
                    "recipient_id = coalesce(%s, recipient_id), error_category = %s, "
                    "error_code = %s, error = %s, updated = %s "
                    "WHERE rid = ANY(%s) AND state = ANY(%s)",
                    (move.target.value, *facts, now, ids, sources),
                )
                if done.rowcount != len(set(ids)):
                    wrong = conn.execute(
                        "SELECT rid, state FROM ileti_rows WHERE rid = ANY(%s) "
                        "AND NOT state = ANY(%s) ORDER BY rid LIMIT 5",
                        (ids, sources),
                    ).fetchall()
                    raise IllegalTransition(f"rows {wrong} cannot take the event {event.value!r}")

    def rows(
        self,
        campaign_id: str,
        states: Sequence[RowState] | None = None,
        *,
        after: int = 0,
        limit: int = 1000,
    ) -> list[Row]:
        """Rows in line order, ``limit`` at a time after row id ``after``."""
        with self._lock:
            cid = self._cid(self._conn, campaign_id)
            if states is None:
                found = self._conn.execute(
                    f"SELECT {_COLUMNS} FROM ileti_rows WHERE cid = %s AND rid > %s "  # noqa: S608
                    "ORDER BY rid LIMIT %s",
                    (cid, after, limit),
                ).fetchall()
            else:
                found = self._conn.execute(
                    f"SELECT {_COLUMNS} FROM ileti_rows WHERE cid = %s AND rid > %s "  # noqa: S608
                    "AND state = ANY(%s) ORDER BY rid LIMIT %s",
                    (cid, after, [s.value for s in states], limit),
                ).fetchall()
        return [_row(r) for r in found]

    def set_delivery(self, updates: Sequence[tuple[int, str, str, str | None]]) -> None:
        """``(rid, normalised state, raw state, time)`` for accepted rows."""
        if not updates:
            return
        with self._tx() as conn, conn.cursor() as cur:
            cur.executemany(
                "UPDATE ileti_rows SET delivery = %s, delivery_raw = %s, delivery_at = %s "
                "WHERE rid = %s AND state = %s",
                [(s, raw, at, rid, RowState.ACCEPTED.value) for rid, s, raw, at in updates],
            )

    def unreported(self, campaign_id: str, final: Sequence[str]) -> list[str]:
        """Message ids of accepted rows whose delivery state is not final yet."""
        with self._lock:
            cid = self._cid(self._conn, campaign_id)
            found = self._conn.execute(
                "SELECT DISTINCT message_id FROM ileti_rows WHERE cid = %s AND state = %s "
                "AND message_id IS NOT NULL AND (delivery IS NULL OR NOT delivery = ANY(%s))",
                (cid, RowState.ACCEPTED.value, list(final)),
            ).fetchall()
        return [m for (m,) in found]

    def counts(self, campaign_id: str) -> dict[RowState, tuple[int, int]]:
        """Rows and parts per state."""
        with self._lock:
            return self._counts(self._conn, self._cid(self._conn, campaign_id))

    @staticmethod
    def _counts(conn: psycopg.Connection[Any], cid: int) -> dict[RowState, tuple[int, int]]:
        found = conn.execute(
            "SELECT state, count(*), coalesce(sum(parts), 0) FROM ileti_rows "
            "WHERE cid = %s GROUP BY state",
            (cid,),
        ).fetchall()
        return {_STATES[s]: (int(n), int(parts)) for s, n, parts in found}

    def _deliveries(self, campaign_id: str) -> dict[str, int]:
        with self._lock:
            cid = self._cid(self._conn, campaign_id)
            found = self._conn.execute(
                "SELECT delivery, count(*) FROM ileti_rows WHERE cid = %s "
                "AND delivery IS NOT NULL GROUP BY delivery",
                (cid,),
            ).fetchall()
        return {d: int(n) for d, n in found}

    def credits(self, campaign_id: str) -> str | None:
        """The credits the provider said it charged, summed over batches."""
        with self._lock:
            cid = self._cid(self._conn, campaign_id)
            found = self._conn.execute(
                "SELECT credits FROM ileti_batches WHERE cid = %s AND credits IS NOT NULL",
                (cid,),
            ).fetchall()
        return self._sum_credits([c for (c,) in found])


@contextmanager
def temporary_schema(url: str, prefix: str = "t") -> Iterator[str]:
    """A store URL in a new schema of its own, dropped (with every table in
    it) when the block ends: for tests that need an empty store."""
    schema = f"{prefix}_{secrets.token_hex(6)}"
    try:
        yield f"{url}{'&' if '?' in url else '?'}schema={schema}"
    finally:
        with psycopg.connect(_split_url(url)[0], autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
