"""Kobikom's wire format: XML models, the plugin's converter, and the tables.

Everything that knows a Kobikom element or attribute name lives here: the
attrs models shaped like the XML, the cattrs converter whose rename overrides
keep Python names in snake_case, the raw-status and raw-error tables, and the
mapping from wire models to ileti's domain models.

Requests are written from these models by a small writer that gives what
``xmltodict.unparse`` gives (constant element names; text and attributes
escaped as the standard library's XML writer does); the usual send's form
body is written directly, markup encoded once (``send_post``). Answers are parsed
with ``xmltodict.parse(..., disable_entities=True)`` whatever their
``Content-Type`` says (Kobikom labels XML ``text/csv``).

Choices made where the reference is silent (**inferred** / **undocumented**)
are the named constants in the "Choices" block below, each with its reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar
from xml.sax.saxutils import unescape

import attrs
import xmltodict

from ileti.plugin import (
    Balance,
    BalanceUnit,
    Category,
    DeliveryState,
    HttpRequest,
    HttpResponse,
    IletiError,
    MalformedResponse,
    Sender,
    SenderState,
    error_for,
    excerpt,
)

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "ACCEPTED",
    "DLR_STATES",
    "ERRORS",
    "LONG_SMS",
    "MAX_PARTS",
    "MAX_RECIPIENTS",
    "MAX_VALIDITY",
    "MIN_OFFSET",
    "MIN_VALIDITY",
    "NOT_SUBMITTED",
    "NO_DATA",
    "PULL_CHUNK",
    "PULL_PATH",
    "REPORT_TZ",
    "SEND_PATH",
    "BalanceRequest",
    "Credentials",
    "DeliveryMessage",
    "ErrorCode",
    "MessageBlock",
    "PullAnswer",
    "Recipient",
    "Recipients",
    "SendersRequest",
    "SmsRequest",
    "SubmitAnswer",
    "SubmitResult",
    "balance_request",
    "converter",
    "describe_code",
    "dlr_state",
    "error_for_code",
    "format_offset",
    "format_validity",
    "normalise_code",
    "parse_balance",
    "parse_pull",
    "parse_report_time",
    "parse_senders",
    "parse_submit",
    "post",
    "pull_request",
    "send_post",
    "senders_request",
    "sms_document",
    "submit_state",
]

T = TypeVar("T")

# -- endpoints (documented) -------------------------------------------------------

#: send, sender list and balance share this URL; the trailing slash is documented
SEND_PATH = "/api/sendsms/xml/"
#: pull delivery reports (GET, credentials in the query string)
PULL_PATH = "/api/sendsms/xml/pull"

# -- Choices (the reference says inferred / undocumented) -------------------------

#: Report times: the document gives no time zone; Europe/Istanbul is assumed
#: (Turkey has been UTC+3 all year since 2016; the fixed offset is the fallback
#: when the system has no time zone database).
try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    REPORT_TZ: Any = ZoneInfo("Europe/Istanbul")
except (ImportError, ZoneInfoNotFoundError):  # pragma: no cover - tzdata missing
    REPORT_TZ = timezone(timedelta(hours=3), "TRT")

#: Maximum parts per message: undocumented (only "type longSMS above 160").
#: Chosen: 6 parts (918 GSM-7 / 402 UCS-2 characters), a conservative ceiling;
#: longer texts are refused before any request.
MAX_PARTS = 6

#: Recipients per request: undocumented; the reference suggests at most 1,000.
MAX_RECIPIENTS = 1000

#: Message ids per pull request (``MessageId=a,b,c``): undocumented; 50 keeps
#: the URL short (ids are at most 69 characters).
PULL_CHUNK = 50

#: ``ileriTarih`` for "now" is ``1s`` (the document: immediate sending "must be 1s");
#: offsets are rounded up to whole seconds so a message never leaves early.
MIN_OFFSET = timedelta(seconds=1)

#: ``ValidityPeriod`` is ``HH:mm``, at most 48 hours (documented); a validity
#: is rounded up to whole minutes, at least one minute.
MAX_VALIDITY = timedelta(hours=48)
MIN_VALIDITY = timedelta(minutes=1)

#: ``type`` is set to ``longSMS`` whenever the text takes more than one part
#: (the document says "over 160 characters", i.e. over one GSM-7 part; a UCS-2
#: text over 70 is concatenated too).
LONG_SMS = "longSMS"

# -- tables -------------------------------------------------------------------------


@attrs.frozen
class ErrorCode:
    """One documented ``<status>`` code: its category and what to tell the user."""

    category: Category
    message: str


#: every documented negative ``<status>`` (and pull error) code, in one place
ERRORS: Mapping[str, ErrorCode] = {
    "-1": ErrorCode(Category.PROVIDER_ERROR, "Kobikom could not send the message (sending failed)"),
    "-2": ErrorCode(
        Category.INSUFFICIENT_CREDIT, "the Kobikom account has not enough credit for this send"
    ),
    "-3": ErrorCode(
        Category.INVALID_RECIPIENT,
        "the destination network is not covered by Kobikom: check the number",
    ),
    "-5": ErrorCode(
        Category.AUTH, "Kobikom refused the user name or password: check username and password"
    ),
    "-6": ErrorCode(
        Category.INVALID_RECIPIENT,
        "the destination number is missing or incomplete: give full numbers",
    ),
    "-10": ErrorCode(
        Category.AUTH, "Kobikom says the user name is missing or wrong: set the username setting"
    ),
    "-11": ErrorCode(
        Category.AUTH, "Kobikom says the password is missing or wrong: set the password setting"
    ),
    "-13": ErrorCode(
        Category.INVALID_RECIPIENT,
        "unknown destination number, or an operator Kobikom does not serve: check the number",
    ),
    "-22": ErrorCode(
        Category.INVALID_REQUEST,
        "Kobikom could not read the request (XML syntax error); check the text and options",
    ),
    "-23": ErrorCode(Category.PROVIDER_ERROR, "Kobikom reported a general error"),
    "-26": ErrorCode(Category.PROVIDER_ERROR, "Kobikom reported an API connection error"),
    "-27": ErrorCode(
        Category.INVALID_REQUEST,
        "Kobikom refused the scheduled send time (ileriTarih): give a later schedule",
    ),
    "-33": ErrorCode(
        Category.INVALID_REQUEST,
        "a message id was used twice (duplicate messageId): give each message its own client_ref",
    ),
    # documented text: "Mesaj iletilemedi" (message could not be delivered). The
    # category is an analogy, said so to the user: in the Infobip-legacy API this
    # one copies, -34 is "sender not allowed"
    "-34": ErrorCode(
        Category.INVALID_SENDER,
        "Kobikom answered -34, 'message could not be delivered' (its document says no "
        "more); in the Infobip-legacy API Kobikom copies, -34 means 'sender not allowed', "
        "so by analogy the sender name (baslik) is most likely not allowed for this "
        "account: use an approved sender",
    ),
    "-99": ErrorCode(Category.PROVIDER_ERROR, "Kobikom reported several sending errors"),
}

#: codes whose per-recipient submit status means "failed" (account or provider
#: trouble) rather than "rejected" (this recipient or request refused)
_FAILED_CATEGORIES = frozenset(
    {Category.PROVIDER_ERROR, Category.INSUFFICIENT_CREDIT, Category.AUTH}
)

#: pull-report ``status`` values (README §1)
DLR_STATES: Mapping[str, DeliveryState] = {
    "NOT_SENT": DeliveryState.QUEUED,
    "SENT": DeliveryState.SENT,
    "DELIVERED": DeliveryState.DELIVERED,
    "NOT_DELIVERED": DeliveryState.UNDELIVERED,
    "NOT_ALLOWED": DeliveryState.REJECTED,
    "INVALID_DESTINATION_ADDRESS": DeliveryState.REJECTED,
    "INVALID_SOURCE_ADDRESS": DeliveryState.REJECTED,
    "ROUTE_NOT_AVAILABLE": DeliveryState.REJECTED,
    "NOT_ENOUGH_CREDITS": DeliveryState.FAILED,
    "REJECTED": DeliveryState.REJECTED,
    "INVALID_MESSAGE_FORMAT": DeliveryState.REJECTED,
}

#: the submit ``<status>`` that means accepted
ACCEPTED = "0"

#: ileti's own raw code for recipients of a personalised batch that were never
#: submitted because an earlier request of the batch had been sent and a later
#: one failed (Kobikom has no such code; their state is ``failed``)
NOT_SUBMITTED = "not-submitted"


def normalise_code(code: str) -> str:
    """A raw code as the table keys it: the pull's unsigned ``5`` is ``-5``."""
    code = code.strip()
    if code and not code.startswith("-") and code != ACCEPTED and f"-{code}" in ERRORS:
        return f"-{code}"
    return code


