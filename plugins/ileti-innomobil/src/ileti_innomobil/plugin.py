"""The Innomobil provider's hooks (entry point ``innomobil`` in ``ileti.providers``).

Every operation is ``POST <base_url>/api/v1/<operation>`` with a JSON body
that carries the username and password; every answer is the
``status / error / result`` envelope. This module stays cheap to import: cattrs
and the emulator load on first use.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ileti.plugin import (
    GSM7,
    UCS2,
    Category,
    Context,
    HttpRequest,
    HttpResponse,
    IletiError,
    InvalidSender,
    Outgoing,
    OutgoingBatch,
    ProfileEncoding,
    ProviderInfo,
    TextProfile,
    ValidationError,
    excerpt,
    hookimpl,
    international,
    redact,
)
from ileti_innomobil import wire
from ileti_innomobil.settings import InnomobilSettings

if TYPE_CHECKING:
    from datetime import datetime

    from ileti.emulation import VirtualClock
    from ileti.plugin import Balance, DeliveryReport, Sender, SendResult, SentPackage
    from ileti_innomobil.emulator import InnomobilEmulator

__all__ = [
    "PROVIDER",
    "TEXT_PROFILE",
    "balance",
    "provider_emulator",
    "provider_info",
    "query_report",
    "send",
    "send_multi",
    "senders",
    "sent_packages",
]

PROVIDER = "innomobil"

#: ``utf8`` "0" is GSM only and the client must transliterate the Turkish letters
#: (folded to ASCII by the engine before counting); "1" is Unicode. Both allow 4 parts
#: (612 / 268 characters). On a tie in parts ``auto`` prefers the first (GSM).
TEXT_PROFILE = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "0", GSM7, fold_turkish=True),
        ProfileEncoding("ucs2", "1", UCS2),
    ),
    max_parts=wire.MAX_PARTS,
)

# what to do about each refusal; the provider's own words follow in the error
_ADVICE: dict[Category, str] = {
    Category.AUTH: "Innomobil did not accept the username and password",
    Category.INSUFFICIENT_CREDIT: "Innomobil refused the send: the account has too little credit",
    Category.ACCOUNT_INACTIVE: "Innomobil says the account is not active",
    Category.INVALID_SENDER: (
        "Innomobil refused the sender name: use one defined on the account "
        "(list them with client.senders())"
    ),
    Category.INVALID_RECIPIENT: (
        "Innomobil refused a recipient: give Turkish mobile numbers such as 0532 111 22 33"
    ),
    Category.MESSAGE_TOO_LONG: (
        "Innomobil refused the text as too long: at most 4 SMS (612 GSM characters, or 268 "
        "with Turkish letters kept); shorten the text"
    ),
    Category.FORBIDDEN: "Innomobil does not allow this account to do that",
    Category.RATE_LIMITED: "Innomobil asks to slow down",
    Category.PROVIDER_ERROR: "Innomobil reported an error of its own",
    Category.INVALID_REQUEST: "Innomobil refused the request's data; see its reason",
    Category.UNKNOWN_MESSAGE: "Innomobil has no message with this id on this account",
}


# -- info ------------------------------------------------------------------------


@hookimpl
def provider_info() -> ProviderInfo[InnomobilSettings]:
    return ProviderInfo(
        name=PROVIDER,
        title="Innomobil",
        settings_type=InnomobilSettings,
        text=TEXT_PROFILE,
        max_recipients=wire.MAX_RECIPIENTS,
        scheduling=True,
        validity=True,
        validity_range=(
            timedelta(hours=wire.MIN_VALIDITY_HOURS),
            timedelta(hours=wire.MAX_VALIDITY_HOURS),
        ),
        flash=False,
        client_reference=False,
        notes=(
            "Plain-HTTP base URL by default (credentials in every body); gate 0 or 1; "
            "utf8=0 folds Turkish letters to ASCII."
        ),
        api=1,  # the plugin API this plugin is written for (ileti.plugin.PLUGIN_API)
    )


@hookimpl
def provider_emulator(clock: VirtualClock) -> InnomobilEmulator:
    from ileti_innomobil.emulator import InnomobilEmulator

    return InnomobilEmulator(clock=clock)


# -- helpers ---------------------------------------------------------------------


def _path(operation: str) -> str:
    return wire.API_PREFIX + operation


def _sender(ctx: Context[InnomobilSettings], sender: str | None) -> str:
    chosen = sender or ctx.settings.sender
    if not chosen:
        raise InvalidSender(
            "Innomobil needs a sender name on every send: pass sender=... (one defined on the "
            "account; see client.senders()) or set the 'sender' setting "
            "(ILETI_INNOMOBIL_SENDER)",
            provider=ctx.provider,
        )
    return chosen


def _wire_number(ctx: Context[InnomobilSettings], e164: str, position: int) -> str:
    """``+905321112233`` -> ``905321112233``; Innomobil takes Turkish numbers only."""
    return international(e164, turkish_only=True, position=position, provider=ctx.provider)


def _refusal(ctx: Context[InnomobilSettings], response: HttpResponse, reason: str) -> IletiError:

    category: Category = wire.classify_error(reason)
    message = _ADVICE[category]
    if not reason:
        message += " (the gateway gave no reason)"
    return ctx.error(
        category,
        message,
        # Innomobil has no error codes: its text is the code (redacted: it may echo input)
        code=redact(reason) or None,
        http_status=response.status,
        excerpt=excerpt(response.body),
    )


def _call(
    ctx: Context[InnomobilSettings],
    operation: str,
    payload: object,
    *,
    sends: bool = False,
) -> tuple[HttpResponse, Any]:
    """Post one operation and return ``(response, result)``; raise the refusal if any.

    ``status: "error"`` is a refusal; so is ``status: "ok"`` with an empty result
    and a reason in ``error``. An empty result without a reason is returned for
    the operation to judge.
    """
    return _post(ctx, operation, wire.unstructure(payload), sends=sends)


def _post(
    ctx: Context[InnomobilSettings], operation: str, body: dict[str, Any], *, sends: bool
) -> tuple[HttpResponse, Any]:
    """:func:`_call` of a body already written as the gateway's JSON object."""
    request = HttpRequest.json_body("POST", _path(operation), body)
    response = ctx.send(request) if sends else ctx.read(request)
    envelope: wire.Envelope = wire.read_envelope(response)
    if not envelope.ok or (wire.is_empty_result(envelope.result) and envelope.reason):
        raise _refusal(ctx, response, envelope.reason)
    return response, envelope.result


