"""serve(), free_port() and refused_url()."""

from __future__ import annotations

import errno
import http.client
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pytest

from ileti.emulation import ServedApp, free_port, refused_url, serve

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Fetch = Callable[..., Any]


def hello(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    body = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "192.168.1.10", "8.8.8.8", "example.com", "::", "::ffff:127.0.0.1", "", "fe80::1"],
)
def test_refuses_hosts_that_are_not_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="only listen on loopback"):
        serve(hello, host=host)


@pytest.mark.parametrize(
    ("host", "bound"), [("localhost", "127.0.0.1"), ("127.0.0.2", "127.0.0.2")]
)
def test_serves_any_wsgi_app_on_loopback(host: str, bound: str, fetch: Fetch) -> None:
    with serve(hello, host=host) as served:
        assert served.host == bound
        assert served.base_url == f"http://{bound}:{served.port}"
        reply = fetch(served.base_url, "POST", "/x/y", b"")
        assert (reply.status, reply.body) == (200, b"POST /x/y")
        assert served.app is hello


def test_serves_on_ipv6_loopback(fetch: Fetch) -> None:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with serve(hello, host="::1") as served:
        assert served.base_url == f"http://[::1]:{served.port}"
        conn = http.client.HTTPConnection("::1", served.port, timeout=5)
        conn.request("GET", "/six")
        assert conn.getresponse().read() == b"GET /six"
        conn.close()


def test_serves_on_a_chosen_port(fetch: Fetch) -> None:
    port = free_port()
    with serve(hello, port=port) as served:
        assert served.port == port
        assert fetch(served.base_url, "GET", "/").status == 200


def test_close_stops_listening_and_is_idempotent() -> None:
    served = serve(hello)
    assert served.wait(0.05) is False  # still serving
    states = [served.closed]
    with served:
        pass
    states.append(served.closed)
    served.close()
    assert states == [False, True]
    assert served.wait(0) is True
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", served.port), timeout=2).close()


def test_a_keep_alive_client_reading_to_eof_does_not_hang() -> None:
    with serve(hello) as served:
        start = time.monotonic()
        with socket.create_connection((served.host, served.port), timeout=3) as sock:
            sock.sendall(b"GET /ka HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
            data = b""
            while chunk := sock.recv(4096):  # a timeout here would raise
                data += chunk
        assert time.monotonic() - start < 2
    assert data.endswith(b"GET /ka")
    assert b"\r\nContent-Length: 7\r\n" in data


def test_serves_concurrent_requests() -> None:
    # a slow request must not hold up a second one: one thread per connection
    gate = threading.Event()

    def slow(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/slow":
            gate.wait(5)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    with serve(slow) as served:
        first = http.client.HTTPConnection(served.host, served.port, timeout=5)
        first.request("GET", "/slow")
        second = http.client.HTTPConnection(served.host, served.port, timeout=2)
        second.request("GET", "/fast")
        assert second.getresponse().read() == b"ok"
        gate.set()
        assert first.getresponse().read() == b"ok"
        first.close()
        second.close()


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 0 < port < 65536
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_refused_url_refuses() -> None:
    url = refused_url()
    assert url.startswith("http://127.0.0.1:")
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert refused_url() != url
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    with pytest.raises(ConnectionRefusedError):
        conn.request("GET", "/")


def test_served_app_repr(fetch: Fetch) -> None:
    served: ServedApp = serve(hello)
    with served:
        assert served.base_url in repr(served)
        assert "serving" in repr(served)
    assert "closed" in repr(served)


def test_the_listen_backlog_holds_64_connections_before_any_is_accepted() -> None:
    """64 clients connecting at once all complete their handshake while the
    server accepts none (socketserver's default backlog of 5 drops the rest,
    which clients see as resets or timeouts)."""
    from ileti.emulation.server import LISTEN_BACKLOG, _QuietHandler, _ThreadingWSGIServer

    assert LISTEN_BACKLOG >= 64
    server = _ThreadingWSGIServer(("127.0.0.1", 0), _QuietHandler)  # never serve_forever
    clients = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(64)]
    try:
        for client in clients:
            client.setblocking(False)
            assert client.connect_ex(server.server_address[:2]) in (0, errno.EINPROGRESS)
        deadline = time.monotonic() + 3
        pending = set(clients)
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], list(pending), [], 0.1)
            pending.difference_update(writable)
        assert not pending, f"{len(pending)} of 64 connections were not taken into the backlog"
        assert all(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for c in clients)
    finally:
        for client in clients:
            client.close()
        server.server_close()


def test_64_concurrent_clients_are_all_answered() -> None:
    barrier = threading.Barrier(64)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def one(port: int) -> None:
        try:
            barrier.wait(5)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/x")
            statuses.append(conn.getresponse().status)
            conn.close()
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    with serve(hello) as served:
        threads = [threading.Thread(target=one, args=(served.port,)) for _ in range(64)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
    assert not errors
    assert statuses == [200] * 64
