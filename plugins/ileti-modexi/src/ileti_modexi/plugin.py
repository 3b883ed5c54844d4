"""The Modexi provider's hooks.

Modexi (``api.modexi.com``) is a JSON API on Infobip-v1-style paths with
HTTP Basic authorization. Every answer is wrapped as
``{"errorCode": 200, "errorDescription": "...", "result": ...}``.

=============== ============================ ==========
Hook            Request                      Transport
=============== ============================ ==========
send            ``POST /sms/1/advanced``     send
send_multi      one ``advanced`` per text    send
query_report    ``POST /sms/1/reports``      read
balance         ``GET /account/balance``     read
senders         ``GET /sms/1/senders``       read
=============== ============================ ==========
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterable, MutableMapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ileti.plugin import (
    GSM7,
    UCS2,
    Balance,
    Context,
    DeliveryReport,
    HttpRequest,
    HttpResponse,
    IletiError,
    InvalidSender,
    MalformedResponse,
    NotSupported,
    Outgoing,
    OutgoingBatch,
    PanelLogin,
    ProfileEncoding,
    ProviderInfo,
    RecipientReport,
    RecipientResult,
    Secret,
    Sender,
    SendResult,
    TextProfile,
    ValidationError,
    count,
    excerpt,
    hookimpl,
    is_gsm7,
    register_secrets,
)
from ileti_modexi import wire
from ileti_modexi.settings import ModexiSettings, check_sender

if TYPE_CHECKING:
    from ileti.emulation import VirtualClock
    from ileti_modexi.emulator import ModexiEmulator

__all__ = [
    "NAME",
    "TEXT_PROFILE",
    "balance",
    "panel_login",
    "provider_emulator",
    "provider_info",
    "query_report",
    "send",
    "send_multi",
    "senders",
]

log = logging.getLogger("ileti_modexi")

NAME = "modexi"

#: Modexi has no encoding field: it picks GSM-7 or UCS-2 from the text itself
#: and segments the text (reports give the billed ``smsCount``). The profile
#: predicts that choice: ``auto`` takes GSM-7 whenever every character is in
#: the GSM 03.38 tables, else UCS-2. The wire values are never sent; they name
#: the encoding the gateway will use (and the emulator records).
TEXT_PROFILE = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "gsm7", GSM7),
        ProfileEncoding("ucs2", "ucs2", UCS2),
    ),
    max_parts=wire.MAX_PARTS,
    aliases={"default": "gsm7", "unicode": "ucs2"},
)

PATH_SEND = "/sms/1/advanced"
PATH_REPORTS = "/sms/1/reports"
PATH_SENDERS = "/sms/1/senders"
PATH_BALANCE = "/account/balance"
PATH_PANEL_LOGIN = "/account/token"

#: ``ctx.state`` keys: what each message code was sent to, and the report rows seen
_SENT = "modexi.sent"
_SEEN = "modexi.reports"
#: how many message codes a client remembers (oldest forgotten first)
_REMEMBER = 10_000
#: separates the message codes of a send_multi that needed several requests
ID_SEPARATOR = ","


@hookimpl
def provider_info() -> ProviderInfo[ModexiSettings]:
    return ProviderInfo(
        name=NAME,
        title="Modexi",
        settings_type=ModexiSettings,
        text=TEXT_PROFILE,
        max_recipients=wire.MAX_RECIPIENTS,
        scheduling=True,
        validity=True,
        validity_range=(timedelta(minutes=10), timedelta(hours=48)),
        flash=False,
        client_reference=False,
        # one request per distinct text: the gateway encodes each text on its own
        per_item_encoding=True,
        notes=(
            "Modexi picks the encoding (GSM-7 or UCS-2) itself; a send_multi makes one "
            "request per distinct text and returns their message codes joined by ','."
        ),
        api=1,  # the plugin API this plugin is written for (ileti.plugin.PLUGIN_API)
    )


@hookimpl
def provider_emulator(clock: VirtualClock) -> ModexiEmulator:
    from ileti_modexi.emulator import ModexiEmulator

    return ModexiEmulator(clock=clock)


# -- hooks -------------------------------------------------------------------------------


@hookimpl
def send(ctx: Context[ModexiSettings], message: Outgoing) -> SendResult:
    sender = _sender(ctx, message.sender)
    seg = message.segmentation
    if seg.encoding == "ucs2" and _is_gsm7(message.text):
        raise _forced_ucs2()
    code = _submit(
        ctx,
        sender=sender,
        text=message.text,
        numbers=message.recipients,
        validity=message.validity,
        schedule=message.schedule,
    )
    return SendResult(
        provider=ctx.provider,
        message_id=code,
        recipients=tuple(
            RecipientResult(number=n, accepted=True, message_id=code) for n in message.recipients
        ),
        client_ref=message.client_ref,
        parts=seg.parts,
    )


@hookimpl
def send_multi(ctx: Context[ModexiSettings], batch: OutgoingBatch) -> SendResult:
    """One request per distinct text (Modexi's body holds one text for all its
    destinations), in order of first appearance; results in the caller's order.

    If a request fails after earlier ones were accepted, the error is raised
    and its message lists the message codes already accepted (those messages
    will be sent: do not resend them).
    """
    sender = _sender(ctx, batch.sender)
    if batch.wire_encoding == "ucs2" and all(_is_gsm7(item.text) for item in batch.items):
        raise _forced_ucs2()
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(batch.items):
        groups.setdefault(item.text, []).append(index)
    code_of: dict[int, str] = {}
    accepted: list[tuple[str, list[str]]] = []
    for text, indexes in groups.items():
        numbers = [batch.items[i].recipient for i in indexes]
        try:
            code = _submit(
                ctx,
                sender=sender,
                text=text,
                numbers=numbers,
                validity=batch.validity,
                schedule=batch.schedule,
            )
        except IletiError as exc:
            if accepted:
                _mention_accepted(exc, accepted)
                # each part with its own state: accepted, this one, never sent
                done = {n: code for code, ns in accepted for n in ns}
                exc.partial = SendResult(
                    provider=ctx.provider,
                    message_id=ID_SEPARATOR.join(code for code, _ in accepted),
                    recipients=tuple(
                        RecipientResult(number=n, accepted=True, message_id=done[n])
                        for n in (item.recipient for item in batch.items)
                        if n in done
                    ),
                )
            exc.failed = tuple(numbers)
            sent_or_failed = {*numbers, *(n for _, ns in accepted for n in ns)}
            exc.unsent = tuple(
                item.recipient for item in batch.items if item.recipient not in sent_or_failed
            )
            raise
        accepted.append((code, numbers))
        for i in indexes:
            code_of[i] = code
    # Modexi segments each text by its own characters, whatever encoding the
    # batch as a whole was measured in
    parts = max(_gateway_parts(text) for text in groups)
    message_id = ID_SEPARATOR.join(code for code, _ in accepted)
    if len(accepted) > 1:  # so that a report lists the recipients in the caller's order
        _remember(ctx, message_id, tuple(item.recipient for item in batch.items))
    return SendResult(
        provider=ctx.provider,
        message_id=message_id,
        recipients=tuple(
            RecipientResult(number=item.recipient, accepted=True, message_id=code_of[i])
            for i, item in enumerate(batch.items)
        ),
        client_ref=batch.client_ref,
        parts=parts,
    )


@hookimpl
def query_report(ctx: Context[ModexiSettings], message_id: str) -> DeliveryReport:
    """Rows of every message code in ``message_id`` (several for a send_multi)."""
    codes = [code.strip() for code in message_id.split(ID_SEPARATOR)]
    if not all(codes):
        raise ValidationError(
            f"message id {message_id!r} has an empty message code: pass the message_id of "
            "a SendResult"
        )
    extra = ctx.settings.extra_states
    reports: list[RecipientReport] = []
    for code in codes:
        sent_to: Sequence[str] = _memory(ctx, _SENT).get(code, ())
        known = {wire.last10(n): n for n in sent_to}
        rows = _fetch_report(ctx, code, len(sent_to))
        try:
            fresh = [wire.recipient_report(row, wire.e164_of(row.to, known), extra) for row in rows]
        except wire.WireError as exc:
            raise MalformedResponse(
                f"the report for message code {code} is unreadable: {exc}", provider=ctx.provider
            ) from None
        reports.extend(_merge_seen(ctx, code, fresh, sent_to))
    if len(codes) > 1:
        reports = _in_order(reports, _memory(ctx, _SENT).get(message_id, ()))
    return DeliveryReport(provider=ctx.provider, message_id=message_id, recipients=tuple(reports))


@hookimpl
def balance(ctx: Context[ModexiSettings]) -> Balance:
    response = ctx.read(HttpRequest("GET", PATH_BALANCE, headers=_headers(ctx)))
    result = _result(ctx, response)
    try:
        answer = wire.balance_answer(result)
    except wire.WireError as exc:
        raise response.malformed(str(exc)) from None
    return wire.to_balance(ctx.provider, answer)


@hookimpl
def senders(ctx: Context[ModexiSettings]) -> list[Sender]:
    response = ctx.read(HttpRequest("GET", PATH_SENDERS, headers=_headers(ctx)))
    result = _result(ctx, response)
    try:
        items = wire.sender_items(result)
    except wire.WireError as exc:
        raise response.malformed(str(exc)) from None
    return wire.to_senders(items)


@hookimpl
def panel_login(ctx: Context[ModexiSettings]) -> PanelLogin:
    """``GET /account/token``: a key that opens the web panel without the
    password for 3 minutes, from the address that asked (documented)."""

    # asked before the request leaves: the answer's key is a credential
    asked_at = datetime.now(UTC)
    response = ctx.read(HttpRequest("GET", PATH_PANEL_LOGIN, headers=_headers(ctx)))
    result = _result(ctx, response)
    try:
        token = wire.structure(result, wire.PanelToken)
    except wire.WireError as exc:
        raise response.malformed(str(exc)) from None
    key = token.private_key.strip()
    if not key or not key.isalnum():
        raise response.malformed("the privateKey is empty or not a plain key")
    login = PanelLogin(
        provider=ctx.provider,
        url=Secret(wire.PANEL_LOGIN_URL.format(key=key)),
        expires_at=asked_at + wire.PANEL_LOGIN_LIFETIME,
        note="valid for 3 minutes, from the IP address that asked for it",
    )
    # masked in every log line while the login is held; a new login's key
    # replaces it instead of adding to what the process keeps
    register_secrets([key], owner=login)
    return login


# -- requests ----------------------------------------------------------------------------


def _headers(ctx: Context[ModexiSettings]) -> dict[str, str]:
    """HTTP Basic authorization: the one place the password is revealed."""
    settings = ctx.settings
    pair = f"{settings.username}:{settings.password.reveal()}".encode()
    return {
        "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
        "Accept": "application/json",
    }


def _sender(ctx: Context[ModexiSettings], given: str | None) -> str:
    name = given if given is not None else ctx.settings.sender
    if name is None:
        raise InvalidSender(
            "Modexi needs a sender name ('from') on every send: pass sender=... or set "
            "ILETI_MODEXI_SENDER to an approved name (client.senders() lists them)",
            provider=ctx.provider,
        )
    try:
        return check_sender(name)
    except InvalidSender as exc:
        raise InvalidSender(exc.message, provider=ctx.provider) from None


def _is_gsm7(text: str) -> bool:

    return is_gsm7(text)


def _gateway_parts(text: str) -> int:
    """The parts Modexi bills for a text (it picks the encoding itself)."""

    return count(text, "auto", TEXT_PROFILE)[1]


def _forced_ucs2() -> NotSupported:
    return NotSupported(
        "Modexi chooses the encoding itself and sends a text of GSM-7 characters as GSM-7; "
        "it cannot be made to send UCS-2: use encoding='auto' (or 'gsm7')",
        provider=NAME,
        capability="encoding",
    )


def _submit(
    ctx: Context[ModexiSettings],
    *,
    sender: str,
    text: str,
    numbers: Sequence[str],
    validity: timedelta | None,
    schedule: datetime | None,
) -> str:
    """One ``POST /sms/1/advanced``; returns the message code."""
    body = wire.send_request(
        sender=sender, text=text, numbers=numbers, validity=validity, schedule=schedule
    )
    request = HttpRequest.json_body("POST", PATH_SEND, body, headers=_headers(ctx))
    response = ctx.send(request)
    result = _result(ctx, response)
    try:
        answer = wire.send_answer(result)
    except wire.WireError as exc:
        raise response.malformed(str(exc)) from None
    if answer.messages:
        # "in special cases" Modexi reports per-message details here (undocumented)
        log.info(
            "modexi: message code %s came with %d message entries: %s",
            answer.message_code,
            len(answer.messages),
            excerpt(repr(answer.messages), 300),
        )
    _remember(ctx, answer.message_code, tuple(numbers))
    return answer.message_code


def _fetch_report(
    ctx: Context[ModexiSettings], code: str, recipients: int
) -> list[wire.ReportItem]:
    """The rows of one message code. There is no paging parameter: when a page
    comes back full the call is repeated with a larger ``limit``."""
    limit = max(wire.REPORT_LIMIT, recipients)
    while True:
        body = wire.report_request(code, limit)
        request = HttpRequest.json_body("POST", PATH_REPORTS, body, headers=_headers(ctx))
        response = ctx.read(request)
        result = _result(ctx, response)
        try:
            rows = wire.report_items(result)
        except wire.WireError as exc:
            raise response.malformed(str(exc)) from None
        if len(rows) < limit or limit >= wire.REPORT_LIMIT_MAX:
            return rows
        limit = min(limit * 2, wire.REPORT_LIMIT_MAX)


def _result(ctx: Context[ModexiSettings], response: HttpResponse) -> Any:
    """The ``result`` of a successful answer; the typed error for any other.

    The body's ``errorCode`` wins over the HTTP status; the status is used
    only when the body is not an envelope.
    """
    try:
        data = response.json()
    except MalformedResponse:
        if response.status >= 400:
            raise _error(ctx, response, None, str(response.status), "") from None
        raise
    try:
        env = wire.envelope(data)
    except wire.WireError as exc:
        raise response.malformed(str(exc)) from None
    if env is None:
        if response.status >= 400:
            raise _error(ctx, response, None, str(response.status), "")
        raise response.malformed("the answer has no errorCode")
    if not env.ok:
        raise _error(ctx, response, env.error_code, env.error_code, env.error_description or "")
    return env.result


def _error(
    ctx: Context[ModexiSettings],
    response: HttpResponse,
    code: str | None,
    key: str,
    description: str,
) -> IletiError:
    settings = ctx.settings
    kind = wire.error_kind(
        key, description, http_status=response.status, extra=settings.extra_errors
    )
    advice = kind.advice
    if code is None:  # no envelope: only the HTTP status speaks
        advice = (
            f"Modexi (or a proxy in between) answered HTTP {response.status} without "
            f"Modexi's errorCode envelope; taken to mean: {advice}"
        )
    shown = excerpt(response.body)
    return ctx.error(kind.category, advice, code=code, http_status=response.status, excerpt=shown)


def _mention_accepted(exc: IletiError, accepted: Iterable[tuple[str, list[str]]]) -> None:
    """Add to an error's message the requests of a batch that were accepted."""
    listed = "; ".join(
        f"message code {code} for {', '.join(numbers[:3])}"
        + (f" and {len(numbers) - 3} more" if len(numbers) > 3 else "")
        for code, numbers in accepted
    )
    note = (
        f"Earlier requests of this batch were accepted and will be sent, do not resend "
        f"them: {listed}"
    )
    exc.message = f"{exc.message}. {note}"
    exc.args = (f"{exc.args[0] if exc.args else ''} {note}".strip(), *exc.args[1:])


