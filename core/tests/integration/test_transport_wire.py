"""What the transport writes and where: a small request in one write, and
each URL's pool and request target worked out once, as urllib3 would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllib3.connection import HTTPConnection

from ileti.http import HttpRequest
from ileti.transport import _MERGE_LIMIT, Transport, _DeadlineHTTPConnection

# -- one write for a small request ---------------------------------------------------


class _Recording:
    """A socket that keeps what each ``sendall`` wrote."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def sendall(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def settimeout(self, timeout: float | None) -> None:
        pass

    def close(self) -> None:
        pass


def _writes(cls: type[HTTPConnection], body: bytes | None, **kw: Any) -> list[bytes]:
    conn = cls("sms.example", 80)
    sock = _Recording()
    conn.sock = sock
    conn.request("POST", "/v1/send", body=body, **kw)
    return sock.writes


_HEADERS = st.dictionaries(
    st.sampled_from(["Accept", "Content-Type", "Authorization", "Transfer-Encoding", "X-Ref"]),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789 /;=-", min_size=1, max_size=20),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.none() | st.binary(max_size=400),
    headers=_HEADERS,
    chunked=st.booleans(),
)
def test_a_request_writes_what_urllib3_writes(
    body: bytes | None, headers: dict[str, str], chunked: bool
) -> None:
    ours = _writes(_DeadlineHTTPConnection, body, headers=headers, chunked=chunked)
    stock = _writes(HTTPConnection, body, headers=headers, chunked=chunked)
    assert b"".join(ours) == b"".join(stock)
    if body and not chunked and "Transfer-Encoding" not in headers:
        # the header block and the body: one write instead of two
        assert len(stock) == 2
        assert ours == [b"".join(stock)]
    else:  # nothing to merge (no body, or one written chunked): the same writes
        assert ours == stock


@pytest.mark.parametrize("size", [_MERGE_LIMIT, _MERGE_LIMIT + 1])
def test_a_large_body_is_written_after_its_header_block(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    ours = _writes(_DeadlineHTTPConnection, body)
    stock = _writes(HTTPConnection, body)
    assert b"".join(ours) == b"".join(stock)
    assert len(ours) == (1 if size <= _MERGE_LIMIT else 2)


def test_a_connection_is_reused_after_a_merged_write() -> None:
    conn = _DeadlineHTTPConnection("sms.example", 80)
    sock = _Recording()
    conn.sock = sock
    conn.request("POST", "/a", body=b"one")
    conn.send(b"raw bytes")  # nothing held back once the request is written
    assert len(sock.writes) == 2
    assert sock.writes[0].endswith(b"\r\n\r\none")
    assert sock.writes[1] == b"raw bytes"


# -- each URL's pool and request target ----------------------------------------------


class _TargetHandler(BaseHTTPRequestHandler):
    """Answers 204 on a kept-alive connection and keeps each request target."""

    protocol_version = "HTTP/1.1"
    server: _Targets

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append(self.path)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


class _Targets(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TargetHandler)
        self.seen: list[str] = []
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def targets() -> Iterator[_Targets]:
    with _Targets() as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield server
        server.shutdown()


# paths of segments: dot segments, escapes good and bad, a query or a
# fragment inside the path, and any printable text
_PATHS = st.lists(
    st.sampled_from(["..", ".", "", "a", "%41", "%e", "ş", " ", "#f", "?q=1&r", "a;b"])
    | st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"])),
    max_size=6,
).map("/".join)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=_PATHS,
    prefix=st.sampled_from(["", "/api", "/api/v2/"]),
    method=st.sampled_from(["GET", "POST"]),
)
def test_a_remembered_target_is_the_one_urllib3_picks(
    targets: _Targets, path: str, prefix: str, method: str
) -> None:
    base = targets.base_url + prefix
    transport = Transport("testprov", base)
    stock = urllib3.PoolManager()
    request = HttpRequest(method, path, body=b"{}" if method == "POST" else None)
    url = transport.url_for(request)
    try:
        transport.send(request)  # the pool and target worked out
        transport.send(request)  # and remembered
        stock.urlopen(method, url, body=request.body, redirect=False, retries=False)
    finally:
        transport.close()
        stock.clear()
    *ours, theirs = targets.seen[-3:]
    assert ours == [theirs, theirs]
    if "?" not in url:
        assert url in transport._targets or not transport._targets  # closed: forgotten


def test_a_url_with_a_query_is_not_remembered(targets: _Targets) -> None:
    transport = Transport("testprov", targets.base_url)
    try:
        transport.send(HttpRequest("GET", "/status", query={"user": "u", "text": "merhaba"}))
        transport.send(HttpRequest("GET", "/status"))
        assert list(transport._targets) == [targets.base_url + "/status"]
    finally:
        transport.close()
    assert targets.seen[-2:] == ["/status?user=u&text=merhaba", "/status"]


def test_requests_after_close_or_a_closed_pool_go_to_a_new_pool(targets: _Targets) -> None:
    transport = Transport("testprov", targets.base_url)
    request = HttpRequest("POST", "/send", body=b"{}")
    try:
        transport.send(request)
        (first,) = transport._targets.values()
        # a pool closed under the transport (some urllib3 versions close the
        # pools their manager drops): the manager's pool is looked up again
        transport._pool.clear()
        first[0].close()
        transport.send(request)
        (second,) = transport._targets.values()
        assert second[0] is not first[0]
        transport.close()
        assert not transport._targets
        transport.send(request)  # a closed transport's next request, as before
    finally:
        transport.close()
    assert targets.seen[-3:] == ["/send"] * 3


def test_a_transport_through_a_proxy_leaves_targets_to_the_manager(targets: _Targets) -> None:
    transport = Transport("testprov", "http://sms.example", proxy=targets.base_url)
    try:
        transport.send(HttpRequest("POST", "/send", body=b"{}"))
        assert not transport._targets
    finally:
        transport.close()
    assert targets.seen[-1] == "http://sms.example/send"
