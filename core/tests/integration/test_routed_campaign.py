"""Campaigns over a router, over loopback HTTP: each request goes to the
first provider whose circuit is closed, to the next only when the failure
proves that nothing was sent, and every row is settled with the provider its
request went to. The emulators count what really arrived."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ileti import Client
from ileti.campaign import Campaign, RowState
from ileti.campaign.store import SQLiteStore
from ileti.emulation import Fault, FaultProxy, refused_url
from ileti.errors import ConfigurationError
from ileti.http import RetryPolicy
from ileti.routing import Router
from ileti.testing import Emulated, emulated

ONCE = RetryPolicy(attempts=1)


def numbers(n: int) -> list[dict[str, str]]:
    return [{"to": f"0532{i:07d}", "text": f"Merhaba {i}"} for i in range(n)]


class Routes:
    """Two emulated gateways, the first behind a fault proxy."""

    def __init__(self, stack: ExitStack, first: str, second: str) -> None:
        self.first = stack.enter_context(emulated(first))
        self.second = stack.enter_context(emulated(second))
        self.proxy = stack.enter_context(FaultProxy(self.first.base_url, hang_seconds=3))
        self.first_client = self.client(self.first, self.proxy.base_url)
        stack.callback(self.first_client.close)

    @staticmethod
    def client(emu: Emulated, base_url: str) -> Client:
        return Client(
            emu.client.provider,
            base_url=base_url,
            timeout=(1, 0.5),
            retry=ONCE,
            **emu.emulator.credentials(),
        )

    def router(self, first: Client | None = None, **kw: Any) -> Router:
        return Router(
            [first or self.first_client, self.second.client],
            senders={
                self.first.client.provider: self.first.emulator.default_sender,
                self.second.client.provider: self.second.emulator.default_sender,
            },
            **kw,
        )

    def arrived(self) -> Counter[str]:
        """Messages per recipient, across both gateways."""
        return Counter(m.recipient for e in (self.first, self.second) for m in e.emulator.messages)


@pytest.fixture
def routes() -> Iterator[Routes]:
    with ExitStack() as stack:
        yield Routes(stack, "efecell", "modexi")


def test_a_dead_first_gateway_sends_every_row_once_through_the_second(
    routes: Routes, tmp_path: Path
) -> None:
    dead = Routes.client(routes.first, refused_url())
    with dead:
        router = routes.router(dead)
        campaign = router.campaign(numbers(40), store=tmp_path / "c.db", batch_size=10)
        status = campaign.run(workers=2)
    assert status.count(RowState.ACCEPTED) == 40
    assert len(routes.second.emulator.messages) == 40
    assert routes.first.emulator.messages == []
    batches = [r.batch for r in campaign.rows() if r.batch]
    assert set(campaign.store.providers(campaign.id, batches).values()) == {"modexi"}


def test_running_out_of_credit_halfway_moves_the_rest_to_the_second(
    routes: Routes, tmp_path: Path
) -> None:
    routes.first.emulator.credit = 25  # enough for two requests of ten, not a third
    campaign = routes.router().campaign(numbers(60), store=tmp_path / "c.db", batch_size=10)
    status = campaign.run(workers=1)
    assert status.count(RowState.ACCEPTED) == 60
    arrived = routes.arrived()
    assert set(arrived.values()) == {1}
    assert len(arrived) == 60
    assert len(routes.first.emulator.messages) == 20
    assert len(routes.second.emulator.messages) == 40
    # a released attempt keeps its reason; the rows went out once elsewhere
    providers = campaign.store.providers(campaign.id, [r.batch for r in campaign.rows() if r.batch])
    assert Counter(providers.values())["modexi"] == 4


@pytest.mark.parametrize("fault", [Fault.HANG, Fault.HTTP_500, Fault.RESET])
def test_a_request_that_may_have_left_is_never_sent_through_the_second(
    routes: Routes, tmp_path: Path, fault: Fault
) -> None:
    routes.proxy.set_faults(Fault.PASS, fault)  # the second request may have left
    campaign = routes.router().campaign(numbers(30), store=tmp_path / "c.db", batch_size=10)
    status = campaign.run(workers=1)
    assert status.count(RowState.UNKNOWN) == 10
    assert status.count(RowState.ACCEPTED) == 20
    unknown = {r.number for r in campaign.rows(RowState.UNKNOWN)}
    sent_second = {m.recipient for m in routes.second.emulator.messages}
    assert not unknown & sent_second
    assert set(routes.arrived().values()) <= {1}


def test_an_unknown_row_is_settled_with_the_provider_it_went_to(tmp_path: Path) -> None:
    """The first (efecell) is dead; the request through the second (testprov,
    which finds a message by its reference) hangs before reaching it. On
    resume the row is settled by asking testprov, proved absent, and sent
    once; nothing is asked of efecell."""
    with ExitStack() as stack:
        routes = Routes(stack, "testprov", "efecell")
        dead_efecell = Routes.client(routes.second, refused_url())
        stack.callback(dead_efecell.close)
        routes.proxy.set_faults(Fault.HANG)
        router = Router(
            [dead_efecell, routes.first_client],
            senders={"testprov": routes.first.emulator.default_sender},
        )
        store = tmp_path / "c.db"
        campaign = router.campaign(numbers(5), store=store, batch_size=10)
        assert campaign.run(workers=1).count(RowState.UNKNOWN) == 5
        assert routes.first.emulator.messages == []
        again = Campaign.open(campaign.id, client=router, store=store)
        status = again.run(workers=1)
        assert status.count(RowState.ACCEPTED) == 5
        assert sorted(m.recipient for m in routes.first.emulator.messages) == sorted(
            f"+90532{i:07d}" for i in range(5)
        )
        assert "/report" in [r.path for r in routes.first.emulator.received]
        assert routes.second.emulator.received == []


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    faults=st.lists(
        st.sampled_from([Fault.PASS, Fault.RESET, Fault.HTTP_500, Fault.CLOSE]), max_size=6
    ),
    credit=st.integers(min_value=0, max_value=40),
)
def test_whatever_the_first_gateway_does_no_recipient_gets_two(
    tmp_path_factory: pytest.TempPathFactory, faults: list[Fault], credit: int
) -> None:
    with ExitStack() as stack:
        routes = Routes(stack, "efecell", "modexi")
        routes.first.emulator.credit = credit
        routes.proxy.set_faults(*faults)
        store = tmp_path_factory.mktemp("c") / "c.db"
        campaign = routes.router().campaign(numbers(50), store=store, batch_size=10)
        status = campaign.run(workers=2)
        arrived = routes.arrived()
        assert set(arrived.values()) <= {1}
        accepted = {r.number for r in campaign.rows(RowState.ACCEPTED)}
        assert accepted == set(arrived)  # the store agrees with the gateways
        assert status.count(RowState.ACCEPTED) + status.count(RowState.UNKNOWN) == 50


def test_a_routed_campaign_is_opened_with_a_router_over_its_providers(
    routes: Routes, tmp_path: Path
) -> None:
    store = tmp_path / "c.db"
    campaign = routes.router().campaign(numbers(3), store=store)
    with pytest.raises(ConfigurationError, match=r"Router.from_env\('efecell,modexi'\)"):
        Campaign.open(campaign.id, client=routes.first_client, store=store)
    single = routes.first_client.campaign(numbers(3), store=store)
    with pytest.raises(ConfigurationError, match="sends through efecell alone"):
        Campaign.open(single.id, client=routes.router(), store=store)
    with pytest.raises(ConfigurationError, match="cannot use the cheapest strategy"):
        Campaign.open(campaign.id, client=routes.router(strategy="cheapest"), store=store)
    assert SQLiteStore(store).get(campaign.id).spec["route"] == ["efecell", "modexi"]
