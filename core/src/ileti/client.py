"""The client users hold: one provider, its settings, a transport, the calls."""

from __future__ import annotations

import itertools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ileti.errors import (
    ConfigurationError,
    DeliveryUnknown,
    IletiError,
    InvalidContent,
    MalformedResponse,
    NotSupported,
    ValidationError,
)
from ileti.host import LoadedProvider, build_manager, load_provider
from ileti.http import DEFAULT_POOL_SIZE, check_pool_size
from ileti.models import (
    Balance,
    Batch,
    BatchItem,
    DeliveryReport,
    Message,
    PanelLogin,
    Sender,
    SendResult,
    SentPackage,
)
from ileti.numbers import normalise_number, normalise_numbers, validate_sender
from ileti.settings import (
    ResolvedSettings,
    default_config_path,
    default_provider,
    resolve_settings,
    secret_settings,
    secret_values,
)
from ileti.waiting import DEFAULT_DEADLINE

if TYPE_CHECKING:
    from ileti.campaign import Campaign
    from ileti.http import RetryPolicy, Timeout
    from ileti.network import HttpTransport
    from ileti.plugin import Context, Outgoing, OutgoingBatch, OutgoingItem
    from ileti.push import PushRequest
    from ileti.text import Segmentation
    from ileti.transport import Transport
    from ileti.waiting import Backoff, OnPoll

__all__ = ["Client", "CostPreview"]

_log = logging.getLogger("ileti.client")

# characters XML 1.0 forbids: refused for every provider, before any request
_XML_FORBIDDEN = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@attrs.frozen
class CostPreview:
    """What a send would cost: encoding, parts per recipient, credits in all."""

    provider: str | None
    segmentation: Segmentation
    recipients: int
    #: what one part costs in money, when the provider declares it
    #: (``ProviderInfo.price_per_part`` and ``currency``)
    price_per_part: Decimal | None = None
    currency: str | None = None

    @property
    def encoding(self) -> str:
        name: str = self.segmentation.encoding
        return name

    @property
    def parts(self) -> int:
        parts: int = self.segmentation.parts
        return parts

    @property
    def credits(self) -> Decimal:
        """Parts times recipients: what a gateway billing per part charges (a
        ``Decimal``, like ``SendResult.credits`` and balances)."""
        return Decimal(self.parts * self.recipients)

    @property
    def price(self) -> Decimal | None:
        """The credits in money, in :attr:`currency` (``None`` unless the
        provider declares a price per part)."""
        if self.price_per_part is None:
            return None
        return self.credits * self.price_per_part

    def to_dict(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            **self.segmentation.to_dict(),
            "recipients": self.recipients,
            "credits": self.credits,
            "price": self.price,
            "currency": self.currency if self.price is not None else None,
        }


_REF_PREFIX = os.urandom(8).hex()
_ref_counter = itertools.count(1)


def new_client_ref() -> str:
    """A fresh client reference: 32 hex characters, unique per process and
    across processes (a random prefix drawn once per process, then a
    counter). Cheaper than ``uuid4`` per message, whose ``os.urandom`` call
    costs tens of microseconds on some machines."""
    return f"{_REF_PREFIX}{next(_ref_counter):016x}"  # next() on count is atomic


def _reseed() -> None:
    """A forked child draws its own prefix, so parent and child never share one."""
    global _REF_PREFIX, _ref_counter
    _REF_PREFIX = os.urandom(8).hex()
    _ref_counter = itertools.count(1)


os.register_at_fork(after_in_child=_reseed)


def _loaded(provider: str | LoadedProvider) -> LoadedProvider:
    """An installed provider by id, or a plugin already loaded with
    :func:`ileti.host.inspect_plugin` (tests, in-process plugins)."""
    if isinstance(provider, LoadedProvider):
        return provider
    return load_provider(provider)


def _batch_item(item: BatchItem | tuple[str, str]) -> BatchItem:
    if isinstance(item, BatchItem):
        return item
    number, text = item
    return BatchItem(number, text)


def _recipients_of(hook_kw: Mapping[str, Any]) -> tuple[str, ...]:
    """The numbers a send hook was given (``message=`` or ``batch=``)."""
    message = hook_kw.get("message")
    if message is not None:
        return tuple(message.recipients)
    batch = hook_kw.get("batch")
    if batch is not None:
        return tuple(item.recipient for item in batch.items)
    return ()