def _empty(response: HttpResponse, what: str) -> IletiError:
    return response.malformed(f"the gateway answered 'ok' with no {what} and no reason")


# -- capability hooks ------------------------------------------------------------


@hookimpl
def send(ctx: Context[InnomobilSettings], message: Outgoing) -> SendResult:
    settings = ctx.settings
    numbers = [_wire_number(ctx, n, i) for i, n in enumerate(message.recipients)]
    body = wire.sendsms_body(
        username=settings.username,
        password=settings.password.reveal(),
        send_date=wire.format_send_date(message.schedule),
        validity_hours=wire.validity_hours(message.validity),
        gate=settings.gate,
        sender=_sender(ctx, message.sender),
        text=message.text,
        utf8=message.segmentation.wire,
        numbers=numbers,
    )
    response, result = _post(ctx, "sendsms", body, sends=True)
    if wire.is_empty_result(result):
        raise _empty(response, "message id")
    accepted = wire.read_send_result(response, result)
    if not accepted.message_id.strip():
        raise response.malformed("the sendsms answer holds an empty message id")
    result_model: SendResult = wire.send_result(
        provider=ctx.provider,
        recipients=message.recipients,
        message_id=accepted.message_id,
        count=accepted.count,
        predicted_parts=message.segmentation.parts,
        client_ref=message.client_ref,
    )
    return result_model


@hookimpl
def send_multi(ctx: Context[InnomobilSettings], batch: OutgoingBatch) -> SendResult:
    settings = ctx.settings
    sender = _sender(ctx, batch.sender)
    messages = [
        wire.WireMessage(
            sender=sender,
            text=item.text,
            utf8=item.segmentation.wire,
            numbers=[_wire_number(ctx, item.recipient, i)],
        )
        for i, item in enumerate(batch.items)
    ]
    payload = wire.MultiSendRequest(
        username=settings.username,
        password=settings.password.reveal(),
        send_date=wire.format_send_date(batch.schedule),
        validity_hours=wire.validity_hours(batch.validity),
        gate=settings.gate,
        messages=messages,
    )
    response, result = _call(ctx, "multisend", payload, sends=True)
    if wire.is_empty_result(result):
        raise _empty(response, "message id")
    accepted: wire.MultiSendResult = wire.structure(
        response, result, wire.MultiSendResult, "a multisend result (messageid[], count, kredi)"
    )
    if not accepted.message_ids or not all(i.strip() for i in accepted.message_ids):
        raise response.malformed("the multisend answer holds no message id")
    parts = {item.segmentation.parts for item in batch.items}
    result_model: SendResult = wire.send_result(
        provider=ctx.provider,
        recipients=[item.recipient for item in batch.items],
        # documented: one id for the whole multi-send; several are kept, comma separated
        message_id=",".join(accepted.message_ids),
        count=accepted.count,
        predicted_parts=parts.pop() if len(parts) == 1 else None,
        client_ref=batch.client_ref,
    )
    return result_model


