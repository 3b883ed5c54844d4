"""Ekomesaj's wire format: models, names, tables and every inferred choice.

Everything that knows an Ekomesaj field name, code or convention lives in
this module:

* constants, each **documented**, **inferred** or **undocumented** (an
  implementer's choice) as marked beside it;
* attrs models shaped like the ServiceStack JSON DTOs, with snake_case
  Python names; the PascalCase wire names are only in :data:`WIRE_NAMES`,
  which drives this plugin's own cattrs converter;
* the raw state -> :class:`~ileti.models.DeliveryState` tables and the raw
  error -> :class:`~ileti.plugin.Category` tables;
* reading an answer into a wire model (never a raw ``KeyError``), and
  mapping wire models to the core's domain models;
* the two codecs of the same JSON-shaped dicts: JSON, and ServiceStack's
  DataContract XML (``api_style="xml"``), whose namespaces and member-order
  rules (all **inferred**) are the constants of the "XML style" block.

One converter, two codecs: requests are always unstructured to the JSON
object the gateway documents; the XML codec only writes that object as
DataContract XML, and reads an XML answer back into the same object shape,
so both styles share every model, table and mapping.

``cattrs`` and ``xmltodict`` are imported only when first needed, so
importing this module (and the plugin) stays cheap.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import attrs

from ileti.plugin import Category, DeliveryState, HttpRequest, MalformedResponse, classify_text

if TYPE_CHECKING:
    import cattrs

    from ileti.plugin import HttpResponse, IletiError


__all__ = [
    "API_STYLES",
    "CREDIT_OPERATION",
    "DATA_CODING",
    "DEFAULT_BASE_URL",
    "DEFAULT_RESELLER_ID",
    "DETAIL_STATES",
    "MAX_PARTS",
    "MAX_RECIPIENTS",
    "PACKAGE_STATES",
    "REPORT_OPERATION",
    "REPORT_PAGE_SIZE",
    "SEND_OPERATION",
    "STATUS_OK",
    "TEMPLATE_PLACEHOLDER",
    "XML_ARRAYS_NS",
    "XML_OPERATIONS_NS",
    "XML_TYPES_NS",
    "XmlCharacterError",
]

T = TypeVar("T")

# --------------------------------------------------------------------------- constants

#: documented: the document's host, with the scheme it uses (http). HTTPS is
#: inferred to work (one public client uses it) but unverified.
DEFAULT_BASE_URL = "http://api2.ekomesaj.com"

#: documented: this project's reseller id; without it the gateway answers a
#: username/password error
DEFAULT_RESELLER_ID = 2050

#: documented: JSON operations are posted to ``/json/syncreply/{Operation}``
JSON_SYNCREPLY = "/json/syncreply/"
#: documented: XML operations are posted to ``/xml/syncreply/{Operation}`` with
#: ``Content-Type: application/xml`` (the XML layout is in the "XML style" block)
XML_SYNCREPLY = "/xml/syncreply/"
XML_CONTENT_TYPE = "application/xml"

#: documented: the gateway takes JSON (the default) or XML; the ``api_style`` setting
API_STYLES = ("json", "xml")
DEFAULT_API_STYLE = "json"

#: documented operation names
SEND_OPERATION = "SendInstantSms"
#: documented on the provider's metadata page (not in its document)
CREDIT_OPERATION = "GetCredit"
#: documented on the provider's metadata page; no ileti hook uses it
START_STOP_OPERATION = "SmsStartStop"

#: **undocumented**: the document gives the report request body but not the
#: operation's name. Our choice; the ``report_operation`` setting overrides it.
REPORT_OPERATION = "GetSmsReport"

#: documented: ``PageSize`` 0 gives HTTP 500. Our page size (reference
#: suggests 100); every page is read until a short page or ``TotalCount``.
REPORT_PAGE_SIZE = 100
#: our guard against a gateway that ignores ``StartPage``: never read more
#: pages than this for one report (100 000 recipients at 100 a page)
MAX_REPORT_PAGES = 1000

#: inferred (public clients: success is ``Status.Code == 200``)
STATUS_OK = 200

#: documented fixed values of ``SendInstantSms`` ("leave the other values as they are")
SMS_SENDING_TYPE = "ByNumber"
SMS_CODING = "String"
ROUTE = 0
#: documented ``0`` = provider default; the unit is undocumented, so ileti
#: does not offer a validity period and always sends 0
VALIDITY_PERIOD = 0
#: documented: the only DataCoding value (GSM 7-bit). A Unicode value exists in
#: the metadata enum, but it is undocumented, so ileti never sends it.
DATA_CODING = "Default"

#: documented field name, undocumented content: ``RequestGuid`` is named for
#: a GUID, so it carries the client reference only when that reference is one
#: (``"3f2b..."`` 32 hex digits, or ``8-4-4-4-12`` with hyphens, optionally in
#: braces, the forms .NET's ``Guid.Parse`` reads); any other reference travels
#: in ``SmsTitle`` alone and ``RequestGuid`` is sent empty, as in the template.
_GUID = re.compile(
    r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?"
    r"|[0-9A-Fa-f]{32}"
)


def request_guid(client_ref: str) -> str:
    """``RequestGuid`` for a client reference: itself if it is a GUID, else empty."""
    match = _GUID.fullmatch(client_ref)
    braced = client_ref.startswith("{") == client_ref.endswith("}")
    return client_ref if match and braced else ""


#: documented template trick: ``SmsContent`` is the placeholder and each
#: recipient's ``CustomField1`` is ``"[Mesaj1]:" + text``; the gateway puts the
#: text after the first ``:`` in place of the placeholder
TEMPLATE_PLACEHOLDER = "[Mesaj1]"
TEMPLATE_SEPARATOR = ":"

#: **undocumented**: the most parts the gateway takes for one message. Our
#: choice (894 units at 149 a part).
MAX_PARTS = 6

#: **undocumented**: recipients per request; the reference suggests 1,000
MAX_RECIPIENTS = 1000

#: **undocumented**: the gateway's time zone; Turkey (UTC+3 all year)
PROVIDER_TZ = ZoneInfo("Europe/Istanbul")

#: inferred/unverified: the optional ``ScheduledDeliveryTime`` is sent as
#: ISO-8601 local Turkish time with an explicit offset
SCHEDULE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

# --------------------------------------------------------------------------- state tables

#: documented per-number (detail) states -> normalised (providers/README.md §1)
DETAIL_STATES: Mapping[int, DeliveryState] = {
    0: DeliveryState.SCHEDULED,  # Zamanlanmış
    1: DeliveryState.SENT,  # Gönderilmiş (SMSC'den rapor daha alınamadı)
    2: DeliveryState.DELIVERED,  # İletildi
    3: DeliveryState.EXPIRED,  # Zaman aşımına uğradı
    4: DeliveryState.CANCELLED,  # Silinmiş
    5: DeliveryState.UNDELIVERED,  # İletilmedi
    6: DeliveryState.SENT,  # SMSC tarafından alındı
    7: DeliveryState.UNKNOWN,  # Bilinmiyor
    8: DeliveryState.REJECTED,  # Reddedildi
    9: DeliveryState.FAILED,  # Hatadan dolayı gönderilmeyecek
}

#: documented package (main) states -> normalised (providers/README.md §1)
PACKAGE_STATES: Mapping[int, DeliveryState] = {
    0: DeliveryState.QUEUED,  # Kuyrukta
    1: DeliveryState.SENT,  # Gönderildi
    2: DeliveryState.CANCELLED,  # İptal Edildi
    3: DeliveryState.QUEUED,  # Gönderiliyor
    4: DeliveryState.REJECTED,  # Mesaj Kabul Edilmedi
    5: DeliveryState.QUEUED,  # Mesaj Alınıyor
    6: DeliveryState.FAILED,  # Müşteri Kredi/Ödeme Sorunu
    7: DeliveryState.FAILED,  # Hesap Pasif
}

#: detail state 0 is "waiting"
DETAIL_WAITING = 0
#: **inferred**: a number still waiting (detail 0) in a package the gateway is
#: sending (3) or taking in (5) is ``queued``, not ``scheduled``: the package
#: is being processed now. Detail 0 in a package that is "in queue" (0) keeps
#: the documented mapping, ``scheduled``.
PACKAGE_IN_PROGRESS = frozenset({3, 5})
#: package states that decide a waiting or missing detail state (README §1:
#: "a package status of rejected/failed/cancelled applies to every recipient
#: that has no per-recipient status")
_PACKAGE_OVERRIDES = frozenset(
    {DeliveryState.REJECTED, DeliveryState.FAILED, DeliveryState.CANCELLED}
)

# --------------------------------------------------------------------------- error tables

#: **undocumented**: ``Status.Code`` values of a refused call. The gateway's
#: codes are unpublished, so ileti gives none a meaning of its own: a code
#: named in the ``error_codes`` setting decides the category; any other code
#: is left to the gateway's free text (``Status.Message``), classified by
#: keyword (:func:`ileti.plugin.classify_text`), else ``invalid_request`` with
#: the raw code kept. (The emulator's invented codes reach a client through
#: that setting, in the emulator's ``credentials()``.)

#: inferred (ServiceStack convention): the HTTP status of a ``ResponseStatus``
#: error answer -> category; 400 is an argument or serialisation error
HTTP_STATUS_CATEGORIES: Mapping[int, Category] = {
    400: Category.INVALID_REQUEST,
    401: Category.AUTH,
    403: Category.FORBIDDEN,
    404: Category.INVALID_REQUEST,
    405: Category.INVALID_REQUEST,
    415: Category.INVALID_REQUEST,
    429: Category.RATE_LIMITED,
}

# --------------------------------------------------------------------------- XML style (inferred)
#
# ``api_style="xml"``: the same operations as DataContract XML. The reference
# says only "DataContract XML (namespaces as in the metadata pages)" and that
# operations are in ``Ekomesaj.Operations`` and types in ``Ekomesaj.Types``.
# Every rule below is therefore **inferred** from how ServiceStack serialises
# with .NET's DataContractSerializer (DCS); each is used from here only.

#: inferred: DCS's default namespace for a CLR namespace is
#: ``http://schemas.datacontract.org/2004/07/`` + its name. The operation (the
#: request's root element, named after the operation) and its members are in
#: this namespace, and so is the ``{Operation}Response`` answer and its members.
XML_OPERATIONS_NS = "http://schemas.datacontract.org/2004/07/Ekomesaj.Operations"
#: inferred likewise: the members of every nested type (``Credential``,
#: ``Sms``, a recipient, ``Status``, a report row) are in this namespace. The
#: element that holds a nested object is in its parent's namespace (DCS rule).
XML_TYPES_NS = "http://schemas.datacontract.org/2004/07/Ekomesaj.Types"
#: inferred: DCS's fixed namespace for the items of an array of primitives
XML_ARRAYS_NS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
#: inferred: ServiceStack's own DTOs (``ErrorResponse``, ``ResponseStatus``,
#: ``ResponseError``) are in ServiceStack's namespace
XML_SERVICESTACK_NS = "http://schemas.servicestack.net/types"
#: DCS writes a null as ``i:nil="true"`` with this (standard) namespace
XML_INSTANCE_NS = "http://www.w3.org/2001/XMLSchema-instance"

#: inferred: the namespace of the members of a nested object, by the name of
#: the member that holds it; any other nested object's members are in
#: :data:`XML_TYPES_NS`
XML_NESTED_NS: Mapping[str, str] = {"ResponseStatus": XML_SERVICESTACK_NS}

#: inferred: list members, with the element name and namespace of each item.
#: ``ToMsisdns`` items: the server's type name is undocumented; ``ToMsisdn`` is
#: what public clients call it. ``ToGroups``: public C# clients model it as
#: ``IList<long>``, written ``<d2p1:long>`` in the arrays namespace.
#: ``Details``: the invented report shape (see ``ReportResponse``).
XML_LIST_ITEMS: Mapping[str, tuple[str, str]] = {
    "ToMsisdns": ("ToMsisdn", XML_TYPES_NS),
    "ToGroups": ("long", XML_ARRAYS_NS),
    "Details": ("ReportDetail", XML_TYPES_NS),
    "Errors": ("ResponseError", XML_SERVICESTACK_NS),
}

#: inferred (ServiceStack's source): types whose members carry
#: ``[DataMember(Order=n)]``, in that order; members not listed follow,
#: alphabetically. Every other type has no ``Order``: see :func:`xml_order_key`.
XML_EXPLICIT_ORDER: Mapping[str, tuple[str, ...]] = {
    "ResponseStatus": ("ErrorCode", "Message", "StackTrace", "Errors", "Meta"),
}

#: inferred (ServiceStack convention): an answer's root element is the
#: response DTO, ``{Operation}Response``; an error raised before one exists
#: is ``<ErrorResponse>`` in :data:`XML_SERVICESTACK_NS`. The client reads any
#: root whose name ends in ``Response`` and refuses others (an HTML page).
XML_RESPONSE_SUFFIX = "Response"
XML_ERROR_ROOT = "ErrorResponse"

#: inferred (DCS): ``bool`` is written ``true``/``false``
XML_TRUE = "true"
XML_FALSE = "false"


def xml_order_key(contract: str) -> Callable[[str], tuple[int, str]]:
    """The order DCS reads (and writes) the members of ``contract`` in.

    **Inferred**, the well-known DataContractSerializer gotcha: without
    ``[DataMember(Order=...)]`` members are in **alphabetical (ordinal)**
    order, and an element that comes out of that order is silently skipped
    (its member stays null). ileti writes every object in this order.
    """
    explicit = XML_EXPLICIT_ORDER.get(contract, ())

    def key(name: str) -> tuple[int, str]:
        # ordinal, as String.CompareOrdinal: Python compares str by code point
        return (explicit.index(name), "") if name in explicit else (len(explicit), name)

    return key


# --------------------------------------------------------------------------- request models


@attrs.frozen(kw_only=True)
class Credential:
    username: str
    password: str = attrs.field(repr=False)  # revealed only to go on the wire
    reseller_id: int


@attrs.frozen(kw_only=True)
class ToMsisdn:
    msisdn: int
    name: str = ""
    surname: str = ""
    custom_field1: str = ""


@attrs.frozen(kw_only=True)
class Sms:
    to_msisdns: list[ToMsisdn]
    to_groups: list[int] = attrs.field(factory=list)
    is_create_from_template: bool = False
    sms_title: str = ""
    sms_content: str
    request_guid: str = ""
    can_send_sms_to_duplicate_msisdn: bool = False
    sms_sending_type: str = SMS_SENDING_TYPE
    sms_coding: str = SMS_CODING
    sender_name: str = ""
    route: int = ROUTE
    validity_period: int = VALIDITY_PERIOD
    data_coding: str = DATA_CODING
    #: inferred/unverified (metadata page); left out of the body when ``None``
    scheduled_delivery_time: str | None = None


@attrs.frozen(kw_only=True)
class SendInstantSmsRequest:
    credential: Credential
    sms: Sms


@attrs.frozen(kw_only=True)
class ReportRequest:
    credential: Credential
    sms_history_id: int
    start_page: int
    page_size: int = attrs.field()

    @page_size.validator
    def _never_zero(self, attribute: attrs.Attribute[int], value: int) -> None:
        # documented: PageSize 0 makes the gateway answer HTTP 500
        if value < 1:
            raise ValueError("PageSize must be at least 1")


@attrs.frozen(kw_only=True)
class GetCreditRequest:
    credential: Credential


# --------------------------------------------------------------------------- response models


@attrs.frozen(kw_only=True)
class Status:
    """``Ekomesaj.Types.Status`` (metadata pages)."""

    code: int | None = None
    description: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is None or self.code == STATUS_OK

    @property
    def text(self) -> str:
        """The gateway's words: ``Message``, else ``Description``."""
        return (self.message or self.description or "").strip()