def as_batch(items: Batch | Iterable[BatchItem | tuple[str, str]], **options: Any) -> Batch:
    """A :class:`Batch` as given, or built from ``(number, text)`` pairs and options."""
    if isinstance(items, Batch):
        return items
    return Batch(items=tuple(_batch_item(i) for i in items), **options)


def check_text(text: str) -> None:
    """Refuse text that cannot be sent: not a str, empty, or XML-forbidden characters."""
    if not isinstance(text, str):
        raise InvalidContent(f"the text must be a str, not {type(text).__name__}")
    if not text:
        raise InvalidContent("the text is empty: an empty message cannot be sent")
    # a printable text holds no control character, surrogate or noncharacter
    # (the common case, decided in C; newlines and the rest go to the pattern)
    if not text.isprintable() and _XML_FORBIDDEN.search(text) is not None:
        bad = sorted({f"U+{ord(c):04X}" for c in _XML_FORBIDDEN.findall(text)})
        raise InvalidContent(
            f"the text contains control characters that cannot be sent ({', '.join(bad)}); "
            "remove them (newline, carriage return and tab are allowed)"
        )


def _aware(name: str, when: datetime) -> datetime:
    """``when`` if it is an aware datetime, else a ValidationError naming ``name``."""
    if not isinstance(when, datetime):
        raise ValidationError(f"{name} must be a datetime, not {type(when).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValidationError(
            f"{name} ({when.isoformat()}) has no time zone: pass an aware datetime, "
            "e.g. datetime(..., tzinfo=ZoneInfo('Europe/Istanbul'))"
        )
    return when


def _aware_utc(when: datetime | None, now: datetime) -> datetime | None:
    if when is None:
        return None
    utc = _aware("the schedule time", when).astimezone(UTC)
    if utc <= now:
        raise ValidationError(
            f"the schedule time {when.isoformat()} is in the past: give a future time, or "
            "none to send now"
        )
    # gateways take whole seconds: rounded up here, once, so that no plugin's
    # format can make a message leave early by dropping the fraction
    if utc.microsecond:
        utc = utc.replace(microsecond=0) + timedelta(seconds=1)
    return utc


