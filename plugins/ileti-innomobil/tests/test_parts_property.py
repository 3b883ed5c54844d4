"""For any text: the client's predicted parts are what the emulator bills, and the
text the client puts on the wire reaches the emulator unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ileti_innomobil.emulator import InnomobilEmulator

import ileti
from ileti.emulation import VirtualClock, serve
from ileti.errors import MessageTooLong

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€"  # form feed: refused by the core before any request
TURKISH = "çğıİöşüÇĞÖŞÜ"
OTHER = "😀👍🇹🇷₺“”\u00a0\t"

texts = st.text(
    alphabet=st.sampled_from(GSM_BASIC + GSM_EXTENSION + TURKISH + OTHER),
    min_size=1,
    max_size=700,
)
# many texts near the part boundaries, where escape pairs and surrogates matter
boundary_texts = st.builds(
    lambda fill, tail, n: fill * n + tail,
    st.sampled_from(["x", "€", "ğ", "😀", "{", "ş"]),
    st.text(alphabet=st.sampled_from(GSM_BASIC + GSM_EXTENSION + TURKISH + "😀"), max_size=4),
    st.sampled_from([66, 67, 69, 70, 71, 76, 77, 80, 134, 152, 153, 159, 160, 161, 200, 306, 612]),
)


@pytest.fixture(scope="module")
def setup() -> Iterator[tuple[ileti.Client, InnomobilEmulator]]:
    emulator = InnomobilEmulator(clock=VirtualClock(), credit=Decimal(10**12))
    with serve(emulator) as served:
        client = ileti.Client("innomobil", base_url=served.base_url, **emulator.credentials())
        with client:
            yield client, emulator


def check(client: ileti.Client, emulator: InnomobilEmulator, text: str, encoding: str) -> None:
    try:
        preview = client.preview(text, encoding=encoding, recipients=2)
    except ileti.IletiError:
        event("the encoding cannot carry the text")
        return
    before_requests = len(emulator.received)
    before_credit = emulator.credit
    sender = emulator.default_sender
    numbers = ["05321112233", "05321112234"]
    event(f"parts: {min(preview.parts, 5)}")
    if preview.parts > 4:
        with pytest.raises(MessageTooLong):
            client.send(numbers, text, sender=sender, encoding=encoding)
        assert len(emulator.received) == before_requests
        return
    result = client.send(numbers, text, sender=sender, encoding=encoding)
    billed = [m for m in emulator.messages if m.package_id == result.message_id]
    assert [m.parts for m in billed] == [preview.parts, preview.parts]
    assert result.parts == preview.parts
    assert before_credit - emulator.credit == preview.credits
    assert {m.text for m in billed} == {preview.segmentation.text}
    assert {m.wire_encoding for m in billed} == {preview.segmentation.wire}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(texts, boundary_texts), encoding=st.sampled_from(["auto", "gsm7", "ucs2"]))
def test_predicted_parts_equal_billed_parts(
    setup: tuple[ileti.Client, InnomobilEmulator], text: str, encoding: str
) -> None:
    client, emulator = setup
    check(client, emulator, text, encoding)


@settings(max_examples=60, deadline=None)
@given(items=st.lists(st.tuples(st.integers(0, 9), texts), min_size=1, max_size=4))
def test_batches_bill_what_was_predicted(
    setup: tuple[ileti.Client, InnomobilEmulator], items: list[tuple[int, str]]
) -> None:
    client, emulator = setup
    pairs = [(f"0532111223{digit}", text) for digit, text in items]
    before = emulator.credit
    try:
        batch = ileti.Batch(
            [ileti.BatchItem(n, t) for n, t in pairs], sender=emulator.default_sender
        )
        prepared = client.prepare_batch(batch)
    except ileti.IletiError:
        with pytest.raises(ileti.IletiError):
            client.send_multi(pairs, sender=emulator.default_sender)
        return
    result = client.send_multi(pairs, sender=emulator.default_sender)
    billed = [m for m in emulator.messages if m.package_id == result.message_id]
    assert [m.parts for m in billed] == [i.segmentation.parts for i in prepared.items]
    assert [m.text for m in billed] == [i.text for i in prepared.items]
    assert before - emulator.credit == sum(i.segmentation.parts for i in prepared.items)
    assert result.credits == before - emulator.credit
