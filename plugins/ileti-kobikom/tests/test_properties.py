"""Properties over generated texts: predicted parts are billed parts, and the
text reaches the gateway unchanged."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ileti_kobikom.emulator import KobikomEmulator

import ileti
from ileti.emulation import VirtualClock, serve
from ileti.errors import InvalidContent, MessageTooLong
from ileti.text import GSM7

# every GSM 03.38 character XML can carry (ESC and form feed cannot travel in XML)
GSM_BASIC = sorted(c for c in GSM7.ones or () if c not in "\x1b")
GSM_EXTENSION = sorted(c for c in GSM7.twos if c != "\f")
TURKISH = list("çğıİöşüÇĞÖŞÜ")
EMOJI = ["😀", "👍🏽", "🇹🇷", "👨\u200d👩\u200d👧", "₺", "“", "\u00a0"]
XML_TRAPS = ["&", "<", ">", "]]>", '"', "'", "&amp;", "<![CDATA[", "\r\n", "\r", "%2B", "+"]

pieces = st.one_of(
    st.sampled_from(GSM_BASIC),
    st.sampled_from(GSM_EXTENSION),
    st.sampled_from(TURKISH),
    st.sampled_from(EMOJI),
    st.sampled_from(XML_TRAPS),
)
texts = st.lists(pieces, min_size=1, max_size=400).map("".join)
# mostly-GSM texts of any length, to land on every part boundary
long_texts = st.tuples(
    st.integers(min_value=1, max_value=930), st.sampled_from(["a", "€", "ş", "😀"])
).map(lambda t: "a" * t[0] + t[1])


@pytest.fixture
def world() -> VirtualClock:
    return VirtualClock()


def _check(client: ileti.Client, emulator: KobikomEmulator, text: str, encoding: str) -> None:
    before_requests = len(emulator.received)
    before_messages = len(emulator.messages)
    credit = emulator.credit
    try:
        preview = client.preview(text, encoding=encoding)
    except InvalidContent:
        with pytest.raises(InvalidContent):
            client.send("+905321112233", text, encoding=encoding)
        assert len(emulator.received) == before_requests
        return
    try:
        result = client.send(["+905321112233", "+905321112234"], text, encoding=encoding)
    except MessageTooLong:
        assert preview.parts > client.info.max_parts
        assert len(emulator.received) == before_requests  # refused before any request
        return
    billed = emulator.messages[before_messages:]
    assert [m.parts for m in billed] == [preview.parts, preview.parts]
    assert result.parts == preview.parts
    assert {m.wire_encoding for m in billed} == {preview.segmentation.wire}
    # exactly the text the client measured (NFC), every character intact
    assert [m.text for m in billed] == [unicodedata.normalize("NFC", text)] * 2
    assert credit - emulator.credit == 2 * preview.parts * KobikomEmulator.price_per_part


@pytest.mark.parametrize("style", ["form", "literal", "raw"])
def test_predicted_parts_are_billed_and_text_arrives_unchanged(
    world: VirtualClock, style: str
) -> None:
    emulator = KobikomEmulator(clock=world, credit=Decimal(10) ** 9, body_style=style)
    with serve(emulator) as srv:
        client = ileti.Client(
            "kobikom",
            base_url=srv.base_url,
            report_store=":memory:",
            clock=world.now,
            **emulator.credentials(),  # names the body_style the emulator takes
        )

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            text=st.one_of(texts, long_texts), encoding=st.sampled_from(["auto", "gsm7", "ucs2"])
        )
        def check(text: str, encoding: str) -> None:
            _check(client, emulator, text, encoding)

        try:
            check()
        finally:
            client.close()
