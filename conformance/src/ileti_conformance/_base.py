"""What the areas of the conformance suite share: constants, helpers, the
class attributes, fixtures and helper methods (:class:`_Checks`). The
checks live in ``checks_*.py``, one module an area; :mod:`ileti_conformance.suite`
joins them into :class:`ProviderConformance`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

import attrs
import pytest

from ileti import hookspecs
from ileti.emulation import EmulatedMessage, Fault, FaultLike, FaultSpec
from ileti.errors import (
    IletiError,
    InvalidContent,
    MessageTooLong,
    NotSupported,
    ValidationError,
)
from ileti.hookspecs import hookimpl
from ileti.models import (
    Batch,
    BatchItem,
    Message,
    SendResult,
)
from ileti_conformance.harness import Harness, SetupError, Target, call_factory
from ileti_conformance.models import model_problems

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


def _spy_on(hook: str) -> Any:
    """A wrapper of ``hook`` that reports what the plugin's hook raised. It
    takes none of the hook's arguments (pluggy passes a wrapper only those it
    names), so one definition serves every hook."""

    @hookimpl(wrapper=True, specname=hook)
    def wrapper(self: _RawErrorSpy) -> Generator[None, Any, Any]:
        try:
            return (yield)
        except BaseException as exc:
            self.raised.append((hook, exc))
            raise

    return wrapper


class _RawErrorSpy:
    """A hook wrapper that sees what a plugin's hook raised before the client's
    safety net turns a stray exception into an IletiError."""

    def __init__(self) -> None:
        self.raised: list[tuple[str, BaseException]] = []

    send = _spy_on("send")
    send_multi = _spy_on("send_multi")
    query_report = _spy_on("query_report")
    balance = _spy_on("balance")
    senders = _spy_on("senders")


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


class _Checks:
    """What every area of the suite shares: the class attributes a subclass
    sets, the fixtures, and the helpers. :class:`ProviderConformance` is the
    class to subclass."""

    provider: ClassVar[str | None] = None
    plugin: ClassVar[Any] = None
    emulator_factory: ClassVar[Any] = None
    settings: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    sender: ClassVar[str | None] = None
    conformance_skips: ClassVar[Mapping[str, str]] = MappingProxyType({})

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
    def _requires(h: Harness, hook: str, *, checked_by: str) -> None:
        """Skip unless the provider implements ``hook``; ``checked_by`` is the
        round-trip check that runs instead (its NotSupported)."""
        if hook not in h.capabilities:
            pytest.skip(
                f"provider {h.name!r} does not implement {hook} "
                f"(NotSupported is checked by {checked_by})"
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

    def _send_text(self, h: Harness, client: Any, numbers: list[str], **options: Any) -> SendResult:
        """Send the standard text to ``numbers`` by send, else send_multi,
        with ``options`` (``schedule=``, ...)."""
        if self._sends(h) == "send":
            result: SendResult = client.send(numbers, _TEXT, sender=h.sender, **options)
        else:
            result = client.send_multi([(n, _TEXT) for n in numbers], sender=h.sender, **options)
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
