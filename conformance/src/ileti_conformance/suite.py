"""The standard checks every provider plugin must pass: :class:`ProviderConformance`.

Subclass it in a plugin's tests and name the provider::

    from ileti_conformance import ProviderConformance

    class TestEfecellConformance(ProviderConformance):
        provider = "efecell"

Every check drives the real :class:`ileti.Client` and transport over real
HTTP on loopback, against the plugin's own emulator (served with
:func:`ileti.emulation.serve`, behind a :class:`ileti.emulation.FaultProxy`
when a check injects faults).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti import errors as ileti_errors
from ileti import hookspecs
from ileti.emulation import EmulatedMessage, Fault, FaultLike, FaultSpec, refused_url
from ileti.errors import (
    AuthenticationError,
    ConfigurationError,
    DeliveryUnknown,
    IletiError,
    InvalidContent,
    MalformedResponse,
    MessageTooLong,
    NotSupported,
    RateLimited,
    TransportError,
    UnknownMessage,
    ValidationError,
)
from ileti.hookspecs import CAPABILITIES, hookimpl
from ileti.http import RetryPolicy, Timeout
from ileti.models import (
    Batch,
    BatchItem,
    DeliveryReport,
    DeliveryState,
    Message,
    SenderState,
    SendResult,
)
from ileti.settings import Secret
from ileti_conformance.harness import Harness, SetupError, Target, call_factory, emulator_problems
from ileti_conformance.leaks import Canaries, exception_texts, record_texts
from ileti_conformance.models import model_problems
from ileti_conformance.profiles import check_settings
from ileti_conformance.strategies import (
    EMOJI,
    GSM_BASIC,
    GSM_EXTENSION,
    TRICKY_TEXTS,
    TURKISH,
    UCS2_ONLY,
    XML_FORBIDDEN,
    Answer,
    GarbageApp,
    Recorder,
    garbage_answers,
    readable_junk_answers,
    sms_texts,
)

__all__ = ["FAULTS", "HOOK_CHECKS", "STANDARD_CHECKS", "ProviderConformance"]

#: transport faults a send must survive without being replayed (proxy fault per id)
FAULTS: Mapping[str, FaultLike] = MappingProxyType(
    {
        "hang": Fault.HANG,
        "reset": Fault.RESET,
        "http_500": Fault.HTTP_500,
        "http_503": FaultSpec.http_status(503),
        "html": Fault.HTML,
        "garbage": Fault.GARBAGE,
        "truncated": Fault.TRUNCATED,
        "close": Fault.CLOSE,
        # a valid answer, one byte every half second: only the total deadline ends it
        "drip": Fault.DRIP,
        # a gateway may act on a send and then redirect (post/redirect/get)
        "redirect": FaultSpec.http_status(302, headers=[("Location", "http://127.0.0.1:9/done")]),
    }
)

#: the read timeout used when the gateway hangs: short, so the check stays quick
HANG_READ_TIMEOUT = 0.5
#: the total deadline of a request used when the gateway drips its answer
DRIP_TOTAL_DEADLINE = 1.0
_READS = ("query_report", "balance", "senders")
_SENDS = ("send", "send_multi")
_TEXT = "Merhaba dünya: ileti conformance"


def _national(e164: str) -> str:
    """``+905321234567`` as a user types it: ``0532 123 45 67``."""
    digits = e164.removeprefix("+90")
    return f"0{digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}"


def _ref() -> str:
    """A client reference never used before (gateways may refuse a reused one)."""
    return f"conformance-{uuid.uuid4().hex[:16]}"


def _one_unit_char(rule: Any) -> str:
    """A character costing one unit; for UCS-2 one that needs UCS-2 (so a
    gateway that picks the encoding itself picks the one asked for)."""
    order = ("ж", "中", "a") if str(rule.base) == "ucs2" else ("a", "Z", "ж", "ş", "中")
    for char in order:
        if rule.cost(char) == 1:
            return char
    raise SetupError(f"counting rule {rule.name!r} has no one-unit character the suite knows")


def _two_unit_char(rule: Any) -> str | None:
    for char in ("€", "^", "ş", "ğ", "😀"):
        if rule.cost(char) == 2:
            return char
    return None


def _calls(
    h: Harness, client: Any, *, number: str, message_id: str = "1"
) -> dict[str, Callable[[], object]]:
    """One call per capability: a send of a short text to ``number``, a
    report on ``message_id``, balance and senders."""

    def send() -> object:
        return client.send(number, _TEXT, sender=h.sender)

    def send_multi() -> object:
        return client.send_multi([(number, _TEXT)], sender=h.sender)

    def query_report() -> object:
        return client.report(message_id)

    def balance() -> object:
        return client.balance()

    def senders() -> object:
        return client.senders()

    return {
        "send": send,
        "send_multi": send_multi,
        "query_report": query_report,
        "balance": balance,
        "senders": senders,
    }


def _sent_with(h: Harness, client: Any, capability: str, number: str, **options: Any) -> list[Any]:
    """Send the short text to ``number`` through ``send`` or ``send_multi``
    with ``options``; the messages the emulator recorded for it (at least one)."""
    before = len(h.messages())
    if capability == "send":
        client.send(number, _TEXT, sender=h.sender, **options)
    else:
        client.send_multi([(number, _TEXT)], sender=h.sender, **options)
    arrived = h.messages()[before:]
    assert arrived, f"{capability} with {', '.join(options)} reached no message in the emulator"
    return arrived


def _sent_message_id(h: Harness, number: str) -> str:
    """The id of a message sent to the emulator now (reports need a real one;
    some providers answer "no such message" from what they keep, never
    asking the gateway); ``"1"`` when the provider sends nothing."""
    client = h.client()
    try:
        for capability, call in _calls(h, client, number=number).items():
            if capability in ("send", "send_multi") and capability in h.capabilities:
                sent = call()
                assert isinstance(sent, SendResult)
                return sent.message_id or sent.recipients[0].message_id or "1"
    finally:
        client.close()
    return "1"


class _RawErrorSpy:
    """A hook wrapper that sees what a plugin's hook raised before the client's
    safety net turns a stray exception into an IletiError."""

    def __init__(self) -> None:
        self.raised: list[tuple[str, BaseException]] = []

    def _seen(self, hook: str, exc: BaseException) -> None:
        self.raised.append((hook, exc))

    @hookimpl(wrapper=True)
    def send(self, ctx: Any, message: Any) -> Any:
        try:
            return (yield)
        except BaseException as exc:
            self._seen("send", exc)
            raise

    @hookimpl(wrapper=True)
    def send_multi(self, ctx: Any, batch: Any) -> Any:
        try:
            return (yield)
        except BaseException as exc:
            self._seen("send_multi", exc)
            raise

    @hookimpl(wrapper=True)
    def query_report(self, ctx: Any, message_id: Any) -> Any:
        try:
            return (yield)
        except BaseException as exc:
            self._seen("query_report", exc)
            raise

    @hookimpl(wrapper=True)
    def balance(self, ctx: Any) -> Any:
        try:
            return (yield)
        except BaseException as exc:
            self._seen("balance", exc)
            raise

    @hookimpl(wrapper=True)
    def senders(self, ctx: Any) -> Any:
        try:
            return (yield)
        except BaseException as exc:
            self._seen("senders", exc)
            raise


@attrs.frozen
class _Delivery:
    """What one text sent to one number produced (or the error refusing it)."""

    prediction: Any  # Segmentation
    result: SendResult
    billed: list[EmulatedMessage]


#: the hooks of :mod:`ileti.hookspecs`
_HOOKSPECS = frozenset(
    name for name, fn in vars(hookspecs).items() if callable(fn) and hasattr(fn, "ileti_spec")
)
_HOOKS_MARK = "__ileti_hooks__"
_Check = TypeVar("_Check", bound=Callable[..., None])


def _exercises(*hooks: str) -> Callable[[_Check], _Check]:
    """Mark a standard check with the hooks it exercises: :data:`HOOK_CHECKS`
    is built from these marks, so a new check says what it covers where it
    is written."""
    unknown = set(hooks) - set(_HOOKSPECS)
    if unknown or not hooks:
        raise TypeError(f"_exercises({', '.join(hooks)}): not hooks of ileti.hookspecs")

    def mark(check: _Check) -> _Check:
        setattr(check, _HOOKS_MARK, hooks)
        return check

    return mark


class ProviderConformance:
    """The standard conformance checks. Subclass it and set :attr:`provider`.

    Attributes a subclass may set:

    ``provider``
        The provider id (the entry-point name), e.g. ``"efecell"``.
    ``plugin``
        A plugin object to load in-process with :func:`ileti.host.inspect_plugin`
        instead of the installed entry point (for plugins not installed).
    ``emulator_factory``
        A callable taking the :class:`ileti.emulation.VirtualClock` and returning
        a new emulator; default: the plugin's ``provider_emulator`` hook.
    ``settings``
        Extra settings for every client, on top of the emulator's ``credentials()``.
    ``sender``
        The sender name the checks use; default: the emulator's ``default_sender``.
    ``conformance_skips``
        ``{"check_name": "reason"}``: checks this provider cannot pass, each
        with the reason shown in the report (``pytest -ra``). A check may be
        named with its parameter, e.g. ``"test_send_fault[hang]"``.

    The fixtures ``ileti_target`` (a :class:`~ileti_conformance.harness.Target`)
    and ``ileti_harness`` (a fresh :class:`~ileti_conformance.harness.Harness`
    per check) may be overridden. The checks themselves (every ``test_*``
    method) and the suite's helpers (``_*``) may not: defining one in a
    subclass raises ``TypeError``.
    """

    provider: ClassVar[str | None] = None
    plugin: ClassVar[Any] = None
    emulator_factory: ClassVar[Any] = None
    settings: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    sender: ClassVar[str | None] = None
    conformance_skips: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        clashes = sorted(name for name in vars(cls) if name in STANDARD_CHECKS)
        if clashes:
            raise TypeError(
                f"{cls.__name__} redefines the standard conformance check(s) "
                f"{', '.join(clashes)}; standard checks cannot be overridden. To skip one, "
                f"state why: conformance_skips = {{{clashes[0]!r}: 'the reason'}}"
            )
        machinery = sorted(name for name in vars(cls) if name in _MACHINERY)
        if machinery:
            raise TypeError(
                f"{cls.__name__} redefines {', '.join(machinery)}, part of the machinery of "
                "the standard conformance checks, which cannot be overridden; override the "
                "fixtures ileti_target or ileti_harness, or set the class attributes instead"
            )
        _validate_skips(cls)

    # -- fixtures (overridable) ------------------------------------------------------

    @pytest.fixture
    def ileti_target(self) -> Target:
        """The provider under test, from the class attributes."""
        cls = type(self)
        if not cls.provider:
            raise SetupError(
                f"{cls.__name__} does not name its provider: set provider = 'NAME' on the class"
            )
        return Target.build(
            cls.provider,
            plugin=cls.plugin,
            emulator_factory=call_factory(self, "emulator_factory"),
            settings=cls.settings,
            sender=cls.sender,
        )

    @pytest.fixture
    def ileti_harness(self, ileti_target: Target) -> Iterator[Harness]:
        """A fresh emulator served on loopback for one check."""
        harness = Harness(ileti_target)
        try:
            yield harness
        finally:
            harness.close()

    @pytest.fixture(autouse=True)
    def _ileti_conformance_guard(
        self,
        request: pytest.FixtureRequest,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Apply ``conformance_skips``; keep plugins' on-disk state out of the
        user's folders (XDG state, cache and data homes point into tmp_path)."""
        skips = type(self).conformance_skips
        node = request.node
        name = getattr(node, "originalname", node.name)
        reason = skips.get(node.name) or skips.get(name)
        if reason:
            pytest.skip(f"{type(self).__name__}.conformance_skips: {reason}")
        if not name.startswith("test_live"):
            for var in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
                folder = tmp_path / "xdg" / var.lower()
                folder.mkdir(parents=True, exist_ok=True)
                monkeypatch.setenv(var, str(folder))

    # -- helpers -------------------------------------------------------------------

    @staticmethod
    def _not_supported(h: Harness, capability: str, call: Callable[[], object]) -> None:
        before = h.received_count()
        with pytest.raises(NotSupported) as caught:
            call()
        assert caught.value.capability == capability, (
            f"NotSupported for {capability} names capability {caught.value.capability!r}"
        )
        assert h.received_count() == before, f"{capability}: NotSupported came after a request"

    @staticmethod
    def _check_model(capability: str, value: Any) -> None:
        problems = model_problems(capability, value)
        assert not problems, f"{capability} returned a malformed result:\n  " + "\n  ".join(
            problems
        )

    @staticmethod
    def _sends(h: Harness) -> str:
        for capability in _SENDS:
            if capability in h.capabilities:
                return capability
        pytest.skip(
            f"provider {h.name!r} implements neither send nor send_multi, so there is "
            "nothing to send with (NotSupported is checked by the round-trip checks)"
        )

    @staticmethod
    def _push_not_supported(h: Harness) -> bool:
        """Without parse_push, reading a push raises NotSupported before anything."""
        from ileti.push import PushRequest

        if h.loaded.implements("parse_push"):
            return False
        before = h.received_count()
        with pytest.raises(NotSupported) as caught:
            h.client().read_push(PushRequest("POST"))
        assert caught.value.capability == "parse_push"
        assert h.received_count() == before
        return True

    def _send_text(self, h: Harness, client: Any, numbers: list[str]) -> SendResult:
        """Send the standard text to ``numbers`` by send, else send_multi."""
        if self._sends(h) == "send":
            result: SendResult = client.send(numbers, _TEXT, sender=h.sender)
        else:
            result = client.send_multi([(n, _TEXT) for n in numbers], sender=h.sender)
        return result

    def _deliver(
        self,
        h: Harness,
        client: Any,
        text: str,
        *,
        encoding: str = "auto",
        number: str | None = None,
        via: str | None = None,
    ) -> _Delivery | IletiError:
        """Send one text to one number, checking that a refusal comes before any request.

        Returns the delivery, or the validation error both ``prepare`` and the
        send raised (then the emulator saw no request).
        """
        via = via or self._sends(h)
        number = number or h.numbers(1)[0]
        received = h.received_count()
        billed_before = len(h.messages())
        prediction: Any
        refusal: IletiError | None = None
        try:
            if via == "send":
                prediction = client.prepare(
                    Message(recipients=(number,), text=text, encoding=encoding, sender=h.sender)
                ).segmentation
            else:
                prepared = client.prepare_batch(
                    Batch(items=(BatchItem(number, text),), encoding=encoding, sender=h.sender)
                )
                prediction = prepared.items[0].segmentation
        except (MessageTooLong, InvalidContent, NotSupported) as exc:
            refusal = exc

        def deliver() -> Any:
            if via == "send":
                return client.send(number, text, encoding=encoding, sender=h.sender)
            return client.send_multi([(number, text)], encoding=encoding, sender=h.sender)

        if refusal is not None:
            with pytest.raises(type(refusal)):
                deliver()
            assert h.received_count() == received, (
                f"{type(refusal).__name__} for {text[:40]!r} came after a request reached "
                "the gateway; it must be raised before any request"
            )
            return refusal
        try:
            result = deliver()
        except (NotSupported, ValidationError) as exc:
            refusal = exc
        if refusal is not None:
            # the plugin may refuse an encoding asked for explicitly that its gateway
            # cannot honour, but only before any request and never for "auto"
            assert h.received_count() == received, (
                f"{via} raised {refusal!r} after a request reached the gateway"
            )
            assert encoding != "auto", (
                f"{via} refused {text[:40]!r} ({refusal!r}), which the client accepted and "
                "measured with encoding 'auto'"
            )
            return refusal
        self._check_model(via, result)
        return _Delivery(prediction, result, h.messages()[billed_before:])

    @staticmethod
    def _billing_problems(delivery: _Delivery, text: str, encoding: str) -> list[str]:
        seg = delivery.prediction
        shown = f"{text[:30]!r}... ({len(text)} chars, encoding {encoding})"
        if len(delivery.billed) != 1:
            return [f"{shown}: the emulator billed {len(delivery.billed)} messages, expected 1"]
        billed = delivery.billed[0]
        problems = []
        if billed.parts != seg.parts:
            problems.append(
                f"{shown}: the plugin predicts {seg.parts} part(s) in {seg.encoding} "
                f"({seg.units} units) but its emulator billed {billed.parts}"
            )
        if delivery.result.parts is not None and delivery.result.parts != seg.parts:
            problems.append(
                f"{shown}: SendResult.parts is {delivery.result.parts}, the prediction {seg.parts}"
            )
        if billed.wire_encoding is not None and billed.wire_encoding != seg.wire:
            problems.append(
                f"{shown}: sent with wire encoding {billed.wire_encoding!r}; the profile "
                f"documents {seg.wire!r} for {seg.encoding}"
            )
        if billed.text != seg.text:
            problems.append(
                f"{shown}: the text arrived as {billed.text[:60]!r}, not as sent "
                f"({seg.text[:60]!r})"
            )
        return problems

    # ================================================================ round trips

    @_exercises("provider_info", "provider_emulator")
    def test_provider_and_emulator_follow_protocol(self, ileti_harness: Harness) -> None:
        """The emulator has what the suite relies on; the provider info is sound."""
        h = ileti_harness
        problems = emulator_problems(h.emulator, h.clock)
        info = h.info
        if info.name != h.name:
            problems.append(f"ProviderInfo.name is {info.name!r}, the provider id is {h.name!r}")
        if not attrs.has(info.settings_type) or "base_url" not in attrs.fields_dict(
            info.settings_type
        ):
            problems.append("ProviderInfo.settings_type must be an attrs class with base_url")
        else:
            creds = h.credentials() if not problems else {}
            known = attrs.fields_dict(info.settings_type)
            unknown = sorted(set(creds) - set(known))
            if unknown:
                problems.append(f"credentials() names settings the plugin lacks: {unknown}")
        if not h.capabilities:
            problems.append("the plugin implements none of send, send_multi, query_report, ...")
        assert not problems, "\n".join(problems)

    @_exercises("send")
    def test_send_round_trip(self, ileti_harness: Harness) -> None:
        """send: one result per recipient, in order; each recipient billed once."""
        h = ileti_harness
        client = h.client()
        if "send" not in h.capabilities:
            self._not_supported(h, "send", lambda: client.send(h.numbers(1)[0], _TEXT))
            return
        numbers = h.numbers(3, undelivered=[1])
        before = len(h.messages())
        typed = [_national(numbers[0]), numbers[1], numbers[2]]
        result = client.send(typed, _TEXT, sender=h.sender)
        self._check_model("send", result)
        assert result.provider == h.name
        assert [r.number for r in result.recipients] == numbers, (
            "send must give one result per recipient, in the caller's order"
        )
        assert all(r.accepted for r in result.recipients), f"rejected: {result.rejected}"
        if "query_report" in h.capabilities:
            assert result.message_id, "send returned no message_id to report on"
        billed = h.messages()[before:]
        assert sorted(m.recipient for m in billed) == sorted(numbers), (
            "the emulator did not bill each recipient exactly once"
        )
        seg = client.preview(_TEXT).segmentation
        for m in billed:
            assert m.text == seg.text, f"the text arrived as {m.text!r}"
            if h.sender is not None:
                assert m.sender == h.sender, f"sent with sender {m.sender!r}, not {h.sender!r}"
        if result.parts is not None:
            assert result.parts == seg.parts

    @_exercises("send_multi")
    def test_send_multi_round_trip(self, ileti_harness: Harness) -> None:
        """send_multi: each recipient gets its own text; one result each, in order."""
        h = ileti_harness
        client = h.client()
        if "send_multi" not in h.capabilities:
            self._not_supported(
                h, "send_multi", lambda: client.send_multi([(h.numbers(1)[0], _TEXT)])
            )
            return
        numbers = h.numbers(3, undelivered=[2])
        texts = ["Birinci mesaj", "Ikinci mesaj, biraz daha uzun", "Ucuncu mesaj 3"]
        before = len(h.messages())
        result = client.send_multi(
            [(_national(numbers[0]), texts[0]), (numbers[1], texts[1]), (numbers[2], texts[2])],
            sender=h.sender,
        )
        self._check_model("send_multi", result)
        assert result.provider == h.name
        assert [r.number for r in result.recipients] == numbers, (
            "send_multi must give one result per recipient, in the caller's order"
        )
        assert all(r.accepted for r in result.recipients), f"rejected: {result.rejected}"
        if "query_report" in h.capabilities:
            assert result.message_id, "send_multi returned no message_id to report on"
        billed = {m.recipient: m for m in h.messages()[before:]}
        assert sorted(billed) == sorted(numbers), "each recipient must be billed exactly once"
        for number, text in zip(numbers, texts, strict=True):
            assert billed[number].text == text, (
                f"{number} got {billed[number].text!r}, expected its own text {text!r}"
            )

    @_exercises("query_report")
    def test_query_report_round_trip(self, ileti_harness: Harness) -> None:
        """Report states are normalised, never move backwards, and all are final
        an hour later (numbers ending in 9 undelivered, the others delivered)."""
        h = ileti_harness
        client = h.client()
        if "query_report" not in h.capabilities:
            self._not_supported(h, "query_report", lambda: client.report("1"))
            return
        via = self._sends(h)
        numbers = h.numbers(3, undelivered=[1])
        sent = self._send_text(h, client, numbers)
        assert sent.message_id, f"{via} returned no message_id to report on"
        last: dict[str, DeliveryState] = {}
        elapsed = 0
        report = None
        for at in (0, 5, 15, 30, 45, 61, 3600):
            h.clock.advance(at - elapsed)
            elapsed = at
            report = client.report(sent.message_id)
            self._check_model("query_report", report)
            assert report.provider == h.name
            for r in report.recipients:
                assert r.number in numbers, f"the report names {r.number}, which was not sent to"
                previous = last.get(r.number)
                if previous is not None:
                    assert r.state.rank >= previous.rank, (
                        f"{r.number} went back from {previous} to {r.state} at +{at}s"
                    )
                    assert not previous.is_final or r.state is previous, (
                        f"{r.number} was final ({previous}) and became {r.state} at +{at}s"
                    )
                last[r.number] = r.state
        assert report is not None
        assert sorted(r.number for r in report.recipients) == sorted(numbers), (
            "an hour later the report must cover every recipient exactly once"
        )
        expected = {
            n: DeliveryState.UNDELIVERED if n.endswith("9") else DeliveryState.DELIVERED
            for n in numbers
        }
        got = {r.number: r.state for r in report.recipients}
        assert got == expected, f"an hour later the states are {got}, expected {expected}"
        assert report.is_final

    @_exercises("query_report")
    def test_every_message_id_can_be_reported(self, ileti_harness: Harness) -> None:
        """Every id a send returns (package and per recipient) can be reported on."""
        h = ileti_harness
        if "query_report" not in h.capabilities:
            pytest.skip(
                f"provider {h.name!r} does not implement query_report "
                "(NotSupported is checked by test_query_report_round_trip)"
            )
        client = h.client()
        results = []
        if "send" in h.capabilities:
            results.append(client.send(h.numbers(2), _TEXT, sender=h.sender))
        if "send_multi" in h.capabilities:
            results.append(client.send_multi([(n, _TEXT) for n in h.numbers(2)], sender=h.sender))
        if not results:
            pytest.skip(f"provider {h.name!r} sends nothing, so there is no id to report on")
        h.clock.advance(3600)
        for result in results:
            ids: dict[str, str | None] = {}
            if result.message_id:
                ids[result.message_id] = None
            for r in result.recipients:
                if r.message_id:
                    ids.setdefault(r.message_id, r.number)
            assert ids, "a send returned no id at all"
            for message_id, number in ids.items():
                report = client.report(message_id)
                self._check_model("query_report", report)
                reported = {r.number for r in report.recipients}
                if number is None:
                    assert reported, f"the report on package {message_id!r} lists no recipient"
                else:
                    assert number in reported, (
                        f"the report on {number}'s message id {message_id!r} does not list it"
                    )

    @_exercises("balance")
    def test_balance_round_trip(self, ileti_harness: Harness) -> None:
        """balance: well formed, and it falls by exactly what the emulator billed."""
        h = ileti_harness
        client = h.client()
        if "balance" not in h.capabilities:
            self._not_supported(h, "balance", client.balance)
            return
        before = client.balance()
        self._check_model("balance", before)
        assert before.provider == h.name
        assert before.amount is not None, "the emulated account has credit: amount is None"
        credit_before = h.emulator.credit
        if not any(c in h.capabilities for c in _SENDS):
            assert before.amount == credit_before
            return
        numbers = h.numbers(2)
        start = len(h.messages())
        text = "Bakiye kontrolü, iki parça: " + "x" * 170
        if "send" in h.capabilities:
            client.send(numbers, text, sender=h.sender)
        else:
            client.send_multi([(n, text) for n in numbers], sender=h.sender)
        billed = sum(m.parts for m in h.messages()[start:]) * type(h.emulator).price_per_part
        assert credit_before - h.emulator.credit == billed, (
            f"the emulator's credit fell by {credit_before - h.emulator.credit}, but it billed "
            f"{billed} (parts x price_per_part)"
        )
        after = client.balance()
        self._check_model("balance", after)
        assert after.amount is not None
        assert before.amount - after.amount == billed, (
            f"balance went from {before.amount} to {after.amount}; the emulator billed {billed}"
        )

    @_exercises("senders")
    def test_senders_round_trip(self, ileti_harness: Harness) -> None:
        """senders: well formed; the emulator's default sender is listed, approved."""
        h = ileti_harness
        client = h.client()
        if "senders" not in h.capabilities:
            self._not_supported(h, "senders", client.senders)
            return
        senders = client.senders()
        self._check_model("senders", senders)
        default = h.emulator.default_sender
        states = {s.name: s.state for s in senders}
        assert default in states, f"the default sender {default!r} is not listed: {states}"
        assert states[default] is SenderState.APPROVED

    @_exercises("provider_emulator")
    def test_configured_account(self, ileti_harness: Harness) -> None:
        """configure(senders=..., credit=...), what ``ileti emulate P --sender NAME
        --credit N`` does: the sender is approved (listed, and a send from it is
        accepted) and the balance shows the credit."""
        h = ileti_harness
        client = h.client()
        with h.emulator.lock:
            h.emulator.configure(senders=["CONFSENDER"], credit=5000)
        if "balance" in h.capabilities:
            balance = client.balance()
            assert balance.amount == Decimal(5000), (
                f"configure(credit=5000) but the balance says {balance}"
            )
        if "senders" in h.capabilities:
            states = {s.name: s.state for s in client.senders()}
            assert states.get("CONFSENDER") is SenderState.APPROVED, (
                f"configure(senders=['CONFSENDER']) but senders() says {states}"
            )
        start = len(h.messages())
        if "send" in h.capabilities:
            result = client.send(h.numbers(1), "Merhaba", sender="CONFSENDER")
        elif "send_multi" in h.capabilities:
            result = client.send_multi([(h.numbers(1)[0], "Merhaba")], sender="CONFSENDER")
        else:
            return
        assert all(r.accepted for r in result.recipients)
        assert [m.sender for m in h.messages()[start:]] == ["CONFSENDER"]

    @_exercises("provider_emulator")
    def test_emulator_refuses_wrong_credentials(self, ileti_harness: Harness) -> None:
        """The emulator checks credentials on every hook: with each credential
        wrong in turn, every capability raises ``AuthenticationError`` and no
        message is accepted. An emulator that takes anything would let a plugin
        that sends no credentials, or the wrong ones, pass the whole suite."""
        h = ileti_harness
        number = h.numbers(1)[0]
        capabilities = [c for c in CAPABILITIES if c in h.capabilities]
        credentials = h.credentials()
        if not capabilities or not credentials:
            pytest.skip("the provider has no credentials or no capability")
        message_id = _sent_message_id(h, number)
        start = len(h.messages())
        once = RetryPolicy(attempts=1)
        for name, value in credentials.items():
            wrong: dict[str, Any] = {name: f"wrong-{value}"}
            try:
                client = h.client(retry=once, **wrong)
            except ConfigurationError:
                continue  # a setting with a format of its own (a code table), not a credential
            try:
                calls = _calls(h, client, number=number, message_id=message_id)
                for capability, call in calls.items():
                    if capability not in capabilities:
                        continue
                    try:
                        value_ = call()
                    except AuthenticationError:
                        continue
                    except UnknownMessage:
                        if capability == "query_report":
                            continue  # "not on this account": a report store kept per account
                        raise
                    except IletiError as exc:
                        raise AssertionError(
                            f"{capability} with a wrong {name} raised {type(exc).__name__}: "
                            f"{exc}; the emulator must refuse it as the gateway documents "
                            "(AuthenticationError)"
                        ) from exc
                    raise AssertionError(
                        f"{capability} with a wrong {name} was answered: {value_!r}; the "
                        "emulator must check every credential on every request"
                    )
            finally:
                client.close()
        assert len(h.messages()) == start, "a send with wrong credentials was accepted"

    @_exercises("send", "send_multi")
    def test_schedule_arrives_as_asked(self, ileti_harness: Harness) -> None:
        """Property: for a provider that declares scheduling, the instant a
        ``send`` or ``send_multi`` asks for, in any time zone, is the instant
        its emulator records (read in the gateway's own zone): never early
        (beyond a second, for a gateway that reads instants to the second),
        and at most a minute late for a gateway that takes whole minutes; with
        the sender asked. A plugin that loses the schedule on one path, or
        writes it in the wrong zone, fails."""
        h = ileti_harness
        sends = [c for c in ("send", "send_multi") if c in h.capabilities]
        if not h.info.scheduling or not sends:
            pytest.skip("the provider declares no scheduling")
        zones = [
            UTC,
            ZoneInfo("Europe/Istanbul"),
            ZoneInfo("America/New_York"),
            ZoneInfo("Asia/Tokyo"),
            timezone(timedelta(hours=-3, minutes=-30)),
            timezone(timedelta(hours=5, minutes=45)),
        ]
        number = h.numbers(1)[0]
        client = h.client()

        @check_settings()
        @given(
            capability=st.sampled_from(sends),
            minutes=st.integers(10, 6 * 24 * 60),
            second=st.integers(0, 59),
            zone=st.sampled_from(zones),
        )
        def check(capability: str, minutes: int, second: int, zone: tzinfo) -> None:
            base = datetime.now(UTC).replace(second=0, microsecond=0)
            asked = (base + timedelta(minutes=minutes, seconds=second)).astimezone(zone)
            for message in _sent_with(h, client, capability, number, schedule=asked):
                at = getattr(message, "scheduled_at", None)
                assert at is not None, (
                    f"{capability} asked for {asked.isoformat()} and the emulator recorded a "
                    "message to go at once: the schedule was lost (or the emulator does not "
                    "record EmulatedMessage.scheduled_at)"
                )
                # a second of slack for a gateway that reads instants to the second
                assert asked - timedelta(seconds=1) <= at < asked + timedelta(minutes=1), (
                    f"{capability} asked for {asked.isoformat()} ({asked.astimezone(UTC):%H:%M:%S}"
                    f" UTC) and the gateway will send at {at.isoformat()} "
                    f"({at.astimezone(UTC):%H:%M:%S} UTC): "
                    + (
                        "early"
                        if at < asked - timedelta(seconds=1)
                        else "late or in the wrong time zone"
                    )
                )
                if h.sender is not None:
                    assert message.sender == h.sender, (
                        f"{capability} asked for sender {h.sender!r}, the emulator recorded "
                        f"{message.sender!r}"
                    )

        try:
            check()
        finally:
            client.close()

    @_exercises("send", "send_multi")
    def test_validity_arrives_as_asked(self, ileti_harness: Harness) -> None:
        """Property: for a provider that declares a validity, the validity a
        ``send`` or ``send_multi`` asks for (anywhere in the provider's
        ``validity_range``) is what its emulator records the gateway will
        apply: never shorter, and at most the gateway's unit (an hour) longer.
        A plugin that writes minutes where the gateway reads hours, or lets a
        gateway's silent default replace the asked validity, fails."""
        h = ileti_harness
        sends = [c for c in ("send", "send_multi") if c in h.capabilities]
        if not h.info.validity or not sends:
            pytest.skip("the provider declares no validity")
        low, high = h.info.validity_range or (timedelta(minutes=1), timedelta(hours=48))
        number = h.numbers(1)[0]
        client = h.client()

        @check_settings()
        @given(
            capability=st.sampled_from(sends),
            seconds=st.integers(int(low.total_seconds()), int(high.total_seconds())),
        )
        def check(capability: str, seconds: int) -> None:
            asked = timedelta(seconds=seconds)
            for message in _sent_with(h, client, capability, number, validity=asked):
                got = getattr(message, "validity", None)
                assert got is not None, (
                    f"{capability} asked for a validity of {asked} and the emulator recorded "
                    "none (record EmulatedMessage.validity as the gateway reads it)"
                )
                assert asked <= got <= asked + timedelta(hours=1), (
                    f"{capability} asked for a validity of {asked} and the gateway will apply "
                    f"{got}: " + ("shorter than asked" if got < asked else "far longer than asked")
                )

        try:
            check()
        finally:
            client.close()

    @_exercises("query_report")
    def test_emulator_knows_no_message_it_never_accepted(self, ileti_harness: Harness) -> None:
        """A report on an id shaped like the gateway's but never issued (a
        real one with its number moved on) is ``UnknownMessage``: an emulator
        that invents a report for it would let a campaign settle a send that
        never happened as sent."""
        h = ileti_harness
        if "query_report" not in h.capabilities or not (
            {"send", "send_multi"} & set(h.capabilities)
        ):
            pytest.skip("the provider does not report on what it sends")
        real = _sent_message_id(h, h.numbers(1)[0])
        digits = re.search(r"(\d+)(\D*)$", real)
        never = (
            f"{real[: digits.start(1)]}{int(digits[1]) + 900_000}{digits[2]}"
            if digits
            else f"{real}0"
        )
        client = h.client()
        said = f"the report on {never!r}, an id the emulator never issued (it issued {real!r})"
        try:
            report = client.report(never)
        except UnknownMessage:
            return
        except IletiError as exc:
            raise AssertionError(
                f"{said} raised {type(exc).__name__}: {exc}; an unknown id is UnknownMessage "
                "(Category.UNKNOWN_MESSAGE for the gateway's 'no such message')"
            ) from exc
        finally:
            client.close()
        raise AssertionError(f"{said} is {report!r}: the emulator invented it")

    @_exercises("provider_info", "send")
    def test_options_follow_provider_info(self, ileti_harness: Harness) -> None:
        """schedule, validity, flash and client_ref work when ProviderInfo offers
        them, and raise NotSupported before any request when it does not."""
        h = ileti_harness
        if "send" not in h.capabilities:
            pytest.skip(f"provider {h.name!r} does not implement send")
        info = h.info
        client = h.client()
        validity = timedelta(hours=1)
        if info.validity_range is not None:
            low, high = info.validity_range
            validity = min(max(validity, low), high)
        options: list[tuple[str, bool, dict[str, Any]]] = [
            ("scheduling", info.scheduling, {"schedule": datetime.now(UTC) + timedelta(hours=2)}),
            ("validity", info.validity, {"validity": validity}),
            ("flash", info.flash, {"flash": True}),
            ("client_reference", info.client_reference, {"client_ref": _ref()}),
        ]
        for flag, offered, kwargs in options:
            number = h.numbers(1)[0]
            received = h.received_count()
            start = len(h.messages())
            if not offered:
                with pytest.raises(NotSupported):
                    client.send(number, _TEXT, sender=h.sender, **kwargs)
                assert h.received_count() == received, f"{flag}: NotSupported after a request"
                continue
            result = client.send(number, _TEXT, sender=h.sender, **kwargs)
            self._check_model("send", result)
            assert [r.number for r in result.recipients] == [number]
            billed = h.messages()[start:]
            assert len(billed) == 1, f"with {flag}, the emulator billed {len(billed)} messages"
            if flag == "client_reference":
                ref = kwargs["client_ref"]
                assert billed[0].client_ref == ref, (
                    f"the client reference {ref!r} arrived as {billed[0].client_ref!r}"
                )
                assert result.client_ref == ref

    # ======================================================================= text

    @_exercises("provider_info", "send")
    def test_parts_at_every_boundary(self, ileti_harness: Harness) -> None:
        """At every part boundary of every encoding, predicted parts, wire value and
        text equal what the emulator billed (escape and surrogate pairs straddling)."""
        h = ileti_harness
        via = self._sends(h)
        h.top_up()
        client = h.client()
        profile = h.info.text
        top = min(profile.max_parts or 4, 4)
        problems: list[str] = []
        for enc in profile.encodings:
            rule = enc.rule
            one = _one_unit_char(rule)
            two = _two_unit_char(rule)
            sizes = {rule.single - 1, rule.single, rule.single + 1}
            for k in range(2, top + 1):
                sizes |= {rule.multi * k, rule.multi * k + 1}
            texts = [one * n for n in sorted(sizes)]
            if two is not None:
                texts += [one * (rule.single - 1) + two, one * (rule.multi - 1) + two + one * 10]
                texts += [two * (rule.multi // 2) + one + two]
            for text in texts:
                outcome = self._deliver(h, client, text, encoding=enc.name, via=via)
                if isinstance(outcome, _Delivery):
                    problems += self._billing_problems(outcome, text, enc.name)
        assert not problems, "\n".join(problems)

    @_exercises("send")
    def test_text_parts_and_wire_match_billing(self, ileti_harness: Harness) -> None:
        """Property: for generated texts and every offered encoding, predicted
        encoding and parts equal what the emulator billed; over-limit texts and
        texts an encoding cannot carry are refused before any request."""
        h = ileti_harness
        via = self._sends(h)
        h.top_up()
        client = h.client()
        profile = h.info.text
        names = ["auto", *(e.name for e in profile.encodings)]

        cases = st.sampled_from(names).flatmap(
            lambda name: st.tuples(sms_texts(profile, encoding=name), st.just(name))
        )

        @check_settings()
        @given(case=cases)
        def check(case: tuple[str, str]) -> None:
            text, encoding = case
            outcome = self._deliver(h, client, text, encoding=encoding, via=via)
            if isinstance(outcome, _Delivery):
                problems = self._billing_problems(outcome, text, encoding)
                assert not problems, "\n".join(problems)
                preview = client.preview(text, encoding=encoding)
                assert preview.parts == outcome.prediction.parts

        check()

    @_exercises("send_multi")
    def test_batch_parts_match_billing(self, ileti_harness: Harness) -> None:
        """Property: a personalised batch bills each recipient what was predicted."""
        h = ileti_harness
        if "send_multi" not in h.capabilities:
            pytest.skip(
                f"provider {h.name!r} does not implement send_multi "
                "(NotSupported is checked by test_send_multi_round_trip)"
            )
        h.top_up()
        client = h.client()
        profile = h.info.text
        most = min(3, h.info.max_recipients or 3)

        @check_settings()
        @given(texts=st.lists(sms_texts(profile, parts_cap=2), min_size=1, max_size=most))
        def check(texts: list[str]) -> None:
            numbers = h.numbers(len(texts))
            batch = Batch(
                items=[BatchItem(n, t) for n, t in zip(numbers, texts, strict=True)],
                sender=h.sender,
            )
            received = h.received_count()
            try:
                prepared = client.prepare_batch(batch)
            except ValidationError as refusal:
                with pytest.raises(type(refusal)):
                    client.send_multi(batch)
                assert h.received_count() == received, "refused after a request"
                return
            start = len(h.messages())
            result = client.send_multi(batch)
            self._check_model("send_multi", result)
            assert [r.number for r in result.recipients] == numbers
            billed = {m.recipient: m for m in h.messages()[start:]}
            assert sorted(billed) == sorted(numbers), "each recipient billed exactly once"
            for item in prepared.items:
                m = billed[item.recipient]
                seg = item.segmentation
                assert m.parts == seg.parts, (
                    f"{item.text[:30]!r}: predicted {seg.parts} part(s) in {seg.encoding}, "
                    f"the emulator billed {m.parts}"
                )
                if m.wire_encoding is not None:
                    assert m.wire_encoding == seg.wire
                assert m.text == item.text, f"the text arrived as {m.text[:60]!r}"

        check()

    @_exercises("send")
    def test_over_limit_text_refused_before_request(self, ileti_harness: Harness) -> None:
        """A text of exactly max_parts is sent and billed max_parts; one unit more
        raises MessageTooLong before any request."""
        h = ileti_harness
        profile = h.info.text
        if profile.max_parts is None:
            pytest.skip("the text profile declares no part limit (max_parts)")
        via = self._sends(h)
        h.top_up()
        client = h.client()
        limit = profile.max_parts
        for enc in profile.encodings:
            rule = enc.rule
            one = _one_unit_char(rule)
            fits = one * (rule.single if limit == 1 else rule.multi * limit)
            outcome = self._deliver(h, client, fits, encoding=enc.name, via=via)
            assert isinstance(outcome, _Delivery), (
                f"{enc.name}: a text of exactly {limit} part(s) was refused: {outcome}"
            )
            assert outcome.prediction.parts == limit
            problems = self._billing_problems(outcome, fits, enc.name)
            assert not problems, "\n".join(problems)
            refusal = self._deliver(h, client, fits + one, encoding=enc.name, via=via)
            assert isinstance(refusal, MessageTooLong), (
                f"{enc.name}: a text one unit over {limit} part(s) was not refused with "
                f"MessageTooLong: {refusal!r}"
            )

    @_exercises("send", "send_multi")
    def test_text_arrives_exactly_as_sent(self, ileti_harness: Harness) -> None:
        """Quotes, &, <, ]]>, newlines, Turkish letters and emoji reach the gateway
        exactly as sent (after NFC, and folding where the encoding folds)."""
        h = ileti_harness
        self._sends(h)
        h.top_up()
        client = h.client()
        routes = [c for c in _SENDS if c in h.capabilities]
        sent = 0
        problems: list[str] = []
        for via in routes:
            for text in TRICKY_TEXTS:
                outcome = self._deliver(h, client, text, via=via)
                if not isinstance(outcome, _Delivery):
                    continue
                sent += 1
                problems += self._billing_problems(outcome, text, "auto")
                seg = outcome.prediction
                if not seg.folded:
                    assert seg.text == unicodedata.normalize("NFC", text)
        assert sent, "not one of the tricky texts could be sent"
        assert not problems, "\n".join(problems)
        alphabet = GSM_BASIC + GSM_EXTENSION + TURKISH + UCS2_ONLY + "&<>\"'];"

        @check_settings()
        @given(
            text=st.lists(
                st.sampled_from(tuple(alphabet)) | st.sampled_from(EMOJI), min_size=1, max_size=40
            ).map("".join),
            via=st.sampled_from(routes),
        )
        def check(text: str, via: str) -> None:
            outcome = self._deliver(h, client, text, via=via)
            if isinstance(outcome, _Delivery):
                problems = self._billing_problems(outcome, text, "auto")
                assert not problems, "\n".join(problems)

        check()

    @_exercises("send")
    def test_xml_forbidden_characters_refused_before_request(self, ileti_harness: Harness) -> None:
        """Characters XML 1.0 forbids raise InvalidContent before any request."""
        h = ileti_harness
        self._sends(h)
        client = h.client()
        for via in (c for c in _SENDS if c in h.capabilities):
            for char in XML_FORBIDDEN:
                text = f"Merhaba{char}dünya"
                refusal = self._deliver(h, client, text, via=via)
                assert isinstance(refusal, InvalidContent), (
                    f"{via} of a text with U+{ord(char):04X} was not refused: {refusal!r}"
                )

    # ===================================================================== errors

    @_exercises("send")
    def test_documented_errors_map_to_typed_errors(self, ileti_target: Target) -> None:
        """Every documented error code, forced on the emulator, raises its ileti error."""
        probe = Harness(ileti_target)
        try:
            documented = dict(getattr(probe.emulator, "documented_errors", {}) or {})
            capabilities = probe.capabilities
        finally:
            probe.close()
        assert documented, "the emulator documents no errors (documented_errors is empty)"
        operation = next((c for c in (*_SENDS, "balance", "senders") if c in capabilities), None)
        if operation is None:
            pytest.skip("the provider implements no call to force errors on")
        problems: list[str] = []
        for code, class_name in documented.items():
            expected = getattr(ileti_errors, class_name)
            h = Harness(ileti_target)
            try:
                call = _calls(h, h.client(), number=h.numbers(1)[0])[operation]
                h.emulator.force_error(code)
                try:
                    call()
                except IletiError as exc:
                    if not isinstance(exc, expected):
                        problems.append(
                            f"code {code!r}: {operation} raised {type(exc).__name__} "
                            f"({exc.message}); documented as {class_name}"
                        )
                    elif exc.provider != h.name:
                        problems.append(f"code {code!r}: the error names provider {exc.provider!r}")
                except Exception as exc:
                    problems.append(
                        f"code {code!r}: raised {type(exc).__name__}, not an IletiError"
                    )
                else:
                    problems.append(f"code {code!r}: {operation} succeeded; expected {class_name}")
                if h.emulator.pending_errors:
                    problems.append(f"code {code!r}: the forced error never reached the emulator")
            finally:
                h.close()
        assert not problems, "\n".join(problems)

    # ===================================================================== faults

    @_exercises("send", "send_multi")
    @pytest.mark.parametrize("fault", list(FAULTS))
    def test_send_fault(self, ileti_harness: Harness, fault: str) -> None:
        """A send that meets a transport fault raises DeliveryUnknown, and the
        gateway saw exactly one request: an ambiguous send is never replayed."""
        h = ileti_harness
        self._sends(h)
        read = HANG_READ_TIMEOUT if fault == "hang" else 10.0
        total = DRIP_TOTAL_DEADLINE if fault == "drip" else None
        for via in (c for c in _SENDS if c in h.capabilities):
            proxy = h.proxy()
            timeout = Timeout(connect=5.0, read=read, total=total)
            client = h.client(base_url=proxy.base_url, timeout=timeout)
            proxy.set_faults(FAULTS[fault])
            number = h.numbers(1)[0]
            ref = _ref() if h.info.client_reference and via == "send" else None
            outcome: object
            began = time.monotonic()
            try:
                if via == "send":
                    outcome = client.send(number, _TEXT, sender=h.sender, client_ref=ref)
                else:
                    outcome = client.send_multi([(number, _TEXT)], sender=h.sender)
            except Exception as exc:
                outcome = exc
            assert proxy.request_count, (
                f"{via} made no request through the proxy; it raised {outcome!r} first"
            )
            assert proxy.request_count == 1, (
                f"{via}: the gateway saw {proxy.request_count} requests for one {via} after a "
                f"{fault} fault; a send whose request may have left must never be replayed "
                "(raise DeliveryUnknown instead)"
            )
            assert isinstance(outcome, DeliveryUnknown), (
                f"{via} after a {fault} fault gave {outcome!r}; expected DeliveryUnknown"
            )
            assert outcome.client_ref, "DeliveryUnknown carries no client reference"
            if ref is not None:
                assert outcome.client_ref == ref
            if total is not None:
                took = time.monotonic() - began
                assert took < total + 2.0, (
                    f"{via} took {took:.1f}s against a dripping gateway; the total deadline of "
                    f"a request was {total:g}s"
                )

    @_exercises("send", "send_multi")
    def test_send_rate_limited_is_refused(self, ileti_harness: Harness) -> None:
        """An HTTP 429 answer to a send is RateLimited (the gateway did not
        process it: nothing was sent), the same for every provider, and the
        send is not replayed."""
        h = ileti_harness
        self._sends(h)
        for via in (c for c in _SENDS if c in h.capabilities):
            proxy = h.proxy()
            client = h.client(base_url=proxy.base_url)
            proxy.set_faults(FaultSpec.http_status(429, retry_after=1))
            number = h.numbers(1)[0]
            outcome: object
            try:
                if via == "send":
                    outcome = client.send(number, _TEXT, sender=h.sender)
                else:
                    outcome = client.send_multi([(number, _TEXT)], sender=h.sender)
            except Exception as exc:
                outcome = exc
            assert isinstance(outcome, RateLimited), (
                f"{via} answered HTTP 429 gave {outcome!r}; expected RateLimited"
            )
            assert proxy.request_count == 1, (
                f"{via}: the gateway saw {proxy.request_count} requests after a 429; expected 1"
            )

    @_exercises("send", "send_multi", "query_report", "balance", "senders")
    def test_refused_connection_retried_then_transport_error(
        self, ileti_harness: Harness, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A refused connection is retried up to the RetryPolicy's bound, then
        raises TransportError (nothing was sent, so not DeliveryUnknown)."""
        h = ileti_harness
        message_id = "1"
        if "query_report" in h.capabilities and any(c in h.capabilities for c in _SENDS):
            real = h.client()
            number = h.numbers(1)[0]
            if "send" in h.capabilities:
                sent = real.send(number, _TEXT, sender=h.sender)
            else:
                sent = real.send_multi([(number, _TEXT)], sender=h.sender)
            message_id = sent.message_id or message_id
        url = refused_url()
        port = urlsplit(url).port
        policy = RetryPolicy(attempts=3, backoff=0.0, max_backoff=0.0)
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="urllib3")
        client = h.client(base_url=url, retry=policy)
        calls = _calls(h, client, number=h.numbers(1)[0], message_id=message_id)
        for capability, call in calls.items():
            if capability not in h.capabilities:
                continue
            caplog.clear()
            with pytest.raises(IletiError) as caught:
                call()
            assert type(caught.value) is TransportError, (
                f"{capability} to a refused port raised {caught.value!r}; expected TransportError"
            )
            attempts = sum(
                1
                for r in caplog.records
                if r.name.startswith("urllib3")
                and "Starting new HTTP" in r.getMessage()
                and f":{port}" in r.getMessage()
            )
            assert attempts == policy.attempts, (
                f"{capability}: {attempts} connection attempt(s) to a refused port; the retry "
                f"policy allows {policy.attempts}"
            )

    @_exercises("query_report", "balance", "senders")
    def test_reads_retry_unavailable_within_bound(self, ileti_harness: Harness) -> None:
        """Reads retry HTTP 503 within the RetryPolicy's bound: two 503s then
        success; three 503s with three attempts is a TransportError."""
        h = ileti_harness
        reads = [c for c in _READS if c in h.capabilities]
        if not reads:
            pytest.skip(f"provider {h.name!r} implements no read (query_report, balance, senders)")
        proxy = h.proxy()
        policy = RetryPolicy(attempts=3, backoff=0.0, max_backoff=0.0)
        client = h.client(base_url=proxy.base_url, retry=policy)
        message_id = "1"
        if "query_report" in reads:
            via = self._sends(h)
            number = h.numbers(1)[0]
            if via == "send":
                sent = client.send(number, _TEXT, sender=h.sender)
            else:
                sent = client.send_multi([(number, _TEXT)], sender=h.sender)
            assert sent.message_id
            message_id = sent.message_id
        calls = _calls(h, client, number=h.numbers(1)[0], message_id=message_id)
        for capability in reads:
            proxy.set_faults(503, 503)
            start = proxy.request_count
            value = calls[capability]()
            self._check_model(capability, value)
            assert proxy.request_count - start == 3, (
                f"{capability}: {proxy.request_count - start} requests for two 503s and a "
                "success; expected 3"
            )
            proxy.set_faults(503, 503, 503)
            start = proxy.request_count
            with pytest.raises(TransportError):
                calls[capability]()
            assert proxy.request_count - start == policy.attempts, (
                f"{capability}: {proxy.request_count - start} requests; the bound is "
                f"{policy.attempts}"
            )
            proxy.set_faults()

    # ============================================================== send history

    @_exercises("sent_packages")
    def test_sent_packages_round_trip(self, ileti_harness: Harness) -> None:
        """sent_packages (optional): every package sent in a range is listed
        once, with an aware time in the range, its sender, recipients and
        parts as sent, and an id ``query_report`` takes; a range before the
        sends lists none of them. A provider without it raises NotSupported
        before any request."""
        from datetime import timedelta

        from ileti.models import SentPackage

        h = ileti_harness
        client = h.client()
        start = h.clock.now()
        if not h.loaded.implements("sent_packages"):
            before = h.received_count()
            with pytest.raises(NotSupported) as caught:
                client.sent_packages(start)
            assert caught.value.capability == "sent_packages"
            assert h.received_count() == before
            return
        numbers = h.numbers(2)
        sent = [self._send_text(h, client, numbers), self._send_text(h, client, numbers[:1])]
        h.clock.advance(60)
        end = h.clock.now() + timedelta(minutes=1)
        listed = list(client.sent_packages(start - timedelta(minutes=1), end))
        for package in listed:
            assert isinstance(package, SentPackage), f"sent_packages gave {package!r}"
            assert package.provider == client.provider
            assert package.sent_at is not None, "a listed package has no time"
            assert start - timedelta(minutes=1) <= package.sent_at <= end, (
                f"package {package.message_id} is listed at {package.sent_at}, outside the range"
            )
        ids = [p.message_id for p in listed]
        assert len(ids) == len(set(ids)), f"a package is listed twice: {ids}"
        for result, count in zip(sent, (2, 1), strict=True):
            if result.message_id is None:
                continue
            found = [p for p in listed if p.message_id == result.message_id]
            assert found, f"the package {result.message_id} sent is not listed"
            assert found[0].recipients in (None, count)
            assert found[0].sender in (None, h.sender) or h.sender is None
            if "query_report" in h.capabilities:
                client.report(found[0].message_id)  # the listed id is a report id
        earlier = list(client.sent_packages(start - timedelta(days=2), start - timedelta(days=1)))
        assert not {p.message_id for p in earlier} & {r.message_id for r in sent}, (
            "a range before the sends lists them"
        )

    # ============================================================== panel link

    @_exercises("panel_login")
    def test_panel_login_round_trip(self, ileti_harness: Harness) -> None:
        """panel_login (optional): an https link held in a Secret, which no
        repr and no log record shows, with an expiry in the future. A
        provider without it raises NotSupported before any request."""
        import logging

        from ileti.models import PanelLogin
        from ileti.settings import Secret

        h = ileti_harness
        client = h.client()
        if not h.loaded.implements("panel_login"):
            before = h.received_count()
            with pytest.raises(NotSupported) as caught:
                client.panel_login()
            assert caught.value.capability == "panel_login"
            assert h.received_count() == before
            return
        records: list[str] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(self.format(record))

        handler = Keep(logging.DEBUG)
        root = logging.getLogger()
        old = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            login = client.panel_login()
        finally:
            root.removeHandler(handler)
            root.setLevel(old)
        assert isinstance(login, PanelLogin), f"panel_login gave {login!r}"
        assert isinstance(login.url, Secret), "the link is a credential: hold it in a Secret"
        url = login.url.reveal()
        assert url.startswith("https://"), f"the panel link is not https: {url[:30]!r}"
        assert url not in repr(login)
        shown = "\n".join(records)
        assert url not in shown, "the panel link appears in a log record"
        if login.expires_at is not None:
            assert login.expires_at > h.clock.now() - timedelta(days=1)

    # ============================================================== pushed reports

    @_exercises("parse_push")
    def test_pushed_reports_round_trip(self, ileti_harness: Harness) -> None:
        """parse_push (optional): with ``push_url`` set, the emulator's
        ``push_reports()`` reaches a receiver on loopback, and what arrives is
        every recipient's final state under the package id the send gave;
        ``query_report`` then agrees. A provider without it raises NotSupported."""
        from ileti.push import PushReceiver

        h = ileti_harness
        if self._push_not_supported(h):
            return
        fields = attrs.fields_dict(h.info.settings_type)
        assert "push_url" in fields, "a provider with parse_push needs a push_url setting"
        assert callable(getattr(h.emulator, "push_reports", None)), (
            "the emulator of a provider with parse_push needs push_reports()"
        )
        pushed: list[DeliveryReport] = []
        receiver = PushReceiver(h.client(), pushed.extend)
        served = h.serve(receiver.wsgi)
        client = h.client(push_url=receiver.url(served.base_url + "/push"))
        numbers = h.numbers(3, undelivered=[1])
        sent = self._send_text(h, client, numbers)
        h.clock.advance(3600)
        count = h.emulator.push_reports()
        assert count >= len(numbers), f"push_reports() pushed {count} reports, not one each"
        assert h.emulator.push_reports() == 0, "an unchanged state was pushed again"
        for report in pushed:
            self._check_model("query_report", report)
        assert {r.message_id for r in pushed} == {sent.message_id}, (
            "pushed reports must name the package id the send returned"
        )
        got = {r.number: r.state for report in pushed for r in report.recipients}
        expected = {
            n: DeliveryState.UNDELIVERED if n.endswith("9") else DeliveryState.DELIVERED
            for n in numbers
        }
        assert got == expected, f"the pushed states are {got}, expected {expected}"
        if "query_report" in h.capabilities and sent.message_id:
            report = client.report(sent.message_id)
            assert {r.number: r.state for r in report.recipients} == expected, (
                "query_report disagrees with what was pushed"
            )

    @_exercises("parse_push")
    def test_garbage_pushes_raise_only_ileti_errors(self, ileti_harness: Harness) -> None:
        """Property: whatever reaches the push URL, parse_push returns
        well-formed reports or raises an IletiError, nothing else."""
        from ileti.push import PushRequest, new_token

        h = ileti_harness
        if self._push_not_supported(h):
            return
        bodies: list[bytes] = []

        def catch(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            bodies.append(environ["wsgi.input"].read(length))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"OK"]

        served = h.serve(catch)
        client = h.client(push_url=f"{served.base_url}/{new_token()}")
        self._send_text(h, client, h.numbers(2))
        h.clock.advance(3600)
        h.emulator.push_reports()
        assert bodies, "the emulator pushed nothing to sample"
        samples = [Answer(200, "application/octet-stream", b) for b in bodies]

        @check_settings()
        @given(answer=garbage_answers(samples), method=st.sampled_from(["POST", "GET"]))
        def check(answer: Answer, method: str) -> None:
            request = PushRequest(method, "/", headers={"content-type": answer.content_type},
                                  body=answer.body)  # fmt: skip
            try:
                reports = client.read_push(request)
            except IletiError:
                return
            except Exception as exc:
                raise AssertionError(
                    f"parse_push raised {type(exc).__name__}: {exc}; only IletiError may "
                    "reach the user"
                ) from exc
            for report in reports:
                self._check_model("query_report", report)

        check()

    # ==================================================================== garbage

    @_exercises("send", "send_multi", "query_report", "balance", "senders")
    def test_garbage_answers_raise_only_ileti_errors(self, ileti_harness: Harness) -> None:
        """Property: whatever the gateway answers (any status, content type and
        body), every capability returns a well-formed result or raises an
        IletiError, and the plugin's own hook raises nothing else either."""
        h = ileti_harness
        recorder = Recorder(h.emulator)
        recorded = h.serve(recorder)
        real = h.client(base_url=recorded.base_url)
        number = h.numbers(1)[0]
        message_id = "1"
        samples: dict[str, list[Any]] = {}
        capabilities = [c for c in CAPABILITIES if c in h.capabilities]
        if not capabilities:
            pytest.skip("the provider implements no capability")
        for capability in capabilities:
            start = len(recorder.answers)
            value = _calls(h, real, number=number, message_id=message_id)[capability]()
            if isinstance(value, SendResult) and value.message_id:
                message_id = value.message_id
            samples[capability] = recorder.answers[start:]
        app = GarbageApp()
        served = h.serve(app)
        spy = _RawErrorSpy()
        retry = RetryPolicy(attempts=2, backoff=0.0, max_backoff=0.0, retry_after_cap=0.0)

        def check_capability(capability: str) -> None:
            @check_settings()
            @given(answer=garbage_answers(samples[capability]))
            def check(answer: Any) -> None:
                app.answer = answer
                spy.raised.clear()
                client = h.client(base_url=served.base_url, retry=retry, extensions=[spy])
                call = _calls(h, client, number=number, message_id=message_id)[capability]
                try:
                    value = call()
                except IletiError:
                    pass
                except Exception as exc:
                    raise AssertionError(
                        f"{capability} raised {type(exc).__name__}: {exc}; only IletiError "
                        "may reach the user"
                    ) from exc
                else:
                    self._check_model(capability, value)
                finally:
                    client.close()
                stray = [(hook, e) for hook, e in spy.raised if not isinstance(e, IletiError)]
                assert not stray, (
                    f"the plugin's {stray[0][0]} hook raised {type(stray[0][1]).__name__}: "
                    f"{stray[0][1]}; the client's safety net hid it, but a plugin must raise "
                    "IletiError itself (e.g. response.malformed(...)) on an answer it cannot "
                    "read"
                )

            check()

        for capability in capabilities:
            check_capability(capability)

    @_exercises("send", "send_multi")
    def test_readable_junk_to_a_send_is_an_unknown_outcome(self, ileti_harness: Harness) -> None:
        """Property: a 200 answer to a send that reads as text but is no answer
        of the gateway's format (a captive portal's page, a bare "OK", JSON of
        another shape, XML of another schema, whitespace) ends in
        ``DeliveryUnknown``: the gateway may have taken the message, so it must
        not read as "refused, nothing sent", which invites a resend."""
        h = ileti_harness
        sends = [c for c in ("send", "send_multi") if c in h.capabilities]
        if not sends:
            pytest.skip("the provider sends nothing")
        number = h.numbers(1)[0]
        app = GarbageApp()
        served = h.serve(app)
        once = RetryPolicy(attempts=1)

        def check_capability(capability: str) -> None:
            @check_settings()
            @given(answer=readable_junk_answers())
            def check(answer: Any) -> None:
                app.answer = answer
                client = h.client(base_url=served.base_url, retry=once)
                try:
                    call = _calls(h, client, number=number)[capability]
                    try:
                        value = call()
                    except DeliveryUnknown:
                        return
                    except IletiError as exc:
                        raise AssertionError(
                            f"{capability} read a junk 200 answer ({answer!r}) as "
                            f"{type(exc).__name__}: {exc}; it may have been sent: raise "
                            "DeliveryUnknown (response.malformed(...) on a send does)"
                        ) from exc
                    raise AssertionError(
                        f"{capability} read a junk 200 answer ({answer!r}) as a result: {value!r}"
                    )
                finally:
                    client.close()

            check()

        for capability in sends:
            check_capability(capability)

    @_exercises("query_report", "balance", "senders")
    def test_readable_junk_to_a_read_is_malformed(self, ileti_harness: Harness) -> None:
        """Property: a 200 answer to a report, balance or senders read that
        reads as text but is no answer of the gateway's format ends in
        ``MalformedResponse``: never a value built from junk (the lines of a
        portal page taken as sender names) and never another error (a report
        read as "no such message" would prove a send absent and invite a
        resend)."""
        h = ileti_harness
        reads = [c for c in ("query_report", "balance", "senders") if c in h.capabilities]
        if not reads:
            pytest.skip("the provider reads nothing")
        number = h.numbers(1)[0]
        message_id = _sent_message_id(h, number)
        app = GarbageApp()
        served = h.serve(app)
        once = RetryPolicy(attempts=1)

        def check_capability(capability: str) -> None:
            @check_settings()
            @given(answer=readable_junk_answers())
            def check(answer: Any) -> None:
                app.answer = answer
                client = h.client(base_url=served.base_url, retry=once)
                try:
                    call = _calls(h, client, number=number, message_id=message_id)
                    try:
                        value = call[capability]()
                    except MalformedResponse:
                        return
                    except IletiError as exc:
                        raise AssertionError(
                            f"{capability} read a junk 200 answer ({answer!r}) as "
                            f"{type(exc).__name__}: {exc}; raise MalformedResponse "
                            "(response.malformed(...))"
                        ) from exc
                    raise AssertionError(
                        f"{capability} read a junk 200 answer ({answer!r}) as a result: {value!r}"
                    )
                finally:
                    client.close()

            check()

        for capability in reads:
            check_capability(capability)

    # ==================================================================== secrets

    @_exercises("send", "send_multi", "query_report", "balance", "senders")
    def test_canary_credentials_never_leak(
        self,
        ileti_harness: Harness,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The emulator's secret credentials (canaries) appear in no DEBUG log
        record (urllib3's included), no repr or str of settings, client, results
        or errors (with their causes), and no output of the ileti command."""
        h = ileti_harness
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="urllib3")
        creds = h.credentials()
        client = h.client()
        settings_obj = client.settings
        secrets = {
            f.name: getattr(settings_obj, f.name).reveal()
            for f in attrs.fields(type(settings_obj))
            if isinstance(getattr(settings_obj, f.name), Secret)
            and getattr(settings_obj, f.name).reveal()
        }
        if creds:
            assert secrets, (
                f"none of the credentials {sorted(creds)} is declared as ileti.Secret in "
                f"{type(settings_obj).__name__}; credentials must be Secret fields"
            )
        short = sorted(f for f, v in secrets.items() if len(v) < 8)
        assert not short, (
            f"the emulator's credentials {short} are too short to be searched for reliably; "
            "make credentials() return distinctive values of 8 characters or more"
        )
        canaries = Canaries(secrets, others=[v for k, v in creds.items() if k not in secrets])
        texts: list[tuple[str, str]] = []
        failures: list[BaseException] = []

        def look(where: str, value: object) -> None:
            texts.append((f"repr({where})", repr(value)))
            texts.append((f"str({where})", str(value)))

        def attempt(where: str, call: Callable[[], object]) -> object:
            try:
                value = call()
            except Exception as exc:
                failures.append(exc)
                return None
            look(where, value)
            return value

        look("client", client)
        look("settings", settings_obj)
        look("resolved settings", client.resolved_settings)
        look("masked settings", client.resolved_settings.masked())
        look("transport", client.transport)

        numbers = h.numbers(2)
        message_id = "1"
        for capability, call in (
            ("send", lambda: client.send(numbers, _TEXT, sender=h.sender)),
            ("send_multi", lambda: client.send_multi([(n, _TEXT) for n in numbers])),
        ):
            if capability in h.capabilities:
                result = attempt(capability, call)
                if isinstance(result, SendResult) and result.message_id:
                    message_id = result.message_id
        h.clock.advance(3600)
        calls = _calls(h, client, number=numbers[0], message_id=message_id)
        for capability in _READS:
            attempt(capability, calls[capability])  # a NotSupported message is looked at too

        # documented errors, forced one by one
        op = next((c for c in (*_SENDS, "balance", "senders") if c in h.capabilities), None)
        for code in getattr(h.emulator, "documented_errors", {}) or {}:
            if op is None or h.emulator.pending_errors:
                break
            h.emulator.force_error(code)
            attempt(f"error {code}", calls[op])

        # faults through the proxy, on sends and on reads
        proxy = h.proxy()
        faulty = _calls(
            h, h.client(base_url=proxy.base_url), number=numbers[0], message_id=message_id
        )
        for fault in (Fault.GARBAGE, Fault.HTML, Fault.HTTP_500, Fault.TRUNCATED, Fault.RESET):
            for capability in h.capabilities:
                proxy.set_faults(fault, fault, fault)
                attempt(f"{capability} after {fault.name}", faulty[capability])
        proxy.set_faults()
        refused = _calls(
            h, h.client(base_url=refused_url()), number=numbers[0], message_id=message_id
        )
        for capability in h.capabilities:
            attempt(f"{capability} to a refused port", refused[capability])

        # configuration errors: a missing secret, credentials put in the URL
        for field, value in secrets.items():
            missing: dict[str, Any] = {field: None}
            attempt(f"client without {field}", functools.partial(h.client, **missing))
            attempt(
                "client with credentials in base_url",
                functools.partial(h.client, base_url=f"http://admin:{value}@127.0.0.1:1/"),
            )

        # the ileti command, with the settings in the environment
        cli_output = self._cli_output(h, monkeypatch, capsys, message_id)
        texts += cli_output

        for exc in failures:
            texts += list(exception_texts(exc))
        leaks = [
            f"{where}: shows the {field} canary"
            for where, text in texts
            if (field := canaries.found_in(text))
        ]
        for record in caplog.records:
            for text in record_texts(record):
                field = canaries.found_in(text)
                if field:
                    leaks.append(
                        f"log record of {record.name!r} at {record.levelname} shows the {field} "
                        f"canary: {canaries.mask(text)[:200]!r}"
                    )
                    break
        field = canaries.found_in(caplog.text)
        if field and not leaks:
            leaks.append(f"the captured log text shows the {field} canary")
        assert not leaks, "secret credentials leaked:\n  " + "\n  ".join(dict.fromkeys(leaks))

    @staticmethod
    def _cli_output(
        h: Harness,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        message_id: str,
    ) -> list[tuple[str, str]]:
        """What ``ileti`` prints (stdout, stderr, DEBUG logs) with the provider's
        settings in the environment, for the commands that touch them.

        The commands that name a provider load it by its entry point, so they
        run only for an installed provider (not for a ``plugin`` loaded in-process).
        """
        try:
            from ileti import cli
        except ImportError:
            return []
        main = getattr(cli, "main", None)
        if main is None:
            return []
        from ileti.settings import env_var

        for field, value in h.settings_values().items():
            if isinstance(value, str):
                monkeypatch.setenv(env_var(h.name, field), value)
        monkeypatch.setenv("ILETI_CONFIG", os.devnull)
        monkeypatch.delenv("ILETI_PROVIDER", raising=False)
        runs: list[list[str]] = [["-vv", "providers"], ["providers", "--json"]]
        if h.target.installed:
            p = ["--provider", h.name]
            number = h.numbers(1)[0]
            sender = ["--sender", h.sender] if h.sender else []
            runs += [["-vv", "config", "show", *p], ["config", "show", *p, "--json"]]
            if "send" in h.capabilities:
                send = ["-vv", "send", *p, "--to", number, "--text", _TEXT, *sender]
                runs += [send, [*send, "--json"]]
                documented = list(getattr(h.emulator, "documented_errors", {}) or {})
                if documented:
                    h.emulator.force_error(documented[0])
                    runs.append(send)
            for capability, command in (("balance", "balance"), ("senders", "senders")):
                if capability in h.capabilities:
                    runs += [["-vv", command, *p], [command, *p, "--json"]]
            if "query_report" in h.capabilities:
                runs.append(["-vv", "report", *p, message_id])
            bad_url = "base_url=http://admin:{}@127.0.0.1:1/"
            for secret in (v for k, v in h.credentials().items() if k != "base_url"):
                runs.append(["-vv", "balance", *p, "--set", bad_url.format(secret)])
        out: list[tuple[str, str]] = []
        for argv in runs:
            capsys.readouterr()
            shown = "ileti " + " ".join(argv)
            try:
                with contextlib.suppress(SystemExit):
                    main(argv)
            except Exception as exc:  # the command crashed: what it shows is the traceback
                out += [(f"{shown} raised", text) for _, text in exception_texts(exc)]
            captured = capsys.readouterr()
            out.append((f"{shown} (stdout)", captured.out))
            out.append((f"{shown} (stderr)", captured.err))
        return out

    # =================================================================== settings

    @_exercises("provider_info")
    def test_missing_setting_is_named(self, ileti_harness: Harness) -> None:
        """Each required setting, left out, gives a ConfigurationError naming it;
        so does a setting the provider does not know."""
        h = ileti_harness
        from ileti.client import Client

        settings_type = h.info.settings_type
        full = h.settings_values()
        Client(h.loaded, **full).close()
        required = [f.name for f in attrs.fields(settings_type) if f.default is attrs.NOTHING]
        for name in required:
            values = {k: v for k, v in full.items() if k != name}
            with pytest.raises(ConfigurationError) as caught:
                Client(h.loaded, **values)
            assert caught.value.setting == name, (
                f"without {name!r}: ConfigurationError names {caught.value.setting!r}"
            )
            assert name in str(caught.value), f"the message does not name {name!r}"
        with pytest.raises(ConfigurationError) as caught:
            Client(h.loaded, **full, no_such_setting="x")
        assert caught.value.setting == "no_such_setting"

    @_exercises("provider_info")
    def test_malformed_setting_is_named(self, ileti_harness: Harness) -> None:
        """A malformed base_url (or a malformed number or flag) gives a
        ConfigurationError naming the setting."""
        h = ileti_harness
        from ileti.client import Client

        full = h.settings_values()
        for bad in (
            "not a url",
            "ftp://gateway.example.com",
            "http://",
            "http://user:pass@gateway.example.com",
            "https://gateway.example.com:99999",
            "https://gateway.example.com/api?key=1",
        ):
            with pytest.raises(ConfigurationError) as caught:
                Client(h.loaded, **{**full, "base_url": bad})
            assert caught.value.setting == "base_url", (
                f"base_url={bad!r}: ConfigurationError names {caught.value.setting!r}"
            )
            assert "base_url" in str(caught.value)
        settings_type = h.info.settings_type
        with contextlib.suppress(Exception):  # unresolvable annotations: no typed fields
            attrs.resolve_types(settings_type)
        for f in attrs.fields(settings_type):
            if f.type in (int, float, Decimal, bool, "int", "float", "Decimal", "bool"):
                with pytest.raises(ConfigurationError) as caught:
                    Client(h.loaded, **{**full, f.name: "certainly-not-a-number"})
                assert caught.value.setting == f.name

    # ======================================================================= live

    def _live_client(self, request: pytest.FixtureRequest, target: Target) -> Any:
        if not request.config.getoption("ileti_live", default=False):
            pytest.skip(
                "live mode is off: run with --ileti-live, with the account's settings in "
                f"ILETI_{target.name.upper().replace('-', '_')}_* environment variables, to "
                "check balance and senders against the real gateway"
            )
        from ileti.client import Client

        try:
            return Client.from_env(target.loaded, timeout=Timeout(10.0, 30.0))
        except ConfigurationError as exc:
            pytest.fail(f"--ileti-live: the {target.name} settings are incomplete: {exc}")

    def _live_leaks(self, client: Any, caplog: pytest.LogCaptureFixture) -> None:
        from ileti.settings import secret_values

        canaries = Canaries(
            {f"secret {i}": v for i, v in enumerate(secret_values(client.settings))}
        )
        for record in caplog.records:
            for text in record_texts(record):
                assert not canaries.found_in(text), (
                    f"a log record of {record.name!r} shows a live secret (not printed here)"
                )

    @_exercises("balance")
    def test_live_balance(
        self,
        request: pytest.FixtureRequest,
        ileti_target: Target,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Live (opt-in): the real account's balance is well formed."""
        client = self._live_client(request, ileti_target)
        caplog.set_level(logging.DEBUG)
        with client:
            if "balance" not in client.capabilities:
                with pytest.raises(NotSupported):
                    client.balance()
                return
            balance = client.balance()
            self._check_model("balance", balance)
            assert balance.provider == ileti_target.name
            self._live_leaks(client, caplog)

    @_exercises("senders")
    def test_live_senders(
        self,
        request: pytest.FixtureRequest,
        ileti_target: Target,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Live (opt-in): the real account's sender names are well formed."""
        client = self._live_client(request, ileti_target)
        caplog.set_level(logging.DEBUG)
        with client:
            if "senders" not in client.capabilities:
                with pytest.raises(NotSupported):
                    client.senders()
                return
            senders = client.senders()
            self._check_model("senders", senders)
            self._live_leaks(client, caplog)


#: the names of the standard checks, in the order they are defined
STANDARD_CHECKS: tuple[str, ...] = tuple(
    name for name in vars(ProviderConformance) if name.startswith("test_")
)
#: the suite's own machinery: overriding a helper could hollow a check out
_MACHINERY = frozenset(
    name for name in vars(ProviderConformance) if name.startswith("_") and not name.startswith("__")
)
_PROTECTED = frozenset(STANDARD_CHECKS) | _MACHINERY


def _hook_checks() -> Mapping[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for name in STANDARD_CHECKS:
        for hook in getattr(getattr(ProviderConformance, name), _HOOKS_MARK, ()):
            found.setdefault(hook, []).append(name)
    return MappingProxyType({hook: tuple(checks) for hook, checks in found.items()})


#: which standard checks exercise each hook of :mod:`ileti.hookspecs`, read
#: from the checks' own ``@_exercises(...)`` marks (never kept by hand)
HOOK_CHECKS: Mapping[str, tuple[str, ...]] = _hook_checks()
_PARAMETRISED = {"test_send_fault": frozenset(FAULTS)}
_CHECK_KEY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<param>[^\]]+)\])?")


def _validate_skips(cls: type[ProviderConformance]) -> None:
    skips = cls.conformance_skips
    if not isinstance(skips, Mapping):
        raise TypeError(f"{cls.__name__}.conformance_skips must be a dict of check name to reason")
    for key, reason in skips.items():
        match = _CHECK_KEY.fullmatch(key) if isinstance(key, str) else None
        name = match["name"] if match else None
        if name not in STANDARD_CHECKS:
            raise TypeError(
                f"{cls.__name__}.conformance_skips names {key!r}, which is not a standard "
                f"check; the checks are: {', '.join(STANDARD_CHECKS)}"
            )
        param = match["param"] if match else None
        if param is not None and param not in _PARAMETRISED.get(name, frozenset()):
            known = ", ".join(sorted(_PARAMETRISED.get(name, ()))) or "none"
            raise TypeError(
                f"{cls.__name__}.conformance_skips names {key!r}: {name} has no parameter "
                f"{param!r} (known: {known})"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise TypeError(
                f"{cls.__name__}.conformance_skips[{key!r}] has no reason: skipping a standard "
                "check requires a stated reason, which the test report shows"
            )
