"""``ileti.AsyncClient``: the client's calls as coroutines, for asyncio applications.

How it is built, and why: every provider plugin is synchronous code that
asks the core's transport for HTTP (``ctx.send`` / ``ctx.read``), so the
wire formats, error tables and the no-replay rule are written once per
gateway. The async client keeps all of that as it is: it holds an ordinary
:class:`ileti.Client` and runs each call in a small thread pool of its own,
``max_in_flight`` threads wide. The event loop only awaits; it never makes a
request, parses an answer or sleeps. The pool's width bounds how many calls
are in flight; further calls wait their turn without a thread.

Cancelling a send is the delicate part. A send waiting for its turn is
cancelled cleanly: nothing was sent. A send still being validated is stopped
before its request is made. But a send whose request may have left cannot be
called back: the gateway may accept it whatever the caller does. Then the
cancelled call ends in a recorded :class:`ileti.DeliveryUnknown` carrying the
client reference: it is logged (logger ``ileti.async``) and handed to the
``on_unknown`` callback, so the application can settle it later (by report,
or in the provider's panel), never left in a silent half-state. When the
abandoned request finishes, its outcome is logged too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ileti.client import Client, CostPreview, as_batch
from ileti.errors import DeliveryUnknown, ValidationError
from ileti.models import (
    Balance,
    Batch,
    BatchItem,
    DeliveryReport,
    Message,
    PanelLogin,
    Sender,
    SendResult,
    SentPackage,
)
from ileti.waiting import DEFAULT_DEADLINE, Backoff, OnPoll, wait_report_async

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ileti.host import LoadedProvider
    from ileti.http import RetryPolicy, Timeout
    from ileti.plugin import Outgoing, OutgoingBatch
    from ileti.routing import Router

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "AsyncClient", "AsyncRouter", "OnUnknown"]

log = logging.getLogger("ileti.async")

T = TypeVar("T")

#: calls in flight at once, unless ``max_in_flight`` says otherwise (the
#: transport keeps this many connections per host open for reuse)
DEFAULT_MAX_IN_FLIGHT = 8

#: receives the DeliveryUnknown of a send cancelled after its request may have left
OnUnknown = Callable[[DeliveryUnknown], None]


class _Cancelled(Exception):
    """The caller gave up before the request was made (raised in the worker)."""


class _SendCall:
    """One send's progress, shared by the worker thread and the awaiting task."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._abandoned = False
        self.leaving = False
        self.client_ref: str | None = None

    def leave(self, client_ref: str) -> None:
        """Called by the worker just before the request is made."""
        with self._lock:
            if self._abandoned:
                raise _Cancelled
            self.leaving = True
            self.client_ref = client_ref

    def abandon(self) -> bool:
        """Called when the task is cancelled: whether the request may have left."""
        with self._lock:
            self._abandoned = True
            return self.leaving


class _Pooled:
    """The thread pool every async front shares: calls run in it, and a send
    cancelled after its request may have left is recorded, never forgotten."""

    _closed: bool
    _pool: concurrent.futures.ThreadPoolExecutor
    _on_unknown: OnUnknown | None
    unknown: list[DeliveryUnknown]
    max_in_flight: int

    def _setup_pool(self, name: str, max_in_flight: int, on_unknown: OnUnknown | None) -> None:
        if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int):
            raise ValidationError("max_in_flight must be a whole number of calls")
        if max_in_flight < 1:
            raise ValidationError(f"max_in_flight must be at least 1, not {max_in_flight}")
        self._on_unknown = on_unknown
        self.max_in_flight = max_in_flight
        #: DeliveryUnknown of every send cancelled after its request may have left
        self.unknown = []
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_in_flight, thread_name_prefix=f"ileti-{name}"
        )
        self._closed = False

    def _unknown_provider(self) -> str | None:
        return None

    # -- running calls in the pool ------------------------------------------------

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise ValidationError("this AsyncClient is closed: make a new one")
        return await asyncio.wrap_future(self._pool.submit(fn, *args))

    async def _send(self, fn: Callable[[_SendCall], SendResult]) -> SendResult:
        if self._closed:
            raise ValidationError("this AsyncClient is closed: make a new one")
        call = _SendCall()
        future = self._pool.submit(fn, call)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # a send still waiting for a thread is dropped: nothing was sent
            if not future.cancel() and call.abandon():
                self._record_unknown(call, future)
            raise

    def _record_unknown(
        self, call: _SendCall, future: concurrent.futures.Future[SendResult]
    ) -> None:
        error = DeliveryUnknown(
            "the send was cancelled after its request may have left: it may have been sent",
            client_ref=call.client_ref,
            provider=self._unknown_provider(),
        )
        self.unknown.append(error)
        log.warning("%s", error)
        if self._on_unknown is not None:
            try:
                self._on_unknown(error)
            except Exception:  # the callback's failure must not hide the cancellation
                log.exception("on_unknown callback failed for client reference %s", call.client_ref)
        future.add_done_callback(lambda done: _log_late_outcome(call, done))

    async def _close_pool(self, closer: Callable[[], None]) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._pool.shutdown, wait=True)
        closer()


