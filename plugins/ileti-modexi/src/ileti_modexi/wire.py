"""Modexi's wire format, its tables, and the mapping to ileti's domain models.

Everything that knows a Modexi field name, status code or error code is in
this module:

* attrs models shaped like the JSON (Python names in snake_case; the
  camelCase wire names live only in this module's own cattrs converter),
* the report status table (``status.code`` -> :class:`DeliveryState`) and
  the error table (``errorCode`` -> :class:`Category`),
* every value the reference leaves undocumented, as a named constant.

Reference: ``providers/modexi.md`` (original: ``original/modexi.txt``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ileti.plugin import (
    Balance,
    BalanceUnit,
    Category,
    DeliveryState,
    InvalidRecipient,
    RecipientReport,
    Sender,
    SenderState,
    classify_text,
    international,
    normalise_number,
)

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "ADVICE",
    "DEFAULT_VALIDITY_MINUTES",
    "MAX_PARTS",
    "MAX_RECIPIENTS",
    "PANEL_LOGIN_LIFETIME",
    "PANEL_LOGIN_URL",
    "REPORT_LIMIT",
    "STATES",
    "SUCCESS",
    "BalanceAnswer",
    "Destination",
    "Envelope",
    "PanelToken",
    "ReportItem",
    "ReportRequest",
    "SendAnswer",
    "SendRequest",
    "SenderItem",
    "converter",
]

T = TypeVar("T")

# -- decided values (the reference is silent; see docs/providers/modexi.md) ----------

#: ``errorCode`` of a successful call (documented)
SUCCESS = "200"

#: the password-less panel login a ``privateKey`` opens (documented), and how
#: long the gateway takes it: 3 minutes, from the address that asked (documented)
PANEL_LOGIN_URL = "https://portal.modexi.com/login/auth?hash={key}"
PANEL_LOGIN_LIFETIME = timedelta(minutes=3)

#: ``validityPeriod`` sent when the caller gives none. Undocumented default;
#: 2880 minutes (48 h) is the gateway's maximum and the value it falls back to
#: for out-of-range periods (documented), so sending it is explicit and safe.
DEFAULT_VALIDITY_MINUTES = 2880

#: Most parts one message may have. **Undocumented**: Modexi segments texts
#: itself and publishes no length limit. Chosen: 6 parts (918 GSM-7 characters,
#: 402 UCS-2), a limit Turkish operators commonly accept for concatenated SMS.
MAX_PARTS = 6

#: Destinations per request. **Undocumented**; the reference suggests chunking
#: at 1,000. The core refuses a larger send before any request.
MAX_RECIPIENTS = 1000

#: ``limit`` of a report request: the documented default (1000 rows)
REPORT_LIMIT = 1000
#: The report call has no paging parameter. When a page comes back full, the
#: plugin asks again with twice the limit, up to this many rows.
REPORT_LIMIT_MAX = 64_000

#: ``scheduledDate``: UTC, ISO-8601 without offset (documented sample
#: ``2013-08-23T09:15:00``); no trailing ``Z`` (its acceptance is undocumented)
SCHEDULE_FORMAT = "%Y-%m-%dT%H:%M:%S"
#: ``scheduledDate`` for an immediate send (documented: "must be sent empty")
SEND_NOW = ""


#: the time zone of ``sentAt`` / ``doneAt``, which the document leaves open.
#: **Chosen: UTC**, for two reasons: the one time the document does specify,
#: ``scheduledDate``, is UTC (it insists that Turkish local times be converted),
#: and the API copies Infobip's v1 SMS API, whose reports give ``sentAt`` and
#: ``doneAt`` in UTC. A time that carries an offset is read with its offset.
REPORT_ZONE: tzinfo = UTC

# -- report status codes ---------------------------------------------------------------

#: ``status.code`` of a report row -> normalised state: only what the document
#: says. Modexi does not publish its "message status list": any other code is
#: ``unknown`` with the raw code kept, unless the ``state_codes`` setting names
#: it (the emulator hands over its own invented codes that way).
STATES: Mapping[int, DeliveryState] = MappingProxyType(
    {
        # documented: "10 = successful"
        10: DeliveryState.DELIVERED,
        # inferred: the sample shows 300 with an empty name and doneAt (pending)
        300: DeliveryState.SENT,
    }
)


def state_for(code: int, extra: Mapping[int, DeliveryState] | None = None) -> DeliveryState:
    """The normalised state of a report ``status.code``."""
    if extra and code in extra:
        return extra[code]
    return STATES.get(code, DeliveryState.UNKNOWN)


# -- errors ----------------------------------------------------------------------------


@attrs.frozen
class ErrorKind:
    """What an ``errorCode`` means and what the user should do about it."""

    category: Category
    advice: str


#: what to tell the user for each category an ``errorCode`` is known (through the
#: ``error_codes`` setting) or read (from its description's words) to mean
ADVICE: Mapping[Category, str] = MappingProxyType(
    {
        Category.INVALID_REQUEST: "Modexi refused the request as invalid; check its fields",
        Category.AUTH: "Modexi refused the credentials: check the username and password "
        "settings (ILETI_MODEXI_USERNAME, ILETI_MODEXI_PASSWORD)",
        Category.INSUFFICIENT_CREDIT: "the Modexi account has not enough SMS credit for this send",
        Category.FORBIDDEN: "the Modexi account may not do this",
        Category.INVALID_RECIPIENT: "Modexi refused a destination number: give numbers such as "
        "+90 532 111 22 33",
        Category.ACCOUNT_INACTIVE: "the Modexi account is not active",
        Category.MESSAGE_TOO_LONG: "Modexi refused the text as too long: shorten it "
        f"(at most {MAX_PARTS} parts)",
        Category.INVALID_SENDER: "Modexi does not accept this sender name: use an approved one "
        "(client.senders())",
        Category.RATE_LIMITED: "Modexi is rate limiting this account",
        Category.UNKNOWN_MESSAGE: "Modexi has no message with this id on this account",
        Category.PROVIDER_ERROR: "Modexi reported an internal error",
    }
)

#: HTTP status -> category, by HTTP's own meaning (RFC 9110), for an answer whose
#: ``errorCode`` is not known: the status is real protocol, the code is not
HTTP_STATUSES: Mapping[int, Category] = MappingProxyType(
    {
        400: Category.INVALID_REQUEST,
        401: Category.AUTH,
        403: Category.FORBIDDEN,
        404: Category.INVALID_REQUEST,
        429: Category.RATE_LIMITED,
    }
)


def error_kind(
    code: str,
    description: str,
    *,
    http_status: int | None = None,
    extra: Mapping[str, Category] | None = None,
) -> ErrorKind:
    """Classify an ``errorCode`` (``code``; with no envelope, the HTTP status).

    Only "200 = success" is documented; Modexi's "status code list" is not
    published, so ileti gives no code a meaning of its own. In order: the
    ``error_codes`` setting (``extra``); the description's words
    (:func:`ileti.plugin.classify_text`); the HTTP status by HTTP's meaning
    (401, 403, 429, 5xx); else a refusal of unknown meaning (``Rejected``) that
    names the raw code.
    """
    known = (extra or {}).get(code.strip())
    if known is not None:
        return ErrorKind(known, ADVICE[known])

    category = classify_text(description) if description else None
    if category is None and http_status is not None:
        category = HTTP_STATUSES.get(http_status)
        if category is None and 500 <= http_status < 600:
            category = Category.PROVIDER_ERROR
    if category is not None:
        return ErrorKind(category, ADVICE[category])
    said = f": {description.strip()!r}" if description.strip() else ""
    return ErrorKind(
        Category.INVALID_REQUEST,
        f"Modexi refused the request with errorCode {code}{said}; Modexi does not publish what "
        "its codes mean (name it in the error_codes setting once known)",
    )


# -- wire models -----------------------------------------------------------------------


@attrs.frozen
class Envelope:
    """``{"errorCode": 200, "errorDescription": "...", "result": ...}`` around every answer."""

    error_code: str
    error_description: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.error_code == SUCCESS


@attrs.frozen
class Destination:
    to: str


@attrs.frozen
class SendRequest:
    """Body of ``POST /sms/1/advanced``."""

    from_: str
    text: str
    validity_period: int
    scheduled_date: str
    destinations: tuple[Destination, ...]


@attrs.frozen
class SendAnswer:
    """``result`` of a send: the submission's code (``messages`` is normally empty)."""

    message_code: str
    messages: tuple[Any, ...] | None = None