@attrs.frozen(kw_only=True)
class ResponseStatus:
    """ServiceStack's error body (inferred from ServiceStack's conventions)."""

    error_code: str | None = None
    message: str | None = None

    @property
    def is_error(self) -> bool:
        return bool(self.error_code or self.message)


@attrs.frozen(kw_only=True)
class SendInstantSmsResponse:
    """inferred from public clients: ``{MessageID, Status{Code,Description,Message}}``."""

    message_id: int | None = None
    status: Status | None = None
    response_status: ResponseStatus | None = None


@attrs.frozen(kw_only=True)
class GetCreditResponse:
    """metadata page: ``{Credit, Status}``; ``Credit`` may be int or decimal."""

    credit: Decimal | None = None
    status: Status | None = None
    response_status: ResponseStatus | None = None


@attrs.frozen(kw_only=True)
class ReportDetail:
    """**inferred shape**: one number of a package (names are our choice)."""

    msisdn: str
    state: int | None = None
    send_date: str | None = None
    delivered_date: str | None = None


@attrs.frozen(kw_only=True)
class ReportResponse:
    """**inferred shape**: ``{Status, State, TotalCount, Details[]}`` (reference's invention)."""

    status: Status | None = None
    state: int | None = None
    total_count: int | None = None
    details: list[ReportDetail] = attrs.field(factory=list)
    response_status: ResponseStatus | None = None