def is_documented(code: str) -> bool:
    """Whether a submit ``<status>`` is one of the document's codes (0 or a listed
    error). Any other value (the sample's ``<0``, an unlisted number) is an
    unreadable answer for that recipient: it may or may not have been sent."""
    code = normalise_code(code)
    return code == ACCEPTED or code in ERRORS


def is_refusal(code: str) -> bool:
    """A documented code that says this recipient was not sent (nothing to pull)."""
    return code == NOT_SUBMITTED or (code != ACCEPTED and is_documented(code))


def dlr_state(raw: str) -> DeliveryState:
    """A pull report's ``status`` normalised; anything not in the table is unknown."""
    return DLR_STATES.get(raw.strip().upper(), DeliveryState.UNKNOWN)


def submit_state(code: str) -> DeliveryState:
    """A recipient's submit ``<status>`` normalised (0: queued; undocumented: unknown)."""
    code = normalise_code(code)
    if code == ACCEPTED:
        return DeliveryState.QUEUED
    if code == NOT_SUBMITTED:
        return DeliveryState.FAILED
    known = ERRORS.get(code)
    if known is None:
        return DeliveryState.UNKNOWN
    if known.category in _FAILED_CATEGORIES:
        return DeliveryState.FAILED
    return DeliveryState.REJECTED


