"""The Efecell provider's hook implementations (entry point ``efecell``).

=============== ==========================================================
hook            Efecell endpoint
=============== ==========================================================
send            ``POST /v2/sms/basic``
send_multi      ``POST /v2/sms/multi``
query_report    ``POST /v2/get/report`` with ``{"id": ...}``
balance         ``GET /v2/get/balance``
senders         ``GET /v2/get/originators/detailed``
=============== ==========================================================

Scheduling, validity, flash messages and client references are not offered
(Efecell documents none of them), so the client refuses them with
``NotSupported`` before this module is asked.
"""

from __future__ import annotations

import functools
import itertools
import operator
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ileti.plugin import (
    EFECELL_TURKISH,
    GSM7,
    UCS2,
    Balance,
    Context,
    DeliveryReport,
    HttpRequest,
    InvalidRecipient,
    InvalidSender,
    Outgoing,
    OutgoingBatch,
    ProfileEncoding,
    ProviderInfo,
    Sender,
    SendResult,
    TextProfile,
    ValidationError,
    hookimpl,
    national,
)
from ileti_efecell import wire
from ileti_efecell.settings import EfecellSettings

if TYPE_CHECKING:
    from ileti.emulation import VirtualClock
    from ileti_efecell.emulator import EfecellEmulator

__all__ = [
    "MAX_PARTS",
    "PROVIDER",
    "TEXT_PROFILE",
    "balance",
    "provider_emulator",
    "provider_info",
    "query_report",
    "send",
    "send_multi",
    "senders",
]

PROVIDER = "efecell"

#: every encoding: at most four parts (612 GSM-7 / 268 UCS-2 units)
MAX_PARTS = 4

#: Efecell's ``encoding`` values with the document's counting rules. ``auto``
#: is never sent: the client picks the cheapest of these and sends its wire
#: value, so the predicted parts are the billed parts.
TEXT_PROFILE = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "default", GSM7),
        ProfileEncoding("ucs2", "utf-8", UCS2),
        ProfileEncoding("turkish", "turkish", EFECELL_TURKISH),
    ),
    max_parts=MAX_PARTS,
    aliases={"default": "gsm7", "utf-8": "ucs2", "tr": "turkish"},
)

#: how many sent packages a client remembers the recipients of (for reports
#: that come back without details)
_REMEMBERED_PACKAGES = 1000
#: and at most this many recipients in all, so that a long bulk run (a
#: campaign of a million rows in packages of 1,000) keeps flat memory
_REMEMBERED_RECIPIENTS = 20_000
_STATE_KEY = "efecell.package_recipients"
_LOCK_KEY = _STATE_KEY + ".lock"
_COUNT_KEY = _STATE_KEY + ".count"


@functools.cache
def _info() -> ProviderInfo[EfecellSettings]:
    return ProviderInfo(
        name=PROVIDER,
        title="Efecell (Efetech)",
        settings_type=EfecellSettings,
        text=TEXT_PROFILE,
        max_recipients=wire.MAX_RECIPIENTS,
        scheduling=False,
        validity=False,
        validity_range=None,
        flash=False,
        client_reference=False,
        notes=(
            "Turkish numbers only, sent in the 10-digit national form; a sender name is "
            "required on every send (argument or the 'sender' setting)."
        ),
        api=1,  # the plugin API this plugin is written for (ileti.plugin.PLUGIN_API)
    )


@hookimpl
def provider_info() -> ProviderInfo[EfecellSettings]:
    return _info()


@hookimpl
def provider_emulator(clock: VirtualClock) -> EfecellEmulator:
    from ileti_efecell.emulator import EfecellEmulator

    return EfecellEmulator(clock=clock)


# -- helpers -------------------------------------------------------------------------


def _headers(ctx: Context[EfecellSettings]) -> dict[str, str]:
    settings = ctx.settings
    return {
        "Authorization": f"{wire.AUTH_SCHEME} {settings.api_key.reveal()}",
        "Accept": "application/json",
    }


def _read_request(ctx: Context[EfecellSettings], path: str) -> HttpRequest:
    headers = {"Content-Type": "application/json", **_headers(ctx)}
    return HttpRequest("GET", path, headers=headers)


def _originator(ctx: Context[EfecellSettings], sender: str | None) -> str:
    settings = ctx.settings
    chosen = sender if sender is not None else settings.sender
    if chosen is None:
        raise InvalidSender(
            "Efecell needs a sender name (originator) on every send: pass sender=... or set "
            "the 'sender' setting (ILETI_EFECELL_SENDER)",
            provider=ctx.provider,
        )
    return chosen


def _wire_number(ctx: Context[EfecellSettings], e164: str, position: int) -> str:
    try:
        return national(e164)
    except InvalidRecipient as exc:
        raise InvalidRecipient(
            exc.message, number=e164, position=position, provider=ctx.provider
        ) from None


