"""Faults: documented errors, transport faults, retries, and junk answers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti import errors as ileti_errors
from ileti.emulation import FaultSpec, refused_url
from ileti.errors import (
    DeliveryUnknown,
    IletiError,
    MalformedResponse,
    RateLimited,
    TransportError,
)
from ileti.hookspecs import CAPABILITIES
from ileti.http import RetryPolicy, Timeout
from ileti.models import (
    SendResult,
)
from ileti_conformance._base import (
    _READS,
    _SENDS,
    _TEXT,
    DRIP_TOTAL_DEADLINE,
    FAULTS,
    HANG_READ_TIMEOUT,
    _calls,
    _Checks,
    _exercises,
    _RawErrorSpy,
    _ref,
    _sent_message_id,
)
from ileti_conformance.harness import Harness, Target
from ileti_conformance.profiles import check_settings
from ileti_conformance.strategies import (
    Answer,
    GarbageApp,
    Recorder,
    garbage_answers,
    readable_junk_answers,
)


class FaultChecks(_Checks):
    """Faults: documented errors, transport faults, retries, and junk answers."""

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
        self._junk_ends_in(
            h,
            sends,
            DeliveryUnknown,
            "it may have been sent: raise DeliveryUnknown (response.malformed(...) on a send does)",
            number=h.numbers(1)[0],
        )

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
        self._junk_ends_in(
            h,
            reads,
            MalformedResponse,
            "raise MalformedResponse (response.malformed(...))",
            number=number,
            message_id=_sent_message_id(h, number),
        )

    @staticmethod
    def _junk_ends_in(
        h: Harness,
        capabilities: Sequence[str],
        expected: type[IletiError],
        advice: str,
        **call: str,
    ) -> None:
        """The readable-junk property for each of ``capabilities``: every junk
        200 answer ends in ``expected``; another error is shown with
        ``advice``, a value built from junk is shown as it is."""
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
                    try:
                        value = _calls(h, client, **call)[capability]()
                    except expected:
                        return
                    except IletiError as exc:
                        raise AssertionError(
                            f"{capability} read a junk 200 answer ({answer!r}) as "
                            f"{type(exc).__name__}: {exc}; {advice}"
                        ) from exc
                    raise AssertionError(
                        f"{capability} read a junk 200 answer ({answer!r}) as a result: {value!r}"
                    )
                finally:
                    client.close()

            check()

        for capability in capabilities:
            check_capability(capability)

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
