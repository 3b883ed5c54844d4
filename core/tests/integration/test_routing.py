"""Failover over loopback HTTP: real clients, real emulators, the fault proxy
in front of the first provider; the emulators count what really arrived."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from ileti import AsyncRouter, Client, DeliveryUnknown
from ileti.emulation import Fault, FaultProxy
from ileti.emulation.server import free_port
from ileti.errors import NoProviderLeft
from ileti.http import RetryPolicy
from ileti.routing import BreakerState, Router, Settle
from ileti.testing import emulated

NUMBER = "+905321112233"
ONCE = RetryPolicy(attempts=1)


class Pair:
    """efecell behind a fault proxy, modexi straight."""

    def __init__(self, stack: ExitStack, first: str = "efecell") -> None:
        self.first = stack.enter_context(emulated(first))
        self.second = stack.enter_context(emulated("modexi"))
        self.proxy = stack.enter_context(FaultProxy(self.first.base_url, hang_seconds=3))
        self.first_client = Client(
            first,
            base_url=self.proxy.base_url,
            timeout=(1, 0.5),
            retry=ONCE,
            **self.first.emulator.credentials(),
        )
        stack.callback(self.first_client.close)

    def router(self, **kw: Any) -> Router:
        return Router(
            [self.first_client, self.second.client],
            senders={
                self.first.client.provider: self.first.emulator.default_sender,
                "modexi": self.second.emulator.default_sender,
            },
            **kw,
        )

    def received(self) -> tuple[int, int]:
        return len(self.first.emulator.messages), len(self.second.emulator.messages)


@pytest.fixture
def pair() -> Iterator[Pair]:
    with ExitStack() as stack:
        yield Pair(stack)


def test_a_refused_connection_goes_out_once_through_the_second(pair: Pair) -> None:
    dead = Client(
        "efecell",
        base_url=f"http://127.0.0.1:{free_port()}",
        retry=ONCE,
        **pair.first.emulator.credentials(),
    )
    with dead:
        router = Router([dead, pair.second.client])
        result = router.send(NUMBER, "Merhaba", sender=pair.second.emulator.default_sender)
    assert result.provider == "modexi"
    assert pair.received() == (0, 1)
    assert router.report(result).provider == "modexi"  # the report goes where it was sent


@pytest.mark.parametrize("fault", [Fault.HANG, Fault.HTTP_500, Fault.RESET, Fault.GARBAGE])
def test_a_send_that_may_have_left_is_not_sent_through_the_second(pair: Pair, fault: Fault) -> None:
    pair.proxy.set_faults(fault)
    with pytest.raises(DeliveryUnknown):
        pair.router().send(NUMBER, "Merhaba")
    assert pair.received()[1] == 0


def test_a_refusal_by_the_gateway_fails_over(pair: Pair) -> None:
    pair.first.emulator.credit = 0
    result = pair.router().send(NUMBER, "Merhaba")
    assert result.provider == "modexi"
    assert pair.received() == (0, 1)


def test_settled_absent_by_report_then_sent_once_through_the_second() -> None:
    with ExitStack() as stack:
        pair = Pair(stack, first="testprov")
        pair.proxy.set_faults(Fault.HANG)  # the send never reaches the gateway
        router = pair.router(settle=Settle(deadline=5, wait=0.1))
        result = router.send(NUMBER, "Merhaba")  # the client makes a reference for it
        assert result.provider == "modexi"
        assert pair.received() == (0, 1)


def test_the_breaker_opens_on_a_dead_gateway_and_closes_after_a_probe(pair: Pair) -> None:
    pair.first.emulator.credit = 0  # every send refused: failed over each time
    router = pair.router(breaker={"window": 3, "min_calls": 3, "cooldown": 0.5})
    for _ in range(3):
        assert router.send(NUMBER, "x").provider == "modexi"
    assert router.health()["efecell"].state is BreakerState.OPEN
    before = pair.proxy.request_count
    assert router.send(NUMBER, "x").provider == "modexi"
    assert pair.proxy.request_count == before  # skipped without a request
    pair.first.emulator.credit = 10**6
    time.sleep(0.6)
    assert router.send(NUMBER, "x").provider == "efecell"  # the probe
    assert router.health()["efecell"].state is BreakerState.CLOSED
    assert pair.received() == (1, 4)


def test_when_no_provider_takes_it_nothing_was_sent(pair: Pair) -> None:
    pair.first.emulator.credit = 0
    pair.second.emulator.credit = 0
    with pytest.raises(NoProviderLeft, match="efecell: InsufficientCredit"):
        pair.router().send(NUMBER, "x")
    assert pair.received() == (0, 0)


def test_the_async_router_fails_over_and_records_a_cancelled_send(pair: Pair) -> None:
    """From asyncio: a refusal fails over; a send cancelled while its request
    hangs at the first provider is recorded as DeliveryUnknown and never
    goes to the second."""
    recorded: list[DeliveryUnknown] = []

    async def main() -> AsyncRouter:
        async with AsyncRouter(pair.router(), on_unknown=recorded.append) as r:
            pair.first.emulator.credit = 0
            assert (await r.send(NUMBER, "a")).provider == "modexi"
            pair.first.emulator.credit = 10**6
            pair.proxy.set_faults(Fault.HANG)
            task = asyncio.create_task(r.send(NUMBER, "b"))
            while pair.proxy.request_count < 2 and not task.done():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            report = await r.report(await r.send(NUMBER, "c"))
            assert report.provider == "efecell"
        return r

    r = asyncio.run(main())
    assert len(recorded) == 1
    assert recorded[0].client_ref  # the reference of the request that may have left
    assert r.unknown == recorded
    assert [m.text for m in pair.second.emulator.messages] == ["a"]
    assert [m.text for m in pair.first.emulator.messages] == ["c"]