_text = operator.attrgetter("text")
_recipient = operator.attrgetter("recipient")
_parts = operator.attrgetter("segmentation.parts")


def _remember(ctx: Context[EfecellSettings], package_id: int, recipients: Sequence[str]) -> None:
    # threads share a client (campaign workers): one of them trims at a time.
    # The lock and the table are made on the client's first send, not on every one
    state = ctx.state
    lock: threading.Lock | None = state.get(_LOCK_KEY)
    if lock is None:
        lock = state.setdefault(_LOCK_KEY, threading.Lock())
    with lock:
        known: dict[str, tuple[str, ...]] | None = state.get(_STATE_KEY)
        if known is None:
            known = state[_STATE_KEY] = {}
        known[str(package_id)] = tuple(recipients)
        total = state.get(_COUNT_KEY, 0) + len(recipients)
        while len(known) > 1 and (
            len(known) > _REMEMBERED_PACKAGES or total > _REMEMBERED_RECIPIENTS
        ):
            total -= len(known.pop(next(iter(known))))
        state[_COUNT_KEY] = total


def _post_send(ctx: Context[EfecellSettings], path: str, payload: Any) -> wire.SendBody:
    request = HttpRequest.json_body("POST", path, payload, headers=_headers(ctx))
    return wire.read(ctx, ctx.send(request), wire.SendBody)


# -- capability hooks ----------------------------------------------------------------


@hookimpl
def send(ctx: Context[EfecellSettings], message: Outgoing) -> SendResult:
    request = wire.BasicRequest(
        originator=_originator(ctx, message.sender),
        text=message.text,
        recipients=[_wire_number(ctx, n, i) for i, n in enumerate(message.recipients)],
        encoding=message.segmentation.wire,
    )
    body = _post_send(ctx, wire.BASIC_PATH, wire.unstructure(request))
    _remember(ctx, body.message.package_id, message.recipients)
    return wire.send_result(
        ctx.provider,
        body,
        message.recipients,
        parts=message.segmentation.parts,
        client_ref=message.client_ref,
    )


@hookimpl
def send_multi(ctx: Context[EfecellSettings], batch: OutgoingBatch) -> SendResult:
    items = batch.items
    recipients = list(map(_recipient, items))
    # the national form of each (+90 taken off) when all are Turkish, as
    # national() gives it, tested at once; else number by number, naming the
    # first that is not with its position and the provider
    if all(map(str.startswith, recipients, itertools.repeat("+90"))):
        numbers = [n[3:] for n in recipients]
    else:
        numbers = [_wire_number(ctx, n, i) for i, n in enumerate(recipients)]
    text = wire.multi_json(
        _originator(ctx, batch.sender), numbers, map(_text, items), batch.wire_encoding
    )
    request = HttpRequest.json_text("POST", wire.MULTI_PATH, text, headers=_headers(ctx))
    body = wire.read(ctx, ctx.send(request), wire.SendBody)
    _remember(ctx, body.message.package_id, recipients)
    # parts per recipient differ in a batch: the largest is reported
    parts = max(map(_parts, items))
    return wire.send_result(
        ctx.provider, body, recipients, parts=parts, client_ref=batch.client_ref
    )


@hookimpl
def query_report(ctx: Context[EfecellSettings], message_id: str) -> DeliveryReport:
    if not (message_id.isascii() and message_id.isdigit()):
        raise ValidationError(
            f"Efecell message ids are whole numbers (the message_id of a SendResult), "
            f"not {message_id[:40]!r}",
            provider=ctx.provider,
        )
    payload = wire.unstructure(wire.ReportRequest(package_id=int(message_id)))
    response = ctx.read(
        HttpRequest.json_body("POST", wire.REPORT_PATH, payload, headers=_headers(ctx))
    )
    body = wire.read(ctx, response, wire.ReportBody)
    known: dict[str, tuple[str, ...]] = ctx.state.get(_STATE_KEY, {})
    try:
        return wire.delivery_report(
            ctx.provider, message_id, body, known_recipients=known.get(message_id, ())
        )
    except ValueError as exc:
        raise response.malformed(f"the report is unreadable ({exc})") from None


@hookimpl
def balance(ctx: Context[EfecellSettings]) -> Balance:
    response = ctx.read(_read_request(ctx, wire.BALANCE_PATH))
    return wire.balance(ctx.provider, wire.read(ctx, response, wire.BalanceBody))


@hookimpl
def senders(ctx: Context[EfecellSettings]) -> list[Sender]:
    response = ctx.read(_read_request(ctx, wire.ORIGINATORS_DETAILED_PATH))
    return wire.senders(wire.read(ctx, response, wire.OriginatorsBody))
