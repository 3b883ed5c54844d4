"""Innomobil's wire format: JSON models, the plugin's converter, the mapping.

Everything that knows a wire name lives here: the attrs models shaped like
the provider's JSON, the cattrs converter whose rename overrides keep the
Python names snake_case, the raw state and error tables, and the mapping
from the wire models to ileti's domain models. Every value the reference
leaves open (marked **inferred** or **undocumented** there) is a named
constant in the block below, decided once.

Reference: ``shared/providers/innomobil.md`` (original: ``original/innomobil.txt``).
The module is cheap to import (the plugin reads its constants); cattrs loads
when the converter is first used.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ileti.plugin import (
    Balance,
    BalanceUnit,
    Category,
    DeliveryReport,
    DeliveryState,
    HttpResponse,
    RecipientReport,
    RecipientResult,
    Sender,
    SenderState,
    SendResult,
    SentPackage,
    classify_text,
    text_or_number,
)

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "API_PREFIX",
    "DEFAULT_VALIDITY_HOURS",
    "MAX_PARTS",
    "MAX_RECIPIENTS",
    "MAX_VALIDITY_HOURS",
    "MIN_VALIDITY_HOURS",
    "POSTPAID_BALANCE",
    "STATES",
    "AuthRequest",
    "BalanceRequest",
    "Envelope",
    "MultiSendRequest",
    "MultiSendResult",
    "ReportByIdRequest",
    "ReportItem",
    "ReportRequest",
    "ReportsItem",
    "ReportsRequest",
    "SendSmsRequest",
    "SendSmsResult",
    "WireMessage",
    "balance_from",
    "classify_error",
    "delivery_report",
    "e164_from_wire",
    "format_send_date",
    "is_empty_result",
    "is_report_id",
    "parse_report_time",
    "parse_send_date",
    "read_envelope",
    "read_send_result",
    "recipient_report",
    "send_result",
    "senders_from",
    "sendsms_body",
    "sent_package",
    "state_for",
    "structure",
    "unix_seconds",
    "unstructure",
    "validity_hours",
    "wire_time_zone",
]

# -- decisions where the reference is silent (one place) ------------------------

#: operations live under this path on the base URL (documented: /api/v1/<operation>)
API_PREFIX = "/api/v1/"

#: documented: GSM 160 / 153 and UCS-2 70 / 67 "for 2-4 messages"; more is undocumented
#: and treated as an error
MAX_PARTS = 4

#: undocumented: recipients per request. The reference suggests chunking at 1,000 numbers
#: per ``sendsms``; ileti refuses larger requests (split the list) instead of guessing more.
MAX_RECIPIENTS = 1000

#: documented: ``vperiod`` is whole hours, at most (and by default) 48
MAX_VALIDITY_HOURS = 48
DEFAULT_VALIDITY_HOURS = MAX_VALIDITY_HOURS
#: undocumented: the shortest validity; one hour, the smallest whole-hour value
MIN_VALIDITY_HOURS = 1

#: documented: ``kredi`` answers -1 for a postpaid (invoiced) account
POSTPAID_BALANCE = Decimal(-1)

#: undocumented: the time zone of ``sdate`` (YYYYMMDDHHMMSS); Turkish local time assumed.
#: Turkey has kept UTC+03:00 all year since 2016, the fallback when no tz database exists.
TIME_ZONE_NAME = "Europe/Istanbul"
_FALLBACK_ZONE = timezone(timedelta(hours=3), "+03")

#: ``sdate`` format of the send operations (documented, e.g. 20140214123000)
SEND_DATE_FORMAT = "%Y%m%d%H%M%S"
#: ``datetime`` of a ``reports`` item (documented sample: 2014-08-21 17:00:52);
#: read in the send operations' time zone (inferred: the document gives none)
REPORT_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: ``tip`` of ``reports``: 0 the packages sent at once, 1 those sent for later
REPORTS_NOW = 0
REPORTS_SCHEDULED = 1

#: ``detailed`` on ``report``: "0" (names from the address book are not needed)
REPORT_DETAILED = "0"

#: inferred from the samples: a submission id is digits ("120", "17953"), a per-number
#: report id is alphanumeric ("m12k0s45"). ileti routes an id with a non-digit to
#: ``reportbyid`` and a digits-only id to ``report``.
_SUBMISSION_ID = re.compile(r"[0-9]+")

#: inferred: ``count`` is SMS units (recipients x parts) and one unit costs one credit
#: (``kredi`` is an SMS-credit count), so what a send charged is ``count`` credits.
CREDITS_PER_UNIT = Decimal(1)

#: per-number ``status`` (documented: 1 waiting, 2 failed, 3 delivered). "1" -> queued is
#: a choice (waiting before or after the operator is not said); "2" -> undelivered
#: because these are delivery-report states and no finer reason is given.
STATES: dict[str, DeliveryState] = {
    "1": DeliveryState.QUEUED,
    "2": DeliveryState.UNDELIVERED,
    "3": DeliveryState.DELIVERED,
}


def state_for(raw: str) -> DeliveryState:
    """The normalised state of a raw per-number ``status`` (unknown codes: ``unknown``)."""
    return STATES.get(raw.strip(), DeliveryState.UNKNOWN)


def classify_error(text: str) -> Category:
    """The error category of Innomobil's free-text ``error`` (there are no codes).

    The words are read by the core's keyword table; text it does not recognise is a
    refusal of the request's data (``status: "error"`` means "the request data has a
    problem" in the provider's document).
    """
    return classify_text(text) or Category.INVALID_REQUEST


def wire_time_zone() -> tzinfo:
    """Europe/Istanbul from the tz database, or fixed UTC+03:00 when there is none."""
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    except ImportError:  # pragma: no cover - zoneinfo is in every supported Python
        return _FALLBACK_ZONE
    try:
        return ZoneInfo(TIME_ZONE_NAME)
    except (ZoneInfoNotFoundError, ValueError):
        return _FALLBACK_ZONE


def format_send_date(when: datetime | None) -> str:
    """``sdate`` for a send: empty for now, else YYYYMMDDHHMMSS in Turkish time."""
    if when is None:
        return ""
    return when.astimezone(wire_time_zone()).strftime(SEND_DATE_FORMAT)


def parse_send_date(text: str) -> datetime:
    """An ``sdate`` (YYYYMMDDHHMMSS, Turkish time) as an aware datetime; ValueError if bad."""
    if len(text) != 14 or not text.isdigit():
        raise ValueError(f"not YYYYMMDDHHMMSS: {text!r}")
    return datetime.strptime(text, SEND_DATE_FORMAT).replace(tzinfo=wire_time_zone())


def parse_report_time(text: str) -> datetime:
    """A ``reports`` item's ``datetime`` (Turkish time) as an aware datetime; ValueError if bad."""
    return datetime.strptime(text.strip(), REPORT_TIME_FORMAT).replace(tzinfo=wire_time_zone())


