"""A loopback TCP proxy that misbehaves on request.

Put a :class:`FaultProxy` between a client and a served emulator to see what
the client does when the gateway hangs, resets the connection after reading
the request, answers 500, an HTML proxy page, garbage, a truncated body, a
slow drip, or closes without a word::

    with serve(emulator) as served, FaultProxy(served.base_url) as proxy:
        proxy.set_faults(503, Fault.RESET)   # first a 503, then a reset, then pass
        client = make_client(base_url=proxy.base_url)
"""

from __future__ import annotations

import contextlib
import enum
import os
import socket
import socketserver
import struct
import sys
import threading
import traceback
from collections import deque
from collections.abc import Iterable
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import attrs

from ileti.emulation.server import http_url, loopback_address

__all__ = ["Fault", "FaultLike", "FaultProxy", "FaultSpec"]

_MAX_HEAD = 64 * 1024
_MAX_BODY = 16 * 1024 * 1024
_HOP_BY_HOP = frozenset(
    {"host", "connection", "keep-alive", "proxy-connection", "transfer-encoding",
     "content-length", "te", "upgrade", "expect"}
)  # fmt: skip


class Fault(enum.Enum):
    """What the proxy does with a request once it has read it in full."""

    PASS = "pass"  # noqa: S105 - forward to the upstream and relay its answer
    HANG = "hang"  # answer nothing until hang_seconds pass or the client leaves
    RESET = "reset"  # close with SO_LINGER 0: the client sees a TCP RST
    HTTP_500 = "http_500"  # a plain-text 500
    HTML = "html"  # a 502 HTML error page, as a reverse proxy would send
    GARBAGE = "garbage"  # 200, application/json, random bytes that are not JSON
    TRUNCATED = "truncated"  # 200 whose Content-Length promises more than is sent
    DRIP = "drip"  # 200 with a valid body sent one byte per drip_interval
    CLOSE = "close"  # close the connection without answering
    STATUS = "status"  # any status, headers and body (see FaultSpec.http_status)


_ANSWERING = frozenset(
    {Fault.STATUS, Fault.HTTP_500, Fault.HTML, Fault.GARBAGE, Fault.TRUNCATED, Fault.DRIP}
)


def _headers(value: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    out = tuple((str(k), str(v)) for k, v in value)
    for name, val in out:
        if any(c in name + val for c in "\r\n") or not name or ":" in name:
            raise ValueError(f"invalid header {name!r}: {val!r}")
    return out


@attrs.frozen
class FaultSpec:
    """One fault with its details.

    ``status`` is for :attr:`Fault.STATUS` only (and required there);
    ``headers`` are added to, and ``body`` replaces, the canned answer of the
    faults that answer (STATUS, HTTP_500, HTML, GARBAGE, TRUNCATED, DRIP).
    """

    kind: Fault
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_headers)
    body: bytes | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind is Fault.STATUS:
            if self.status is None or not 200 <= self.status <= 599:
                raise ValueError(f"Fault.STATUS needs a status from 200 to 599, got {self.status}")
        elif self.status is not None:
            raise ValueError(f"only Fault.STATUS takes a status, not {self.kind}")
        if (self.headers or self.body is not None) and self.kind not in _ANSWERING:
            raise ValueError(f"{self.kind} sends no answer, so it takes no headers or body")

    @classmethod
    def http_status(
        cls,
        status: int,
        *,
        retry_after: float | str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes | None = None,
    ) -> FaultSpec:
        """Answer ``status`` (e.g. 503 with ``retry_after=2``) instead of forwarding."""
        extra = list(headers)
        if retry_after is not None:
            if isinstance(retry_after, float) and retry_after.is_integer():
                retry_after = int(retry_after)
            extra.append(("Retry-After", str(retry_after)))
        return cls(Fault.STATUS, status=status, headers=tuple(extra), body=body)

    @classmethod
    def of(cls, fault: FaultLike) -> FaultSpec:
        """A spec from a :class:`Fault`, a spec, or an int status."""
        if isinstance(fault, FaultSpec):
            return fault
        if isinstance(fault, Fault):
            return cls(fault)
        if isinstance(fault, int) and not isinstance(fault, bool):
            return cls.http_status(fault)
        raise TypeError(f"a fault is a Fault, a FaultSpec or an int status, not {fault!r}")


