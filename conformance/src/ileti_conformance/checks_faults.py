"""Faults: documented errors, transport faults, retries, and junk answers."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given

from ileti.emulation import FaultSpec, refused_url
from ileti.errors import (
    DeliveryUnknown,
    IletiError,
    MalformedResponse,
    NotSupported,
    RateLimited,
    TransportError,
)
from ileti.http import RetryPolicy, Timeout
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
    _ref,
    _sent_message_id,
)
from ileti_conformance.harness import Harness
from ileti_conformance.profiles import check_settings
from ileti_conformance.strategies import (
    GarbageApp,
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

    # ============================================================== send history

    @_exercises("sent_packages")
    def test_sent_packages_round_trip(self, ileti_harness: Harness) -> None:
        """sent_packages (optional): every package sent in a range is listed
        once, with an aware time in the range, its sender, recipients and
        parts as sent, and an id ``query_report`` takes; a range before the
        sends lists none of them. A provider without it raises NotSupported
        before any request."""

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