def unix_seconds(when: datetime, *, up: bool = False) -> str:
    """``sdate`` / ``fdate`` of ``reports``: Unix seconds as text (documented);
    the end of a range is rounded up so that its last second is included."""
    seconds = when.timestamp()
    return str(math.ceil(seconds) if up else math.floor(seconds))


def validity_hours(validity: timedelta | None) -> str:
    """``vperiod``: whole hours as text. A part of an hour is rounded up (the
    message lives at least as long as asked); none gives the documented 48."""
    if validity is None:
        return str(DEFAULT_VALIDITY_HOURS)
    hours = math.ceil(validity / timedelta(hours=1))
    return str(min(max(hours, MIN_VALIDITY_HOURS), MAX_VALIDITY_HOURS))


def is_report_id(message_id: str) -> bool:
    """Whether an id is a per-number report id (for ``reportbyid``), not a submission id."""
    return _SUBMISSION_ID.fullmatch(message_id) is None


def e164_from_wire(number: str) -> str:
    """A number as the gateway writes it (``905321112233``) in E.164 (``+905321112233``)."""
    digits = "".join(c for c in number if c.isdigit())
    if not digits:
        raise ValueError(f"not a phone number: {number!r}")
    if len(digits) == 10 and digits.startswith("5"):
        digits = "90" + digits
    elif len(digits) == 11 and digits.startswith("0"):
        digits = "9" + digits
    return "+" + digits


# -- requests --------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WireMessage:
    """One ``message`` object of ``sendsms`` / one element of ``multisend``."""

    sender: str
    text: str
    utf8: str  # "0": GSM only (Turkish letters folded), "1": Unicode
    numbers: list[str]  # wire: gsm


@attrs.frozen(kw_only=True)
class AuthRequest:
    """``login``, ``alfanumerik``: just the credentials."""

    username: str
    password: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class BalanceRequest:
    """``kredi``."""

    username: str
    password: str = attrs.field(repr=False)
    gate: int


