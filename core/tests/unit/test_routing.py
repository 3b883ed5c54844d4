"""The failover rule, the circuit breaker and the router's strategies.

The router is driven here by scripted gateways that keep the truth (which
recipients really got an SMS); tests/routing drives it over loopback HTTP.
"""

from __future__ import annotations

import logging
import random
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ileti import errors as e
from ileti.client import Client
from ileti.errors import NoProviderLeft
from ileti.models import DeliveryReport, Message, RecipientResult, SendResult
from ileti.routing import (
    BreakerState,
    CircuitBreaker,
    Router,
    Settle,
    Verdict,
    failover_verdict,
    parse_routes,
)

# -- the rule --------------------------------------------------------------------------

NOTHING_SENT_PROVIDERS_FAULT = [
    e.TransportError("connection refused"),
    e.AuthenticationError("bad key"),
    e.InsufficientCredit("no credit"),
    e.AccountInactive("inactive"),
    e.Forbidden("forbidden"),
    e.RateLimited("slow down"),
    e.ProviderUnavailable("maintenance"),
    e.NotSupported("no flash"),
    e.MessageTooLong("too long"),
    e.InvalidSender("not registered here"),
    e.InvalidContent("cannot carry"),
    e.ConfigurationError("no api key"),
]


@pytest.mark.parametrize("exc", NOTHING_SENT_PROVIDERS_FAULT, ids=lambda x: type(x).__name__)
def test_a_failure_that_proves_nothing_was_sent_fails_over(exc: e.IletiError) -> None:
    assert failover_verdict(exc) is Verdict.NEXT


@pytest.mark.parametrize(
    "exc",
    [e.InvalidRecipient("bad number"), e.Rejected("blocked content"), e.ValidationError("x")],
    ids=lambda x: type(x).__name__,
)
def test_a_refusal_of_the_message_itself_is_raised(exc: e.IletiError) -> None:
    assert failover_verdict(exc) is Verdict.RAISE


def test_what_may_have_been_sent_is_never_failed_over() -> None:
    assert failover_verdict(e.DeliveryUnknown("timeout")) is Verdict.UNKNOWN
    assert failover_verdict(e.MalformedResponse("junk")) is Verdict.UNKNOWN
    assert failover_verdict(e.IletiError("plugin bug")) is Verdict.UNKNOWN
    assert failover_verdict(KeyError("x")) is Verdict.UNKNOWN
    partly = e.InsufficientCredit("ran out after the first text")
    partly.partial = SendResult("p", "1", (RecipientResult("+905321112233", True),))
    assert failover_verdict(partly) is Verdict.UNKNOWN


def test_routes_parse_with_and_without_weights() -> None:
    assert parse_routes("efecell, modexi") == [("efecell", None), ("modexi", None)]
    assert parse_routes("efecell:3,modexi:1") == [("efecell", 3), ("modexi", 1)]
    for bad, said in [
        ("efecell,", "empty entry"),
        ("efecell:0", "whole number >= 1"),
        ("efecell:x", "whole number >= 1"),
        ("a,a", "listed twice"),
    ]:
        with pytest.raises(e.ConfigurationError, match=said):
            parse_routes(bad)


# -- the breaker -----------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_skips_then_probes_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    b = CircuitBreaker("efecell", window=4, min_calls=4, failure_rate=0.5, cooldown=10, clock=clock)
    caplog.set_level(logging.INFO, "ileti.routing")
    for failed in (False, True, False):
        assert b.allow()
        b.record(failed=failed)
    assert b.state is BreakerState.CLOSED
    assert b.allow()
    b.record(failed=True)  # 2 of 4 failed
    assert b.state is BreakerState.OPEN
    assert "circuit closed -> open" in caplog.text
    assert not b.allow()
    assert b.health().retry_in == 10
    clock.now = 10
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow()  # the probe
    assert not b.allow()  # only one at a time
    b.record(failed=True)
    assert b.state is BreakerState.OPEN
    clock.now = 20
    assert b.allow()
    b.record(failed=False)
    assert b.state is BreakerState.CLOSED
    assert b.health().calls == 0
    assert "half-open -> closed" in caplog.text


def test_the_breaker_refuses_settings_that_cannot_work() -> None:
    with pytest.raises(e.ConfigurationError, match="min_calls <= window"):
        CircuitBreaker("x", window=3, min_calls=4)
    with pytest.raises(e.ConfigurationError, match="failure_rate"):
        CircuitBreaker("x", failure_rate=0)


# -- scripted gateways -----------------------------------------------------------------

SENT = "sent"  # the gateway accepted and answered
REFUSED = "refused"  # a refusal that proves nothing was sent
DOWN = "down"  # the request never left
UNKNOWN_SENT = "unknown-sent"  # the answer was lost, but the SMS went out
UNKNOWN_LOST = "unknown-lost"  # the answer was lost, and the gateway never got it
FAULTS = [SENT, REFUSED, DOWN, UNKNOWN_SENT, UNKNOWN_LOST]


