"""The campaign engine: import rows, claim, send, settle, poll reports.

Every bulk send goes through here: ``ileti campaign``, ``ileti send-multi``
and :meth:`ileti.Client.campaign`. The engine decides which event each
outcome is (:mod:`ileti.campaign.states` says what the events do); the
store applies them.

How a run goes:

1. Lock the campaign (one runner at a time), then turn every row left
   ``claimed`` by a runner that died into ``unknown``.
2. Settle ``unknown`` rows by asking the gateway (``query_report``): by the
   package id when one is known, else by the batch's client reference when
   the provider declares ``report_by_client_ref``. Only a gateway's "no such
   message" returns a row to ``pending``; a row that cannot be settled stays
   ``unknown`` and is listed for the user.
3. Import the rest of the input (streamed; rows are grouped into chunks of one
   request each) while workers claim chunks and send them.
4. Poll delivery reports for accepted rows, with backoff, until every state
   is final or the deadline passes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import logging
import operator
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from ileti.campaign.source import (
    CsvBlock,
    InputError,
    SourceRow,
    Template,
    check_columns,
    csv_blocks,
    detect_format,
    iter_mappings,
    open_text,
    read_header,
    read_rows,
    scan,
)
from ileti.campaign.states import TRANSITIONS, Event, FailureOutcome, RowState, after_failure
from ileti.campaign.store import (
    BatchRecord,
    CampaignBusy,
    CampaignRecord,
    CampaignStore,
    NewRow,
    Row,
    RowUpdate,
    open_store,
)
from ileti.campaign.throttle import Throttle, Throttling
from ileti.client import new_client_ref
from ileti.errors import (
    ConfigurationError,
    IletiError,
    UnknownMessage,
    ValidationError,
)

if TYPE_CHECKING:
    from ileti.client import Client
    from ileti.models import SendResult
    from ileti.routing import Router

__all__ = ["Campaign", "CampaignBusy", "CampaignStatus", "Progress", "read_status"]

_log = logging.getLogger("ileti.campaign")

#: rows per request when neither the caller nor the provider says less
DEFAULT_BATCH_SIZE = 500
#: the number a campaign's options are checked with when it is created
OPTIONS_PROBE = "+905321112233"
#: distinct groups (encodings, or texts for one-text requests) buffered while importing
MAX_OPEN_GROUPS = 64
#: a campaign with rows in these states is not over
_BUSY = (RowState.PENDING, RowState.CLAIMED)
#: what is left to send or settle while any row is in one of these states
_UNFINISHED = (*_BUSY, RowState.UNKNOWN)
_FINAL_DELIVERY = ("delivered", "undelivered", "expired", "rejected", "failed", "cancelled")


@attrs.frozen
class CampaignStatus:
    """Counts per state, parts, credits and delivery states of a campaign."""

    id: str
    provider: str
    status: str
    note: str | None
    counts: Mapping[RowState, int]
    parts: int
    credits: str | None
    delivery: Mapping[str, int]
    imported: bool
    #: the providers a routed campaign fails over between, in order (else empty)
    route: tuple[str, ...] = ()

    @property
    def through(self) -> str:
        """The provider, or a routed campaign's providers (``efecell,modexi``)."""
        return ",".join(self.route) if self.route else self.provider

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def count(self, state: RowState | str) -> int:
        return self.counts.get(RowState(state), 0)

    @property
    def finished(self) -> bool:
        """Nothing left to send or settle."""
        return _finished(self.imported, self.count)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "provider": self.provider,
            "status": self.status,
            "note": self.note,
            "rows": self.rows,
            "counts": {s.value: self.count(s) for s in RowState},
            "parts": self.parts,
            "credits": self.credits,
            "delivery": dict(self.delivery),
            "imported": self.imported,
            "route": list(self.route) or None,
        }


def read_status(store: CampaignStore, campaign_id: str) -> CampaignStatus:
    """A campaign's status from its store alone (no provider settings needed)."""
    record = store.get(campaign_id)
    counts = store.counts(campaign_id)
    return CampaignStatus(
        id=record.id,
        provider=record.provider,
        status=record.status,
        note=record.note,
        counts={s: n for s, (n, _) in counts.items()},
        parts=counts.get(RowState.ACCEPTED, (0, 0))[1],
        credits=store.credits(campaign_id),
        delivery=store.delivery_counts(campaign_id),
        imported=record.imported,
        route=tuple(record.spec.get("route") or ()),
    )


@attrs.define
class Progress:
    """Live counts during a run, handed to ``on_progress`` after each request."""

    counts: dict[RowState, int]
    rows_read: int = 0
    requests: int = 0
    total: int | None = None

    @property
    def done(self) -> int:
        return sum(
            n for s, n in self.counts.items() if s not in (RowState.PENDING, RowState.CLAIMED)
        )


def _new_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-") + secrets.token_hex(3)