@attrs.frozen(kw_only=True)
class StartStopResponse:
    status: Status | None = None
    response_status: ResponseStatus | None = None


# --------------------------------------------------------------------------- wire names

#: model -> {python attribute: wire name}. The only place wire names live.
WIRE_NAMES: Mapping[type, Mapping[str, str]] = {
    Credential: {"username": "Username", "password": "Password", "reseller_id": "ResellerID"},
    ToMsisdn: {
        "msisdn": "Msisdn",
        "name": "Name",
        "surname": "Surname",
        "custom_field1": "CustomField1",
    },
    Sms: {
        "to_msisdns": "ToMsisdns",
        "to_groups": "ToGroups",
        "is_create_from_template": "IsCreateFromTeplate",  # sic: the gateway's spelling
        "sms_title": "SmsTitle",
        "sms_content": "SmsContent",
        "request_guid": "RequestGuid",
        "can_send_sms_to_duplicate_msisdn": "CanSendSmsToDuplicateMsisdn",
        "sms_sending_type": "SmsSendingType",
        "sms_coding": "SmsCoding",
        "sender_name": "SenderName",
        "route": "Route",
        "validity_period": "ValidityPeriod",
        "data_coding": "DataCoding",
        "scheduled_delivery_time": "ScheduledDeliveryTime",
    },
    SendInstantSmsRequest: {"credential": "Credential", "sms": "Sms"},
    ReportRequest: {
        "credential": "Credential",
        "sms_history_id": "SmsHistoryID",
        "start_page": "StartPage",
        "page_size": "PageSize",
    },
    GetCreditRequest: {"credential": "Credential"},
    Status: {"code": "Code", "description": "Description", "message": "Message"},
    ResponseStatus: {"error_code": "ErrorCode", "message": "Message"},
    SendInstantSmsResponse: {
        "message_id": "MessageID",
        "status": "Status",
        "response_status": "ResponseStatus",
    },
    GetCreditResponse: {
        "credit": "Credit",
        "status": "Status",
        "response_status": "ResponseStatus",
    },
    # inferred names (the reference's invented report shape)
    ReportDetail: {
        "msisdn": "Msisdn",
        "state": "State",
        "send_date": "SendDate",
        "delivered_date": "DeliveredDate",
    },
    ReportResponse: {
        "status": "Status",
        "state": "State",
        "total_count": "TotalCount",
        "details": "Details",
        "response_status": "ResponseStatus",
    },
    StartStopResponse: {"status": "Status", "response_status": "ResponseStatus"},
}

