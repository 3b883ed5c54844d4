"""Round trips: every capability the provider declares, against its
emulator, and the emulator's own honesty."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.errors import (
    AuthenticationError,
    ConfigurationError,
    IletiError,
    NotSupported,
    UnknownMessage,
)
from ileti.hookspecs import CAPABILITIES
from ileti.http import RetryPolicy
from ileti.models import (
    DeliveryReport,
    DeliveryState,
    SenderState,
)
from ileti.settings import Secret
from ileti_conformance._base import (
    _SENDS,
    _TEXT,
    _calls,
    _Checks,
    _exercises,
    _national,
    _ref,
    _sent_message_id,
    _sent_with,
)
from ileti_conformance.harness import Harness, emulator_problems
from ileti_conformance.profiles import check_settings


class RoundTripChecks(_Checks):
    """Round trips: every capability the provider declares, against its
    emulator, and the emulator's own honesty."""

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
        self._requires(h, "query_report", checked_by="test_query_report_round_trip")
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

    @_exercises("query_report")
    def test_a_scheduled_send_can_be_reported_on(self, ileti_harness: Harness) -> None:
        """For a provider that declares scheduling: a message scheduled two
        hours ahead can be reported on at once (not final: it has not left),
        and an hour after its time it is final. An emulator that knows no
        state for a message waiting for its time (``delivery_progress`` says
        ``SCHEDULED`` before it), or a plugin that cannot read the gateway's
        word for one, fails here."""
        h = ileti_harness
        if not h.info.scheduling or "query_report" not in h.capabilities:
            pytest.skip("the provider declares no scheduling, or does not implement query_report")
        client = h.client()
        try:
            asked = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
            sent = self._send_text(h, client, h.numbers(1), schedule=asked)
            message_id = sent.message_id or sent.recipients[0].message_id
            assert message_id, f"{self._sends(h)} returned no message id to report on"
            waiting = client.report(message_id)
            self._check_model("query_report", waiting)
            early = [f"{r.number}: {r.state}" for r in waiting.recipients if r.state.is_final]
            assert not early, (
                f"a message scheduled for {asked.isoformat()} was reported final before its "
                f"time: {early}"
            )
            h.clock.advance(2 * 3600 + 3600)
            after = client.report(message_id)
            self._check_model("query_report", after)
            assert after.recipients, "an hour after its time the report lists no recipient"
            assert after.is_final, (
                f"an hour after its time the scheduled message is not final: "
                f"{[f'{r.number}: {r.state}' for r in after.recipients]}"
            )
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

    # ============================================================== panel link

    @_exercises("panel_login")
    def test_panel_login_round_trip(self, ileti_harness: Harness) -> None:
        """panel_login (optional): an https link held in a Secret, which no
        repr and no log record shows, with an expiry in the future. A
        provider without it raises NotSupported before any request."""
        import logging

        from ileti.models import PanelLogin

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
