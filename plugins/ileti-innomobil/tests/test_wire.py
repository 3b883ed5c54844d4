"""The wire format against the reference's own examples (no network).

Requests are built by the real hooks with a fake transport that captures them
and answers the documented sample responses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ileti_innomobil import plugin, wire
from ileti_innomobil.settings import InnomobilSettings

import ileti
from ileti.errors import (
    AuthenticationError,
    InsufficientCredit,
    InvalidRecipient,
    InvalidSender,
    MalformedResponse,
    Rejected,
)
from ileti.http import HttpRequest, HttpResponse
from ileti.models import DeliveryState, Message
from ileti.plugin import Category, Context

USER = "user"
PASS = "test"

# -- the documented samples (original/innomobil.txt; JSON errors in the PDF fixed) -------

SENDSMS_OK = {
    "status": "ok",
    "error": "",
    "result": {"messageid": "120", "count": "12", "kredi": "10"},
}
MULTISEND_OK = {
    "status": "ok",
    "error": "",
    "result": {"messageid": ["120"], "count": "2", "kredi": 20},
}
REPORT_OK = {
    "status": "ok",
    "error": "",
    "result": [
        {"gsm": "905565554433", "reportid": "m12k0s45", "status": "1", "adi": "ad", "soyadi": "s"},
        {"gsm": "905445556677", "reportid": "m12k0s46", "status": "3", "adi": "kale"},
    ],
}
REPORTBYID_OK = {
    "status": "ok",
    "error": "",
    "result": [
        {"gms": "905565554433", "reportid": "m12k0s45", "status": "2"},
        {"gsm": "905445556677", "reportid": "m12k0s46", "status": "3"},
    ],
}
KREDI_OK = {"status": "ok", "error": "", "result": "10"}
KREDI_POSTPAID = {"status": "ok", "error": "", "result": "-1"}
ALFANUMERIK_OK = {"status": "ok", "error": "", "result": ["ALFANUM", "TESTNUM", "DENEME"]}


class FakeTransport:
    """Captures requests and answers one canned body per call."""

    def __init__(self, *answers: object, status: int = 200) -> None:
        self.answers = list(answers)
        self.status = status
        self.requests: list[HttpRequest] = []
        self.kinds: list[str] = []

    def _answer(self, request: HttpRequest, kind: str) -> HttpResponse:
        self.requests.append(request)
        self.kinds.append(kind)
        answer = self.answers.pop(0)
        body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        return HttpResponse(self.status, {"content-type": "application/json"}, body, "innomobil")

    def send(self, request: HttpRequest, *, client_ref: str | None = None) -> HttpResponse:
        return self._answer(request, "send")

    def read(self, request: HttpRequest, *, replayable: bool = True) -> HttpResponse:
        assert replayable, "every Innomobil read may be repeated"
        return self._answer(request, "read")

    def payload(self, index: int = -1) -> Any:
        body = self.requests[index].body
        assert body is not None
        return json.loads(body)


def make_ctx(transport: FakeTransport, **settings: Any) -> Context:
    values: dict[str, Any] = {"username": USER, "password": PASS, "base_url": "http://127.0.0.1:9"}
    values.update(settings)
    return Context(
        provider="innomobil",
        settings=InnomobilSettings(**values),
        info=plugin.provider_info(),
        send_request=transport.send,
        read_request=transport.read,
    )


@pytest.fixture
def offline() -> ileti.Client:
    """A client used only to validate and measure messages (it never connects)."""
    return ileti.Client("innomobil", base_url="http://127.0.0.1:9", username=USER, password=PASS)


# -- requests shaped like the document ----------------------------------------------


def test_sendsms_request_matches_the_documented_shape(offline: ileti.Client) -> None:
    transport = FakeTransport(SENDSMS_OK)
    ctx = make_ctx(transport)
    istanbul_1230 = datetime(2099, 2, 14, 9, 30, tzinfo=UTC)  # 12:30 in Turkey
    outgoing = offline.prepare(
        Message(
            recipients=("905445554433", "905445554434"),
            text="Mesaj metni ğ",
            sender="ALFANUM",
            schedule=istanbul_1230,
            encoding="ucs2",
        )
    )
    plugin.send(ctx, outgoing)
    request = transport.requests[0]
    assert (request.method, request.path) == ("POST", "/api/v1/sendsms")
    assert request.headers["Content-Type"].startswith("application/json")
    assert transport.kinds == ["send"]
    assert transport.payload() == {
        "username": "user",
        "password": "test",
        "sdate": "20990214123000",
        "vperiod": "48",
        "gate": 0,
        "message": {
            "sender": "ALFANUM",
            "text": "Mesaj metni ğ",
            "utf8": "1",
            "gsm": ["905445554433", "905445554434"],
        },
    }


def test_sendsms_now_with_gsm_folds_and_sends_utf8_0(offline: ileti.Client) -> None:
    transport = FakeTransport(SENDSMS_OK)
    ctx = make_ctx(transport, gate=1)
    outgoing = offline.prepare(
        Message(
            recipients=("0532 111 22 33",),
            text="Şişli'de güzel bir gün",
            sender="ALFANUM",
            validity=timedelta(hours=6),
            encoding="gsm7",
        )
    )
    plugin.send(ctx, outgoing)
    sent = transport.payload()
    assert sent["sdate"] == ""
    assert sent["vperiod"] == "6"
    assert sent["gate"] == 1
    assert sent["message"]["utf8"] == "0"
    assert sent["message"]["text"] == "Sisli'de guzel bir gun"
    assert sent["message"]["gsm"] == ["905321112233"]


def test_multisend_request_matches_the_documented_shape(offline: ileti.Client) -> None:
    transport = FakeTransport(MULTISEND_OK)
    ctx = make_ctx(transport)
    batch = offline.prepare_batch(
        ileti.Batch(
            items=[
                ileti.BatchItem("905445554433", "Text A"),
                ileti.BatchItem("905445554435", "Text B"),
            ],
            sender="ALFANUM",
        )
    )
    result = plugin.send_multi(ctx, batch)
    assert transport.requests[0].path == "/api/v1/multisend"
    assert transport.payload() == {
        "username": "user",
        "password": "test",
        "sdate": "",
        "vperiod": "48",
        "gate": 0,
        "message": [
            {"sender": "ALFANUM", "text": "Text A", "utf8": "0", "gsm": ["905445554433"]},
            {"sender": "ALFANUM", "text": "Text B", "utf8": "0", "gsm": ["905445554435"]},
        ],
    }
    # messageid is an array on multisend; kredi a number
    assert result.message_id == "120"
    assert result.parts == 1
    assert result.credits == Decimal(2)
    assert [r.number for r in result.recipients] == ["+905445554433", "+905445554435"]


def test_report_request_and_documented_answer() -> None:
    transport = FakeTransport(REPORT_OK)
    report = plugin.query_report(make_ctx(transport), "120")
    assert transport.requests[0].path == "/api/v1/report"
    assert transport.kinds == ["read"]
    assert transport.payload() == {
        "username": "user",
        "password": "test",
        "messageid": "120",
        "detailed": "0",
    }
    assert report.message_id == "120"
    assert [(r.number, r.state, r.raw_state, r.message_id) for r in report.recipients] == [
        ("+905565554433", DeliveryState.QUEUED, "1", "m12k0s45"),
        ("+905445556677", DeliveryState.DELIVERED, "3", "m12k0s46"),
    ]
    assert report.package_state is None


def test_reportbyid_reads_the_gms_typo() -> None:
    transport = FakeTransport(REPORTBYID_OK)
    report = plugin.query_report(make_ctx(transport), "m12k0s45,m12k0s46")
    assert transport.requests[0].path == "/api/v1/reportbyid"
    assert transport.payload() == {
        "username": "user",
        "password": "test",
        "reportid": ["m12k0s45", "m12k0s46"],
    }
    assert [(r.number, r.state) for r in report.recipients] == [
        ("+905565554433", DeliveryState.UNDELIVERED),
        ("+905445556677", DeliveryState.DELIVERED),
    ]


def test_balance_request_and_answers() -> None:
    transport = FakeTransport(KREDI_OK, KREDI_POSTPAID)
    ctx = make_ctx(transport, gate=1)
    prepaid = plugin.balance(ctx)
    assert transport.payload(0) == {"username": "user", "password": "test", "gate": 1}
    assert transport.requests[0].path == "/api/v1/kredi"
    assert (prepaid.amount, prepaid.postpaid) == (Decimal(10), False)
    postpaid = plugin.balance(ctx)
    assert (postpaid.amount, postpaid.postpaid) == (None, True)


def test_senders_request_and_answer() -> None:
    transport = FakeTransport(ALFANUMERIK_OK)
    names = plugin.senders(make_ctx(transport))
    assert transport.requests[0].path == "/api/v1/alfanumerik"
    assert transport.payload() == {"username": "user", "password": "test"}
    assert [s.name for s in names] == ["ALFANUM", "TESTNUM", "DENEME"]
    assert {s.state for s in names} == {ileti.SenderState.APPROVED}


def test_sendsms_documented_answer_maps_to_the_domain(offline: ileti.Client) -> None:
    transport = FakeTransport(SENDSMS_OK)
    outgoing = offline.prepare(
        Message(
            recipients=[f"90532111223{i}" for i in range(6)],
            text="x" * 200,
            sender="ALFANUM",
        )
    )
    result = plugin.send(make_ctx(transport), outgoing)
    assert result.message_id == "120"
    assert result.parts == 2  # count 12 over 6 recipients
    assert result.credits == Decimal(12)
    assert result.client_ref == outgoing.client_ref
    assert all(r.accepted for r in result.recipients)


def test_provider_count_wins_over_the_prediction(offline: ileti.Client) -> None:
    answer = {"status": "ok", "error": "", "result": {"messageid": 7, "count": 3, "kredi": 5}}
    outgoing = offline.prepare(Message(recipients=("905321112233",), text="hi", sender="ABC"))
    result = plugin.send(make_ctx(FakeTransport(answer)), outgoing)
    assert (result.message_id, result.parts, result.credits) == ("7", 3, Decimal(3))


# -- errors in the envelope ---------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"status": "error", "error": "Şifre hatalı", "result": 0}, AuthenticationError),
        ({"status": "ok", "error": "Yetersiz kredi", "result": []}, InsufficientCredit),
        ({"status": "error", "error": "Alfanumerik hatalı", "result": []}, InvalidSender),
        ({"status": "error", "error": "Hatalı numara", "result": []}, InvalidRecipient),
        ({"status": "error", "error": "bilinmeyen bir sorun", "result": []}, Rejected),
        ({"status": "error", "error": "", "result": []}, Rejected),
        ({"status": "error", "result": []}, Rejected),
    ],
)  # fmt: skip
def test_refusals_are_typed(answer: dict[str, Any], expected: type[Exception]) -> None:
    transport = FakeTransport(answer)
    with pytest.raises(expected) as caught:
        plugin.balance(make_ctx(transport))
    error = caught.value
    assert isinstance(error, ileti.IletiError)
    assert error.provider == "innomobil"
    assert error.http_status == 200
    assert error.code == (answer.get("error") or None)


def test_refusal_is_read_whatever_the_http_status() -> None:
    transport = FakeTransport(
        {"status": "error", "error": "Yetersiz kredi", "result": 0}, status=400
    )
    with pytest.raises(InsufficientCredit) as caught:
        plugin.balance(make_ctx(transport))
    assert caught.value.http_status == 400


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b"not json",
        b"[]",
        b'{"error": "", "result": "10"}',
        b'{"status": "maybe", "error": "", "result": "10"}',
        b'{"status": 1, "error": "", "result": "10"}',
        b'{"status": "ok", "error": "", "result": {"x": 1}}',
        b'{"status": "ok", "error": "", "result": "ten"}',
        b'{"status": "ok", "error": "", "result": true}',
        b'{"status": "ok", "error": "", "result": null}',
        b'{"status": "ok", "error": "", "result": "NaN"}',
        b"\xff\xfe",
    ],
)
def test_unreadable_balance_answers_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        plugin.balance(make_ctx(FakeTransport(body)))


@pytest.mark.parametrize(
    "result",
    [
        [{"reportid": "a1", "status": "1"}],
        [{"gsm": "905321112233", "status": "1"}],
        [{"gsm": "", "reportid": "a1", "status": "1"}],
        [{"gsm": None, "reportid": "a1", "status": "1"}],
        [{"gsm": "905321112233", "reportid": "a1", "status": ["1"]}],
        {"gsm": "905321112233"},
        "1",
    ],
)
def test_unreadable_report_items_are_malformed(result: object) -> None:
    answer = {"status": "ok", "error": "", "result": result}
    with pytest.raises(MalformedResponse):
        plugin.query_report(make_ctx(FakeTransport(answer)), "120")


def test_empty_report_without_reason_is_a_refusal() -> None:
    answer = {"status": "ok", "error": "", "result": []}
    with pytest.raises(Rejected, match="no report"):
        plugin.query_report(make_ctx(FakeTransport(answer)), "120")


@pytest.mark.parametrize(
    "result",
    [
        [],
        {"messageid": "", "count": "1", "kredi": "1"},
        {"messageid": "1", "count": "one", "kredi": "1"},
        {"count": "1", "kredi": "1"},
        {"messageid": ["1"], "count": "1"},
    ],
)
def test_unreadable_send_answers_are_malformed(offline: ileti.Client, result: object) -> None:
    outgoing = offline.prepare(Message(recipients=("905321112233",), text="hi", sender="ABC"))
    answer = {"status": "ok", "error": "", "result": result}
    with pytest.raises(MalformedResponse):
        plugin.send(make_ctx(FakeTransport(answer)), outgoing)


def test_senders_empty_list_is_no_senders() -> None:
    answer = {"status": "ok", "error": "", "result": []}
    assert plugin.senders(make_ctx(FakeTransport(answer))) == []


def test_zero_credit_without_reason_is_a_zero_balance() -> None:
    answer = {"status": "ok", "error": "", "result": "0"}
    assert plugin.balance(make_ctx(FakeTransport(answer))).amount == Decimal(0)


# -- tables and conversions -------------------------------------------------------------


def test_state_table() -> None:
    assert wire.STATES == {
        "1": DeliveryState.QUEUED,
        "2": DeliveryState.UNDELIVERED,
        "3": DeliveryState.DELIVERED,
    }
    assert wire.state_for(" 3 ") is DeliveryState.DELIVERED
    assert wire.state_for("0") is DeliveryState.UNKNOWN
    assert wire.state_for("") is DeliveryState.UNKNOWN


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Kullanıcı adı veya şifre hatalı", Category.AUTH),
        ("Yetersiz kredi", Category.INSUFFICIENT_CREDIT),
        ("Hesabınız aktif değil", Category.ACCOUNT_INACTIVE),
        ("Alfanumerik onay bekliyor", Category.INVALID_SENDER),
        ("Geçersiz numara", Category.INVALID_RECIPIENT),
        ("Mesaj çok uzun", Category.MESSAGE_TOO_LONG),
        ("Tarih formatı yanlış", Category.INVALID_REQUEST),
        ("", Category.INVALID_REQUEST),
    ],
)
def test_classify_error(text: str, category: Category) -> None:
    assert wire.classify_error(text) is category


def test_send_date_is_turkish_local_time() -> None:
    assert wire.format_send_date(None) == ""
    # Turkey has been UTC+3 all year since 2016 ...
    assert wire.format_send_date(datetime(2024, 2, 14, 9, 30, tzinfo=UTC)) == "20240214123000"
    assert wire.parse_send_date("20240214123000") == datetime(2024, 2, 14, 9, 30, tzinfo=UTC)
    # ... and was UTC+2 in the winter of the document's example (2014): the tz database knows
    assert wire.format_send_date(datetime(2014, 2, 14, 10, 30, tzinfo=UTC)) == "20140214123000"


@given(st.datetimes(min_value=datetime(2017, 1, 1), max_value=datetime(2099, 12, 31)))
def test_send_date_round_trips(naive: datetime) -> None:
    when = naive.replace(tzinfo=UTC, microsecond=0)
    text = wire.format_send_date(when)
    assert len(text) == 14
    assert text.isdigit()
    assert wire.parse_send_date(text) == when


@pytest.mark.parametrize(
    "bad", ["", "2014021412300", "201402141230000", "2014-02-14 12:30", "20141314123000"]
)
def test_parse_send_date_refuses_bad_text(bad: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        wire.parse_send_date(bad)


@pytest.mark.parametrize(
    ("validity", "hours"),
    [
        (None, "48"),
        (timedelta(hours=1), "1"),
        (timedelta(minutes=61), "2"),
        (timedelta(hours=47, minutes=1), "48"),
        (timedelta(hours=48), "48"),
    ],
)
def test_validity_hours(validity: timedelta | None, hours: str) -> None:
    assert wire.validity_hours(validity) == hours


@given(st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(hours=48)))
def test_validity_is_never_shorter_than_asked(validity: timedelta) -> None:
    hours = int(wire.validity_hours(validity))
    assert 1 <= hours <= 48
    assert timedelta(hours=hours) >= validity
    assert timedelta(hours=hours) - validity < timedelta(hours=1)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("905321112233", "+905321112233"),
        ("5321112233", "+905321112233"),
        ("05321112233", "+905321112233"),
        ("+90 532 111 22 33", "+905321112233"),
    ],
)
def test_numbers_from_the_wire(raw: str, e164: str) -> None:
    assert wire.e164_from_wire(raw) == e164


def test_report_id_shapes() -> None:
    assert not wire.is_report_id("120")
    assert wire.is_report_id("m12k0s45")


def test_converter_renames_and_keeps_the_domain_free_of_wire_names() -> None:
    request = wire.ReportByIdRequest(username="u", password="pw-secret", report_ids=["a"])
    assert wire.unstructure(request) == {
        "username": "u",
        "password": "pw-secret",
        "reportid": ["a"],
    }
    assert "pw-secret" not in repr(request)


@given(
    st.one_of(
        st.integers(min_value=0, max_value=10**9),
        st.integers(min_value=0, max_value=10**9).map(str),
    )
)
def test_loose_counts_and_credits(value: int | str) -> None:
    answer = {"messageid": value, "count": value, "kredi": value}
    response = HttpResponse(200, {}, b"", "innomobil")
    parsed = wire.structure(response, answer, wire.SendSmsResult, "a result")
    assert parsed.message_id == str(value)
    assert parsed.count == int(value)
    assert parsed.credit == Decimal(str(value))


# values near the usual answer's: digits as text or JSON integers; and anything
# else a JSON answer may hold, text of digits with blanks, signs, points and
# other scripts' digits among it
_DIGITS = st.one_of(st.from_regex(r"\A[0-9]{1,6}\Z"), st.integers(0, 10**9))
_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.sampled_from("0179 \t\n-+._eNa١²"), min_size=1, max_size=6),
    st.text(max_size=6),
)


@st.composite
def _near_usual(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """The usual answer's fields with one of them (or none) replaced by
    anything or left out."""
    data = {key: draw(values) for key, values in fields.items()}
    key = draw(st.sampled_from([None, *fields]))
    if key is not None:
        if draw(st.booleans()):
            data[key] = draw(_ANY)
        else:
            del data[key]
    if draw(st.booleans()):
        data["x"] = draw(_ANY)  # a field ileti does not read
    return data


@settings(max_examples=300)
@example(result={"messageid": "1", "count": "²", "kredi": "1"}, envelope={"status": "ok"})
@example(result={"messageid": "1", "count": "1", "kredi": "9" * 5000}, envelope={"status": "ok"})
@given(
    result=_near_usual({"messageid": st.text(max_size=6), "count": _DIGITS, "kredi": _DIGITS}),
    envelope=_near_usual({"status": st.sampled_from(["ok", "error", " OK "]), "error": _ANY}),
)
def test_the_plain_readings_give_what_the_converter_gives(
    result: dict[str, Any], envelope: dict[str, Any]
) -> None:
    # the send's answer read without the converter: the same model, or None
    # (then the converter reads it, or words the error)
    response = HttpResponse(200, {}, b"", "innomobil")
    plain = wire._plain_send_result(result)
    if plain is not None:
        assert plain == wire.structure(response, result, wire.SendSmsResult, "a result")
    envelope["result"] = result
    if "status" in envelope:  # else read_envelope refuses it before either reading
        plain_envelope = wire._plain_envelope(envelope)
        if plain_envelope is not None:
            assert plain_envelope == wire.structure(response, envelope, wire.Envelope, "envelope")


def test_the_usual_send_answer_takes_the_plain_way() -> None:
    result = {"messageid": "120", "count": "12", "kredi": 7}
    answer = {"status": "ok", "error": "", "result": result}
    envelope = wire._plain_envelope(answer)
    assert envelope == wire.Envelope("ok", "", result)
    plain = wire._plain_send_result(result)
    assert plain == wire.SendSmsResult("120", 12, Decimal(7))
    # what the gateway may also write goes the converter's way, and reads the same
    written_otherwise = {"messageid": 120, "count": " 12 ", "kredi": "7"}
    assert wire._plain_send_result(written_otherwise) is None
    assert wire._plain_envelope({"status": 1}) is None
    response = HttpResponse(200, {}, b"", "innomobil")
    assert wire.read_send_result(response, written_otherwise) == plain


_TEXTS = st.text(max_size=8)


@given(
    texts=st.lists(_TEXTS, min_size=6, max_size=6),
    gate=st.integers(0, 1),
    numbers=st.lists(st.from_regex(r"\A90[0-9]{10}\Z"), max_size=3),
)
def test_the_sendsms_body_is_the_request_model_unstructured(
    texts: list[str], gate: int, numbers: list[str]
) -> None:
    username, password, send_date, validity, sender, text = texts
    common: dict[str, Any] = {
        "username": username,
        "password": password,
        "send_date": send_date,
        "validity_hours": validity,
        "gate": gate,
    }
    message: dict[str, Any] = {"sender": sender, "text": text, "utf8": "1", "numbers": numbers}
    request = wire.SendSmsRequest(**common, message=wire.WireMessage(**message))
    body = wire.sendsms_body(**common, **message)
    expected = wire.unstructure(request)
    # the same object, keys in the same order: the same bytes on the wire
    assert json.dumps(body) == json.dumps(expected)
    assert body == expected