class AsyncClient(_Pooled):
    """Send SMS and read reports through one provider, from asyncio code.

    >>> async with AsyncClient.from_env("efecell") as client:  # doctest: +SKIP
    ...     result = await client.send("0532 111 22 33", "Merhaba")

    Takes what :class:`ileti.Client` takes, plus ``max_in_flight`` (calls
    running at once, default 8) and ``on_unknown`` (called with the
    :class:`ileti.DeliveryUnknown` of a send that was cancelled after its
    request may have left). Errors are the same as the client's.
    """

    def __init__(
        self,
        provider: str | LoadedProvider,
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        on_unknown: OnUnknown | None = None,
        timeout: Timeout | float | tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        extensions: Iterable[Any] = (),
        max_response_bytes: int | None = None,
        proxy: str | bool | None = None,
        ca_bundle: str | Path | None = None,
        **settings: Any,
    ) -> None:
        client = Client(
            provider,
            timeout=timeout,
            retry=retry,
            extensions=extensions,
            max_response_bytes=max_response_bytes,
            proxy=proxy,
            ca_bundle=ca_bundle,
            **settings,
        )
        self._setup(client, max_in_flight, on_unknown)

    @classmethod
    def from_env(
        cls,
        provider: str | LoadedProvider | None = None,
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        on_unknown: OnUnknown | None = None,
        config_file: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: Timeout | float | tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        extensions: Iterable[Any] = (),
        proxy: str | bool | None = None,
        ca_bundle: str | Path | None = None,
        **overrides: Any,
    ) -> AsyncClient:
        """Settings as :meth:`ileti.Client.from_env` reads them."""
        client = Client.from_env(
            provider,
            config_file=config_file,
            env=env,
            timeout=timeout,
            retry=retry,
            extensions=extensions,
            proxy=proxy,
            ca_bundle=ca_bundle,
            **overrides,
        )
        return cls.wrap(client, max_in_flight=max_in_flight, on_unknown=on_unknown)

    @classmethod
    def wrap(
        cls,
        client: Client,
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        on_unknown: OnUnknown | None = None,
    ) -> AsyncClient:
        """An async client over an existing :class:`ileti.Client` (which it
        then owns: closing one closes the other)."""
        self = cls.__new__(cls)
        self._setup(client, max_in_flight, on_unknown)
        return self

    def _setup(self, client: Client, max_in_flight: int, on_unknown: OnUnknown | None) -> None:
        self._setup_pool(client.provider, max_in_flight, on_unknown)
        self._client = client

    def _unknown_provider(self) -> str | None:
        return self.provider

    # -- what needs no I/O: the client's own ------------------------------------

    @property
    def client(self) -> Client:
        """The synchronous :class:`ileti.Client` doing the work."""
        return self._client

    @property
    def provider(self) -> str:
        return self._client.provider

    @property
    def info(self) -> Any:
        return self._client.info

    @property
    def capabilities(self) -> frozenset[str]:
        return self._client.capabilities

    @property
    def settings(self) -> Any:
        return self._client.settings

    def __repr__(self) -> str:
        return f"Async{self._client!r}"

    def preview(
        self,
        text: str,
        *,
        encoding: str | None = None,
        recipients: int = 1,
        fold_turkish: bool = False,
    ) -> CostPreview:
        """As :meth:`ileti.Client.preview` (no I/O, so not a coroutine)."""
        return self._client.preview(
            text, encoding=encoding, recipients=recipients, fold_turkish=fold_turkish
        )

    def prepare(self, message: Message) -> Outgoing:
        """As :meth:`ileti.Client.prepare` (the dry run; no I/O)."""
        return self._client.prepare(message)

    def effective_encoding(self, encoding: str | None = None) -> str:
        return self._client.effective_encoding(encoding)

    # -- the calls ---------------------------------------------------------------

    async def send(
        self,
        to: str | Iterable[str],
        text: str,
        *,
        sender: str | None = None,
        schedule: datetime | None = None,
        validity: timedelta | None = None,
        encoding: str | None = None,
        flash: bool = False,
        client_ref: str | None = None,
        fold_turkish: bool = False,
        keep_duplicates: bool = False,
    ) -> SendResult:
        """As :meth:`ileti.Client.send`."""
        return await self.send_message(
            Message(
                recipients=to,
                text=text,
                sender=sender,
                schedule=schedule,
                validity=validity,
                encoding=encoding,
                flash=flash,
                client_ref=client_ref,
                fold_turkish=fold_turkish,
                keep_duplicates=keep_duplicates,
            )
        )

    async def send_message(self, message: Message) -> SendResult:
        """As :meth:`ileti.Client.send_message`."""
        client = self._client
        client._loaded.require("send")

        def work(call: _SendCall) -> SendResult:
            outgoing = client.prepare(message)
            call.leave(outgoing.client_ref)
            return client.send_prepared(outgoing)

        return await self._send(work)

    async def send_multi(
        self,
        items: Batch | Iterable[BatchItem | tuple[str, str]],
        *,
        sender: str | None = None,
        schedule: datetime | None = None,
        validity: timedelta | None = None,
        encoding: str | None = None,
        flash: bool = False,
        fold_turkish: bool = False,
    ) -> SendResult:
        """As :meth:`ileti.Client.send_multi`."""
        client = self._client
        client._loaded.require("send_multi")
        batch = as_batch(
            items,
            sender=sender,
            schedule=schedule,
            validity=validity,
            encoding=encoding,
            flash=flash,
            fold_turkish=fold_turkish,
        )

        def work(call: _SendCall) -> SendResult:
            prepared: OutgoingBatch = client.prepare_batch(batch)
            call.leave(prepared.client_ref)
            return client.send_prepared_batch(prepared)

        return await self._send(work)

    async def report(self, message_id: str | int) -> DeliveryReport:
        """As :meth:`ileti.Client.report`."""
        return await self._call(self._client.report, message_id)

    async def wait_report(
        self,
        message_id: str | int,
        *,
        deadline: float | timedelta = DEFAULT_DEADLINE,
        backoff: Backoff | None = None,
        on_poll: OnPoll | None = None,
    ) -> DeliveryReport:
        """As :meth:`ileti.Client.wait_report`; the pauses do not block the loop."""
        return await wait_report_async(
            lambda: self.report(message_id), deadline=deadline, backoff=backoff, on_poll=on_poll
        )

    async def sent_packages(
        self, since: datetime, until: datetime | None = None, *, scheduled: bool = False
    ) -> list[SentPackage]:
        """As :meth:`ileti.Client.sent_packages`, every page read (in the pool)."""

        def read() -> list[SentPackage]:
            return list(self._client.sent_packages(since, until, scheduled=scheduled))

        return await self._call(read)

    async def panel_login(self) -> PanelLogin:
        """As :meth:`ileti.Client.panel_login`."""
        return await self._call(self._client.panel_login)

    async def balance(self) -> Balance:
        """As :meth:`ileti.Client.balance`."""
        return await self._call(self._client.balance)

    async def senders(self) -> list[Sender]:
        """As :meth:`ileti.Client.senders`."""
        return await self._call(self._client.senders)

    # -- closing -----------------------------------------------------------------

    async def close(self) -> None:
        """Let the calls in flight finish, then release the threads and connections."""
        await self._close_pool(self._client.close)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _log_late_outcome(call: _SendCall, future: concurrent.futures.Future[SendResult]) -> None:
    """The abandoned request's outcome, once known (for settling by hand)."""
    error = future.exception()
    if error is None:
        result = future.result()
        log.warning(
            "the send cancelled with client reference %s was accepted by %s: message id %s",
            call.client_ref,
            result.provider,
            result.message_id,
        )
    else:
        log.warning(
            "the send cancelled with client reference %s ended in: %s", call.client_ref, error
        )


