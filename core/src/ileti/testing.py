"""Helpers for testing applications that send SMS with ileti.

:class:`Outbox` is an in-memory provider: a real :class:`ileti.Client` whose
sends are validated, measured and recorded exactly as they would be for a
gateway (numbers parsed, text checked and counted), but never leave the
process::

    from ileti.testing import Outbox

    outbox = Outbox()
    client = outbox.client()                 # an ileti.Client
    my_app.notify(client, user)              # your code under test
    assert outbox.sent[0].recipients == ("+905321112233",)
    assert "kodunuz" in outbox.sent[0].text

To test against a gateway's own behaviour (its errors, its counting, its
report states) over real HTTP, use the provider's emulator instead, with
:func:`emulated` (or the ``ileti_emulated`` pytest fixture that
``ileti-conformance`` provides)::

    from ileti.testing import emulated

    with emulated("efecell") as em:          # serves the emulator on loopback
        em.client.send("05321112233", "Merhaba", sender=em.emulator.default_sender)
        assert em.emulator.messages[0].text == "Merhaba"
        em.emulator.clock.advance(60)        # delivery states move on
        em.emulator.force_error("402")       # the next call gets a documented error

    with emulated("efecell", senders=["FIRMA"], credit=5) as em:
        em.client.send("05321112233", "Merhaba", sender="FIRMA")  # approved, 4 credits left

:func:`serve_emulator` is what ``ileti emulate`` runs: the emulator served,
its account shaped, and the settings (:meth:`ServedEmulator.environment`) to
export.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ileti.models import (
    Balance,
    DeliveryReport,
    DeliveryState,
    RecipientReport,
    RecipientResult,
    Sender,
    SendResult,
)
from ileti.plugin import Context, Outgoing, OutgoingBatch, ProviderInfo, hookimpl
from ileti.settings import ProviderSettings, validate_base_url

if TYPE_CHECKING:
    from ileti.client import Client

__all__ = [
    "Emulated",
    "Outbox",
    "OutboxMessage",
    "ServedEmulator",
    "default_outbox",
    "emulated",
    "serve_emulator",
    "service_url",
]


@attrs.frozen
class Emulated:
    """A client wired to a provider's emulator served on loopback.

    ``emulator`` is the gateway emulator (``received`` requests, accepted
    ``messages``, ``clock``, ``force_error``, ``credit``); ``base_url`` is
    where it listens.
    """

    client: Client
    emulator: Any
    base_url: str


@attrs.frozen
class ServedEmulator:
    """A provider's emulator listening on loopback (see :func:`serve_emulator`)."""

    provider: str
    emulator: Any
    served: Any
    #: the settings the provider takes (``ProviderInfo.settings_type``)
    settings_type: type[Any]
    #: the sender names approved on request (``senders=``), in order
    senders: tuple[str, ...] = ()

    @property
    def base_url(self) -> str:
        return str(self.served.base_url)

    def settings(self) -> dict[str, str]:
        """The client settings that point at this emulator: ``base_url``, its
        own test credentials and, when the provider has a ``sender`` setting,
        the first sender name approved on request."""
        settings = {"base_url": self.base_url}
        settings.update({k: str(v) for k, v in self.emulator.credentials().items()})
        if self.senders and "sender" in {f.name for f in attrs.fields(self.settings_type)}:
            settings["sender"] = self.senders[0]
        return settings

    def environment(self) -> dict[str, str]:
        """:meth:`settings` as the variables to export (``ILETI_<PROVIDER>_<FIELD>``)."""
        from ileti.settings import env_var

        return {env_var(self.provider, k): v for k, v in self.settings().items()}

    def close(self) -> None:
        self.served.close()


