"""The one place that talks HTTP: urllib3, timeouts, retries, caps, redaction.

Sending an SMS is not idempotent, so every failure is sorted into "nothing
was sent" and "it may have been sent":

* **Retried** (bounded, exponential backoff with full jitter) on every call:
  connection refused, DNS failure, connect timeout, TLS handshake failure:
  the request never left.
* **Retried on reads only** (report, balance, senders): HTTP 429/502/503/504
  (``Retry-After`` honoured up to a cap), read timeouts, connections reset.
* **Never retried on a send**: once the request may have been written, a read
  timeout, a reset, the total deadline passing, a 5xx, a redirect or an
  unreadable answer raises :class:`~ileti.errors.DeliveryUnknown` carrying
  the client reference. A 429 on a send is :class:`~ileti.errors.RateLimited`
  (the server says it did not process the request): nothing was sent.

Every request has a total deadline (:attr:`ileti.http.Timeout.deadline`):
a watchdog closes the connection when it passes, however the server spaces
its bytes. Redirects are not followed, TLS is verified, answers are capped
in size before anyone parses them, and every URL, header and body that
reaches a log or an error message is redacted first.
"""

from __future__ import annotations

import contextlib
import email.utils
import heapq
import itertools
import logging
import math
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.retry import Retry
from urllib3.util.url import parse_url

from ileti.errors import (
    ConfigurationError,
    DeliveryUnknown,
    IletiError,
    InvalidContent,
    MalformedResponse,
    RateLimited,
    TransportError,
    excerpt,
)
from ileti.http import (
    DEFAULT_POOL_SIZE,
    HttpRequest,
    HttpResponse,
    RetryPolicy,
    Timeout,
    check_pool_size,
)
from ileti.redact import Redactor, install_log_filters, register_secrets

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_POOL_SIZE",
    "RetryPolicy",
    "Timeout",
    "Transport",
]

log = logging.getLogger("ileti.transport")

DEFAULT_MAX_RESPONSE_BYTES = 1 << 20  # 1 MiB: no provider answer is anywhere near
READ_RETRY_STATUSES = frozenset({429, 502, 503, 504})
# statuses by which a server says it did not process the request: even a
# non-replayable read may be retried after them (502/504 make no such promise)
REFUSED_UNPROCESSED = frozenset({429, 503})

Kind = Literal["send", "read"]

# no retries and no redirects followed (what ``retries=False`` means to urllib3,
# made once: urllib3 builds this object anew on every request it is not given)
_NO_RETRIES = Retry.from_int(False, redirect=False)

# errors raised before a byte of the request left this machine
_NOT_SENT = (NewConnectionError, ConnectTimeoutError, SSLError, ProxyError)

# URLs whose pool and request target a transport remembers (then starts again)
_TARGETS = 64


# -- the total deadline ------------------------------------------------------------


class _Deadline:
    """One request's deadline; the watchdog shuts its connection when it passes."""

    __slots__ = ("at", "done", "fired", "seconds", "seq", "sock")

    def __init__(self, seconds: float, seq: int) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.seq = seq
        # the socket itself: http.client drops conn.sock once a closing answer begins
        self.sock: socket.socket | None = None
        self.fired = False
        self.done = False

    def __lt__(self, other: _Deadline) -> bool:
        return (self.at, self.seq) < (other.at, other.seq)


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        # the plain socket's shutdown: wakes a recv blocked in another thread
        # (an SSLSocket's own would drop its TLS state under the reader's feet)
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for the process that ends requests past their deadline."""

    def __init__(self) -> None:
        # the condition's own lock, taken directly where no wait or notify is
        # needed: a C-level ``with`` instead of the Condition's Python methods
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._heap: list[_Deadline] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        #: when the thread wakes next on its own (inf: only when notified)
        self._wake_at = math.inf

    def arm(self, seconds: float) -> _Deadline:
        with self._lock:
            heap = self._heap
            while heap and heap[0].done:  # requests that ended: dropped here, not by a wake-up
                heapq.heappop(heap)
            deadline = _Deadline(seconds, next(self._seq))
            heapq.heappush(heap, deadline)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="ileti-deadline-watchdog", daemon=True
                )
                self._thread.start()
            # the thread is woken only when it would wake too late for this
            # deadline: one request after another all have the same length,
            # so it sleeps through them instead of waking once a request
            if deadline.at < self._wake_at:
                self._wake_at = deadline.at
                self._cond.notify()
            return deadline

    def disarm(self, deadline: _Deadline) -> None:
        with self._lock:
            deadline.done = True
            deadline.sock = None

    def attach(self, deadline: _Deadline, sock: socket.socket) -> bool:
        """Tie a connection's socket to a deadline; False when it has already passed."""
        with self._lock:
            if deadline.fired:
                _shut(sock)
                return False
            deadline.sock = sock
            return True

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake_at = math.inf
                    self._cond.wait()
                    continue
                first = self._heap[0]
                wait = first.at - time.monotonic()
                if wait > 0:
                    self._wake_at = first.at
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                first.fired = True
                _shut(first.sock)


