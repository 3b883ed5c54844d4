"""End to end: ileti.Client -> the core's transport -> loopback HTTP -> the emulator."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from ileti_ekomesaj import wire
from ileti_ekomesaj.emulator import EkomesajEmulator

import ileti
from ileti.emulation import EmulatorRequest, Fault, FaultProxy, FaultSpec, ServedApp
from ileti.errors import (
    AuthenticationError,
    DeliveryUnknown,
    IletiError,
    InsufficientCredit,
    InvalidContent,
    InvalidRecipient,
    InvalidSender,
    MalformedResponse,
    MessageTooLong,
    NotSupported,
    ProviderUnavailable,
    Rejected,
    ValidationError,
)
from ileti.models import DeliveryState

MakeClient = Callable[..., ileti.Client]
ISTANBUL_OFFSET = timedelta(hours=3)


def body(request: EmulatorRequest) -> Any:
    return json.loads(request.body.decode("utf-8"))


def sends(emulator: EkomesajEmulator) -> list[Any]:
    return [body(r) for r in emulator.received if r.path.endswith("/SendInstantSms")]


# --------------------------------------------------------------------------- provider


def test_provider_info_and_capabilities(client: ileti.Client) -> None:
    info = client.info
    assert info.name == "ekomesaj"
    assert info.encodings == ("gsm7-tr",)
    assert info.text.get("Default").name == "gsm7-tr"
    assert info.text.get("gsm7-tr").wire == "Default"
    assert info.max_parts == wire.MAX_PARTS
    assert info.max_recipients == wire.MAX_RECIPIENTS
    assert info.scheduling
    assert info.client_reference
    assert not info.validity
    assert not info.flash
    assert client.capabilities == {"send", "send_multi", "query_report", "balance"}


def test_senders_is_not_supported(client: ileti.Client, emulator: EkomesajEmulator) -> None:
    with pytest.raises(NotSupported) as info:
        client.senders()
    assert info.value.capability == "senders"
    assert emulator.received == []


@pytest.mark.parametrize(
    "option",
    [{"validity": timedelta(hours=1)}, {"flash": True}, {"encoding": "ucs2"}, {"encoding": "gsm7"}],
)
def test_unsupported_options_are_refused_before_any_request(
    client: ileti.Client, emulator: EkomesajEmulator, option: dict[str, Any]
) -> None:
    with pytest.raises(NotSupported):
        client.send("05321112233", "Merhaba", **option)
    assert emulator.received == []


# --------------------------------------------------------------------------- send


def test_send_one_text(client: ileti.Client, emulator: EkomesajEmulator) -> None:
    result = client.send(["0532 111 22 33", "+90 532 111 22 39"], "Merhaba dünya", sender="ILETI")
    assert result.provider == "ekomesaj"
    assert result.message_id == emulator.messages[0].package_id
    assert [r.number for r in result.recipients] == ["+905321112233", "+905321112239"]
    assert all(r.accepted for r in result.recipients)
    assert result.parts == 1
    assert [m.text for m in emulator.messages] == ["Merhaba dünya"] * 2
    assert {m.sender for m in emulator.messages} == {"ILETI"}
    [sent] = sends(emulator)
    sms = sent["Sms"]
    assert [t["Msisdn"] for t in sms["ToMsisdns"]] == [905321112233, 905321112239]
    assert sms["RequestGuid"] == result.client_ref == sms["SmsTitle"]
    assert sms["DataCoding"] == "Default"
    assert sms["IsCreateFromTeplate"] is False
    assert sms["CanSendSmsToDuplicateMsisdn"] is False
    assert "ScheduledDeliveryTime" not in sms
    assert sent["Credential"]["ResellerID"] == 2050


@pytest.mark.parametrize(
    ("ref", "guid"),
    [
        ("siparis-42", ""),  # not a GUID: the title carries it, RequestGuid stays empty
        ("12345678-1234-1234-1234-1234567890ab", "12345678-1234-1234-1234-1234567890ab"),
        ("{12345678-1234-1234-1234-1234567890AB}", "{12345678-1234-1234-1234-1234567890AB}"),
        ("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
        ("{0123456789abcdef0123456789abcdef", ""),  # unbalanced brace
        ("12345678-1234-1234-1234-1234567890ag", ""),  # not hexadecimal
        ("12345678123412341234-1234567890ab", ""),
    ],
)
def test_request_guid_carries_the_reference_only_when_it_is_a_guid(
    client: ileti.Client, emulator: EkomesajEmulator, ref: str, guid: str
) -> None:
    result = client.send("05321112233", "Merhaba", client_ref=ref)
    assert result.client_ref == ref
    sent = sends(emulator)[0]["Sms"]
    assert sent["RequestGuid"] == guid
    assert sent["SmsTitle"] == ref
    assert emulator.messages[0].client_ref == ref


def test_turkish_letters_travel_as_default_with_shift_counting(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    text = "Şişli'de ılık bir gün. " * 5  # 115 characters, 20 of them Turkish shift letters
    preview = client.preview(text)
    assert (preview.encoding, preview.parts, preview.segmentation.units) == ("gsm7-tr", 1, 135)
    assert client.preview(text + "ş" * 10).parts == 1  # 155 units: one part
    longer = text + "ş" * 11  # 157 units: over the 155 of one part
    assert client.preview(longer).parts == 2
    result = client.send("05321112233", longer)
    assert result.parts == emulator.messages[0].parts == 2
    assert emulator.messages[0].text == longer
    assert emulator.credit == 998


def test_plain_text_is_counted_with_the_turkish_header(client: ileti.Client) -> None:
    # one wire value for every text: a plain text is counted 155 / 149 too
    assert client.preview("a" * 155).parts == 1
    assert client.preview("a" * 156).parts == 2
    assert client.preview("a" * 298).parts == 2
    assert client.preview("a" * 299).parts == 3


def test_kept_duplicates_are_allowed_on_the_wire(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    result = client.send(["05321112233", "05321112233"], "iki kez", keep_duplicates=True)
    assert len(result.recipients) == 2
    assert sends(emulator)[0]["Sms"]["CanSendSmsToDuplicateMsisdn"] is True
    assert len(emulator.messages) == 2


def test_sender_from_settings_or_the_account_default(
    make_client: MakeClient, emulator: EkomesajEmulator
) -> None:
    make_client(sender="ILETI").send("05321112233", "a")
    make_client().send("05321112233", "b")
    names = [s["Sms"]["SenderName"] for s in sends(emulator)]
    assert names == ["ILETI", ""]
    assert [m.sender for m in emulator.messages] == ["ILETI", emulator.default_sender]


def test_schedule_is_sent_in_turkish_time_and_held(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    when = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    result = client.send("05321112233", "Sonra", schedule=when)
    sent = sends(emulator)[0]["Sms"]["ScheduledDeliveryTime"]
    assert datetime.fromisoformat(sent) == when
    assert datetime.fromisoformat(sent).utcoffset() == ISTANBUL_OFFSET
    assert client.report(result.message_id).recipients[0].state is DeliveryState.SCHEDULED
    emulator.clock.advance(when - emulator.clock.now())
    assert client.report(result.message_id).recipients[0].state is DeliveryState.QUEUED
    emulator.clock.advance(60)
    assert client.report(result.message_id).recipients[0].state is DeliveryState.DELIVERED


def test_non_turkish_numbers_are_refused_before_any_request(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    with pytest.raises(InvalidRecipient) as info:
        client.send(["05321112233", "+44 7911 123456"], "Hello")
    assert info.value.position == 1
    assert emulator.received == []


def test_too_long_text_is_refused_before_any_request(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    before = len(emulator.received)
    with pytest.raises(MessageTooLong) as info:
        client.send("05321112233", "a" * (149 * wire.MAX_PARTS + 1))
    assert info.value.max_parts == wire.MAX_PARTS
    assert len(emulator.received) == before
    client.send("05321112233", "a" * (149 * wire.MAX_PARTS))  # the longest that fits
    assert emulator.messages[0].parts == wire.MAX_PARTS


def test_emoji_cannot_travel_as_default(client: ileti.Client, emulator: EkomesajEmulator) -> None:
    with pytest.raises(InvalidContent):
        client.send("05321112233", "Merhaba 🙂")
    assert emulator.received == []


# --------------------------------------------------------------------------- send_multi


def test_send_multi_uses_the_template_trick(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    texts = ["Merhaba.", "Nasılsın?", "[Mesaj1] değil: [Ad] [Soyad] {x} a:b:c"]
    numbers = ["05321112233", "05321112234", "05321112235"]
    result = client.send_multi(list(zip(numbers, texts, strict=True)), sender="ILETI")
    assert [m.text for m in emulator.messages] == texts
    assert [m.recipient for m in emulator.messages] == [r.number for r in result.recipients]
    sms = sends(emulator)[0]["Sms"]
    assert sms["IsCreateFromTeplate"] is True
    assert sms["SmsContent"] == "[Mesaj1]"
    assert [t["CustomField1"] for t in sms["ToMsisdns"]] == ["[Mesaj1]:" + t for t in texts]
    assert sms["RequestGuid"] == result.client_ref
    assert result.parts == 1
    assert emulator.credit == 997


def test_send_multi_parts_when_texts_differ(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    result = client.send_multi([("05321112233", "kısa"), ("05321112234", "b" * 200)])
    assert result.parts is None
    assert [m.parts for m in emulator.messages] == [1, 2]
    assert emulator.credit == 997


def test_send_multi_to_one_number_twice(client: ileti.Client, emulator: EkomesajEmulator) -> None:
    client.send_multi([("05321112233", "bir"), ("05321112233", "iki")])
    assert sends(emulator)[0]["Sms"]["CanSendSmsToDuplicateMsisdn"] is True
    assert [m.text for m in emulator.messages] == ["bir", "iki"]


# --------------------------------------------------------------------------- report


def test_report_follows_the_clock_to_final_states(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    result = client.send(["05321112233", "05321112239"], "Durum")
    assert result.message_id is not None
    seen = []
    for step in (0, 10, 20, 30, 600):
        emulator.clock.advance(step)
        report = client.report(result.message_id)
        assert [r.number for r in report.recipients] == ["+905321112233", "+905321112239"]
        seen.append(
            ([r.state for r in report.recipients], [r.raw_state for r in report.recipients])
        )
    states = [s for s, _ in seen]
    assert states[0] == [DeliveryState.QUEUED] * 2
    assert states[1] == states[2] == [DeliveryState.SENT] * 2
    assert [raw for _, raw in seen[1:3]] == [["1", "1"], ["6", "6"]]
    assert states[3] == states[4] == [DeliveryState.DELIVERED, DeliveryState.UNDELIVERED]
    for before, after in itertools.pairwise(states):
        assert all(new.rank >= old.rank for old, new in zip(before, after, strict=True))
    report = client.report(result.message_id)
    assert report.is_final
    assert report.package_state is DeliveryState.SENT
    assert report.raw_package_state == "1"
    delivered = report.recipients[0].time
    assert delivered is not None
    assert delivered.utcoffset() == ISTANBUL_OFFSET


def test_report_reads_every_page_and_never_page_size_zero(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    numbers = [f"+9053211{i:05d}" for i in range(250)]
    result = client.send(numbers, "Toplu")
    assert result.message_id is not None
    emulator.received.clear()
    report = client.report(result.message_id)
    assert [r.number for r in report.recipients] == numbers
    pages = [body(r) for r in emulator.received]
    assert [(p["StartPage"], p["PageSize"]) for p in pages] == [(0, 100), (1, 100), (2, 100)]
    assert all(p["SmsHistoryID"] == int(result.message_id) for p in pages)


def test_report_of_an_exact_number_of_pages_stops_at_total_count(
    client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    result = client.send([f"+9053211{i:05d}" for i in range(100)], "Tam")
    assert result.message_id is not None
    emulator.received.clear()
    assert len(client.report(result.message_id).recipients) == 100
    assert len(emulator.received) == 1


def test_report_of_a_cancelled_package(client: ileti.Client, emulator: EkomesajEmulator) -> None:
    result = client.send("05321112233", "İptal")
    assert result.message_id is not None
    with emulator.lock:
        emulator.packages[int(result.message_id)].stopped_at = emulator.clock.now()
    report = client.report(result.message_id)
    assert report.package_state is DeliveryState.CANCELLED
    assert report.recipients[0].state is DeliveryState.CANCELLED
    assert report.recipients[0].raw_state == "4"


@pytest.mark.parametrize("message_id", ["abc", "0", "-5", "12.5"])
def test_report_needs_a_package_number(
    client: ileti.Client, emulator: EkomesajEmulator, message_id: str
) -> None:
    with pytest.raises(ValidationError):
        client.report(message_id)
    assert emulator.received == []


def test_report_of_an_unknown_package(client: ileti.Client) -> None:
    with pytest.raises(ileti.UnknownMessage) as info:
        client.report("424242")
    assert info.value.code == "404"


def test_report_operation_setting(make_client: MakeClient, emulator: EkomesajEmulator) -> None:
    result = make_client().send("05321112233", "a")
    assert result.message_id is not None
    wrong = make_client(report_operation="GetSmsDetails")
    with pytest.raises(Rejected) as info:
        wrong.report(result.message_id)
    # the error says exactly which setting to try, and where to find its value
    assert "set the report_operation setting (ILETI_EKOMESAJ_REPORT_OPERATION)" in (
        info.value.message
    )
    assert "'/metadata'" in info.value.message
    assert info.value.http_status == 404
    emulator.report_operation = "GetSmsDetails"
    assert len(wrong.report(result.message_id).recipients) == 1


def test_a_report_answer_of_another_shape_names_the_setting_to_try(
    make_client: MakeClient, served: ServedApp
) -> None:
    result = make_client().send("05321112233", "a")
    assert result.message_id is not None
    with FaultProxy(served.base_url) as proxy:
        proxy.set_faults(
            FaultSpec(
                Fault.STATUS,
                status=200,
                body=b'{"Status": {"Code": 200}, "Details": "none"}',
                headers=(("Content-Type", "application/json"),),
            )
        )
        with pytest.raises(MalformedResponse) as info:
            make_client(base_url=proxy.base_url).report(result.message_id)
    assert "the report's answer shape is inferred" in info.value.message
    assert "report_operation setting" in info.value.message


# --------------------------------------------------------------------------- balance


def test_balance_falls_by_billed_parts(client: ileti.Client, emulator: EkomesajEmulator) -> None:
    start = client.balance()
    assert start.amount == Decimal(1000)
    assert start.unit == "credits"
    client.send(["05321112233", "05321112234", "05321112235"], "x" * 200)
    assert client.balance().amount == Decimal(1000) - 2 * 3
    client.send_multi([("05321112233", "kısa"), ("05321112234", "y" * 320)])
    assert client.balance().amount == Decimal(1000) - 6 - 1 - 3


def test_decimal_credit(client: ileti.Client, emulator: EkomesajEmulator) -> None:
    emulator.credit = Decimal("12.75")
    assert client.balance().amount == Decimal("12.75")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("code", sorted(EkomesajEmulator.documented_errors))
def test_each_documented_error_maps_to_its_typed_error(
    client: ileti.Client, emulator: EkomesajEmulator, code: str
) -> None:
    expected = getattr(ileti.errors, EkomesajEmulator.documented_errors[code])
    emulator.force_error(code, path="/json/syncreply/SendInstantSms")
    with pytest.raises(expected) as info:
        client.send("05321112233", "a")
    assert info.value.provider == "ekomesaj"
    if expected is not DeliveryUnknown:  # an HTTP 500 on a send carries no provider code
        assert info.value.code == code
    assert emulator.messages == []
    # on a read, the same answer is a provider error, never "may have been sent"
    emulator.force_error(code, path="/json/syncreply/GetCredit")
    with pytest.raises(ProviderUnavailable if expected is DeliveryUnknown else expected) as info:
        client.balance()
    assert info.value.code == code


def test_wrong_password(make_client: MakeClient, emulator: EkomesajEmulator) -> None:
    with pytest.raises(AuthenticationError) as info:
        make_client(password="wrong").send("05321112233", "a")
    assert "reseller_id" in str(info.value)
    assert info.value.excerpt is not None
    assert "Kullanıcı adı" in info.value.excerpt
    assert emulator.messages == []


def test_wrong_reseller_id_is_reported_as_a_credentials_error_that_names_it(
    make_client: MakeClient,
) -> None:
    with pytest.raises(AuthenticationError) as info:
        make_client(reseller_id=2051).balance()
    assert "reseller_id" in info.value.message
    assert "2050" in info.value.message


@pytest.mark.parametrize("sender", ["ONAYBEKLE", "ESKIBASLIK", "BILINMEYEN"])
def test_unapproved_senders(client: ileti.Client, emulator: EkomesajEmulator, sender: str) -> None:
    with pytest.raises(InvalidSender):
        client.send("05321112233", "a", sender=sender)
    assert emulator.messages == []


def test_not_enough_credit(client: ileti.Client, emulator: EkomesajEmulator) -> None:
    emulator.credit = Decimal(3)
    with pytest.raises(InsufficientCredit):
        client.send(["05321112233", "05321112234"], "x" * 200)
    assert emulator.credit == 3


def test_landline_refused_by_the_gateway(client: ileti.Client, emulator: EkomesajEmulator) -> None:
    with pytest.raises(InvalidRecipient) as info:
        client.send("0212 555 11 22", "sabit hat")
    assert info.value.code == "406"


# --------------------------------------------------------------------------- odd answers


@pytest.fixture
def proxy(served: ServedApp) -> Any:
    with FaultProxy(served.base_url) as running:
        yield running


@pytest.fixture
def proxied(make_client: MakeClient, proxy: FaultProxy) -> ileti.Client:
    return make_client(base_url=proxy.base_url)


def canned(body: object | bytes, status: int = 200) -> FaultSpec:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return FaultSpec.http_status(status, body=raw, headers=[("Content-Type", "application/json")])


def test_message_id_zero_is_a_failure(proxied: ileti.Client, proxy: FaultProxy) -> None:
    proxy.set_faults(canned({"MessageID": 0, "Status": {"Code": 200, "Message": ""}}))
    with pytest.raises(Rejected) as info:
        proxied.send("05321112233", "a")
    assert "MessageID 0" in info.value.message


def test_a_send_answer_without_message_id_may_have_been_sent(
    proxied: ileti.Client, proxy: FaultProxy
) -> None:
    proxy.set_faults(canned({"Status": {"Code": 200}}))
    with pytest.raises(DeliveryUnknown) as info:
        proxied.send("05321112233", "a", client_ref="ref-1")
    assert info.value.client_ref == "ref-1"


@pytest.mark.parametrize(
    "answer",
    [b"<html><body>Bakimdayiz</body></html>", b"\x00\x01garbage", b'{"MessageID": "x"}'],
)
def test_unreadable_answers(proxied: ileti.Client, proxy: FaultProxy, answer: bytes) -> None:
    proxy.set_faults(canned(answer), canned(answer))
    with pytest.raises(DeliveryUnknown):
        proxied.send("05321112233", "a")
    with pytest.raises(MalformedResponse):
        proxied.balance()


def test_a_report_page_repeated_forever_is_malformed(
    proxied: ileti.Client, proxy: FaultProxy
) -> None:
    page = {
        "Status": {"Code": 200},
        "State": 1,
        "Details": [{"Msisdn": 905321100000 + i, "State": 2} for i in range(100)],
    }
    proxy.set_faults(canned(page), canned(page))
    with pytest.raises(MalformedResponse):
        proxied.report("77")


def test_servicestack_500_on_a_read(proxied: ileti.Client, proxy: FaultProxy) -> None:
    error = {"ResponseStatus": {"ErrorCode": "SqlException", "Message": "Timeout"}}
    proxy.set_faults(canned(error, 500))
    with pytest.raises(ProviderUnavailable) as info:
        proxied.balance()
    assert (info.value.code, info.value.http_status) == ("SqlException", 500)


def test_every_failure_is_an_ileti_error(proxied: ileti.Client, proxy: FaultProxy) -> None:
    for answer in (canned([]), canned(b"null"), canned({"Credit": "lots"}), canned({}, 418)):
        proxy.set_faults(answer)
        with pytest.raises(IletiError):
            proxied.balance()