def serve_emulator(
    provider: str,
    *,
    clock: Any = None,
    senders: Iterable[str] = (),
    credit: Decimal | int | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> ServedEmulator:
    """Build an installed provider's emulator, shape its account and serve it.

    What ``ileti emulate`` and :func:`emulated` both do: ``senders`` are
    approved (the emulator's own default name stays approved), ``credit``
    sets the balance in the unit the provider's balance shows. Raises
    :class:`ileti.NotSupported` when the provider ships no emulator,
    :class:`ileti.InvalidSender` for a malformed sender name, ``ValueError``
    for a negative credit or a host that is not loopback, ``OSError`` when
    the port cannot be bound. Close it when done.
    """
    from ileti.emulation import serve
    from ileti.host import load_provider

    loaded = load_provider(provider)
    emulator = loaded.emulator(clock)
    names = tuple(senders)
    emulator.configure(senders=names, credit=credit)
    served = serve(emulator, host=host, port=port)
    return ServedEmulator(loaded.name, emulator, served, loaded.info.settings_type, names)


@contextlib.contextmanager
def emulated(
    provider: str,
    *,
    clock: Any = None,
    senders: Iterable[str] = (),
    credit: Decimal | int | None = None,
    **client_kwargs: Any,
) -> Iterator[Emulated]:
    """Serve an installed provider's emulator and yield a client wired to it.

    ``senders`` are approved on the emulated account (its own default name
    stays approved) and ``credit`` sets its balance, in the unit the
    provider's balance shows: the same as ``ileti emulate P --sender NAME
    --credit N``. Other keyword arguments go to :class:`ileti.Client`
    (``timeout``, ``retry``, settings). The emulator's own credentials are
    used unless given.
    """
    from ileti.client import Client

    running = serve_emulator(provider, clock=clock, senders=senders, credit=credit)
    try:
        client = Client(running.provider, **{**running.settings(), **client_kwargs})
        try:
            yield Emulated(client=client, emulator=running.emulator, base_url=running.base_url)
        finally:
            client.close()
    finally:
        running.close()


@attrs.frozen(kw_only=True)
class OutboxSettings(ProviderSettings):
    base_url: str = attrs.field(default="http://outbox.invalid", converter=validate_base_url)


@attrs.frozen
class OutboxMessage:
    """One recorded send: what a gateway would have received."""

    message_id: str
    recipients: tuple[str, ...]
    texts: tuple[str, ...]
    sender: str | None
    encoding: str
    parts: int
    client_ref: str
    personalised: bool

    @property
    def text(self) -> str:
        """The text (the first one, for a personalised batch)."""
        return self.texts[0]


class Outbox:
    """An in-memory provider that records what would have been sent.

    ``credit`` falls by parts times recipients; ``fail_next(error)`` makes the
    next call raise ``error`` (any :class:`ileti.IletiError`), to test how
    your application handles it. ``final_state`` is what reports say.
    """

    name = "outbox"

    def __init__(
        self,
        *,
        credit: Decimal | int = 1000,
        senders: Iterable[str] = ("ILETI",),
        final_state: DeliveryState = DeliveryState.DELIVERED,
        max_parts: int | None = None,
    ) -> None:
        from ileti.text import DEFAULT_PROFILE, TextProfile

        self.credit = Decimal(credit)
        self.sender_names = tuple(senders)
        self.final_state = final_state
        self.sent: list[OutboxMessage] = []
        self._errors: list[Exception] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._profile = TextProfile(encodings=DEFAULT_PROFILE.encodings, max_parts=max_parts)

    def client(self, **kwargs: Any) -> Client:
        """A real :class:`ileti.Client` that sends into this outbox."""
        from ileti.client import Client
        from ileti.host import inspect_plugin

        return Client(inspect_plugin(self.name, self), **kwargs)

    def fail_next(self, error: Exception) -> None:
        """Make the next call raise ``error``."""
        with self._lock:
            self._errors.append(error)

    def clear(self) -> None:
        """Forget what was sent and any failure still waiting (between tests)."""
        with self._lock:
            self.sent.clear()
            self._errors.clear()

    def _check(self) -> None:
        with self._lock:
            error = self._errors.pop(0) if self._errors else None
        if error is not None:
            raise error

    def _record(self, message: OutboxMessage) -> str:
        with self._lock:
            self.sent.append(message)
            self.credit -= message.parts * len(message.recipients)
        return message.message_id

    # -- hooks ------------------------------------------------------------------

    @hookimpl
    def provider_info(self) -> ProviderInfo[Any]:
        return ProviderInfo(
            name=self.name,
            title="In-memory outbox (tests)",
            settings_type=OutboxSettings,
            text=self._profile,
            scheduling=True,
            validity=True,
            flash=True,
            client_reference=True,
        )

    @hookimpl
    def send(self, ctx: Context[Any], message: Outgoing) -> SendResult:
        self._check()
        mid = self._record(
            OutboxMessage(
                message_id=str(next(self._ids)),
                recipients=message.recipients,
                texts=(message.text,),
                sender=message.sender,
                encoding=message.segmentation.encoding,
                parts=message.segmentation.parts,
                client_ref=message.client_ref,
                personalised=False,
            )
        )
        return SendResult(
            provider=self.name,
            message_id=mid,
            client_ref=message.client_ref,
            parts=message.segmentation.parts,
            recipients=tuple(RecipientResult(number=n, accepted=True) for n in message.recipients),
        )

    @hookimpl
    def send_multi(self, ctx: Context[Any], batch: OutgoingBatch) -> SendResult:
        self._check()
        parts = max(i.segmentation.parts for i in batch.items)
        mid = self._record(
            OutboxMessage(
                message_id=str(next(self._ids)),
                recipients=tuple(i.recipient for i in batch.items),
                texts=tuple(i.text for i in batch.items),
                sender=batch.sender,
                encoding=batch.items[0].segmentation.encoding,
                parts=parts,
                client_ref=batch.client_ref,
                personalised=True,
            )
        )
        return SendResult(
            provider=self.name,
            message_id=mid,
            client_ref=batch.client_ref,
            parts=parts,
            recipients=tuple(
                RecipientResult(number=i.recipient, accepted=True) for i in batch.items
            ),
        )

    @hookimpl
    def query_report(self, ctx: Context[Any], message_id: str) -> DeliveryReport:
        self._check()
        found = [m for m in self.sent if m.message_id == message_id]
        if not found:
            return DeliveryReport(provider=self.name, message_id=message_id, recipients=())
        return DeliveryReport(
            provider=self.name,
            message_id=message_id,
            recipients=tuple(
                RecipientReport(number=n, state=self.final_state, raw_state=self.final_state.value)
                for n in found[0].recipients
            ),
        )

    @hookimpl
    def balance(self, ctx: Context[Any]) -> Balance:
        self._check()
        return Balance(provider=self.name, amount=self.credit)

    @hookimpl
    def senders(self, ctx: Context[Any]) -> list[Sender]:
        self._check()
        return [Sender(name=n) for n in self.sender_names]


_default_outbox: Outbox | None = None
_default_outbox_lock = threading.Lock()


def default_outbox() -> Outbox:
    """The process-wide :class:`Outbox` behind the provider id ``outbox``.

    ``ILETI_PROVIDER=outbox`` (or ``provider = "outbox"`` in the config
    file) makes ``Client.from_env()`` send into it, so an application's tests
    switch with no code change; read what was sent here, and ``clear()`` it
    between tests.
    """
    global _default_outbox
    with _default_outbox_lock:
        if _default_outbox is None:
            _default_outbox = Outbox()
        return _default_outbox


def service_url(variable: str) -> str:
    """The URL of a server a test needs (PostgreSQL, Redis), from ``variable``.

    Without it the test is skipped, except under CI (``$CI`` set), where a
    missing server is a failure: ileti's ``.ci/test`` starts both and sets
    ``ILETI_TEST_POSTGRES`` and ``ILETI_TEST_REDIS``.
    """
    import os

    import pytest

    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{variable} is not set: start the servers (.ci/test does)")
        pytest.skip(f"{variable} is not set: .ci/test starts the servers (.ci/services start)")
    return url