#: fields left out of a request body when they hold their default (``None``)
_OMIT_IF_DEFAULT: Mapping[type, frozenset[str]] = {Sms: frozenset({"scheduled_delivery_time"})}

#: inferred: ServiceStack matches property names without regard to case, and
#: may be configured to answer camelCase; answers are read the same way
_CANONICAL: Mapping[str, str] = {
    wire.casefold(): wire for names in WIRE_NAMES.values() for wire in names.values()
}


def canonical_keys(value: Any) -> Any:
    """A JSON value with every known wire name spelt as in :data:`WIRE_NAMES`."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            name = _CANONICAL.get(key.casefold(), key) if isinstance(key, str) else key
            out.setdefault(name, canonical_keys(item))
        return out
    if isinstance(value, list):
        return [canonical_keys(item) for item in value]
    return value


# --------------------------------------------------------------------------- converter


_DIGITS = re.compile(r"[0-9]{1,15}")


def _msisdn(value: Any, _: type) -> str:
    """documented: ``Msisdn`` is a JSON number; a quoted one is accepted too."""
    if isinstance(value, bool):
        raise TypeError("expected a phone number")
    if isinstance(value, int) and value > 0:
        value = str(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("expected a phone number of digits")


@functools.cache
def converter() -> cattrs.Converter:
    """This plugin's own converter (built once, on first use): the core's strict
    one over :data:`WIRE_NAMES`, with ``Msisdn`` read as a number or a quoted one."""
    from ileti.plugin import strict_converter

    return strict_converter(
        WIRE_NAMES,
        omit_if_default=_OMIT_IF_DEFAULT,
        field_hooks={ReportDetail: {"msisdn": _msisdn}},
    )


def to_wire(request: object) -> dict[str, Any]:
    """A request model as the JSON object the gateway expects."""
    payload: dict[str, Any] = converter().unstructure(request)
    return payload


def from_wire(data: Any, cls: type[T]) -> T:
    """Structure a parsed JSON answer into ``cls``.

    Raises:
        ValueError: the answer does not have the model's shape (never a raw
            ``KeyError``; the caller turns it into ``MalformedResponse``).
    """
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return _structure(canonical_keys(data), cls)


def _structure(data: dict[Any, Any], cls: type[T]) -> T:
    """:func:`from_wire` of an object whose keys :func:`canonical_keys` spelt already."""
    import cattrs

    try:
        return converter().structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(_describe(exc)) from None


def _describe(exc: BaseException) -> str:
    """A short, value-free account of why structuring failed (for an error message)."""
    import cattrs

    if isinstance(exc, cattrs.BaseValidationError):
        for sub in exc.exceptions:
            notes = [n for n in getattr(sub, "__notes__", []) if isinstance(n, str)]
            where = notes[-1].rsplit(" ", 1)[-1] if notes else "?"
            if isinstance(sub, cattrs.BaseValidationError):
                return f"{where}: {_describe(sub)}"
            if isinstance(sub, KeyError):
                return f"field {where} is missing"
            return f"field {where} is malformed ({type(sub).__name__})"
    return type(exc).__name__


# --------------------------------------------------------------------------- the two codecs


@functools.cache
def _send_templates() -> tuple[dict[str, Any], dict[str, Any]]:
    """An ``Sms`` and a ``ToMsisdn`` as :func:`to_wire` writes them with every
    default (made once): :func:`send_body` fills in the rest."""
    return to_wire(Sms(to_msisdns=[], sms_content="")), to_wire(ToMsisdn(msisdn=0))


def send_body(credential: Credential, numbers: Iterable[int], **sms: Any) -> dict[str, Any]:
    """``to_wire(SendInstantSmsRequest(credential=credential, sms=Sms(to_msisdns=
    [ToMsisdn(msisdn=n) for n in numbers], **sms)))``, written from templates of
    the models' defaults instead of building the models (every send writes
    one): the same keys in the same order (a test holds the two equal)."""
    template, item = _send_templates()
    names, omit = WIRE_NAMES[Sms], _OMIT_IF_DEFAULT[Sms]
    msisdn = WIRE_NAMES[ToMsisdn]["msisdn"]
    body = template.copy()
    body[names["to_msisdns"]] = [{**item, msisdn: number} for number in numbers]
    body[names["to_groups"]] = []  # a list of its own, as the model's factory gives
    for field, value in sms.items():
        if value is not None or field not in omit:
            body[names[field]] = value
    request = WIRE_NAMES[SendInstantSmsRequest]
    own = WIRE_NAMES[Credential]
    return {
        request["credential"]: {own[f]: getattr(credential, f) for f in _CREDENTIAL_FIELDS},
        request["sms"]: body,
    }


_CREDENTIAL_FIELDS = tuple(field.name for field in attrs.fields(Credential))


def http_request(operation: str, request: object, style: str) -> HttpRequest:
    """A request model as the POST of ``operation`` in ``style`` (``json`` or ``xml``).

    Both styles start from the same JSON-shaped object (:func:`to_wire`); XML
    only writes it as DataContract XML (:func:`xml_document`).

    Raises:
        XmlCharacterError: (XML only) a value holds a character XML 1.0
            cannot carry.
    """
    return payload_request(operation, to_wire(request), style)


def payload_request(operation: str, payload: dict[str, Any], style: str) -> HttpRequest:
    """:func:`http_request` of a request already written as its JSON-shaped object."""
    if style == "xml":
        return HttpRequest(
            "POST",
            XML_SYNCREPLY + operation,
            headers={
                "Content-Type": f"{XML_CONTENT_TYPE}; charset=utf-8",
                "Accept": XML_CONTENT_TYPE,
            },
            body=xml_document(operation, payload).encode("utf-8"),
        )
    return HttpRequest.json_body("POST", JSON_SYNCREPLY + operation, payload)


#: our guard: no answer of this gateway nests deeper than this (a report is
#: four levels deep); a deeper one is malformed, never a ``RecursionError``
MAX_NESTING = 32


def decode_answer(response: HttpResponse, cls: type[Any], style: str) -> Any:
    """An answer's body as the JSON-shaped value the models are read from.

    Raises:
        MalformedResponse: the body is not JSON (or not XML in the XML style),
            or it nests deeper than :data:`MAX_NESTING`.
    """
    if style == "xml":
        return read_xml_answer(response, cls)
    try:
        data = response.json()
    except RecursionError:
        raise response.malformed("the answer is nested too deeply") from None
    if not _shallow(data):
        raise response.malformed("the answer is nested too deeply")
    return data


_CONTAINERS = (dict, list)


def _shallow(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether a JSON value nests at most ``limit`` levels (checked without
    recursion; only containers are stacked, a scalar needs no visit)."""
    stack: list[tuple[Any, int]] = [(value, 0)] if isinstance(value, _CONTAINERS) else []
    while stack:
        item, depth = stack.pop()
        if depth >= limit:
            return False
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, _CONTAINERS):
                stack.append((child, depth + 1))
    return True


