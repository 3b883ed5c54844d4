"""The wire format of Frozen v1.

Models, converter, tables, and the mapping to ileti's models.

Everything that knows a JSON name, a code or a quirk of the gateway lives in
this module, so that :mod:`ileti_frozen_v1.plugin` reads like the hooks it
implements and ileti's domain models never learn a wire name:

- attrs wire models shaped like the JSON, structured and unstructured by this
  plugin's own cattrs converter (:func:`converter`; the renames from Python
  names to wire names are made there, and only there);
- the tables: raw delivery states, sender states and error codes;
- :func:`read`, the one function that turns an answer into a wire model or
  into the typed ileti error;
- the mapping from wire models to ileti's models.

The gateway's API (the template's own, tiny one: replace it with your
provider's, keeping the shape of this module). Every request carries
``Authorization: Bearer <api_key>``; numbers are international digits
(``905321112233``); times are ISO 8601, UTC when they carry no offset.

``POST /v1/messages``
    ``{"from": "ILETI", "to": ["905321112233"], "text": "Merhaba",
    "encoding": "gsm7", "reference": "order-42"}`` (``from`` and
    ``reference`` optional) answers ``{"id": "m1", "parts": 1, "cost": 1}``:
    the message id, the parts per recipient and the credits charged.
``GET /v1/messages/{id}``
    ``{"id": "m1", "recipients": [{"to": "905321112233", "state": "DELIVRD",
    "updated": "2026-03-02T09:01:00+00:00", "error": null}]}``
``GET /v1/balance``
    ``{"credit": 998}``: SMS credits.
``GET /v1/senders``
    ``{"senders": [{"name": "ILETI", "state": "approved"}]}``
any error
    an HTTP status of 400 or more with
    ``{"error": {"code": "insufficient_credit", "message": "..."}}``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, get_args, get_origin

import attrs
from ileti.errors import IletiError, excerpt
from ileti.models import (
    Balance,
    BalanceUnit,
    DeliveryReport,
    DeliveryState,
    RecipientReport,
    RecipientResult,
    Sender,
    SenderState,
    SendResult,
)
from ileti.plugin import Category, classify_text

if TYPE_CHECKING:
    import cattrs
    from ileti.http import HttpResponse
    from ileti.plugin import Context, Outgoing

__all__ = [
    "BALANCE_PATH",
    "ERRORS",
    "MAX_RECIPIENTS",
    "MESSAGES_PATH",
    "REPORT_PATH",
    "SENDERS_PATH",
    "SENDER_STATES",
    "STATES",
    "BalanceAnswer",
    "ErrorAnswer",
    "ErrorDetail",
    "ErrorInfo",
    "RecipientState",
    "ReportAnswer",
    "SendAnswer",
    "SendRequest",
    "SenderEntry",
    "SendersAnswer",
    "balance",
    "converter",
    "delivery_report",
    "failure",
    "read",
    "send_result",
    "senders",
    "structure",
    "unstructure",
]

T = TypeVar("T")

# -- endpoints -----------------------------------------------------------------------

MESSAGES_PATH = "/v1/messages"
REPORT_PATH = "/v1/messages/{message_id}"
BALANCE_PATH = "/v1/balance"
SENDERS_PATH = "/v1/senders"

#: the most numbers one ``POST /v1/messages`` takes
MAX_RECIPIENTS = 100

#: what a message id looks like (checked before a report request is made)
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

# -- tables --------------------------------------------------------------------------

#: raw per-recipient state -> ileti's normalised state (a raw state missing
#: here is read as ``unknown``, and kept beside it as ``raw_state``)
STATES: Mapping[str, DeliveryState] = MappingProxyType(
    {
        "ACCEPTED": DeliveryState.QUEUED,
        "ENROUTE": DeliveryState.SENT,
        "DELIVRD": DeliveryState.DELIVERED,
        "UNDELIV": DeliveryState.UNDELIVERED,
        "EXPIRED": DeliveryState.EXPIRED,
        "REJECTD": DeliveryState.REJECTED,
        "DELETED": DeliveryState.CANCELLED,
    }
)

#: raw sender-name state -> ileti's (an unknown one is read as inactive)
SENDER_STATES: Mapping[str, SenderState] = MappingProxyType(
    {
        "approved": SenderState.APPROVED,
        "pending": SenderState.PENDING,
        "inactive": SenderState.INACTIVE,
    }
)


@attrs.frozen
class ErrorInfo:
    """How a documented error code maps to the error tree, and what to tell the user."""

    category: Category
    message: str


#: documented error code -> category and a message that says what to do
ERRORS: Mapping[str, ErrorInfo] = MappingProxyType(
    {
        "unauthorized": ErrorInfo(
            Category.AUTH, "the gateway refused the API key: check the api_key setting"
        ),
        "insufficient_credit": ErrorInfo(
            Category.INSUFFICIENT_CREDIT, "the account has too little credit for this send"
        ),
        "forbidden": ErrorInfo(Category.FORBIDDEN, "the account may not do this"),
        "account_inactive": ErrorInfo(Category.ACCOUNT_INACTIVE, "the account is not active"),
        "sender_not_allowed": ErrorInfo(
            Category.INVALID_SENDER,
            "the gateway refused the sender name: use an approved one (client.senders())",
        ),
        "invalid_number": ErrorInfo(
            Category.INVALID_RECIPIENT, "the gateway refused a number of this message"
        ),
        "too_long": ErrorInfo(
            Category.MESSAGE_TOO_LONG, "the text has more parts than the gateway allows"
        ),
        "bad_request": ErrorInfo(
            Category.INVALID_REQUEST, "the gateway refused the request as invalid"
        ),
        "not_found": ErrorInfo(
            Category.INVALID_REQUEST,
            "the gateway knows no such message: pass the message_id of a SendResult",
        ),
        "rate_limited": ErrorInfo(
            Category.RATE_LIMITED, "the gateway is rate limiting the account"
        ),
        "server_error": ErrorInfo(
            Category.PROVIDER_ERROR, "the gateway reported an error of its own; try again later"
        ),
    }
)

#: HTTP status -> category, for an error answer that is not the documented
#: ``{"error": ...}`` body (a proxy's page): only the statuses that say it all
HTTP_CATEGORIES: Mapping[int, Category] = MappingProxyType(
    {
        401: Category.AUTH,
        402: Category.INSUFFICIENT_CREDIT,
        403: Category.FORBIDDEN,
        429: Category.RATE_LIMITED,
    }
)

# -- wire models ---------------------------------------------------------------------

_NUMBER = attrs.validators.matches_re(r"[1-9][0-9]{7,14}")


def _not_blank(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise ValueError(f"{attribute.name} is empty")


@attrs.frozen(kw_only=True)
class SendRequest:
    """``POST /v1/messages``: one text to many numbers."""

    sender: str | None = None  # "from", left out when None
    recipients: list[str]  # "to"
    text: str
    encoding: str
    reference: str | None = None  # left out when None


@attrs.frozen(kw_only=True)
class SendAnswer:
    """The answer to ``POST /v1/messages``."""

    message_id: str = attrs.field(validator=_not_blank)  # "id"
    parts: int = attrs.field(validator=attrs.validators.ge(1))
    cost: Decimal | None = None


@attrs.frozen(kw_only=True)
class RecipientState:
    """One entry of a report's ``recipients``."""

    number: str = attrs.field(validator=_NUMBER)  # "to"
    state: str
    updated: datetime | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class ReportAnswer:
    """The answer to ``GET /v1/messages/{id}``."""

    recipients: list[RecipientState]


