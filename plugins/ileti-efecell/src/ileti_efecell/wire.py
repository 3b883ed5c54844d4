"""Efecell's wire format (API v2): models, converter, tables and mapping.

Everything that knows an Efecell JSON name, code or quirk is in this module:

- attrs wire models shaped like the JSON, structured and unstructured by this
  plugin's own cattrs converter (renames keep Python names snake_case);
- the ``{"status": {...}, "response": ...}`` envelope and the one function that
  reads it (:func:`read`), whatever the HTTP status;
- the raw state tables (package and per recipient) and the raw error table;
- the mapping from wire models to ileti's domain models;
- every choice made where the reference says *inferred* or *undocumented*,
  as a named constant with its reason.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from json.encoder import encode_basestring
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ileti.plugin import (
    Balance,
    BalanceUnit,
    Category,
    DeliveryReport,
    DeliveryState,
    IletiError,
    InvalidRecipient,
    RecipientReport,
    RecipientResult,
    Sender,
    SenderState,
    SendResult,
    classify_text,
    excerpt,
    normalise_number,
)

if TYPE_CHECKING:
    import cattrs

    from ileti.plugin import Context, HttpResponse
    from ileti_efecell.settings import EfecellSettings

__all__ = [
    "BALANCE_PATH",
    "BASIC_PATH",
    "DETAIL_STATES",
    "ERRORS",
    "MULTI_PATH",
    "ORIGINATORS_DETAILED_PATH",
    "ORIGINATORS_PATH",
    "PACKAGE_STATES",
    "REPORT_PATH",
    "SENDER_STATES",
    "BalanceBody",
    "BasicRequest",
    "Envelope",
    "MultiItem",
    "MultiRequest",
    "Originator",
    "OriginatorsBody",
    "ReportBody",
    "ReportDetail",
    "ReportPackage",
    "ReportRequest",
    "SendBody",
    "SentPackage",
    "Status",
    "converter",
    "multi_body",
    "multi_json",
    "read",
]

T = TypeVar("T")

# -- endpoints -------------------------------------------------------------------

BASIC_PATH = "/v2/sms/basic"
MULTI_PATH = "/v2/sms/multi"
REPORT_PATH = "/v2/get/report"
BALANCE_PATH = "/v2/get/balance"
ORIGINATORS_PATH = "/v2/get/originators"
ORIGINATORS_DETAILED_PATH = "/v2/get/originators/detailed"

#: the scheme word of the Authorization header (``Key``, not ``Bearer``)
AUTH_SCHEME = "Key"

# -- choices where the reference is silent (one place) ------------------------------

#: Recipients per request are undocumented; the reference suggests chunks of
#: at most 1,000. The client refuses bigger sends (one package id per send).
MAX_RECIPIENTS = 1000

#: The time zone of ``details[].time`` is undocumented: Europe/Istanbul
#: (UTC+3 all year since 2016, used as a fallback when no tz database exists).
PROVIDER_TIME_ZONE = "Europe/Istanbul"
_FALLBACK_ZONE = timezone(timedelta(hours=3), "+03")

#: ``details[].time`` values that mean "no time yet" (undocumented; an empty
#: string and the MySQL zero date are what PHP back ends commonly print).
NO_TIME = frozenset({"", "0000-00-00 00:00:00"})

#: Efecell's ``status.code`` is documented as mirroring HTTP. A code missing
#: from :data:`ERRORS` is read by its class (undocumented): 429 rate limited,
#: any other 5xx a provider error, anything else an invalid request.
RATE_LIMITED_CODE = 429

#: The document lists "no number, no message, invalid originator" under 400;
#: the description text itself is undocumented, so it is read by the core's
#: keyword table (ileti.plugin.classify_text), limited to these categories.
DESCRIBED_400 = (Category.INVALID_SENDER, Category.INVALID_RECIPIENT, Category.UNKNOWN_MESSAGE)


def provider_zone() -> tzinfo:
    """Europe/Istanbul, or UTC+3 where the system has no time zone database."""
    return _zone()


@functools.cache
def _zone() -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(PROVIDER_TIME_ZONE)
    except ZoneInfoNotFoundError:
        return _FALLBACK_ZONE


# -- raw tables ----------------------------------------------------------------------

#: ``response.message.status`` of a report (package level)
PACKAGE_STATES: Mapping[int, DeliveryState] = MappingProxyType(
    {
        0: DeliveryState.QUEUED,  # waiting
        1: DeliveryState.SENT,  # sent
        2: DeliveryState.SENT,  # sent, report complete (recipients carry the outcome)
        3: DeliveryState.SENT,  # sent, refunds processed (some undelivered)
        4: DeliveryState.SCHEDULED,  # future-dated
        10: DeliveryState.QUEUED,  # awaiting approval
        91: DeliveryState.FAILED,  # not sent: insufficient balance
        92: DeliveryState.CANCELLED,  # not sent: sending had been stopped
        93: DeliveryState.FAILED,  # not sent: technical failure
        94: DeliveryState.REJECTED,  # sending blocked
        95: DeliveryState.CANCELLED,  # cancelled
    }
)

#: ``details[].status`` of a report (per recipient); 0 (waiting) is derived
#: from the package status, see :func:`recipient_state`
WAITING = 0
DETAIL_STATES: Mapping[int, DeliveryState] = MappingProxyType(
    {
        1: DeliveryState.DELIVERED,  # delivered
        2: DeliveryState.UNDELIVERED,  # not delivered
        99: DeliveryState.UNKNOWN,  # no information
    }
)

#: package statuses during which a waiting recipient is with the operator
_HANDED_OVER = frozenset({1, 2, 3})
#: package states that apply to every recipient still waiting
_PACKAGE_WIDE = frozenset({DeliveryState.REJECTED, DeliveryState.FAILED, DeliveryState.CANCELLED})

#: ``originators[].status`` of ``/v2/get/originators/detailed``; an unknown
#: status is read as inactive (only status 1 can send)
SENDER_STATES: Mapping[int, SenderState] = MappingProxyType(
    {0: SenderState.PENDING, 1: SenderState.APPROVED, 2: SenderState.INACTIVE}
)


@attrs.frozen
class ErrorInfo:
    """How a documented ``status.code`` maps to the error tree, and what to say."""

    category: Category
    message: str


#: ``status.code`` -> category and a message that says what to fix
ERRORS: Mapping[int, ErrorInfo] = MappingProxyType(
    {
        400: ErrorInfo(
            Category.INVALID_REQUEST,
            "Efecell refused the request as invalid (a number, the text or the sender is "
            "missing or wrong): check the message",
        ),
        401: ErrorInfo(
            Category.AUTH,
            "Efecell refused the API key: check the api_key setting (ILETI_EFECELL_API_KEY); "
            "the key is on the Efecell panel under Settings > API Key",
        ),
        402: ErrorInfo(
            Category.INSUFFICIENT_CREDIT,
            "the Efecell account has too little credit for this send",
        ),
        403: ErrorInfo(
            Category.FORBIDDEN,
            "the Efecell account is not authorised for this operation",
        ),
        406: ErrorInfo(
            Category.INVALID_RECIPIENT,
            "Efecell cannot send SMS to a number of this message: Efecell takes Turkish "
            "mobile numbers (5xx xxx xx xx)",
        ),
        407: ErrorInfo(Category.ACCOUNT_INACTIVE, "the Efecell account is not active"),
        413: ErrorInfo(
            Category.MESSAGE_TOO_LONG,
            "the text is longer than Efecell allows (4 parts: 612 GSM-7 characters, 268 "
            "UCS-2 characters): shorten it",
        ),
        500: ErrorInfo(
            Category.PROVIDER_ERROR,
            "Efecell reported a server error; try again later",
        ),
    }
)

_SENDER_400 = (
    "Efecell refused the sender name (originator): use one that is approved on the account "
    "(client.senders() lists them)"
)
_RECIPIENT_400 = "Efecell refused the recipients: give at least one Turkish mobile number"
_UNKNOWN_400 = "Efecell has no message with this id on this account"


def error_info(code: int, description: str | None) -> ErrorInfo:
    """The category and message for a failed ``status.code`` (and its description)."""
    if code == 400 and description:
        said = classify_text(description, among=DESCRIBED_400)
        if said is Category.INVALID_SENDER:
            return ErrorInfo(Category.INVALID_SENDER, _SENDER_400)
        if said is Category.INVALID_RECIPIENT:
            return ErrorInfo(Category.INVALID_RECIPIENT, _RECIPIENT_400)
        if said is Category.UNKNOWN_MESSAGE:
            return ErrorInfo(Category.UNKNOWN_MESSAGE, _UNKNOWN_400)
    known = ERRORS.get(code)
    if known is not None:
        return known
    if code == RATE_LIMITED_CODE:
        return ErrorInfo(Category.RATE_LIMITED, "Efecell is rate limiting this account")
    if 500 <= code < 600:
        return ErrorInfo(Category.PROVIDER_ERROR, f"Efecell reported an error ({code})")
    return ErrorInfo(Category.INVALID_REQUEST, f"Efecell refused the request ({code})")


# -- wire models ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Status:
    """``status`` of every answer."""

    code: int
    successful: bool
    description: str | None = None


@attrs.frozen(kw_only=True)
class Envelope:
    """Every answer: ``{"status": {...}, "response": {...} or []}``."""

    status: Status
    response: Any = None


@attrs.frozen(kw_only=True)
class BasicRequest:
    """``POST /v2/sms/basic``: one text to many numbers."""

    originator: str
    text: str  # "message"
    recipients: list[str]  # "to"
    encoding: str


@attrs.frozen  # positional: a campaign builds one per recipient
class MultiItem:
    """One entry of ``messages`` in ``POST /v2/sms/multi``."""

    recipient: str  # "to"
    text: str  # "message"


@attrs.frozen(kw_only=True)
class MultiRequest:
    """``POST /v2/sms/multi``: a text per number."""

    originator: str
    messages: list[MultiItem]
    encoding: str


@attrs.frozen(kw_only=True)
class ReportRequest:
    """``/v2/get/report``: ``{"id": 13544}``."""

    package_id: int  # "id"


@attrs.frozen(kw_only=True)
class SentPackage:
    """``response.message`` of a send.

    ``count`` fits the number of recipients, ``price`` the credits per
    recipient and ``total_price`` the credits charged (inferred; undefined in
    the document). ``multi`` answers carry no ``message`` or ``price``.
    """

    package_id: int  # "id"
    originator: str | None = None
    text: str | None = None  # "message"
    count: int | None = None
    price: Decimal | None = None
    total_price: Decimal | None = None


@attrs.frozen(kw_only=True)
class SendBody:
    message: SentPackage


@attrs.frozen(kw_only=True)
class ReportDetail:
    """One entry of ``details``: one recipient."""

    recipient: str  # "to"
    status: int
    text: str | None = None  # "message"
    price: Decimal | None = None
    time: str | None = None


@attrs.frozen(kw_only=True)
class ReportPackage:
    """``response.message`` of a report."""

    package_id: int  # "id"
    status: int
    originator: str | None = None
    text: str | None = None  # "message"
    count: int | None = None
    price: Decimal | None = None
    details: list[ReportDetail] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class ReportBody:
    message: ReportPackage


@attrs.frozen(kw_only=True)
class BalanceBody:
    balance: Decimal


@attrs.frozen(kw_only=True)
class Originator:
    name: str
    status: int


@attrs.frozen(kw_only=True)
class OriginatorsBody:
    originators: list[Originator]


# -- the converter -------------------------------------------------------------------

#: Python field name -> wire name, per model (the only place wire names live)
_RENAMES: Mapping[type[Any], Mapping[str, str]] = MappingProxyType(
    {
        BasicRequest: {"text": "message", "recipients": "to"},
        MultiItem: {"recipient": "to", "text": "message"},
        ReportRequest: {"package_id": "id"},
        SentPackage: {"package_id": "id", "text": "message"},
        ReportDetail: {"recipient": "to", "text": "message"},
        ReportPackage: {"package_id": "id", "text": "message"},
    }
)


def _int(value: Any, _: type) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())  # the document types originator status as "string"
    raise ValueError(f"expected a whole number, got {type(value).__name__}")


def _bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1) and isinstance(value, int):
        return bool(value)
    raise ValueError(f"expected true or false, got {type(value).__name__}")


@functools.cache
def converter() -> cattrs.Converter:
    """The plugin's own converter (built once, on first use): the core's strict
    one, with Efecell's readings on top: a whole number may come as a JSON
    number, an integral float or digits in text, a text as a JSON number, a
    boolean as 0 or 1."""
    from ileti.plugin import strict_converter, text_or_number

    conv = strict_converter(_RENAMES, scalars={int: _int, str: text_or_number, bool: _bool})
    # a batch's messages (up to 500 a request) in one comprehension: the
    # generated hook per item cost a campaign about 0.5 µs a recipient
    to, message = _RENAMES[MultiItem]["recipient"], _RENAMES[MultiItem]["text"]

    def unstructure_messages(items: list[MultiItem]) -> list[dict[str, str]]:
        return [{to: item.recipient, message: item.text} for item in items]

    conv.register_unstructure_hook_func(lambda t: t == list[MultiItem], unstructure_messages)
    return conv


def unstructure(obj: Any) -> Any:
    """A wire model as JSON-ready data."""
    return converter().unstructure(obj)


def multi_body(originator: str, messages: Iterable[tuple[str, str]], encoding: str) -> Any:
    """``unstructure(MultiRequest(...))`` straight from ``(number, text)``
    pairs (national numbers), without a :class:`MultiItem` per recipient: a
    campaign's request carries 500 of them."""
    body = unstructure(MultiRequest(originator=originator, messages=[], encoding=encoding))
    to, message = _RENAMES[MultiItem]["recipient"], _RENAMES[MultiItem]["text"]
    key = _RENAMES.get(MultiRequest, {}).get("messages", "messages")
    body[key] = [{to: number, message: text} for number, text in messages]
    return body