class Client:
    """Send SMS and read reports through one provider.

    >>> client = Client("efecell", api_key="...")            # doctest: +SKIP
    >>> client = Client.from_env("efecell")                  # doctest: +SKIP
    >>> result = client.send("0532 111 22 33", "Merhaba")    # doctest: +SKIP

    ``provider`` is an installed provider's id, or a plugin object loaded
    with ``ileti.host.inspect_plugin(name, plugin)`` (no entry point needed).
    Settings are keyword arguments (see the provider's page); ``timeout`` is
    seconds (or ``(connect, read)``, or an :class:`ileti.Timeout` with a
    ``total`` deadline); ``retry`` a :class:`ileti.RetryPolicy`.
    ``extensions`` are extra pluggy plugins whose hook wrappers surround
    every call. ``pool_size`` is how many connections to the provider are
    kept open (default 8): give the number of threads that share the client.
    ``proxy`` and ``ca_bundle``: see :mod:`ileti.network`. ``clock`` is the
    "now" plugins read (aware, UTC; default the wall clock): give an
    emulator's virtual clock in tests.
    """

    _transport: HttpTransport | None
    #: the "now" plugins read (``None``: the wall clock)
    clock: Callable[[], datetime] | None = None

    def __init__(
        self,
        provider: str | LoadedProvider,
        *,
        timeout: Timeout | float | tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        extensions: Iterable[Any] = (),
        max_response_bytes: int | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        proxy: str | bool | None = None,
        ca_bundle: str | Path | None = None,
        transport: HttpTransport | None = None,
        clock: Callable[[], datetime] | None = None,
        **settings: Any,
    ) -> None:
        loaded = _loaded(provider)
        resolved = resolve_settings(loaded.name, loaded.info.settings_type, settings, env={})
        self._setup(loaded, resolved, timeout, retry, extensions, max_response_bytes, pool_size)
        self._network(proxy, ca_bundle, transport)
        self.clock = clock

    @classmethod
    def from_env(
        cls,
        provider: str | LoadedProvider | None = None,
        *,
        config_file: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: Timeout | float | tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        extensions: Iterable[Any] = (),
        pool_size: int = DEFAULT_POOL_SIZE,
        proxy: str | bool | None = None,
        ca_bundle: str | Path | None = None,
        transport: HttpTransport | None = None,
        clock: Callable[[], datetime] | None = None,
        **overrides: Any,
    ) -> Client:
        """Settings from ``ILETI_<PROVIDER>_<FIELD>`` variables and a TOML file.

        The file is ``config_file`` if given, else the default per-user file
        (``$ILETI_CONFIG`` or ``~/.config/ileti/config.toml``) when it
        exists. Keyword ``overrides`` win over both. With no ``provider``,
        ``$ILETI_PROVIDER`` names it, else the file's top-level
        ``provider = "..."`` (``outbox`` is the in-memory one, for tests).
        """
        if config_file is None:
            default = default_config_path()
            config_file = default if default.exists() else None
        if provider is None:
            provider = default_provider(env, config_file)
        loaded = _loaded(provider)
        resolved = resolve_settings(
            loaded.name, loaded.info.settings_type, overrides, env=env, config_file=config_file
        )
        self = cls.__new__(cls)
        self._setup(loaded, resolved, timeout, retry, extensions, None, pool_size)
        self._network(proxy, ca_bundle, transport)
        self.clock = clock
        return self

    def _network(
        self,
        proxy: str | bool | None,
        ca_bundle: str | Path | None,
        transport: HttpTransport | None,
    ) -> None:
        """The proxy (given, else from the standard variables) and CA bundle,
        or a transport of the caller's; see :mod:`ileti.network`."""
        from ileti.network import HttpTransport, ca_bundle_path, proxy_for

        if transport is not None:
            if not isinstance(transport, HttpTransport):
                raise ConfigurationError(
                    f"transport {type(transport).__name__} lacks what ileti.network."
                    "HttpTransport has: send, read, close and requests_started",
                    setting="transport",
                )
            given = [
                name
                for name, value in (
                    ("timeout", self._timeout_given),
                    ("retry", self._retry),
                    ("max_response_bytes", self._max_response_bytes),
                    ("proxy", proxy),
                    ("ca_bundle", ca_bundle),
                )
                if value is not None
            ]
            if given:
                raise ConfigurationError(
                    f"{', '.join(given)} cannot be combined with transport=: give them to "
                    "your transport",
                    setting="transport",
                )
            from ileti.redact import install_log_filters, register_secrets

            # the standard transport does this; a foreign one must not weaken it
            register_secrets(secret_values(self.settings), owner=self)
            install_log_filters()
            self._transport = transport
            return
        self._proxy = proxy_for(self.settings.base_url, proxy)
        self._ca_bundle = ca_bundle_path(ca_bundle)

    def _setup(
        self,
        loaded: LoadedProvider,
        resolved: ResolvedSettings,
        timeout: Timeout | float | tuple[float, float] | None,
        retry: RetryPolicy | None,
        extensions: Iterable[Any],
        max_response_bytes: int | None,
        pool_size: int,
    ) -> None:
        from ileti.http import Timeout
        from ileti.plugin import Context, Outgoing
        from ileti.text import ensure_fits, segment

        # what every send uses, bound once (an import statement in a method
        # costs a lookup of the module and its names on every call)
        self._Context = Context
        self._Outgoing = Outgoing
        self._segment = segment
        self._ensure_fits = ensure_fits
        self._pool_size = check_pool_size(pool_size)
        self._loaded = loaded
        self._resolved = resolved
        self._timeout = Timeout.of(timeout)
        self._timeout_given = timeout
        self._retry = retry
        self._max_response_bytes = max_response_bytes
        self._transport = None
        self._transport_lock = threading.Lock()
        self._pm = build_manager(loaded, extensions)
        self._check_default_encoding()
        self._state: dict[str, Any] = {}

    def _check_default_encoding(self) -> None:
        name = self.settings.default_encoding
        if name == "auto":
            return
        try:
            self.info.text.get(name)
        except IletiError:
            offered = ", ".join(["auto", *self.info.encodings])
            raise ConfigurationError(
                f"setting 'default_encoding' ({name!r}) is not an encoding {self.provider} "
                f"offers: use one of {offered}",
                setting="default_encoding",
                provider=self.provider,
            ) from None

    # -- properties ------------------------------------------------------------

    @property
    def provider(self) -> str:
        return self._loaded.name

    @property
    def info(self) -> Any:
        """The provider's :class:`ileti.ProviderInfo`."""
        return self._loaded.info

    @property
    def capabilities(self) -> frozenset[str]:
        return self._loaded.capabilities

    def supports(self, operation: str) -> bool:
        """Whether the provider offers ``operation``: one of the capabilities
        (``send``, ``send_multi``, ``query_report``, ``balance``, ``senders``)
        or an optional one (``sent_packages``, ``panel_login``, ``parse_push``)."""
        return self._loaded.implements(operation)

    @property
    def settings(self) -> Any:
        return self._resolved.settings

    @property
    def resolved_settings(self) -> ResolvedSettings:
        """The settings and where each value came from."""
        return self._resolved

    @property
    def transport(self) -> HttpTransport:
        if self._transport is None:
            with self._transport_lock:
                if self._transport is None:
                    self._transport = self._new_transport()
        return self._transport

    def _new_transport(self) -> Transport:
        from ileti.transport import Transport

        kw: dict[str, Any] = {}
        if self._max_response_bytes is not None:
            kw["max_response_bytes"] = self._max_response_bytes
        return Transport(
            self.provider,
            self.settings.base_url,
            secrets=secret_settings(self.settings),
            timeout=self._timeout,
            retry=self._retry,
            pool_size=self._pool_size,
            proxy=self._proxy,
            ca_bundle=self._ca_bundle,
            **kw,
        )

    def __repr__(self) -> str:
        return f"Client({self.provider!r}, base_url={self.settings.base_url!r})"

    def deadline(self, seconds: float) -> AbstractContextManager[None]:
        """Bound the calls made in a block (by this thread) to end within
        ``seconds``, retries and pauses included::

            with client.deadline(10):
                report = client.report(message_id)

        A request cut short by it fails as one past its own total deadline
        (a read: ``TransportError``; a send: ``DeliveryUnknown``); a request
        not yet made when it passes raises ``TransportError`` (nothing sent).
        """
        from ileti.transport import within

        return within(seconds)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- text ------------------------------------------------------------------

    def preview(
        self,
        text: str,
        *,
        encoding: str | None = None,
        recipients: int | Iterable[str] = 1,
        fold_turkish: bool = False,
    ) -> CostPreview:
        """Encoding, parts and credits for a text, by this provider's rules.

        ``recipients`` is how many, or the numbers themselves (parsed and
        counted without duplicates, as a send would). Empty text can be
        previewed (one part); it cannot be sent.
        """
        from ileti.text import segment

        if isinstance(recipients, str):
            recipients = [recipients]
        if isinstance(recipients, int) and not isinstance(recipients, bool) and recipients >= 0:
            count = recipients
        elif isinstance(recipients, Iterable):
            count = len(normalise_numbers(recipients))
        else:
            raise ValidationError(
                f"recipients={recipients!r}: pass how many (0 or more) or the numbers"
            )
        seg = segment(text, self._encoding(encoding), self.info.text, fold=fold_turkish)
        info = self.info
        return CostPreview(self.provider, seg, count, info.price_per_part, info.currency)

    # -- preparing -------------------------------------------------------------

    def _check_options(
        self,
        *,
        sender: str | None,
        schedule: datetime | None,
        validity: timedelta | None,
        flash: bool,
        client_ref: str | None,
    ) -> tuple[str | None, datetime | None]:
        info = self.info
        if schedule is not None and not info.scheduling:
            raise self._not_supported("scheduling (schedule=)")
        if validity is not None and not info.validity:
            raise self._not_supported("a validity period (validity=)")
        if flash and not info.flash:
            raise self._not_supported("flash messages (flash=True)")
        if client_ref is not None and not info.client_reference:
            raise self._not_supported("client references (client_ref=)")
        if validity is not None:
            if validity <= timedelta(0):
                raise ValidationError("the validity period must be positive")
            if info.validity_range is not None:
                low, high = info.validity_range
                if not low <= validity <= high:
                    raise ValidationError(
                        f"validity {validity} is outside what {self.provider} accepts "
                        f"({low} to {high})"
                    )
        if client_ref is not None and (not client_ref or len(client_ref) > 64):
            raise ValidationError("client_ref must be 1 to 64 characters")
        checked_sender = validate_sender(sender) if sender is not None else None
        if schedule is None:  # the clock is read only for a schedule to compare with it
            return checked_sender, None
        return checked_sender, _aware_utc(schedule, datetime.now(UTC))

    def _not_supported(self, what: str) -> NotSupported:
        return NotSupported(
            f"provider {self.provider!r} does not support {what}",
            provider=self.provider,
            capability=what,
        )

    def _encoding(self, encoding: str | None) -> str:
        """The caller's encoding, else the provider setting ``default_encoding``."""
        if encoding is not None:
            return encoding
        default: str = self.settings.default_encoding
        return default

    def effective_encoding(self, encoding: str | None = None) -> str:
        """The encoding a send would ask for: ``encoding``, else the provider
        setting ``default_encoding`` (``auto`` unless set)."""
        return self._encoding(encoding)

    def _measure(self, text: str, encoding: str | None, fold: bool) -> Segmentation:
        check_text(text)
        profile = self._loaded.info.text
        seg = self._segment(text, self._encoding(encoding), profile, fold=fold)
        self._ensure_fits(seg, profile, provider=self._loaded.name)
        return seg

    def prepare(self, message: Message) -> Outgoing:
        """Validate and measure a message without sending it (``--dry-run``)."""
        sender, schedule = self._check_options(
            sender=message.sender,
            schedule=message.schedule,
            validity=message.validity,
            flash=message.flash,
            client_ref=message.client_ref,
        )
        recipients = normalise_numbers(message.recipients, keep_duplicates=message.keep_duplicates)
        limit = self.info.max_recipients
        if limit is not None and len(recipients) > limit:
            raise ValidationError(
                f"{len(recipients)} recipients in one request; {self.provider} takes at most "
                f"{limit}: split the list"
            )
        seg = self._measure(message.text, message.encoding, message.fold_turkish)
        return self._Outgoing(
            recipients=recipients,
            text=seg.text,
            segmentation=seg,
            sender=sender,
            schedule=schedule,
            validity=message.validity,
            flash=message.flash,
            client_ref=message.client_ref or new_client_ref(),
        )

    def prepare_batch(self, batch: Batch) -> OutgoingBatch:
        """Validate and measure a personalised batch without sending it."""
        from ileti.plugin import OutgoingBatch

        if not batch.items:
            raise ValidationError("the batch is empty: give at least one recipient and text")
        sender, schedule = self._check_options(
            sender=batch.sender,
            schedule=batch.schedule,
            validity=batch.validity,
            flash=batch.flash,
            client_ref=None,
        )
        limit = self.info.max_recipients
        if limit is not None and len(batch.items) > limit:
            raise ValidationError(
                f"{len(batch.items)} recipients in one request; {self.provider} takes at most "
                f"{limit}: split the batch"
            )
        from ileti.plugin import OutgoingItem
        from ileti.text import ensure_fits, segment

        numbers = [
            normalise_number(item.recipient, position=i) for i, item in enumerate(batch.items)
        ]
        for item in batch.items:
            check_text(item.text)
        encoding = self._encoding(
            batch.encoding if self.info.per_item_encoding else self._batch_encoding(batch)
        )
        profile = self.info.text
        items = []
        for number, item in zip(numbers, batch.items, strict=True):
            # numbers and texts are checked above: measure each text once
            seg = segment(item.text, encoding, profile, fold=batch.fold_turkish)
            ensure_fits(seg, profile, provider=self.provider)
            items.append(
                OutgoingItem(
                    recipient=number,
                    text=seg.text,
                    segmentation=seg,
                    client_ref=item.client_ref or new_client_ref(),
                )
            )
        return OutgoingBatch(
            items=tuple(items),
            sender=sender,
            schedule=schedule,
            validity=batch.validity,
            flash=batch.flash,
            client_ref=batch.client_ref or new_client_ref(),
        )

    def check_item(
        self,
        recipient: str,
        text: str,
        *,
        encoding: str | None = None,
        fold_turkish: bool = False,
        position: int | None = None,
    ) -> tuple[str, str, int]:
        """The per-item rule of :meth:`prepare_item` without building the
        parts: ``(E.164 number, encoding, parts)``, or the same typed error."""
        check = self.item_checker(encoding=encoding, fold_turkish=fold_turkish)
        return check(recipient, text, position)

    def item_checker(
        self, *, encoding: str | None = None, fold_turkish: bool = False
    ) -> Callable[[str, str, int | None], tuple[str, str, int]]:
        """:meth:`check_item` with its options bound once, for checking many
        items (campaigns check every row with it): call it with
        ``(recipient, text, position)``."""
        from ileti.text import counter

        chosen = self._encoding(encoding)
        profile = self.info.text
        limit = profile.max_parts
        measure = counter(chosen, profile, fold=fold_turkish)

        def check(recipient: str, text: str, position: int | None = None) -> tuple[str, str, int]:
            number = normalise_number(recipient, position=position)
            check_text(text)
            name, parts, _ = measure(text)
            if limit is not None and parts > limit:
                self._measure(text, encoding, fold_turkish)  # raises MessageTooLong, worded once
            return number, name, parts

        return check

    def block_checker(
        self, *, encoding: str | None = None, fold_turkish: bool = False
    ) -> Callable[[Sequence[str], Sequence[str]], tuple[list[str], str, list[int]] | None]:
        """:meth:`item_checker` for a block of items at once, in the common
        case only: call it with the numbers (stripped) and their texts; it
        gives ``(E.164 numbers, encoding, parts of each)``, what
        :meth:`item_checker` gives each item, or ``None`` when any item is
        not the common case (check each with :meth:`item_checker` then, which
        gives its figures or its typed error). A campaign's import checks
        each block of rows with it first.

        The common case: every number is a Turkish mobile number written in
        plain digits (see :func:`ileti.numbers.turkish_mobiles`), and every
        text is printable ASCII that the encoding carries at one unit a
        character (see :func:`ileti.text.counter_many`), in no more parts
        than the provider allows.
        """
        from ileti.numbers import turkish_mobiles
        from ileti.text import counter_many

        profile = self.info.text
        limit = profile.max_parts
        many = counter_many(self._encoding(encoding), profile, fold=fold_turkish)

        def check(
            numbers: Sequence[str], texts: Sequence[str]
        ) -> tuple[list[str], str, list[int]] | None:
            # check_text's rule: no text empty, every one printable (decided in C)
            if not all(texts) or not "".join(texts).isprintable():
                return None
            e164 = turkish_mobiles(numbers)
            if e164 is None:
                return None
            measured = many(texts)
            if measured is None:
                return None
            name, parts = measured
            if limit is not None and max(parts) > limit:
                return None
            return e164, name, parts

        return check

    def prepare_item(
        self,
        recipient: str,
        text: str,
        *,
        encoding: str | None = None,
        fold_turkish: bool = False,
        client_ref: str | None = None,
        position: int | None = None,
    ) -> OutgoingItem:
        """Check and measure one recipient and its text: the per-item rule of
        every batch and campaign. Raises the typed error (``InvalidRecipient``,
        ``InvalidContent``, ``MessageTooLong``) naming what to fix."""
        from ileti.plugin import OutgoingItem

        number = normalise_number(recipient, position=position)
        seg = self._measure(text, encoding, fold_turkish)
        return OutgoingItem(
            recipient=number,
            text=seg.text,
            segmentation=seg,
            client_ref=client_ref or new_client_ref(),
        )

    def _batch_encoding(self, batch: Batch) -> str:
        """One encoding for the whole batch: the one that carries every text at
        the fewest parts in all (ties: the provider's order)."""
        chosen = self._encoding(batch.encoding)
        if chosen != "auto":
            return chosen
        from ileti.text import count

        best: tuple[int, int, str] | None = None
        for order, enc in enumerate(self.info.text.encodings):
            try:
                total = sum(
                    count(item.text, enc.name, self.info.text, fold=batch.fold_turkish)[1]
                    for item in batch.items
                )
            except IletiError:
                continue
            if best is None or (total, order) < best[:2]:
                best = (total, order, enc.name)
        if best is None:
            raise InvalidContent(
                f"no encoding {self.provider} offers can carry every text of the batch"
            )
        return best[2]

    # -- calls -----------------------------------------------------------------

    def send(
        self,
        to: str | Iterable[str],
        text: str,
        *,
        sender: str | None = None,
        schedule: datetime | None = None,
        validity: timedelta | None = None,
        encoding: str | None = None,
        flash: bool = False,
        client_ref: str | None = None,
        fold_turkish: bool = False,
        keep_duplicates: bool = False,
    ) -> SendResult:
        """Send one text to one or more numbers. See :class:`ileti.Message`."""
        return self.send_message(
            Message(
                recipients=to,
                text=text,
                sender=sender,
                schedule=schedule,
                validity=validity,
                encoding=encoding,
                flash=flash,
                client_ref=client_ref,
                fold_turkish=fold_turkish,
                keep_duplicates=keep_duplicates,
            )
        )

    def send_message(self, message: Message) -> SendResult:
        """Send a :class:`ileti.Message`."""
        self._loaded.require("send")
        return self._send(self.prepare(message))

    def send_prepared(self, outgoing: Outgoing) -> SendResult:
        """Send a message as :meth:`prepare` made it (validated and measured)."""
        self._loaded.require("send")
        return self._send(outgoing)

    def _send(self, outgoing: Outgoing) -> SendResult:
        """:meth:`send_prepared` once the provider is known to send."""
        result: SendResult = self._invoke("send", outgoing.client_ref, message=outgoing)
        return result

    def send_multi(
        self,
        items: Batch | Iterable[BatchItem | tuple[str, str]],
        *,
        sender: str | None = None,
        schedule: datetime | None = None,
        validity: timedelta | None = None,
        encoding: str | None = None,
        flash: bool = False,
        fold_turkish: bool = False,
    ) -> SendResult:
        """Send each recipient its own text: a :class:`ileti.Batch`, or pairs
        ``(number, text)`` with the options as keywords."""
        self._loaded.require("send_multi")
        batch = as_batch(
            items,
            sender=sender,
            schedule=schedule,
            validity=validity,
            encoding=encoding,
            flash=flash,
            fold_turkish=fold_turkish,
        )
        return self.send_prepared_batch(self.prepare_batch(batch))

    def send_prepared_batch(self, batch: OutgoingBatch) -> SendResult:
        """Send a batch as :meth:`prepare_batch` made it."""
        self._loaded.require("send_multi")
        result: SendResult = self._invoke("send_multi", batch.client_ref, batch=batch)
        return result

    def _checked_options(
        self,
        *,
        sender: str | None,
        schedule: datetime | None,
        validity: timedelta | None,
        flash: bool,
    ) -> tuple[str | None, datetime | None]:
        """The checked sender and UTC schedule for prepared sends."""
        return self._check_options(
            sender=sender, schedule=schedule, validity=validity, flash=flash, client_ref=None
        )

    def campaign(self, source: Any, **options: Any) -> Campaign:
        """Create a durable campaign through this client: see
        :meth:`ileti.Campaign.create` for ``source`` and the options. Nothing
        is sent until its ``run()``."""
        from ileti.campaign import Campaign

        return Campaign.create(self, source, **options)

    def report(self, message: SendResult | str | int) -> DeliveryReport:
        """The delivery state of each recipient of a sent package: pass the
        :class:`SendResult` of the send, or its ``message_id``."""
        self._loaded.require("query_report")
        if isinstance(message, SendResult):
            if message.message_id is None:
                raise ValidationError(
                    f"this send has no package id to report on ({message.provider} gave none): "
                    "pass the message_id of one of its recipients instead"
                )
            message = message.message_id
        message_id = str(message).strip()
        if not message_id:
            raise ValidationError("the message id is empty: pass the message_id of a SendResult")
        report: DeliveryReport = self._invoke("query_report", None, message_id=message_id)
        return report

    def balance(self) -> Balance:
        """The account's balance."""
        self._loaded.require("balance")
        balance: Balance = self._invoke("balance", None)
        return balance

    def senders(self) -> list[Sender]:
        """The account's sender names and their states."""
        self._loaded.require("senders")
        return list(self._invoke("senders", None))

    def wait_report(
        self,
        message_id: str | int,
        *,
        deadline: float | timedelta = DEFAULT_DEADLINE,
        backoff: Backoff | None = None,
        on_poll: OnPoll | None = None,
    ) -> DeliveryReport:
        """Poll :meth:`report` until every state is final or ``deadline``
        (seconds or a ``timedelta``) passed, and return the last report:
        check ``report.is_final``.

        Pauses between polls start at 2 s and grow by half up to 30 s
        (``backoff=ileti.Backoff(first, factor, cap)`` to change that);
        ``on_poll(report, polls, next_pause)`` is called after every poll.
        Errors of :meth:`report` are raised as they come.
        """
        from ileti.errors import TransportError
        from ileti.waiting import wait_report

        seconds = deadline.total_seconds() if isinstance(deadline, timedelta) else float(deadline)
        end = time.monotonic() + seconds
        last: list[DeliveryReport] = []

        def fetch() -> DeliveryReport:
            # every poll, the first included, ends by the deadline (client.deadline)
            remaining = max(end - time.monotonic(), 0.001)
            try:
                with self.deadline(remaining):
                    report = self.report(message_id)
            except TransportError:
                if last and time.monotonic() >= end:
                    return last[0]  # the deadline cut the poll short: the last report stands
                raise
            last[:] = [report]
            return report

        return wait_report(fetch, deadline=deadline, backoff=backoff, on_poll=on_poll)

    def sent_packages(
        self,
        since: datetime,
        until: datetime | None = None,
        *,
        scheduled: bool = False,
    ) -> Iterator[SentPackage]:
        """The packages sent from ``since`` to ``until`` (aware datetimes;
        ``until`` defaults to now), oldest first, as the gateway lists them:
        its send history, page after page. ``scheduled=True`` lists the
        packages sent for a later time instead of those sent at once.

        The arguments are checked, and a provider without a send history
        raises ``NotSupported``, now; the pages are read as the iterator is
        consumed. Of our providers, Innomobil keeps a history
        (``client.supports("sent_packages")`` tells).
        """
        self._loaded.require("sent_packages")
        start = _aware("since", since)
        end = _aware("until", until) if until is not None else datetime.now(UTC)
        if start > end:
            raise ValidationError(
                f"since ({since.isoformat()}) is after until ({end.isoformat()}): give the "
                "earlier time as since"
            )
        return self._pages(start, end, scheduled)

    #: more pages than this and the gateway is not paging as documented
    MAX_PAGES = 100_000

    def _pages(self, start: datetime, end: datetime, scheduled: bool) -> Iterator[SentPackage]:
        previous: list[str] = []
        for page in range(1, self.MAX_PAGES + 1):
            found: list[SentPackage] = list(
                self._invoke(
                    "sent_packages", None, since=start, until=end, page=page, scheduled=scheduled
                )
            )
            ids = [p.message_id for p in found]
            if not found:
                return
            if ids == previous:
                # a gateway that ignores the page number answers page 1 again
                _log.warning(
                    "%s answered page %d with the packages of page %d: it does not page; stopping",
                    self.provider,
                    page,
                    page - 1,
                )
                return
            previous = ids
            yield from found
        raise MalformedResponse(
            f"{self.provider} still listed packages after {self.MAX_PAGES} pages: it does not "
            "seem to page as documented",
            provider=self.provider,
        )

    def panel_login(self) -> PanelLogin:
        """A link that opens the provider's web panel without the password
        (Modexi makes one, for 3 minutes, from this machine's address). Its
        ``url`` is a :class:`~ileti.Secret`: ``url.reveal()`` to open it.
        A provider that makes none raises ``NotSupported``."""
        self._loaded.require("panel_login")
        login: PanelLogin = self._invoke("panel_login", None)
        return login

    def read_push(self, request: PushRequest) -> list[DeliveryReport]:
        """Read a delivery report the gateway pushed to the push URL (see
        :class:`ileti.push.PushReceiver`, which calls this)."""
        self._loaded.require("parse_push")
        return list(self._invoke("parse_push", None, request=request))

    def _context(self, client_ref: str | None) -> Context[Any]:
        transport = self.transport
        return self._Context(
            provider=self.provider,
            settings=self.settings,
            info=self.info,
            send_request=transport.send,
            read_request=transport.read,
            state=self._state,
            client_ref=client_ref,
            clock=self.clock,
        )

    def _invoke(self, hook: str, client_ref: str | None, **kw: Any) -> Any:
        """Call a hook; whatever goes wrong reaches the user as an IletiError.

        On a send, an unreadable answer (or a plugin failure after a request
        left) means the message may have been sent: DeliveryUnknown.
        """
        ctx = self._context(client_ref)
        is_send = hook in ("send", "send_multi")
        started = self.transport.requests_started
        started_at = time.time()  # as a datetime only for a DeliveryUnknown
        error: IletiError | None = None
        try:
            result = getattr(self._pm.hook, hook)(ctx=ctx, **kw)
        except DeliveryUnknown as exc:
            error = exc
        except MalformedResponse as exc:
            if not is_send:
                raise
            error = DeliveryUnknown(
                f"the provider's answer to the send could not be read ({exc.message})",
                client_ref=client_ref,
                provider=self.provider,
                http_status=exc.http_status,
                excerpt=exc.excerpt,
            ).carry_parts(exc)
        except IletiError:
            raise
        except Exception as exc:  # a plugin bug must not leak a raw KeyError to the user
            reason = f"{type(exc).__name__} in the {self.provider} plugin's {hook}"
            if self.transport.requests_started == started:
                error = IletiError(f"{reason} before any request was made", provider=self.provider)
            elif is_send:
                error = DeliveryUnknown(
                    f"{reason} while reading the answer",
                    client_ref=client_ref,
                    provider=self.provider,
                )
            else:
                error = MalformedResponse(
                    f"{reason} while reading the answer", provider=self.provider
                )
        else:
            if result is None:
                raise IletiError(
                    f"the {self.provider} plugin returned nothing for {hook}",
                    provider=self.provider,
                )
            return result
        if isinstance(error, DeliveryUnknown):
            error = error.with_send(
                reference_sent=bool(self.info.client_reference),
                recipients=_recipients_of(kw),
                started_at=datetime.fromtimestamp(started_at, UTC),
            )
        raise error