def describe_code(code: str) -> str:
    """What a submit code means, for ``RecipientResult.reason``."""
    if code == NOT_SUBMITTED:
        return "not sent: another request of the personalised batch failed"
    known = ERRORS.get(normalise_code(code))
    if known is not None:
        return known.message
    return (
        f"Kobikom's answer for this recipient is unreadable: status {code!r} is not a "
        "documented code, so the message may or may not have been sent (report() shows "
        "what Kobikom reports for it)"
    )


def error_for_code(
    code: str, response: HttpResponse | None = None, *, provider: str = "kobikom"
) -> IletiError:
    """The typed error for a raw Kobikom code (unknown codes: provider error)."""
    code = normalise_code(code)
    known = ERRORS.get(code)
    category = known.category if known else Category.PROVIDER_ERROR
    message = known.message if known else f"Kobikom answered the undocumented status {code}"
    return error_for(
        category,
        message,
        provider=provider,
        code=code,
        http_status=response.status if response is not None else None,
        excerpt=excerpt(response.body) if response is not None else None,
    )


# -- request models -------------------------------------------------------------------


@attrs.frozen
class Credentials:
    """``<dogrulama><kullanici/><parola/></dogrulama>``."""

    username: str
    password: str = attrs.field(repr=False)  # revealed only to be written on the wire


@attrs.frozen
class Recipient:
    """``<gsm messageId="...">905xxxxxxxxx</gsm>``."""

    number: str
    message_id: str | None = None


@attrs.frozen
class Recipients:
    """``<alicilar>``."""

    gsm: list[Recipient]


@attrs.frozen(kw_only=True)
class MessageBlock:
    """``<mesajiniz>``: one text, its options and its recipients (documented order)."""

    sender: str | None = None
    text: str
    flash: str | None = None
    long_sms: str | None = None
    data_coding: str | None = None
    schedule: str | None = None
    validity: str | None = None
    push_url: str | None = None  # where the gateway pushes reports (see push.py)
    recipients: Recipients


@attrs.frozen
class SmsRequest:
    """``<SMS>``: credentials and one message block."""

    credentials: Credentials
    message: MessageBlock


@attrs.frozen
class SendersRequest:
    """``<basliklar>``: the sender-name list."""

    credentials: Credentials


@attrs.frozen
class BalanceRequest:
    """``<bakiye>``: the balance."""

    credentials: Credentials


# -- response models -------------------------------------------------------------------


@attrs.frozen
class SubmitResult:
    """``<result><status/><messageid/><destination/></result>``."""

    #: the raw ``<status>`` text (documented codes are whole numbers; the
    #: document's own sample has ``<0``, which is no code)
    status: str | None
    message_id: str | None = None
    destination: str | None = None

    @property
    def code(self) -> str:
        return (self.status or "").strip()

    @property
    def request_level(self) -> bool:
        """A result that names no message: the whole request was refused."""
        return self.code != ACCEPTED and not self.message_id and not self.destination


@attrs.frozen
class _SubmitResults:
    result: list[SubmitResult] = attrs.Factory(list)


@attrs.frozen
class DeliveryMessage:
    """``<message id sentdate donedate status gsmerror />`` of a pull report."""

    id: str
    status: str
    sent_date: str | None = None
    done_date: str | None = None
    gsm_error: str | None = None


@attrs.frozen
class _DeliveryReport:
    message: list[DeliveryMessage] = attrs.Factory(list)


@attrs.frozen
class _Names:
    baslik: list[str | None] = attrs.Factory(list)


@attrs.frozen
class _Senders:
    normal: _Names | None = None
    sayisal: _Names | None = None
    status: int | None = None