# -- memory ------------------------------------------------------------------------------


def _memory(ctx: Context[ModexiSettings], key: str) -> MutableMapping[str, Any]:
    memory: MutableMapping[str, Any] = ctx.state.setdefault(key, {})
    return memory


def _lock(ctx: Context[ModexiSettings]) -> threading.Lock:
    """Threads share a client (campaign workers): one of them trims at a time."""
    lock: threading.Lock = ctx.state.setdefault("modexi.lock", threading.Lock())
    return lock


def _remember(ctx: Context[ModexiSettings], code: str, numbers: tuple[str, ...]) -> None:
    with _lock(ctx):
        sent = _memory(ctx, _SENT)
        sent[code] = numbers
        while len(sent) > _REMEMBER:
            del sent[next(iter(sent))]


def _merge_seen(
    ctx: Context[ModexiSettings], code: str, fresh: list[RecipientReport], sent_to: Sequence[str]
) -> list[RecipientReport]:
    """Keep every row ever seen for a code (in case Modexi reports a row only
    once, as Infobip v1 does), never letting a state move backwards; order as
    sent where known."""
    with _lock(ctx):
        seen_all = _memory(ctx, _SEEN)
        seen: dict[str, RecipientReport] = seen_all.setdefault(code, {})
        for index, row in enumerate(fresh):
            key = row.message_id or f"#{index}:{row.number}"
            old = seen.get(key)
            if old is None or row.state.rank >= old.state.rank:
                seen[key] = row
        while len(seen_all) > _REMEMBER:
            del seen_all[next(iter(seen_all))]
        rows = list(seen.values())
    return _in_order(rows, sent_to)


def _in_order(rows: list[RecipientReport], numbers: Sequence[str]) -> list[RecipientReport]:
    """Rows in the order their numbers were sent (unknown numbers last, stable)."""
    order = {number: i for i, number in reversed(list(enumerate(numbers)))}
    return sorted(rows, key=lambda r: order.get(r.number, len(order)))