#: characters XML 1.0 cannot carry. The core refuses them in message texts
#: already; this guards every other value (credentials, client reference).
_XML_FORBIDDEN = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: expat's namespace separator: neither namespace URIs nor XML names hold a space
_NS_SEP = " "
_NIL = f"@{XML_INSTANCE_NS}{_NS_SEP}nil"
_XML_INT = re.compile(r"-?[0-9]{1,19}")


class XmlCharacterError(ValueError):
    """A value holds a character XML 1.0 cannot carry.

    ``member`` says where (``Credential.Password``); the value itself is never
    in the message.
    """

    def __init__(self, member: str) -> None:
        super().__init__(f"{member} holds a character that XML 1.0 cannot carry")
        self.member = member


def xml_document(root: str, body: Mapping[str, Any], *, namespace: str = XML_OPERATIONS_NS) -> str:
    """``body`` (a JSON-shaped dict) as a DataContract XML document ``<root>``.

    Element names are ``root``, ``body``'s keys (this module's wire names) and
    the item names of :data:`XML_LIST_ITEMS`; text is escaped by the XML
    writer (``xmltodict.unparse``). Members are written in DCS order
    (:func:`xml_order_key`), nested types' members in their namespaces with
    DCS-style prefixes (``d2p1``...), ``None`` as ``i:nil="true"``. A CR in
    a text is written ``&#13;`` so that it arrives as CR (XML end-of-line
    handling would turn a raw one into LF); no CR appears anywhere else.

    Raises:
        XmlCharacterError: a text holds a character XML 1.0 cannot carry.
    """
    import xmltodict

    element: dict[str, Any] = {"@xmlns:i": XML_INSTANCE_NS, "@xmlns": namespace}
    element.update(_xml_members(body, contract=root, ns=namespace, scope={namespace: ""}, depth=2))
    text: str = xmltodict.unparse({root: element}, full_document=True, short_empty_elements=True)
    return text.replace("\r", "&#13;")


def _qualified(prefix: str, name: str) -> str:
    return f"{prefix}:{name}" if prefix else name


def _declare(
    ns: str, scope: Mapping[str, str], depth: int, element: dict[str, Any]
) -> dict[str, str]:
    """The prefixes in scope inside ``element``, declaring one for ``ns`` if needed."""
    if ns in scope:
        return dict(scope)
    prefix = f"d{depth}p1"
    element[f"@xmlns:{prefix}"] = ns
    return {**scope, ns: prefix}


def _xml_members(
    obj: Mapping[str, Any],
    *,
    contract: str,
    ns: str,
    scope: Mapping[str, str],
    depth: int,
    path: str = "",
) -> dict[str, Any]:
    """The members of one object, in DCS order, as elements in ``ns``."""
    out: dict[str, Any] = {}
    for name in sorted(obj, key=xml_order_key(contract)):
        where = f"{path}.{name}" if path else name
        out[_qualified(scope[ns], name)] = _xml_member(
            name, obj[name], scope=scope, depth=depth, path=where
        )
    return out


def _xml_member(name: str, value: Any, *, scope: Mapping[str, str], depth: int, path: str) -> Any:
    if value is None:
        return {"@i:nil": XML_TRUE}
    if isinstance(value, Mapping):
        ns = XML_NESTED_NS.get(name, XML_TYPES_NS)
        element: dict[str, Any] = {}
        inner = _declare(ns, scope, depth, element)
        element.update(
            _xml_members(value, contract=name, ns=ns, scope=inner, depth=depth + 1, path=path)
        )
        return element
    if isinstance(value, list):
        if not value:
            return ""
        item, ns = XML_LIST_ITEMS[name]  # a KeyError here is a list this module does not know
        element = {}
        inner = _declare(ns, scope, depth, element)
        items: list[Any] = []
        for index, one in enumerate(value):
            where = f"{path}[{index}]"
            if isinstance(one, Mapping):
                items.append(
                    _xml_members(
                        one, contract=item, ns=ns, scope=inner, depth=depth + 2, path=where
                    )
                )
            else:
                items.append(_xml_text(one, where))
        element[_qualified(inner[ns], item)] = items
        return element
    return _xml_text(value, path)