@attrs.frozen
class _Balance:
    miktar: str | None = None
    kur: str | None = None
    status: int | None = None


# -- the converter ----------------------------------------------------------------------

_INT = re.compile(r"\s*-?\d+\s*")

#: Python field -> Kobikom element (``@``: attribute, ``#text``: element text), per model
_REQUEST_NAMES: Mapping[type[Any], Mapping[str, str]] = {
    Credentials: {"username": "kullanici", "password": "parola"},
    Recipient: {"number": "#text", "message_id": "@messageId"},
    Recipients: {},
    MessageBlock: {
        "sender": "baslik",
        "text": "metin",
        "flash": "flash",
        "long_sms": "type",
        "data_coding": "datacoding",
        "schedule": "ileriTarih",
        "validity": "ValidityPeriod",
        "push_url": "pushurl",
        "recipients": "alicilar",
    },
    SmsRequest: {"credentials": "dogrulama", "message": "mesajiniz"},
    SendersRequest: {"credentials": "dogrulama"},
    BalanceRequest: {"credentials": "dogrulama"},
}
_ANSWER_NAMES: Mapping[type[Any], Mapping[str, str]] = {
    SubmitResult: {"message_id": "messageid"},
    _SubmitResults: {},
    DeliveryMessage: {
        "id": "@id",
        "status": "@status",
        "sent_date": "@sentdate",
        "done_date": "@donedate",
        "gsm_error": "@gsmerror",
    },
    _DeliveryReport: {},
    _Names: {},
    _Senders: {},
    _Balance: {},
}


def _make_converter() -> cattrs.Converter:
    """The core's strict converter over the answers' names (every XML value is
    text: a whole number is read from digits). Requests are written by
    :func:`_document`, not through it."""
    from ileti.plugin import strict_converter, whole_number_or_text

    return strict_converter(_ANSWER_NAMES, scalars={int: whole_number_or_text})


@functools.cache
def converter() -> cattrs.Converter:
    """The plugin's own converter (built on first use: cattrs loads lazily)."""
    return _make_converter()


# -- building requests ---------------------------------------------------------------------

#: (field, attribute name, default) of one request model's XML attributes, its
#: child elements (field, element name, default), and the field written as its text
_Plan = tuple[
    tuple[tuple[str, str, Any], ...], tuple[tuple[str, str, Any], ...], tuple[str, Any] | None
]


_PLANS: dict[type[Any], _Plan] = {}


def _plan(cls: type[Any]) -> _Plan:
    """How a request model is written (worked out once per model)."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _make_plan(cls)
    return plan


def _make_plan(cls: type[Any]) -> _Plan:
    renames = _REQUEST_NAMES[cls]
    attributes, children, text = [], [], None
    for f in attrs.fields(cls):
        wire = renames.get(f.name, f.name)
        default = f.default.factory() if isinstance(f.default, attrs.Factory) else f.default  # type: ignore[arg-type]
        if wire == "#text":
            text = (f.name, default)
        elif wire.startswith("@"):
            attributes.append((f.name, wire[1:], default))
        else:
            children.append((f.name, wire, default))
    return tuple(attributes), tuple(children), text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _quote(value: str) -> str:
    """An attribute value quoted as the standard library's XML writer does."""
    value = _escape(value).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'


def _element(out: list[str], name: str, value: Any) -> None:
    """Write ``value`` as element(s) ``name``: a text, a list (one element per
    item) or a request model (its fields in the documented order, a field
    equal to its default left out, children before the text)."""
    if isinstance(value, str):
        out.append(f"<{name}>{_escape(value)}</{name}>")
        return
    if isinstance(value, list):
        for item in value:
            _element(out, name, item)
        return
    attributes, children, text = _plan(type(value))
    head = name
    for field, wire, default in attributes:
        item = getattr(value, field)
        if item != default:
            head += f" {wire}={_quote(item)}"
    out.append(f"<{head}>")
    for field, wire, default in children:
        item = getattr(value, field)
        if item != default:
            _element(out, wire, item)
    if text is not None:
        item = getattr(value, text[0])
        if item != text[1]:
            out.append(_escape(item))
    out.append(f"</{name}>")


def _document(root: str, request: Any) -> str:
    """The XML document of a request model under ``root``: what
    ``xmltodict.unparse`` writes for the model's wire names (the tests hold
    the two to the same output), in a tenth of the time.

    A bare CR in character data would reach the gateway as LF (XML
    end-of-line handling); written as a character reference it arrives
    unchanged. Every CR in the document is character data: attribute values
    are already escaped.
    """
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    _element(out, root, request)
    return "".join(out).replace("\r", "&#13;")