class _ThreadState(threading.local):
    """This thread's request deadline and :func:`within` cap (class-level
    defaults: reading them raises and catches no AttributeError)."""

    deadline: _Deadline | None = None
    cap: float | None = None


_WATCHDOG = _Watchdog()
_current = _ThreadState()


class _DeadlinePassed(Exception):
    """The request's total deadline passed before its answer was complete."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Bound every request this thread makes inside the block, retries and
    pauses included, to end within ``seconds`` from now (nested blocks keep
    the earliest end). Each request still has its own total deadline."""
    if not seconds > 0:
        raise ConfigurationError("a deadline must be a positive number of seconds")
    end = time.monotonic() + seconds
    outer = _current.cap
    _current.cap = end if outer is None else min(outer, end)
    try:
        yield
    finally:
        _current.cap = outer


def _cap_left() -> float | None:
    """Seconds left under the innermost :func:`within` block (``None``: none)."""
    cap = _current.cap
    return None if cap is None else cap - time.monotonic()


def _attach(conn: HTTPConnection) -> None:
    deadline = _current.deadline
    if deadline is not None and conn.sock is not None and not _WATCHDOG.attach(deadline, conn.sock):
        conn.close()
        raise _DeadlinePassed(deadline.seconds)


if TYPE_CHECKING:
    _Connection = HTTPConnection
else:
    _Connection = object


# a request body up to this size goes out in one write with its header block
_MERGE_LIMIT = 1 << 16


class _DeadlineConnection(_Connection):
    """A connection the deadline watchdog can shut, new or reused, that writes
    a small request's header block and body in one ``send``.

    urllib3 writes the header block, then the body: two writes, two TCP
    segments (no Nagle) and, on the server, two wake-ups to read one
    request. While a request with a small ``bytes`` body is written, the
    header block is held back and goes out with the body when urllib3 sends
    that very object; anything else (a chunked or converted body) is written
    after the held block, in order, as before.
    """

    #: the body to merge with the header block, while its request is written
    _merge: bytes | None = None
    #: the header block held back for it
    _held: bytes | None = None

    def connect(self) -> None:
        super().connect()
        _attach(self)

    def request(
        self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any
    ) -> None:
        if self.sock is not None:
            _attach(self)
        if type(body) is bytes and 0 < len(body) <= _MERGE_LIMIT:
            self._merge = body
        try:
            super().request(method, url, body, headers, **kwargs)
            held = self._held
        finally:
            self._merge = self._held = None
        if held is not None:  # no body was written after it
            super().send(held)

    def send(self, data: Any) -> None:
        merge = self._merge
        if merge is None:
            super().send(data)
            return
        held = self._held
        if held is None and type(data) is bytes:
            self._held = data  # the header block: written with the body
            return
        self._merge = self._held = None
        if held is None:
            super().send(data)
        elif data is merge:
            super().send(held + data)
        else:
            super().send(held)
            super().send(data)