@attrs.frozen(kw_only=True)
class SendSmsRequest:
    """``sendsms``: one text to many numbers."""

    username: str
    password: str = attrs.field(repr=False)
    send_date: str  # wire: sdate
    validity_hours: str  # wire: vperiod
    gate: int
    message: WireMessage


@attrs.frozen(kw_only=True)
class MultiSendRequest:
    """``multisend``: a text per group of numbers."""

    username: str
    password: str = attrs.field(repr=False)
    send_date: str  # wire: sdate
    validity_hours: str  # wire: vperiod
    gate: int
    messages: list[WireMessage]  # wire: message


@attrs.frozen(kw_only=True)
class ReportRequest:
    """``report``: every number of a submission."""

    username: str
    password: str = attrs.field(repr=False)
    message_id: str  # wire: messageid
    detailed: str = REPORT_DETAILED


@attrs.frozen(kw_only=True)
class ReportByIdRequest:
    """``reportbyid``: selected numbers by their report ids."""

    username: str
    password: str = attrs.field(repr=False)
    report_ids: list[str]  # wire: reportid


@attrs.frozen(kw_only=True)
class ReportsRequest:
    """``reports``: the packages sent in a time range, a page at a time."""

    username: str
    password: str = attrs.field(repr=False)
    start: str  # wire: sdate (Unix seconds, unlike the send operations' sdate)
    end: str  # wire: fdate
    page: str  # counts from 1
    sender: str = ""  # wire: alfanumerik (empty: every sender)
    kind: int = REPORTS_NOW  # wire: tip


# -- responses -------------------------------------------------------------------


@attrs.frozen
class Envelope:
    """``{"status": "ok" | "error", "error": "<text>", "result": ...}``."""

    status: str
    error: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status.strip().lower() == "ok"

    @property
    def reason(self) -> str:
        return (self.error or "").strip()


@attrs.frozen
class SendSmsResult:
    """``sendsms`` result: ``{"messageid": "120", "count": "12", "kredi": "10"}``."""

    message_id: str  # wire: messageid (a string here)
    count: int
    credit: Decimal  # wire: kredi (remaining)


@attrs.frozen
class MultiSendResult:
    """``multisend`` result: ``{"messageid": ["120"], "count": "2", "kredi": 20}``."""

    message_ids: list[str]  # wire: messageid (an array here)
    count: int
    credit: Decimal  # wire: kredi (a number in the sample)


@attrs.frozen
class ReportItem:
    """One number of ``report`` / ``reportbyid`` (``gms`` read as ``gsm``)."""

    number: str  # wire: gsm (gms in the reportbyid sample)
    report_id: str  # wire: reportid
    status: str
    first_name: str | None = None  # wire: adi (detailed reports only)
    last_name: str | None = None  # wire: soyadi


@attrs.frozen
class ReportsItem:
    """One package of ``reports`` (every value a string on the wire)."""

    message_id: str  # wire: messageid
    sent_at: str  # wire: datetime
    sender: str
    text: str
    parts: int  # wire: smscount (SMS in all)
    recipients: int  # wire: gsmcount
    delivered: int  # wire: statusok
    waiting: int  # wire: statuswait
    failed: int  # wire: statusfail


# -- converter -------------------------------------------------------------------


