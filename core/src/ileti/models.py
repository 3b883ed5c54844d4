"""Domain models: frozen attrs classes that never learn a wire name."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from ileti.settings import Secret

__all__ = [
    "Balance",
    "BalanceUnit",
    "Batch",
    "BatchItem",
    "DeliveryReport",
    "DeliveryState",
    "Message",
    "PanelLogin",
    "RecipientReport",
    "RecipientResult",
    "SendResult",
    "Sender",
    "SenderState",
    "SentPackage",
]


class DeliveryState(enum.StrEnum):
    """The normalised delivery states: what each means and which are final is
    the table under "Reports" in the client guide (``docs/guide/client.md``)."""

    QUEUED = "queued"
    SCHEDULED = "scheduled"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """True for the terminal states; ``sent`` and ``unknown`` are not final."""
        return self in _FINAL

    @property
    def rank(self) -> int:
        """Progress order: a recipient's state never moves to a lower rank."""
        return _RANK[self]


_FINAL = frozenset(
    {
        DeliveryState.DELIVERED,
        DeliveryState.UNDELIVERED,
        DeliveryState.EXPIRED,
        DeliveryState.REJECTED,
        DeliveryState.FAILED,
        DeliveryState.CANCELLED,
    }
)
_RANK = {
    DeliveryState.UNKNOWN: 0,
    DeliveryState.SCHEDULED: 1,
    DeliveryState.QUEUED: 2,
    DeliveryState.SENT: 3,
    **dict.fromkeys(_FINAL, 4),
}