def _spec_time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class Campaign:
    """A durable bulk send: each recipient sent at most once, exactly once
    where the gateway can be asked; resumable after any crash.

    Create one with :meth:`create` (or :meth:`ileti.Client.campaign`), open
    an existing one with :meth:`open`, then :meth:`run` it.
    """

    def __init__(
        self, client: Client | Router, store: CampaignStore, record: CampaignRecord
    ) -> None:
        from ileti.routing import Router, Strategy

        route: list[str] | None = record.spec.get("route")
        if route:
            shown = ",".join(route)
            if not isinstance(client, Router) or sorted(client.providers) != sorted(route):
                raise ConfigurationError(
                    f"campaign {record.id} fails over between {', '.join(route)}: open it with "
                    f"a router over those providers (Router.from_env({shown!r}))",
                    setting="provider",
                )
            if client.strategy is Strategy.CHEAPEST:
                raise ConfigurationError(
                    "a campaign cannot use the cheapest strategy (its rows are measured with "
                    "the first provider's text profile): use ordered or weighted",
                    setting="strategy",
                )
            self.router: Router | None = client
            client = client.client(record.provider)
        elif isinstance(client, Router):
            raise ConfigurationError(
                f"campaign {record.id} sends through {record.provider} alone: open it with a "
                f"{record.provider} client",
                setting="provider",
            )
        else:
            self.router = None
        if record.provider != client.provider:
            raise ConfigurationError(
                f"campaign {record.id} sends through {record.provider}, not "
                f"{client.provider}: open it with a {record.provider} client",
                setting="provider",
            )
        self._attach(client, store, record)

    @classmethod
    def in_store(
        cls, campaign_id: str, *, store: CampaignStore | str | Path | None = None
    ) -> Campaign:
        """An existing campaign, for what needs its store alone: its status
        and rows, :meth:`cancel`, :meth:`resolve`. No provider settings are
        read; it cannot run, settle or poll (open it with :meth:`open` for
        that)."""
        store = _store(store)
        record = store.get(campaign_id)
        campaign = cls.__new__(cls)
        campaign.router = None
        campaign._attach(_NoProvider(record), store, record)  # type: ignore[arg-type]
        return campaign

    def _attach(self, client: Client, store: CampaignStore, record: CampaignRecord) -> None:
        self.client = client
        self.store = store
        self.id = record.id
        self._record = record
        self._stop = threading.Event()
        self._wake = threading.Condition()
        #: the importer's commits so far (under _wake): a worker that found
        #: nothing to claim waits only if none came since it looked
        self._commits = 0
        self._importing = False
        self._pause: IletiError | None = None
        self._progress: Progress | None = None
        self._progress_lock = threading.Lock()
        self._throttle: Throttling | None = None

    def __repr__(self) -> str:
        return f"Campaign({self.id!r}, provider={self.client.provider!r})"

    # -- creating and opening --------------------------------------------------------

    @classmethod
    def create(
        cls,
        client: Client | Router,
        source: str | Path | Iterable[Mapping[str, object]],
        *,
        store: CampaignStore | str | Path | None = None,
        template: str | None = None,
        to_column: str = "to",
        text_column: str = "text",
        format: str | None = None,
        delimiter: str = ",",
        sender: str | None = None,
        schedule: datetime | None = None,
        validity: timedelta | None = None,
        encoding: str | None = None,
        flash: bool = False,
        fold_turkish: bool = False,
        keep_duplicates: bool = False,
        batch_size: int | None = None,
        campaign_id: str | None = None,
    ) -> Campaign:
        """Check the options and the input's structure, and store the campaign.

        ``source`` is the path of a CSV (with a header row) or JSON Lines file,
        or an iterable of mappings (column → value). Each row's text is its
        ``text_column``, or ``template`` filled from its columns. Nothing is
        sent until :meth:`run`. The whole file is checked for structure first:
        an unterminated quote, a duplicate or missing column raises
        :class:`~ileti.campaign.source.InputError` with the line, and nothing
        is stored.

        ``client`` may be a :class:`~ileti.routing.Router`: each request then
        goes to the first of its providers whose circuit is closed, and to the
        next only when the failure proves that nothing was sent. The rows are
        checked with the first provider's text profile, a request carries at
        most what every provider takes, and the options must suit at least one
        provider.
        """
        from ileti.models import Message
        from ileti.routing import Router

        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise ValidationError("delimiter must be one character")
        parsed = Template.parse(template) if template is not None else None
        router: Router | None = None
        if isinstance(client, Router):
            router = client
            clients = [router.client(p) for p in router.providers]
        else:
            clients = [client]
        primary = clients[0]
        size = min(_batch_size(c, batch_size) for c in clients)
        mode = _mode(primary, parsed)
        # the options a provider refuses are refused now, with nothing stored
        # (a routed campaign's: when every provider refuses them)
        refused: list[IletiError] = []
        need = "send_multi" if mode == "multi" else "send"
        for each in clients:
            try:
                if need not in each.capabilities:
                    raise ConfigurationError(
                        f"{each.provider} cannot send this campaign: it has no {need}",
                        setting="provider",
                    )
                each.prepare(
                    Message(
                        recipients=(OPTIONS_PROBE,),
                        text="probe",
                        sender=sender or (router.sender(each.provider) if router else None),
                        schedule=schedule,
                        validity=validity,
                        encoding=encoding,
                        flash=flash,
                        fold_turkish=fold_turkish,
                    )
                )
            except IletiError as exc:
                refused.append(exc)
        if len(refused) == len(clients):
            raise refused[0]
        for refusal in refused:  # a routed campaign: requests will fail over past these
            _log.warning(
                "%s refuses this campaign's options: %s", refusal.provider, refusal.message
            )
        needed = [to_column, *(parsed.fields if parsed is not None else [text_column])]
        spec: dict[str, Any] = {
            "to_column": to_column,
            "text_column": text_column,
            "template": template,
            "sender": sender,
            "schedule": _spec_time(schedule),
            "validity": validity.total_seconds() if validity is not None else None,
            "encoding": encoding,
            "flash": flash,
            "fold_turkish": fold_turkish,
            "keep_duplicates": keep_duplicates,
            "batch_size": size,
            "mode": mode,
            "route": router.providers if router else None,
        }
        if isinstance(source, str | Path):
            path = Path(source).resolve()
            fmt = detect_format(path, format)
            try:
                rows = scan(path, fmt, delimiter=delimiter, needed=needed)
                stat = path.stat()
            except OSError as exc:
                raise InputError(f"cannot read {str(source)!r}: {exc.strerror}") from None
            header: list[str] | None = None
            if fmt == "csv":
                with open_text(path) as stream:
                    header = read_header(stream, delimiter)
            spec.update(
                source=str(path),
                format=fmt,
                delimiter=delimiter,
                header=header,
                size=stat.st_size,
                mtime=stat.st_mtime_ns,
                rows=rows,
            )
            iterable = None
        else:
            spec.update(source=None, format="python", rows=None)
            iterable = source
        store = _store(store)
        record = store.create(campaign_id or _new_id(), primary.provider, spec)
        campaign = cls(client, store, record)
        campaign._iterable = iterable
        return campaign

    _iterable: Iterable[Mapping[str, object]] | None = None
    #: the Python rows being read: one iterator for the campaign's life, so a
    #: generator continues where a stopped run left it
    _python_rows: Iterator[SourceRow] | None = None

    @classmethod
    def open(
        cls,
        campaign_id: str,
        *,
        client: Client | Router | None = None,
        store: CampaignStore | str | Path | None = None,
    ) -> Campaign:
        """An existing campaign; ``client`` defaults to ``Client.from_env``
        for the campaign's provider (``Router.from_env`` over its providers
        for a campaign created through a router)."""
        store = _store(store)
        record = store.get(campaign_id)
        if client is None:
            route = record.spec.get("route")
            if route:
                from ileti.routing import Router

                client = Router.from_env(route)
            else:
                from ileti.client import Client

                client = Client.from_env(record.provider)
        return cls(client, store, record)

    # -- reading the state -------------------------------------------------------------

    @property
    def record(self) -> CampaignRecord:
        self._record = self.store.get(self.id)
        return self._record

    def status(self) -> CampaignStatus:
        self._record = self.store.get(self.id)
        return read_status(self.store, self.id)

    def rows(self, *states: RowState) -> Iterator[Row]:
        """Every row (or those in ``states``), in line order."""
        return self.store.iter_rows(self.id, states or None)

    @property
    def paused_by(self) -> IletiError | None:
        """The error that paused the last :meth:`run` (``None`` if it did not pause)."""
        return self._pause

    @property
    def interrupted(self) -> bool:
        """True when the last run was stopped (Ctrl-C, :meth:`stop`) before the end."""
        return self._stop.is_set() and self._pause is None

    @property
    def requests(self) -> int:
        """Send requests made by the last run."""
        return self._progress.requests if self._progress is not None else 0

    def import_rows(self) -> CampaignStatus:
        """Read and check the whole input into the store, sending nothing
        (what ``--dry-run`` shows)."""
        with self.store.runner(self.id, exclusive=True):
            if not self.record.imported:
                self._import()
        return self.status()

    # -- controlling ---------------------------------------------------------------------

    def stop(self) -> None:
        """Stop taking new rows (thread-safe; Ctrl-C calls it). Requests in
        flight end within the client's timeout and are recorded."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()

    def cancel(self) -> CampaignStatus:
        """Never send the rows still ``pending`` or ``unknown``: they become
        ``cancelled``. Rows already accepted are not recalled."""
        with self.store.runner(self.id, exclusive=True):
            self._settle_dead_claims()
            for state in (RowState.PENDING, RowState.UNKNOWN):
                while rows := self.store.rows(self.id, [state], limit=5000):
                    self.store.apply([RowUpdate(r.rid, Event.CANCEL) for r in rows])
            self.store.set_status(self.id, "cancelled", "cancelled by the user")
        return self.status()

    def resolve(self, lines: Iterable[int], *, sent: bool) -> int:
        """After checking with the provider yourself: mark ``unknown`` rows
        (by input line) as sent (``accepted``) or not sent (``pending``, so the
        next run sends them). Returns how many rows changed."""
        wanted = set(lines)
        event = Event.USER_SENT if sent else Event.USER_NOT_SENT
        with self.store.runner(self.id, exclusive=True):
            rows = [r for r in self.rows(RowState.UNKNOWN) if r.line in wanted]
            missing = wanted - {r.line for r in rows}
            if missing:
                raise ValidationError(
                    f"no unknown row at line {', '.join(str(n) for n in sorted(missing))}: "
                    "only rows whose state is unknown can be resolved"
                )
            self.store.apply([RowUpdate(r.rid, event) for r in rows])
        return len(rows)

    # -- running -------------------------------------------------------------------------

    def run(
        self,
        *,
        workers: int = 4,
        rate: float | None = None,
        request_rate: float | None = None,
        report_deadline: float = 0.0,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> CampaignStatus:
        """Send every pending row, settling first whatever a dead run left.

        ``workers`` threads share the client (and its connection pool);
        ``rate`` caps messages per second and ``request_rate`` requests per
        second for the whole campaign. With ``report_deadline`` (seconds) the
        run then polls delivery reports until every state is final or the
        deadline passes. Returns the status at the end; a campaign stopped by
        an error the user must fix (credit, credentials, sender) is ``paused``
        with the reason in ``note``, and :meth:`run` continues it.
        """
        if workers < 1:
            raise ValidationError("workers must be at least 1")
        pool = getattr(self.client.transport, "pool_size", None)
        if isinstance(pool, int) and workers > pool:
            _log.warning(
                "campaign %s: %d workers share a pool of %d connections; make the client "
                "with pool_size=%d so that none waits for a connection",
                self.id,
                workers,
                pool,
                workers,
            )
        record = self.record
        if record.status == "cancelled":
            raise ValidationError(f"campaign {self.id} was cancelled: it sends nothing more")
        self._stop.clear()
        self._pause = None
        self._throttle = Throttle(rate, request_rate)
        # a runner that imports holds the campaign alone; others may join a
        # shared store's campaign once its rows are all in
        with self.store.runner(self.id, exclusive=not record.imported) as runner:
            self._runner = runner
            self.store.set_status(self.id, "running")
            counts = self.store.counts(self.id)
            self._progress = Progress(
                counts={s: n for s, (n, _) in counts.items()}, total=record.spec.get("rows")
            )
            self._on_progress = on_progress
            if not self._ready():
                return self.status()
            self._importing = not record.imported
            self._commits = 0
            self._claimed = False
            self._handed = False
            self._pending_at_start = counts.get(RowState.PENDING, (0, 0))[0]
            threads = [
                threading.Thread(target=self._worker, name=f"ileti-campaign-{i}", daemon=True)
                for i in range(workers)
            ]
            for t in threads:
                t.start()
            try:
                if self._importing:
                    self._import()
            finally:
                self._importing = False
                with self._wake:
                    self._wake.notify_all()
                for t in threads:
                    while t.is_alive():
                        t.join(0.2)
            if report_deadline > 0 and not self._stop.is_set() and self._pause is None:
                self.poll_reports(deadline=report_deadline)
            self._finish()
        return self.status()

    def _ready(self, chunk: int | None = None) -> bool:
        """Before sending: settle what dead runners left (this chunk's
        ``unknown`` rows only, when given) and check the options; False when
        the options pause the campaign (its status then says why)."""
        self._settle_dead_claims()
        self.settle(chunk=chunk)
        try:
            self._check_options()
        except IletiError as exc:
            self._pause = exc
            self._finish()
            return False
        return True

    def _finish(self) -> None:
        if self._pause is not None:
            self.store.set_status(self.id, "paused", str(self._pause))
            return
        # the counts and the status in one store transaction: runners of a
        # shared store that end together conclude one after the other
        self.store.conclude(
            self.id,
            functools.partial(_ending, stopped=self._stop.is_set(), shared=self.store.shared),
        )

    def _count(self, moves: Mapping[RowState, int]) -> None:
        progress = self._progress
        if progress is None:
            return
        with self._progress_lock:
            for state, n in moves.items():
                progress.counts[state] = progress.counts.get(state, 0) + n
            if self._on_progress is not None:
                self._on_progress(progress)

    _on_progress: Callable[[Progress], None] | None = None

    # -- importing -----------------------------------------------------------------------

    def _open_input(self, record: CampaignRecord) -> tuple[Iterator[_Block], IO[str] | None]:
        """The rows still to import, a block of them at a time (each CSV
        block as read, for the importer's check of a whole block), and the
        stream to close after."""
        spec = record.spec
        if spec["format"] == "python":
            if self._iterable is None:
                raise ValidationError(
                    f"campaign {self.id} was given its rows from Python and its import did not "
                    f"finish (rows after line {record.import_line} were not read): cancel it and "
                    "create a new campaign for the rest"
                )
            if self._python_rows is None:
                self._python_rows = iter_mappings(self._iterable)
            rows = self._python_rows
            if record.import_line:
                rows = (r for r in rows if r.line > record.import_line)
            return _blocks(rows), None
        path = Path(spec["source"])
        try:
            stat = path.stat()
            changed = stat.st_size != spec["size"] or stat.st_mtime_ns != spec["mtime"]
        except OSError:
            changed = True
        if changed:
            # the file was checked when the campaign was created: a changed
            # file could hold anything, and rows already stored would no
            # longer match their lines
            raise InputError(
                f"the input file {path} is missing or changed since campaign {self.id} was "
                "created: restore it to finish the import"
            )
        stream = open_text(path)
        if spec["format"] == "csv" and not record.import_line:
            check_columns(spec["header"], self._needed(spec))
        if spec["format"] == "csv":
            # a new import reads a first block no larger than its first chunk
            first = FIRST_CHUNK if not record.import_line else None
            blocks: Iterator[_Block] = csv_blocks(
                stream, spec["delimiter"], record.import_line, _STOP_EVERY, first=first
            )
        else:
            blocks = _blocks(read_rows(stream, spec["format"], after=record.import_line))
        return blocks, stream

    @staticmethod
    def _needed(spec: Mapping[str, Any]) -> list[str]:
        if spec["template"] is not None:
            return [spec["to_column"], *Template.parse(spec["template"]).fields]
        return [spec["to_column"], spec["text_column"]]

    def _import(self) -> None:
        record = self.record
        blocks, stream = self._open_input(record)
        try:
            _Importer(self, record).run(blocks)
        finally:
            if stream is not None:
                stream.close()

    def _committed(self, moves: Mapping[RowState, int], rows_read: int, chunks: int) -> None:
        if self._progress is not None:
            self._progress.rows_read = rows_read
        self._count(moves)
        with self._wake:
            self._commits += 1
            self._wake.notify(chunks)  # a worker for each new chunk, not every one
            if chunks and self._importing and not self._claimed and not self._handed:
                self._handed = True
                # the first rows of a run: let a worker claim them and start the
                # first request before the import takes the store and the
                # interpreter again (bounded: a throttled worker may wait longer)
                self._wake.wait_for(
                    lambda: self._claimed or self._stop.is_set(), self._FIRST_CLAIM_WAIT
                )

    # -- sending ---------------------------------------------------------------------

    def _worker(self) -> None:
        waited = False
        try:
            while not self._stop.is_set() and self._pause is None:
                assert self._throttle is not None
                # wait for the throttle before claiming, so that a crash while
                # waiting leaves nothing claimed (a claimed row may become unknown)
                if not waited:
                    self._throttle.take(self._record.spec["batch_size"])
                    waited = True
                if self._stop.is_set() or self._pause is not None:
                    return
                batch = new_client_ref()
                try:
                    provider = self._pick()
                except IletiError as exc:  # every provider's circuit is open
                    self._pause = exc
                    self.stop()
                    return
                with self._wake:
                    seen = self._commits
                    if self._importing and not seen and not self._pending_at_start:
                        # nothing to claim before the importer's first commit:
                        # claiming now would only slow the import down
                        self._wake.wait(0.05)
                        continue
                rows = self._claim(batch, None, provider)
                if not rows:
                    if not self._importing:
                        return
                    with self._wake:
                        # no wait if the importer committed since the claim looked
                        # (its notify came before this wait) or all was stopped
                        if self._commits == seen and self._importing and not self._stop.is_set():
                            self._wake.wait(0.05)
                    continue
                waited = False
                if not self._claimed:
                    with self._wake:
                        self._claimed = True
                        self._wake.notify_all()
                self._count({RowState.PENDING: -len(rows), RowState.CLAIMED: len(rows)})
                self._send(batch, rows, provider)
        except Exception as exc:  # a store failure or a bug: stop everyone, keep the reason
            _log.exception("campaign %s: a worker failed", self.id)
            self._pause = exc if isinstance(exc, IletiError) else IletiError(repr(exc))
            self.stop()

    #: the id of the runner this process holds the campaign as (claims carry it)
    _runner = ""
    #: the rows pending when run() began (a resumed import's), sendable at once
    _pending_at_start = 0
    #: whether a worker of this run has claimed rows yet
    _claimed = False
    #: whether the importer has waited once for the first claim of this run
    _handed = False
    #: how long the importer waits, after its first commit of chunks, for a worker to claim (s)
    _FIRST_CLAIM_WAIT = 0.05

    def send_chunk(self, chunk: int, *, throttle: Throttling | None = None) -> int:
        """Send one chunk of an imported campaign; the rows it sent.

        For task queues (``ileti-celery`` runs one task per chunk): safe to
        run twice and alongside other runners of a shared store. It first
        turns rows that dead runners left ``claimed`` into ``unknown`` and
        settles this chunk's ``unknown`` rows by report, then claims and sends
        whatever of the chunk is still ``pending``. A rerun of a finished
        chunk sends nothing. ``throttle`` is shared by every runner when given
        (a :class:`~ileti.campaign.throttle.Throttling`).
        """
        record = self.record
        if record.status in ("cancelled", "paused"):
            return 0
        if not record.imported:
            raise ValidationError(
                f"campaign {self.id} is not imported yet: call import_rows() before sending "
                "its chunks"
            )
        self._stop.clear()
        self._pause = None
        self._throttle = throttle if throttle is not None else Throttle()
        sent = 0
        with self.store.runner(self.id) as runner:
            self._runner = runner
            if not self._ready(chunk):
                return 0
            size = int(record.spec["batch_size"])
            while not self._stop.is_set() and self._pause is None:
                self._throttle.take(size)
                batch = new_client_ref()
                try:
                    provider = self._pick()
                except IletiError as exc:  # every provider's circuit is open
                    self._pause = exc
                    break
                rows = self._claim(batch, chunk, provider)
                if not rows:
                    break
                self._send(batch, rows, provider)
                sent += len(rows)
            # the runner that finds nothing left says how the campaign ended
            # (two cheap lookups, not a count of every row after each chunk)
            left = [self.store.rows(self.id, [s], limit=1) for s in _BUSY]
            if self._pause is not None or not any(left):
                self._finish()
        return sent

    def _claim(self, batch: str, chunk: int | None, provider: str | None) -> list[Row]:
        """Claim for ``batch`` (recording ``provider`` when routed; a store
        written before routing is then asked as it was)."""
        if provider is None:
            return self.store.claim(self.id, batch=batch, chunk=chunk, runner=self._runner)
        return self.store.claim(
            self.id, batch=batch, chunk=chunk, runner=self._runner, provider=provider
        )

    def _pick(self, tried: Sequence[str] = ()) -> str | None:
        """The provider the next request goes to (``None`` when not routed):
        raises ``NoProviderLeft`` when every circuit is open."""
        return None if self.router is None else self.router.pick(tried)

    def _send(self, batch: str, rows: list[Row], provider: str | None = None) -> None:
        spec = self.record_spec
        tried: list[str] = []
        while True:
            try:
                result = self._request(batch, rows, spec, provider)
            except IletiError as exc:
                following = self._failover(provider, exc, tried)
                if following is None:
                    self._failed(batch, rows, exc)
                    return
                # nothing was sent: the rows go back to pending (with the
                # reason), then are claimed again for the next provider
                self._apply_failure(rows, Event.RELEASED, exc)
                batch = new_client_ref()
                chunk = rows[0].chunk
                rows = self._claim(batch, chunk, following)
                self._count({RowState.PENDING: -len(rows), RowState.CLAIMED: len(rows)})
                if not rows:  # another runner took them meanwhile
                    return
                provider = following
                continue
            if self.router is not None and provider is not None:
                self.router.outcome(provider)
            assert self._throttle is not None
            self._throttle.relax()
            self._accepted(batch, rows, result)
            return

    def _failover(self, provider: str | None, exc: IletiError, tried: list[str]) -> str | None:
        """The provider to try next after ``exc`` at ``provider``: only when
        the failure proves that nothing was sent (the router's one rule) and
        another provider's circuit lets a call through; else ``None``."""
        if self.router is None or provider is None:
            return None
        if not self.router.outcome(provider, exc):
            return None
        tried.append(provider)
        try:
            return self.router.pick(tried)
        except IletiError:
            return None

    @property
    def record_spec(self) -> Mapping[str, Any]:
        return self._record.spec

    def _request(
        self, batch: str, rows: list[Row], spec: Mapping[str, Any], provider: str | None = None
    ) -> SendResult:
        """One request for a claimed chunk, built from rows checked on import."""
        from ileti.plugin import Outgoing, OutgoingBatch, OutgoingItem
        from ileti.text import ensure_fits, measured, segment, segmenter

        if provider is not None and provider != self.client.provider:
            return self._request_elsewhere(batch, rows, spec, provider)
        sender, schedule, validity = self._options
        client = self.client
        profile = client.info.text
        encoding = rows[0].group.split(":", 1)[0] if rows[0].group else spec["encoding"]
        fold = spec["fold_turkish"]
        if spec["mode"] == "multi":
            # each row was checked and measured on import with these options
            # (its encoding is the chunk's group, its parts stored): its
            # segmentation is made from that, not measured again
            split = measured(encoding, profile, fold=fold) if encoding else None
            if split is not None and min(map(_row_parts, rows)) > 0:  # the usual case
                segs = [split(r.text or "", r.parts) for r in rows]
            else:
                segs = []
                measure = None  # for rows stored without their parts, made once if any
                name = client.provider
                for r in rows:
                    if split is not None and r.parts > 0:
                        seg = split(r.text or "", r.parts)
                    else:  # a row stored without its parts: measured now
                        if measure is None:
                            measure = segmenter(encoding or "auto", profile, fold=fold)
                        seg = measure(r.text or "")
                        ensure_fits(seg, profile, provider=name)
                    segs.append(seg)
            prepared: Outgoing | OutgoingBatch = OutgoingBatch(
                items=OutgoingItem.many(
                    map(_row_number, rows), segs, [r.client_ref or batch for r in rows]
                ),
                sender=sender,
                schedule=schedule,
                validity=validity,
                flash=spec["flash"],
                client_ref=batch,
            )
        else:
            seg = segment(rows[0].text or "", encoding, profile, fold=fold)
            ensure_fits(seg, profile, provider=client.provider)
            prepared = Outgoing(
                recipients=tuple(r.number for r in rows),
                text=seg.text,
                segmentation=seg,
                sender=sender,
                schedule=schedule,
                validity=validity,
                flash=spec["flash"],
                client_ref=batch,
            )
        if isinstance(prepared, OutgoingBatch):
            return client.send_prepared_batch(prepared)
        return client.send_prepared(prepared)

    def _request_elsewhere(
        self, batch: str, rows: list[Row], spec: Mapping[str, Any], provider: str
    ) -> SendResult:
        """A routed campaign's request through a provider other than the one
        its rows were checked with: checked and measured again with that
        provider's own rules (through the client's public preparation)."""
        from ileti.models import Batch, BatchItem, Message

        assert self.router is not None
        client = self.router.client(provider)
        schedule, validity = _spec_options(spec)
        options: dict[str, Any] = {
            "sender": spec["sender"] or self.router.sender(provider),
            "schedule": schedule,
            "validity": validity,
            "encoding": spec["encoding"],
            "flash": spec["flash"],
            "fold_turkish": spec["fold_turkish"],
            "client_ref": batch,
        }
        if spec["mode"] == "multi":
            items = [BatchItem(r.number, r.text or "", r.client_ref) for r in rows]
            return client.send_prepared_batch(client.prepare_batch(Batch(items, **options)))
        numbers = tuple(r.number for r in rows)
        text = rows[0].text or ""
        keep = spec["keep_duplicates"]
        outgoing = client.prepare(
            Message(recipients=numbers, text=text, keep_duplicates=keep, **options)
        )
        return client.send_prepared(outgoing)

    def _check_options(self) -> None:
        """Sender, schedule and validity, checked once per run: a schedule that
        has passed since the campaign was created pauses it, naming the fix."""
        spec = self._record.spec
        schedule, validity = _spec_options(spec)
        given = spec["sender"]
        if given is None and self.router is not None:
            given = self.router.sender(self.client.provider)
        sender, schedule = self.client._checked_options(
            sender=given, schedule=schedule, validity=validity, flash=spec["flash"]
        )
        self._options = (sender, schedule, validity)

    #: the checked sender, schedule (UTC) and validity of the current run
    _options: tuple[str | None, datetime | None, timedelta | None] = (None, None, None)

    def _accepted(self, batch: str, rows: list[Row], result: SendResult) -> None:
        outcomes = result.recipients
        credits = str(result.credits) if result.credits is not None else None
        record = BatchRecord(self.id, batch, result.message_id, credits)
        chunk = rows[0].chunk
        # (each test over the whole chunk at C speed: map with attribute and
        # item getters instead of a Python generator per row)
        if (
            chunk is not None
            and len(outcomes) == len(rows)
            and all(map(_outcome_accepted, outcomes))
            and set(map(_outcome_message_id, outcomes)) == {None}
            and list(map(_outcome_number, outcomes)) == list(map(_row_number, rows))
            and set(map(_row_chunk, rows)) == {chunk}
        ):
            # the common case (every recipient accepted under one package id):
            # one update of the chunk
            update = RowUpdate(rows[0].rid, Event.ACCEPTED, result.message_id)
            self.store.apply_chunk(self.id, chunk, update, rows=len(rows), batch=record)
            self._recorded({RowState.CLAIMED: -len(rows), RowState.ACCEPTED: len(rows)})
            return
        updates = []
        moves = {RowState.CLAIMED: -len(rows)}
        for index, row in enumerate(rows):
            outcome = outcomes[index] if index < len(outcomes) else None
            if outcome is not None and outcome.number != row.number:
                outcome = next((o for o in outcomes if o.number == row.number), None)
            if outcome is None:
                event = Event.MAY_HAVE_LEFT
                reason = "the provider's answer does not mention this recipient"
                updates.append(RowUpdate(row.rid, event, result.message_id, error=reason))
            elif outcome.accepted:
                updates.append(
                    RowUpdate(row.rid, Event.ACCEPTED, result.message_id, outcome.message_id)
                )
            else:
                updates.append(
                    RowUpdate(
                        row.rid,
                        Event.REFUSED,
                        result.message_id,
                        outcome.message_id,
                        error_category="refused",
                        error_code=outcome.raw_code,
                        error=outcome.reason or outcome.raw_code or "refused by the provider",
                    )
                )
        for u in updates:
            target = TRANSITIONS[u.event].target
            moves[target] = moves.get(target, 0) + 1
        self.store.apply(updates, batch=record)
        self._recorded(moves)

    def _recorded(self, moves: Mapping[RowState, int]) -> None:
        if self._progress is not None:
            self._progress.requests += 1
        self._count(moves)

    def _failed(self, batch: str, rows: list[Row], exc: IletiError) -> None:
        outcome = after_failure(exc)
        event = {
            FailureOutcome.UNKNOWN: Event.MAY_HAVE_LEFT,
            FailureOutcome.REJECTED: Event.REFUSED,
            FailureOutcome.SLOW_DOWN: Event.RELEASED,
            FailureOutcome.PAUSE: Event.RELEASED,
        }[outcome]
        self._apply_failure(rows, event, exc)
        if outcome is FailureOutcome.SLOW_DOWN:
            assert self._throttle is not None
            self._throttle.slow_down(getattr(exc, "retry_after", None))
        elif outcome is FailureOutcome.PAUSE:
            self._pause = exc
            self.stop()

    def _apply_failure(self, rows: list[Row], event: Event, exc: IletiError) -> None:
        """Move claimed rows by ``event``, keeping the error (and its provider)."""
        category = type(exc).__name__
        error = exc.message
        if self.router is not None and exc.provider:
            error = f"{exc.provider}: {error}"
        self.store.apply(
            [
                RowUpdate(r.rid, event, error_category=category, error_code=exc.code, error=error)
                for r in rows
            ]
        )
        self._count({RowState.CLAIMED: -len(rows), TRANSITIONS[event].target: len(rows)})

    # -- settling ----------------------------------------------------------------------

    def _settle_dead_claims(self) -> None:
        """Rows a dead runner left ``claimed``: their request may have left."""
        while rows := self.store.dead_claims(self.id):
            if not self._settled(
                [
                    RowUpdate(
                        r.rid,
                        Event.MAY_HAVE_LEFT,
                        error_category="interrupted",
                        error="the run stopped while this row was being sent",
                    )
                    for r in rows
                ]
            ):
                continue  # another runner moved some of them first: look again
            self._count({RowState.CLAIMED: -len(rows), RowState.UNKNOWN: len(rows)})

    def settle(self, *, chunk: int | None = None) -> int:
        """Ask the gateway about every ``unknown`` row (of ``chunk`` only, if
        given); the number settled.

        A row goes back to ``pending`` only when the gateway says it has no
        such message, and to ``accepted`` when its report shows it. Anything
        else leaves it ``unknown``. A row another runner settled meanwhile
        is left as that runner left it.
        """
        batches: dict[str, list[Row]] = {}
        for row in self.rows(RowState.UNKNOWN):
            if chunk is not None and row.chunk != chunk:
                continue
            batches.setdefault(row.message_id or f"ref:{row.batch}", []).append(row)
        # each row is settled with the provider its request went to
        sent_through = self._providers([rows[0].batch for rows in batches.values()])
        settled = 0
        for key, rows in batches.items():
            client = sent_through(rows[0].batch)
            if "query_report" not in client.capabilities:
                continue
            by_client_ref = bool(getattr(client.info, "report_by_client_ref", False))
            if key.startswith("ref:"):
                if not by_client_ref or rows[0].batch is None:
                    continue
                ask = rows[0].batch
            else:
                ask = key
            try:
                report = client.report(ask)
            except UnknownMessage:
                if not by_client_ref:  # not a documented proof of absence: ask no further
                    continue
                if not self._settled([RowUpdate(r.rid, Event.SETTLED_ABSENT) for r in rows]):
                    continue
                self._count({RowState.UNKNOWN: -len(rows), RowState.PENDING: len(rows)})
                settled += len(rows)
                continue
            except IletiError:
                continue
            seen = {r.number: r for r in report.recipients}
            present = [r for r in rows if r.number in seen]
            if not self._settled(
                [
                    RowUpdate(
                        r.rid,
                        Event.SETTLED_PRESENT,
                        report.message_id,
                        seen[r.number].message_id,
                    )
                    for r in present
                ]
            ):
                continue
            self.store.set_delivery(_deliveries(present, seen))
            self._count({RowState.UNKNOWN: -len(present), RowState.ACCEPTED: len(present)})
            settled += len(present)
        return settled

    def _clients(self) -> list[Client]:
        if self.router is None:
            return [self.client]
        return [self.router.client(p) for p in self.router.providers]

    def _providers(self, batches: Sequence[str | None]) -> Callable[[str | None], Client]:
        """The client of the provider each batch's request went to: the one
        its claim recorded (a routed campaign), else the campaign's own."""
        if self.router is None:
            return lambda batch: self.client
        router = self.router
        recorded = self.store.providers(self.id, [b for b in batches if b is not None])

        def client(batch: str | None) -> Client:
            provider = recorded.get(batch or "")
            return router.client(provider) if provider else self.client

        return client

    def _settled(self, updates: list[RowUpdate]) -> bool:
        """Apply a settlement (or a dead claim's move to ``unknown``); False
        when, on a shared store, another runner moved these rows first
        (nothing changed: the table refused the whole transaction)."""
        from ileti.campaign.states import IllegalTransition

        try:
            self.store.apply(updates)
        except IllegalTransition:
            if not self.store.shared:
                raise
            _log.info("campaign %s: rows settled by another runner meanwhile", self.id)
            return False
        return True

    # -- reports ---------------------------------------------------------------------------

    def poll_reports(
        self, *, deadline: float, sleep: Callable[[float], None] = time.sleep
    ) -> dict[str, int]:
        """Poll delivery reports of accepted rows until every state is final
        or ``deadline`` seconds pass; the delivery counts at the end."""
        if not any("query_report" in c.capabilities for c in self._clients()):
            return self.store.delivery_counts(self.id)
        end = time.monotonic() + deadline
        delay = 1.0
        while True:
            ids = self.store.unreported(self.id, _FINAL_DELIVERY)
            for message_id in ids:
                rows = self.store.by_message(self.id, message_id)
                client = self._providers([rows[0].batch])(rows[0].batch) if rows else self.client
                if "query_report" not in client.capabilities:
                    continue
                try:
                    report = client.report(message_id)
                except IletiError:
                    continue
                seen = {r.number: r for r in report.recipients}
                self.store.set_delivery(_deliveries([r for r in rows if r.number in seen], seen))
            if not self.store.unreported(self.id, _FINAL_DELIVERY):
                break
            remaining = end - time.monotonic()
            if remaining <= 0 or self._stop.is_set():
                break
            sleep(min(delay, remaining))
            delay = min(delay * 2, 30.0)
        return self.store.delivery_counts(self.id)


class _NoProvider:
    """The client of a campaign opened with :meth:`Campaign.in_store`."""

    def __init__(self, record: CampaignRecord) -> None:
        self.provider = record.provider
        self._id = record.id

    def __getattr__(self, name: str) -> Any:
        raise ConfigurationError(
            f"campaign {self._id} was opened from its store alone (Campaign.in_store): "
            "open it with Campaign.open(...) to send, settle or poll reports",
            setting="provider",
        )


def _finished(imported: bool, count: Callable[[RowState], int]) -> bool:
    """Nothing left to send or settle: every row read in, none of them unfinished."""
    return imported and not any(count(s) for s in _UNFINISHED)


def _ending(
    record: CampaignRecord,
    counts: Mapping[RowState, tuple[int, int]],
    *,
    stopped: bool,
    shared: bool,
) -> tuple[str, str | None] | None:
    """How a run ends, from the campaign's record and counts: ``(status,
    note)``, or ``None`` while other runners of a shared store are still at it
    (the last one to end says)."""

    def count(state: RowState) -> int:
        return counts.get(state, (0, 0))[0]

    if shared and not stopped and any(count(s) for s in _BUSY):
        return None
    finished = _finished(record.imported, count)
    unknown = count(RowState.UNKNOWN)
    if stopped and not finished:
        return ("stopped", "stopped before every row was sent")
    if unknown:
        return (
            "attention",
            f"{unknown} rows may have been sent: check them with the provider, then resolve them",
        )
    return ("done" if finished else "stopped", None)


def _spec_options(spec: Mapping[str, Any]) -> tuple[datetime | None, timedelta | None]:
    """The schedule and validity a campaign was created with."""
    schedule = datetime.fromisoformat(spec["schedule"]) if spec["schedule"] else None
    validity = timedelta(seconds=spec["validity"]) if spec["validity"] is not None else None
    return schedule, validity


def _deliveries(rows: list[Row], seen: Mapping[str, Any]) -> list[tuple[int, str, str, str | None]]:
    out = []
    for r in rows:
        rep = seen[r.number]
        at = rep.time.isoformat() if rep.time is not None else None
        out.append((r.rid, rep.state.value, rep.raw_state, at))
    return out


_new_tuple = tuple.__new__
_outcome_accepted = operator.attrgetter("accepted")
_outcome_message_id = operator.attrgetter("message_id")
_outcome_number = operator.attrgetter("number")
_row_number = operator.itemgetter(Row._fields.index("number"))
_row_chunk = operator.itemgetter(Row._fields.index("chunk"))
_row_parts = operator.itemgetter(Row._fields.index("parts"))

#: a row ready to send: (line, E.164 number, text, group, parts)
_Ready = tuple[int, str, str, str, int]

#: rows read between two looks at whether the run was stopped
_STOP_EVERY = 256
#: the most rows a campaign's first chunk takes: its request leaves once they
#: are read, checked and stored, not once a whole batch is (500 rows: about
#: 5 ms sooner); one request more in all
FIRST_CHUNK = 50
#: what the importer reads at a time: a CSV block as read, or rows
_Block = CsvBlock | list[SourceRow]


def _blocks(rows: Iterator[SourceRow]) -> Iterator[list[SourceRow]]:
    return iter(lambda: list(itertools.islice(rows, _STOP_EVERY)), [])


#: bits of the importer's filter of stored numbers (2 MiB: a false positive
#: only costs a look in the store; about 6% of numbers at a million rows)
_FILTER_BITS = 1 << 24
_FILTER_MASK = _FILTER_BITS - 1


class _Importer:
    """Reads rows into the store, one chunk (one future request) at a time.

    Rows wait in a buffer per group (an encoding; or an encoding and a text
    when each request carries one text) until a chunk is full. The import
    position stored with each commit is the line before the oldest row still
    in a buffer, so a crash re-reads what was not stored, and the store
    ignores a line it already has.
    """

    def __init__(self, campaign: Campaign, record: CampaignRecord) -> None:
        self.campaign = campaign
        self.store = campaign.store
        self.client = campaign.client
        spec = record.spec
        self.spec = spec
        self.size: int = spec["batch_size"]
        self.template = Template.parse(spec["template"]) if spec["template"] else None
        self.encoding = self.client.effective_encoding(spec["encoding"])
        self.chunk = self.store.last_chunk(campaign.id)
        self.buffers: dict[str, list[_Ready]] = {}
        self.invalid: list[NewRow] = []
        self.line = record.import_line
        self.numbers: dict[str, int] = {}
        self.read = 0
        # the numbers this import stored, as bits of a fixed-size filter, when
        # the campaign held no row to send before it: a number whose bit is
        # clear was not stored, so the store is asked only about the others
        # (about 1.4 µs a row saved; 2 MiB whatever the size of the input)
        self.stored: bytearray | None = None
        if not spec["keep_duplicates"]:
            counts = self.store.counts(campaign.id)
            if not any(n for state, (n, _) in counts.items() if state is not RowState.INVALID):
                self.stored = bytearray(_FILTER_BITS >> 3)

    def run(self, blocks: Iterator[_Block]) -> None:
        """Import every row, or until the campaign is stopped or paused
        (what was read is stored, not lost)."""
        campaign = self.campaign
        spec = self.spec
        check = self.client.item_checker(encoding=self.encoding, fold_turkish=spec["fold_turkish"])
        fill = self.template.fill if self.template is not None else None
        to_column: str = spec["to_column"]
        text_column: str = spec["text_column"]
        single = spec["mode"] == "single"
        keep = spec["keep_duplicates"]
        numbers = self.numbers
        buffers = self.buffers
        invalid = self.invalid
        size = self.size
        limit = self.limit()  # the rows of the chunk being filled
        stopped = campaign._stop.is_set
        read = self.read
        whole = None if single else _WholeBlock(self)
        while True:
            if stopped() or campaign._pause is not None:
                self.read = read
                self.finish(done=False)  # what was read is stored
                return
            block = next(blocks, None)
            if block is None:
                break
            if len(invalid) >= size:
                self.read = read
                self._commit([])
            if isinstance(block, CsvBlock):
                ready = whole.check(block) if whole is not None else None
                if ready is not None:
                    read += len(ready)
                    self.read = read
                    self.line = ready[-1][0]
                    self._add_whole(ready)
                    limit = self.limit()
                    continue
                block = block.rows()
            for line, data, error in block:
                read += 1
                self.line = line
                if data is None:
                    invalid.append(_invalid(line, "", error or "the row cannot be read", "input"))
                    continue
                raw = data.get(to_column, "").strip()
                if not raw:
                    invalid.append(
                        _invalid(line, raw, f"no number in column {to_column!r}", "input")
                    )
                    continue
                if fill is not None:
                    try:
                        text = fill(data)
                    except ValueError as exc:
                        invalid.append(_invalid(line, raw, str(exc), "input"))
                        continue
                else:
                    value = data.get(text_column)
                    if value is None or not value.strip():
                        reason = f"no text in column {text_column!r}"
                        invalid.append(_invalid(line, raw, reason, "input"))
                        continue
                    text = value
                try:
                    number, group, parts = check(raw, text, None)
                except IletiError as exc:
                    invalid.append(_invalid(line, raw, exc.message, type(exc).__name__))
                    continue
                if not keep:
                    first = numbers.get(number)
                    if first is not None:
                        invalid.append(_duplicate((line, number, text, group, parts), first))
                        continue
                    numbers[number] = line
                if single:
                    digest = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
                    group = f"{group}:{digest}"
                buffer = buffers.get(group)
                if buffer is None:
                    buffer = buffers[group] = []
                buffer.append((line, number, text, group, parts))
                if len(buffer) >= limit:
                    self.read = read
                    self._flush([group])
                    limit = self.limit()
                elif len(buffers) > MAX_OPEN_GROUPS:
                    self.read = read
                    self._flush([next(iter(buffers))])
                    limit = self.limit()
        self.read = read
        self.finish()

    def limit(self) -> int:
        """The rows the next chunk takes: the batch size, except for a
        campaign's first chunk (:data:`FIRST_CHUNK` rows at most), so that
        its first request leaves as soon as those rows are read."""
        return self.size if self.chunk else min(self.size, FIRST_CHUNK)

    def _add_whole(self, ready: list[_Ready]) -> None:
        """A block's rows, every one checked and of one group, into its
        buffer; each full chunk stored as the row-by-row import would."""
        group = ready[0][3]
        buffer = self.buffers.get(group)
        if buffer is None:
            buffer = self.buffers[group] = []
        buffer.extend(ready)
        size = self.limit()
        while len(buffer) >= size:
            chunk = buffer[:size]
            del buffer[:size]
            # as row by row: a full chunk's group is closed, and its next rows
            # open it again after the other groups (the order the last chunks
            # are stored in); the rows left are held, so the import position
            # stays before them
            del self.buffers[group]
            if buffer:
                self.buffers[group] = buffer
            self._commit([chunk])
            size = self.limit()

    def finish(self, *, done: bool = True) -> None:
        self._flush(list(self.buffers), done=done)

    def _flush(self, groups: list[str], *, done: bool = False) -> None:
        chunks = []
        for group in groups:
            rows = self.buffers.pop(group, None)
            if rows:
                chunks.append(rows)
        self._commit(chunks, done=done)

    def _commit(self, chunks: list[list[_Ready]], *, done: bool = False) -> None:
        rows: list[NewRow] = []
        moves = {RowState.PENDING: 0, RowState.INVALID: 0}
        stored = self.stored
        if self.spec["keep_duplicates"]:
            earlier: dict[str, int] = {}
        else:
            numbers = [r[1] for chunk in chunks for r in chunk]
            if stored is not None:
                numbers = [
                    n
                    for n in numbers
                    if stored[(h := hash(n) & _FILTER_MASK) >> 3] & (1 << (h & 7))
                ]
            earlier = self.store.duplicates(self.campaign.id, numbers) if numbers else {}
        pending = RowState.PENDING
        for chunk in chunks:
            self.chunk += 1
            if not earlier:  # the common case: no repeat, every row pending
                # tuple.__new__ straight from the values: NewRow(...) per row
                # would go through the NamedTuple's Python-level __new__
                at = self.chunk
                rows.extend(
                    [
                        _new_tuple(
                            NewRow, (line, number, text, pending, group, parts, None, None, at)
                        )
                        for line, number, text, group, parts in chunk
                    ]
                )
                moves[pending] += len(chunk)
                continue
            # a chunk's rows are stored together (consecutive ids): its repeats after them
            repeats: list[NewRow] = []
            for ready in chunk:
                line, number, text, group, parts = ready
                first = earlier.get(number)
                if first is not None and first != line:
                    repeats.append(_duplicate(ready, first))
                    moves[RowState.INVALID] += 1
                else:
                    rows.append(
                        NewRow(line, number, text, pending, group, parts, None, None, self.chunk)
                    )
                    moves[pending] += 1
            rows.extend(repeats)
        rows.extend(self.invalid)
        moves[RowState.INVALID] += len(self.invalid)
        self.invalid.clear()
        held = [buffer[0][0] for buffer in self.buffers.values() if buffer]
        # every row that starts on a line up to this one is stored
        line = min(held) - 1 if held else self.line
        self.store.add_rows(self.campaign.id, rows, line=line, offset=0, done=done)
        if not self.spec["keep_duplicates"]:
            forget = self.numbers.pop
            for chunk in chunks:
                for ready in chunk:
                    forget(ready[1], None)
                    if stored is not None:
                        h = hash(ready[1]) & _FILTER_MASK
                        stored[h >> 3] |= 1 << (h & 7)
        self.campaign._committed(moves, self.read, len(chunks))


class _WholeBlock:
    """The check of a whole CSV block at once, for the common case: every row
    as wide as the header, every value the row needs not blank, every number
    and text what :meth:`~ileti.Client.block_checker` takes, no number seen
    before. It gives the rows the row-by-row import would make of the block
    (a property test compares the two), or ``None``: then the block is
    imported row by row, which gives each row its figures or its error."""

    def __init__(self, importer: _Importer) -> None:
        spec = importer.spec
        self.numbers = None if spec["keep_duplicates"] else importer.numbers
        self.checker = importer.client.block_checker(
            encoding=importer.encoding, fold_turkish=spec["fold_turkish"]
        )
        template = importer.template
        self.to_column: str = spec["to_column"]
        self.columns: tuple[str, ...] = (
            template.fields if template is not None else (spec["text_column"],)
        )
        self.format = template.positional if template is not None else None
        self.header: list[str] | None = None
        self.get: tuple[Callable[[list[str]], str], ...] = ()

    def _columns(self, header: list[str]) -> bool:
        if header is not self.header:
            self.header = header
            names = [self.to_column, *self.columns]
            if not all(name in header for name in names):
                self.get = ()
            else:
                self.get = tuple(operator.itemgetter(header.index(n)) for n in names)
        return bool(self.get)

    def check(self, block: CsvBlock) -> list[_Ready] | None:
        values = block.values
        if block.starts[0] <= block.after or not self._columns(block.header):
            return None
        if set(map(len, values)) != {len(block.header)}:
            return None
        raw = list(map(str.strip, map(self.get[0], values)))
        if not all(raw):
            return None
        columns = [list(map(get, values)) for get in self.get[1:]]
        for column in columns:
            if not all(map(str.strip, column)):
                return None
        texts = list(map(self.format.format, *columns)) if self.format is not None else columns[0]
        checked = self.checker(raw, texts)
        if checked is None:
            return None
        e164, group, parts = checked
        numbers = self.numbers
        if numbers is not None:
            if len(set(e164)) != len(e164) or not numbers.keys().isdisjoint(e164):
                return None
            numbers.update(zip(e164, block.starts))  # noqa: B905 - as long
        return list(zip(block.starts, e164, texts, itertools.repeat(group), parts))


def _invalid(line: int, raw: str, reason: str, category: str) -> NewRow:
    return NewRow(line, raw or "-", None, RowState.INVALID, None, 0, reason, category)


def _duplicate(row: _Ready, first: int) -> NewRow:
    line, number, text, _group, parts = row
    return NewRow(
        line=line,
        number=number,
        text=text,
        state=RowState.INVALID,
        parts=parts,
        error=f"duplicate of line {first}: the number is already in this campaign "
        "(keep_duplicates sends it again)",
        error_category="duplicate",
    )


def _batch_size(client: Client, wanted: int | None) -> int:
    limit = client.info.max_recipients
    if wanted is not None:
        if wanted < 1:
            raise ValidationError("batch_size must be at least 1")
        return min(wanted, limit) if limit else wanted
    return min(DEFAULT_BATCH_SIZE, limit or DEFAULT_BATCH_SIZE)


def _mode(client: Client, template: Template | None) -> str:
    """``multi`` (one request carries a text per recipient) or ``single``
    (one text per request, many recipients)."""
    caps = client.capabilities
    personal = template is None or bool(template.fields)
    if "send_multi" in caps and not client.info.per_item_encoding and personal:
        return "multi"
    if "send" not in caps:
        if "send_multi" in caps:
            return "multi"
        client._loaded.require("send")
    return "single"


def _store(store: CampaignStore | str | Path | None) -> CampaignStore:
    if store is None or isinstance(store, str | Path):
        return open_store(store)
    return store


@contextlib.contextmanager
def interrupt_stops(campaign: Campaign) -> Iterator[None]:
    """Ctrl-C (SIGINT) stops taking rows instead of killing the run."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    hits = 0

    def handler(signum: int, frame: Any) -> None:
        nonlocal hits
        hits += 1
        campaign.stop()
        if hits > 1:  # a second Ctrl-C: the user insists
            signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
