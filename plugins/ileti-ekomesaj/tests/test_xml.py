"""The XML style (``api_style="xml"``): DataContract bodies, XML answers, the
emulator's XML side, and the whole client over loopback in XML.

Request documents are checked with the standard library's ElementTree, a
parser independent of the plugin's own (xmltodict), so the codec is never
tested against itself.
"""

from __future__ import annotations

import contextlib
import http.client
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ileti_ekomesaj import emulated_xml, wire
from ileti_ekomesaj.emulator import EkomesajEmulator

import ileti
from ileti.emulation import EmulatorRequest, FaultProxy, FaultSpec, ServedApp
from ileti.errors import (
    AuthenticationError,
    ConfigurationError,
    DeliveryUnknown,
    IletiError,
    InsufficientCredit,
    InvalidContent,
    InvalidRecipient,
    InvalidSender,
    MalformedResponse,
    ProviderUnavailable,
    Rejected,
    ValidationError,
)
from ileti.http import HttpResponse
from ileti.models import DeliveryState
from ileti.plugin import error_for

MakeClient = Callable[..., ileti.Client]

OPS = "{http://schemas.datacontract.org/2004/07/Ekomesaj.Operations}"
TYPES = "{http://schemas.datacontract.org/2004/07/Ekomesaj.Types}"
ARRAYS = "{http://schemas.microsoft.com/2003/10/Serialization/Arrays}"
SS = "{http://schemas.servicestack.net/types}"
NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

CREDENTIAL = wire.Credential(username="kullanici", password="sifre", reseller_id=2050)

#: everything that needs escaping or care in XML, Turkish letters and newlines
TRICKY = "a & b < c > d ]]> e \"çift\" 'tek' ÇĞİÖŞÜ çğıöşü\nikinci satır\r\nüçüncü\r "


def element(body: bytes) -> ET.Element:
    # the plugin's own request document or the emulator's answer, built in this test
    return ET.fromstring(body)  # noqa: S314


def names(parent: ET.Element) -> list[str]:
    return [child.tag for child in parent]


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def as_json(node: ET.Element) -> Any:
    """An element as a JSON-shaped value of texts (lists where the wire has lists)."""
    if node.get(NIL) == "true":
        return None
    children = list(node)
    if local(node.tag) in wire.XML_LIST_ITEMS:
        return [as_json(child) for child in children]
    if not children:
        return node.text or ""
    return {local(child.tag): as_json(child) for child in children}