class AsyncRouter(_Pooled):
    """A :class:`ileti.Router` from asyncio code: the same failover rule,
    each send run in a pool of ``max_in_flight`` threads.

    >>> async with AsyncRouter(Router.from_env("efecell,modexi")) as r:  # doctest: +SKIP
    ...     result = await r.send("0532 111 22 33", "Merhaba")

    A send cancelled after a request of it may have left (through any
    provider) ends in a recorded ``DeliveryUnknown``, as with
    :class:`AsyncClient`; one cancelled before is dropped, nothing sent.
    """

    def __init__(
        self,
        router: Router,
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        on_unknown: OnUnknown | None = None,
    ) -> None:
        self._setup_pool("router", max_in_flight, on_unknown)
        self._router = router

    @property
    def router(self) -> Router:
        """The synchronous :class:`ileti.Router` doing the work."""
        return self._router

    def __repr__(self) -> str:
        return f"AsyncRouter({self._router.providers!r})"

    async def send(
        self,
        to: str | Iterable[str],
        text: str,
        *,
        sender: str | None = None,
        schedule: datetime | None = None,
        validity: timedelta | None = None,
        encoding: str | None = None,
        flash: bool = False,
        client_ref: str | None = None,
        fold_turkish: bool = False,
        keep_duplicates: bool = False,
    ) -> SendResult:
        """As :meth:`ileti.Router.send`."""
        message = Message(
            recipients=to,
            text=text,
            sender=sender,
            schedule=schedule,
            validity=validity,
            encoding=encoding,
            flash=flash,
            client_ref=client_ref,
            fold_turkish=fold_turkish,
            keep_duplicates=keep_duplicates,
        )
        return await self.send_message(message)

    async def send_message(self, message: Message) -> SendResult:
        """As :meth:`ileti.Router.send_message`."""
        from ileti.routing import announcing

        router = self._router

        def work(call: _SendCall) -> SendResult:
            with announcing(call.leave):
                return router.send_message(message)

        return await self._send(work)

    async def send_multi(
        self, items: Batch | Iterable[BatchItem | tuple[str, str]], **options: Any
    ) -> SendResult:
        """As :meth:`ileti.Router.send_multi` (the same keyword options)."""
        from ileti.routing import announcing

        router = self._router

        def work(call: _SendCall) -> SendResult:
            with announcing(call.leave):
                return router.send_multi(items, **options)

        return await self._send(work)

    async def report(
        self, message: SendResult | str | int, *, provider: str | None = None
    ) -> DeliveryReport:
        """As :meth:`ileti.Router.report`."""
        return await self._call(lambda: self._router.report(message, provider=provider))

    async def balance(self, provider: str | None = None) -> Balance:
        """As :meth:`ileti.Router.balance`."""
        return await self._call(self._router.balance, provider)

    async def close(self) -> None:
        """Let the calls in flight finish, then close the router's clients."""
        await self._close_pool(self._router.close)

    async def __aenter__(self) -> AsyncRouter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
