"""Every request has a total deadline, however the server spaces its bytes;
and the transport's one rule for redirects and 429 answers to a send."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import ileti
from ileti import host
from ileti.emulation import Fault, FaultProxy, FaultSpec, VirtualClock, serve
from ileti.errors import DeliveryUnknown, RateLimited, TransportError
from ileti.http import HttpRequest, RetryPolicy, Timeout
from ileti.transport import Transport

ONCE = RetryPolicy(attempts=1)


@pytest.fixture
def emulator() -> Any:
    return host.load_provider("testprov").plugin.provider_emulator(clock=VirtualClock())


class _Trickle:
    """A loopback server that reads a request, then writes ``answer`` one
    byte every ``interval`` seconds (head and body alike)."""

    def __init__(self, answer: bytes, interval: float = 0.2) -> None:
        self.answer = answer
        self.interval = interval
        self.requests = 0
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                self.requests += 1
                try:
                    for i in range(len(self.answer)):
                        if self._stop.wait(self.interval):
                            break
                        conn.sendall(self.answer[i : i + 1])
                except OSError:
                    pass  # the client hung up: what the deadline is for

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()


@pytest.fixture
def trickle() -> Iterator[Callable[[bytes], _Trickle]]:
    made: list[_Trickle] = []

    def make(answer: bytes) -> _Trickle:
        made.append(_Trickle(answer))
        return made[-1]

    yield make
    for server in made:
        server.close()


BODY = b'{"ok": true, "padding": "' + b"x" * 100 + b'"}'
WITH_LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
# no Content-Length: the body ends when the connection closes
UNTIL_CLOSE = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + BODY


def _timed(call: Callable[[], object]) -> tuple[BaseException | None, float]:
    began = time.monotonic()
    try:
        call()
    except Exception as exc:
        return exc, time.monotonic() - began
    return None, time.monotonic() - began


def test_the_default_deadline_is_connect_plus_read() -> None:
    assert Timeout(connect=2, read=3).deadline == 5
    assert Timeout(connect=2, read=3, total=4).deadline == 4
    assert Timeout.of(2).deadline == 4
    with pytest.raises(ileti.ConfigurationError, match="positive"):
        Timeout(total=0)
    with pytest.raises(ileti.ConfigurationError, match="positive"):
        Timeout(total=float("inf"))


@pytest.mark.parametrize("answer", [WITH_LENGTH, UNTIL_CLOSE], ids=["length", "until-close"])
def test_a_read_from_a_server_dripping_every_byte_ends_at_the_deadline(
    trickle: Callable[[bytes], _Trickle], answer: bytes
) -> None:
    server = trickle(answer)  # about 30 s to send it all, one byte each 0.2 s
    transport = Transport("t", server.base_url, timeout=Timeout(2, 1, total=1.5), retry=ONCE)
    error, took = _timed(lambda: transport.read(HttpRequest("GET", "/balance")))
    assert isinstance(error, TransportError), error
    assert "total deadline of 1.5s" in str(error)
    assert took < 3.0
    assert server.requests == 1


def test_a_read_past_its_deadline_is_retried_within_the_bound(
    trickle: Callable[[bytes], _Trickle],
) -> None:
    server = trickle(WITH_LENGTH)
    transport = Transport(
        "t",
        server.base_url,
        timeout=Timeout(2, 1, total=0.6),
        retry=RetryPolicy(attempts=2, backoff=0.0),
    )
    error, took = _timed(lambda: transport.read(HttpRequest("GET", "/balance")))
    assert isinstance(error, TransportError)
    assert server.requests == 2
    assert took < 3.0


def test_a_send_past_its_deadline_is_delivery_unknown_and_not_replayed(
    trickle: Callable[[bytes], _Trickle],
) -> None:
    server = trickle(UNTIL_CLOSE)
    transport = Transport("t", server.base_url, timeout=Timeout(2, 1, total=1.0))
    error, took = _timed(
        lambda: transport.send(HttpRequest("POST", "/send", body=b"x"), client_ref="ref-9")
    )
    assert isinstance(error, DeliveryUnknown), error
    assert error.client_ref == "ref-9"
    assert error.__context__ is None
    assert took < 2.5
    assert server.requests == 1


def test_a_client_send_through_a_dripping_proxy_ends_at_the_deadline(emulator: Any) -> None:
    with serve(emulator) as srv, FaultProxy(srv.base_url, drip_interval=0.5) as proxy:
        proxy.set_faults(Fault.DRIP)
        client = ileti.Client(
            "testprov",
            base_url=proxy.base_url,
            timeout=Timeout(connect=2, read=5, total=1),
            **emulator.credentials(),
        )
        error, took = _timed(lambda: client.send("05321112233", "hello"))
        assert isinstance(error, DeliveryUnknown)
        assert took < 2.5
        assert proxy.request_count == 1
        # the pool still works after the watchdog cut a connection
        assert client.balance().amount is not None


def test_many_threads_share_the_watchdog(trickle: Callable[[bytes], _Trickle]) -> None:
    server = trickle(WITH_LENGTH)
    transport = Transport("t", server.base_url, timeout=Timeout(2, 1, total=0.8), retry=ONCE)
    errors: list[BaseException | None] = []

    def one() -> None:
        errors.append(_timed(lambda: transport.read(HttpRequest("GET", "/")))[0])

    began = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(e, TransportError) for e in errors)
    assert time.monotonic() - began < 5.0  # the server answers one client at a time


# -- redirects and 429 on a send: one rule, in the transport ------------------------


def test_a_redirect_answering_a_send_is_delivery_unknown(emulator: Any) -> None:
    with serve(emulator) as srv, FaultProxy(srv.base_url) as proxy:
        proxy.set_faults(FaultSpec.http_status(302, headers=[("Location", "/done")]))
        client = ileti.Client("testprov", base_url=proxy.base_url, **emulator.credentials())
        with pytest.raises(DeliveryUnknown, match="redirect") as info:
            client.send("05321112233", "hello", client_ref="ref-302")
        assert info.value.client_ref == "ref-302"
        assert info.value.http_status == 302
        assert proxy.request_count == 1


def test_a_429_answering_a_send_is_rate_limited_and_not_replayed(emulator: Any) -> None:
    with serve(emulator) as srv, FaultProxy(srv.base_url) as proxy:
        proxy.set_faults(FaultSpec.http_status(429, retry_after=1))
        client = ileti.Client("testprov", base_url=proxy.base_url, **emulator.credentials())
        with pytest.raises(RateLimited, match="429") as info:
            client.send("05321112233", "hello")
        assert info.value.retryable
        assert proxy.request_count == 1


# -- the connection pool -------------------------------------------------------------


def test_pool_size_is_validated_and_sizes_the_pool(emulator: Any) -> None:
    for bad in (0, -1, 2.5, True, "8"):
        with pytest.raises(ileti.ConfigurationError, match="pool_size") as info:
            ileti.Client("testprov", pool_size=bad, **emulator.credentials())
        assert info.value.setting == "pool_size"
    with pytest.raises(ileti.ConfigurationError, match="pool_size"):
        ileti.Client.from_env("testprov", env={}, pool_size=0, **emulator.credentials())
    client = ileti.Client.from_env("testprov", env={}, pool_size=32, **emulator.credentials())
    assert client.transport.pool_size == 32
    assert ileti.Client("testprov", **emulator.credentials()).transport.pool_size == 8


def test_a_pool_sized_to_the_threads_logs_no_full_pool(
    emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with serve(emulator) as srv:
        client = ileti.Client(
            "testprov", base_url=srv.base_url, pool_size=16, **emulator.credentials()
        )
        barrier = threading.Barrier(16)

        def work() -> None:
            barrier.wait()
            for _ in range(5):
                client.balance()

        with caplog.at_level("WARNING", logger="urllib3"):
            threads = [threading.Thread(target=work) for _ in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
        assert client.transport.requests_started == len(emulator.received)


def test_requests_started_counts_every_request_under_threads(emulator: Any) -> None:
    # a plain `+=` from many threads loses counts; the counter takes a lock
    with serve(emulator) as srv:
        client = ileti.Client(
            "testprov", base_url=srv.base_url, pool_size=8, **emulator.credentials()
        )
        threads = [
            threading.Thread(target=lambda: [client.balance() for _ in range(25)]) for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # the client's count agrees with the requests the emulator received
        assert client.transport.requests_started == len(emulator.received) >= 200


def test_a_call_deadline_bounds_a_call_with_its_retries(
    trickle: Callable[[bytes], _Trickle],
) -> None:
    server = trickle(WITH_LENGTH)
    client = ileti.Client("testprov", base_url=server.base_url, api_key="k")  # 35 s per request
    began = time.monotonic()
    with client.deadline(1.0), pytest.raises(TransportError, match="total deadline"):
        client.balance()
    assert time.monotonic() - began < 2.0
    assert server.requests == 1  # no time left for a retry
    with client.deadline(5.0), client.deadline(0.5):  # the earliest end wins
        error, took = _timed(client.balance)
    assert isinstance(error, TransportError)
    assert took < 1.5


def test_a_call_deadline_that_passed_sends_nothing(emulator: Any) -> None:
    with serve(emulator) as srv, FaultProxy(srv.base_url) as proxy:
        client = ileti.Client("testprov", base_url=proxy.base_url, **emulator.credentials())
        with client.deadline(0.01):
            time.sleep(0.05)
            with pytest.raises(TransportError, match="nothing was sent"):
                client.send("05321112233", "hello")
        assert proxy.request_count == 0
        with pytest.raises(ileti.ConfigurationError), client.deadline(0):
            pass
