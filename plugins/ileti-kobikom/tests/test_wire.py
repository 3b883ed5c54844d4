"""The wire format against the document's own examples, and the tables."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
import xmltodict
from hypothesis import given
from hypothesis import strategies as st
from ileti_kobikom import wire
from ileti_kobikom.emulator import KobikomEmulator

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
from ileti.models import BalanceUnit, DeliveryState, SenderState

ISTANBUL = ZoneInfo("Europe/Istanbul")


def answer(body: str | bytes, status: int = 200) -> HttpResponse:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    # the documented (wrong) label: the body is XML
    return HttpResponse(
        status, {"content-type": "text/csv;charset= UTF-8"}, raw, provider="kobikom"
    )


# -- the document's samples (original/kobikom.txt), verbatim where they parse ------------

SINGLE_RESULT = """<?xml version="1.0" encoding="UTF-8"?>
<results>
<result>
<status>0</status>
<messageid>Kobikom_MessageId
değeri</messageid>
<destination>905329975725</destination>
</result>
</results>"""

# sic: the second <result> has no opening tag and its status reads "<0"
TWO_RESULTS_MALFORMED = """<?xml version="1.0" encoding="UTF-8"?>
<results>
<result>
<status>0</status>
<messageid>sizinmsgID1</messageid>
<destination>905329975725</destination>
</result>
<status><0</status>
<messageid>sizinmsgID2</messageid>
<destination>905329975726</destination>
</result>
</results>"""

# sic: no closing </DeliveryReport>
REPORT_OWN_IDS = """<DeliveryReport>
<message id="1000" sentdate="2010/8/2 14:55:10"
donedate="2010/8/2 14:55:16" status="DELIVERED" gsmerror="0"
/>
<message id="1002" sentdate="2010/8/2 14:55:10"
donedate="2010/8/2 14:55:16" status="DELIVERED" gsmerror="0"
/>"""

REPORT_KOBIKOM_IDS = """<DeliveryReport>
<message id="1023012301" sentdate="2005/7/19 22:0:0"
donedate="2005/7/19 22:0:0" status="NOT_SENT" gsmerror="0" />
</DeliveryReport>"""

SENDERS = """<?xml version="1.0" encoding="UTF-8"?>
<basliklar>
    <normal>
        <baslik>TEST</baslik>
        <baslik>DEMO</baslik>
    </normal>
    <sayisal></sayisal>
</basliklar>"""

BALANCE = """<?xml version="1.0" encoding="UTF-8"?>
<bakiye>
    <miktar>18.532</miktar>
    <kur>TRY</kur>
