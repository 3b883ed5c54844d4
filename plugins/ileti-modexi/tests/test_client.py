"""End to end: ileti.Client -> real HTTP on loopback -> the Modexi emulator."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from ileti_modexi import wire
from ileti_modexi.emulator import DEFAULT_CREDIT, ModexiEmulator

import ileti
from ileti import errors
from ileti.emulation import Fault, FaultProxy, FaultSpec, ServedApp, VirtualClock, serve
from ileti.models import BalanceUnit, DeliveryState, SenderState

A, B, C = "+905321112233", "+905321112234", "+905321112239"  # C ends in 9: undelivered


def last_body(emulator: ModexiEmulator) -> dict[str, Any]:
    body: dict[str, Any] = emulator.received[-1].json()
    return body


# -- send ----------------------------------------------------------------------------------


def test_send_puts_the_documented_request_on_the_wire(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    result = client.send(["0532 111 22 33", "+90 532 111 22 39"], "Merhaba dünya")
    request = emulator.received[-1]
    assert request.method == "POST"
    assert request.path == "/sms/1/advanced"
    assert request.content_type == "application/json"
    expected = base64.b64encode(b"ileti:" + ModexiEmulator.password.encode()).decode()
    assert request.header("authorization") == f"Basic {expected}"
    assert request.json() == {
        "from": "ILETI",
        "text": "Merhaba dünya",
        "validityPeriod": 2880,
        "scheduledDate": "",
        "destinations": [{"to": "905321112233"}, {"to": "905321112239"}],
    }
    code = next(iter(emulator.packages))
    assert result.message_id == code
    assert [r.number for r in result.recipients] == [A, C]
    assert all(r.accepted and r.message_id == code for r in result.recipients)
    assert result.parts == 1
    assert result.provider == "modexi"


def test_send_records_what_the_gateway_billed(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    text = "Ş" * 71  # UCS-2: two parts
    result = client.send([A, B], text)
    assert result.parts == 2
    billed = [(m.recipient, m.text, m.parts, m.wire_encoding, m.sender) for m in emulator.messages]
    assert billed == [(A, text, 2, "ucs2", "ILETI"), (B, text, 2, "ucs2", "ILETI")]


def test_report_follows_the_virtual_clock(client: ileti.Client, emulator: ModexiEmulator) -> None:
    result = client.send([A, C], "Merhaba")
    assert result.message_id is not None
    sent_at = emulator.clock.now()

    report = client.report(result.message_id)
    assert [(r.number, r.state, r.raw_state) for r in report.recipients] == [
        (A, DeliveryState.QUEUED, "100"),
        (C, DeliveryState.QUEUED, "100"),
    ]
    assert not report.is_final
    assert emulator.received[-1].json() == {"messageCode": result.message_id, "limit": 1000}

    emulator.clock.advance(10)
    report = client.report(result.message_id)
    assert {r.state for r in report.recipients} == {DeliveryState.SENT}
    assert all(r.time is not None for r in report.recipients)

    emulator.clock.advance(50)
    report = client.report(result.message_id)
    assert report.is_final
    by_number = {r.number: r for r in report.recipients}
    assert by_number[A].state is DeliveryState.DELIVERED
    assert by_number[A].raw_state == "10"
    assert by_number[C].state is DeliveryState.UNDELIVERED
    assert by_number[C].error == "İletilemedi"
    done = by_number[A].time
    assert done is not None
    assert done.tzinfo is not None
    # doneAt is written in whole seconds of Turkish local time
    assert done == (sent_at + timedelta(seconds=60)).replace(microsecond=0)
    assert len({r.message_id for r in report.recipients}) == 2


def test_report_of_an_unknown_message_is_unknown(client: ileti.Client) -> None:
    """The emulator's invented code 410 (404 is an unknown path) is handed to
    the client as the error_codes setting: no such message."""
    with pytest.raises(errors.UnknownMessage, match="provider code 410") as info:
        client.report("123")
    assert info.value.code == "410"


def test_report_of_an_id_with_an_empty_code_is_refused(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    with pytest.raises(errors.ValidationError, match="empty message code"):
        client.report("397467,")
    assert emulator.received == []


@pytest.mark.parametrize(("fraction", "later"), [(0, 0), (1, 1), (999_999, 1), (500_000, 1)])
def test_a_schedule_is_never_early(
    client: ileti.Client, emulator: ModexiEmulator, fraction: int, later: int
) -> None:
    """scheduledDate has whole seconds: a fraction is rounded up, never dropped."""
    when = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=fraction)
    client.send(A, "Yarın görüşürüz", schedule=when)
    expected = when.replace(microsecond=0) + timedelta(seconds=later)
    assert last_body(emulator)["scheduledDate"] == expected.strftime("%Y-%m-%dT%H:%M:%S")


def test_scheduled_send(client: ileti.Client, emulator: ModexiEmulator) -> None:
    when = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    result = client.send(A, "Yarın görüşürüz", schedule=when)
    assert result.message_id is not None
    assert last_body(emulator)["scheduledDate"] == when.strftime("%Y-%m-%dT%H:%M:%S")

    assert client.report(result.message_id).recipients[0].state is DeliveryState.SCHEDULED
    emulator.clock.advance(timedelta(hours=1))
    assert client.report(result.message_id).recipients[0].state is DeliveryState.SCHEDULED
    emulator.clock.advance(timedelta(hours=1, seconds=5))
    assert client.report(result.message_id).recipients[0].state is DeliveryState.QUEUED
    emulator.clock.advance(60)
    assert client.report(result.message_id).recipients[0].state is DeliveryState.DELIVERED


def test_validity_goes_in_minutes(client: ileti.Client, emulator: ModexiEmulator) -> None:
    client.send(A, "x", validity=timedelta(minutes=30))
    assert last_body(emulator)["validityPeriod"] == 30
    client.send(A, "x", validity=timedelta(hours=48))
    assert last_body(emulator)["validityPeriod"] == 2880
    package = list(emulator.packages.values())[-1]
    assert package.validity_minutes == 2880


@pytest.mark.parametrize("validity", [timedelta(minutes=9), timedelta(hours=48, minutes=1)])
def test_validity_outside_10_minutes_to_48_hours_is_refused(
    client: ileti.Client, emulator: ModexiEmulator, validity: timedelta
) -> None:
    with pytest.raises(errors.ValidationError, match="outside"):
        client.send(A, "x", validity=validity)
    assert emulator.received == []


# -- send_multi ----------------------------------------------------------------------------


def test_send_multi_makes_one_request_per_distinct_text(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    result = client.send_multi([(A, "Merhaba"), (B, "Güle güle ğ"), (C, "Merhaba")])
    bodies = [r.json() for r in emulator.received]
    assert [(b["text"], [d["to"] for d in b["destinations"]]) for b in bodies] == [
        ("Merhaba", ["905321112233", "905321112239"]),
        ("Güle güle ğ", ["905321112234"]),
    ]
    first, second = emulator.packages
    assert result.message_id == f"{first},{second}"
    assert [(r.number, r.message_id) for r in result.recipients] == [
        (A, first),
        (B, second),
        (C, first),
    ]
    assert result.parts == 1
    # the report of the joined id lists the recipients in the caller's order
    emulator.clock.advance(60)
    report = client.report(result.message_id)
    assert [(r.number, r.state) for r in report.recipients] == [
        (A, DeliveryState.DELIVERED),
        (B, DeliveryState.DELIVERED),
        (C, DeliveryState.UNDELIVERED),
    ]


def test_send_multi_bills_each_text_by_its_own_characters(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    # the batch as a whole needs UCS-2, but Modexi sends the GSM-7 text as GSM-7
    gsm_text = "a" * 100
    result = client.send_multi([(A, gsm_text), (B, "ğ")])
    assert {m.recipient: (m.wire_encoding, m.parts) for m in emulator.messages} == {
        A: ("gsm7", 1),
        B: ("ucs2", 1),
    }
    assert result.parts == 1


def test_send_multi_failing_midway_names_the_accepted_requests(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    emulator.credit = emulator.price_per_part  # enough for the first request only
    with pytest.raises(errors.InsufficientCredit) as info:
        client.send_multi([(A, "bir"), (B, "iki")])
    (accepted,) = emulator.packages
    assert f"message code {accepted} for {A}" in str(info.value)
    assert "do not resend" in info.value.message
    assert len(emulator.received) == 2
    # each part with its own state
    assert info.value.partial is not None
    assert [(r.number, r.accepted) for r in info.value.partial.recipients] == [(A, True)]
    assert (info.value.failed, info.value.unsent) == ((B,), ())


def test_a_part_that_may_have_left_is_unknown_and_the_later_parts_unsent(
    proxied: tuple[ileti.Client, FaultProxy], emulator: ModexiEmulator
) -> None:
    """Issue 15 item 8: a failure in the middle of a multi-request batch does
    not make the whole batch unknown."""
    client, proxy = proxied
    proxy.set_faults(Fault.PASS, Fault.RESET)
    c, d = "+905321112298", "+905321112277"
    with pytest.raises(errors.DeliveryUnknown) as info:
        client.send_multi([(A, "bir"), (B, "iki"), (c, "üç"), (d, "bir")])
    error = info.value
    assert error.partial is not None, (error.failed, error.unsent, proxy.request_count)
    assert [r.number for r in error.partial.recipients] == [A, d]
    assert all(r.accepted for r in error.partial.recipients)
    assert error.failed == (B,)  # its request may have left
    assert error.unsent == (c,)  # its request never left
    assert proxy.request_count == 2


def test_send_multi_refuses_ucs2_for_gsm_texts(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    with pytest.raises(errors.NotSupported, match="chooses the encoding itself"):
        client.send_multi([(A, "bir"), (B, "iki")], encoding="ucs2")
    assert emulator.received == []


# -- balance and senders -------------------------------------------------------------------


def test_balance_falls_by_billed_parts(client: ileti.Client, emulator: ModexiEmulator) -> None:
    price = emulator.price_per_part
    before = client.balance()
    assert (before.amount, before.unit, before.currency) == (
        DEFAULT_CREDIT,
        BalanceUnit.CURRENCY,
        "TRY",
    )
    assert before.sms_credits == DEFAULT_CREDIT // price == Decimal(1000)
    result = client.send([A, B, C], "x" * 161)  # two parts each
    assert result.parts == 2
    after = client.balance()
    assert before.amount is not None
    assert after.amount is not None
    assert before.sms_credits is not None
    assert after.sms_credits is not None
    assert before.amount - after.amount == 6 * price == Decimal("1.5")
    assert before.sms_credits - after.sms_credits == 6
    assert (after.unit, after.currency) == (BalanceUnit.CURRENCY, "TRY")
    assert emulator.credit == after.amount
    assert emulator.received[-1].path == "/account/balance"


def test_a_package_account_shows_no_money_and_spends_its_sms(clock: VirtualClock) -> None:
    emulator = ModexiEmulator(clock=clock, package_credits=10)
    with (
        serve(emulator) as srv,
        ileti.Client(
            "modexi", base_url=srv.base_url, sender="ILETI", **emulator.credentials()
        ) as client,
    ):
        before = client.balance()
        assert (before.amount, before.unit, before.currency) == (
            Decimal(0),
            BalanceUnit.CURRENCY,
            "TRY",
        )
        assert before.sms_credits == Decimal(10)
        client.send([A, B, C], "x" * 161)  # two parts each
        after = client.balance()
        assert (after.amount, after.sms_credits) == (Decimal(0), Decimal(4))
        with pytest.raises(errors.InsufficientCredit):
            client.send([A, B, C], "x" * 161)  # six more parts
        assert client.balance().sms_credits == Decimal(4)


def test_senders_lists_the_approved_names(client: ileti.Client, emulator: ModexiEmulator) -> None:
    senders = client.senders()
    assert [(s.name, s.state) for s in senders] == [
        ("ILETI", SenderState.APPROVED),
        ("MODEXI VERI", SenderState.APPROVED),
    ]
    assert emulator.received[-1].path == "/sms/1/senders"


def test_a_sender_with_a_space_can_send(client: ileti.Client, emulator: ModexiEmulator) -> None:
    client.send(A, "x", sender="MODEXI VERI")
    assert last_body(emulator)["from"] == "MODEXI VERI"


# -- refusals before any request -----------------------------------------------------------


def test_over_long_text_is_refused_before_sending(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    assert client.info.max_parts == wire.MAX_PARTS
    client.send(A, "x" * (153 * wire.MAX_PARTS))  # exactly at the limit
    count = len(emulator.received)
    with pytest.raises(errors.MessageTooLong) as info:
        client.send(A, "x" * (153 * wire.MAX_PARTS + 1))
    assert info.value.max_parts == wire.MAX_PARTS
    assert len(emulator.received) == count


@pytest.mark.parametrize(
    "options",
    [{"flash": True}, {"client_ref": "abc"}, {"encoding": "gsm7-tr"}, {"encoding": "ucs2"}],
)
def test_unsupported_options_raise_not_supported(
    client: ileti.Client, emulator: ModexiEmulator, options: dict[str, Any]
) -> None:
    with pytest.raises(errors.NotSupported):
        client.send(A, "Merhaba", **options)
    assert emulator.received == []


def test_ucs2_may_be_asked_for_a_text_that_needs_it(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    client.send(A, "ğ", encoding="ucs2")
    assert emulator.messages[-1].wire_encoding == "ucs2"


@pytest.mark.parametrize("sender", ["1", "12", "+9053211122"])  # the core allows these
def test_senders_breaking_modexis_rule_are_refused_before_sending(
    client: ileti.Client, emulator: ModexiEmulator, sender: str
) -> None:
    with pytest.raises(errors.InvalidSender, match="Modexi"):
        client.send(A, "x", sender=sender)
    assert emulator.received == []


def test_a_send_without_any_sender_is_refused(emulator: ModexiEmulator, served: ServedApp) -> None:
    client = ileti.Client("modexi", base_url=served.base_url, **emulator.credentials())
    with client, pytest.raises(errors.InvalidSender, match="ILETI_MODEXI_SENDER"):
        client.send(A, "x")
    assert emulator.received == []


# -- provider errors -----------------------------------------------------------------------


@pytest.mark.parametrize("sender", ["BEKLEYEN", "ESKIBASLIK", "TANIMSIZ"])
def test_senders_not_approved_are_refused_by_the_gateway(
    client: ileti.Client, emulator: ModexiEmulator, sender: str
) -> None:
    assert emulator.account.senders.state(sender) is not SenderState.APPROVED
    with pytest.raises(errors.InvalidSender) as info:
        client.send(A, "x", sender=sender)
    assert info.value.code == "422"
    assert info.value.http_status == 422
    assert emulator.messages == []


def test_wrong_credentials(emulator: ModexiEmulator, served: ServedApp) -> None:
    with (
        ileti.Client(
            "modexi", base_url=served.base_url, username="ileti", password="wrong"
        ) as client,
        pytest.raises(errors.AuthenticationError) as info,
    ):
        client.balance()
    assert info.value.code == "401"
    assert "wrong" not in str(info.value)


def test_an_inactive_account(client: ileti.Client, emulator: ModexiEmulator) -> None:
    emulator.account.active = False
    with pytest.raises(errors.AccountInactive):
        client.senders()


def test_not_enough_credit(client: ileti.Client, emulator: ModexiEmulator) -> None:
    emulator.credit = emulator.price_per_part  # one part; the send needs two
    with pytest.raises(errors.InsufficientCredit):
        client.send([A, B], "x")
    assert emulator.credit == emulator.price_per_part
    assert emulator.messages == []


@pytest.mark.parametrize("code", sorted(ModexiEmulator.documented_errors))
@pytest.mark.parametrize("call", ["send", "send_multi", "report", "balance", "senders"])
def test_every_documented_error_maps_to_its_typed_error(
    client: ileti.Client, emulator: ModexiEmulator, code: str, call: str
) -> None:
    message_id = client.send(A, "x").message_id
    assert message_id is not None
    expected = getattr(errors, ModexiEmulator.documented_errors[code])
    emulator.force_error(code)
    actions = {
        "send": lambda: client.send(A, "x"),
        "send_multi": lambda: client.send_multi([(A, "x"), (B, "y")]),
        "report": lambda: client.report(message_id),
        "balance": client.balance,
        "senders": client.senders,
    }
    with pytest.raises(expected) as info:
        actions[call]()
    assert type(info.value) is expected
    assert info.value.code == code
    assert info.value.provider == "modexi"
    assert emulator.pending_errors == ()


# -- answers that are not the documented format --------------------------------------------


@pytest.fixture
def proxied(
    emulator: ModexiEmulator, served: ServedApp
) -> Iterator[tuple[ileti.Client, FaultProxy]]:
    with (
        FaultProxy(served.base_url) as proxy,
        ileti.Client(
            "modexi", base_url=proxy.base_url, sender="ILETI", **emulator.credentials()
        ) as client,
    ):
        yield client, proxy


def _canned(status: int, body: object) -> FaultSpec:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return FaultSpec.http_status(status, headers=[("Content-Type", "application/json")], body=data)


@pytest.mark.parametrize(
    "spec",
    [
        Fault.GARBAGE,
        Fault.HTML,
        Fault.HTTP_500,
        Fault.RESET,
        _canned(200, {"errorCode": 200, "result": {"messages": []}}),
        _canned(200, {"errorCode": 200, "result": None}),
        _canned(200, {"status": "ok"}),
        _canned(200, ["397467"]),
    ],
)
def test_unreadable_answers_to_a_send_are_delivery_unknown(
    proxied: tuple[ileti.Client, FaultProxy], spec: Fault | FaultSpec
) -> None:
    client, proxy = proxied
    proxy.set_faults(spec)
    with pytest.raises(errors.DeliveryUnknown) as info:
        client.send(A, "x")
    assert info.value.client_ref


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (Fault.GARBAGE, errors.MalformedResponse),
        (
            _canned(200, {"errorCode": 200, "result": {"smsDetail": "many"}}),
            errors.MalformedResponse,
        ),
        (_canned(200, {"errorCode": 200}), errors.MalformedResponse),
        (_canned(200, b"<html><body>Bakim calismasi</body></html>"), errors.MalformedResponse),
        (_canned(200, {"errorCode": "tamam"}), errors.Rejected),
        # no envelope: the HTTP status decides
        (_canned(500, {"unexpected": True}), errors.ProviderUnavailable),
    ],
)
def test_unreadable_answers_to_a_read(
    proxied: tuple[ileti.Client, FaultProxy],
    spec: Fault | FaultSpec,
    expected: type[errors.IletiError],
) -> None:
    client, proxy = proxied
    proxy.set_faults(spec)
    with pytest.raises(expected) as info:
        client.balance()
    assert type(info.value) is expected


def test_a_body_without_envelope_falls_back_to_the_http_status(
    proxied: tuple[ileti.Client, FaultProxy],
) -> None:
    client, proxy = proxied
    proxy.set_faults(_canned(401, b"<html>401 Authorization Required</html>"))
    with pytest.raises(errors.AuthenticationError) as info:
        client.senders()
    assert info.value.code is None
    assert info.value.http_status == 401


def test_the_error_code_in_the_body_wins_over_the_http_status(
    proxied: tuple[ileti.Client, FaultProxy],
) -> None:
    client, proxy = proxied
    proxy.set_faults(_canned(400, {"errorCode": 402, "errorDescription": "Yetersiz kredi."}))
    with pytest.raises(errors.InsufficientCredit):
        client.send(A, "x")
    proxy.set_faults(_canned(400, {"errorCode": 200, "result": {"messageCode": "42"}}))
    assert client.send(A, "x").message_id == "42"


def test_an_unknown_error_code_is_classified_by_its_description(
    proxied: tuple[ileti.Client, FaultProxy],
) -> None:
    client, proxy = proxied
    proxy.set_faults(_canned(200, {"errorCode": 1001, "errorDescription": "Geçersiz numara"}))
    with pytest.raises(errors.InvalidRecipient) as info:
        client.send(A, "x")
    assert info.value.code == "1001"


def test_report_rows_with_unknown_codes_keep_the_raw_code(
    proxied: tuple[ileti.Client, FaultProxy],
) -> None:
    client, proxy = proxied
    row = {"messageId": 5, "to": "5321112233", "status": {"code": 77, "name": "?"}}
    proxy.set_faults(_canned(200, {"errorCode": 200, "result": [row]}))
    report = client.report("1")
    assert report.recipients[0].state is DeliveryState.UNKNOWN
    assert report.recipients[0].raw_state == "77"
    assert report.recipients[0].number == A


def test_state_codes_setting_extends_the_table(emulator: ModexiEmulator, served: ServedApp) -> None:
    row = {"messageId": 5, "to": "5321112233", "status": {"code": 77, "name": "?"}}
    with (
        FaultProxy(served.base_url) as proxy,
        ileti.Client(
            "modexi",
            base_url=proxy.base_url,
            **(emulator.credentials() | {"state_codes": "77=expired"}),
        ) as client,
    ):
        proxy.set_faults(_canned(200, {"errorCode": 200, "result": [row]}))
        assert client.report("1").recipients[0].state is DeliveryState.EXPIRED


def test_special_case_messages_in_a_send_answer_are_logged(
    proxied: tuple[ileti.Client, FaultProxy], caplog: pytest.LogCaptureFixture
) -> None:
    client, proxy = proxied
    answer = {"errorCode": 200, "result": {"messageCode": "9", "messages": [{"note": "özel"}]}}
    proxy.set_faults(_canned(200, answer))
    with caplog.at_level("INFO", logger="ileti_modexi"):
        assert client.send(A, "x").message_id == "9"
    assert any("özel" in r.getMessage() for r in caplog.records)


def test_reports_kept_from_an_earlier_call_survive_a_one_time_report(
    proxied: tuple[ileti.Client, FaultProxy], emulator: ModexiEmulator
) -> None:
    client, proxy = proxied
    result = client.send([A, B], "x")
    assert result.message_id is not None
    emulator.clock.advance(60)
    assert client.report(result.message_id).is_final
    # as Infobip v1 does, a gateway that reports each row once answers nothing new
    proxy.set_faults(_canned(200, {"errorCode": 200, "errorDescription": "", "result": []}))
    again = client.report(result.message_id)
    assert [(r.number, r.state) for r in again.recipients] == [
        (A, DeliveryState.DELIVERED),
        (B, DeliveryState.DELIVERED),
    ]


def test_serve_the_emulator_twice_independently() -> None:
    first, second = ModexiEmulator(), ModexiEmulator()
    with serve(first) as one, serve(second) as two:
        for srv, emu in ((one, first), (two, second)):
            with ileti.Client(
                "modexi", base_url=srv.base_url, sender="ILETI", **emu.credentials()
            ) as client:
                client.send(A, "x")
    assert len(first.messages) == len(second.messages) == 1