def texts(value: Any) -> Any:
    """A JSON value with every scalar as DCS writes it (the XML has only text)."""
    if isinstance(value, dict):
        return {k: texts(v) for k, v in value.items()}
    if isinstance(value, list):
        return [texts(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def send_request(text: str = "Mesaj", **sms: Any) -> wire.SendInstantSmsRequest:
    return wire.SendInstantSmsRequest(
        credential=CREDENTIAL,
        sms=wire.Sms(
            to_msisdns=[wire.ToMsisdn(msisdn=905321112233)],
            sms_title="baslik",
            sms_content=text,
            sender_name="GONDEREN",
            **sms,
        ),
    )


# --------------------------------------------------------------------------- request bodies


def test_send_instant_sms_in_xml() -> None:
    request = send_request()
    http = wire.http_request(wire.SEND_OPERATION, request, "xml")
    assert (http.method, http.path) == ("POST", "/xml/syncreply/SendInstantSms")
    assert http.headers["Content-Type"].split(";")[0] == "application/xml"
    assert http.body is not None
    assert http.body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = element(http.body)
    # the root is the operation, in Ekomesaj.Operations; so are its members
    assert root.tag == OPS + "SendInstantSms"
    assert names(root) == [OPS + "Credential", OPS + "Sms"]
    credential, sms = root
    # nested types' members are in Ekomesaj.Types, in alphabetical order
    assert names(credential) == [TYPES + "Password", TYPES + "ResellerID", TYPES + "Username"]
    assert names(sms) == [
        TYPES + name
        for name in (
            "CanSendSmsToDuplicateMsisdn",
            "DataCoding",
            "IsCreateFromTeplate",
            "RequestGuid",
            "Route",
            "SenderName",
            "SmsCoding",
            "SmsContent",
            "SmsSendingType",
            "SmsTitle",
            "ToGroups",
            "ToMsisdns",
            "ValidityPeriod",
        )
    ]
    [recipient] = sms.find(TYPES + "ToMsisdns") or []
    assert recipient.tag == TYPES + wire.XML_LIST_ITEMS["ToMsisdns"][0]
    assert names(recipient) == [
        TYPES + "CustomField1",
        TYPES + "Msisdn",
        TYPES + "Name",
        TYPES + "Surname",
    ]
    assert recipient.findtext(TYPES + "Msisdn") == "905321112233"
    assert sms.findtext(TYPES + "IsCreateFromTeplate") == "false"
    assert list(sms.find(TYPES + "ToGroups") or []) == []
    # the same object as the JSON body: one converter, two codecs
    assert as_json(root) == texts(wire.to_wire(request))


def test_every_object_is_written_in_alphabetical_order() -> None:
    request = send_request(scheduled_delivery_time="2024-05-01T10:00:00+03:00", to_groups=[7, 12])
    body = wire.http_request(wire.SEND_OPERATION, request, "xml").body
    assert body is not None
    root = element(body)
    for node in root.iter():
        members = [local(tag) for tag in names(node)]
        if local(node.tag) not in wire.XML_LIST_ITEMS:
            assert members == sorted(members), node.tag
    sms = root.find(OPS + "Sms")
    assert sms is not None
    assert sms.findtext(TYPES + "ScheduledDeliveryTime") == "2024-05-01T10:00:00+03:00"
    # arrays of numbers: <long> items in the serialisation arrays namespace
    groups = sms.find(TYPES + "ToGroups")
    assert groups is not None
    assert names(groups) == [ARRAYS + "long", ARRAYS + "long"]
    assert [g.text for g in groups] == ["7", "12"]
    assert b"<d3p1:long>7</d3p1:long>" in body


def test_get_credit_in_xml_is_exactly_this_document() -> None:
    http = wire.http_request(
        wire.CREDIT_OPERATION, wire.GetCreditRequest(credential=CREDENTIAL), "xml"
    )
    assert http.path == "/xml/syncreply/GetCredit"
    assert http.body == (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<GetCredit xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
        b'xmlns="http://schemas.datacontract.org/2004/07/Ekomesaj.Operations">'
        b'<Credential xmlns:d2p1="http://schemas.datacontract.org/2004/07/Ekomesaj.Types">'
        b"<d2p1:Password>sifre</d2p1:Password>"
        b"<d2p1:ResellerID>2050</d2p1:ResellerID>"
        b"<d2p1:Username>kullanici</d2p1:Username>"
        b"</Credential></GetCredit>"
    )


def test_report_request_in_xml() -> None:
    request = wire.ReportRequest(
        credential=CREDENTIAL, sms_history_id=123456, start_page=2, page_size=100
    )
    body = wire.http_request("GetSmsReport", request, "xml").body
    assert body is not None
    root = element(body)
    assert root.tag == OPS + "GetSmsReport"
    assert names(root) == [OPS + n for n in ("Credential", "PageSize", "SmsHistoryID", "StartPage")]
    assert as_json(root) == texts(wire.to_wire(request))


def test_json_style_is_unchanged() -> None:
    http = wire.http_request(wire.SEND_OPERATION, send_request(), "json")
    assert http.path == "/json/syncreply/SendInstantSms"
    assert http.body is not None
    assert json.loads(http.body) == wire.to_wire(send_request())


@pytest.mark.parametrize(
    "text",
    [TRICKY, "]]>", "<![CDATA[x]]>", "&amp; is not an entity", "  leading and trailing  ", "\r"],
)
def test_sms_content_is_escaped_and_comes_back_exactly(text: str) -> None:
    body = wire.http_request(wire.SEND_OPERATION, send_request(text), "xml").body
    assert body is not None
    raw = body.decode("utf-8")
    content = raw.split("<d2p1:SmsContent>", 1)[1].split("</d2p1:SmsContent>", 1)[0]
    assert "]]>" not in content
    assert "\r" not in content  # a raw CR would arrive as LF: it is written &#13;
    if "&" in text:
        assert "&amp;" in content
    if "<" in text:
        assert "&lt;" in content
    assert element(body).findtext(f"{OPS}Sms/{TYPES}SmsContent") == text
    # and the emulator's own reader gets the same text
    assert emulated_xml.read_request(body, wire.SEND_OPERATION)["Sms"]["SmsContent"] == text


def test_turkish_letters_travel_as_utf8() -> None:
    body = wire.http_request(wire.SEND_OPERATION, send_request("Şişli çığ"), "xml").body
    assert body is not None
    assert "Şişli çığ".encode() in body


@pytest.mark.parametrize(
    ("request_", "member"),
    [
        (
            wire.GetCreditRequest(
                credential=wire.Credential(username="u", password="p\x00w", reseller_id=2050)
            ),
            "Credential.Password",
        ),
        (send_request("form\x0cfeed"), "Sms.SmsContent"),
        (send_request(request_guid="ref\x1b"), "Sms.RequestGuid"),
    ],
)
def test_characters_xml_cannot_carry_are_refused(request_: object, member: str) -> None:
    with pytest.raises(wire.XmlCharacterError) as info:
        wire.http_request("Op", request_, "xml")
    assert info.value.member == member
    assert "p\x00w" not in str(info.value)
    wire.http_request("Op", request_, "json")  # JSON can carry them


# --------------------------------------------------------------------------- reading answers


def fail(failure: wire.Failure) -> IletiError:
    return error_for(
        failure.category,
        failure.message,
        provider="ekomesaj",
        code=failure.code,
        http_status=failure.http_status,
        excerpt=failure.said,
    )


def xml_answer(body: str | bytes, status: int = 200) -> HttpResponse:
    raw = body.encode() if isinstance(body, str) else body
    return HttpResponse(status, {"content-type": "application/xml"}, raw, provider="ekomesaj")


def read(response: HttpResponse, cls: type[Any], operation: str = "SendInstantSms") -> Any:
    return wire.read_answer(
        response, cls, operation=operation, reseller_id=2050, fail=fail, style="xml"
    )


OPS_NS = wire.XML_OPERATIONS_NS
TYPES_NS = wire.XML_TYPES_NS

SEND_OK = (
    f'<SendInstantSmsResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
    f'xmlns="{OPS_NS}"><MessageID>123456</MessageID>'
    f'<Status xmlns:d2p1="{TYPES_NS}"><d2p1:Code>200</d2p1:Code>'
    f"<d2p1:Description/><d2p1:Message/></Status></SendInstantSmsResponse>"
)


def test_send_answer_in_xml() -> None:
    parsed = read(xml_answer(SEND_OK), wire.SendInstantSmsResponse)
    assert parsed.message_id == 123456
    assert parsed.status == wire.Status(code=200, description="", message="")


def test_answers_are_read_whatever_the_prefixes_and_order() -> None:
    body = (
        f'<?xml version="1.0"?>\n<a:SendInstantSmsResponse xmlns:a="{OPS_NS}">\n'
        f'  <a:Status><b:Message xmlns:b="{TYPES_NS}"></b:Message>'
        f'<Code xmlns="{TYPES_NS}"> 200 </Code></a:Status>\n'
        f"  <a:MessageID>77</a:MessageID>\n</a:SendInstantSmsResponse>"
    )
    parsed = read(xml_answer(body), wire.SendInstantSmsResponse)
    assert parsed.message_id == 77
    assert parsed.status is not None
    assert parsed.status.ok


def test_business_failure_in_xml() -> None:
    body = SEND_OK.replace("123456", "0").replace(
        "<d2p1:Code>200</d2p1:Code>", "<d2p1:Code>401</d2p1:Code>"
    )
    body = body.replace(
        "<d2p1:Message/>", "<d2p1:Message>Kullanıcı adı veya şifre hatalı</d2p1:Message>"
    )
    with pytest.raises(AuthenticationError) as info:
        read(xml_answer(body), wire.SendInstantSmsResponse)
    assert info.value.code == "401"
    assert "reseller_id" in info.value.message
    assert info.value.excerpt is not None
    assert "Kullanıcı adı" in info.value.excerpt


def error_response(code: str, message: str) -> str:
    ns = wire.XML_SERVICESTACK_NS
    return (
        f'<ErrorResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="{ns}">'
        f"<ResponseStatus><ErrorCode>{code}</ErrorCode><Message>{message}</Message>"
        f"<StackTrace>...</StackTrace><Errors/></ResponseStatus></ErrorResponse>"
    )


@pytest.mark.parametrize(
    ("status", "error"), [(400, Rejected), (401, AuthenticationError), (500, ProviderUnavailable)]
)
def test_servicestack_error_response_in_xml(status: int, error: type[IletiError]) -> None:
    body = error_response("NullReferenceException", "Object reference not set")
    with pytest.raises(error) as info:
        read(xml_answer(body, status), wire.SendInstantSmsResponse)
    assert (info.value.code, info.value.http_status) == ("NullReferenceException", status)


def test_response_status_inside_the_operations_response() -> None:
    body = (
        f'<GetCreditResponse xmlns="{OPS_NS}"><Credit>0</Credit>'
        f'<ResponseStatus xmlns:d2p1="{wire.XML_SERVICESTACK_NS}">'
        f"<d2p1:ErrorCode>SqlException</d2p1:ErrorCode><d2p1:Message>Timeout</d2p1:Message>"
        f"</ResponseStatus></GetCreditResponse>"
    )
    with pytest.raises(ProviderUnavailable) as info:
        read(xml_answer(body, 500), wire.GetCreditResponse, "GetCredit")
    assert info.value.code == "SqlException"


def test_decimal_credit_in_xml() -> None:
    body = (
        f'<GetCreditResponse xmlns="{OPS_NS}"><Credit>1234.50</Credit>'
        f'<Status xmlns:d2p1="{TYPES_NS}"><d2p1:Code>200</d2p1:Code></Status>'
        f"</GetCreditResponse>"
    )
    assert read(xml_answer(body), wire.GetCreditResponse, "GetCredit").credit == Decimal("1234.50")


def test_report_answer_in_xml() -> None:
    body = (
        f'<GetSmsReportResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns="{OPS_NS}"><Details xmlns:d2p1="{TYPES_NS}">'
        f"<d2p1:ReportDetail><d2p1:DeliveredDate>2024-05-01T10:00:05+03:00</d2p1:DeliveredDate>"
        f"<d2p1:Msisdn>905301112233</d2p1:Msisdn><d2p1:SendDate>2024-05-01T10:00:00+03:00"
        f"</d2p1:SendDate><d2p1:State>2</d2p1:State></d2p1:ReportDetail>"
        f'<d2p1:ReportDetail><d2p1:DeliveredDate i:nil="true"/>'
        f"<d2p1:Msisdn>905301112234</d2p1:Msisdn><d2p1:State>5</d2p1:State></d2p1:ReportDetail>"
        f"</Details><State>1</State>"
        f'<Status xmlns:d2p1="{TYPES_NS}"><d2p1:Code>200</d2p1:Code></Status>'
        f"<TotalCount>2</TotalCount></GetSmsReportResponse>"
    )
    parsed = read(xml_answer(body), wire.ReportResponse, "GetSmsReport")
    assert (parsed.state, parsed.total_count) == (1, 2)
    assert [(d.msisdn, d.state) for d in parsed.details] == [
        ("905301112233", 2),
        ("905301112234", 5),
    ]
    assert parsed.details[1].delivered_date is None
    when = wire.parse_time(parsed.details[0].delivered_date)
    assert when is not None
    assert when.isoformat() == "2024-05-01T10:00:05+03:00"


STATUS_OK = "<Status><Code>200</Code><Description/><Message/></Status>"


def test_one_report_row_and_no_rows() -> None:
    one = (
        f'<RResponse xmlns="{OPS_NS}"><Details><ReportDetail><Msisdn>905301112233</Msisdn>'
        f"<State>2</State></ReportDetail></Details>{STATUS_OK}</RResponse>"
    )
    assert len(read(xml_answer(one), wire.ReportResponse, "R").details) == 1
    empty = (
        f'<RResponse xmlns="{OPS_NS}"><Details/><TotalCount>0</TotalCount>{STATUS_OK}</RResponse>'
    )
    assert read(xml_answer(empty), wire.ReportResponse, "R").details == []


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    "<GetCreditResponse><Credit>&c;</Credit></GetCreditResponse>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<GetCreditResponse><Credit>&x;</Credit></GetCreditResponse>"
)

GARBAGE = [
    b"<html><body><h1>503 Service Unavailable</h1></body></html>",
    b"<!DOCTYPE html><html><head><title>Bakim</title></head><body>Bakimdayiz<br></body></html>",
    b"\x00\x01garbage",
    b"",
    b'{"Credit": 5, "Status": {"Code": 200}}',
    b"<GetCreditResponse><Credit>5</Credit>",
    b"<GetCreditResponse>5</GetCreditResponse>",
    b"<GetCreditResponse><Credit>lots</Credit></GetCreditResponse>",
    b"<GetCreditResponse><Credit><a>1</a></Credit></GetCreditResponse>",
    b"<GetCreditResponse><Status><Code>abc</Code></Status></GetCreditResponse>",
    b"<GetCreditResponse><Status>ok</Status></GetCreditResponse>",
    b"<Credit>5</Credit>",
    b"<a/><b/>",
    b"\xff\xfe<\x00",
    BILLION_LAUGHS.encode(),
    EXTERNAL_ENTITY.encode(),
    b"<GetCreditResponse>" + b"<Status>" * 5000 + b"</Status>" * 5000 + b"</GetCreditResponse>",
]


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_xml_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        read(xml_answer(body), wire.GetCreditResponse, "GetCredit")


@pytest.mark.parametrize("depth", [40, 5000, 100_000])
def test_deep_nesting_is_malformed_in_both_styles(depth: int) -> None:
    deep_xml = b"<GetCreditResponse>" + b"<a>" * depth + b"</a>" * depth + b"</GetCreditResponse>"
    with pytest.raises(MalformedResponse):
        read(xml_answer(deep_xml), wire.GetCreditResponse, "GetCredit")
    deep_json = b'{"Credit":' + b"[" * depth + b"]" * depth + b"}"
    response = HttpResponse(200, {"content-type": "application/json"}, deep_json, provider="x")
    with pytest.raises(MalformedResponse):
        wire.read_answer(
            response, wire.GetCreditResponse, operation="GetCredit", reseller_id=2050, fail=fail
        )


def test_entities_are_never_expanded() -> None:
    with pytest.raises(MalformedResponse) as info:
        read(xml_answer(EXTERNAL_ENTITY), wire.GetCreditResponse, "GetCredit")
    assert "root:" not in str(info.value)


@given(body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_answer_raises_only_ileti_errors(body: bytes) -> None:
    for cls, op in (
        (wire.SendInstantSmsResponse, "SendInstantSms"),
        (wire.GetCreditResponse, "GetCredit"),
        (wire.ReportResponse, "GetSmsReport"),
    ):
        for status in (200, 500):
            with contextlib.suppress(IletiError):  # anything else fails the test
                read(xml_answer(body, status), cls, op)


xml_names = st.sampled_from(
    ["GetCreditResponse", "Credit", "Status", "Code", "Message", "Details", "ReportDetail",
     "Msisdn", "State", "ResponseStatus", "ErrorCode", "MessageID", "x"]
)  # fmt: skip
xml_texts = st.one_of(st.just(""), st.integers(-5, 10**20).map(str), st.text(max_size=8))
xml_trees = st.recursive(
    xml_texts.map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;")),
    lambda inner: st.lists(st.tuples(xml_names, inner), max_size=4).map(
        lambda kids: "".join(f"<{name}>{body}</{name}>" for name, body in kids)
    ),
    max_leaves=12,
)


@given(root=xml_names, tree=xml_trees)
def test_well_formed_xml_of_any_shape_raises_only_ileti_errors(root: str, tree: str) -> None:
    body = f'<{root} xmlns="{OPS_NS}">{tree}</{root}>'.encode(errors="surrogatepass")
    for cls, op in (
        (wire.SendInstantSmsResponse, "SendInstantSms"),
        (wire.GetCreditResponse, "GetCredit"),
        (wire.ReportResponse, "GetSmsReport"),
    ):
        with contextlib.suppress(IletiError):  # anything else fails the test
            read(xml_answer(body), cls, op)


# --------------------------------------------------------------------------- the emulator


def post_xml(served: ServedApp, path: str, body: bytes) -> tuple[int, str, ET.Element | str]:
    parts = urlsplit(served.base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/xml"})
        response = conn.getresponse()
        raw = response.read()
        content_type = response.getheader("Content-Type") or ""
    finally:
        conn.close()
    if content_type.startswith("application/xml"):
        return response.status, content_type, element(raw)
    return response.status, content_type, raw.decode()


def credit_document(emulator: EkomesajEmulator, **credential: Any) -> bytes:
    values = {
        "Username": emulator.account.credentials["username"],
        "Password": emulator.account.credentials["password"],
        "ResellerID": 2050,
    }
    values.update(credential)
    return wire.xml_document("GetCredit", {"Credential": values}).encode()


def test_emulator_answers_xml_in_xml(served: ServedApp, emulator: EkomesajEmulator) -> None:
    status, content_type, root = post_xml(
        served, "/xml/syncreply/GetCredit", credit_document(emulator)
    )
    assert (status, content_type) == (200, "application/xml")
    assert isinstance(root, ET.Element)
    assert root.tag == OPS + "GetCreditResponse"
    assert names(root) == [OPS + "Credit", OPS + "Status"]
    assert root.findtext(OPS + "Credit") == "1000"
    status_element = root.find(OPS + "Status")
    assert status_element is not None
    assert names(status_element) == [TYPES + "Code", TYPES + "Description", TYPES + "Message"]
    assert status_element.findtext(TYPES + "Code") == "200"


def test_out_of_order_members_are_skipped_like_datacontractserializer(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    # Username before Password: DCS reads Username, then skips Password (out of
    # alphabetical order), so the password is missing: a credentials error
    body = (
        f'<GetCredit xmlns="{OPS_NS}"><Credential xmlns:t="{TYPES_NS}">'
        f"<t:Username>{emulator.account.credentials['username']}</t:Username><t:Password>{emulator.account.credentials['password']}"
        f"</t:Password><t:ResellerID>2050</t:ResellerID></Credential></GetCredit>"
    ).encode()
    status, _, root = post_xml(served, "/xml/syncreply/GetCredit", body)
    assert status == 200
    assert isinstance(root, ET.Element)
    assert root.findtext(f"{OPS}Status/{TYPES}Code") == "401"
    assert "Kullanıcı adı" in (root.findtext(f"{OPS}Status/{TYPES}Message") or "")


def test_members_in_the_wrong_namespace_are_skipped(
    served: ServedApp, emulator: EkomesajEmulator
) -> None:
    # Credential's members written in the operation's namespace: not Credential's
    secrets = emulator.account.credentials
    body = (
        f'<GetCredit xmlns="{OPS_NS}"><Credential><Password>{secrets["password"]}</Password>'
        f"<ResellerID>2050</ResellerID><Username>{secrets['username']}</Username>"
        f"</Credential></GetCredit>"
    ).encode()
    status, _, root = post_xml(served, "/xml/syncreply/GetCredit", body)
    assert status == 200
    assert isinstance(root, ET.Element)
    assert root.findtext(f"{OPS}Status/{TYPES}Code") == "401"


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b'<GetCredit xmlns="urn:other"/>',
        f'<SendInstantSms xmlns="{OPS_NS}"/>'.encode(),
        b"<html><body>x</body></html>",
    ],
)
def test_an_unreadable_xml_request_is_a_serialization_exception(
    served: ServedApp, body: bytes
) -> None:
    status, _, root = post_xml(served, "/xml/syncreply/GetCredit", body)
    assert status == 400
    assert isinstance(root, ET.Element)
    assert root.tag == SS + "ErrorResponse"
    response_status = root.find(SS + "ResponseStatus")
    assert response_status is not None
    # ServiceStack's ResponseStatus has an explicit DataMember Order
    assert names(response_status) == [
        SS + n for n in ("ErrorCode", "Message", "StackTrace", "Errors")
    ]
    assert response_status.findtext(SS + "ErrorCode") == "SerializationException"


def test_page_size_zero_is_a_500_in_xml(
    served: ServedApp, emulator: EkomesajEmulator, make_client: MakeClient
) -> None:
    result = make_client(api_style="xml").send("05321112233", "a")
    assert result.message_id is not None
    body = wire.xml_document(
        wire.REPORT_OPERATION,
        {
            "Credential": {
                "Username": emulator.account.credentials["username"],
                "Password": emulator.account.credentials["password"],
                "ResellerID": 2050,
            },
            "SmsHistoryID": int(result.message_id),
            "StartPage": 0,
            "PageSize": 0,
        },
    ).encode()
    status, _, root = post_xml(served, "/xml/syncreply/" + wire.REPORT_OPERATION, body)
    assert status == 500
    assert isinstance(root, ET.Element)
    assert root.tag == SS + "ErrorResponse"
    assert root.findtext(f"{SS}ResponseStatus/{SS}ErrorCode") == "DivideByZeroException"


@pytest.mark.parametrize("code", sorted(EkomesajEmulator.documented_errors))
def test_forced_errors_are_answered_in_xml(
    served: ServedApp, emulator: EkomesajEmulator, code: str
) -> None:
    emulator.force_error(code)
    status, content_type, root = post_xml(
        served, "/xml/syncreply/GetCredit", credit_document(emulator)
    )
    assert content_type == "application/xml"
    assert isinstance(root, ET.Element)
    if code.isdigit():
        assert status == 200
        assert root.tag == OPS + "GetCreditResponse"
        assert root.findtext(f"{OPS}Status/{TYPES}Code") == code
    else:
        assert root.tag == SS + "ErrorResponse"
        assert root.findtext(f"{SS}ResponseStatus/{SS}ErrorCode") == code


def test_unknown_operation_is_servicestacks_404(served: ServedApp) -> None:
    status, _, text = post_xml(served, "/xml/syncreply/NoSuchOp", b"<NoSuchOp/>")
    assert status == 404
    assert isinstance(text, str)
    assert "Handler for Request not found" in text


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def xml_client(make_client: MakeClient) -> ileti.Client:
    return make_client(api_style="xml")


def xml_requests(emulator: EkomesajEmulator, operation: str) -> list[ET.Element]:
    found = []
    for request in emulator.received:
        if request.path == "/xml/syncreply/" + operation:
            assert request.content_type == "application/xml"
            found.append(element(request.body))
    return found


def sms_of(request: ET.Element) -> dict[str, Any]:
    sms = request.find(OPS + "Sms")
    assert sms is not None
    value = as_json(sms)
    assert isinstance(value, dict)
    return value


def test_send_over_xml(xml_client: ileti.Client, emulator: EkomesajEmulator) -> None:
    result = xml_client.send(["0532 111 22 33", "0532 111 22 39"], "Merhaba dünya", sender="ILETI")
    assert result.message_id == emulator.messages[0].package_id
    assert [m.text for m in emulator.messages] == ["Merhaba dünya"] * 2
    assert all(r.path.startswith("/xml/syncreply/") for r in emulator.received)
    [sent] = xml_requests(emulator, "SendInstantSms")
    sms = sms_of(sent)
    assert [t["Msisdn"] for t in sms["ToMsisdns"]] == ["905321112233", "905321112239"]
    assert sms["RequestGuid"] == result.client_ref
    assert sent.findtext(f"{OPS}Credential/{TYPES}ResellerID") == "2050"


def test_text_arrives_exactly_as_sent_over_xml(
    xml_client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    text = "a & b < c > d ]]> e \"çift\" 'tek' ÇĞİÖŞÜ çğıöşü\nikinci\r\nüçüncü\r "
    xml_client.send("05321112233", text)
    assert emulator.messages[0].text == text


def test_send_multi_over_xml(xml_client: ileti.Client, emulator: EkomesajEmulator) -> None:
    texts_ = ["Merhaba.", "Nasılsın?", "[Mesaj1] değil: <b>&amp;</b> ]]> a:b"]
    numbers = ["05321112233", "05321112234", "05321112235"]
    result = xml_client.send_multi(list(zip(numbers, texts_, strict=True)))
    assert [m.text for m in emulator.messages] == texts_
    assert result.parts == 1
    sms = sms_of(xml_requests(emulator, "SendInstantSms")[0])
    assert sms["IsCreateFromTeplate"] == "true"
    assert sms["SmsContent"] == "[Mesaj1]"
    assert [t["CustomField1"] for t in sms["ToMsisdns"]] == ["[Mesaj1]:" + t for t in texts_]
    assert emulator.credit == 997


def test_report_over_xml_follows_the_clock_and_reads_every_page(
    xml_client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    numbers = [f"+9053211{i:05d}" for i in range(250)]
    result = xml_client.send(numbers, "Toplu")
    assert result.message_id is not None
    first = xml_client.report(result.message_id)
    assert {r.state for r in first.recipients} == {DeliveryState.QUEUED}
    emulator.received.clear()
    emulator.clock.advance(600)
    report = xml_client.report(result.message_id)
    assert [r.number for r in report.recipients] == numbers
    assert report.recipients[0].state is DeliveryState.DELIVERED
    assert report.recipients[9].state is DeliveryState.UNDELIVERED  # ends in 9
    assert report.package_state is DeliveryState.SENT
    delivered = report.recipients[0].time
    assert delivered is not None
    assert delivered.utcoffset() is not None
    pages = xml_requests(emulator, wire.REPORT_OPERATION)
    assert [(p.findtext(OPS + "StartPage"), p.findtext(OPS + "PageSize")) for p in pages] == [
        ("0", "100"),
        ("1", "100"),
        ("2", "100"),
    ]


def test_balance_over_xml(xml_client: ileti.Client, emulator: EkomesajEmulator) -> None:
    assert xml_client.balance().amount == Decimal(1000)
    xml_client.send(["05321112233", "05321112234"], "x" * 200)
    assert xml_client.balance().amount == Decimal(996)
    emulator.credit = Decimal("12.75")
    assert xml_client.balance().amount == Decimal("12.75")


def test_both_styles_share_one_gateway(make_client: MakeClient, emulator: EkomesajEmulator) -> None:
    as_xml, as_json_ = make_client(api_style="xml"), make_client()
    sent = as_xml.send("05321112233", "XML ile")
    assert sent.message_id is not None
    assert len(as_json_.report(sent.message_id).recipients) == 1
    as_json_.send("05321112234", "JSON ile")
    assert as_xml.balance().amount == as_json_.balance().amount == Decimal(998)
    styles = {r.path.split("/")[1] for r in emulator.received}
    assert styles == {"xml", "json"}


@pytest.mark.parametrize("code", sorted(EkomesajEmulator.documented_errors))
def test_each_documented_error_over_xml(
    xml_client: ileti.Client, emulator: EkomesajEmulator, code: str
) -> None:
    expected = getattr(ileti.errors, EkomesajEmulator.documented_errors[code])
    emulator.force_error(code, path="/xml/syncreply/SendInstantSms")
    with pytest.raises(expected) as info:
        xml_client.send("05321112233", "a")
    assert info.value.provider == "ekomesaj"
    if expected is not DeliveryUnknown:
        assert info.value.code == code
    assert emulator.messages == []
    emulator.force_error(code, path="/xml/syncreply/GetCredit")
    with pytest.raises(ProviderUnavailable if expected is DeliveryUnknown else expected) as info:
        xml_client.balance()
    assert info.value.code == code


def test_wrong_password_and_reseller_over_xml(make_client: MakeClient) -> None:
    with pytest.raises(AuthenticationError) as info:
        make_client(api_style="xml", password="wrong-password").send("05321112233", "a")
    assert "reseller_id" in info.value.message
    with pytest.raises(AuthenticationError) as info:
        make_client(api_style="xml", reseller_id=2051).balance()
    assert "2050" in info.value.message


def test_gateway_refusals_over_xml(xml_client: ileti.Client, emulator: EkomesajEmulator) -> None:
    with pytest.raises(InvalidSender):
        xml_client.send("05321112233", "a", sender="ONAYBEKLE")
    with pytest.raises(InvalidRecipient) as info:
        xml_client.send("0212 555 11 22", "sabit hat")
    assert info.value.code == "406"
    with pytest.raises(ileti.UnknownMessage) as unknown:
        xml_client.report("424242")
    assert unknown.value.code == "404"
    emulator.credit = Decimal(1)
    with pytest.raises(InsufficientCredit):
        xml_client.send(["05321112233", "05321112234"], "a")
    assert emulator.messages == []


def test_report_operation_setting_over_xml(
    make_client: MakeClient, emulator: EkomesajEmulator
) -> None:
    result = make_client(api_style="xml").send("05321112233", "a")
    assert result.message_id is not None
    wrong = make_client(api_style="xml", report_operation="GetSmsDetails")
    with pytest.raises(Rejected) as info:
        wrong.report(result.message_id)
    assert "report_operation" in info.value.message
    assert info.value.http_status == 404
    emulator.report_operation = "GetSmsDetails"
    assert len(wrong.report(result.message_id).recipients) == 1
    assert emulator.received[-1].path == "/xml/syncreply/GetSmsDetails"
    assert element(emulator.received[-1].body).tag == OPS + "GetSmsDetails"


def test_unwritable_values_are_refused_before_any_request(
    make_client: MakeClient, emulator: EkomesajEmulator
) -> None:
    with pytest.raises(ConfigurationError) as config:
        make_client(api_style="xml", password="bad\x01password").balance()
    assert config.value.setting == "password"
    assert "bad\x01password" not in str(config.value)
    client = make_client(api_style="xml")
    with pytest.raises(ValidationError):
        client.send("05321112233", "a", client_ref="ref\x02")
    with pytest.raises(InvalidContent):
        client.send("05321112233", "form\x0cfeed")  # the core refuses it for every style
    assert emulator.received == []


# --------------------------------------------------------------------------- odd answers


@pytest.fixture
def proxy(served: ServedApp) -> Iterator[FaultProxy]:
    with FaultProxy(served.base_url) as running:
        yield running


def canned(body: bytes, status: int = 200) -> FaultSpec:
    return FaultSpec.http_status(status, body=body, headers=[("Content-Type", "application/xml")])


@pytest.mark.parametrize("answer", GARBAGE)
def test_garbage_answers_over_xml(
    make_client: MakeClient, proxy: FaultProxy, answer: bytes
) -> None:
    client = make_client(api_style="xml", base_url=proxy.base_url)
    proxy.set_faults(canned(answer), canned(answer), canned(answer))
    with pytest.raises(DeliveryUnknown):
        client.send("05321112233", "a")
    with pytest.raises(MalformedResponse):
        client.balance()
    # a readable <...Response> without Status is no report page either (every
    # documented answer carries Status), never an empty page built from junk
    with pytest.raises(MalformedResponse):
        client.report("77")


def test_an_html_500_over_xml_is_unavailable(make_client: MakeClient, proxy: FaultProxy) -> None:
    client = make_client(api_style="xml", base_url=proxy.base_url)
    proxy.set_faults(canned(b"<html><body>Server Error</body></html>", 500))
    with pytest.raises(ProviderUnavailable):
        client.balance()


def test_message_id_zero_over_xml(make_client: MakeClient, proxy: FaultProxy) -> None:
    client = make_client(api_style="xml", base_url=proxy.base_url)
    proxy.set_faults(canned(SEND_OK.replace("123456", "0").encode()))
    with pytest.raises(Rejected) as info:
        client.send("05321112233", "a")
    assert "MessageID 0" in info.value.message


def test_requests_recorded_by_the_emulator_are_xml(
    xml_client: ileti.Client, emulator: EkomesajEmulator
) -> None:
    xml_client.balance()
    [request] = emulator.received
    assert isinstance(request, EmulatorRequest)
    assert request.header("accept") == "application/xml"
    assert element(request.body).tag == OPS + "GetCredit"


def test_the_emulator_reads_and_writes_xml_with_a_codec_of_its_own() -> None:
    """The emulator must be an independent oracle: its XML code shares nothing
    with the plugin's codec, so a wrong namespace or order there fails a test."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(emulated_xml.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.startswith("ileti")}
    # and both read a request the plugin wrote alike
    body = wire.http_request(wire.SEND_OPERATION, send_request("çift: okuma"), "xml").body
    assert body is not None
    read = emulated_xml.read_request(body, wire.SEND_OPERATION)
    assert read["Sms"]["SmsContent"] == "çift: okuma"
    assert read["Credential"]["ResellerID"] == "2050"