def _xml_text(value: Any, path: str) -> str:
    """A scalar as DCS writes it."""
    if isinstance(value, bool):
        return XML_TRUE if value else XML_FALSE
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        # DCS writes a DateTime as xs:dateTime (ISO-8601), here in Turkish time
        return value.astimezone(PROVIDER_TZ).isoformat()
    if isinstance(value, str):
        if _XML_FORBIDDEN.search(value):
            raise XmlCharacterError(path)
        return value
    raise TypeError(f"{path}: {type(value).__name__} has no XML form")


def _parse_xml(body: bytes) -> tuple[str, str, Any]:
    """``(namespace, local name, content)`` of a document's root element.

    Parsed by ``xmltodict`` with entities disabled (a DTD's entity raises),
    namespaces resolved (so prefixes do not matter) and whitespace kept (a
    text's spaces and newlines are its own).

    Raises:
        ValueError: not one well-formed XML document.
    """
    import xmltodict

    try:
        parsed = xmltodict.parse(
            body,
            disable_entities=True,
            process_namespaces=True,
            namespace_separator=_NS_SEP,
            strip_whitespace=False,
        )
    except Exception:  # ExpatError, ValueError (entities): not a readable document
        raise ValueError("not well-formed XML") from None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise ValueError("not one XML document")
    qname, content = next(iter(parsed.items()))
    ns, _, name = qname.rpartition(_NS_SEP)
    return ns, name, content


def _from_xml(content: Any, *, depth: int = 0) -> Any:
    """One element's content (as ``xmltodict`` gives it) as JSON-shaped data.

    Text stays text (an empty element is ``""``), ``i:nil`` is ``None``, an
    element with child elements is a dict of its members by local name, and
    the members named in :data:`XML_LIST_ITEMS` are lists. Namespaces and
    member order are not checked (the emulator reads requests as the
    gateway's serializer does, with a reader of its own).

    Raises:
        ValueError: elements nested deeper than :data:`MAX_NESTING`.
    """
    if depth > MAX_NESTING:
        raise ValueError("elements nested too deeply")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # one member written twice
        return [_from_xml(one, depth=depth + 1) for one in content]
    if not isinstance(content, dict):
        return content
    if content.get(_NIL) == XML_TRUE:
        return None
    members = [(k, v) for k, v in content.items() if not k.startswith("@") and k != "#text"]
    if not members:
        text = content.get("#text")
        return text if isinstance(text, str) else ""
    out: dict[str, Any] = {}
    for qname, value in members:
        _, _, name = qname.rpartition(_NS_SEP)
        if name in XML_LIST_ITEMS:
            out[name] = _list_from_xml(value, depth=depth + 1)
        else:
            out[name] = _from_xml(value, depth=depth + 1)
    return out


def _list_from_xml(content: Any, *, depth: int) -> Any:
    if depth > MAX_NESTING:
        raise ValueError("elements nested too deeply")
    if isinstance(content, list):  # the list member written twice
        return [_list_from_xml(one, depth=depth + 1) for one in content]
    if content is None or (isinstance(content, str) and not content.strip()):
        return []
    if not isinstance(content, dict):
        return content  # text where items belong: the reader refuses it
    if content.get(_NIL) == XML_TRUE:
        return None
    items: list[Any] = []
    for qname, value in content.items():
        if qname.startswith("@") or qname == "#text":
            continue
        for one in value if isinstance(value, list) else [value]:
            items.append(_from_xml(one, depth=depth + 1))
    return items


def read_xml_answer(response: HttpResponse, cls: type[Any]) -> dict[str, Any]:
    """An XML answer as the JSON-shaped dict ``cls`` is read from.

    Namespaces and member order are not checked (any prefix, any order); the
    root must be a response (:data:`XML_RESPONSE_SUFFIX`). Texts become the
    JSON types of ``cls``'s fields (:func:`_typed`), so the same converter
    reads both styles.

    Raises:
        MalformedResponse: not XML, an HTML page, or not a response document.
    """
    try:
        _, root, content = _parse_xml(response.body)
    except ValueError:
        raise response.unreadable("well-formed XML") from None
    if not root.endswith(XML_RESPONSE_SUFFIX):
        what = "an HTML page" if root.lower() == "html" else f"<{root[:40]}>, not a response"
        raise response.malformed(f"the answer is {what}")
    try:
        data = _from_xml(content)
    except ValueError as exc:
        raise response.malformed(f"the answer's {exc}") from None
    if data == "":
        data = {}
    if not isinstance(data, dict):
        raise response.malformed(f"<{root[:40]}> holds text instead of elements")
    typed: dict[str, Any] = _typed(data, cls)
    return typed


@functools.cache
def _member_types(cls: type[Any]) -> Mapping[str, Any]:
    """wire name -> the field's type, for a model in :data:`WIRE_NAMES`."""
    hints = typing.get_type_hints(cls)
    names = WIRE_NAMES[cls]
    return {names[f.name]: hints[f.name] for f in attrs.fields(cls) if f.name in names}


def _typed(value: Any, tp: Any) -> Any:
    """XML texts as the JSON types a model's field holds (ints, bools), so that the
    JSON converter reads them. A text that is not of its type is left as it is:
    the converter then refuses it (``MalformedResponse``), as it would in JSON."""
    if value is None:
        return None
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(options) != 1:
            return value
        tp = options[0]
    if isinstance(tp, type) and tp in WIRE_NAMES:
        if value == "":
            return {}
        if not isinstance(value, dict):
            return value
        fields = _member_types(tp)
        return {k: _typed(v, fields[k]) if k in fields else v for k, v in value.items()}
    if typing.get_origin(tp) is list:
        if not isinstance(value, list):
            return value
        (item,) = typing.get_args(tp)
        return [_typed(one, item) for one in value]
    if isinstance(value, str):
        text = value.strip()
        if tp is int and _XML_INT.fullmatch(text):
            return int(text)
        if tp is bool and text in (XML_TRUE, XML_FALSE):
            return text == XML_TRUE
    return value