FaultLike = Fault | FaultSpec | int

_HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n"
    b"</body></html>\n"
)
_TRUNCATED_BODY = b'{"status": "OK", "message_id": "'
_DRIP_BODY = b'{"status": "OK", "drip": true}'


class _Malformed(Exception):
    pass


@attrs.frozen
class _ParsedRequest:
    raw: bytes
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    had_body: bool


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.raw = bytearray()

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def _take(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        self.raw += out
        return out

    def until(self, delim: bytes, limit: int) -> bytes | None:
        while True:
            index = self.buf.find(delim)
            if index >= 0:
                return self._take(index + len(delim))
            if len(self.buf) > limit:
                raise _Malformed("request head too long")
            if not self._fill():
                return None

    def exact(self, n: int) -> bytes | None:
        while len(self.buf) < n:
            if not self._fill():
                return None
        return self._take(n)


def _read_request(sock: socket.socket) -> _ParsedRequest | None:
    """One full request from ``sock``; ``None`` if the client left before finishing."""
    reader = _Reader(sock)
    while True:
        head = reader.until(b"\r\n\r\n", _MAX_HEAD)
        if head is None:
            return None
        if head.strip(b"\r\n"):
            break
        reader.raw.clear()  # stray CRLFs before a request are ignored (RFC 9112 2.2)
    lines = head.lstrip(b"\r\n")[:-4].split(b"\r\n")
    parts = lines[0].decode("latin-1").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _Malformed(f"bad request line {lines[0][:100]!r}")
    method, target, _version = parts
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name.strip():
            raise _Malformed(f"bad header line {line[:100]!r}")
        headers.append((name.strip(), value.strip()))
    fields = {name.lower(): value for name, value in headers}
    if fields.get("expect", "").lower() == "100-continue":
        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = bytearray()
    if "chunked" in fields.get("transfer-encoding", "").lower():
        while True:
            size_line = reader.until(b"\r\n", 1024)
            if size_line is None:
                return None
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _Malformed(f"bad chunk size {size_line[:50]!r}") from None
            if size == 0:
                while (trailer := reader.until(b"\r\n", _MAX_HEAD)) != b"\r\n":
                    if trailer is None:
                        return None
                break
            if len(body) + size > _MAX_BODY:
                raise _Malformed("request body too large")
            chunk = reader.exact(size + 2)
            if chunk is None:
                return None
            if chunk[-2:] != b"\r\n":
                raise _Malformed("chunk not followed by CRLF")
            body += chunk[:-2]
        had_body = True
    elif "content-length" in fields:
        try:
            length = int(fields["content-length"])
        except ValueError:
            raise _Malformed("bad Content-Length") from None
        if not 0 <= length <= _MAX_BODY:
            raise _Malformed("bad Content-Length")
        data = reader.exact(length)
        if data is None:
            return None
        body += data
        had_body = True
    else:
        had_body = False
    return _ParsedRequest(
        raw=bytes(reader.raw),
        method=method,
        target=target,
        headers=tuple(headers),
        body=bytes(body),
        had_body=had_body,
    )


def _response(
    status: int, content_type: str, body: bytes, extra: Iterable[tuple[str, str]] = (),
    *, content_length: int | None = None,
) -> bytes:  # fmt: skip
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}"]
    lines += [f"{k}: {v}" for k, v in extra]
    length = len(body) if content_length is None else content_length
    lines += [f"Content-Length: {length}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def _graceful_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
    sock.close()


class _ProxyServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily,
                 proxy: FaultProxy) -> None:  # fmt: skip
        self.address_family = family
        self.proxy = proxy
        super().__init__(address, _ProxyHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client (or close()) hung up: nothing to report
        traceback.print_exc(file=sys.stderr)


class _ProxyHandler(socketserver.BaseRequestHandler):
    server: _ProxyServer
    request: socket.socket

    def handle(self) -> None:
        self.server.proxy._handle(self.request)


class FaultProxy:
    """A loopback HTTP/1.1 proxy that applies one fault per request.

    Every request is read in full (Content-Length or chunked body), appended
    raw to :attr:`requests`, and then answered according to the next fault
    queued with :meth:`set_faults`, or else :attr:`fault` (default PASS).
    Each connection carries one request and is then closed. :meth:`close`
    unblocks hanging and dripping handlers.
    """

    def __init__(
        self,
        upstream: str | None = None,
        *,
        hang_seconds: float = 30.0,
        drip_interval: float = 0.5,
        host: str = "127.0.0.1",
        port: int = 0,
        upstream_timeout: float = 30.0,
        read_timeout: float = 30.0,
    ) -> None:
        if hang_seconds < 0 or drip_interval < 0:
            raise ValueError("hang_seconds and drip_interval cannot be negative")
        self.upstream = upstream
        self._upstream = None if upstream is None else self._parse_upstream(upstream)
        self.hang_seconds = hang_seconds
        self.drip_interval = drip_interval
        self.upstream_timeout = upstream_timeout
        self.read_timeout = read_timeout
        self.requests: list[bytes] = []
        self.applied_faults: list[FaultSpec] = []
        self._default = FaultSpec(Fault.PASS)
        self._queue: deque[FaultSpec] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._closed = False
        bind_host, family = loopback_address(host)
        self._server = _ProxyServer((bind_host, port), family, self)
        self.host: str = bind_host
        self.port: int = int(self._server.server_address[1])
        self.base_url: str = http_url(bind_host, self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ileti-fault-proxy:{self.port}",
            daemon=True,
        )
        self._thread.start()

    @staticmethod
    def _parse_upstream(upstream: str) -> tuple[str, int, str]:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the upstream must be an http:// URL, not {upstream!r}")
        host, _family = loopback_address(parts.hostname)
        return host, parts.port or 80, parts.path.rstrip("/")

    # ----------------------------------------------------------------- configuration

    @property
    def fault(self) -> Fault:
        """The kind of the default fault, applied when the queue is empty."""
        return self._default.kind

    @fault.setter
    def fault(self, value: FaultLike) -> None:
        spec = FaultSpec.of(value)
        with self._lock:
            self._default = spec

    @property
    def default_fault(self) -> FaultSpec:
        """The default fault with its details."""
        return self._default

    def set_faults(self, *faults: FaultLike) -> None:
        """Queue faults for the next requests, one each, replacing any queue left."""
        specs = [FaultSpec.of(f) for f in faults]
        with self._lock:
            self._queue = deque(specs)

    @property
    def pending_faults(self) -> tuple[FaultSpec, ...]:
        """Queued faults not yet used."""
        with self._lock:
            return tuple(self._queue)

    @property
    def request_count(self) -> int:
        """How many complete requests the proxy has read."""
        with self._lock:
            return len(self.requests)

    # ----------------------------------------------------------------- handling

    def _track(self, sock: socket.socket, *, worker: bool = False) -> bool:
        with self._lock:
            if self._stop.is_set():
                return False
            self._sockets.add(sock)
            if worker:
                self._workers.add(threading.current_thread())
            return True

    def _untrack(self, sock: socket.socket, *, worker: bool = False) -> None:
        with self._lock:
            self._sockets.discard(sock)
            if worker:
                self._workers.discard(threading.current_thread())

    def _record(self, request: _ParsedRequest) -> FaultSpec:
        with self._lock:
            spec = self._queue.popleft() if self._queue else self._default
            self.requests.append(request.raw)
            self.applied_faults.append(spec)
            return spec

    def _handle(self, sock: socket.socket) -> None:
        if not self._track(sock, worker=True):
            sock.close()
            return
        try:
            sock.settimeout(self.read_timeout)
            try:
                request = _read_request(sock)
            except _Malformed as exc:
                sock.sendall(_response(400, "text/plain; charset=utf-8", f"{exc}\n".encode()))
                _graceful_close(sock)
                return
            if request is None:
                sock.close()
                return
            self._apply(self._record(request), sock, request)
        finally:
            self._untrack(sock, worker=True)

    def _apply(self, spec: FaultSpec, sock: socket.socket, request: _ParsedRequest) -> None:
        kind = spec.kind
        if kind is Fault.PASS:
            self._forward(sock, request)
        elif kind is Fault.HANG:
            self._hang(sock)
        elif kind is Fault.RESET:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        elif kind is Fault.CLOSE:
            _graceful_close(sock)
        elif kind is Fault.DRIP:
            self._drip(sock, spec)
        else:
            sock.sendall(self._canned(spec))
            _graceful_close(sock)

    @staticmethod
    def _canned(spec: FaultSpec) -> bytes:
        if spec.kind is Fault.STATUS:
            assert spec.status is not None
            try:
                default = f"{spec.status} {HTTPStatus(spec.status).phrase}\n".encode()
            except ValueError:
                default = f"{spec.status}\n".encode()
            body = default if spec.body is None else spec.body
            return _response(spec.status, "text/plain; charset=utf-8", body, spec.headers)
        if spec.kind is Fault.HTTP_500:
            body = b"Internal Server Error\n" if spec.body is None else spec.body
            return _response(500, "text/plain; charset=utf-8", body, spec.headers)
        if spec.kind is Fault.HTML:
            body = _HTML_PAGE if spec.body is None else spec.body
            return _response(502, "text/html; charset=utf-8", body, spec.headers)
        if spec.kind is Fault.GARBAGE:
            # a NUL and an invalid UTF-8 byte first: never JSON, XML or text
            body = b"\x00\xfe" + os.urandom(62) if spec.body is None else spec.body
            return _response(200, "application/json", body, spec.headers)
        assert spec.kind is Fault.TRUNCATED
        body = _TRUNCATED_BODY if spec.body is None else spec.body
        return _response(
            200, "application/json", body, spec.headers, content_length=len(body) + 100
        )

    def _hang(self, sock: socket.socket) -> None:
        if self.hang_seconds <= 0:
            _graceful_close(sock)
            return
        sock.settimeout(self.hang_seconds)
        try:
            while not self._stop.is_set():
                if not sock.recv(65536):
                    break  # the client (or close()) hung up
        except TimeoutError:
            pass
        except OSError:
            return
        _graceful_close(sock)

    def _drip(self, sock: socket.socket, spec: FaultSpec) -> None:
        body = _DRIP_BODY if spec.body is None else spec.body
        sock.sendall(
            _response(200, "application/json", b"", spec.headers, content_length=len(body))
        )
        for index in range(len(body)):
            if self._stop.wait(self.drip_interval):
                break
            sock.sendall(body[index : index + 1])
        _graceful_close(sock)

    def _forward(self, sock: socket.socket, request: _ParsedRequest) -> None:
        if self._upstream is None:
            sock.sendall(
                _response(502, "text/plain; charset=utf-8", b"FaultProxy has no upstream\n")
            )
            _graceful_close(sock)
            return
        host, port, prefix = self._upstream
        target = request.target
        if "://" in target:  # absolute-form: keep the path and query only
            split = urlsplit(target)
            target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        lines = [f"{request.method} {prefix}{target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in request.headers if k.lower() not in _HOP_BY_HOP]
        lines.append(f"Host: {http_url(host, port).removeprefix('http://')}")
        if request.had_body:
            lines.append(f"Content-Length: {len(request.body)}")
        lines += ["Connection: close", "", ""]
        try:
            upstream = socket.create_connection((host, port), timeout=self.upstream_timeout)
        except OSError:
            sock.sendall(_response(502, "text/plain; charset=utf-8", b"upstream unreachable\n"))
            _graceful_close(sock)
            return
        if not self._track(upstream):
            upstream.close()
            sock.close()
            return
        try:
            with upstream:
                upstream.sendall("\r\n".join(lines).encode("latin-1") + request.body)
                while data := upstream.recv(65536):
                    sock.sendall(data)
        finally:
            self._untrack(upstream)
        _graceful_close(sock)

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Stop accepting, hang up every open connection and join the threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop.set()
            sockets = list(self._sockets)
            workers = list(self._workers)
        self._server.shutdown()
        self._server.server_close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join()
        for worker in workers:
            worker.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<FaultProxy {self.base_url} fault={self.fault.name} upstream={self.upstream}>"
