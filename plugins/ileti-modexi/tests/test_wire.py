"""The wire format against the examples of Modexi's own document."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ileti_modexi import wire

from ileti.models import BalanceUnit, DeliveryState, SenderState
from ileti.plugin import Category

# -- the document's samples, verbatim ------------------------------------------------------

DOC_SEND_REQUEST = """{
  "from": "MODEXI",
  "text": "Merhaba, destek talebiniz alinmistir.",
  "validityPeriod": 30,
  "scheduledDate": "DateTime",
  "destinations":[
    {
      "to": "905320001122"
    }
  ]
}"""

DOC_SEND_ANSWER = """{
  "errorCode" : 200,
  "errorDescription": "İşlem başarılı.",
  "result": {
    "messageCode": "397467",
    "messages": []
  }
}"""

DOC_SENDERS_ANSWER = """{
  "errorCode": 200,
  "errorDescription": "İşleminiz başarılı şekilde tamamlandı.",
  "result": [
    {
      "value": "MODEXI"
    },
    {
      "value": "MODEXI VERI"
    }
  ]
}"""

DOC_REPORT_REQUEST = """{
  "messageCode": "397467",
  "limit": 100
}"""

DOC_REPORT_ANSWER = """{
  "errorCode": 200,
  "errorDescription": "",
  "result": [
    {
      "messageId": 60757031,
      "to": "2127053535",
      "from": "Modexi",
      "text": "Mesaj B236",
      "sentAt": "2018-02-02 09:39:39",
      "doneAt": "",
      "smsCount": 1,
      "status": {
        "code": 300,
        "name": ""
      }
    },
    {
      "messageId": 60757033,
      "to": "2165386000",
      "from": "Modexi",
      "text": "Yuce Rabbim bizlere saglik, huzur, mutluluk ve bol kazanc nasip etsin. B236",
      "sentAt": "2018-02-02 09:39:39",
      "doneAt": "",
      "smsCount": 1,
      "status": {
        "code": 300,
        "name": ""
      }
    }
  ]
}"""

DOC_BALANCE_ANSWER = """{
  "errorCode": 200,
  "errorDescription": "İşleminiz başarılı şekilde tamamlandı.",
  "result": {
    "balance": 0,
    "currency": "TRY",
    "smsDetail": {
      "total": 53484
    }
  }
}"""


def _envelope(text: str) -> wire.Envelope:
    env = wire.envelope(json.loads(text))
    assert env is not None
    return env


def test_send_request_has_the_documented_shape() -> None:
    schedule = datetime(2013, 8, 23, 12, 15, tzinfo=timezone(timedelta(hours=3)))
    body = wire.send_request(
        sender="MODEXI",
        text="Merhaba, destek talebiniz alinmistir.",
        numbers=["+905320001122"],
        validity=timedelta(minutes=30),
        schedule=schedule,
    )
    documented = json.loads(DOC_SEND_REQUEST)
    assert body.keys() == documented.keys()
    # the document's "DateTime" is a placeholder; its text gives the format and UTC
    assert body == {**documented, "scheduledDate": "2013-08-23T09:15:00"}
    assert json.loads(json.dumps(body)) == body


def test_send_request_for_now_sends_an_empty_date_and_the_default_validity() -> None:
    body = wire.send_request(
        sender="1234567", text="x", numbers=["+905321112233", "+905321112234"], validity=None,
        schedule=None,
    )  # fmt: skip
    assert body["scheduledDate"] == ""
    assert body["validityPeriod"] == wire.DEFAULT_VALIDITY_MINUTES == 2880
    assert body["destinations"] == [{"to": "905321112233"}, {"to": "905321112234"}]
    assert body["from"] == "1234567"


def test_report_request_has_the_documented_shape() -> None:
    assert wire.report_request("397467", 100) == json.loads(DOC_REPORT_REQUEST)


def test_send_answer_sample() -> None:
    env = _envelope(DOC_SEND_ANSWER)
    assert env.ok
    assert env.error_description == "İşlem başarılı."
    answer = wire.send_answer(env.result)
    assert answer.message_code == "397467"
    assert answer.messages == ()


def test_a_numeric_message_code_is_read_as_text() -> None:
    assert wire.send_answer({"messageCode": 397467}).message_code == "397467"


def test_senders_sample() -> None:
    senders = wire.to_senders(wire.sender_items(_envelope(DOC_SENDERS_ANSWER).result))
    assert [s.name for s in senders] == ["MODEXI", "MODEXI VERI"]
    assert {s.state for s in senders} == {SenderState.APPROVED}


def test_report_sample() -> None:
    items = wire.report_items(_envelope(DOC_REPORT_ANSWER).result)
    assert [i.message_id for i in items] == ["60757031", "60757033"]
    assert [i.to for i in items] == ["2127053535", "2165386000"]
    first = items[0]
    assert first.from_ == "Modexi"
    assert first.sms_count == 1
    assert first.status.code == 300
    assert first.done_at == ""
    report = wire.recipient_report(first, wire.e164_of(first.to, {}))
    assert report.number == "+902127053535"
    assert report.state is DeliveryState.SENT
    assert report.raw_state == "300"
    assert report.message_id == "60757031"
    assert report.error is None
    # sentAt has no zone: read as UTC, like scheduledDate (wire.REPORT_ZONE)
    assert report.time is not None
    assert report.time.astimezone(UTC) == datetime(2018, 2, 2, 9, 39, 39, tzinfo=UTC)


def test_balance_sample() -> None:
    # the sample is a package-based account: no money, 53484 SMS credits
    balance = wire.to_balance("modexi", wire.balance_answer(_envelope(DOC_BALANCE_ANSWER).result))
    assert balance.provider == "modexi"
    assert balance.amount == Decimal(0)
    assert balance.unit is BalanceUnit.CURRENCY
    assert balance.currency == "TRY"
    assert balance.postpaid is False
    assert balance.sms_credits == Decimal(53484)


def test_balance_carries_money_currency_and_sms_credits() -> None:
    answer = wire.balance_answer(
        {"balance": 1234.56, "currency": " TRY ", "smsDetail": {"total": "4938"}}
    )
    balance = wire.to_balance("modexi", answer)
    assert (balance.amount, balance.unit, balance.currency, balance.sms_credits) == (
        Decimal("1234.56"),
        BalanceUnit.CURRENCY,
        "TRY",
        Decimal(4938),
    )


@pytest.mark.parametrize(
    "result",
    [
        {"smsDetail": {"total": 40}},
        {"balance": None, "currency": "TRY", "smsDetail": {"total": 40}},
        {"balance": 12, "smsDetail": {"total": 40}},
        {"balance": 12, "currency": "", "smsDetail": {"total": 40}},
    ],
)
def test_balance_without_money_and_currency_shows_the_sms_credits(result: object) -> None:
    balance = wire.to_balance("modexi", wire.balance_answer(result))
    assert (balance.amount, balance.unit, balance.currency, balance.sms_credits) == (
        Decimal(40),
        BalanceUnit.CREDITS,
        None,
        Decimal(40),
    )


def test_report_rows_are_matched_on_the_last_ten_digits() -> None:
    known = {wire.last10("+905321112233"): "+905321112233"}
    assert wire.e164_of("5321112233", known) == "+905321112233"
    assert wire.e164_of("905321112233", known) == "+905321112233"
    # not sent by this client: parsed as a Turkish number
    assert wire.e164_of("5321112234", known) == "+905321112234"
    assert wire.e164_of("12", known) == "+12"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # chosen: UTC, like scheduledDate (see wire.REPORT_ZONE)
        ("2018-02-02 09:39:39", datetime(2018, 2, 2, 9, 39, 39, tzinfo=UTC)),
        ("2018-02-02T09:39:39", datetime(2018, 2, 2, 9, 39, 39, tzinfo=UTC)),
        ("2018-02-02T09:39:39+03:00", datetime(2018, 2, 2, 6, 39, 39, tzinfo=UTC)),
    ],
)
def test_report_times_in_both_documented_forms(text: str, expected: datetime) -> None:
    when = wire.parse_time(text)
    assert when is not None
    assert when.tzinfo is not None
    assert when == expected


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_report_times_are_none(text: str | None) -> None:
    assert wire.parse_time(text) is None


def test_an_unreadable_report_time_is_a_wire_error() -> None:
    with pytest.raises(wire.WireError, match="not yyyy-MM-dd"):
        wire.parse_time("02.02.2018 09:39")


@pytest.mark.parametrize(
    ("code", "state"),
    [
        (10, DeliveryState.DELIVERED),  # documented
        (300, DeliveryState.SENT),  # inferred from the sample
        # the emulator's invented codes mean nothing on a real answer
        (100, DeliveryState.UNKNOWN),
        (110, DeliveryState.UNKNOWN),
        (20, DeliveryState.UNKNOWN),
        (999, DeliveryState.UNKNOWN),
        (0, DeliveryState.UNKNOWN),
    ],
)
def test_state_table(code: int, state: DeliveryState) -> None:
    assert wire.state_for(code) is state


def test_extra_states_override_and_extend_the_table() -> None:
    extra = {999: DeliveryState.EXPIRED, 300: DeliveryState.QUEUED}
    assert wire.state_for(999, extra) is DeliveryState.EXPIRED
    assert wire.state_for(300, extra) is DeliveryState.QUEUED
    assert wire.state_for(10, extra) is DeliveryState.DELIVERED


def test_an_undocumented_status_is_unknown_with_its_raw_code_kept() -> None:
    row = wire.report_items(
        [{"messageId": 1, "to": "5321112239", "status": {"code": 20, "name": "İletilemedi"}}]
    )[0]
    report = wire.recipient_report(row, "+905321112239")
    assert report.state is DeliveryState.UNKNOWN
    assert report.raw_state == "20"


def test_a_not_delivered_row_carries_the_status_name_as_error() -> None:
    row = wire.report_items(
        [{"messageId": 1, "to": "5321112239", "status": {"code": 20, "name": "İletilemedi"}}]
    )[0]
    report = wire.recipient_report(row, "+905321112239", {20: DeliveryState.UNDELIVERED})
    assert report.state is DeliveryState.UNDELIVERED
    assert report.error == "İletilemedi"
    assert report.time is None


@pytest.mark.parametrize("code", ["400", "401", "402", "404", "406", "407", "413", "422", "20"])
def test_an_undocumented_error_code_has_no_invented_meaning(code: str) -> None:
    """With no table, no words and no telling HTTP status, a code is a refusal of
    unknown meaning that names the raw code."""
    kind = wire.error_kind(code, "")
    assert kind.category is Category.INVALID_REQUEST
    assert f"errorCode {code}" in kind.advice
    assert "error_codes" in kind.advice


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("401", Category.AUTH),
        ("402", Category.INSUFFICIENT_CREDIT),
        ("422", Category.INVALID_SENDER),
        ("-3", Category.PROVIDER_ERROR),
    ],
)
def test_the_error_codes_setting_names_what_a_code_means(code: str, category: Category) -> None:
    extra = {"401": Category.AUTH, "402": Category.INSUFFICIENT_CREDIT}
    extra |= {"422": Category.INVALID_SENDER, "-3": Category.PROVIDER_ERROR}
    assert wire.error_kind(code, "", extra=extra).category is category


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (401, Category.AUTH),
        (403, Category.FORBIDDEN),
        (429, Category.RATE_LIMITED),
        (500, Category.PROVIDER_ERROR),
        (503, Category.PROVIDER_ERROR),
        (400, Category.INVALID_REQUEST),
    ],
)
def test_the_http_status_speaks_by_http_meaning(status: int, category: Category) -> None:
    assert wire.error_kind("1234", "", http_status=status).category is category


def test_unknown_error_codes_are_classified_by_their_words_first() -> None:
    assert wire.error_kind("1234", "Yetersiz bakiye").category is Category.INSUFFICIENT_CREDIT
    assert wire.error_kind("1234", "Gönderici adı hatalı").category is Category.INVALID_SENDER
    kind = wire.error_kind("1234", "Yetersiz bakiye", http_status=401)
    assert kind.category is Category.INSUFFICIENT_CREDIT
    assert wire.error_kind("-7", "???").category is Category.INVALID_REQUEST


@pytest.mark.parametrize(
    "data",
    [
        {"errorCode": 200, "result": {"messages": []}},  # no messageCode
        {"errorCode": 200, "result": {"messageCode": ["x"]}},
        {"errorCode": 200, "result": {"messageCode": True}},
        {"errorCode": 200, "result": "397467"},
        {"errorCode": 200, "result": {"messageCode": "  "}},
    ],
)
def test_malformed_send_answers_are_wire_errors(data: object) -> None:
    env = wire.envelope(data)
    assert env is not None
    with pytest.raises(wire.WireError):
        wire.send_answer(env.result)


@pytest.mark.parametrize(
    "result",
    [
        {"messageId": 1},
        [{"messageId": 1, "to": "5321112233", "status": {"code": "delivered"}}],
        [{"messageId": 1, "to": "5321112233", "status": None}],
        [{"messageId": 1, "to": "5321112233", "status": {"code": 10}, "smsCount": "many"}],
        ["row"],
    ],
)
def test_malformed_report_rows_are_wire_errors(result: object) -> None:
    with pytest.raises(wire.WireError):
        wire.report_items(result)


@pytest.mark.parametrize(
    "result",
    [
        {"balance": 0, "currency": "TRY"},
        {"balance": 0, "smsDetail": {"total": "NaN"}},
        {"balance": "lots", "smsDetail": {"total": 1}},
        {"smsDetail": {"total": True}},
    ],
)
def test_malformed_balances_are_wire_errors(result: object) -> None:
    with pytest.raises(wire.WireError):
        wire.balance_answer(result)


def test_numbers_in_strings_are_read() -> None:
    rows = wire.report_items(
        [{"messageId": "7", "to": 5321112233, "smsCount": "2", "status": {"code": "10"}}]
    )
    assert rows[0].message_id == "7"
    assert rows[0].to == "5321112233"
    assert rows[0].sms_count == 2
    assert rows[0].status.code == 10


def test_the_envelope_needs_an_error_code() -> None:
    assert wire.envelope({"result": {}}) is None
    assert wire.envelope([1, 2]) is None
    with pytest.raises(wire.WireError):
        wire.envelope({"errorCode": None})


def test_wire_names() -> None:
    assert wire.wire_name("from_") == "from"
    assert wire.wire_name("message_code") == "messageCode"
    assert wire.wire_name("sms_detail") == "smsDetail"
    assert wire.wire_name("to") == "to"


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2099, 12, 31),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5, minutes=-30))]
        ),
    )
)
def test_scheduled_date_is_utc_without_offset(when: datetime) -> None:
    text = wire.scheduled_date(when)
    assert len(text) == 19
    assert "+" not in text
    assert not text.endswith("Z")
    back = datetime.strptime(text, wire.SCHEDULE_FORMAT).replace(tzinfo=UTC)
    assert back == when.astimezone(UTC).replace(microsecond=0)


@given(st.integers(min_value=10 * 60, max_value=48 * 3600))
def test_validity_is_whole_minutes_rounded_up(seconds: int) -> None:
    """Never shorter than asked (it once rounded down: 10:01 became 10:00)."""
    minutes = wire.validity_minutes(timedelta(seconds=seconds))
    assert 10 <= minutes <= 2880
    assert (minutes - 1) * 60 < seconds <= minutes * 60