#: a text as a JSON string, as HttpRequest.json_body writes one (ensure_ascii=False)
_json_string = encode_basestring


def multi_json(originator: str, numbers: Iterable[str], texts: Iterable[str], encoding: str) -> str:
    """The JSON text ``HttpRequest.json_body`` makes of ``multi_body(originator,
    zip(numbers, texts), encoding)``, each message written straight from its
    number and text: no dict a recipient for the encoder to walk (a
    campaign's request carries 500)."""
    head = json.dumps(
        multi_body(originator, (), encoding), ensure_ascii=False, separators=(",", ":")
    )
    key = _RENAMES.get(MultiRequest, {}).get("messages", "messages")
    # the empty list of messages, found by its key: a JSON object's keys are
    # distinct, and no string in it can hold `"key":[` (its quotes are escaped)
    empty = _json_string(key) + ":[]"
    at = head.index(empty) + len(empty) - 1
    to, message = _RENAMES[MultiItem]["recipient"], _RENAMES[MultiItem]["text"]
    one = "{" + _json_string(to).replace("%", "%%") + ":%s,"
    one += _json_string(message).replace("%", "%%") + ":%s}"
    pairs = zip(map(_json_string, numbers), map(_json_string, texts), strict=True)
    messages = ",".join(map(one.__mod__, pairs))
    return head[:at] + messages + head[at:]


