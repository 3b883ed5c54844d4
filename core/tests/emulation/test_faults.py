"""FaultProxy: every fault as a client sees it, over real loopback sockets."""

from __future__ import annotations

import errno
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import urllib3

from ileti.emulation import (
    EmulatorBase,
    EmulatorRequest,
    EmulatorResponse,
    Fault,
    FaultProxy,
    FaultSpec,
    ServedApp,
    refused_url,
    route,
    serve,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Fetch = Callable[..., Any]


class Upstream(EmulatorBase):
    @route("POST", "/send")
    def send(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.json({"echo": request.json()})

    @route("GET", "/status")
    def status(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.json({"ok": True}, headers=[("X-Upstream", "yes")])


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def served(upstream: Upstream) -> Iterator[ServedApp]:
    with serve(upstream) as served:
        yield served


@pytest.fixture
def proxy(served: ServedApp) -> Iterator[FaultProxy]:
    with FaultProxy(served.base_url, hang_seconds=3.0, drip_interval=0.02) as proxy:
        yield proxy


def connect(proxy: FaultProxy, timeout: float = 3.0) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(proxy.host, proxy.port, timeout=timeout)


def post(conn: http.client.HTTPConnection, payload: object) -> http.client.HTTPResponse:
    body = json.dumps(payload)
    conn.request("POST", "/send", body=body, headers={"Content-Type": "application/json"})
    return conn.getresponse()


# ---------------------------------------------------------------------------- PASS


def test_pass_forwards_and_relays(proxy: FaultProxy, upstream: Upstream, fetch: Fetch) -> None:
    assert proxy.fault is Fault.PASS
    reply = fetch(proxy.base_url, "POST", "/send", '{"to": "+90555"}', {"X-Trace": "t1"})
    assert reply.status == 200
    assert json.loads(reply.body) == {"echo": {"to": "+90555"}}
    assert proxy.request_count == 1
    raw = proxy.requests[0]
    assert raw.startswith(b"POST /send HTTP/1.1\r\n")
    assert raw.endswith(b'\r\n\r\n{"to": "+90555"}')
    (seen,) = upstream.received
    assert seen.header("x-trace") == "t1"
    assert seen.header("connection") == "close"
    assert seen.body == b'{"to": "+90555"}'
    reply = fetch(proxy.base_url, "GET", "/status")
    assert reply.headers["x-upstream"] == "yes"


def test_pass_keeps_an_upstream_path_prefix_and_strips_absolute_targets(fetch: Fetch) -> None:
    def where(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = f"{environ['PATH_INFO']}?{environ['QUERY_STRING']}".encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    with serve(where) as app, FaultProxy(app.base_url + "/api/") as proxy:
        assert fetch(proxy.base_url, "GET", "/v1/x?a=1").body == b"/api/v1/x?a=1"
        absolute = "http://elsewhere.invalid/v2/y?b=2"
        assert fetch(proxy.base_url, "GET", absolute).body == b"/api/v2/y?b=2"


def test_pass_without_upstream_is_a_502(fetch: Fetch) -> None:
    with FaultProxy() as proxy:
        reply = fetch(proxy.base_url, "GET", "/")
    assert reply.status == 502
    assert b"no upstream" in reply.body


def test_pass_to_a_refusing_upstream_is_a_502(fetch: Fetch) -> None:
    with FaultProxy(refused_url()) as proxy:
        reply = fetch(proxy.base_url, "GET", "/")
    assert (reply.status, reply.body) == (502, b"upstream unreachable\n")
    assert proxy.request_count == 1


def test_chunked_requests_are_read_whole_and_forwarded_with_a_length(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    conn = connect(proxy)
    conn.request(
        "POST",
        "/send",
        body=iter([b'{"to": ', b'"+90"', b"}"]),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert json.loads(response.read()) == {"echo": {"to": "+90"}}
    conn.close()
    assert b"Transfer-Encoding: chunked" in proxy.requests[0]
    assert proxy.request_count == 1
    assert upstream.received[0].header("content-length") == "13"
    assert upstream.received[0].header("transfer-encoding") is None


# ---------------------------------------------------------------------------- faults


def test_hang_triggers_the_client_read_timeout(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.fault = Fault.HANG
    conn = connect(proxy, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        post(conn, {"to": "+90"})
    elapsed = time.monotonic() - start
    conn.close()
    assert 0.4 < elapsed < 2.0
    assert proxy.request_count == 1
    assert upstream.received == []


def test_hang_ends_by_closing_after_hang_seconds(served: ServedApp) -> None:
    with FaultProxy(served.base_url, hang_seconds=0.3) as proxy:
        proxy.fault = Fault.HANG
        conn = connect(proxy, timeout=5)
        start = time.monotonic()
        with pytest.raises(http.client.RemoteDisconnected):
            post(conn, {})
        assert 0.25 < time.monotonic() - start < 2.0
        conn.close()


def test_close_unblocks_a_hanging_handler(served: ServedApp) -> None:
    proxy = FaultProxy(served.base_url, hang_seconds=30.0)
    proxy.fault = Fault.HANG
    outcome: list[BaseException] = []

    def client() -> None:
        conn = connect(proxy, timeout=10)
        try:
            post(conn, {})
        except BaseException as exc:
            outcome.append(exc)
        finally:
            conn.close()

    thread = threading.Thread(target=client)
    thread.start()
    deadline = time.monotonic() + 5
    while proxy.request_count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proxy.request_count == 1
    start = time.monotonic()
    proxy.close()
    thread.join(5)
    assert time.monotonic() - start < 2.0
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConnectionError)  # RemoteDisconnected or reset, not a timeout


def test_reset_after_reading_the_request(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.fault = Fault.RESET
    conn = connect(proxy)
    with pytest.raises(ConnectionResetError) as caught:
        post(conn, {"to": "+90"})
    conn.close()
    # a real RST, not a clean close (http.client's RemoteDisconnected subclasses the same error)
    assert not isinstance(caught.value, http.client.RemoteDisconnected)
    assert caught.value.errno == errno.ECONNRESET
    assert proxy.request_count == 1
    assert proxy.requests[0].endswith(b'{"to": "+90"}')
    assert upstream.received == []


def test_http_500_is_plain_text(proxy: FaultProxy) -> None:
    proxy.fault = Fault.HTTP_500
    conn = connect(proxy)
    response = post(conn, {})
    body = response.read()
    conn.close()
    assert response.status == 500
    assert response.getheader("Content-Type", "").startswith("text/plain")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_html_is_a_502_proxy_page(proxy: FaultProxy) -> None:
    proxy.fault = Fault.HTML
    conn = connect(proxy)
    response = post(conn, {})
    body = response.read()
    conn.close()
    assert response.status == 502
    assert response.getheader("Content-Type", "").startswith("text/html")
    assert b"<html>" in body
    assert b"502 Bad Gateway" in body


def test_garbage_claims_json_but_is_not(proxy: FaultProxy) -> None:
    proxy.fault = Fault.GARBAGE
    bodies = []
    for _ in range(2):
        conn = connect(proxy)
        response = post(conn, {})
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        bodies.append(response.read())
        conn.close()
    for body in bodies:
        assert len(body) == 64
        with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)):
            json.loads(body)
        with pytest.raises(UnicodeDecodeError):  # not even text
            body.decode("utf-8")
    assert bodies[0] != bodies[1]


def test_truncated_body_is_an_incomplete_read(proxy: FaultProxy) -> None:
    proxy.fault = Fault.TRUNCATED
    conn = connect(proxy)
    response = post(conn, {})
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    conn.close()
    assert caught.value.expected == 100
    assert caught.value.partial.startswith(b'{"status"')


def test_truncated_body_as_urllib3_sees_it(proxy: FaultProxy) -> None:
    proxy.fault = Fault.TRUNCATED
    with (
        urllib3.PoolManager(retries=False, timeout=3) as pool,
        pytest.raises(urllib3.exceptions.ProtocolError, match="IncompleteRead"),
    ):
        pool.request("GET", proxy.base_url + "/status")
    assert proxy.request_count == 1


def test_drip_sends_one_byte_at_a_time(served: ServedApp) -> None:
    with FaultProxy(served.base_url, drip_interval=0.03) as proxy:
        proxy.fault = Fault.DRIP
        with socket.create_connection((proxy.host, proxy.port), timeout=0.5) as sock:
            sock.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
            start = time.monotonic()
            received = b""
            while b"\r\n\r\n" not in received:
                received += sock.recv(4096)
            head, _, body = received.partition(b"\r\n\r\n")
            reads = 0
            while chunk := sock.recv(4096):  # each read is well inside the 0.5 s timeout
                body += chunk
                reads += 1
            elapsed = time.monotonic() - start
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    assert len(body) == length == 30
    assert json.loads(body) == {"status": "OK", "drip": True}
    assert elapsed >= 30 * 0.03 * 0.9
    assert reads >= 20  # bytes came separately, not in one write


def test_close_without_an_answer(proxy: FaultProxy) -> None:
    proxy.fault = Fault.CLOSE
    conn = connect(proxy)
    with pytest.raises(http.client.RemoteDisconnected):
        post(conn, {})
    conn.close()
    assert proxy.request_count == 1


def test_status_fault_with_retry_after(proxy: FaultProxy, fetch: Fetch) -> None:
    proxy.fault = 503
    reply = fetch(proxy.base_url, "GET", "/status")
    assert (reply.status, reply.body) == (503, b"503 Service Unavailable\n")
    proxy.fault = FaultSpec.http_status(429, retry_after=2.0, body=b'{"error": "slow down"}')
    reply = fetch(proxy.base_url, "GET", "/status")
    assert reply.status == 429
    assert reply.headers["retry-after"] == "2"
    assert json.loads(reply.body) == {"error": "slow down"}
    assert proxy.fault is Fault.STATUS
    assert proxy.default_fault.status == 429


def test_canned_answers_take_extra_headers_and_bodies(proxy: FaultProxy, fetch: Fetch) -> None:
    proxy.fault = FaultSpec(
        Fault.HTML, headers=(("Server", "cloudflare"),), body=b"<html>cf</html>"
    )
    reply = fetch(proxy.base_url, "GET", "/status")
    assert (reply.status, reply.body, reply.headers["server"]) == (
        502,
        b"<html>cf</html>",
        "cloudflare",
    )


# ---------------------------------------------------------------- counting and sequencing


@pytest.mark.parametrize("fault", list(Fault))
def test_each_client_request_is_counted_exactly_once(
    proxy: FaultProxy, upstream: Upstream, fault: Fault
) -> None:
    proxy.fault = 503 if fault is Fault.STATUS else fault
    conn = connect(proxy, timeout=0.3)
    try:
        response = post(conn, {"n": 1})
        response.read()
    except (OSError, http.client.HTTPException):
        pass  # the faults that break the exchange are checked one by one above
    finally:
        conn.close()
    assert proxy.request_count == 1
    assert len(proxy.requests) == 1
    assert proxy.applied_faults == [FaultSpec.of(proxy.default_fault)]
    assert len(upstream.received) == (1 if fault is Fault.PASS else 0)


def test_connections_without_a_full_request_are_not_counted(proxy: FaultProxy) -> None:
    with socket.create_connection((proxy.host, proxy.port), timeout=2):
        pass
    with socket.create_connection((proxy.host, proxy.port), timeout=2) as sock:
        sock.sendall(b"POST /send HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}")
    with socket.create_connection((proxy.host, proxy.port), timeout=2) as sock:
        sock.sendall(b"GET /status HTTP/1.1\r\nHost")
    # a complete request afterwards is the first one counted
    conn = connect(proxy)
    conn.request("GET", "/status")
    assert conn.getresponse().status == 200
    conn.close()
    assert proxy.request_count == 1
    assert proxy.requests[0].startswith(b"GET /status ")


def test_malformed_requests_get_a_400(proxy: FaultProxy) -> None:
    with socket.create_connection((proxy.host, proxy.port), timeout=2) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert proxy.request_count == 0


def test_set_faults_are_used_once_each_then_the_default(
    proxy: FaultProxy, upstream: Upstream, fetch: Fetch
) -> None:
    proxy.set_faults(503, FaultSpec.http_status(503, retry_after=1))
    queued = proxy.pending_faults
    first = fetch(proxy.base_url, "GET", "/status")
    second = fetch(proxy.base_url, "GET", "/status")
    third = fetch(proxy.base_url, "GET", "/status")
    assert [first.status, second.status, third.status] == [503, 503, 200]
    assert "retry-after" not in first.headers
    assert second.headers["retry-after"] == "1"
    left = proxy.pending_faults
    assert [f.status for f in queued] == [503, 503]
    assert left == ()
    assert proxy.request_count == 3
    assert len(upstream.received) == 1
    assert [f.kind for f in proxy.applied_faults] == [Fault.STATUS, Fault.STATUS, Fault.PASS]


def test_set_faults_mixes_kinds_and_replaces_the_queue(proxy: FaultProxy, fetch: Fetch) -> None:
    proxy.set_faults(Fault.HTTP_500, Fault.HTTP_500, Fault.HTTP_500)
    proxy.set_faults(Fault.CLOSE, Fault.PASS)
    proxy.fault = Fault.HTML
    with pytest.raises(http.client.RemoteDisconnected):
        fetch(proxy.base_url, "GET", "/status")
    assert fetch(proxy.base_url, "GET", "/status").status == 200
    assert fetch(proxy.base_url, "GET", "/status").status == 502
    assert fetch(proxy.base_url, "GET", "/status").status == 502
    assert proxy.request_count == 4


# ---------------------------------------------------------------------------- validation


def test_fault_spec_validation() -> None:
    with pytest.raises(ValueError, match="needs a status"):
        FaultSpec(Fault.STATUS)
    with pytest.raises(ValueError, match="needs a status"):
        FaultSpec.http_status(99)
    with pytest.raises(ValueError, match=r"only Fault\.STATUS takes a status"):
        FaultSpec(Fault.HTTP_500, status=500)
    with pytest.raises(ValueError, match="takes no headers or body"):
        FaultSpec(Fault.HANG, body=b"x")
    with pytest.raises(ValueError, match="invalid header"):
        FaultSpec.http_status(503, headers=[("X-A", "1\r\nSet-Cookie: x")])
    with pytest.raises(TypeError):
        FaultSpec.of(True)
    with pytest.raises(TypeError):
        FaultSpec.of("hang")  # type: ignore[arg-type]
    assert FaultSpec.of(Fault.RESET) == FaultSpec(Fault.RESET)
    assert FaultSpec.of(504) == FaultSpec(Fault.STATUS, status=504)


def test_proxy_refuses_non_loopback_and_non_http() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("http://203.0.113.5:8080")
    with pytest.raises(ValueError, match="http://"):
        FaultProxy("https://127.0.0.1:8443")
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy(host="0.0.0.0")


def test_close_is_idempotent_and_stops_listening(served: ServedApp) -> None:
    proxy = FaultProxy(served.base_url)
    port = proxy.port
    proxy.close()
    proxy.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
