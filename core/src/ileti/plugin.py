"""The plugin edge: everything a provider plugin may use from the core.

A plugin imports from this one module and nothing else of the core (its
emulator adds the emulation kit, :mod:`ileti.emulation`)::

    from ileti.plugin import Context, HttpRequest, Outgoing, ProviderInfo, hookimpl

It holds what a plugin describes itself with (:class:`ProviderInfo`, the text
profiles), what its hooks are given (:class:`Context`, :class:`Outgoing`,
:class:`OutgoingBatch`), what they build (:class:`HttpRequest`) and read
(:class:`HttpResponse`), what they return (the domain models), what they raise
(the errors, :class:`Category`, :func:`error_for`), and the helpers for
numbers, sender names, settings and secrets. Every name here is covered by
the plugin API version (:data:`PLUGIN_API`): it changes only by adding until a
change is announced. The modules these names are defined in are the user's
API or the core's own; a plugin that imports them directly works today but is
not covered by that promise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, MutableMapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

import attrs

from ileti.errors import (
    AccountInactive,
    AuthenticationError,
    ConfigurationError,
    DeliveryUnknown,
    Forbidden,
    IletiError,
    InsufficientCredit,
    InvalidContent,
    InvalidRecipient,
    InvalidSender,
    MalformedResponse,
    MessageTooLong,
    NotSupported,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    Rejected,
    TransportError,
    UnknownMessage,
    ValidationError,
    excerpt,
)
from ileti.hookspecs import CAPABILITIES, hookimpl
from ileti.http import HttpRequest, HttpResponse
from ileti.models import (
    Balance,
    BalanceUnit,
    DeliveryReport,
    DeliveryState,
    PanelLogin,
    RecipientReport,
    RecipientResult,
    Sender,
    SenderState,
    SendResult,
    SentPackage,
)
from ileti.numbers import (
    international,
    national,
    normalise_number,
    require_turkish,
    validate_sender,
)
from ileti.push import PushRequest
from ileti.redact import redact, register_secrets
from ileti.settings import (
    InsecureTransportWarning,
    ProviderSettings,
    Secret,
    is_loopback,
    parse_code_table,
    private_file,
    validate_base_url,
    warn_if_plain_http,
)
from ileti.text import (
    EFECELL_TURKISH,
    GSM7,
    GSM7_TR,
    UCS2,
    CountingRule,
    Encoding,
    ProfileEncoding,
    Segmentation,
    TextProfile,
    count,
    is_gsm7,
)
from ileti.wire import strict_converter, text_or_number, whole_number_or_text

__all__ = [
    "CAPABILITIES",
    "EFECELL_TURKISH",
    "GSM7",
    "GSM7_TR",
    "OLDEST_PLUGIN_API",
    "PLUGIN_API",
    "UCS2",
    "AccountInactive",
    "AuthenticationError",
    "Balance",
    "BalanceUnit",
    "Category",
    "ConfigurationError",
    "Context",
    "CountingRule",
    "DeliveryReport",
    "DeliveryState",
    "DeliveryUnknown",
    "Encoding",
    "Forbidden",
    "HttpRequest",
    "HttpResponse",
    "IletiError",
    "InsecureTransportWarning",
    "InsufficientCredit",
    "InvalidContent",
    "InvalidRecipient",
    "InvalidSender",
    "MalformedResponse",
    "MessageTooLong",
    "NotSupported",
    "Outgoing",
    "OutgoingBatch",
    "OutgoingItem",
    "PanelLogin",
    "ProfileEncoding",
    "ProviderError",
    "ProviderInfo",
    "ProviderSettings",
    "ProviderUnavailable",
    "PushRequest",
    "RateLimited",
    "RecipientReport",
    "RecipientResult",
    "Rejected",
    "Secret",
    "Segmentation",
    "SendResult",
    "Sender",
    "SenderState",
    "SentPackage",
    "TextProfile",
    "TransportError",
    "UnknownMessage",
    "ValidationError",
    "classify_text",
    "count",
    "error_for",
    "excerpt",
    "hookimpl",
    "international",
    "is_gsm7",
    "is_loopback",
    "national",
    "normalise_number",
    "parse_code_table",
    "private_file",
    "redact",
    "register_secrets",
    "require_turkish",
    "strict_converter",
    "text_or_number",
    "validate_base_url",
    "validate_sender",
    "warn_if_plain_http",
    "whole_number_or_text",
]


#: The plugin API this core provides. It changes only by adding (a new
#: optional field, hook or helper) until a contract change is announced: then
#: the names that go are deprecated (a DeprecationWarning) for at least one
#: minor release and six months, and the number goes up. See
#: docs/writing-a-plugin.md, "Compatibility".
PLUGIN_API = 1
#: the oldest plugin API this core still loads
OLDEST_PLUGIN_API = 1


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _clock_or_wall(clock: Callable[[], datetime] | None) -> Callable[[], datetime]:
    return clock if clock is not None else _utc_now


#: a plugin's settings class, flowing from its ProviderInfo to the Context its
#: hooks receive: ``ProviderInfo[EfecellSettings]``, ``Context[EfecellSettings]``
S = TypeVar("S")


@attrs.frozen(kw_only=True)
class ProviderInfo(Generic[S]):
    """What a provider is and what it can do, besides the hooks it implements.

    ``settings_type`` is the plugin's attrs settings class (a subclass of
    :class:`ileti.settings.ProviderSettings`); a plugin writes
    ``ProviderInfo[AcmeSettings]`` and its hooks take ``Context[AcmeSettings]``,
    whose ``settings`` is then typed without a cast. ``text`` is its
    :class:`ileti.text.TextProfile`: encodings with wire values and limits.
    ``max_recipients`` is per request (``None``: unknown or unlimited).
    """

    name: str
    title: str
    settings_type: type[S]
    text: TextProfile
    max_recipients: int | None = None
    scheduling: bool = False
    validity: bool = False
    #: the shortest and longest validity the gateway accepts, when it has bounds
    validity_range: tuple[timedelta, timedelta] | None = None
    flash: bool = False
    client_reference: bool = False
    #: True when the gateway encodes each text of a personalised batch on its own
    #: (one request per distinct text): each item then gets its own ``auto`` choice
    per_item_encoding: bool = False
    #: True when ``query_report`` also takes the ``client_ref`` a send carried
    #: (``Outgoing.client_ref`` / ``OutgoingBatch.client_ref``) in place of the
    #: message id, and its ``UnknownMessage`` is a documented answer meaning the
    #: gateway has no such message: campaigns then settle a send that may have
    #: left by asking the gateway, instead of leaving it ``unknown``
    report_by_client_ref: bool = False
    #: free text shown by ``ileti providers`` (e.g. what the gateway does not document)
    notes: str = ""
    #: what one part costs in money, for a gateway that bills money at a fixed
    #: price its document states (with ``currency``, an ISO 4217 code): the
    #: cost preview then shows money beside credits
    price_per_part: Decimal | None = attrs.field(default=None)
    currency: str | None = attrs.field(default=None)
    #: the plugin API the plugin was written for (:data:`PLUGIN_API` then);
    #: a core that does not provide it refuses to load the plugin, saying why
    api: int = 1

    @price_per_part.validator
    def _check_price(self, attribute: Any, value: Decimal | None) -> None:
        if value is None:
            if self.currency is not None:
                raise ValueError("ProviderInfo.currency needs price_per_part")
            return
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise ValueError(f"ProviderInfo.price_per_part={value!r}: give a Decimal >= 0")
        if not (
            isinstance(self.currency, str) and len(self.currency) == 3 and self.currency.isupper()
        ):
            raise ValueError(
                f"ProviderInfo.currency={self.currency!r}: give the ISO 4217 code (e.g. 'TRY') "
                "of price_per_part"
            )

    @property
    def encodings(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.text.encodings)

    @property
    def max_parts(self) -> int | None:
        limit: int | None = self.text.max_parts
        return limit

    def limits(self) -> dict[str, object]:
        """A JSON-ready summary for ``ileti providers``."""
        return {
            "encodings": {e.name: e.wire for e in self.text.encodings},
            "max_parts": self.text.max_parts,
            "max_recipients": self.max_recipients,
            "scheduling": self.scheduling,
            "validity": self.validity,
            "flash": self.flash,
            "client_reference": self.client_reference,
        }


@attrs.frozen
class OutgoingItem:
    """One recipient of a personalised batch, with its text measured."""

    recipient: str
    text: str
    segmentation: Segmentation
    client_ref: str

    @classmethod
    def many(
        cls,
        recipients: Iterable[str],
        segmentations: Iterable[Segmentation],
        client_refs: Iterable[str],
    ) -> tuple[OutgoingItem, ...]:
        """``OutgoingItem(r, s.text, s, ref)`` for each recipient, its
        segmentation and its reference (as many of each): the same items,
        built without attrs' ``__init__`` per item (a campaign's request
        has 500 of them)."""
        new = object.__new__
        set_recipient, set_text, set_segmentation, set_ref = _ITEM_SLOTS
        out = []
        for recipient, seg, ref in zip(recipients, segmentations, client_refs, strict=True):
            item = new(OutgoingItem)
            set_recipient(item, recipient)
            set_text(item, seg.text)
            set_segmentation(item, seg)
            set_ref(item, ref)
            out.append(item)
        return tuple(out)


#: the setters of OutgoingItem's fields, in order (its slots' own descriptors)
_ITEM_SLOTS = tuple(vars(OutgoingItem)[a.name].__set__ for a in attrs.fields(OutgoingItem))


@attrs.frozen(kw_only=True)
class Outgoing:
    """A message the core has validated and measured, ready for the wire.

    ``recipients`` are E.164, deduplicated, in the caller's order. ``text`` is
    the text to put on the wire (NFC, folded if asked). ``segmentation``
    holds the chosen encoding (``.encoding``, ``.wire``) and ``.parts``.
    ``schedule`` is an aware UTC datetime in whole seconds (a fraction of a
    second is rounded up: never early). ``client_ref`` is always set: the
    caller's, or one the core generated.
    """

    recipients: tuple[str, ...]
    text: str
    segmentation: Segmentation
    sender: str | None
    schedule: datetime | None
    validity: timedelta | None
    flash: bool
    client_ref: str


@attrs.frozen(kw_only=True)
class OutgoingBatch:
    """A personalised batch the core has validated and measured.

    One encoding serves the whole batch (``items[i].segmentation.wire`` is the
    same for every item): the one that can carry every text at the fewest
    total parts, unless the provider declares ``per_item_encoding``, in
    which case each item carries its own choice.
    """

    items: tuple[OutgoingItem, ...]
    sender: str | None
    schedule: datetime | None
    validity: timedelta | None
    flash: bool
    client_ref: str

    @property
    def wire_encoding(self) -> str:
        """The batch's encoding (the first item's, with ``per_item_encoding``)."""
        wire: str = self.items[0].segmentation.wire
        return wire


@attrs.define
class Context(Generic[S]):
    """What a hook receives besides its arguments.

    ``settings`` is the plugin's settings instance (typed by the plugin's
    annotation: ``ctx: Context[AcmeSettings]``). ``send`` and ``read`` make
    HTTP requests through the core's transport (``send`` for requests that
    send messages: never replayed). ``state`` is a per-client dict where a
    plugin may keep what it must remember between calls.
    """

    provider: str
    settings: S
    info: ProviderInfo[S]
    send_request: Callable[..., HttpResponse]
    read_request: Callable[..., HttpResponse]
    state: MutableMapping[str, Any] = attrs.field(factory=dict)
    client_ref: str | None = None
    #: the clock the plugin reads "now" from (aware, UTC): the wall clock, or
    #: the one the client was given (``Client(..., clock=...)``: an emulator's
    #: virtual clock in tests); never a module global of the plugin
    clock: Callable[[], datetime] = attrs.field(default=None, converter=_clock_or_wall)

    def send(self, request: HttpRequest) -> HttpResponse:
        """Make a request that may send messages (never retried once it left)."""
        return self.send_request(request, client_ref=self.client_ref)

    def read(self, request: HttpRequest, *, replayable: bool = True) -> HttpResponse:
        """Make a request that sends nothing (retried within bounds).

        Pass ``replayable=False`` for a read the gateway answers only once
        (Kobikom's report pull): it is then retried only when nothing left or
        the server answered 429/503, never after a timeout, reset, 502 or 504.
        """
        return self.read_request(request, replayable=replayable)

    def error(self, category: Category | str, message: str, **kw: Any) -> IletiError:
        """The typed error for a documented provider error (see :func:`error_for`)."""
        kw.setdefault("provider", self.provider)
        return error_for(category, message, **kw)

    def __repr__(self) -> str:
        return f"Context(provider={self.provider!r})"


class Category(enum.StrEnum):
    """Request-level error categories: which error each one raises is the table
    in "Errors" of the plugin walk-through (``docs/writing-a-plugin.md``)."""

    AUTH = "auth"
    INSUFFICIENT_CREDIT = "insufficient_credit"
    INVALID_SENDER = "invalid_sender"
    INVALID_RECIPIENT = "invalid_recipient"
    MESSAGE_TOO_LONG = "message_too_long"
    INVALID_REQUEST = "invalid_request"
    ACCOUNT_INACTIVE = "account_inactive"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    PROVIDER_ERROR = "provider_error"
    #: the provider has no message with the id asked about (query_report)
    UNKNOWN_MESSAGE = "unknown_message"


_CATEGORY_ERRORS: dict[Category, type[IletiError]] = {
    Category.AUTH: AuthenticationError,
    Category.INSUFFICIENT_CREDIT: InsufficientCredit,
    Category.INVALID_SENDER: InvalidSender,
    Category.INVALID_RECIPIENT: InvalidRecipient,
    Category.MESSAGE_TOO_LONG: MessageTooLong,
    Category.INVALID_REQUEST: Rejected,
    Category.ACCOUNT_INACTIVE: AccountInactive,
    Category.FORBIDDEN: Forbidden,
    Category.RATE_LIMITED: RateLimited,
    Category.PROVIDER_ERROR: ProviderUnavailable,
    Category.UNKNOWN_MESSAGE: UnknownMessage,
}


def error_for(category: Category | str, message: str, **kw: Any) -> IletiError:
    """The one mapping from an error category to the typed error tree.

    Keyword arguments (``provider``, ``code``, ``http_status``, ``excerpt``)
    are passed to the error.
    """
    cls = _CATEGORY_ERRORS[Category(category)]
    return cls(message, **kw)


# Turkish and English keywords in free-text provider errors, most specific first.
_KEYWORDS: tuple[tuple[Category, tuple[str, ...]], ...] = (
    (
        Category.AUTH,
        (
            "kullanıcı adı",
            "kullanici adi",
            "şifre",
            "sifre",
            "parola",
            "password",
            "username",
            "yetkisiz giriş",
            "authentication",
            "api key",
            "login",
            "giriş başarısız",
        ),
    ),
    (
        Category.INSUFFICIENT_CREDIT,
        ("kredi", "bakiye", "yetersiz", "credit", "balance", "insufficient"),
    ),
    (Category.ACCOUNT_INACTIVE, ("aktif değil", "pasif", "inactive", "not active", "askıya")),
    (
        Category.INVALID_SENDER,
        ("başlık", "baslik", "gönderici", "gonderici", "originator", "sender", "alfanumerik"),
    ),
    (
        Category.INVALID_RECIPIENT,
        ("numara", "gsm", "telefon", "alıcı", "alici", "msisdn", "number", "recipient"),
    ),
    (Category.MESSAGE_TOO_LONG, ("uzun", "too long", "karakter sınır")),
    (Category.FORBIDDEN, ("yetki", "izin", "forbidden", "not allowed", "not authorised")),
    (Category.RATE_LIMITED, ("rate limit", "çok fazla istek", "too many")),
    # last: "başlık bulunamadı" is a sender refused, not a message unknown
    (Category.UNKNOWN_MESSAGE, ("bulunamadı", "kayıt yok", "not found", "no such message")),
)


def _fold_i(text: str) -> str:
    """Casefold for keyword matching, with the Turkish i's made one letter.

    ``"BAŞLIK".casefold()`` is ``"başlik"`` (I → i, not ı) and ``"İ"``
    casefolds to ``"i̇"``: every i, ı and İ is read as ``i``.
    """
    return text.casefold().replace("\u0307", "").replace("ı", "i")


_FOLDED_KEYWORDS = tuple(
    (category, tuple(_fold_i(w) for w in words)) for category, words in _KEYWORDS
)


def classify_text(text: str, among: Iterable[Category] | None = None) -> Category | None:
    """Classify a free-text provider error by keyword (``None``: unknown).

    Innomobil and Ekomesaj answer errors in free text only, and Efecell's
    400 says in words which input it refused; this is the one place their
    words are read. ``among`` limits the answer to some categories.
    """
    low = _fold_i(text)
    allowed = None if among is None else frozenset(among)
    for category, words in _FOLDED_KEYWORDS:
        if allowed is not None and category not in allowed:
            continue
        if any(w in low for w in words):
            return category
    return None