@attrs.frozen(kw_only=True)
class BalanceAnswer:
    """The answer to ``GET /v1/balance``."""

    credit: Decimal


@attrs.frozen(kw_only=True)
class SenderEntry:
    """One entry of ``senders``."""

    name: str = attrs.field(validator=_not_blank)
    state: str


@attrs.frozen(kw_only=True)
class SendersAnswer:
    """The answer to ``GET /v1/senders``."""

    senders: list[SenderEntry]


@attrs.frozen(kw_only=True)
class ErrorDetail:
    code: str
    message: str | None = None


@attrs.frozen(kw_only=True)
class ErrorAnswer:
    """Any error: ``{"error": {"code": ..., "message": ...}}``."""

    error: ErrorDetail


# -- the converter -------------------------------------------------------------------
# Strict hooks: cattrs would otherwise turn 1 into "1", True into 1 and a dict
# into the list of its keys; an answer of the wrong shape must be refused.


def _str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value


def _int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {type(value).__name__}")
    return value


def _decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"expected a number, got {value!r:.40}") from None
    if not number.is_finite():
        raise ValueError(f"expected a finite number, got {value!r:.40}")
    return number


def _datetime(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 time, got {type(value).__name__}")
    when = datetime.fromisoformat(value)  # a ValueError when it is not a time
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _is_list(type_: Any) -> bool:
    return get_origin(type_) is list


@functools.cache
def converter() -> cattrs.Converter:
    """The plugin's own cattrs converter (built once, on first use)."""
    import cattrs
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    conv = cattrs.Converter()
    conv.register_structure_hook(str, _str)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_structure_hook(datetime, _datetime)

    def structure_list(value: Any, type_: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        (item,) = get_args(type_) or (Any,)
        return [conv.structure(v, item) for v in value]

    conv.register_structure_hook_func(_is_list, structure_list)

    # Python name -> wire name: the only place the wire names of fields live
    conv.register_unstructure_hook(
        SendRequest,
        make_dict_unstructure_fn(
            SendRequest,
            conv,
            sender=override(rename="from", omit_if_default=True),
            recipients=override(rename="to"),
            reference=override(omit_if_default=True),
        ),
    )
    conv.register_structure_hook(
        SendAnswer, make_dict_structure_fn(SendAnswer, conv, message_id=override(rename="id"))
    )
    conv.register_structure_hook(
        RecipientState, make_dict_structure_fn(RecipientState, conv, number=override(rename="to"))
    )
    return conv


def unstructure(obj: Any) -> Any:
    """A wire model as JSON-ready data."""
    return converter().unstructure(obj)


def structure(data: Any, cls: type[T]) -> T:
    """JSON data as a wire model; any mismatch raises ``ValueError``."""
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
        return f"{exc.args[0]!r} is missing" if exc.args else "a field is missing"
    return str(exc)[:200] or type(exc).__name__


# -- reading answers -----------------------------------------------------------------


def failure(ctx: Context, response: HttpResponse) -> IletiError:
    """The typed error for an answer with an HTTP status of 400 or more."""
    try:
        detail: ErrorDetail | None = structure(response.json(), ErrorAnswer).error
    except (IletiError, ValueError):
        detail = None
    if detail is None:
        category = HTTP_CATEGORIES.get(response.status)
        if category is None:
            return response.malformed(f"HTTP {response.status} without the documented error body")
        message = f"the gateway refused the request (HTTP {response.status})"
    elif detail.code in ERRORS:
        category, message = ERRORS[detail.code].category, ERRORS[detail.code].message
    else:  # an undocumented code: read its words, else its HTTP status
        category = (
            (classify_text(detail.message) if detail.message else None)
            or HTTP_CATEGORIES.get(response.status)
            or (Category.PROVIDER_ERROR if response.status >= 500 else Category.INVALID_REQUEST)
        )
        message = f"the gateway refused the request (error code {detail.code!r:.40})"
    return ctx.error(
        category,
        message,
        code=detail.code[:40] if detail is not None else None,
        http_status=response.status,
        excerpt=excerpt(response.body),
    )


def read(ctx: Context, response: HttpResponse, answer: type[T]) -> T:
    """The answer as the wire model ``answer``, or the typed error it stands for."""
    if response.status >= 400:
        raise failure(ctx, response)
    data = response.json()  # MalformedResponse when it is not JSON
    try:
        return structure(data, answer)
    except ValueError as exc:
        raise response.malformed(f"the answer is not a {answer.__name__} ({exc})") from None


# -- wire -> domain ------------------------------------------------------------------


def send_result(provider: str, answer: SendAnswer, message: Outgoing) -> SendResult:
    """The gateway accepts every number of a send or refuses the whole send."""
    return SendResult(
        provider=provider,
        message_id=answer.message_id,
        recipients=tuple(RecipientResult(number=n, accepted=True) for n in message.recipients),
        client_ref=message.client_ref,
        parts=answer.parts,
        credits=answer.cost,
    )


def delivery_report(provider: str, message_id: str, answer: ReportAnswer) -> DeliveryReport:
    """Each recipient's raw state, normalised by :data:`STATES`."""
    return DeliveryReport(
        provider=provider,
        message_id=message_id,
        recipients=tuple(
            RecipientReport(
                number="+" + r.number,
                state=STATES.get(r.state, DeliveryState.UNKNOWN),
                raw_state=r.state,
                time=r.updated,
                error=r.error,
            )
            for r in answer.recipients
        ),
    )


def balance(provider: str, answer: BalanceAnswer) -> Balance:
    """The balance in SMS credits."""
    return Balance(provider=provider, amount=answer.credit, unit=BalanceUnit.CREDITS)


def senders(answer: SendersAnswer) -> list[Sender]:
    """Sender names with their states, normalised by :data:`SENDER_STATES`."""
    return [
        Sender(s.name, SENDER_STATES.get(s.state, SenderState.INACTIVE)) for s in answer.senders
    ]