class Gateway:
    """A provider and its client in one: keeps the truth of what was sent."""

    def __init__(self, name: str, faults: list[str], *, by_ref: bool = True) -> None:
        self.provider = name
        self.faults = list(faults)
        self.delivered: Counter[str] = Counter()
        self.refs: set[str] = set()
        self.info = type("Info", (), {"report_by_client_ref": by_ref})()
        self.credit_per_part = Decimal(1)

    class _loaded:
        @staticmethod
        def require(capability: str) -> None:
            assert capability == "send"

    def prepare(self, message: Message) -> Any:
        return type("Outgoing", (), {"message": message, "client_ref": message.client_ref})()

    def send_prepared(self, outgoing: Any) -> SendResult:
        return self.send_message(outgoing.message)

    def send_message(self, message: Message) -> SendResult:
        fault = self.faults.pop(0) if self.faults else SENT
        ref = message.client_ref or "ref"
        if fault in (SENT, UNKNOWN_SENT):
            self.delivered.update(message.recipients)
            self.refs.add(ref)
        if fault == REFUSED:
            raise e.InsufficientCredit("no credit", provider=self.provider)
        if fault == DOWN:
            raise e.TransportError("connection refused", provider=self.provider)
        if fault.startswith("unknown"):
            raise e.DeliveryUnknown("read timed out", client_ref=ref, provider=self.provider)
        return SendResult(
            self.provider,
            "42",
            tuple(RecipientResult(n, True) for n in message.recipients),
            client_ref=ref,
        )

    def supports(self, operation: str) -> bool:
        return operation == "query_report"

    def deadline(self, seconds: float) -> Any:
        import contextlib

        return contextlib.nullcontext()

    def report(self, message_id: str) -> DeliveryReport:
        if message_id not in self.refs:
            raise e.UnknownMessage("no such message", provider=self.provider)
        return DeliveryReport(self.provider, message_id, ())

    def preview(self, text: str, **kw: Any) -> Any:
        return type("P", (), {"credits": self.credit_per_part * len(text)})()

    def close(self) -> None:
        pass


def router(gateways: list[Gateway], **kw: Any) -> Router:
    kw.setdefault("breaker", {"window": 1000, "min_calls": 1000})
    return Router(cast(list[Client], gateways), sleep=lambda s: None, **kw)


NUMBER = "+905321112233"


@settings(max_examples=300)
@given(
    faults=st.lists(st.lists(st.sampled_from(FAULTS), max_size=4), min_size=1, max_size=4),
    settle=st.booleans(),
    by_ref=st.booleans(),
    messages=st.integers(1, 4),
)
def test_no_sequence_of_faults_sends_anyone_two_sms(
    faults: list[list[str]], settle: bool, by_ref: bool, messages: int
) -> None:
    gateways = [Gateway(f"p{i}", f, by_ref=by_ref) for i, f in enumerate(faults)]
    r = router(gateways, settle=Settle(wait=0) if settle else None)
    for m in range(messages):
        number = f"+90532111{m:04d}"
        try:
            result = r.send(number, "Merhaba", client_ref=f"ref-{m}")
        except e.DeliveryUnknown:
            pass  # may have been sent once: never more
        except NoProviderLeft as exc:
            tried = len(exc.errors)
            # nothing was sent anywhere, and every provider was tried
            assert sum(g.delivered[number] for g in gateways) == 0
            assert tried == len(gateways)
        else:
            winner = next(g for g in gateways if g.provider == result.provider)
            assert winner.delivered[number] == 1
        assert sum(g.delivered[number] for g in gateways) <= 1


def test_a_refusal_goes_to_the_next_provider_and_the_result_names_it() -> None:
    a, b = Gateway("a", [REFUSED]), Gateway("b", [])
    result = router([a, b]).send(NUMBER, "x")
    assert result.provider == "b"
    assert b.delivered[NUMBER] == 1


def test_an_unknown_outcome_is_raised_unless_settled_absent() -> None:
    a, b = Gateway("a", [UNKNOWN_LOST]), Gateway("b", [])
    with pytest.raises(e.DeliveryUnknown):
        router([a, b]).send(NUMBER, "x", client_ref="r1")
    assert b.delivered[NUMBER] == 0
    a.faults = [UNKNOWN_LOST]
    result = router([a, b], settle=Settle(wait=0)).send(NUMBER, "x", client_ref="r2")
    assert result.provider == "b"
    # the gateway has it: the unknown stands, nothing goes elsewhere
    a.faults = [UNKNOWN_SENT]
    with pytest.raises(e.DeliveryUnknown):
        router([a, b], settle=Settle(wait=0)).send(NUMBER, "y", client_ref="r3")
    assert b.delivered[NUMBER] == 1
    # a gateway that cannot be asked by reference proves nothing
    c = Gateway("c", [UNKNOWN_LOST], by_ref=False)
    with pytest.raises(e.DeliveryUnknown):
        router([c, b], settle=Settle(wait=0)).send(NUMBER, "z", client_ref="r4")