@attrs.frozen
class ReportRequest:
    """Body of ``POST /sms/1/reports``."""

    message_code: str
    limit: int


@attrs.frozen
class ReportStatus:
    code: int
    name: str | None = None


@attrs.frozen
class ReportItem:
    """One row of a report: one recipient."""

    message_id: str
    to: str
    status: ReportStatus
    from_: str | None = None
    text: str | None = None
    sent_at: str | None = None
    done_at: str | None = None
    sms_count: int | None = None


@attrs.frozen
class SmsDetail:
    total: Decimal


@attrs.frozen
class BalanceAnswer:
    sms_detail: SmsDetail
    balance: Decimal | None = None
    currency: str | None = None


@attrs.frozen
class SenderItem:
    value: str


@attrs.frozen
class PanelToken:
    """``GET /account/token``: ``{"privateKey": "..."}``."""

    private_key: str


_WIRE_CLASSES: tuple[type[Any], ...] = (
    Envelope,
    Destination,
    SendRequest,
    SendAnswer,
    ReportRequest,
    ReportStatus,
    ReportItem,
    SmsDetail,
    BalanceAnswer,
    SenderItem,
    PanelToken,
)


def wire_name(name: str) -> str:
    """``message_code`` -> ``messageCode``; ``from_`` -> ``from``."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(word.capitalize() for word in rest)


# -- converter -------------------------------------------------------------------------


@functools.cache
def converter() -> cattrs.Converter:
    """The plugin's own converter: the core's strict one, camelCase on the wire
    (:func:`wire_name`), a text or a whole number read from a JSON number or
    text, and money written as text (``Decimal`` -> ``"12.50"``, never a float).

    Built on first use: importing this module does not import cattrs.
    """
    from ileti.plugin import strict_converter, text_or_number, whole_number_or_text

    conv = strict_converter(
        {cls: {f.name: wire_name(f.name) for f in attrs.fields(cls)} for cls in _WIRE_CLASSES},
        scalars={str: text_or_number, int: whole_number_or_text},
    )
    conv.register_unstructure_hook(Decimal, str)
    return conv


class WireError(ValueError):
    """A value does not have the documented shape (the caller makes it MalformedResponse)."""


def structure(data: Any, cls: type[T]) -> T:
    """Structure JSON data as a wire model, or raise :class:`WireError`."""
    import cattrs

    try:
        return converter().structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise WireError(_describe(exc, cls)) from None


def _describe(exc: BaseException, cls: type[Any]) -> str:
    import cattrs

    what = f"the {cls.__name__} part of the answer does not have the documented shape"
    if isinstance(exc, cattrs.BaseValidationError):
        first: BaseException = exc
        while isinstance(first, cattrs.BaseValidationError) and first.exceptions:
            first = first.exceptions[0]
        if isinstance(first, KeyError):
            return f"{what} (field {first.args[0]!r} is missing)" if first.args else what
        return f"{what} ({type(first).__name__})"
    return what


def unstructure(obj: Any) -> Any:
    """A wire model as JSON-ready data."""
    return converter().unstructure(obj)


# -- building requests -----------------------------------------------------------------


def validity_minutes(validity: timedelta | None) -> int:
    """``validityPeriod``: whole minutes, rounded up so that the message lives
    at least as long as asked (at most 2880, the gateway's maximum), or the
    default."""
    if validity is None:
        return DEFAULT_VALIDITY_MINUTES
    return min(math.ceil(validity / timedelta(minutes=1)), 2880)


def scheduled_date(schedule: datetime | None) -> str:
    """``scheduledDate``: empty for now, else UTC ``yyyy-MM-ddTHH:mm:ss`` (no offset)."""
    if schedule is None:
        return SEND_NOW
    return schedule.astimezone(UTC).strftime(SCHEDULE_FORMAT)


def send_request(
    *,
    sender: str,
    text: str,
    numbers: Sequence[str],
    validity: timedelta | None,
    schedule: datetime | None,
) -> dict[str, Any]:
    """The JSON body of ``POST /sms/1/advanced``; ``numbers`` are E.164."""

    body = SendRequest(
        from_=sender,
        text=text,
        validity_period=validity_minutes(validity),
        scheduled_date=scheduled_date(schedule),
        destinations=tuple(Destination(to=international(n)) for n in numbers),
    )
    data: dict[str, Any] = unstructure(body)
    return data


def report_request(message_code: str, limit: int) -> dict[str, Any]:
    data: dict[str, Any] = unstructure(ReportRequest(message_code=message_code, limit=limit))
    return data


# -- reading answers -------------------------------------------------------------------


def envelope(data: Any) -> Envelope | None:
    """The envelope of an answer, or ``None`` when the data is not one."""
    if not isinstance(data, dict) or "errorCode" not in data:
        return None
    return structure(data, Envelope)


def send_answer(result: Any) -> SendAnswer:
    answer = structure(result, SendAnswer)
    if not answer.message_code.strip():
        raise WireError("the answer to the send carries an empty messageCode")
    return answer


def report_items(result: Any) -> list[ReportItem]:
    if result is None:
        return []
    if not isinstance(result, list):
        raise WireError("the report's result is not a list")
    return [structure(row, ReportItem) for row in result]


def sender_items(result: Any) -> list[SenderItem]:
    if result is None:
        return []
    if not isinstance(result, list):
        raise WireError("the senders' result is not a list")
    return [structure(row, SenderItem) for row in result]


def balance_answer(result: Any) -> BalanceAnswer:
    return structure(result, BalanceAnswer)


# -- mapping to the domain -------------------------------------------------------------


def parse_time(value: str | None) -> datetime | None:
    """``sentAt`` / ``doneAt``: empty -> ``None``; ``yyyy-MM-dd'T'HH:mm:ss`` as the
    text says, or with a space as the sample has; in :data:`REPORT_ZONE` (UTC)
    unless an offset is given."""
    if value is None or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise WireError(f"the report time {value[:40]!r} is not yyyy-MM-dd HH:mm:ss") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=REPORT_ZONE)
    return when


def last10(number: str) -> str:
    """The last ten digits of a number: how report rows are matched to recipients."""
    digits = "".join(c for c in number if c.isdigit())
    return digits[-10:]


def e164_of(to: str, known: Mapping[str, str]) -> str:
    """The E.164 form of a report row's ``to`` (10 or 12 digits on the wire).

    ``known`` maps the last ten digits of each number sent to its E.164 form.
    """
    found = known.get(last10(to))
    if found is not None:
        return found

    try:
        return normalise_number(to)
    except InvalidRecipient:
        digits = "".join(c for c in to if c.isdigit())
        return "+" + digits if digits else to


_PROBLEM_STATES = frozenset(
    {
        DeliveryState.UNDELIVERED,
        DeliveryState.EXPIRED,
        DeliveryState.REJECTED,
        DeliveryState.FAILED,
        DeliveryState.CANCELLED,
    }
)


def recipient_report(
    item: ReportItem, number: str, extra: Mapping[int, DeliveryState] | None = None
) -> RecipientReport:
    """One report row as a :class:`RecipientReport`."""
    state = state_for(item.status.code, extra)
    done = parse_time(item.done_at)
    sent = parse_time(item.sent_at)
    name = (item.status.name or "").strip()
    return RecipientReport(
        number=number,
        state=state,
        raw_state=str(item.status.code),
        time=done or sent,
        message_id=item.message_id,
        error=name or None if state in _PROBLEM_STATES else None,
    )


def to_balance(provider: str, answer: BalanceAnswer) -> Balance:
    """The account's money balance and its SMS credits, both carried.

    ``amount`` is the money balance (``balance``) in ``currency`` (unit
    ``currency``); ``sms_credits`` is ``smsDetail.total``, the usable SMS
    credits. The document says ``balance`` may be 0 on package-based accounts:
    it is still carried as it comes (0 TRY), with the package's SMS credits in
    ``sms_credits``.

    **Chosen**: an answer without ``balance`` or with no ``currency`` has no
    money figure that can be shown; ``amount`` is then the SMS credits (unit
    ``credits``), never a money amount without its currency.
    """
    credits = answer.sms_detail.total
    currency = (answer.currency or "").strip()
    if answer.balance is None or not currency:
        return Balance(
            provider=provider, amount=credits, unit=BalanceUnit.CREDITS, sms_credits=credits
        )
    return Balance(
        provider=provider,
        amount=answer.balance,
        unit=BalanceUnit.CURRENCY,
        currency=currency,
        sms_credits=credits,
    )


def to_senders(items: Sequence[SenderItem]) -> list[Sender]:
    """Every listed name is usable: the list holds the account's valid senders."""
    return [Sender(name=item.value, state=SenderState.APPROVED) for item in items]
