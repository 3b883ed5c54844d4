"""Text: parts, encodings and characters, as the gateway bills and receives them."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti import errors as ileti_errors
from ileti.errors import (
    IletiError,
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
    _calls,
    _Checks,
    _Delivery,
    _exercises,
    _one_unit_char,
)
from ileti_conformance.harness import Harness, Target
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
