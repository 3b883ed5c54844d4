"""ileti.AsyncClient over loopback HTTP: same calls, same errors, the loop never
blocked, bounded calls in flight, and cancelled sends recorded as DeliveryUnknown."""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from typing import Any

import pytest

import ileti
from ileti.emulation import Fault, FaultProxy, refused_url
from ileti.errors import (
    AuthenticationError,
    DeliveryUnknown,
    InvalidRecipient,
    NotSupported,
    TransportError,
    ValidationError,
)
from ileti.models import DeliveryState

FAST = ileti.Backoff(first=0.01, factor=2, cap=0.05)


def make(base_url: str, emulator: Any, **kw: Any) -> ileti.AsyncClient:
    return ileti.AsyncClient("testprov", base_url=base_url, **emulator.credentials(), **kw)


def test_the_calls_as_coroutines(base_url: str, emulator: Any) -> None:
    async def main() -> None:
        async with make(base_url, emulator) as client:
            result = await client.send(["0532 111 22 33", "0532 111 22 39"], "Merhaba")
            assert [r.number for r in result.recipients] == ["+905321112233", "+905321112239"]
            multi = await client.send_multi([("05321112233", "a"), ("05321112234", "ş")])
            assert len(multi.recipients) == 2
            report = await client.report(result.message_id or "")
            assert {r.state for r in report.recipients} == {DeliveryState.QUEUED}
            assert (await client.balance()).amount == Decimal(96)
            assert [s.name for s in await client.senders()] == ["ILETI", "YENI"]
            assert client.preview("ş" * 71, recipients=2).credits == 4
            assert client.provider == "testprov"
            assert "AsyncClient('testprov'" in repr(client)

    asyncio.run(main())
    assert [m.text for m in emulator.messages] == ["Merhaba", "Merhaba", "a", "ş"]


def test_wait_report_polls_without_blocking_until_final(base_url: str, emulator: Any) -> None:
    polls: list[tuple[int, float | None]] = []

    def on_poll(report: ileti.DeliveryReport, n: int, pause: float | None) -> None:
        polls.append((n, pause))
        emulator.clock.advance(25)  # the gateway's states move on between polls

    async def main() -> ileti.DeliveryReport:
        async with make(base_url, emulator) as client:
            sent = await client.send("05321112233", "hi")
            return await client.wait_report(
                sent.message_id or "", deadline=10, backoff=FAST, on_poll=on_poll
            )

    report = asyncio.run(main())
    assert report.is_final
    assert report.recipients[0].state is DeliveryState.DELIVERED
    assert polls[-1] == (len(polls), None)
    assert [p for _, p in polls[:-1]] == [0.01, 0.02, 0.04][: len(polls) - 1]


def test_wait_report_returns_the_last_report_at_the_deadline(base_url: str, emulator: Any) -> None:
    async def main() -> tuple[ileti.DeliveryReport, float]:
        async with make(base_url, emulator) as client:
            sent = await client.send("05321112233", "hi")
            start = time.monotonic()
            report = await client.wait_report(sent.message_id or "", deadline=0.3, backoff=FAST)
            return report, time.monotonic() - start

    report, took = asyncio.run(main())
    assert not report.is_final
    assert 0.3 <= took < 2


def test_the_same_errors(base_url: str, emulator: Any) -> None:
    async def main() -> None:
        async with make(base_url, emulator) as client:
            with pytest.raises(InvalidRecipient, match="recipient 2"):
                await client.send(["05321112233", "123"], "x")
            emulator.force_error("auth")
            with pytest.raises(AuthenticationError):
                await client.balance()
            with pytest.raises(ValidationError, match="deadline"):
                await client.wait_report("P1", deadline=0)
        minimal = ileti.AsyncClient("testprov-min", base_url=base_url)
        with pytest.raises(NotSupported, match="send_multi"):
            await minimal.send_multi([("05321112233", "x")])
        await minimal.close()

    asyncio.run(main())
    assert emulator.messages == []


def test_a_send_that_may_have_left_is_never_replayed(base_url: str, emulator: Any) -> None:
    async def main(proxy: FaultProxy) -> None:
        async with make(proxy.base_url, emulator) as client:
            with pytest.raises(DeliveryUnknown) as caught:
                await client.send("05321112233", "x", client_ref="ref-500")
            assert caught.value.client_ref == "ref-500"

    with FaultProxy(base_url) as proxy:
        proxy.set_faults(500)
        asyncio.run(main(proxy))
        assert proxy.request_count == 1


def test_a_refused_connection_is_a_transport_error() -> None:
    async def main() -> None:
        async with ileti.AsyncClient(
            "testprov", base_url=refused_url(), api_key="k", retry=ileti.RetryPolicy(attempts=1)
        ) as client:
            with pytest.raises(TransportError, match="nothing was sent"):
                await client.send("05321112233", "x")

    asyncio.run(main())