def test_every_provider_refusing_says_each_reason() -> None:
    a, b = Gateway("a", [REFUSED]), Gateway("b", [DOWN])
    with pytest.raises(NoProviderLeft, match=r"a: InsufficientCredit.*b: TransportError") as info:
        router([a, b]).send(NUMBER, "x")
    assert info.value.retryable


def test_an_open_breaker_skips_its_provider_without_a_call() -> None:
    a, b = Gateway("a", [DOWN, DOWN]), Gateway("b", [])
    r = router([a, b], breaker={"window": 2, "min_calls": 2, "cooldown": 60})
    for _ in range(2):
        assert r.send(NUMBER, "x").provider == "b"
    assert r.health()["a"].state is BreakerState.OPEN
    a.faults = [DOWN]  # would fail again, but is not even tried
    assert r.send(NUMBER, "x").provider == "b"
    assert a.faults == [DOWN]


def test_weighted_spreads_by_weight() -> None:
    a, b = Gateway("a", []), Gateway("b", [])
    r = router([a, b], weights={"a": 3, "b": 1}, rng=random.Random(7))
    firsts = Counter(r.send(NUMBER, "x").provider for _ in range(400))
    assert 250 < firsts["a"] < 350


def test_cheapest_picks_the_provider_where_the_text_costs_least() -> None:
    a, b = Gateway("a", []), Gateway("b", [])
    a.credit_per_part = Decimal(2)
    assert router([a, b], strategy="cheapest").send(NUMBER, "x").provider == "b"
    b.faults = [REFUSED]
    assert router([a, b], strategy="cheapest").send(NUMBER, "x").provider == "a"


def test_the_router_refuses_what_it_cannot_do() -> None:
    a, b = Gateway("a", []), Gateway("b", [])
    with pytest.raises(e.ConfigurationError, match="strategy='fastest'"):
        router([a, b], strategy="fastest")
    with pytest.raises(e.ConfigurationError, match="senders names c"):
        router([a, b], senders={"c": "X"})
    with pytest.raises(e.ConfigurationError, match="given twice"):
        router([a, a])
    with pytest.raises(e.ConfigurationError, match="does not say which provider"):
        router([a, b]).report("42")


def test_the_docs_table_is_the_rule() -> None:
    from pathlib import Path

    page = Path(__file__).resolve().parents[3] / "docs" / "guide" / "routing.md"
    rows = re.findall(r"^\| `(\w+)` \| (next|raise|unknown) \|", page.read_text(), re.M)
    assert len(rows) >= 15
    for name, verdict in rows:
        error = getattr(e, name)("x")
        assert failover_verdict(error).value == verdict, name
    documented = {name for name, _ in rows}
    every = {n for n in e.__all__ if n not in ("IletiError", "ValidationError", "ProviderError")}
    # a report's error, and the router's own two: never a provider's answer to a send
    assert every - documented == {"UnknownMessage", "CircuitOpen", "NoProviderLeft"}


def test_a_breaker_kept_in_a_file_is_taken_up_by_the_next_process(tmp_path: Path) -> None:
    from ileti.routing import BreakerState, CircuitBreaker, HealthFile

    kept = HealthFile(tmp_path / "state" / "health.json")
    now = [100.0]
    first = CircuitBreaker("efecell", min_calls=2, cooldown=30, clock=lambda: now[0])
    for _ in range(2):
        first.record(failed=True)
        kept.save(first)
    assert first.state is BreakerState.OPEN
    assert oct(kept.path.stat().st_mode & 0o777) == "0o600"
    # another process, with a clock of its own
    later = CircuitBreaker("efecell", min_calls=2, cooldown=30, clock=lambda: 5.0)
    later.restore(kept.load()["efecell"])
    health = later.health()
    assert health.state is BreakerState.OPEN
    assert 25 < health.retry_in <= 30
    assert kept.health("efecell", cooldown=30).state is BreakerState.OPEN  # type: ignore[union-attr]
    assert kept.health("modexi") is None


@pytest.mark.parametrize(
    "content",
    ["", "not json", "[]", '{"efecell": 5}', '{"efecell": {"window": ["x"], "opened_at": "y"}}'],
)
def test_a_health_file_that_does_not_read_is_no_health(tmp_path: Path, content: str) -> None:
    from ileti.routing import BreakerState, HealthFile

    kept = HealthFile(tmp_path / "health.json")
    kept.path.write_text(content, encoding="utf-8")
    health = kept.health("efecell")
    assert health is None or (health.state is BreakerState.CLOSED and health.calls == 0)