def sms_document(request: SmsRequest) -> str:
    """The ``<SMS>`` XML document for a send."""
    return _document("SMS", request)


def senders_request(credentials: Credentials) -> str:
    """The ``<basliklar>`` XML document."""
    return _document("basliklar", SendersRequest(credentials))


def balance_request(credentials: Credentials) -> str:
    """The ``<bakiye>`` XML document."""
    return _document("bakiye", BalanceRequest(credentials))


#: what the document's literal request body starts with (``body_style="literal"``)
LITERAL_PREFIX = "XML="


def post(document: str, body_style: str) -> HttpRequest:
    """POST a document to the send URL: as the ``XML`` form field (``form``), as
    the document's literal ``XML=`` + bare XML (``literal``), or as bare XML (``raw``)."""
    if body_style in ("raw", "literal"):
        prefix = LITERAL_PREFIX if body_style == "literal" else ""
        return HttpRequest(
            "POST",
            SEND_PATH,
            headers={"Content-Type": "application/xml; charset=utf-8", "Accept": "*/*"},
            body=(prefix + document).encode("utf-8"),
        )
    return HttpRequest.form_body("POST", SEND_PATH, {"XML": document}, headers={"Accept": "*/*"})


#: the headers of a form-encoded send (as ``HttpRequest.form_body`` merges them)
_FORM_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    "Accept": "*/*",
}


def send_post(request: SmsRequest, body_style: str) -> HttpRequest:
    """``post(sms_document(request), body_style)``: the send's HTTP request.

    The usual one (the ``form`` style, every field a text or ``None``) is
    written directly as the form body: the markup is URL-encoded once per
    element name and only the values are encoded per send, which makes it
    several times cheaper than encoding the whole document. Anything else
    goes through :func:`sms_document` and :func:`post`; a test holds the two
    to the same request for any values.
    """
    if body_style == "form":
        body = _sms_form(request)
        if body is not None:
            return HttpRequest("POST", SEND_PATH, headers=_FORM_HEADERS, body=body)
    return post(sms_document(request), body_style)


#: each byte as ``urlencode`` writes it in a value (``quote_plus``: letters,
#: digits and ``_.-~`` as they are, ``+`` for a space, else ``%XX``)
_FORM_BYTES = [
    chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_.-~") else f"%{b:02X}"
    for b in range(256)
]
_FORM_BYTES[ord(" ")] = "+"
#: the same for character data: XML's escapes first (``_escape``, and CR as a
#: character reference, as ``_document`` writes it)
_FORM_TEXT = list(_FORM_BYTES)
for _char, _escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
    _FORM_TEXT[ord(_char)] = "".join(_FORM_BYTES[ord(c)] for c in _escaped)


def _form(text: str) -> str:
    """Text as ``urlencode`` writes a value (a lone surrogate: UnicodeEncodeError)."""
    return text.encode("utf-8").decode("latin-1").translate(_FORM_BYTES)


def _form_text(value: object) -> str | None:
    """Character data as the form body holds it; ``None`` if it is no text."""
    if type(value) is not str:
        return None
    return value.encode("utf-8").decode("latin-1").translate(_FORM_TEXT)


#: one element of a model in a form body: (field, its start tag, its end tag,
#: its default), the tags URL-encoded
_FormField = tuple[str, str, str, Any]


@functools.cache
def _form_plan(cls: type[Any]) -> tuple[_FormField, ...]:
    """How a model's child elements are written into a form body (once per model)."""
    _, children, _ = _plan(cls)
    return tuple((f, _form(f"<{w}>"), _form(f"</{w}>"), d) for f, w, d in children)


@functools.cache
def _form_markup() -> dict[str, str]:
    """The constant markup of a ``<SMS>`` form body, URL-encoded once."""
    names = _REQUEST_NAMES[SmsRequest]
    return {
        "head": "XML=" + _form('<?xml version="1.0" encoding="utf-8"?>\n<SMS>'),
        "tail": _form("</SMS>"),
        "credentials": _form(f"<{names['credentials']}>"),
        "/credentials": _form(f"</{names['credentials']}>"),
        "message": _form(f"<{names['message']}>"),
        "/message": _form(f"</{names['message']}>"),
        "gsm": _form("<gsm>"),
        "gsm id": _form(f"<gsm {_REQUEST_NAMES[Recipient]['message_id'][1:]}="),
        ">": _form(">"),
        "/gsm": _form("</gsm>"),
    }


def _form_fields(out: list[str], model: object, plan: Sequence[_FormField]) -> bool:
    """A model's text fields appended to a form body, a field equal to its
    default left out; ``False`` if a value is not a text (or ``None`` left out)."""
    for field, start, end, default in plan:
        value = getattr(model, field)
        if value is None and default is None:
            continue
        text = _form_text(value)
        if text is None:
            return False
        out += (start, text, end)
    return True