async def _wait_for(predicate: Any, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def test_bounded_in_flight_loop_free_and_cancelled_sends_recorded(
    base_url: str, emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Five sends to a gateway that hangs, two at a time: the loop keeps
    ticking; cancelling them records the two whose requests left as
    DeliveryUnknown, and the three still waiting are never sent."""
    recorded: list[DeliveryUnknown] = []
    gaps: list[float] = []

    async def ticker(stop: asyncio.Event) -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async def main(proxy: FaultProxy) -> ileti.AsyncClient:
        client = make(
            proxy.base_url,
            emulator,
            max_in_flight=2,
            on_unknown=recorded.append,
            timeout=(2.0, 1.5),
        )
        stop = asyncio.Event()
        tick = asyncio.create_task(ticker(stop))
        sends = [
            asyncio.create_task(client.send("05321112233", f"m{i}", client_ref=f"ref-{i}"))
            for i in range(5)
        ]
        await _wait_for(lambda: proxy.request_count == 2)
        await asyncio.sleep(0.2)
        assert proxy.request_count == 2  # bounded: the others wait without a thread
        for task in sends:
            task.cancel()
        results = await asyncio.gather(*sends, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        stop.set()
        await tick
        await client.close()  # waits for the two abandoned requests to end
        return client

    caplog.set_level(logging.WARNING, logger="ileti.async")
    with FaultProxy(base_url, hang_seconds=3) as proxy:
        proxy.fault = Fault.HANG
        client = asyncio.run(main(proxy))
        assert proxy.request_count == 2
    assert sorted(e.client_ref or "" for e in recorded) == ["ref-0", "ref-1"]
    assert client.unknown == recorded
    assert all("may have been sent" in str(e) for e in recorded)
    assert max(gaps) < 0.25, max(gaps)
    logged = caplog.text
    assert all(f"ref-{i}" in logged for i in (0, 1))
    assert all(f"ref-{i}" not in logged for i in (2, 3, 4))
    # the abandoned requests' own outcome is logged when they end
    assert "the send cancelled with client reference ref-0 ended in" in logged


def test_cancelling_a_waiting_send_sends_nothing(base_url: str, emulator: Any) -> None:
    async def main(proxy: FaultProxy) -> ileti.AsyncClient:
        client = make(proxy.base_url, emulator, max_in_flight=1, timeout=(2.0, 0.5))
        first = asyncio.create_task(client.send("05321112233", "first"))
        await _wait_for(lambda: proxy.request_count == 1)
        second = asyncio.create_task(client.send("05321112233", "second"))
        await asyncio.sleep(0.05)
        second.cancel()
        with pytest.raises(asyncio.CancelledError):
            await second
        with pytest.raises(DeliveryUnknown):  # the first one's read timeout
            await first
        await client.close()
        return client

    with FaultProxy(base_url, hang_seconds=2) as proxy:
        proxy.fault = Fault.HANG
        client = asyncio.run(main(proxy))
        assert proxy.request_count == 1
    assert client.unknown == []


def test_a_failing_callback_does_not_hide_the_cancellation(
    base_url: str, emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(error: DeliveryUnknown) -> None:
        raise RuntimeError("callback bug")

    async def main(proxy: FaultProxy) -> None:
        client = make(proxy.base_url, emulator, on_unknown=broken, timeout=(2.0, 0.5))
        task = asyncio.create_task(client.send("05321112233", "x", client_ref="ref-cb"))
        await _wait_for(lambda: proxy.request_count == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.close()
        assert len(client.unknown) == 1

    with FaultProxy(base_url, hang_seconds=2) as proxy:
        proxy.fault = Fault.HANG
        asyncio.run(main(proxy))
    assert "on_unknown callback failed for client reference ref-cb" in caplog.text


def test_closed_client_and_bad_limits(base_url: str, emulator: Any) -> None:
    async def main() -> None:
        client = make(base_url, emulator)
        await client.close()
        await client.close()  # twice is fine
        with pytest.raises(ValidationError, match="closed"):
            await client.balance()
        with pytest.raises(ValidationError, match="closed"):
            await client.send("05321112233", "x")

    asyncio.run(main())
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValidationError, match="max_in_flight"):
            make(base_url, emulator, max_in_flight=bad)


def test_wrap_and_from_env(base_url: str, emulator: Any) -> None:
    env = {
        "ILETI_PROVIDER": "testprov",
        "ILETI_TESTPROV_BASE_URL": base_url,
        "ILETI_TESTPROV_API_KEY": emulator.credentials()["api_key"],
    }

    async def main() -> None:
        async with ileti.AsyncClient.from_env(env=env, config_file=None) as client:
            assert (await client.balance()).amount == Decimal(100)
        sync = ileti.Client.from_env("testprov", env=env)
        async with ileti.AsyncClient.wrap(sync) as wrapped:
            assert wrapped.client is sync
            assert (await wrapped.balance()).amount == Decimal(100)

    asyncio.run(main())