</bakiye>"""

FAST_SEND = """<SMS>
<dogrulama>
<kullanici>test</kullanici>
<parola>test</parola>
</dogrulama>
<mesajiniz>
<baslik>Kobikom</baslik>
<metin>Merhaba</metin>
<alicilar>
<gsm>905352220087</gsm>
<gsm>905352220054</gsm>
<gsm>905322542525</gsm>
</alicilar>
</mesajiniz>
</SMS>"""

FULL_SEND = """<SMS>
<dogrulama>
<kullanici>kullanici_adiniz</kullanici>
<parola>kullanici_parola</parola>
</dogrulama>
<mesajiniz>
<baslik>Kobikom</baslik>
<metin>Merhaba</metin>
<flash>1</flash>
<type></type>
<wapurl></wapurl>
<binary></binary>
<datacoding></datacoding>
<esmclass></esmclass>
<srcton></srcton>
<srcnpi></srcnpi>
<destton></destton>
<destnpi></destnpi>
<ileriTarih>4d3h2m1s</ileriTarih>
<ValidityPeriod></ValidityPeriod>
<appid></appid>
<pushurl></pushurl>
<nopush></nopush>
<alicilar>
<gsm
messageId="clientmsgID1">905329975725</gsm>
<gsm
messageId="clientmsgID2">905329975726</gsm>
</alicilar>
</mesajiniz>
</SMS>"""


def test_single_result_sample() -> None:
    parsed = wire.parse_submit(answer(SINGLE_RESULT))
    assert not parsed.lenient
    (result,) = parsed.results
    assert result.code == "0"
    assert result.message_id == "Kobikom_MessageId\ndeğeri"
    assert result.destination == "905329975725"
    assert not result.request_level


def test_malformed_two_result_sample_is_read_leniently() -> None:
    parsed = wire.parse_submit(answer(TWO_RESULTS_MALFORMED))
    assert parsed.lenient
    assert [(r.code, r.message_id, r.destination) for r in parsed.results] == [
        ("0", "sizinmsgID1", "905329975725"),
        ("<0", "sizinmsgID2", "905329975726"),
    ]
    # the sample's "<0" is no documented code: not read as 0 (accepted)
    first, second = parsed.results
    assert wire.is_documented(first.code)
    assert not wire.is_documented(second.code)
    assert wire.submit_state(second.code) is DeliveryState.UNKNOWN
    assert "may or may not have been sent" in wire.describe_code(second.code)


@pytest.mark.parametrize("raw", ["<0", "-77", "abc", "", "0.5", "--2"])
def test_a_status_that_is_no_documented_code_is_unreadable_for_that_recipient(raw: str) -> None:
    body = (
        "<results><result><status>0</status><messageid>a</messageid></result>"
        f"<result><status>{raw.replace('<', '&lt;')}</status><messageid>b</messageid></result>"
        "</results>"
    )
    first, second = wire.parse_submit(answer(body)).results
    assert first.code == "0"
    assert second.code == raw
    assert not wire.is_documented(raw)
    assert not wire.is_refusal(raw)
    assert wire.submit_state(raw) is DeliveryState.UNKNOWN


def test_the_senddate_of_the_field_table_is_read_like_the_samples_sentdate() -> None:
    body = (
        '<DeliveryReport><message id="a" senddate="2024/5/1 10:0:5" status="DELIVERED" />'
        '<message id="b" sentdate="2024/5/1 10:0:6" status="DELIVERED" /></DeliveryReport>'
    )
    reports = wire.parse_pull(answer(body)).reports
    assert [r.sent_date for r in reports] == ["2024/5/1 10:0:5", "2024/5/1 10:0:6"]
    lenient = wire.parse_pull(answer(body.replace("</DeliveryReport>", ""))).reports
    assert [r.sent_date for r in lenient] == ["2024/5/1 10:0:5", "2024/5/1 10:0:6"]


@pytest.mark.parametrize(
    "body",
    [
        # cut in the middle of the second result: not the sample's typo, a lost answer
        TWO_RESULTS_MALFORMED.replace("<destination>905329975726</destination>\n</result>", ""),
        TWO_RESULTS_MALFORMED[:-12],
        "<results><result><status>0</status>",
        "<html><body>502 Bad Gateway</body></html>",
        "",
        "NO_DATA",
    ],
)
def test_unreadable_send_answers_are_malformed(body: str) -> None:
    with pytest.raises(MalformedResponse):
        wire.parse_submit(answer(body))


def test_request_level_refusal() -> None:
    parsed = wire.parse_submit(answer("<results><result><status>-5</status></result></results>"))
    (result,) = parsed.results
    assert result.request_level
    assert result.code == "-5"
    # a bare code body is read the same way
    (bare,) = wire.parse_submit(answer("-22\n")).results
    assert bare.request_level
    assert bare.code == "-22"


def test_report_sample_without_closing_tag() -> None:
    pulled = wire.parse_pull(answer(REPORT_OWN_IDS))
    assert pulled.unreadable == 0
    assert [(m.id, m.status, m.gsm_error) for m in pulled.reports] == [
        ("1000", "DELIVERED", "0"),
        ("1002", "DELIVERED", "0"),
    ]
    done = wire.parse_report_time(pulled.reports[0].done_date)
    assert done == datetime(2010, 8, 2, 14, 55, 16, tzinfo=ISTANBUL)
    assert done is not None
    assert done.utcoffset() == timedelta(hours=3)


def test_report_sample_with_kobikom_ids_and_unpadded_dates() -> None:
    pulled = wire.parse_pull(answer(REPORT_KOBIKOM_IDS))
    (message,) = pulled.reports
    assert (message.id, message.status) == ("1023012301", "NOT_SENT")
    assert wire.dlr_state(message.status) is DeliveryState.QUEUED
    assert wire.parse_report_time(message.sent_date) == datetime(
        2005, 7, 19, 22, 0, 0, tzinfo=ISTANBUL
    )


def test_reference_report_sample() -> None:
    body = (
        '<DeliveryReport>\n  <message id="ord-1001" sentdate="2024/5/1 10:0:5" '
        'donedate="2024/5/1 10:0:9" status="DELIVERED" gsmerror="0" />\n'
        '  <message id="ord-1002" sentdate="2024/5/1 10:0:5" donedate="2024/5/1 10:1:2" '
        'status="NOT_DELIVERED" gsmerror="1" />\n</DeliveryReport>'
    )
    pulled = wire.parse_pull(answer(body))
    states = [wire.dlr_state(m.status) for m in pulled.reports]
    assert states == [DeliveryState.DELIVERED, DeliveryState.UNDELIVERED]
    assert pulled.reports[1].gsm_error == "1"


def test_cut_report_keeps_the_complete_messages() -> None:
    cut = REPORT_KOBIKOM_IDS.replace("</DeliveryReport>", '<message id="77" sentdate="20')
    pulled = wire.parse_pull(answer(cut))
    assert [m.id for m in pulled.reports] == ["1023012301"]
    assert pulled.unreadable == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [("NO_DATA", None), ("NO_DATA\r\n", None), ("5", "-5"), ("-5", "-5"), ("10", "-10")],
)
def test_pull_plain_text_answers(body: str, expected: str | None) -> None:
    pulled = wire.parse_pull(answer(body))
    assert pulled.reports == ()
    assert pulled.error_code == expected


def test_pull_error_codes_map_to_authentication() -> None:
    for code in ("5", "10", "11", "-5", "-10", "-11"):
        assert isinstance(wire.error_for_code(code), AuthenticationError)


def test_senders_sample() -> None:
    names = wire.parse_senders(answer(SENDERS))
    assert [(s.name, s.state) for s in names] == [
        ("TEST", SenderState.APPROVED),
        ("DEMO", SenderState.APPROVED),
    ]


def test_balance_sample() -> None:
    balance = wire.parse_balance(answer(BALANCE), "kobikom")
    assert balance.amount == Decimal("18.532")
    assert balance.unit is BalanceUnit.CURRENCY
    assert balance.currency == "TRY"


def test_status_inside_senders_is_an_error() -> None:
    with pytest.raises(AuthenticationError) as caught:
        wire.parse_senders(answer("<basliklar><status>-5</status></basliklar>"))
    assert caught.value.code == "-5"


def test_status_inside_balance_is_an_error() -> None:
    with pytest.raises(InsufficientCredit) as caught:
        wire.parse_balance(answer("<bakiye><status>-2</status></bakiye>"), "kobikom")
    assert caught.value.code == "-2"


def test_balance_not_a_number() -> None:
    with pytest.raises(MalformedResponse):
        wire.parse_balance(answer("<bakiye><miktar>çok</miktar></bakiye>"), "kobikom")
    with pytest.raises(MalformedResponse):
        wire.parse_balance(answer("<bakiye><miktar>NaN</miktar></bakiye>"), "kobikom")


# -- building requests against the documented shapes ----------------------------------------


def _credentials(*pair: str) -> wire.Credentials:
    user, secret = pair or ("test", "test")
    return wire.Credentials(username=user, password=secret)


def _recipients(*numbers: str, ids: tuple[str, ...] = ()) -> wire.Recipients:
    padded = ids or (None,) * len(numbers)
    return wire.Recipients([wire.Recipient(n, i) for n, i in zip(numbers, padded, strict=True)])


def _tree(xml: str) -> Any:
    return xmltodict.parse(xml, force_list=("gsm",))


def test_fast_send_shape() -> None:
    request = wire.SmsRequest(
        _credentials(),
        wire.MessageBlock(
            sender="Kobikom",
            text="Merhaba",
            recipients=_recipients("905352220087", "905352220054", "905322542525"),
        ),
    )
    assert _tree(wire.sms_document(request)) == _tree(FAST_SEND)


def test_full_send_shape_and_element_order() -> None:
    request = wire.SmsRequest(
        _credentials("kullanici_adiniz", "kullanici_parola"),
        wire.MessageBlock(
            sender="Kobikom",
            text="Merhaba",
            flash="1",
            schedule="4d3h2m1s",
            recipients=_recipients(
                "905329975725", "905329975726", ids=("clientmsgID1", "clientmsgID2")
            ),
        ),
    )
    built = _tree(wire.sms_document(request))["SMS"]
    documented = _tree(FULL_SEND)["SMS"]
    # the document's empty elements are "leave empty": the request leaves them out
    kept = {k: v for k, v in documented["mesajiniz"].items() if v is not None}
    assert built["dogrulama"] == documented["dogrulama"]
    assert built["mesajiniz"] == kept
    assert list(built["mesajiniz"]) == list(kept)  # same order as the document


def test_options_go_in_documented_order() -> None:
    block = wire.MessageBlock(
        sender="ILETI",
        text="x",
        flash="0",
        long_sms="longSMS",
        data_coding="8",
        schedule="1h",
        validity="24:00",
        recipients=_recipients("905301112233"),
    )
    built = _tree(wire.sms_document(wire.SmsRequest(_credentials(), block)))["SMS"]["mesajiniz"]
    assert list(built) == [
        "baslik",
        "metin",
        "flash",
        "type",
        "datacoding",
        "ileriTarih",
        "ValidityPeriod",
        "alicilar",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a & b < c > d ]]> \"q\" 's'",
        "satır bir\nsatır iki\r\nüç\r",
        "  spaced  ",
        "ığüşöçİĞÜŞÖÇ 😀",
    ],
)
def test_text_survives_the_xml_exactly(text: str) -> None:
    block = wire.MessageBlock(text=text, recipients=_recipients("905301112233"))
    xml = wire.sms_document(wire.SmsRequest(_credentials(), block))
    assert "\r" not in xml  # a bare CR would arrive as LF
    parsed = xmltodict.parse(xml, strip_whitespace=False)
    assert parsed["SMS"]["mesajiniz"]["metin"] == text


def _unparsed(root: str, request: Any) -> str:
    """The oracle: the request as cattrs and ``xmltodict.unparse`` wrote it before
    the plugin had its own writer (wire names, fields equal to their default
    left out, documented order)."""
    import attrs

    def plain(value: Any) -> Any:
        if isinstance(value, list):
            return [plain(v) for v in value]
        if not attrs.has(type(value)):
            return value
        names = wire._REQUEST_NAMES[type(value)]
        out = {}
        for f in attrs.fields(type(value)):
            item = getattr(value, f.name)
            default = f.default.factory() if isinstance(f.default, attrs.Factory) else f.default  # type: ignore[arg-type]
            if item != default:
                out[names.get(f.name, f.name)] = plain(item)
        return out

    text: str = xmltodict.unparse({root: plain(request)}, full_document=True)
    return text.replace("\r", "&#13;")


# XML's special characters often, any other character sometimes
_xml_text = st.text(
    st.sampled_from("&<>\"'\r\n\t ]a;#") | st.characters(codec="utf-8"),
    max_size=12,
)
_maybe = st.none() | _xml_text


@given(
    user=_xml_text,
    secret=_xml_text,
    sender=_maybe,
    text=_xml_text,
    flash=_maybe,
    long_sms=_maybe,
    coding=_maybe,
    schedule=_maybe,
    validity=_maybe,
    push=_maybe,
    recipients=st.lists(st.tuples(_xml_text, _maybe), max_size=4),
)
def test_requests_are_written_as_xmltodict_writes_them(
    user: str,
    secret: str,
    sender: str | None,
    text: str,
    flash: str | None,
    long_sms: str | None,
    coding: str | None,
    schedule: str | None,
    validity: str | None,
    push: str | None,
    recipients: list[tuple[str, str | None]],
) -> None:
    credentials = wire.Credentials(user, secret)
    block = wire.MessageBlock(
        sender=sender,
        text=text,
        flash=flash,
        long_sms=long_sms,
        data_coding=coding,
        schedule=schedule,
        validity=validity,
        push_url=push,
        recipients=wire.Recipients([wire.Recipient(n, i) for n, i in recipients]),
    )
    request = wire.SmsRequest(credentials, block)
    assert wire.sms_document(request) == _unparsed("SMS", request)
    for style in ("form", "literal", "raw"):  # the directly written form body included
        assert wire.send_post(request, style) == wire.post(wire.sms_document(request), style)
    assert wire.senders_request(credentials) == _unparsed(
        "basliklar", wire.SendersRequest(credentials)
    )
    assert wire.balance_request(credentials) == _unparsed(
        "bakiye", wire.BalanceRequest(credentials)
    )


@pytest.mark.parametrize(
    "odd",
    [
        {"text": "lone \ud800 surrogate"},
        {"user": "\udfff"},
        {"number": "90532\ud83d"},
        {"message_id": "id-\udc80"},
        {"text": None},
        {"user": None},
        {"sender": 5},
        {"number": 905321112233},
        {"message_id": 7},
        {"recipient": "905321112233"},
        {"gsm": ("905321112233",)},
    ],
)
def test_unusual_send_requests_fail_as_the_strict_writer_fails(odd: dict[str, Any]) -> None:
    """What the direct form writer does not take goes through ``sms_document``
    and ``post``: the same request, or the same error."""
    recipient: Any = odd.get(
        "recipient", wire.Recipient(odd.get("number", "905321112233"), odd.get("message_id"))
    )
    block = wire.MessageBlock(
        sender=odd.get("sender", "ILETI"),
        text=odd.get("text", "Merhaba"),
        recipients=wire.Recipients(odd.get("gsm", [recipient])),
    )
    request = wire.SmsRequest(wire.Credentials(odd.get("user", "u"), "p"), block)

    def outcome(build: Any) -> Any:
        try:
            return build()
        except Exception as exc:  # the error itself is compared
            return (type(exc), str(exc))

    strict = outcome(lambda: wire.post(wire.sms_document(request), "form"))
    assert outcome(lambda: wire.send_post(request, "form")) == strict


def test_credentials_repr_hides_the_password() -> None:
    assert "canary-XYZ-123" not in repr(_credentials("u", "canary-XYZ-123"))


@pytest.mark.parametrize("style", ["form", "raw"])
def test_post_body_styles(style: str) -> None:
    xml = wire.balance_request(_credentials())
    request = wire.post(xml, style)
    assert request.method == "POST"
    assert request.path == "/api/sendsms/xml/"
    assert request.body is not None
    if style == "form":
        assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
        assert request.body.startswith(b"XML=")
        assert parse_qs(request.body.decode())["XML"] == [xml]
    else:
        assert request.headers["Content-Type"].startswith("application/xml")
        assert request.body.decode() == xml


def test_pull_request_shape() -> None:
    request = wire.pull_request(_credentials("USER", "PASS"), ["ord-1001", "ord-1002"])
    assert (request.method, request.path) == ("GET", "/api/sendsms/xml/pull")
    assert dict(request.query) == {
        "kullanici": "USER",
        "parola": "PASS",
        "MessageId": "ord-1001,ord-1002",
    }


# -- scheduling and validity ----------------------------------------------------------------

_OFFSET = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _seconds(offset: str) -> int:
    match = _OFFSET.fullmatch(offset)
    assert offset
    assert match is not None, offset
    d, h, m, s = (int(g) if g else 0 for g in match.groups())
    assert h < 24
    assert m < 60
    assert s < 60
    return d * 86400 + h * 3600 + m * 60 + s


def test_documented_offset_example() -> None:
    now = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    later = now + timedelta(days=4, hours=3, minutes=2, seconds=1)
    assert wire.format_offset(later, now) == "4d3h2m1s"
    assert wire.format_offset(now + timedelta(hours=2), now) == "2h"
    assert wire.format_offset(now + timedelta(days=1, minutes=30), now) == "1d30m"
    assert wire.format_offset(now, now) == "1s"  # "now" must be 1s
    assert wire.format_offset(now - timedelta(hours=1), now) == "1s"


@given(
    delta=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
    zone=st.sampled_from([UTC, ISTANBUL, ZoneInfo("America/New_York")]),
)
def test_offset_never_sends_early_and_is_at_most_a_second_late(delta: timedelta, zone: Any) -> None:
    now = datetime(2025, 3, 30, 0, 30, 15, 123456, tzinfo=UTC)
    when = (now + delta).astimezone(zone)
    seconds = _seconds(wire.format_offset(when, now))
    assert seconds >= 1
    assert timedelta(seconds=seconds) >= delta
    assert timedelta(seconds=seconds) - delta < timedelta(seconds=1) or delta < timedelta(seconds=1)


@given(validity=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(hours=48)))
def test_validity_is_hh_mm_rounded_up_within_48_hours(validity: timedelta) -> None:
    text = wire.format_validity(validity)
    match = re.fullmatch(r"(\d\d):(\d\d)", text)
    assert match is not None
    minutes = int(match[1]) * 60 + int(match[2])
    assert int(match[2]) < 60
    assert timedelta(minutes=minutes) >= validity
    assert timedelta(minutes=minutes) - validity < timedelta(minutes=1)
    assert minutes <= 48 * 60


def test_validity_examples() -> None:
    assert wire.format_validity(timedelta(hours=24)) == "24:00"
    assert wire.format_validity(timedelta(hours=48)) == "48:00"
    assert wire.format_validity(timedelta(minutes=90, seconds=1)) == "01:31"


# -- the tables -----------------------------------------------------------------------------

DOCUMENTED_CODES = [
    "-1", "-2", "-3", "-5", "-6", "-10", "-11", "-13",
    "-22", "-23", "-26", "-27", "-33", "-34", "-99",
]  # fmt: skip


def test_every_documented_code_is_mapped_once() -> None:
    assert sorted(wire.ERRORS, key=int) == sorted(DOCUMENTED_CODES, key=int)
    assert dict(KobikomEmulator.documented_errors) == {
        code: type(wire.error_for_code(code)).__name__ for code in DOCUMENTED_CODES
    }


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("-1", ProviderUnavailable),
        ("-2", InsufficientCredit),
        ("-3", InvalidRecipient),
        ("-5", AuthenticationError),
        ("-6", InvalidRecipient),
        ("-13", InvalidRecipient),
        ("-22", Rejected),
        ("-27", Rejected),
        ("-33", Rejected),
        ("-34", InvalidSender),
        ("-99", ProviderUnavailable),
        ("-4242", ProviderUnavailable),  # undocumented: still a typed provider error
    ],
)
def test_error_classes(code: str, cls: type[IletiError]) -> None:
    error = wire.error_for_code(code)
    assert type(error) is cls
    assert error.code == code
    assert error.provider == "kobikom"


def test_submit_states() -> None:
    assert wire.submit_state("0") is DeliveryState.QUEUED
    assert wire.submit_state("-13") is DeliveryState.REJECTED
    assert wire.submit_state("-34") is DeliveryState.REJECTED
    assert wire.submit_state("-2") is DeliveryState.FAILED
    assert wire.submit_state("-23") is DeliveryState.FAILED
    assert wire.submit_state(wire.NOT_SUBMITTED) is DeliveryState.FAILED


def test_report_states_match_the_reference_table() -> None:
    expected = {
        "NOT_SENT": "queued",
        "SENT": "sent",
        "DELIVERED": "delivered",
        "NOT_DELIVERED": "undelivered",
        "NOT_ALLOWED": "rejected",
        "INVALID_DESTINATION_ADDRESS": "rejected",
        "INVALID_SOURCE_ADDRESS": "rejected",
        "ROUTE_NOT_AVAILABLE": "rejected",
        "NOT_ENOUGH_CREDITS": "failed",
        "REJECTED": "rejected",
        "INVALID_MESSAGE_FORMAT": "rejected",
    }
    assert {k: str(v) for k, v in wire.DLR_STATES.items()} == expected
    assert wire.dlr_state("EXPIRED_SOMEHOW") is DeliveryState.UNKNOWN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024/5/1 10:0:5", datetime(2024, 5, 1, 10, 0, 5, tzinfo=ISTANBUL)),
        ("2024/05/01 10:00:05", datetime(2024, 5, 1, 10, 0, 5, tzinfo=ISTANBUL)),
        ("2024/13/1 10:0:5", None),
        ("2024/5/1", None),
        ("", None),
        (None, None),
    ],
)
def test_report_time(text: str | None, expected: datetime | None) -> None:
    assert wire.parse_report_time(text) == expected


# -- garbage never escapes as anything but an IletiError -------------------------------------


@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_garbage_raises_only_ileti_errors(body: bytes) -> None:
    response = answer(body)
    for parse in (
        wire.parse_submit,
        wire.parse_pull,
        wire.parse_senders,
        lambda r: wire.parse_balance(r, "kobikom"),
    ):
        with contextlib.suppress(IletiError):
            parse(response)


@given(
    body=st.sampled_from(
        [
            "<results>{}</results>",
            "<DeliveryReport>{}</DeliveryReport>",
            "<basliklar>{}</basliklar>",
            "<bakiye>{}</bakiye>",
        ]
    ),
    inner=st.text(alphabet="<>/abcdefghmrstu =\"'&;0123456789-", max_size=60),
)
def test_xmlish_garbage_raises_only_ileti_errors(body: str, inner: str) -> None:
    response = answer(body.format(inner))
    for parse in (
        wire.parse_submit,
        wire.parse_pull,
        wire.parse_senders,
        lambda r: wire.parse_balance(r, "kobikom"),
    ):
        with contextlib.suppress(IletiError):
            parse(response)


def test_entities_are_refused() -> None:
    bomb = (
        '<!DOCTYPE r [<!ENTITY a "boom">]><results><result><status>&a;</status></result></results>'
    )
    with pytest.raises(MalformedResponse):
        wire.parse_submit(answer(bomb))


_ws = st.text(st.sampled_from(" \t\r\n"), max_size=2)
# plain text around at most one character XML treats specially (or refuses)
_answer_value = st.tuples(
    st.text(st.sampled_from("0-5 ab;#"), max_size=3),
    st.sampled_from(
        [
            *("", "", "\r", "\n", "\t", "&", "<", ">", "]", "'", '"', "é", "\x01", "\x11"),
            *("\x1f", "\x7f", "\x85", "\u2028", "\ufffe", "\uffff", "\U0001f600"),
        ]
    ),
    st.text(st.sampled_from("0-5 ab;#"), max_size=3),
).map("".join)


@st.composite
def _send_answers(draw: st.DrawFn) -> str:
    """Send answers in the usual shape, and near it: declarations, whitespace
    and values the XML parser may read differently or refuse."""
    declaration = draw(
        st.sampled_from(
            [
                "",
                '<?xml version="1.0" encoding="utf-8"?>',
                '<?xml version="1.0" encoding="UTF-8"?>',
                '<?xml version="1.0"?>',
                ' <?xml version="1.0"?>',
                '<?xml version="1.0" encoding="latin-1"?>',
            ]
        )
    )
    parts = [declaration, draw(_ws), "<results>", draw(_ws)]
    for _ in range(draw(st.integers(1, 2))):
        parts += ["<result>", draw(_ws), f"<status>{draw(_answer_value)}</status>", draw(_ws)]
        for name in ("messageid", "destination"):
            if draw(st.booleans()):
                parts += [f"<{name}>{draw(_answer_value)}</{name}>", draw(_ws)]
        parts += ["</result>", draw(_ws)]
    parts += ["</results>", draw(_ws)]
    return "".join(parts)


@given(_send_answers())
def test_the_usual_send_answer_is_read_as_the_xml_parser_reads_it(text: str) -> None:
    from unittest import mock

    plain = wire._plain_results(text)
    if plain is None:
        return  # the XML parser reads it: nothing to compare
    with mock.patch.object(wire, "_plain_results", return_value=None):
        parsed = wire.parse_submit(answer(text))
    assert not parsed.lenient
    assert plain == parsed.results


def test_the_usual_send_answer_needs_no_xml_parser() -> None:
    usual = (
        '<?xml version="1.0" encoding="utf-8"?>\n<results><result><status>0</status>'
        "<messageid>ord-1001</messageid><destination>905301112233</destination></result>"
        "<result><status>-13</status></result></results>"
    )
    assert wire._plain_results(usual) == (
        wire.SubmitResult("0", "ord-1001", "905301112233"),
        wire.SubmitResult("-13"),
    )
    assert wire.parse_submit(answer(usual)).results == wire._plain_results(usual)