# --------------------------------------------------------------------------- numbers and times


def msisdn(e164: str) -> int:
    """``+905321112233`` -> ``905321112233`` as the JSON number the gateway wants."""
    return int(e164.lstrip("+"))


def e164(raw: str) -> str:
    """A reported ``Msisdn`` back to E.164 (a bare 10-digit mobile is Turkish)."""
    digits = raw.lstrip("0") if len(raw) == 11 and raw.startswith("05") else raw
    if len(digits) == 10 and digits.startswith("5"):
        digits = "90" + digits
    return "+" + digits


def format_schedule(when: datetime) -> str:
    """An aware time as ISO-8601 Turkish local time with its offset (``...+03:00``)."""
    local = when.astimezone(PROVIDER_TZ)
    return local.replace(microsecond=0).isoformat()


_MS_DATE = re.compile(r"/Date\((-?[0-9]{1,15})(?:([+-])([0-9]{2})([0-9]{2}))?\)/")


def parse_time(raw: str | None) -> datetime | None:
    """A ServiceStack ``/Date(ms±hhmm)/`` or ISO-8601 time, aware, in Turkish time.

    ``ms`` counts from the Unix epoch in UTC (the offset only says where the
    time was written). An ISO time without an offset is Turkish local time
    (undocumented; our choice). Anything unreadable gives ``None``: a bad
    time never hides a recipient's state.
    """
    if not raw:
        return None
    text = raw.strip()
    match = _MS_DATE.fullmatch(text)
    try:
        if match:
            when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match[1]))
            return when.astimezone(PROVIDER_TZ)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=PROVIDER_TZ)
    try:
        return parsed.astimezone(PROVIDER_TZ)
    except (ValueError, OverflowError):
        return None


def servicestack_date(when: datetime) -> str:
    """``/Date(ms+0300)/``: ServiceStack's default JSON date (used by the emulator)."""
    local = when.astimezone(PROVIDER_TZ)
    ms = int((when - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))
    offset = local.strftime("%z")
    return f"/Date({ms}{offset})/"


# --------------------------------------------------------------------------- states


def recipient_state(detail: int | None, package: int | None) -> DeliveryState:
    """One number's normalised state from its detail state and its package's state."""
    package_state = PACKAGE_STATES.get(package) if package is not None else None
    if detail is None or detail == DETAIL_WAITING:
        if package_state in _PACKAGE_OVERRIDES:
            assert package_state is not None
            return package_state
        if detail is None:
            return DeliveryState.UNKNOWN
        if package in PACKAGE_IN_PROGRESS:
            return DeliveryState.QUEUED
    return DETAIL_STATES.get(detail, DeliveryState.UNKNOWN)


def package_state(raw: int | None) -> DeliveryState | None:
    if raw is None:
        return None
    return PACKAGE_STATES.get(raw, DeliveryState.UNKNOWN)


# --------------------------------------------------------------------------- reading answers

#: what to tell the user for each category (the gateway's own words follow)
_ADVICE: Mapping[Category, str] = {
    Category.AUTH: (
        "the gateway refused the credentials: check username and password. A missing or "
        "wrong reseller_id (ResellerID; this request sent {reseller}, Ekomesaj's is "
        f"{DEFAULT_RESELLER_ID}) gives this same error, so check it too"
    ),
    Category.INSUFFICIENT_CREDIT: "the account has not enough credit for this request",
    Category.INVALID_SENDER: (
        "the gateway refused the sender name: use a sender name (SenderName) approved "
        "for this account"
    ),
    Category.INVALID_RECIPIENT: "the gateway refused a recipient number",
    Category.MESSAGE_TOO_LONG: "the gateway refused the text as too long: shorten it",
    Category.ACCOUNT_INACTIVE: "the gateway says the account is inactive",
    Category.FORBIDDEN: "the gateway does not allow this account to do this",
    Category.RATE_LIMITED: "the gateway is limiting the request rate",
    Category.PROVIDER_ERROR: "the gateway reported an internal error",
    Category.INVALID_REQUEST: "the gateway refused the request as invalid",
    Category.UNKNOWN_MESSAGE: "the gateway has no package with this id on this account",
}


@attrs.frozen
class Failure:
    """A refused call, ready to become a typed error by ``ctx.error``."""

    category: Category
    message: str
    code: str | None
    http_status: int
    said: str | None


def _failure(
    category: Category,
    *,
    code: str | None,
    http_status: int,
    said: str | None,
    reseller_id: int,
    extra: str = "",
) -> Failure:
    text = _ADVICE[category].format(reseller=reseller_id)
    return Failure(category, text + extra, code, http_status, said or None)


def status_failure(
    status: Status,
    *,
    http_status: int,
    reseller_id: int,
    extra: str = "",
    error_codes: Mapping[str, Category] | None = None,
) -> Failure:
    """A business error (``Status.Code`` not 200) as a category: a code named in
    ``error_codes`` (the setting), else the gateway's words, else ``invalid_request``."""
    said = status.text
    known = (error_codes or {}).get(str(status.code)) if status.code is not None else None
    category = known or _classify(said) or Category.INVALID_REQUEST
    code = str(status.code) if status.code is not None else None
    return _failure(
        category,
        code=code,
        http_status=http_status,
        said=said,
        reseller_id=reseller_id,
        extra=extra,
    )


def servicestack_failure(
    error: ResponseStatus | None, *, http_status: int, reseller_id: int, extra: str = ""
) -> Failure:
    """A ServiceStack ``ResponseStatus`` error (or a bare HTTP error status)."""
    said = (error.message or "").strip() if error else ""
    if http_status >= 500:
        category = Category.PROVIDER_ERROR
    else:
        category = HTTP_STATUS_CATEGORIES.get(http_status) or Category.INVALID_REQUEST
        if category is Category.INVALID_REQUEST:
            category = _classify(said) or category
    code = (error.error_code or None) if error else None
    return _failure(
        category,
        code=code,
        http_status=http_status,
        said=said,
        reseller_id=reseller_id,
        extra=extra,
    )