def _sms_form(request: SmsRequest) -> bytes | None:
    """``urlencode({"XML": sms_document(request)})`` as bytes, written piece by
    piece (URL-encoding a concatenation is concatenating the encodings), or
    ``None`` when a value is not of the usual type: the strict path then
    writes it, or fails, as it always has."""
    if type(request) is not SmsRequest:
        return None
    credentials, block = request.credentials, request.message
    if (
        type(credentials) is not Credentials
        or type(block) is not MessageBlock
        or type(block.recipients) is not Recipients
        or type(block.recipients.gsm) is not list
    ):
        return None
    mark = _form_markup()
    out = [mark["head"], mark["credentials"]]
    try:
        if not _form_fields(out, credentials, _form_plan(Credentials)):
            return None
        out += (mark["/credentials"], mark["message"])
        *options, (last, start, end, _) = _form_plan(MessageBlock)
        if last != "recipients" or not _form_fields(out, block, options):
            return None
        out.append(start)
        for recipient in block.recipients.gsm:
            if type(recipient) is not Recipient:
                return None
            number = _form_text(recipient.number)
            message_id = recipient.message_id
            if number is None:
                return None
            if message_id is None:
                out += (mark["gsm"], number, mark["/gsm"])
            elif type(message_id) is str:
                out += (mark["gsm id"], _form(_quote(message_id)), mark[">"], number, mark["/gsm"])
            else:
                return None
        out += (end, mark["/message"], mark["tail"])
    except UnicodeError:  # a lone surrogate: the strict path raises it as it always has
        return None
    return "".join(out).encode("ascii")


def pull_request(credentials: Credentials, message_ids: Sequence[str]) -> HttpRequest:
    """GET the pull-report URL for the given message ids (never without ids)."""
    return HttpRequest(
        "GET",
        PULL_PATH,
        query={
            "kullanici": credentials.username,
            "parola": credentials.password,
            "MessageId": ",".join(message_ids),
        },
        headers={"Accept": "*/*"},
    )


def format_offset(when: datetime, now: datetime) -> str:
    """``ileriTarih`` for an absolute time: ``4d3h2m1s`` from ``now``, rounded up.

    Both times must be aware. A time at or before ``now`` gives ``1s``.
    """
    delta = when.astimezone(UTC) - now.astimezone(UTC)
    second = timedelta(seconds=1)
    seconds = delta // second + (1 if delta % second else 0)
    seconds = max(seconds, int(MIN_OFFSET / second))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s"))
    return "".join(f"{value}{unit}" for value, unit in units if value)


def format_validity(validity: timedelta) -> str:
    """``ValidityPeriod`` ``HH:mm``: rounded up to whole minutes, 00:01 to 48:00."""
    minute = timedelta(minutes=1)
    bounded = min(max(validity, MIN_VALIDITY), MAX_VALIDITY)
    minutes = bounded // minute + (1 if bounded % minute else 0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -- reading answers ---------------------------------------------------------------------------


def _text(response: HttpResponse) -> str:
    return response.text().lstrip("\ufeff")


def _bare_code(text: str) -> str | None:
    """A body that is only a status code (``-5``, or the pull's unsigned ``5``)."""
    stripped = text.strip()
    return stripped if _INT.fullmatch(stripped) else None


def _parse(response: HttpResponse, text: str, force_list: tuple[str, ...]) -> dict[str, Any]:
    try:
        parsed = xmltodict.parse(text, disable_entities=True, force_list=force_list)
    except Exception:  # ExpatError, ValueError (entities): not a readable XML document
        raise response.unreadable("well-formed XML") from None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise response.malformed("the answer is not one XML document")
    return parsed


def _root(response: HttpResponse, parsed: dict[str, Any], expected: str) -> dict[str, Any]:
    name, value = next(iter(parsed.items()))
    if name != expected:
        raise response.malformed(f"the answer's root element is <{name}>, not <{expected}>")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise response.malformed(f"<{expected}> holds text instead of elements")
    return value


def _structure(response: HttpResponse, value: Any, cls: type[T], what: str) -> T:
    try:
        return converter().structure(value, cls)
    except Exception:  # cattrs wraps every structuring failure
        raise response.malformed(f"the {what} does not have the documented shape") from None


def _unxml(value: str) -> str:
    return unescape(value, {"&quot;": '"', "&apos;": "'"})


