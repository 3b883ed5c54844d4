"""The contract between the core and a provider plugin: pluggy hookspecs.

A provider plugin is any object (usually a module) with ``@hookimpl``
functions, published under the entry-point group ``ileti.providers``; the
entry-point name is the provider id. Each client builds its own plugin
manager holding exactly one provider, so a hookimpl never has to ask "is
this call mine?". Every hook is ``firstresult``: the provider answers.

Non-provider plugins (logging, metrics, an outbox) register in the group
``ileti.extensions`` and may wrap any hook with ``@hookimpl(wrapper=True)``.

Hook names are the verbs users know. ``provider_info`` is required;
``provider_emulator`` is how the conformance suite, ``ileti emulate`` and
``ileti demo`` find the plugin's emulator; ``parse_push`` (optional) reads
delivery reports the gateway pushes; ``sent_packages`` (optional) lists the
packages sent in a time range; ``panel_login`` (optional) makes a link to the
provider's web panel that needs no password. A provider lacking one of
``send``, ``send_multi``, ``query_report``, ``balance``, ``senders`` simply
does not implement it, and the client raises ``NotSupported``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from datetime import datetime

    from ileti.emulation import EmulatorBase, VirtualClock
    from ileti.models import (
        Balance,
        DeliveryReport,
        PanelLogin,
        Sender,
        SendResult,
        SentPackage,
    )
    from ileti.plugin import Context, Outgoing, OutgoingBatch, ProviderInfo
    from ileti.push import PushRequest

PROJECT = "ileti"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: the capability hooks, in the order they are documented and listed
CAPABILITIES = ("send", "send_multi", "query_report", "balance", "senders")
#: optional hooks, beyond the five every user expects (a client checks for them too)
OPTIONAL = ("parse_push", "sent_packages", "panel_login")


@hookspec(firstresult=True)
def provider_info() -> ProviderInfo[Any]:  # type: ignore[empty-body]
    """Describe the provider: its settings class, text profile and limits."""


@hookspec(firstresult=True)
def provider_emulator(clock: VirtualClock) -> EmulatorBase:  # type: ignore[empty-body]
    """Return a new instance of the provider's emulator (a WSGI app built on
    :class:`ileti.emulation.EmulatorBase`) using the given virtual clock.
    Callers get it through :meth:`ileti.host.LoadedProvider.emulator`."""


@hookspec(firstresult=True)
def send(ctx: Context[Any], message: Outgoing) -> SendResult:  # type: ignore[empty-body]
    """Send one text to the message's recipients (already validated, E.164)."""


@hookspec(firstresult=True)
def send_multi(ctx: Context[Any], batch: OutgoingBatch) -> SendResult:  # type: ignore[empty-body]
    """Send a personalised batch: each recipient with its own text."""


@hookspec(firstresult=True)
def query_report(ctx: Context[Any], message_id: str) -> DeliveryReport:  # type: ignore[empty-body]
    """Return the delivery state of every recipient of a package."""


@hookspec(firstresult=True)
def balance(ctx: Context[Any]) -> Balance:  # type: ignore[empty-body]
    """Return the account's balance."""


@hookspec(firstresult=True)
def senders(ctx: Context[Any]) -> list[Sender]:  # type: ignore[empty-body]
    """Return the account's sender names with their states."""


@hookspec(firstresult=True)
def parse_push(ctx: Context[Any], request: PushRequest) -> list[DeliveryReport]:  # type: ignore[empty-body]
    """Read a delivery report the gateway pushed (the request it sent to the
    push URL) into normalised reports, one per package it concerns. Raise
    ``MalformedResponse`` for a request that is not a push. A provider that
    implements it has a ``push_url`` setting, and its emulator a
    ``push_reports()`` method that pushes what changed."""


@hookspec(firstresult=True)
def sent_packages(  # type: ignore[empty-body]
    ctx: Context[Any], since: datetime, until: datetime, page: int, scheduled: bool
) -> list[SentPackage]:
    """One page (``page`` counts from 1) of the packages sent from ``since``
    to ``until`` (aware datetimes, ``since`` <= ``until``), oldest first;
    ``scheduled`` lists the packages sent for a later time instead of those
    sent at once. An empty list past the last page. The client pages
    (:meth:`ileti.Client.sent_packages`); a provider whose gateway does not
    page returns everything for page 1 and an empty list after it."""


@hookspec(firstresult=True)
def panel_login(ctx: Context[Any]) -> PanelLogin:  # type: ignore[empty-body]
    """A link that opens the account's web panel without the password, for a
    gateway that makes one (its ``url`` an ``ileti.Secret``; pass the part
    that is a credential to ``ileti.plugin.register_secrets``, with the login
    as its ``owner``, so that no log shows it while the login is held)."""