def _loose_int(value: Any, _: type) -> int:
    """A count or id: a JSON number, or unsigned digits in text (Innomobil
    writes counts as strings; a signed one is no count, unlike the core's
    ``whole_number_or_text``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(f"expected a whole number, got {value!r:.40}")


def _id_list(value: Any, _: type) -> list[str]:
    # documented as an array with one id; a bare id is read as a list of one
    items = value if isinstance(value, list) else [value]
    return [text_or_number(item) for item in items]


#: each model's fields whose wire names differ from their own (both ways)
_RENAMES: dict[type, dict[str, str]] = {
    WireMessage: {"numbers": "gsm"},
    AuthRequest: {},
    BalanceRequest: {},
    SendSmsRequest: {"send_date": "sdate", "validity_hours": "vperiod"},
    MultiSendRequest: {
        "send_date": "sdate",
        "validity_hours": "vperiod",
        "messages": "message",
    },
    ReportRequest: {"message_id": "messageid"},
    ReportByIdRequest: {"report_ids": "reportid"},
    ReportsRequest: {
        "start": "sdate",
        "end": "fdate",
        "sender": "alfanumerik",
        "kind": "tip",
    },
    ReportsItem: {
        "message_id": "messageid",
        "sent_at": "datetime",
        "parts": "smscount",
        "recipients": "gsmcount",
        "delivered": "statusok",
        "waiting": "statuswait",
        "failed": "statusfail",
    },
    SendSmsResult: {"message_id": "messageid", "credit": "kredi"},
    MultiSendResult: {"message_ids": "messageid", "credit": "kredi"},
    ReportItem: {
        "number": "gsm",
        "report_id": "reportid",
        "first_name": "adi",
        "last_name": "soyadi",
    },
}


@functools.cache
def _converter() -> cattrs.Converter:
    """The plugin's own converter (built on first use: importing cattrs is not
    free): the core's strict one, with Innomobil's loose readings on top (the
    gateway writes numbers and counts as strings, ids as numbers or strings):
    a text may come as a JSON number, a whole number as digits in text."""
    from ileti.plugin import strict_converter

    conv = strict_converter(
        _RENAMES,
        scalars={str: text_or_number, int: _loose_int},
        field_hooks={MultiSendResult: {"message_ids": _id_list}},
    )
    item = conv.get_structure_hook(ReportItem)

    def report_item(value: Any, cls: type[ReportItem]) -> ReportItem:
        # quirk: the reportbyid sample spells the phone key "gms"; read gsm, then gms
        if isinstance(value, dict) and "gsm" not in value and "gms" in value:
            value = {**value, "gsm": value["gms"]}
        result: ReportItem = item(value, cls)
        return result

    conv.register_structure_hook(ReportItem, report_item)
    return conv


T = TypeVar("T")


def unstructure(request: object) -> dict[str, Any]:
    """A request model as the JSON object the gateway expects."""
    data: dict[str, Any] = _converter().unstructure(request)
    return data


def _wire_names(cls: type) -> tuple[str, ...]:
    """A model's keys on the wire, in the order the converter writes them."""
    renames = _RENAMES[cls]
    return tuple(renames.get(field.name, field.name) for field in attrs.fields(cls))


_SENDSMS_KEYS = _wire_names(SendSmsRequest)
_MESSAGE_KEYS = _wire_names(WireMessage)


def sendsms_body(
    *,
    username: str,
    password: str,
    send_date: str,
    validity_hours: str,
    gate: int,
    sender: str,
    text: str,
    utf8: str,
    numbers: list[str],
) -> dict[str, Any]:
    """``unstructure(SendSmsRequest(...))`` written directly, keys in the same
    order: every send writes one, and the two models and the converter cost
    several times more."""
    k, m = _SENDSMS_KEYS, _MESSAGE_KEYS  # the fields' order (a test holds it to the models)
    message = {m[0]: sender, m[1]: text, m[2]: utf8, m[3]: numbers}
    return {
        k[0]: username,
        k[1]: password,
        k[2]: send_date,
        k[3]: validity_hours,
        k[4]: gate,
        k[5]: message,
    }


def structure(response: HttpResponse, value: Any, cls: type[T], what: str) -> T:
    """Structure part of an answer, or raise MalformedResponse saying ``what`` was expected."""
    from cattrs import BaseValidationError

    try:
        return _converter().structure(value, cls)
    except (BaseValidationError, ValueError, TypeError, KeyError, AttributeError):
        raise response.malformed(f"the answer's result is not {what}") from None


# -- the usual answers, read without the converter -----------------------------------
#
# Every send reads an envelope and a sendsms result. When each value has the
# plain shape the gateway writes (text where text is expected; a count as a
# JSON integer or ASCII digits; the credit as a JSON integer or ASCII digits),
# these build exactly what the converter would, at a fraction of the cost;
# anything else (a number where text is expected, blanks, a sign, a float, a
# missing field) returns None and takes the converter's way, which reads it
# or words the error as before.


def _plain_envelope(data: dict[str, Any]) -> Envelope | None:
    status, error = data["status"], data.get("error")  # "status" is in: checked by the caller
    if type(status) is not str or (error is not None and type(error) is not str):
        return None
    return Envelope(status, error, data.get("result"))


def _plain_whole(value: Any) -> int | None:
    """A JSON integer, or up to 18 ASCII digits as text; anything else None (the
    converter's way: it words what int() refuses, and reads a longer credit)."""
    if type(value) is int:
        return value
    if type(value) is str and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None