# the document's two-recipient sample is malformed (no <result> and "<status><0"):
# the fallback reads such an answer when its shape is otherwise consistent
_RESULT = re.compile(
    r"<status>((?:(?!</status>)[^>])*)</status>\s*"
    r"(?:<messageid>([^<]*)</messageid>\s*)?"
    r"(?:<destination>([^<]*)</destination>)?"
)
_PROLOG = re.compile(r"\s*(?:<\?xml[^>]*\?>\s*)?")


@attrs.frozen
class SubmitAnswer:
    """The results of a send, and whether the lenient reader was needed."""

    results: tuple[SubmitResult, ...]
    lenient: bool = False


def _optional(value: str | None) -> str | None:
    if value is None:
        return None
    return _unxml(value).strip() or None


def _lenient_results(text: str) -> tuple[SubmitResult, ...] | None:
    body = text[_PROLOG.match(text).end() :].strip()  # type: ignore[union-attr]
    if not (body.startswith("<results>") and body.endswith("</results>")):
        return None
    found = list(_RESULT.finditer(body))
    if not found or not (len(found) == body.count("<status>") == body.count("</result>")):
        return None
    return tuple(
        SubmitResult(status=m[1].strip(), message_id=_optional(m[2]), destination=_optional(m[3]))
        for m in found
    )


# The usual send answer read without an XML parser: a <results> of <result>s, each
# <status>, then optionally <messageid> and <destination>, in that order, with
# plain text (no markup, entity, ']' or character XML refuses) and XML
# whitespace between the tags. Anything else goes to the XML parser; both give
# the same results (a hypothesis test holds them to it).
_VALUE = "([^<&\\]\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*)"
_WS = "[ \t\r\n]*"
_PLAIN_RESULT = re.compile(
    f"<result>{_WS}<status>{_VALUE}</status>{_WS}"
    f"(?:<messageid>{_VALUE}</messageid>{_WS})?"
    f"(?:<destination>{_VALUE}</destination>{_WS})?</result>{_WS}"
)
_PLAIN_RESULTS = re.compile(
    f'(?:<\\?xml version="1\\.0"(?: encoding="[Uu][Tt][Ff]-8")?\\?>)?{_WS}<results>{_WS}'
    f"((?:{_PLAIN_RESULT.pattern})+)</results>{_WS}"
)


def _plain_value(value: str | None) -> str | None:
    return (value or "").strip() or None


def _plain_results(text: str) -> tuple[SubmitResult, ...] | None:
    """The results of a usual send answer, or ``None`` for the XML parser."""
    whole = _PLAIN_RESULTS.fullmatch(text)
    if whole is None:
        return None
    results = []
    for m in _PLAIN_RESULT.finditer(whole[1]):
        status = _plain_value(m[1])
        if status is None:
            return None  # <status/> left empty: the parser's reading decides
        results.append(SubmitResult(status, _plain_value(m[2]), _plain_value(m[3])))
    return tuple(results)


def parse_submit(response: HttpResponse) -> SubmitAnswer:
    """The ``<results>`` of a send (or a bare status code as one request-level result)."""
    text = _text(response)
    code = _bare_code(text)
    if code is not None:
        # only a documented negative code, as it is written (the pull's unsigned
        # form is the pull's): a bare "0" or "1" is no answer of a send
        if code.strip() not in ERRORS:
            raise response.malformed(
                f"the answer is a bare number ({code.strip()}) that no send answer documents"
            )
        return SubmitAnswer((SubmitResult(status=code.strip()),))
    plain = _plain_results(text)
    if plain is not None:
        return SubmitAnswer(plain)
    try:
        parsed = _parse(response, text, ("result",))
    except MalformedResponse:
        lenient = _lenient_results(text)
        if lenient is None:
            raise
        return SubmitAnswer(lenient, lenient=True)
    root = _root(response, parsed, "results")
    results = _structure(response, root, _SubmitResults, "send answer")
    if not results.result:
        raise response.malformed("the send answer holds no <result>")
    return SubmitAnswer(tuple(results.result))


@attrs.frozen
class PullAnswer:
    """What a pull returned: reports, ``NO_DATA``, or an error code.

    ``unreadable`` counts ``<message>`` elements that could not be read (a cut
    or garbled answer); the readable ones are still in ``reports``.
    """

    reports: tuple[DeliveryMessage, ...] = ()
    error_code: str | None = None
    unreadable: int = 0


#: the body of a pull with nothing new (inferred: plain text, not XML)
NO_DATA = "NO_DATA"