def _non_empty(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    """A model's identifying text (number, id, name) is never empty.

    Plugins build these models from provider answers, so an empty one means
    an answer that could not be read: the error is a ``MalformedResponse``
    (an ``IletiError``, as the contract requires of every hook).
    """
    if not isinstance(value, str) or not value.strip():
        from ileti.errors import MalformedResponse

        raise MalformedResponse(
            f"{type(instance).__name__}.{attribute.name} must be a non-empty str; the "
            "provider's answer has none"
        )


def _sender_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    """A sender name read from a gateway follows the rule every send checks
    (:func:`ileti.numbers.validate_sender`): a name that breaks it is no
    sender any gateway can mean (a line of an HTML page, say), so the answer
    that held it could not be read: ``MalformedResponse``."""
    _non_empty(instance, attribute, value)
    from ileti.errors import InvalidSender, MalformedResponse
    from ileti.numbers import validate_sender

    try:
        validate_sender(value)
    except InvalidSender as exc:
        raise MalformedResponse(
            f"the provider's answer names a sender that no gateway can mean: {exc.message}"
        ) from None


def _recipients(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen
class Message:
    """One text to one or more recipients.

    ``recipients`` may be given in any common Turkish form (``0532 111 22 33``,
    ``+905321112233``, ...); the client parses them to E.164.
    ``schedule`` must be timezone-aware. ``encoding`` is ``"auto"`` or one of
    the text engine's encodings (``gsm7``, ``gsm7-tr``, ``ucs2``) or a
    provider's own (``turkish`` for Efecell); ``None`` means the provider
    setting ``default_encoding`` (itself ``"auto"`` unless set).
    """

    recipients: tuple[str, ...] = attrs.field(converter=_recipients)
    text: str
    sender: str | None = None
    schedule: datetime | None = None
    validity: timedelta | None = None
    encoding: str | None = None
    flash: bool = False
    client_ref: str | None = None
    fold_turkish: bool = False
    keep_duplicates: bool = False


@attrs.frozen
class BatchItem:
    """One recipient and its own text in a personalised batch."""

    recipient: str
    text: str
    client_ref: str | None = None


def _items(value: Iterable[BatchItem]) -> tuple[BatchItem, ...]:
    return tuple(value)


@attrs.frozen
class Batch:
    """A personalised send: a text per recipient, one sender and options."""

    items: tuple[BatchItem, ...] = attrs.field(converter=_items)
    sender: str | None = None
    schedule: datetime | None = None
    validity: timedelta | None = None
    encoding: str | None = None
    flash: bool = False
    fold_turkish: bool = False
    #: the batch's own reference (one is generated when ``None``); a provider
    #: that declares ``report_by_client_ref`` finds the batch's report by it
    client_ref: str | None = None


@attrs.frozen
class RecipientResult:
    """What happened to one recipient of a send.

    ``number`` is E.164 (``+905321112233``). ``message_id`` is the provider's
    id for this recipient where it gives one per recipient.
    """

    number: str = attrs.field(validator=_non_empty)
    accepted: bool
    message_id: str | None = None
    reason: str | None = None
    raw_code: str | None = None

    @classmethod
    def all_accepted(cls, numbers: Sequence[str]) -> tuple[RecipientResult, ...]:
        """``RecipientResult(n, True)`` for each of ``numbers``, in order: the
        same results and the same error, built without attrs' ``__init__``
        per recipient when every number is a non-empty text (a campaign's
        request has 500 of them; about 0.25 µs a recipient less)."""
        try:
            plain = cls is RecipientResult and all(map(str.strip, numbers))
        except TypeError:  # not all text: each goes through __init__ and its check
            plain = False
        if not plain:
            return tuple([cls(n, True) for n in numbers])
        new = object.__new__
        set_number, set_accepted, set_id, set_reason, set_code = _RESULT_SLOTS
        out = []
        for number in numbers:
            result = new(RecipientResult)
            set_number(result, number)
            set_accepted(result, True)
            set_id(result, None)
            set_reason(result, None)
            set_code(result, None)
            out.append(result)
        return tuple(out)


#: the setters of RecipientResult's fields, in order (its slots' own descriptors)
_RESULT_SLOTS = tuple(vars(RecipientResult)[a.name].__set__ for a in attrs.fields(RecipientResult))


@attrs.frozen
class SendResult:
    """The answer to a send: one entry per recipient, in the caller's order.

    ``message_id`` is the package id to pass to ``Client.report``.
    ``parts`` is the part count per recipient and ``credits`` what the
    provider charged, when it says so.
    """

    provider: str
    message_id: str | None
    recipients: tuple[RecipientResult, ...]
    client_ref: str | None = None
    parts: int | None = None
    credits: Decimal | None = None

    @property
    def accepted(self) -> tuple[RecipientResult, ...]:
        return tuple(r for r in self.recipients if r.accepted)

    @property
    def rejected(self) -> tuple[RecipientResult, ...]:
        return tuple(r for r in self.recipients if not r.accepted)


@attrs.frozen
class RecipientReport:
    """One recipient's normalised state, with the provider's raw code beside it."""

    number: str = attrs.field(validator=_non_empty)
    state: DeliveryState
    raw_state: str
    time: datetime | None = None
    message_id: str | None = None
    error: str | None = None


@attrs.frozen
class DeliveryReport:
    """The delivery state of every recipient of a package."""

    provider: str
    message_id: str = attrs.field(validator=_non_empty)
    recipients: tuple[RecipientReport, ...]
    package_state: DeliveryState | None = None
    raw_package_state: str | None = None

    @property
    def is_final(self) -> bool:
        """True when every recipient is in a terminal state."""
        return bool(self.recipients) and all(r.state.is_final for r in self.recipients)

    def tally(self) -> dict[DeliveryState, int]:
        counts: dict[DeliveryState, int] = {}
        for r in self.recipients:
            counts[r.state] = counts.get(r.state, 0) + 1
        return counts


class BalanceUnit(enum.StrEnum):
    CREDITS = "credits"
    CURRENCY = "currency"


@attrs.frozen
class Balance:
    """An account's balance.

    ``unit`` is ``credits`` (SMS credits) or ``currency`` with ``currency``
    holding its code (``TRY``). ``postpaid`` accounts have no limit to show:
    their ``amount`` is ``None``.
    """

    provider: str
    amount: Decimal | None
    unit: BalanceUnit = BalanceUnit.CREDITS
    currency: str | None = None
    postpaid: bool = False
    sms_credits: Decimal | None = None


class SenderState(enum.StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    INACTIVE = "inactive"


@attrs.frozen
class Sender:
    """A sender name (originator) registered with the provider; a name that
    breaks the sender rule raises ``MalformedResponse``."""

    name: str = attrs.field(validator=_sender_name)
    state: SenderState = SenderState.APPROVED


def _aware(instance: object, attribute: attrs.Attribute[datetime | None], value: object) -> None:
    if isinstance(value, datetime) and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{attribute.name} must be an aware datetime, not {value.isoformat()}")


def _count(instance: object, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is not None and (not isinstance(value, int) or value < 0):
        raise ValueError(f"{attribute.name} must be a count (0 or more), not {value!r}")


@attrs.frozen
class SentPackage:
    """A package sent from the account, as the gateway lists it by date
    (:meth:`ileti.Client.sent_packages`): one line of its send history.

    ``sent_at`` is aware (the gateway's time zone converted); the counts are
    the gateway's own, ``None`` where it gives none. ``message_id`` is what
    :meth:`ileti.Client.report` takes for the package's recipients.
    """

    provider: str
    message_id: str = attrs.field(validator=_non_empty)
    sent_at: datetime | None = attrs.field(default=None, validator=_aware)
    sender: str | None = None
    text: str | None = None
    recipients: int | None = attrs.field(default=None, validator=_count)
    parts: int | None = attrs.field(default=None, validator=_count)
    delivered: int | None = attrs.field(default=None, validator=_count)
    waiting: int | None = attrs.field(default=None, validator=_count)
    failed: int | None = attrs.field(default=None, validator=_count)
    scheduled: bool = False


@attrs.frozen
class PanelLogin:
    """A link that opens the provider's web panel without the password
    (:meth:`ileti.Client.panel_login`).

    ``url`` is a credential while it lasts: an :class:`ileti.Secret`, shown
    only by ``url.reveal()``. ``expires_at`` is when the gateway stops taking
    it (aware; ``None`` if it does not say); ``note`` says what else limits it.
    """

    provider: str
    url: Secret
    expires_at: datetime | None = attrs.field(default=None, validator=_aware)
    note: str | None = None