class _DeadlineHTTPConnection(_DeadlineConnection, HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_DeadlineConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


class _Shown:
    """A URL with its secrets masked, worked out when a log line formats it."""

    __slots__ = ("_redactor", "_text", "_url")

    def __init__(self, redactor: Redactor, url: str) -> None:
        self._redactor = redactor
        self._url = url
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._redactor.text(self._url)
        return self._text


class Transport:
    """A thread-safe HTTP client bound to one provider's base URL.

    One urllib3 pool manager per transport (so per :class:`ileti.Client`).
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        secrets: Mapping[str, str] | Iterable[str] = (),
        timeout: Timeout | float | tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        pool_size: int = DEFAULT_POOL_SIZE,
        user_agent: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        proxy: str | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = Timeout.of(timeout)
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        #: secret values by the setting that holds them (for errors naming it)
        self._secret_settings = dict(secrets) if isinstance(secrets, Mapping) else {}
        values = secrets.values() if isinstance(secrets, Mapping) else secrets
        secret_list = [s for s in values if s]
        self.redactor = Redactor(secret_list)
        register_secrets(secret_list, owner=self)
        install_log_filters()
        self._sleep = sleep
        self._rand = rand
        from ileti import __version__

        self._user_agent = user_agent or f"ileti/{__version__}"
        self.pool_size = check_pool_size(pool_size)
        self._pool = _pool_manager(self.timeout, proxy, ca_bundle, self.pool_size)
        #: without a proxy, a URL's pool and request target, worked out once
        #: (URLs without a query only: endpoints, not per-request values)
        self._direct = proxy is None
        self._targets: dict[str, tuple[HTTPConnectionPool, str]] = {}
        #: each request's timeouts when no deadline of the caller's cuts them shorter
        self._request_timeout = _request_timeout(self.timeout)
        self._started = 0
        self._started_lock = threading.Lock()

    @property
    def requests_started(self) -> int:
        """Requests whose bytes may have reached the provider (for callers' bookkeeping)."""
        with self._started_lock:
            return self._started

    def __repr__(self) -> str:
        return f"Transport({self.provider!r}, {self.base_url!r})"

    def close(self) -> None:
        self._targets.clear()  # pools made after this are the manager's new ones
        self._pool.clear()

    # -- public entry points -------------------------------------------------

    def send(self, request: HttpRequest, *, client_ref: str | None = None) -> HttpResponse:
        """Make a request that sends messages: never replayed once it may have left."""
        return self._call(request, "send", client_ref)

    def read(self, request: HttpRequest, *, replayable: bool = True) -> HttpResponse:
        """Make a request that sends no message (report, balance, senders).

        ``replayable=False`` is for reads the gateway answers only once (a
        report pull that hands each report out a single time): they are
        retried only when nothing can have left, or after a 429 or 503 (the
        server says it did not process the request); never after a read
        timeout, a reset, a 502 or a 504, so an answer is never thrown away.
        """
        return self._call(request, "read", None, replayable=replayable)

    # -- internals -----------------------------------------------------------

    def url_for(self, request: HttpRequest) -> str:
        url = self.base_url + (request.path if request.path.startswith("/") else "/" + request.path)
        if request.query:
            url += "?" + urlencode(list(request.query.items()))
        return url

    def _call(
        self,
        request: HttpRequest,
        kind: Kind,
        client_ref: str | None,
        *,
        replayable: bool = False,
    ) -> HttpResponse:
        url = self.url_for(request)
        # the URL as logs show it (secrets masked): worked out only for a log
        # line that will be written, or a failure
        shown = _Shown(self.redactor, url)
        headers = {"User-Agent": self._user_agent, **request.headers}
        self._check_headers(headers)
        attempt = 0
        while True:
            attempt += 1
            left = _cap_left()
            if left is not None and left <= 0:
                raise TransportError(
                    "the deadline of the call passed before the request was made; nothing was sent",
                    provider=self.provider,
                )
            if log.isEnabledFor(logging.DEBUG):
                body = (
                    self.redactor.text(request.body.decode("utf-8", "replace"))
                    if request.body
                    else ""
                )
                log.debug(
                    "%s %s headers=%s body=%s",
                    request.method,
                    shown,
                    self.redactor.headers(headers),
                    excerpt(body, 500),
                )
            failure: IletiError | None = None
            may_have_left = True
            retry_after: float | None = None
            response: HttpResponse | None = None
            try:
                response = self._once(request.method, url, headers, request.body, kind)
            except _NOT_SENT as exc:
                may_have_left = False
                failure = TransportError(
                    f"could not reach the provider at {self.redactor.text(self.base_url)}: "
                    f"{self._describe(exc)}; nothing was sent",
                    provider=self.provider,
                )
            except (_DeadlinePassed, ReadTimeoutError, ProtocolError, HTTPError, OSError) as exc:
                reason = self._describe(exc)
                if kind == "send":
                    failure = self._unknown(reason, client_ref)
                else:
                    failure = TransportError(
                        f"the provider did not answer properly: {reason}", provider=self.provider
                    )
            except _ResponseTooLarge as exc:
                failure = self._too_large(exc.limit, exc.status, kind, client_ref)

            if response is not None:
                if log.isEnabledFor(logging.DEBUG):
                    log.debug(
                        "-> %s %s (%d bytes) %s",
                        response.status,
                        shown,
                        len(response.body),
                        excerpt(self.redactor.text(response.body.decode("utf-8", "replace")), 300),
                    )
                failure, retry_after = self._judge(response, kind, client_ref)
                if failure is None:
                    log.info("%s %s -> %s", request.method, shown, response.status)
                    return response

            assert failure is not None
            status = response.status if response is not None else None
            can_retry = (
                failure.retryable
                and not isinstance(failure, DeliveryUnknown)
                and attempt < self.retry.attempts
                and (
                    not may_have_left
                    or (kind == "read" and (replayable or status in REFUSED_UNPROCESSED))
                )
            )
            if can_retry and retry_after is not None and retry_after > self.retry.retry_after_cap:
                can_retry = False
            pause = (
                retry_after if retry_after is not None else self.retry.delay(attempt, self._rand())
            )
            left = _cap_left()
            if can_retry and left is not None and left <= pause:
                can_retry = False  # no time for another try under the caller's deadline
            if not can_retry:
                log.info("%s %s failed: %s", request.method, shown, failure.message)
                raise failure
            log.info(
                "%s %s failed (%s); retry %d/%d in %.2fs",
                request.method,
                shown,
                failure.message,
                attempt,
                self.retry.attempts - 1,
                pause,
            )
            self._sleep(pause)

    def _check_headers(self, headers: Mapping[str, str]) -> None:
        """HTTP headers carry Latin-1 only: refuse anything else before a
        request leaves, naming the setting that holds it."""
        for name, value in headers.items():
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                pass
            else:
                continue
            bad = "".join(sorted({c for c in value if ord(c) > 0xFF}))
            for setting, secret in self._secret_settings.items():
                if secret and secret in value:
                    raise ConfigurationError(
                        f"setting {setting!r} holds {len(bad)} character(s) an HTTP header "
                        "cannot carry (outside Latin-1, such as ş or ğ), and "
                        f"{self.provider} takes it in a header: check the value (credentials "
                        "are usually plain ASCII)",
                        setting=setting,
                        provider=self.provider,
                    )
            raise InvalidContent(
                f"the HTTP header {name!r} would carry characters outside Latin-1 "
                f"({', '.join(f'U+{ord(c):04X}' for c in bad)}); nothing was sent",
                provider=self.provider,
            )

    def _once(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, kind: Kind
    ) -> HttpResponse:
        """One request under its total deadline (:class:`_DeadlinePassed` past it)."""
        budget = self.timeout.deadline
        timeout = self._request_timeout
        left = _cap_left()
        if left is not None:
            budget = max(min(budget, left), 0.001)
            timeout = _request_timeout(self.timeout, budget)
        deadline = _WATCHDOG.arm(budget)
        _current.deadline = deadline
        try:
            response = self._exchange(method, url, headers, body, timeout)
        except _NOT_SENT:
            raise  # nothing left, whatever the clock says
        except Exception:
            if deadline.fired:
                raise _DeadlinePassed(budget) from None
            raise
        finally:
            _current.deadline = None
            _WATCHDOG.disarm(deadline)
        if deadline.fired:  # the answer may have been cut short by the watchdog
            raise _DeadlinePassed(budget)
        return response

    def _exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeout: urllib3.Timeout,
    ) -> HttpResponse:
        # urlopen itself: request() would copy the headers into an HTTPHeaderDict
        # (and urllib3 copy that again) only to send them as they are
        found = self._targets.get(url)
        # a pool closed under the transport (urllib3 versions whose manager
        # closes the pools it drops) is looked up again, as the manager would
        if (found is None or found[0].pool is None) and self._direct and "?" not in url:
            found = self._target(url)
        if found is None:
            urlopen, target = self._pool.urlopen, url
        else:
            # the pool and request target the manager's urlopen would pick,
            # without parsing the URL and looking its pool up again
            pool, target = found
            urlopen = pool.urlopen
        resp = urlopen(
            method.upper(),
            target,
            body=body,
            headers=headers,
            redirect=False,
            assert_same_host=False,  # what the manager passes to its pool
            retries=_NO_RETRIES,
            preload_content=False,
            timeout=timeout,
        )
        with self._started_lock:
            self._started += 1
        limit = self.max_response_bytes
        try:
            length = resp.length_remaining
            if length is not None and length <= limit and "content-encoding" not in resp.headers:
                # a declared length within the cap and nothing to decompress:
                # read exactly that length at once (a short body still raises)
                data = resp.read(decode_content=True)
            else:
                data = resp.read(limit + 1, decode_content=True)
                if len(data) > limit:
                    raise _ResponseTooLarge(limit, resp.status)
                # drain anything left so that a short read of a truncated body is
                # detected (nothing to drain when the whole declared length was read)
                rest = b"" if resp.length_remaining == 0 else resp.read(decode_content=True)
                if rest:
                    data += rest
                    if len(data) > limit:
                        raise _ResponseTooLarge(limit, resp.status)
        finally:
            resp.release_conn()
        return HttpResponse(
            status=resp.status,
            headers={k.lower(): v for k, v in resp.headers.items()},
            body=data,
            provider=self.provider,
        )

    def _target(self, url: str) -> tuple[HTTPConnectionPool, str] | None:
        """The connection pool and request target (path and query) of a URL,
        as the pool manager's urlopen picks them, remembered for the next
        request to it (``None``: left to the manager)."""
        parsed = parse_url(url)
        if parsed.scheme is None:
            return None  # the manager warns about it
        pool = self._pool.connection_from_host(parsed.host, port=parsed.port, scheme=parsed.scheme)
        targets = self._targets
        if len(targets) >= _TARGETS:
            targets.clear()
        found = targets[url] = (pool, parsed.request_uri)
        return found

    def _judge(
        self, response: HttpResponse, kind: Kind, client_ref: str | None
    ) -> tuple[IletiError | None, float | None]:
        """Decide whether an HTTP answer is the plugin's to read, or a failure."""
        status = response.status
        if 300 <= status < 400:
            location = self.redactor.text(response.headers.get("location", "(none)"))
            if kind == "send":
                # a gateway may process a form and then redirect (post/redirect/get)
                reason = f"the provider answered a redirect ({status}) to {location}"
                return self._unknown(reason, client_ref, response), None
            return (
                ConfigurationError(
                    f"the provider answered a redirect ({status}) to {location}; redirects are "
                    "not followed: point base_url at the final address",
                    setting="base_url",
                    provider=self.provider,
                    http_status=status,
                ),
                None,
            )
        if kind == "send" and status == 429:
            # the server says it did not process the request: nothing was sent
            return self._rate_limited(response), _retry_after(response.headers.get("retry-after"))
        if kind == "send" and status >= 500:
            return self._unknown(f"the provider answered HTTP {status}", client_ref, response), None
        if kind == "read" and status in READ_RETRY_STATUSES:
            retry_after = _retry_after(response.headers.get("retry-after"))
            error: IletiError
            if status == 429:
                error = self._rate_limited(response)
            else:
                error = TransportError(
                    f"the provider (or a proxy) is unavailable: HTTP {status}",
                    provider=self.provider,
                    http_status=status,
                    excerpt=self._excerpt(response),
                )
            return error, retry_after
        return None, None

    def _rate_limited(self, response: HttpResponse) -> RateLimited:
        return RateLimited(
            "the provider is rate limiting this account (HTTP 429); it did not process the request",
            provider=self.provider,
            http_status=response.status,
            excerpt=self._excerpt(response),
        )

    def _excerpt(self, response: HttpResponse) -> str | None:
        return excerpt(self.redactor.text(response.body.decode("utf-8", "replace")))

    def _unknown(
        self, reason: str, client_ref: str | None, response: HttpResponse | None = None
    ) -> DeliveryUnknown:
        return DeliveryUnknown(
            f"the send failed after its request left ({reason})",
            client_ref=client_ref,
            provider=self.provider,
            http_status=response.status if response else None,
            excerpt=self._excerpt(response) if response else None,
        )

    def _too_large(self, limit: int, status: int, kind: Kind, client_ref: str | None) -> IletiError:
        reason = f"the answer is larger than {limit} bytes"
        if kind == "send":
            return self._unknown(reason, client_ref)
        return MalformedResponse(reason, provider=self.provider, http_status=status)

    def _describe(self, exc: BaseException) -> str:
        """A short, redacted description of a urllib3 / socket failure."""
        # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first
        if isinstance(exc, NewConnectionError):
            text = str(exc).lower()
            if "name or service" in text or "resolution" in text or "nodename" in text:
                what = "the host name could not be resolved"
            elif "refused" in text:
                what = "connection refused"
            elif "timed out" in text:
                what = "connect timeout"
            else:
                what = "the connection could not be opened"
        elif isinstance(exc, ConnectTimeoutError):
            what = "connect timeout"
        elif isinstance(exc, _DeadlinePassed):
            what = f"no complete answer within the total deadline of {exc.seconds:g}s"
        elif isinstance(exc, ReadTimeoutError):
            what = f"no answer within {self.timeout.read:g}s (read timeout)"
        elif isinstance(exc, SSLError):
            what = "TLS handshake failed (certificate or protocol)"
        elif isinstance(exc, ProtocolError):
            text = str(exc).lower()
            if "reset" in text:
                what = "the connection was reset"
            elif "incomplete" in text or "ended prematurely" in text:
                what = "the answer was cut short"
            else:
                what = "the connection broke before a full answer"
        else:
            what = type(exc).__name__
        return self.redactor.text(what)


def _request_timeout(timeout: Timeout, budget: float | None = None) -> urllib3.Timeout:
    """urllib3's timeouts for one request: no single wait outlasts its total
    deadline, or ``budget`` when a caller's deadline leaves less. (urllib3
    copies the object for each request, so one serves every request that
    has no such budget.)"""
    limit = timeout.deadline if budget is None else budget
    return urllib3.Timeout(connect=min(timeout.connect, limit), read=min(timeout.read, limit))


def _pool_manager(
    timeout: Timeout, proxy: str | None, ca_bundle: str | None, pool_size: int
) -> Any:
    """urllib3's pool: direct, or through ``proxy`` (whose password, if any, is
    registered for redaction); ``ca_bundle`` replaces the system's CAs. No
    single wait may outlast the request's total deadline."""
    kw: dict[str, Any] = {
        "num_pools": 4,
        "maxsize": pool_size,
        "block": False,
        "retries": False,
        "timeout": _request_timeout(timeout),
    }
    if ca_bundle is not None:
        kw["ca_certs"] = ca_bundle
    if proxy is None:
        pool = urllib3.PoolManager(**kw)
    else:
        parsed = urllib3.util.parse_url(proxy)
        if parsed.auth:
            kw["proxy_headers"] = urllib3.make_headers(proxy_basic_auth=parsed.auth)
        pool = urllib3.ProxyManager(parsed._replace(auth=None).url, **kw)
        if parsed.auth:  # masked while the pool that sends them lives
            register_secrets([parsed.auth, parsed.auth.partition(":")[2]], owner=pool)
    # connections the deadline watchdog can close (see _HTTPPool)
    pool.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return pool


class _ResponseTooLarge(Exception):
    def __init__(self, limit: int, status: int) -> None:
        super().__init__(limit)
        self.limit = limit
        self.status = status


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