_MESSAGE = re.compile(r"<message\b([^<>]*?)/>|<message\b([^<>]*)>\s*</message>")
_ATTR = re.compile(r"([A-Za-z_][\w.-]*)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _message_from_attrs(raw: str) -> DeliveryMessage | None:
    values = {m[1].lower(): _unxml(m[2] if m[2] is not None else m[3]) for m in _ATTR.finditer(raw)}
    ident = values.get("id", "").strip()
    status = values.get("status", "").strip()
    if not ident or not status:
        return None
    return DeliveryMessage(
        id=ident,
        status=status,
        sent_date=values.get("sentdate") or values.get("senddate"),
        done_date=values.get("donedate"),
        gsm_error=values.get("gsmerror"),
    )


def _lenient_reports(text: str) -> PullAnswer | None:
    body = text[_PROLOG.match(text).end() :]  # type: ignore[union-attr]
    if not body.lstrip().startswith("<DeliveryReport"):
        return None
    reports = []
    unreadable = body.count("<message")
    for m in _MESSAGE.finditer(body):
        message = _message_from_attrs(m[1] if m[1] is not None else m[2])
        if message is not None:
            reports.append(message)
            unreadable -= 1
    return PullAnswer(tuple(reports), unreadable=max(unreadable, 0))


def parse_pull(response: HttpResponse) -> PullAnswer:
    """A pull answer: ``NO_DATA``, a plain-text error code, or ``<DeliveryReport>``.

    The sample in the document lacks its closing tag: an answer that is not
    well-formed is read element by element, keeping every complete report.
    """
    text = _text(response)
    stripped = text.strip()
    if stripped.upper() == NO_DATA:
        return PullAnswer()
    code = _bare_code(stripped)
    if code is not None:
        return PullAnswer(error_code=normalise_code(code))
    try:
        parsed = _parse(response, text, ("message",))
    except MalformedResponse:
        lenient = _lenient_reports(text)
        if lenient is None:
            raise
        return lenient
    root = _root(response, parsed, "DeliveryReport")
    elements = root.get("message") or []
    reports = []
    unreadable = 0
    for element in elements:
        if isinstance(element, dict) and "@sentdate" not in element and "@senddate" in element:
            # the sample writes sentdate, the field table senddate: read both
            element = {**element, "@sentdate": element["@senddate"]}
        try:
            reports.append(converter().structure(element, DeliveryMessage))
        except Exception:  # one garbled element must not lose the others
            unreadable += 1
    return PullAnswer(tuple(reports), unreadable=unreadable)


def _check_status(response: HttpResponse, status: int | None) -> None:
    if status is not None and status != 0:
        raise error_for_code(str(status), response)


def parse_senders(response: HttpResponse) -> list[Sender]:
    """``<basliklar>``: alphanumeric (``normal``) then numeric (``sayisal``) names.

    The list carries no state: every listed name is usable, so approved.
    """
    text = _text(response)
    code = _bare_code(text)
    if code is not None:
        _check_status(response, int(code))
    root = _root(response, _parse(response, text, ("baslik",)), "basliklar")
    doc = _structure(response, root, _Senders, "sender list")
    _check_status(response, doc.status)
    names: list[str] = []
    for group in (doc.normal, doc.sayisal):
        if group is not None:
            names.extend(n.strip() for n in group.baslik if n and n.strip())
    return [Sender(name=n, state=SenderState.APPROVED) for n in dict.fromkeys(names)]


def parse_balance(response: HttpResponse, provider: str) -> Balance:
    """``<bakiye><miktar>18.532</miktar><kur>TRY</kur></bakiye>``: a money balance."""
    text = _text(response)
    code = _bare_code(text)
    if code is not None:
        _check_status(response, int(code))
    root = _root(response, _parse(response, text, ()), "bakiye")
    doc = _structure(response, root, _Balance, "balance")
    _check_status(response, doc.status)
    if doc.miktar is None:
        raise response.malformed("the balance answer has no <miktar>")
    try:
        amount = Decimal(doc.miktar.strip())
    except InvalidOperation:
        raise response.malformed("<miktar> is not a number") from None
    if not amount.is_finite():
        raise response.malformed("<miktar> is not a number")
    currency = (doc.kur or "").strip() or None
    return Balance(provider=provider, amount=amount, unit=BalanceUnit.CURRENCY, currency=currency)


_DIGITS = re.compile(r"\d+")


def parse_report_time(value: str | None) -> datetime | None:
    """``2024/5/1 10:0:5`` (not zero-padded) in Europe/Istanbul, or ``None``."""
    if not value:
        return None
    numbers = [int(n) for n in _DIGITS.findall(value)]
    if len(numbers) != 6:
        return None
    year, month, day, hour, minute, second = numbers
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=REPORT_TZ)
    except ValueError:
        return None
