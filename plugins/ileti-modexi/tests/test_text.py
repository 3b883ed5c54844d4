"""Generated texts: what the client predicts is what the gateway bills, and the
text reaches the gateway unchanged.

Modexi has no encoding field: it sends GSM-7 when every character allows it,
else UCS-2. These checks mirror the conformance suite's text checks with that
in mind (see test_conformance.py for the ones it skips and why).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ileti_modexi import wire
from ileti_modexi.emulator import ModexiEmulator

import ileti
from ileti.emulation import VirtualClock, serve
from ileti.errors import InvalidContent, MessageTooLong, NotSupported
from ileti.text import is_gsm7

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€"
TURKISH = "çğıİşŞĞÇÖÜöü"
OTHER = "😀🇹🇷₺\u00a0“”\t"
A = "+905321112233"
ENCODINGS = st.sampled_from(["auto", "gsm7", "ucs2"])
HYPOTHESIS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}

texts = st.text(
    alphabet=st.sampled_from(GSM_BASIC + GSM_EXTENSION + TURKISH + OTHER),
    min_size=1,
    max_size=700,
).map(lambda t: unicodedata.normalize("NFC", t))
gsm_texts = st.text(alphabet=st.sampled_from(GSM_BASIC + GSM_EXTENSION), min_size=1, max_size=1000)

World = tuple[ModexiEmulator, ileti.Client]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    emulator = ModexiEmulator(clock=VirtualClock())
    emulator.credit = Decimal(10**9)
    with (
        serve(emulator) as srv,
        ileti.Client(
            "modexi", base_url=srv.base_url, sender="ILETI", **emulator.credentials()
        ) as client,
    ):
        yield emulator, client


def _check(world: World, text: str, encoding: str = "auto") -> None:
    """Send ``text``; a refusal must come before any request, else the gateway
    bills exactly the predicted parts, in the predicted encoding, of the same text."""
    emulator, client = world
    before = len(emulator.messages)
    received = len(emulator.received)
    refusal: Exception | None = None
    try:
        prediction = client.prepare(
            ileti.Message(recipients=(A,), text=text, encoding=encoding, sender="ILETI")
        ).segmentation
        result = client.send(A, text, encoding=encoding)
    except (MessageTooLong, InvalidContent, NotSupported) as exc:
        refusal = exc
    if refusal is not None:
        assert len(emulator.received) == received, f"{refusal!r} came after a request"
        if isinstance(refusal, MessageTooLong):
            assert client.preview(text, encoding=encoding).parts > wire.MAX_PARTS
        if isinstance(refusal, NotSupported):  # only ucs2 forced on a GSM-7 text
            assert encoding == "ucs2"
            assert is_gsm7(text)
        if isinstance(refusal, InvalidContent):  # only gsm7 asked for a text it cannot carry
            assert encoding == "gsm7"
            assert not is_gsm7(text)
        return
    (billed,) = emulator.messages[before:]
    assert billed.text == text == prediction.text
    assert billed.parts == result.parts == prediction.parts
    assert billed.wire_encoding == prediction.wire
    assert client.preview(text, encoding=encoding).parts == prediction.parts


@settings(max_examples=150, **HYPOTHESIS)  # type: ignore[arg-type]
@given(text=texts, encoding=ENCODINGS)
def test_mixed_texts(world: World, text: str, encoding: str) -> None:
    _check(world, text, encoding)


@settings(max_examples=60, **HYPOTHESIS)  # type: ignore[arg-type]
@given(text=gsm_texts, encoding=ENCODINGS)
def test_gsm_texts(world: World, text: str, encoding: str) -> None:
    _check(world, text, encoding)


def _boundary_texts(one: str, two: str, single: int, multi: int) -> list[str]:
    sizes = {single - 1, single, single + 1}
    for k in range(2, wire.MAX_PARTS + 2):
        sizes |= {multi * k - 1, multi * k, multi * k + 1}
    found = [one * n for n in sorted(sizes)]
    found += [one * (single - 1) + two, one * (multi - 1) + two + one * 10]
    found += [two * (multi // 2) + one + two, two * (single // 2), two * (single // 2 + 1)]
    return found


@pytest.mark.parametrize(
    ("encoding", "one", "two", "single", "multi"),
    [
        ("gsm7", "a", "€", 160, 153),
        ("auto", "a", "^", 160, 153),
        # Modexi sends UCS-2 for text outside GSM-7: fill with such text
        ("ucs2", "ş", "😀", 70, 67),
        ("auto", "ğ", "🇹", 70, 67),
    ],
)
def test_parts_at_every_boundary(
    world: World, encoding: str, one: str, two: str, single: int, multi: int
) -> None:
    for text in _boundary_texts(one, two, single, multi):
        _check(world, text, encoding)


@pytest.mark.parametrize(("encoding", "one"), [("gsm7", "a"), ("ucs2", "ş"), ("auto", "ı")])
def test_exactly_max_parts_is_sent_and_one_more_unit_is_refused(
    world: World, encoding: str, one: str
) -> None:
    emulator, client = world
    multi = client.preview(one, encoding=encoding).segmentation.multi_limit
    fits = one * (multi * wire.MAX_PARTS)
    result = client.send(A, fits, encoding=encoding)
    assert result.parts == emulator.messages[-1].parts == wire.MAX_PARTS
    received = len(emulator.received)
    with pytest.raises(MessageTooLong):
        client.send(A, fits + one, encoding=encoding)
    assert len(emulator.received) == received


@settings(max_examples=40, **HYPOTHESIS)  # type: ignore[arg-type]
@given(items=st.lists(texts, min_size=1, max_size=4))
def test_batches_are_billed_per_text(world: World, items: list[str]) -> None:
    emulator, client = world
    numbers = [f"+90532111223{i}" for i in range(len(items))]
    before = len(emulator.messages)
    try:
        result = client.send_multi(list(zip(numbers, items, strict=True)))
    except MessageTooLong:
        # the core measures a batch in one encoding: a GSM-7 text beside a UCS-2
        # one is measured as UCS-2 and may be refused although Modexi would take it
        assert len(emulator.messages) == before
        return
    billed = {m.recipient: m for m in emulator.messages[before:]}
    for number, text in zip(numbers, items, strict=True):
        assert billed[number].text == text
        assert billed[number].parts == client.preview(text).parts
        assert billed[number].wire_encoding == client.preview(text).segmentation.wire
    assert result.parts == max(client.preview(t).parts for t in items)
