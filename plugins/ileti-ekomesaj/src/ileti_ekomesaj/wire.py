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
  mapping wire models to the core's domain models.

``cattrs`` is imported only when the converter is first needed, so importing
this module (and the plugin) stays cheap.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import attrs

from ileti.errors import MalformedResponse
from ileti.models import DeliveryState
from ileti.plugin import Category

if TYPE_CHECKING:
    import cattrs

    from ileti.errors import IletiError
    from ileti.http import HttpResponse

__all__ = [
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
    "STATUS_CODE_CATEGORIES",
    "STATUS_OK",
    "TEMPLATE_PLACEHOLDER",
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
#: codes are unpublished; these follow the reference's suggestion (401, 402,
#: 400) and HTTP semantics, and are what the emulator answers. A code in this
#: table decides the category; any other code (and the generic 400 and 404)
#: leaves it to the gateway's free text (``Status.Message``), classified by
#: keyword (:func:`ileti.plugin.classify_text`), else ``invalid_request``.
STATUS_CODE_CATEGORIES: Mapping[int, Category] = {
    401: Category.AUTH,
    402: Category.INSUFFICIENT_CREDIT,
    403: Category.FORBIDDEN,
    405: Category.INVALID_SENDER,
    406: Category.INVALID_RECIPIENT,
    407: Category.ACCOUNT_INACTIVE,
    413: Category.MESSAGE_TOO_LONG,
    429: Category.RATE_LIMITED,
    500: Category.PROVIDER_ERROR,
}

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


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    return value


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"expected a number, got {str(value)[:20]!r}") from None
    if not number.is_finite():
        raise ValueError("expected a finite number")
    return number


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
    """This plugin's own cattrs converter (built once, on first use)."""
    import cattrs
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    conv = cattrs.Converter()
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook(Decimal, _decimal)
    for cls, names in WIRE_NAMES.items():
        omit = _OMIT_IF_DEFAULT.get(cls, frozenset())
        un_overrides: dict[str, Any] = {
            attr: override(rename=name, omit_if_default=attr in omit)
            for attr, name in names.items()
        }
        st_overrides: dict[str, Any] = {attr: override(rename=name) for attr, name in names.items()}
        if cls is ReportDetail:
            st_overrides["msisdn"] = override(rename=names["msisdn"], struct_hook=_msisdn)
        conv.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, conv, **un_overrides))
        conv.register_structure_hook(
            cls, _objects_only(make_dict_structure_fn(cls, conv, **st_overrides))
        )
    return conv


def _objects_only(structure: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A model is structured from a JSON object only (``"ok"`` is not a ``Status``)."""

    def checked(value: Any, cls: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected a JSON object, got {type(value).__name__}")
        return structure(value, cls)

    return checked


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
    import cattrs

    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return converter().structure(canonical_keys(data), cls)
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
    status: Status, *, http_status: int, reseller_id: int, extra: str = ""
) -> Failure:
    """A business error (``Status.Code`` not 200) as a category: a known specific
    code, else the gateway's words, else ``invalid_request``."""
    said = status.text
    known = STATUS_CODE_CATEGORIES.get(status.code) if status.code is not None else None
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
    from ileti.plugin import classify_text

    return classify_text(text) if text else None


ErrorFactory = Callable[[Failure], "IletiError"]


def read_answer(
    response: HttpResponse,
    cls: type[T],
    *,
    operation: str,
    reseller_id: int,
    fail: ErrorFactory,
) -> T:
    """Read any Ekomesaj answer into ``cls``, raising the typed error for a refusal.

    Handles both error styles (``Status{Code,...}`` with HTTP 200 and
    ServiceStack's ``ResponseStatus`` with HTTP 4xx/5xx), HTML or other
    non-JSON bodies (``MalformedResponse``), and answers that are JSON but
    not the documented shape (``MalformedResponse``).
    """
    status = response.status
    try:
        data = response.json()
    except MalformedResponse:
        if status == 404:
            raise fail(
                servicestack_failure(
                    None,
                    http_status=status,
                    reseller_id=reseller_id,
                    extra=(
                        f": the gateway has no operation {operation!r} at this address; check "
                        "base_url (and report_operation, whose name is undocumented)"
                    ),
                )
            ) from None
        if status in HTTP_STATUS_CATEGORIES or status >= 500:
            raise fail(
                servicestack_failure(None, http_status=status, reseller_id=reseller_id)
            ) from None
        raise
    if not isinstance(data, dict):
        raise response.malformed(f"the answer to {operation} is not a JSON object")
    data = canonical_keys(data)
    error = _response_status(data.get("ResponseStatus"))
    if (error is not None and error.is_error) or not 200 <= status < 300:
        raise fail(servicestack_failure(error, http_status=status, reseller_id=reseller_id))
    try:
        answer = from_wire(data, cls)
    except ValueError as exc:
        reason = f"the answer to {operation} is not in the known shape ({exc})"
        raise response.malformed(reason) from None
    wire_status: Status | None = getattr(answer, "status", None)
    if wire_status is not None and not wire_status.ok:
        raise fail(status_failure(wire_status, http_status=status, reseller_id=reseller_id))
    return answer


def _response_status(value: Any) -> ResponseStatus | None:
    if not isinstance(value, dict):
        return None
    try:
        return from_wire(value, ResponseStatus)
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