@hookimpl
def query_report(ctx: Context[InnomobilSettings], message_id: str) -> DeliveryReport:
    """``report`` for a submission id (digits), ``reportbyid`` for per-number ids.

    Several ids may be given separated by commas (a multi-send with several ids).
    """
    settings = ctx.settings
    ids = [part.strip() for part in message_id.split(",") if part.strip()]
    if not ids:
        raise ValidationError(
            f"{message_id!r} holds no message id: pass the message_id of a SendResult",
            provider=ctx.provider,
        )
    items: list[wire.ReportItem] = []
    for submission in (i for i in ids if not wire.is_report_id(i)):
        payload = wire.ReportRequest(
            username=settings.username,
            password=settings.password.reveal(),
            message_id=submission,
        )
        items.extend(_report_items(ctx, "report", payload))
    report_ids = [i for i in ids if wire.is_report_id(i)]
    if report_ids:
        by_id = wire.ReportByIdRequest(
            username=settings.username,
            password=settings.password.reveal(),
            report_ids=report_ids,
        )
        items.extend(_report_items(ctx, "reportbyid", by_id))
    report: DeliveryReport = wire.delivery_report(ctx.provider, message_id, items)
    return report


def _report_items(
    ctx: Context[InnomobilSettings], operation: str, payload: object
) -> list[wire.ReportItem]:
    response, result = _call(ctx, operation, payload)
    if wire.is_empty_result(result):
        raise ctx.error(
            Category.INVALID_REQUEST,
            "Innomobil returned no report for this id: check the message id (the "
            "message_id of a SendResult, or a per-number id from an earlier report)",
            http_status=response.status,
            excerpt=excerpt(response.body),
        )
    items: list[wire.ReportItem] = wire.structure(
        response, result, list[wire.ReportItem], "a list of report items (gsm, reportid, status)"
    )
    for item in items:
        try:
            wire.e164_from_wire(item.number)
        except ValueError:
            raise response.malformed("a report item's phone number is not a number") from None
    return items


@hookimpl
def sent_packages(
    ctx: Context[InnomobilSettings], since: datetime, until: datetime, page: int, scheduled: bool
) -> list[SentPackage]:
    """``reports``: one page of the packages sent in the range (Unix seconds)."""
    settings = ctx.settings
    payload = wire.ReportsRequest(
        username=settings.username,
        password=settings.password.reveal(),
        start=wire.unix_seconds(since),
        end=wire.unix_seconds(until, up=True),
        page=str(page),
        kind=wire.REPORTS_SCHEDULED if scheduled else wire.REPORTS_NOW,
    )
    response, result = _call(ctx, "reports", payload)
    if wire.is_empty_result(result):
        return []  # past the last page (or nothing sent in the range)
    items: list[wire.ReportsItem] = wire.structure(
        response,
        result,
        list[wire.ReportsItem],
        "a list of packages (messageid, datetime, sender, text, smscount, gsmcount, ...)",
    )
    try:
        return [wire.sent_package(ctx.provider, item, scheduled=scheduled) for item in items]
    except ValueError as exc:
        raise response.malformed(f"a package of the list cannot be read: {exc}") from None


@hookimpl
def balance(ctx: Context[InnomobilSettings]) -> Balance:
    settings = ctx.settings
    payload = wire.BalanceRequest(
        username=settings.username, password=settings.password.reveal(), gate=settings.gate
    )
    response, result = _call(ctx, "kredi", payload)
    if result is None or result == "" or result == []:
        raise _empty(response, "credit")
    amount = wire.structure(response, result, Decimal, "a credit amount")
    model: Balance = wire.balance_from(ctx.provider, amount)
    return model


@hookimpl
def senders(ctx: Context[InnomobilSettings]) -> list[Sender]:
    settings = ctx.settings
    payload = wire.AuthRequest(username=settings.username, password=settings.password.reveal())
    response, result = _call(ctx, "alfanumerik", payload)
    if wire.is_empty_result(result):
        return []
    names: list[str] = wire.structure(response, result, list[str], "a list of sender names")
    found: list[Sender] = wire.senders_from(names)
    return found