def _classify(text: str) -> Category | None:

    return classify_text(text) if text else None


ErrorFactory = Callable[[Failure], "IletiError"]


#: the operations the document (or its metadata page) names
DOCUMENTED_OPERATIONS = frozenset({SEND_OPERATION, CREDIT_OPERATION, START_STOP_OPERATION})

#: where the gateway lists its operations (documented)
METADATA_PAGE = "/metadata"


def missing_operation(operation: str) -> str:
    """What to tell the user when the gateway has no ``operation`` (HTTP 404)."""
    if operation in DOCUMENTED_OPERATIONS:
        return f": the gateway has no operation {operation!r} at this address; check base_url"
    return (
        f": the gateway has no operation {operation!r}. The report operation's name is not "
        "documented (ileti's guess is " + repr(REPORT_OPERATION) + "): find it on the gateway's "
        f"operation list (base_url + {METADATA_PAGE!r}) and set the report_operation setting "
        "(ILETI_EKOMESAJ_REPORT_OPERATION) to it"
    )


def read_answer(
    response: HttpResponse,
    cls: type[T],
    *,
    operation: str,
    reseller_id: int,
    fail: ErrorFactory,
    style: str = DEFAULT_API_STYLE,
    error_codes: Mapping[str, Category] | None = None,
) -> T:
    """Read any Ekomesaj answer into ``cls``, raising the typed error for a refusal.

    Handles both error styles (``Status{Code,...}`` with HTTP 200 and
    ServiceStack's ``ResponseStatus`` with HTTP 4xx/5xx, in XML also inside
    ``<ErrorResponse>``), HTML or other unreadable bodies
    (``MalformedResponse``), and answers that are JSON or XML but not the
    documented shape (``MalformedResponse``). ``style`` is the codec
    (``json`` or ``xml``); everything after decoding is shared.
    """
    status = response.status
    try:
        data = decode_answer(response, cls, style)
    except MalformedResponse:
        if status == 404:
            raise fail(
                servicestack_failure(
                    None,
                    http_status=status,
                    reseller_id=reseller_id,
                    extra=missing_operation(operation),
                )
            ) from None
        if status in HTTP_STATUS_CATEGORIES or status >= 500:
            raise fail(
                servicestack_failure(None, http_status=status, reseller_id=reseller_id)
            ) from None
        raise
    if not isinstance(data, dict):
        raise response.malformed(f"the answer to {operation} is not a JSON object")
    # Any: a SendInstantSmsResponse, which cls is when it is not None
    plain: Any = _plain_send_answer(data) if cls is SendInstantSmsResponse else None
    error = None
    if plain is None:
        data = canonical_keys(data)
        error = _response_status(data.get("ResponseStatus"))
    if (error is not None and error.is_error) or not 200 <= status < 300:
        raise fail(servicestack_failure(error, http_status=status, reseller_id=reseller_id))
    try:
        # the usual answer to a send as read without the converter, else its keys spelt above
        answer: T = plain if plain is not None else _structure(data, cls)
    except ValueError as exc:
        reason = f"the answer to {operation} is not in the known shape ({exc})"
        if operation not in DOCUMENTED_OPERATIONS:
            reason += (
                "; the report's answer shape is inferred, not documented: if "
                f"{operation!r} is not the gateway's report operation, set the "
                "report_operation setting (ILETI_EKOMESAJ_REPORT_OPERATION) to the one its "
                f"operation list (base_url + {METADATA_PAGE!r}) names"
            )
        raise response.malformed(reason) from None
    wire_status: Status | None = getattr(answer, "status", None)
    if wire_status is None and hasattr(answer, "status"):
        # every documented answer carries Status{Code,...}: JSON without it
        # ({} or another service's object) is no answer of this gateway
        raise response.malformed(f"the answer to {operation} carries no Status")
    if wire_status is not None and not wire_status.ok:
        raise fail(
            status_failure(
                wire_status, http_status=status, reseller_id=reseller_id, error_codes=error_codes
            )
        )
    return answer


#: the members of a ``Status`` as the gateway spells them
_STATUS_KEYS = frozenset(WIRE_NAMES[Status].values())


def _plain_send_answer(data: dict[Any, Any]) -> SendInstantSmsResponse | None:
    """The usual answer to ``SendInstantSms`` read without the converter:
    ``{MessageID, Status{Code, Description, Message}}`` spelt as documented,
    with a JSON integer for each number and text or null for each text. It
    gives exactly what the converter would, at a fraction of the cost;
    anything else (other spellings or members, ``ResponseStatus``, a number as
    text) is None and takes the converter's way, which reads it or words the
    error as before."""
    message_id, status = data.get("MessageID"), data.get("Status")
    if type(message_id) is not int or type(status) is not dict or len(data) != 2:
        return None
    get = status.get
    code, description, message = get("Code"), get("Description"), get("Message")
    if (
        type(code) is not int
        or not (description is None or type(description) is str)
        or not (message is None or type(message) is str)
        or not status.keys() <= _STATUS_KEYS
    ):
        return None
    return SendInstantSmsResponse(
        message_id=message_id,
        status=Status(code=code, description=description, message=message),
    )


def _response_status(value: Any) -> ResponseStatus | None:
    """The answer's ``ResponseStatus`` (its keys spelt by :func:`canonical_keys` already)."""
    if not isinstance(value, dict):
        return None
    try:
        return _structure(value, ResponseStatus)
    except ValueError:
        return ResponseStatus(error_code=None, message=None)


def message_id_failure(
    answer: SendInstantSmsResponse, *, http_status: int, reseller_id: int
) -> Failure:
    """documented by public clients: ``MessageID`` 0 means the package was not created."""
    said = answer.status.text if answer.status else ""
    code = answer.status.code if answer.status else None
    return _failure(
        _classify(said) or Category.INVALID_REQUEST,
        code=str(code) if code is not None else None,
        http_status=http_status,
        said=said,
        reseller_id=reseller_id,
        extra=" (the gateway answered MessageID 0: the package was not created, nothing was sent)",
    )
