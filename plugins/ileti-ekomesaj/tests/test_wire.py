"""The wire format against the provider document's own examples."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ileti_ekomesaj import wire
from ileti_ekomesaj.emulator import EkomesajEmulator
from ileti_ekomesaj.settings import parse_error_codes

from ileti.errors import (
    AuthenticationError,
    IletiError,
    InsufficientCredit,
    InvalidRecipient,
    InvalidSender,
    MalformedResponse,
    ProviderUnavailable,
    Rejected,
)
from ileti.http import HttpResponse
from ileti.models import DeliveryState
from ileti.plugin import Category, error_for

# The document's "quick integration" template, with its x's filled in (Msisdn
# is an unquoted number in the document).
DOC_SEND = """
{"Credential":{"Username":"kullanici","Password":"sifre","ResellerID":2050},
"Sms":{
"ToMsisdns":[
{"Msisdn":905321112233,"Name":"","Surname":"","CustomField1":""}
],
"ToGroups":[],
"IsCreateFromTeplate":false,
"SmsTitle":"baslik",
"SmsContent":"Mesaj metni",
"RequestGuid":"",
"CanSendSmsToDuplicateMsisdn":false,
"SmsSendingType":"ByNumber",
"SmsCoding":"String",
"SenderName":"GONDEREN",
"Route":0,
"ValidityPeriod":0,
"DataCoding":"Default"}
}
"""

# The document's "different text per number" example.
DOC_TEMPLATED = """
{"Credential":{"Username":"kullanici","Password":"sifre","ResellerID":2050},
"Sms":{
"ToMsisdns":[
{"Msisdn":905321112233,"Name":"","Surname":"","CustomField1":"[Mesaj1]:Merhaba."},
{"Msisdn":905321112234,"Name":"","Surname":"","CustomField1":"[Mesaj1]:Nasılsın?"}
],
"ToGroups":[],
"IsCreateFromTeplate":true,
"SmsTitle":"baslik",
"SmsContent":"[Mesaj1]",
"RequestGuid":"",
"CanSendSmsToDuplicateMsisdn":false,
"SmsSendingType":"ByNumber",
"SmsCoding":"String",
"SenderName":"GONDEREN",
"Route":0,
"ValidityPeriod":0,
"DataCoding":"Default"}
}
"""

# The document's report template.
DOC_REPORT = """{"Credential":{"Username":"kullanici","Password":"sifre","ResellerID":2050},
"SmsHistoryID":123456,"StartPage":0,"PageSize":20}"""

CREDENTIAL = wire.Credential(username="kullanici", password="sifre", reseller_id=2050)


def keys_in_order(value: Any) -> Any:
    """The structure of a JSON value with its key order (values dropped)."""
    if isinstance(value, dict):
        return [(k, keys_in_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [keys_in_order(v) for v in value]
    return type(value).__name__


def fail(failure: wire.Failure) -> IletiError:
    return error_for(
        failure.category,
        failure.message,
        provider="ekomesaj",
        code=failure.code,
        http_status=failure.http_status,
        excerpt=failure.said,
    )


def answer(body: object, status: int = 200, raw: bytes | None = None) -> HttpResponse:
    data = raw if raw is not None else json.dumps(body).encode()
    return HttpResponse(status, {"content-type": "application/json"}, data, provider="ekomesaj")


def read(
    response: HttpResponse,
    cls: type[Any],
    operation: str = "SendInstantSms",
    error_codes: Mapping[str, Category] | None = None,
) -> Any:
    return wire.read_answer(
        response, cls, operation=operation, reseller_id=2050, fail=fail, error_codes=error_codes
    )


#: the emulator's invented codes, as its credentials() hand them to a client
INVENTED = parse_error_codes(EkomesajEmulator().credentials()["error_codes"])


# --------------------------------------------------------------------------- requests


def test_send_request_matches_the_documented_template() -> None:
    request = wire.SendInstantSmsRequest(
        credential=CREDENTIAL,
        sms=wire.Sms(
            to_msisdns=[wire.ToMsisdn(msisdn=905321112233)],
            sms_title="baslik",
            sms_content="Mesaj metni",
            sender_name="GONDEREN",
        ),
    )
    built = wire.to_wire(request)
    documented = json.loads(DOC_SEND)
    assert built == documented
    assert keys_in_order(built) == keys_in_order(documented)
    assert isinstance(built["Sms"]["ToMsisdns"][0]["Msisdn"], int)


def test_templated_request_matches_the_documented_example() -> None:
    prefix = wire.TEMPLATE_PLACEHOLDER + wire.TEMPLATE_SEPARATOR
    request = wire.SendInstantSmsRequest(
        credential=CREDENTIAL,
        sms=wire.Sms(
            to_msisdns=[
                wire.ToMsisdn(msisdn=905321112233, custom_field1=prefix + "Merhaba."),
                wire.ToMsisdn(msisdn=905321112234, custom_field1=prefix + "Nasılsın?"),
            ],
            is_create_from_template=True,
            sms_title="baslik",
            sms_content=wire.TEMPLATE_PLACEHOLDER,
            sender_name="GONDEREN",
        ),
    )
    built = wire.to_wire(request)
    assert built == json.loads(DOC_TEMPLATED)
    assert "IsCreateFromTeplate" in built["Sms"]  # sic: the gateway's spelling


def test_report_request_matches_the_documented_template() -> None:
    request = wire.ReportRequest(
        credential=CREDENTIAL, sms_history_id=123456, start_page=0, page_size=20
    )
    built = wire.to_wire(request)
    assert built == json.loads(DOC_REPORT)
    assert keys_in_order(built) == keys_in_order(json.loads(DOC_REPORT))


def test_report_request_refuses_page_size_zero() -> None:
    with pytest.raises(ValueError, match="PageSize"):
        wire.ReportRequest(credential=CREDENTIAL, sms_history_id=1, start_page=0, page_size=0)


def test_credit_request_is_just_the_credential() -> None:
    built = wire.to_wire(wire.GetCreditRequest(credential=CREDENTIAL))
    assert built == {
        "Credential": {"Username": "kullanici", "Password": "sifre", "ResellerID": 2050}
    }


def test_schedule_is_sent_only_when_set_in_turkish_time() -> None:
    when = datetime(2024, 5, 1, 7, 0, 0, 123456, tzinfo=UTC)
    sms = wire.Sms(
        to_msisdns=[wire.ToMsisdn(msisdn=905321112233)],
        sms_content="x",
        scheduled_delivery_time=wire.format_schedule(when),
    )
    assert wire.to_wire(sms)["ScheduledDeliveryTime"] == "2024-05-01T10:00:00+03:00"
    plain = wire.Sms(to_msisdns=[wire.ToMsisdn(msisdn=905321112233)], sms_content="x")
    assert "ScheduledDeliveryTime" not in wire.to_wire(plain)


# --------------------------------------------------------------------------- answers


def test_documented_success_answer() -> None:
    body = {"MessageID": 123456, "Status": {"Code": 200, "Description": "", "Message": ""}}
    parsed = read(answer(body), wire.SendInstantSmsResponse)
    assert parsed.message_id == 123456
    assert parsed.status is not None
    assert parsed.status.ok


def test_documented_business_failure_is_an_authentication_error() -> None:
    body = {
        "MessageID": 0,
        "Status": {"Code": 401, "Description": "", "Message": "Kullanıcı adı veya şifre hatalı"},
    }
    with pytest.raises(AuthenticationError) as info:
        read(answer(body), wire.SendInstantSmsResponse)
    assert info.value.code == "401"
    assert "reseller_id" in info.value.message
    assert "ResellerID" in info.value.message


@pytest.mark.parametrize("code", [17, 400, 404])
def test_words_decide_for_an_unknown_or_generic_code(code: int | None) -> None:
    body = {"MessageID": 0, "Status": {"Code": code, "Message": "Yetersiz bakiye"}}
    with pytest.raises(InsufficientCredit):
        read(answer(body), wire.SendInstantSmsResponse)


def test_a_code_named_in_the_setting_wins_over_misleading_words() -> None:
    # "pasif" alone would read as an inactive account
    body = {"MessageID": 0, "Status": {"Code": 405, "Message": "Gönderen başlığı pasif"}}
    with pytest.raises(InvalidSender):
        read(answer(body), wire.SendInstantSmsResponse, error_codes=INVENTED)


@pytest.mark.parametrize("code", [402, 405, 406, 407, 413])
def test_an_undocumented_code_has_no_invented_meaning(code: int) -> None:
    """Without the error_codes setting, the emulator's codes mean nothing on a real
    answer: a rejection that keeps the raw code."""
    body = {"MessageID": 0, "Status": {"Code": code, "Message": "Hata"}}
    with pytest.raises(Rejected) as info:
        read(answer(body), wire.SendInstantSmsResponse)
    assert type(info.value) is Rejected
    assert info.value.code == str(code)


def test_unknown_code_and_no_words_is_a_rejection() -> None:
    body = {"MessageID": 0, "Status": {"Code": 999, "Message": "Hata oluştu"}}
    with pytest.raises(Rejected) as info:
        read(answer(body), wire.SendInstantSmsResponse)
    assert info.value.code == "999"


@pytest.mark.parametrize(
    ("code", "error"),
    [(400, Rejected), (402, InsufficientCredit), (405, InvalidSender), (406, InvalidRecipient)],
)
def test_codes_decide_when_the_words_say_nothing(code: int, error: type[IletiError]) -> None:
    body = {"MessageID": 0, "Status": {"Code": code, "Message": "Hata"}}
    with pytest.raises(error) as info:
        read(answer(body), wire.SendInstantSmsResponse, error_codes=INVENTED)
    assert info.value.code == str(code)


@pytest.mark.parametrize(
    ("status", "error"), [(400, Rejected), (401, AuthenticationError), (500, ProviderUnavailable)]
)
def test_servicestack_response_status(status: int, error: type[IletiError]) -> None:
    body = {
        "ResponseStatus": {
            "ErrorCode": "NullReferenceException",
            "Message": "Object reference not set to an instance of an object.",
            "StackTrace": "...",
            "Errors": [],
        }
    }
    with pytest.raises(error) as info:
        read(answer(body, status), wire.SendInstantSmsResponse)
    assert info.value.code == "NullReferenceException"
    assert info.value.http_status == status


def test_documented_credit_answer() -> None:
    body = {"Credit": 1234.5, "Status": {"Code": 200, "Description": "", "Message": ""}}
    parsed = read(answer(body), wire.GetCreditResponse, "GetCredit")
    assert parsed.credit == Decimal("1234.5")


def test_reference_report_shape() -> None:
    body = {
        "Status": {"Code": 200, "Description": "", "Message": ""},
        "State": 1,
        "TotalCount": 2,
        "Details": [
            {
                "Msisdn": 905301112233,
                "State": 2,
                "SendDate": "/Date(1714557600000+0300)/",
                "DeliveredDate": "/Date(1714557605000+0300)/",
            },
            {
                "Msisdn": 905301112234,
                "State": 5,
                "SendDate": "/Date(1714557600000+0300)/",
                "DeliveredDate": None,
            },
        ],
    }
    parsed = read(answer(body), wire.ReportResponse, "GetSmsReport")
    assert parsed.total_count == 2
    assert [d.msisdn for d in parsed.details] == ["905301112233", "905301112234"]
    states = [wire.recipient_state(d.state, parsed.state) for d in parsed.details]
    assert states == [DeliveryState.DELIVERED, DeliveryState.UNDELIVERED]
    delivered = wire.parse_time(parsed.details[0].delivered_date)
    assert delivered == datetime(2024, 5, 1, 10, 0, 5, tzinfo=UTC)
    assert delivered is not None
    assert delivered.utcoffset() == timedelta(hours=3)


def test_report_accepts_a_quoted_msisdn_and_any_key_case() -> None:
    body = {
        "status": {"code": 200},
        "state": 1,
        "details": [{"msisdn": "905301112233", "state": 6}],
    }
    parsed = read(answer(body), wire.ReportResponse, "GetSmsReport")
    assert parsed.details[0].msisdn == "905301112233"
    assert parsed.details[0].state == 6


@pytest.mark.parametrize(
    "raw",
    [
        b"<html><body>Service Unavailable</body></html>",
        b"not json",
        b"[1, 2]",
        b'{"MessageID": "abc"}',
        b'{"MessageID": true}',
        b'{"MessageID": 1.5}',
        b'{"MessageID": 5, "Status": "ok"}',
        b"\xff\xfe",
    ],
)
def test_unreadable_answers_are_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedResponse):
        read(answer(None, raw=raw), wire.SendInstantSmsResponse)


def test_a_404_page_names_the_operation_and_the_settings() -> None:
    response = HttpResponse(404, {"content-type": "text/plain"}, b"Handler for Request not found")
    with pytest.raises(Rejected) as info:
        read(response, wire.ReportResponse, "GetSmsReport")
    assert "GetSmsReport" in info.value.message
    assert "report_operation" in info.value.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["MessageID", "Status", "Code", "Message", "Credit", "Details", "State"]
            )
            | st.text(max_size=8),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(value=json_values, status=st.sampled_from([200, 400, 401, 404, 500]))
def test_any_json_answer_gives_a_model_or_an_ileti_error(value: object, status: int) -> None:
    raw = json.dumps(value).encode()
    for cls, op in (
        (wire.SendInstantSmsResponse, "SendInstantSms"),
        (wire.GetCreditResponse, "GetCredit"),
        (wire.ReportResponse, "GetSmsReport"),
    ):
        try:
            parsed = read(answer(None, status, raw), cls, op)
        except IletiError:
            continue
        assert isinstance(parsed, cls)
        assert status == 200


# --------------------------------------------------------------------------- times


def test_servicestack_dates() -> None:
    assert wire.parse_time("/Date(1714557600000+0300)/") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert wire.parse_time("/Date(1714557600000)/") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert wire.parse_time("/Date(-1000)/") == datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_iso_dates_without_offset_are_turkish_time() -> None:
    parsed = wire.parse_time("2024-05-01T13:00:00")
    assert parsed == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert wire.parse_time("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("raw", [None, "", "yesterday", "/Date(abc)/", "/Date(99999999999999999)/"])
def test_unreadable_dates_give_none(raw: str | None) -> None:
    assert wire.parse_time(raw) is None


# Turkey has kept UTC+3 all year since 2016 (it had summer time before)
@given(st.datetimes(timezones=st.just(UTC), min_value=datetime(2016, 9, 8)))
def test_servicestack_dates_round_trip(when: datetime) -> None:
    when = when.replace(microsecond=when.microsecond // 1000 * 1000)
    text = wire.servicestack_date(when)
    assert text.endswith("+0300)/")
    assert wire.parse_time(text) == when


# --------------------------------------------------------------------------- states


def test_every_documented_state_is_mapped() -> None:
    assert set(wire.DETAIL_STATES) == set(range(10))
    assert set(wire.PACKAGE_STATES) == set(range(8))
    assert wire.DETAIL_STATES[2] is DeliveryState.DELIVERED
    assert wire.DETAIL_STATES[3] is DeliveryState.EXPIRED
    assert wire.DETAIL_STATES[8] is DeliveryState.REJECTED
    assert wire.DETAIL_STATES[9] is DeliveryState.FAILED


@pytest.mark.parametrize(
    ("detail", "package", "expected"),
    [
        (0, 0, DeliveryState.SCHEDULED),  # waiting in a package that is in queue
        (0, 3, DeliveryState.QUEUED),  # waiting in a package being sent
        (0, 5, DeliveryState.QUEUED),  # waiting in a package being taken in
        (0, 2, DeliveryState.CANCELLED),  # the package was cancelled
        (None, 6, DeliveryState.FAILED),  # no detail state, credit problem
        (None, 1, DeliveryState.UNKNOWN),
        (1, 2, DeliveryState.SENT),  # a number already sent keeps its own state
        (6, None, DeliveryState.SENT),
        (2, 7, DeliveryState.DELIVERED),
        (42, 1, DeliveryState.UNKNOWN),
    ],
)
def test_recipient_state(detail: int | None, package: int | None, expected: DeliveryState) -> None:
    assert wire.recipient_state(detail, package) is expected


def test_unknown_package_state_is_unknown() -> None:
    assert wire.package_state(99) is DeliveryState.UNKNOWN
    assert wire.package_state(None) is None


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("905321112233", "+905321112233"),
        ("5321112233", "+905321112233"),
        ("05321112233", "+905321112233"),
    ],
)
def test_reported_numbers_back_to_e164(raw: str, number: str) -> None:
    assert wire.e164(raw) == number


def test_message_id_zero_without_a_code_is_read_by_its_words() -> None:
    parsed = read(
        answer({"MessageID": 0, "Status": {"Message": "Yetersiz kredi"}}),
        wire.SendInstantSmsResponse,
    )
    failure = wire.message_id_failure(parsed, http_status=200, reseller_id=2050)
    assert isinstance(fail(failure), InsufficientCredit)
    assert "MessageID 0" in failure.message


_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["200", " 7", "", "1.5"]),
    st.text(max_size=6),
    st.just({"ErrorCode": "x"}),
)


@st.composite
def _near_usual(draw: st.DrawFn, usual: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """The usual answer's members with one of them (or none) replaced by
    anything, left out, or spelt in other letters, and perhaps one more."""
    data = {key: draw(values) for key, values in usual.items()}
    key = draw(st.sampled_from([None, *usual]))
    if key is not None:
        change = draw(st.sampled_from(["value", "drop", "case"]))
        value = data.pop(key)
        if change == "value":
            data[key] = draw(_ANY)
        elif change == "case":
            data[draw(st.sampled_from([key.lower(), key.upper()]))] = value
    if draw(st.booleans()):
        data[draw(st.sampled_from(["ResponseStatus", "Other", "Code", "status"]))] = draw(_ANY)
    return data


_STATUS = _near_usual(
    {
        "Code": st.sampled_from([200, 401, 0]),
        "Description": st.one_of(st.none(), st.text(max_size=4)),
        "Message": st.one_of(st.none(), st.text(max_size=4)),
    }
)


@settings(max_examples=400)
@given(_near_usual({"MessageID": st.integers(0, 10**9), "Status": _STATUS}))
def test_the_plain_send_answer_gives_what_the_converter_gives(data: dict[str, Any]) -> None:
    # the send's answer read without the converter: the same model, or None
    # (then the converter reads it, or words the error)
    plain = wire._plain_send_answer(data)
    if plain is not None:
        assert plain == wire.from_wire(data, wire.SendInstantSmsResponse)


def test_the_usual_send_answer_takes_the_plain_way() -> None:
    usual = {"MessageID": 100001, "Status": {"Code": 200, "Description": "", "Message": ""}}
    expected = wire.SendInstantSmsResponse(
        message_id=100001, status=wire.Status(code=200, description="", message="")
    )
    assert wire._plain_send_answer(usual) == expected
    assert read(answer(usual), wire.SendInstantSmsResponse) == expected
    # what the gateway may also write goes the converter's way, and reads the same
    assert wire._plain_send_answer({**usual, "ResponseStatus": None}) is None
    respelt = {"messageId": 100001, "status": usual["Status"]}
    assert wire._plain_send_answer(respelt) is None
    assert read(answer(respelt), wire.SendInstantSmsResponse) == expected


@pytest.mark.parametrize("container", [list, dict])
def test_an_answer_nested_past_the_limit_is_malformed(container: type) -> None:
    def nest(levels: int) -> object:
        value: object = 1
        for _ in range(levels):
            value = [value] if container is list else {"Status": value}
        return value

    assert wire._shallow(nest(wire.MAX_NESTING))
    assert not wire._shallow(nest(wire.MAX_NESTING + 1))
    assert wire._shallow({"a": [1, "x", None], "b": 2}, limit=2)
    assert not wire._shallow({"a": [1, {"b": 2}]}, limit=2)
    with pytest.raises(MalformedResponse, match="nested too deeply"):
        read(answer(nest(wire.MAX_NESTING + 1)), wire.SendInstantSmsResponse)


@given(
    texts=st.lists(st.text(max_size=6), min_size=6, max_size=6),
    numbers=st.lists(st.integers(900000000000, 909999999999), max_size=3),
    duplicates=st.booleans(),
    schedule=st.one_of(st.none(), st.text(max_size=6)),
)
def test_the_send_body_is_the_request_model_written(
    texts: list[str], numbers: list[int], duplicates: bool, schedule: str | None
) -> None:
    username, password, title, content, sender, coding = texts
    credential = wire.Credential(username=username, password=password, reseller_id=2050)
    sms: dict[str, Any] = {
        "sms_title": title,
        "sms_content": content,
        "request_guid": "",
        "can_send_sms_to_duplicate_msisdn": duplicates,
        "sender_name": sender,
        "data_coding": coding,
        "scheduled_delivery_time": schedule,
    }
    model = wire.SendInstantSmsRequest(
        credential=credential,
        sms=wire.Sms(to_msisdns=[wire.ToMsisdn(msisdn=n) for n in numbers], **sms),
    )
    body = wire.send_body(credential, numbers, **sms)
    # the same object, keys in the same order: the same bytes on the wire
    assert json.dumps(body) == json.dumps(wire.to_wire(model))
    again = wire.send_body(credential, numbers, **sms)
    assert body["Sms"]["ToGroups"] is not again["Sms"]["ToGroups"]  # a list of its own
