"""The transport's retry rules against a server that misbehaves on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import ileti
from ileti import host
from ileti.emulation import Fault, FaultProxy, FaultSpec, VirtualClock, refused_url, serve
from ileti.errors import DeliveryUnknown, MalformedResponse, RateLimited, TransportError
from ileti.http import HttpRequest, RetryPolicy
from ileti.transport import Transport

FAST = RetryPolicy(attempts=3, backoff=0.0)


@pytest.fixture
def emulator() -> Any:
    return host.load_provider("testprov").plugin.provider_emulator(clock=VirtualClock())


@pytest.fixture
def proxy(emulator: Any) -> Iterator[FaultProxy]:
    with serve(emulator) as srv, FaultProxy(srv.base_url, hang_seconds=5, drip_interval=0.3) as p:
        yield p


def make_client(proxy: FaultProxy, emulator: Any) -> ileti.Client:
    return ileti.Client(
        "testprov",
        base_url=proxy.base_url,
        timeout=(2.0, 0.6),
        retry=FAST,
        **emulator.credentials(),
    )


@pytest.mark.parametrize(
    "fault",
    [
        Fault.HANG,
        Fault.RESET,
        Fault.HTTP_500,
        Fault.HTML,
        Fault.GARBAGE,
        Fault.TRUNCATED,
        Fault.CLOSE,
        Fault.DRIP,
        FaultSpec.http_status(503),
    ],
)
def test_a_send_that_may_have_left_is_never_replayed(
    proxy: FaultProxy, emulator: Any, fault: Any
) -> None:
    proxy.set_faults(fault)
    client = make_client(proxy, emulator)
    with pytest.raises(DeliveryUnknown) as info:
        client.send("05321112233", "hello", client_ref="ref-123")
    assert proxy.request_count == 1
    assert info.value.client_ref == "ref-123"
    assert "ref-123" in str(info.value)
    assert info.value.__context__ is None
    assert info.value.__cause__ is None


def test_a_refused_connection_is_retried_then_raises() -> None:
    pauses: list[float] = []
    transport = Transport(
        "t",
        refused_url(),
        retry=RetryPolicy(attempts=4, backoff=0.01),
        sleep=pauses.append,
        rand=lambda: 0.5,
    )
    with pytest.raises(TransportError, match="connection refused.*nothing was sent"):
        transport.send(HttpRequest("POST", "/send"))
    assert pauses == [0.005, 0.01, 0.02]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_reads_retry_then_succeed(proxy: FaultProxy, emulator: Any, status: int) -> None:
    proxy.set_faults(status, status)
    client = make_client(proxy, emulator)
    assert client.balance().amount is not None
    assert proxy.request_count == 3


def test_reads_retry_timeouts_and_resets(proxy: FaultProxy, emulator: Any) -> None:
    proxy.set_faults(Fault.HANG, Fault.RESET)
    client = make_client(proxy, emulator)
    assert client.balance().amount is not None
    assert proxy.request_count == 3


def test_reads_give_up_within_their_bound(proxy: FaultProxy, emulator: Any) -> None:
    proxy.set_faults(503, 503, 503, 503)
    with pytest.raises(TransportError, match="503"):
        make_client(proxy, emulator).balance()
    assert proxy.request_count == 3


def test_retry_after_is_honoured_up_to_a_cap(emulator: Any) -> None:
    with serve(emulator) as srv, FaultProxy(srv.base_url) as proxy:
        pauses: list[float] = []
        transport = Transport(
            "t", proxy.base_url, retry=RetryPolicy(retry_after_cap=10), sleep=pauses.append
        )
        proxy.set_faults(FaultSpec.http_status(429, retry_after=7))
        response = transport.read(
            HttpRequest("GET", "/balance", headers={"X-Api-Key": emulator.KEY})
        )
        assert response.status == 200
        assert pauses == [7.0]
        proxy.set_faults(FaultSpec.http_status(429, retry_after=60))
        with pytest.raises(RateLimited):
            transport.read(HttpRequest("GET", "/balance"))
        assert pauses == [7.0]


def test_redirects_are_not_followed(emulator: Any) -> None:
    with serve(emulator) as srv, FaultProxy(srv.base_url) as proxy:
        proxy.set_faults(FaultSpec.http_status(301, headers=[("Location", "https://elsewhere/")]))
        with pytest.raises(ileti.ConfigurationError, match="redirect"):
            make_client(proxy, emulator).balance()
        assert proxy.request_count == 1


def test_large_answers_are_capped(emulator: Any) -> None:
    with serve(emulator) as srv, FaultProxy(srv.base_url) as proxy:
        proxy.set_faults(FaultSpec.http_status(200, body=b"x" * 5000))
        transport = Transport("t", proxy.base_url, max_response_bytes=1000)
        with pytest.raises(MalformedResponse, match="larger than 1000"):
            transport.read(HttpRequest("GET", "/balance"))
        proxy.set_faults(FaultSpec.http_status(200, body=b"x" * 5000))
        with pytest.raises(DeliveryUnknown):
            transport.send(HttpRequest("POST", "/send"))


def test_unreadable_answer_to_a_read_is_malformed(proxy: FaultProxy, emulator: Any) -> None:
    proxy.set_faults(Fault.GARBAGE)
    with pytest.raises(MalformedResponse):
        make_client(proxy, emulator).balance()


@pytest.mark.parametrize("fault", [Fault.HANG, Fault.RESET, 502, 504])
def test_a_non_replayable_read_is_not_retried_after_it_left(emulator: Any, fault: Any) -> None:
    with serve(emulator) as srv, FaultProxy(srv.base_url, hang_seconds=5) as proxy:
        proxy.set_faults(fault)
        transport = Transport("t", proxy.base_url, timeout=(2.0, 0.6), retry=FAST)
        with pytest.raises(TransportError):
            transport.read(HttpRequest("GET", "/balance"), replayable=False)
        assert proxy.request_count == 1


@pytest.mark.parametrize("status", [429, 503])
def test_a_non_replayable_read_is_retried_when_the_server_did_not_process_it(
    emulator: Any, status: int
) -> None:
    with serve(emulator) as srv, FaultProxy(srv.base_url) as proxy:
        proxy.set_faults(status)
        transport = Transport("t", proxy.base_url, retry=FAST)
        response = transport.read(
            HttpRequest("GET", "/balance", headers={"X-Api-Key": emulator.KEY}), replayable=False
        )
        assert response.status == 200
        assert proxy.request_count == 2


def test_a_non_replayable_read_is_retried_when_nothing_left() -> None:
    pauses: list[float] = []
    transport = Transport("t", refused_url(), retry=FAST, sleep=pauses.append)
    with pytest.raises(TransportError, match="nothing was sent"):
        transport.read(HttpRequest("GET", "/pull"), replayable=False)
    assert len(pauses) == 2
