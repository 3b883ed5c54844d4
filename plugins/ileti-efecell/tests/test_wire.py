"""The wire format against the document's own examples, and the tables."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ileti_efecell import wire

from ileti.models import DeliveryState, SenderState
from ileti.plugin import Category, HttpRequest

# -- the document's samples, verbatim (original/efecell.txt) ----------------------------

BALANCE = """{
    "status": {
        "code": 200,
        "successful": true
    },
    "response": {
        "balance": 100
    }
}"""

ORIGINATORS_DETAILED = """{
  "status": {
    "code": 200,
    "successful": true
  },
  "response": {
    "originators": [
      {
        "name": "EFECEL",
        "status": 1
      },
      {
        "name": "EFECELL",
        "status": 1
      },
      {
        "name": "EFECELCOM",
        "status": 2
      },
      {
        "name": "EFECELLCOM",
        "status": 0
      }
    ]
  }
}"""

BASIC_REQUEST = """{
  "originator":"EFECELL",
  "message":"Test SMS.",
  "to":["535535XX01","535535XX02"],
  "encoding":"auto"
}"""

BASIC_RESPONSE = """{
  "status":{
    "code":200,
    "successful":true
  },
  "response":{
    "message":{
      "id":13544,
      "originator":"EFECELL",
      "message":"Test SMS.",
      "count":2,
      "price":1,
      "total_price":2
    }
  }
}"""

MULTI_REQUEST = """{
  "originator":"EFECELL",
  "messages": [
    {
      "to": "535535XX01",
      "message": "Test SMS 1."
    },
    {
      "to": "535535XX02",
      "message": "Test SMS 2."
    }
  ],
  "encoding":"auto"
}"""

MULTI_RESPONSE = """{
  "status":{
    "code":200,
    "successful":true
  },
  "response":{
    "message":{
      "id":13544,
      "originator":"EFECELL",
      "count":2,
      "total_price":2
    }
  }
}"""

REPORT_REQUEST = """{
   "id":302
}"""

REPORT_RESPONSE = """{
\t"status": {
\t\t"code": 200,
\t\t"successful": true
\t},
\t"response": {
\t\t"message": {
\t\t\t"id": 13544,
\t\t\t"originator": "EFECELL",
\t\t\t"message": "Test SMS.",
\t\t\t"count": 302,
\t\t\t"price": 302,
\t\t\t"status": 3,
\t\t\t"details": [
\t\t\t\t{
\t\t\t\t\t"to": "535535XX01",
\t\t\t\t\t"message": "Test SMS.",
\t\t\t\t\t"price": 1,
\t\t\t\t\t"status": 1,
\t\t\t\t\t"time": "2018-04-04 06:44:35"
\t\t\t\t},
\t\t\t\t{
\t\t\t\t\t"to": "535535XX02",
\t\t\t\t\t"message": "Test SMS.",
\t\t\t\t\t"price": 1,
\t\t\t\t\t"status": 1,
\t\t\t\t\t"time": "2018-04-04 06:44:35"
\t\t\t\t}
\t\t\t]
\t\t}
\t}
}"""

# the reference's failure example
FAILURE = (
    '{"status": {"code": 401, "successful": false, "description": "API Key hatalı"}, '
    '"response": []}'
)


def _response(text: str) -> Any:
    return json.loads(text)["response"]


# -- requests ----------------------------------------------------------------------------


def test_basic_request_matches_the_document() -> None:
    request = wire.BasicRequest(
        originator="EFECELL",
        text="Test SMS.",
        recipients=["535535XX01", "535535XX02"],
        encoding="auto",
    )
    assert wire.unstructure(request) == json.loads(BASIC_REQUEST)


def test_multi_request_matches_the_document() -> None:
    request = wire.MultiRequest(
        originator="EFECELL",
        messages=[
            wire.MultiItem(recipient="535535XX01", text="Test SMS 1."),
            wire.MultiItem(recipient="535535XX02", text="Test SMS 2."),
        ],
        encoding="auto",
    )
    assert wire.unstructure(request) == json.loads(MULTI_REQUEST)


def test_report_request_matches_the_document() -> None:
    assert wire.unstructure(wire.ReportRequest(package_id=302)) == json.loads(REPORT_REQUEST)


# -- responses ---------------------------------------------------------------------------


def test_balance_sample() -> None:
    body = wire.structure(_response(BALANCE), wire.BalanceBody)
    result = wire.balance("efecell", body)
    assert result.amount == Decimal(100)
    assert result.unit == "credits"


def test_originators_detailed_sample() -> None:
    body = wire.structure(_response(ORIGINATORS_DETAILED), wire.OriginatorsBody)
    found = {s.name: s.state for s in wire.senders(body)}
    assert found == {
        "EFECEL": SenderState.APPROVED,
        "EFECELL": SenderState.APPROVED,
        "EFECELCOM": SenderState.INACTIVE,
        "EFECELLCOM": SenderState.PENDING,
    }


def test_basic_response_sample() -> None:
    body = wire.structure(_response(BASIC_RESPONSE), wire.SendBody)
    assert body.message == wire.SentPackage(
        package_id=13544,
        originator="EFECELL",
        text="Test SMS.",
        count=2,
        price=Decimal(1),
        total_price=Decimal(2),
    )
    result = wire.send_result(
        "efecell", body, ["+905355350001", "+905355350002"], parts=1, client_ref="ref"
    )
    assert result.message_id == "13544"
    assert result.credits == Decimal(2)
    assert [r.number for r in result.recipients] == ["+905355350001", "+905355350002"]
    assert all(r.accepted for r in result.recipients)


def test_multi_response_sample_has_no_message_or_price() -> None:
    body = wire.structure(_response(MULTI_RESPONSE), wire.SendBody)
    assert body.message.package_id == 13544
    assert body.message.text is None
    assert body.message.price is None
    assert body.message.total_price == Decimal(2)


def test_report_sample() -> None:
    body = wire.structure(_response(REPORT_RESPONSE), wire.ReportBody)
    report = wire.delivery_report("efecell", "13544", body)
    assert report.package_state is DeliveryState.SENT
    assert report.raw_package_state == "3"
    # the sample's numbers are masked (XX): they are kept as given
    assert [r.number for r in report.recipients] == ["535535XX01", "535535XX02"]
    assert [r.state for r in report.recipients] == [DeliveryState.DELIVERED] * 2
    assert [r.raw_state for r in report.recipients] == ["1", "1"]
    when = report.recipients[0].time
    assert when is not None
    assert when.utcoffset() == timedelta(hours=3)
    assert when.replace(tzinfo=None) == datetime(2018, 4, 4, 6, 44, 35)
    assert report.is_final


def test_failure_sample_is_an_envelope() -> None:
    envelope = wire.structure(json.loads(FAILURE), wire.Envelope)
    assert envelope.status == wire.Status(code=401, successful=False, description="API Key hatalı")
    assert envelope.response == []


# -- tables ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "category"),
    [
        (400, Category.INVALID_REQUEST),
        (401, Category.AUTH),
        (402, Category.INSUFFICIENT_CREDIT),
        (403, Category.FORBIDDEN),
        (406, Category.INVALID_RECIPIENT),
        (407, Category.ACCOUNT_INACTIVE),
        (413, Category.MESSAGE_TOO_LONG),
        (500, Category.PROVIDER_ERROR),
        (429, Category.RATE_LIMITED),
        (503, Category.PROVIDER_ERROR),
        (418, Category.INVALID_REQUEST),
    ],
)
def test_error_categories(code: int, category: Category) -> None:
    assert wire.error_info(code, None).category is category


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("Başlık geçersiz", Category.INVALID_SENDER),
        ("BAŞLIK GİRİLMEMİŞ", Category.INVALID_SENDER),
        ("Invalid originator", Category.INVALID_SENDER),
        ("Numara girilmemiş", Category.INVALID_RECIPIENT),
        ("Mesaj girilmemiş", Category.INVALID_REQUEST),
        ("İstemci hatası", Category.INVALID_REQUEST),
    ],
)
def test_400_is_refined_by_its_description(description: str, category: Category) -> None:
    assert wire.error_info(400, description).category is category


def test_description_does_not_refine_other_codes() -> None:
    assert wire.error_info(406, "Başlık").category is Category.INVALID_RECIPIENT


@pytest.mark.parametrize(
    ("detail", "package", "state"),
    [
        (1, 2, DeliveryState.DELIVERED),
        (2, 3, DeliveryState.UNDELIVERED),
        (99, 2, DeliveryState.UNKNOWN),
        (7, 2, DeliveryState.UNKNOWN),
        (0, 0, DeliveryState.QUEUED),
        (0, 10, DeliveryState.QUEUED),
        (0, 4, DeliveryState.SCHEDULED),
        (0, 1, DeliveryState.SENT),
        (0, 2, DeliveryState.SENT),
        (0, 3, DeliveryState.SENT),
        (0, 91, DeliveryState.FAILED),
        (0, 92, DeliveryState.CANCELLED),
        (0, 93, DeliveryState.FAILED),
        (0, 94, DeliveryState.REJECTED),
        (0, 95, DeliveryState.CANCELLED),
        (0, 77, DeliveryState.QUEUED),
    ],
)
def test_recipient_state(detail: int, package: int, state: DeliveryState) -> None:
    assert wire.recipient_state(detail, package) is state


def test_every_documented_package_status_is_mapped() -> None:
    assert set(wire.PACKAGE_STATES) == {0, 1, 2, 3, 4, 10, 91, 92, 93, 94, 95}
    assert set(wire.DETAIL_STATES) | {wire.WAITING} == {0, 1, 2, 99}


def test_report_without_details_uses_known_recipients_and_package_state() -> None:
    body = wire.structure({"message": {"id": 5, "status": 95, "details": []}}, wire.ReportBody)
    report = wire.delivery_report("efecell", "5", body, known_recipients=["+905321112233"])
    assert [(r.number, r.state, r.raw_state) for r in report.recipients] == [
        ("+905321112233", DeliveryState.CANCELLED, "95")
    ]
    assert report.package_state is DeliveryState.CANCELLED


def test_unknown_package_status_is_unknown() -> None:
    body = wire.structure({"message": {"id": 5, "status": 50}}, wire.ReportBody)
    report = wire.delivery_report("efecell", "5", body)
    assert report.package_state is DeliveryState.UNKNOWN
    assert report.raw_package_state == "50"


# -- converter strictness ----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"message": {"status": 1}},  # no id
        {"message": {"id": "abc", "status": 1}},
        {"message": {"id": True, "status": 1}},
        {"message": {"id": 1, "status": 1, "details": {"to": "5321112233"}}},
        {"message": {"id": 1, "status": 1, "details": "5321112233"}},
        {"message": {"id": 1, "status": 1, "details": [{"to": None, "status": 1}]}},
        {"message": {"id": 1, "status": 1, "details": [{"to": ["x"], "status": 1}]}},
        {"message": []},
        [],
        "text",
        None,
    ],
)
def test_malformed_report_bodies_raise_value_error(data: object) -> None:
    with pytest.raises(ValueError, match="not a valid"):
        wire.structure(data, wire.ReportBody)


def test_numeric_strings_and_numbers_are_read() -> None:
    body = wire.structure(
        {"originators": [{"name": "A", "status": "1"}, {"name": "B", "status": 2.0}]},
        wire.OriginatorsBody,
    )
    assert [o.status for o in body.originators] == [1, 2]
    detail = wire.structure({"to": 5321112233, "status": 1}, wire.ReportDetail)
    assert detail.recipient == "5321112233"


@pytest.mark.parametrize("bad", [True, float("nan"), float("inf"), "1e", [1], {}])
def test_balance_must_be_a_finite_number(bad: object) -> None:
    with pytest.raises(ValueError, match="not a valid"):
        wire.structure({"balance": bad}, wire.BalanceBody)


def test_balance_accepts_decimals() -> None:
    assert wire.structure({"balance": "12.50"}, wire.BalanceBody).balance == Decimal("12.50")


def test_unknown_sender_status_reads_as_inactive() -> None:
    body = wire.structure({"originators": [{"name": "FIRMA", "status": 7}]}, wire.OriginatorsBody)
    assert wire.senders(body)[0].state is SenderState.INACTIVE


# -- numbers and times -------------------------------------------------------------------


@given(st.from_regex(r"5[0-9]{9}", fullmatch=True))
def test_ten_digit_numbers_become_e164(number: str) -> None:
    assert wire.number_from_wire(number) == "+90" + number


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("905321112233", "+905321112233"),
        ("05321112233", "+905321112233"),
        ("+905321112233", "+905321112233"),
        ("not a number", "not a number"),
    ],
)
def test_other_number_forms(raw: str, e164: str) -> None:
    assert wire.number_from_wire(raw) == e164


@pytest.mark.parametrize("value", [None, "", "  ", "0000-00-00 00:00:00"])
def test_empty_times_are_none(value: str | None) -> None:
    assert wire.parse_time(value) is None


def test_time_is_istanbul_local_time() -> None:
    when = wire.parse_time("2024-01-15 12:00:00")
    assert when is not None
    assert when.isoformat() == "2024-01-15T12:00:00+03:00"


def test_time_with_an_offset_keeps_it() -> None:
    when = wire.parse_time("2024-01-15T12:00:00+00:00")
    assert when is not None
    assert when.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01 00:00:00", "12:00"])
def test_bad_times_raise_value_error(value: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        wire.parse_time(value)


def test_bad_detail_time_is_reported() -> None:
    body = wire.structure(
        {"message": {"id": 1, "status": 2, "details": [{"to": "5321112233", "status": 1,
                                                         "time": "soon"}]}},
        wire.ReportBody,
    )  # fmt: skip
    with pytest.raises(ValueError, match="soon"):
        wire.delivery_report("efecell", "1", body)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.sampled_from(["12", " 7 ", "1.5", "x"]),
)


@given(
    package=st.dictionaries(
        st.sampled_from(["id", "originator", "message", "count", "price", "total_price", "x"]),
        _SCALARS,
    ),
    status=st.dictionaries(st.sampled_from(["code", "successful", "description"]), _SCALARS),
)
def test_the_plain_readings_give_what_the_converter_gives(
    package: dict[str, Any], status: dict[str, Any]
) -> None:
    # the send's answer read without the converter: the same model, or None
    # (then the converter reads it, or words the error)
    body = {"message": package}
    plain = wire._plain_send_body(body)
    if plain is not None:
        assert plain == wire.structure(body, wire.SendBody)
    data = {"status": status, "response": body}
    envelope = wire._plain_envelope(data)
    if envelope is not None:
        assert envelope == wire.structure(data, wire.Envelope)


def test_the_usual_send_answer_takes_the_plain_way() -> None:
    answer = {"message": {"id": 13544, "originator": "ILETI", "count": 1, "total_price": 1}}
    assert wire._plain_send_body(answer) == wire.structure(answer, wire.SendBody)
    assert wire._plain_send_body({"message": {"id": "13544"}}) is None  # the converter's way


@given(
    st.text(max_size=12),
    st.lists(st.tuples(st.text(max_size=12), st.text(max_size=40)), max_size=6),
    st.sampled_from(["default", "utf-8", "turkish", 'a"b%s\\']),
)
def test_multi_json_is_the_json_body_of_the_multi_body(
    originator: str, pairs: list[tuple[str, str]], encoding: str
) -> None:
    """Property: the JSON a send_multi writes itself is the body
    ``HttpRequest.json_body`` makes of ``multi_body``, byte for byte."""
    text = wire.multi_json(originator, [n for n, _ in pairs], [t for _, t in pairs], encoding)
    wanted = HttpRequest.json_body(
        "POST", wire.MULTI_PATH, wire.multi_body(originator, pairs, encoding)
    )
    assert text.encode("utf-8") == wanted.body
    assert json.loads(text) == wire.multi_body(originator, pairs, encoding)


def test_multi_json_refuses_numbers_and_texts_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="zip"):
        wire.multi_json("ILETI", ["5321112233"], [], "default")


def test_multi_body_is_the_multi_request() -> None:
    pairs = [("535535XX01", "Test SMS 1."), ("535535XX02", "Test SMS 2.")]
    request = wire.MultiRequest(
        originator="EFECELL",
        messages=[wire.MultiItem(n, t) for n, t in pairs],
        encoding="auto",
    )
    assert wire.multi_body("EFECELL", pairs, "auto") == wire.unstructure(request)
    assert wire.multi_body("EFECELL", pairs, "auto") == json.loads(MULTI_REQUEST)