def structure(data: Any, cls: type[T]) -> T:
    """Data as a wire model; any mismatch raises ``ValueError``."""
    from cattrs.errors import BaseValidationError

    try:
        return converter().structure(data, cls)
    except (BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"not a valid {cls.__name__}: {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    """The first leaf of a (possibly grouped) cattrs error, briefly."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}" if exc.args else "a field is missing"
    return str(exc) or type(exc).__name__


# -- reading answers -----------------------------------------------------------------


def _excerpt(response: HttpResponse) -> str | None:
    return excerpt(response.body)


def _failure(
    ctx: Context[EfecellSettings], response: HttpResponse, code: int, description: str | None
) -> IletiError:
    info = error_info(code, description)
    message = info.message
    if description:
        said = excerpt(description, 120)
        message = f"{message} (Efecell says: {said!r})"
    return ctx.error(
        info.category,
        message,
        code=str(code),
        http_status=response.status,
        excerpt=_excerpt(response),
    )


# -- the usual answers, read without the converter -----------------------------------
#
# Every send reads an envelope and a SendBody. When each value has the plain JSON
# type the document gives it (an integer, a boolean, text or null), these build
# exactly what the converter would, at a fraction of the cost; anything else
# (a number as text, a float, a missing field) returns None and takes the
# converter's way, which reads it or words the error as before.


def _plain_text(data: dict[str, Any], key: str) -> tuple[bool, str | None]:
    value = data.get(key)
    return (value is None or type(value) is str), value


def _plain_whole(data: dict[str, Any], key: str) -> tuple[bool, int | None]:
    value = data.get(key)
    return (value is None or type(value) is int), value


def _plain_envelope(data: dict[str, Any]) -> Envelope | None:
    status = data["status"]  # a dict: checked by the caller
    code, successful = status.get("code"), status.get("successful")
    plain, description = _plain_text(status, "description")
    if type(code) is not int or type(successful) is not bool or not plain:
        return None
    return Envelope(
        status=Status(code=code, successful=successful, description=description),
        response=data.get("response"),
    )


def _plain_send_body(data: Any) -> SendBody | None:
    if type(data) is not dict:
        return None
    package = data.get("message")
    if type(package) is not dict:
        return None
    package_id = package.get("id")
    ok_originator, originator = _plain_text(package, "originator")
    ok_text, text = _plain_text(package, "message")
    ok_count, count = _plain_whole(package, "count")
    ok_price, price = _plain_whole(package, "price")
    ok_total, total = _plain_whole(package, "total_price")
    if type(package_id) is not int or not (
        ok_originator and ok_text and ok_count and ok_price and ok_total
    ):
        return None
    return SendBody(
        message=SentPackage(
            package_id=package_id,
            originator=originator,
            text=text,
            count=count,
            price=None if price is None else Decimal(price),
            total_price=None if total is None else Decimal(total),
        )
    )


def read(ctx: Context[EfecellSettings], response: HttpResponse, body: type[T]) -> T:
    """The ``response`` part of an Efecell answer as ``body``, or the typed error.

    The envelope is read whatever the HTTP status. A body that is not the
    envelope falls back to the HTTP status when that is a documented error
    code, and is otherwise a ``MalformedResponse``.
    """
    try:
        data = response.json()
    except IletiError:
        if response.status in ERRORS:
            raise _failure(ctx, response, response.status, None) from None
        raise
    if not isinstance(data, dict) or not isinstance(data.get("status"), dict):
        if response.status in ERRORS:
            raise _failure(ctx, response, response.status, None)
        raise response.malformed("the answer is not Efecell's {status, response} envelope")
    try:
        envelope = _plain_envelope(data) or structure(data, Envelope)
    except ValueError as exc:
        raise response.malformed(f"the answer's status is unreadable ({exc})") from None
    status = envelope.status
    if not status.successful or not 200 <= status.code < 300:
        raise _failure(ctx, response, status.code, status.description)
    if body is SendBody:
        plain = _plain_send_body(envelope.response)
        if plain is not None:
            return plain  # type: ignore[return-value]
    try:
        return structure(envelope.response, body)
    except ValueError as exc:
        raise response.malformed(f"the answer's response is unreadable ({exc})") from None


# -- wire -> domain ------------------------------------------------------------------


def number_from_wire(value: str) -> str:
    """A report's ``to`` (``5321112233``) as E.164; kept as given when unparseable."""
    digits = value.strip()
    if len(digits) == 10 and digits.isdigit() and digits[0] != "0":
        return "+90" + digits

    try:
        return normalise_number(digits)
    except InvalidRecipient:
        return value


def parse_time(value: str | None) -> datetime | None:
    """``"2018-04-04 06:44:35"`` (Istanbul time) as an aware datetime.

    Raises ``ValueError`` for text that is not a date and time.
    """
    if value is None or value.strip() in NO_TIME:
        return None
    when = datetime.fromisoformat(value.strip())
    if when.tzinfo is None:
        when = when.replace(tzinfo=provider_zone())
    return when


def recipient_state(detail_status: int, package_status: int) -> DeliveryState:
    """A recipient's normalised state from its raw status and its package's.

    ``0`` (waiting) depends on the package: scheduled while the package is
    future-dated, sent once it was handed over (1/2/3), the package's state
    when the whole package failed, was refused or cancelled, else queued.
    """
    if detail_status != WAITING:
        return DETAIL_STATES.get(detail_status, DeliveryState.UNKNOWN)
    package = PACKAGE_STATES.get(package_status, DeliveryState.UNKNOWN)
    if package is DeliveryState.SCHEDULED:
        return DeliveryState.SCHEDULED
    if package_status in _HANDED_OVER:
        return DeliveryState.SENT
    if package in _PACKAGE_WIDE:
        return package
    return DeliveryState.QUEUED


def send_result(
    provider: str,
    body: SendBody,
    recipients: Sequence[str],
    *,
    parts: int,
    client_ref: str,
) -> SendResult:
    """A send's answer: every recipient accepted under one package id.

    ``parts`` is the client's count (Efecell reports no part count; its
    ``price`` is a price); ``credits`` is ``total_price`` when present.
    """
    package = body.message
    return SendResult(
        provider=provider,
        message_id=str(package.package_id),
        recipients=RecipientResult.all_accepted(recipients),
        client_ref=client_ref,
        parts=parts,
        credits=package.total_price,
    )


def delivery_report(
    provider: str,
    message_id: str,
    body: ReportBody,
    *,
    known_recipients: Sequence[str] = (),
) -> DeliveryReport:
    """A report's answer. Without ``details``, recipients this client sent the
    package to (``known_recipients``) get the package-derived state."""
    package = body.message
    raw_package = str(package.status)
    recipients: list[RecipientReport] = []
    for detail in package.details:
        try:
            when = parse_time(detail.time)
        except ValueError:
            raise ValueError(f"details[].time {detail.time!r} is not a date and time") from None
        recipients.append(
            RecipientReport(
                number=number_from_wire(detail.recipient),
                state=recipient_state(detail.status, package.status),
                raw_state=str(detail.status),
                time=when,
            )
        )
    if not package.details:
        state = recipient_state(WAITING, package.status)
        # the raw state shown is the package's: Efecell gave none per recipient
        recipients = [RecipientReport(n, state, raw_package) for n in known_recipients]
    return DeliveryReport(
        provider=provider,
        message_id=message_id,
        recipients=tuple(recipients),
        package_state=PACKAGE_STATES.get(package.status, DeliveryState.UNKNOWN),
        raw_package_state=raw_package,
    )


def balance(provider: str, body: BalanceBody) -> Balance:
    """``response.balance``: SMS credits."""
    return Balance(provider=provider, amount=body.balance, unit=BalanceUnit.CREDITS)


def senders(body: OriginatorsBody) -> list[Sender]:
    """``response.originators`` with their states."""
    return [
        Sender(o.name, SENDER_STATES.get(o.status, SenderState.INACTIVE)) for o in body.originators
    ]