def _plain_send_result(value: Any) -> SendSmsResult | None:
    if type(value) is not dict:
        return None
    message_id = value.get("messageid")
    count, credit = _plain_whole(value.get("count")), _plain_whole(value.get("kredi"))
    if type(message_id) is not str or count is None or credit is None:
        return None
    return SendSmsResult(message_id, count, Decimal(credit))


def read_send_result(response: HttpResponse, result: Any) -> SendSmsResult:
    """A ``sendsms`` result: the usual shape read directly, anything else by the
    converter (which reads it or raises MalformedResponse)."""
    return _plain_send_result(result) or structure(
        response, result, SendSmsResult, "a sendsms result (messageid, count, kredi)"
    )


def read_envelope(response: HttpResponse) -> Envelope:
    """The ``status / error / result`` envelope of any answer, whatever the HTTP status."""
    import json

    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        raise response.malformed("the answer is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise response.unreadable("JSON") from None
    if not isinstance(data, dict) or "status" not in data:
        raise response.malformed("the answer is not Innomobil's status/error/result envelope")
    envelope = _plain_envelope(data) or structure(
        response, data, Envelope, "Innomobil's status/error/result envelope"
    )
    if envelope.status.strip().lower() not in ("ok", "error"):
        raise response.malformed(
            f"the envelope's status is {envelope.status[:20]!r}, not 'ok' or 'error'"
        )
    return envelope


def is_empty_result(result: Any) -> bool:
    """Whether ``result`` is one of the "did not succeed" values: 0, "0", [], empty or null."""
    if isinstance(result, bool):
        return False
    return result is None or result in (0, "0", "") or result == [] or result == {}


# -- mapping to the domain -------------------------------------------------------


def send_result(
    *,
    provider: str,
    recipients: Sequence[str],
    message_id: str,
    count: int,
    predicted_parts: int | None,
    client_ref: str | None,
) -> SendResult:
    """The domain result of an accepted ``sendsms`` / ``multisend``.

    ``count`` is SMS units (recipients x parts): when it divides evenly it gives
    the parts per recipient, which wins over the prediction.
    """
    parts = predicted_parts
    if recipients and count > 0 and count % len(recipients) == 0:
        parts = count // len(recipients)
    return SendResult(
        provider=provider,
        message_id=message_id,
        recipients=RecipientResult.all_accepted(recipients),
        client_ref=client_ref,
        parts=parts,
        credits=Decimal(count) * CREDITS_PER_UNIT,
    )


def recipient_report(item: ReportItem) -> RecipientReport:
    """One number's report (the gateway gives no time, so ``time`` is ``None``)."""
    return RecipientReport(
        number=e164_from_wire(item.number),
        state=state_for(item.status),
        raw_state=item.status.strip(),
        time=None,
        message_id=item.report_id,
    )


def delivery_report(provider: str, message_id: str, items: Sequence[ReportItem]) -> DeliveryReport:
    """The domain report of some report items (Innomobil has no package state)."""
    return DeliveryReport(
        provider=provider,
        message_id=message_id,
        recipients=tuple(recipient_report(item) for item in items),
    )


def balance_from(provider: str, amount: Decimal) -> Balance:
    """``kredi``: -1 is a postpaid account (no amount), anything else prepaid credits."""
    if amount == POSTPAID_BALANCE:
        return Balance(provider=provider, amount=None, unit=BalanceUnit.CREDITS, postpaid=True)
    return Balance(provider=provider, amount=amount, unit=BalanceUnit.CREDITS)


def senders_from(names: Sequence[str]) -> list[Sender]:
    """``alfanumerik`` lists the names the account may send with: all approved."""
    return [Sender(name=name, state=SenderState.APPROVED) for name in names]


def sent_package(provider: str, item: ReportsItem, *, scheduled: bool) -> SentPackage:
    """A ``reports`` item as the domain's package; ValueError if a value is not one."""
    if not item.message_id.strip():
        raise ValueError("a package without a message id")
    return SentPackage(
        provider=provider,
        message_id=item.message_id.strip(),
        sent_at=parse_report_time(item.sent_at),
        sender=item.sender,
        text=item.text,
        recipients=item.recipients,
        parts=item.parts,
        delivered=item.delivered,
        waiting=item.waiting,
        failed=item.failed,
        scheduled=scheduled,
    )
