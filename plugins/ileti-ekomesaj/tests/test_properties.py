"""Properties over generated texts: predicted parts equal billed parts, and every
text reaches the gateway exactly as it was given."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ileti_ekomesaj.emulator import EkomesajEmulator

import ileti
from ileti.emulation import VirtualClock, serve
from ileti.errors import InvalidContent, MessageTooLong
from ileti.http import RetryPolicy
from ileti.text._tables import GSM_BASIC, GSM_EXTENSION

TURKISH = "çğıİöşüÇĞÖŞÜ"
EMOJI = "🙂🚀👍🏽"
OTHER = "₺“”\u00a0\t"
TEMPLATE_BITS = ["[Mesaj1]", ":", "[Mesaj1]:", "[Ad]", "[Soyad]", "[", "]"]

# form feed is in the GSM extension table but XML 1.0 forbids it: the core refuses it
gsm = st.sampled_from(sorted((set(GSM_BASIC) | set(GSM_EXTENSION)) - {"\f"}))
characters = st.one_of(gsm, gsm, st.sampled_from(TURKISH))
rare = st.sampled_from(list(EMOJI + OTHER))
short = st.text(alphabet=characters, min_size=1, max_size=60)
# long texts too: a piece repeated, so parts boundaries (and escapes across them) are reached
piece = st.text(alphabet=characters, min_size=5, max_size=60)
long = st.tuples(piece, st.sampled_from([3, 6, 10, 16, 25, 40]), short).map(
    lambda t: t[0] * t[1] + t[2]
)
with_rare = st.tuples(long, rare, st.integers(0, 10**4)).map(
    lambda t: t[0][: t[2] % (len(t[0]) + 1)] + t[1] + t[0][t[2] % (len(t[0]) + 1) :]
)
texts = st.one_of(short, long, long, long, with_rare)
template_texts = (
    st.lists(
        st.one_of(st.sampled_from(TEMPLATE_BITS), st.text(alphabet=characters, max_size=12)),
        min_size=1,
        max_size=8,
    )
    .map("".join)
    .filter(bool)
)

FAST = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module", params=["json", "xml"])
def gateway(request: pytest.FixtureRequest) -> Iterator[tuple[EkomesajEmulator, ileti.Client]]:
    """The emulator and a client, in each API style (every property runs in both)."""
    emulator = EkomesajEmulator(clock=VirtualClock(), credit=10**9)
    with serve(emulator) as served:
        client = ileti.Client(
            "ekomesaj",
            base_url=served.base_url,
            retry=RetryPolicy(attempts=1),
            api_style=request.param,
            **emulator.credentials(),
        )
        yield emulator, client
        client.close()


@FAST
@given(text=texts)
def test_predicted_parts_are_billed_and_text_arrives_unchanged(
    gateway: tuple[EkomesajEmulator, ileti.Client], text: str
) -> None:
    emulator, client = gateway
    before = len(emulator.received)
    credit = emulator.credit
    try:
        preview = client.preview(text)
        result = client.send("05321112233", text)
    except (InvalidContent, MessageTooLong) as exc:
        event(f"refused: {type(exc).__name__}")
        assert len(emulator.received) == before  # refused before any request
        return
    event(f"sent as {preview.encoding} in {preview.parts} part(s)")
    message = emulator.messages[-1]
    assert message.package_id == result.message_id
    assert message.text == unicodedata.normalize("NFC", text)
    assert message.parts == result.parts == preview.parts
    assert credit - emulator.credit == Decimal(preview.parts)


@FAST
@given(batch=st.lists(st.one_of(template_texts, short, long), min_size=1, max_size=4))
def test_personalised_texts_arrive_literally_and_are_billed_as_predicted(
    gateway: tuple[EkomesajEmulator, ileti.Client], batch: list[str]
) -> None:
    emulator, client = gateway
    numbers = [f"+90532111{i:04d}" for i in range(len(batch))]
    before = len(emulator.received)
    credit = emulator.credit
    try:
        items = [ileti.BatchItem(n, t) for n, t in zip(numbers, batch, strict=True)]
        prepared = client.prepare_batch(ileti.Batch(items))
        result = client.send_multi(ileti.Batch(items))
    except (InvalidContent, MessageTooLong) as exc:
        event(f"refused: {type(exc).__name__}")
        assert len(emulator.received) == before
        return
    event(f"sent as {prepared.wire_encoding} / {prepared.items[0].segmentation.encoding}")
    sent = [m for m in emulator.messages if m.package_id == result.message_id]
    assert [m.recipient for m in sent] == numbers
    assert [m.text for m in sent] == [unicodedata.normalize("NFC", t) for t in batch]
    predicted = [item.segmentation.parts for item in prepared.items]
    assert [m.parts for m in sent] == predicted
    assert credit - emulator.credit == sum(predicted)
