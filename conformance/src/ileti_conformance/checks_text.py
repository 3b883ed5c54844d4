"""Text: parts, encodings and characters, as the gateway bills and receives them."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.errors import (
    InvalidContent,
    MessageTooLong,
    ValidationError,
)
from ileti.models import (
    Batch,
    BatchItem,
)
from ileti_conformance._base import (
    _SENDS,
    _Checks,
    _Delivery,
    _exercises,
    _one_unit_char,
    _two_unit_char,
)
from ileti_conformance.harness import Harness
from ileti_conformance.profiles import check_settings
from ileti_conformance.strategies import (
    EMOJI,
    GSM_BASIC,
    GSM_EXTENSION,
    TRICKY_TEXTS,
    TURKISH,
    UCS2_ONLY,
    XML_FORBIDDEN,
    sms_texts,
)


class TextChecks(_Checks):
    """Text: parts, encodings and characters, as the gateway bills and receives them."""

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
        self._requires(h, "send_multi", checked_by="test_send_multi_round_trip")
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
