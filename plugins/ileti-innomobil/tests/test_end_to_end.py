"""The client against the emulator over real HTTP on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from ileti_innomobil.emulator import ERRORS, InnomobilEmulator

import ileti
from ileti import errors
from ileti.emulation import Fault, FaultProxy, ServedApp
from ileti.models import DeliveryState

NUMBERS = ["0532 111 22 33", "0532 111 22 39"]  # ...9 ends undelivered


def sent_json(emulator: InnomobilEmulator, index: int = -1) -> Any:
    return json.loads(emulator.received[index].body)


def test_send_report_and_states_advance(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    result = client.send(NUMBERS, "Merhaba", sender=emulator.default_sender)
    assert result.provider == "innomobil"
    assert [r.number for r in result.recipients] == ["+905321112233", "+905321112239"]
    assert all(r.accepted for r in result.recipients)
    assert (result.parts, result.credits) == (1, Decimal(2))
    assert [m.recipient for m in emulator.messages] == ["+905321112233", "+905321112239"]
    assert {m.package_id for m in emulator.messages} == {result.message_id}

    assert result.message_id is not None
    first = client.report(result.message_id)
    assert [r.state for r in first.recipients] == [DeliveryState.QUEUED] * 2
    assert [r.raw_state for r in first.recipients] == ["1", "1"]
    assert not first.is_final

    emulator.clock.advance(timedelta(seconds=30))
    assert [r.raw_state for r in client.report(result.message_id).recipients] == ["1", "1"]

    emulator.clock.advance(timedelta(seconds=30))
    final = client.report(result.message_id)
    assert [(r.number, r.state, r.raw_state) for r in final.recipients] == [
        ("+905321112233", DeliveryState.DELIVERED, "3"),
        ("+905321112239", DeliveryState.UNDELIVERED, "2"),
    ]
    assert final.is_final
    assert all(r.message_id for r in final.recipients)


def test_report_by_per_number_ids_reads_the_gms_quirk(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    result = client.send(NUMBERS, "Merhaba", sender=emulator.default_sender)
    assert result.message_id is not None
    emulator.clock.advance(60)
    ids = [r.message_id for r in client.report(result.message_id).recipients]
    assert all(ids)
    by_id = client.report(",".join(i for i in ids if i))
    assert sent_json(emulator)["reportid"] == ids
    answer = json.loads(_last_answer(emulator, ids))
    assert "gms" in answer["result"][0]
    assert "gsm" not in answer["result"][0]
    assert [(r.number, r.state) for r in by_id.recipients] == [
        ("+905321112233", DeliveryState.DELIVERED),
        ("+905321112239", DeliveryState.UNDELIVERED),
    ]


def _last_answer(emulator: InnomobilEmulator, ids: list[str | None]) -> bytes:
    # ask the emulator directly what it answers to the same reportbyid
    from ileti.emulation import EmulatorRequest

    body = json.dumps({**emulator.credentials(), "reportid": ids}).encode()
    headers = {"content-type": "application/json"}
    return emulator.handle(
        EmulatorRequest("POST", "/api/v1/reportbyid", headers=headers, body=body)
    ).body


def test_report_without_the_gms_typo(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    emulator.gms_typo = False
    result = client.send(NUMBERS[0], "Merhaba", sender=emulator.default_sender)
    assert result.message_id is not None
    report_id = client.report(result.message_id).recipients[0].message_id
    assert report_id is not None
    assert client.report(report_id).recipients[0].number == "+905321112233"


def test_send_multi(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    long_text = "ç" * 100  # ucs2 would need 2 parts; folded GSM needs 1
    result = client.send_multi(
        [("05321112233", "Selam Ayşe"), ("05321112234", long_text)],
        sender=emulator.default_sender,
    )
    sent = sent_json(emulator)
    assert emulator.received[-1].path == "/api/v1/multisend"
    assert [m["gsm"] for m in sent["message"]] == [["905321112233"], ["905321112234"]]
    assert {m["utf8"] for m in sent["message"]} == {"0"}
    assert [m.text for m in emulator.messages] == ["Selam Ayse", "c" * 100]
    assert result.credits == Decimal(2)
    assert result.message_id is not None
    emulator.clock.advance(60)
    report = client.report(result.message_id)
    assert [r.state for r in report.recipients] == [DeliveryState.DELIVERED] * 2


def test_send_multi_with_different_parts(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    result = client.send_multi(
        [("05321112233", "a"), ("05321112234", "b" * 200)], sender=emulator.default_sender
    )
    assert [m.parts for m in emulator.messages] == [1, 2]
    assert result.credits == Decimal(3)
    assert result.parts is None  # no single per-recipient figure
    assert emulator.credit == Decimal(1000 - 3)


def test_ucs2_keeps_turkish_letters(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    client.send(NUMBERS[0], "Günaydın 😀", sender=emulator.default_sender, encoding="ucs2")
    (message,) = emulator.messages
    assert (message.text, message.wire_encoding, message.parts) == ("Günaydın 😀", "1", 1)


def test_balance_falls_by_billed_parts(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    before = client.balance()
    assert (before.amount, before.postpaid) == (Decimal(1000), False)
    client.send(NUMBERS, "x" * 161, sender=emulator.default_sender)  # 2 parts x 2
    assert sum(m.parts for m in emulator.messages) == 4
    assert client.balance().amount == Decimal(996)
    assert sent_json(emulator)["gate"] == 0


def test_postpaid_balance(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    emulator.account.ledger.postpaid = True
    balance = client.balance()
    assert (balance.amount, balance.postpaid) == (None, True)
    client.send(NUMBERS, "x", sender=emulator.default_sender)
    assert client.balance().postpaid


def test_senders_lists_only_usable_names(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    assert [s.name for s in client.senders()] == [emulator.default_sender]
    assert emulator.pending_sender in emulator.account.senders


def test_gate_and_default_sender_settings(emulator: InnomobilEmulator, served: ServedApp) -> None:
    client = ileti.Client(
        "innomobil",
        base_url=served.base_url,
        gate=1,
        sender=emulator.default_sender,
        **emulator.credentials(),
    )
    client.send(NUMBERS[0], "x")
    sent = sent_json(emulator)
    assert (sent["gate"], sent["message"]["sender"]) == (1, emulator.default_sender)
    client.balance()
    assert sent_json(emulator)["gate"] == 1


def test_schedule_and_validity_on_the_wire(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    when = (emulator.clock.now() + timedelta(hours=2)).replace(microsecond=0)
    result = client.send(
        NUMBERS[0],
        "later",
        sender=emulator.default_sender,
        schedule=when,
        validity=timedelta(hours=3),
    )
    sent = sent_json(emulator)
    local = when.astimezone(ileti_tz())
    assert sent["sdate"] == local.strftime("%Y%m%d%H%M%S")
    assert sent["vperiod"] == "3"
    assert result.message_id is not None
    report_id = client.report(result.message_id).recipients[0].message_id
    assert report_id is not None
    emulator.clock.advance(timedelta(hours=1))
    assert emulator.phase(report_id) == "scheduled"
    assert client.report(result.message_id).recipients[0].raw_state == "1"
    emulator.clock.advance(timedelta(hours=1))
    assert emulator.phase(report_id) == "queued"
    emulator.clock.advance(timedelta(seconds=60))
    assert client.report(result.message_id).recipients[0].state is DeliveryState.DELIVERED


def ileti_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Istanbul")


# -- refusals before any request -----------------------------------------------------


def test_over_limit_text_makes_no_request(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    with pytest.raises(errors.MessageTooLong) as caught:
        client.send(NUMBERS[0], "x" * 613, sender=emulator.default_sender)
    assert caught.value.max_parts == 4
    with pytest.raises(errors.MessageTooLong):
        client.send(NUMBERS[0], "ğ" * 269, sender=emulator.default_sender, encoding="ucs2")
    assert emulator.received == []
    client.send(NUMBERS[0], "x" * 612, sender=emulator.default_sender)
    assert emulator.messages[-1].parts == 4


@pytest.mark.parametrize(
    ("option", "value"),
    [("flash", True), ("client_ref", "abc")],
)
def test_unsupported_options(
    client: ileti.Client, emulator: InnomobilEmulator, option: str, value: object
) -> None:
    with pytest.raises(errors.NotSupported):
        client.send(NUMBERS[0], "x", sender=emulator.default_sender, **{option: value})
    assert emulator.received == []


def test_unsupported_encoding(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    with pytest.raises(errors.NotSupported):
        client.send(NUMBERS[0], "x", sender=emulator.default_sender, encoding="gsm7-tr")
    assert emulator.received == []


def test_validity_out_of_range(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    with pytest.raises(errors.ValidationError):
        client.send(NUMBERS[0], "x", sender=emulator.default_sender, validity=timedelta(hours=49))
    assert emulator.received == []


def test_no_sender_anywhere_is_refused_before_sending(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    with pytest.raises(errors.InvalidSender, match="sender"):
        client.send(NUMBERS[0], "x")
    with pytest.raises(errors.InvalidSender):
        client.send_multi([(NUMBERS[0], "x")])
    assert emulator.received == []


def test_foreign_number_is_refused_before_sending(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    with pytest.raises(errors.InvalidRecipient) as caught:
        client.send([NUMBERS[0], "+49 151 23456789"], "x", sender=emulator.default_sender)
    assert caught.value.position == 1
    assert emulator.received == []


def test_too_many_recipients(client: ileti.Client, emulator: InnomobilEmulator) -> None:
    numbers = [f"+90532{n:07d}" for n in range(1001)]
    with pytest.raises(errors.ValidationError, match="split"):
        client.send(numbers, "x", sender=emulator.default_sender)
    assert emulator.received == []


# -- documented errors -------------------------------------------------------------------


@pytest.mark.parametrize("text", sorted(ERRORS))
def test_every_documented_error_maps_to_its_typed_error(
    client: ileti.Client, emulator: InnomobilEmulator, text: str
) -> None:
    expected = getattr(errors, ERRORS[text])
    emulator.force_error(text)
    with pytest.raises(expected) as caught:
        client.send(NUMBERS[0], "x", sender=emulator.default_sender)
    assert caught.value.code == text
    assert emulator.messages == []
    emulator.force_error(text)
    with pytest.raises(expected):
        client.balance()
    emulator.force_error(text)
    with pytest.raises(expected):
        client.report("120")


def test_natural_errors(
    client: ileti.Client, emulator: InnomobilEmulator, served: ServedApp
) -> None:
    with pytest.raises(errors.InvalidSender):
        client.send(NUMBERS[0], "x", sender=emulator.pending_sender)
    with pytest.raises(errors.InvalidSender):
        client.send(NUMBERS[0], "x", sender=emulator.inactive_sender)
    with pytest.raises(errors.InvalidSender):
        client.send(NUMBERS[0], "x", sender="UNKNOWN")
    with pytest.raises(errors.UnknownMessage):
        client.report("999999")
    with pytest.raises(errors.UnknownMessage):
        client.report("nosuchid")
    with pytest.raises(errors.ValidationError):
        client.report(" , ")
    emulator.credit = Decimal(1)
    with pytest.raises(errors.InsufficientCredit):
        client.send(NUMBERS, "x", sender=emulator.default_sender)
    assert emulator.credit == Decimal(1)
    emulator.account.active = False
    with pytest.raises(errors.AccountInactive):
        client.balance()
    wrong = ileti.Client(
        "innomobil",
        base_url=served.base_url,
        username=emulator.credentials()["username"],
        password="wrong",
    )
    with pytest.raises(errors.AuthenticationError):
        wrong.senders()
    assert emulator.messages == []


# -- misbehaving network -----------------------------------------------------------------


@pytest.mark.parametrize("fault", [Fault.HTML, Fault.GARBAGE, Fault.TRUNCATED, Fault.HTTP_500])
def test_unreadable_answers_to_a_send_are_delivery_unknown(
    emulator: InnomobilEmulator, served: ServedApp, fault: Fault
) -> None:
    with FaultProxy(served.base_url) as proxy:
        proxy.set_faults(fault)
        client = ileti.Client("innomobil", base_url=proxy.base_url, **emulator.credentials())
        with pytest.raises(errors.DeliveryUnknown) as caught:
            client.send(NUMBERS[0], "x", sender=emulator.default_sender)
        assert caught.value.client_ref


def test_garbage_answer_to_a_read_is_malformed(
    emulator: InnomobilEmulator, served: ServedApp
) -> None:
    with FaultProxy(served.base_url) as proxy:
        proxy.set_faults(Fault.GARBAGE, Fault.HTML)
        client = ileti.Client(
            "innomobil",
            base_url=proxy.base_url,
            retry=ileti.RetryPolicy(attempts=1),
            **emulator.credentials(),
        )
        with pytest.raises(errors.MalformedResponse):
            client.balance()
        with pytest.raises(errors.IletiError):
            client.senders()


def test_schedule_time_is_sent_in_turkish_time_not_utc(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    when = datetime(2099, 6, 1, 6, 0, tzinfo=UTC)
    client.send(NUMBERS[0], "x", sender=emulator.default_sender, schedule=when)
    assert sent_json(emulator)["sdate"] == "20990601090000"
