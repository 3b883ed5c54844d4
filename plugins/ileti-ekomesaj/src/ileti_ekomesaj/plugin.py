"""The Ekomesaj hooks: ``send``, ``send_multi``, ``query_report``, ``balance``.

``senders`` is not implemented: Ekomesaj publishes no sender-list operation,
so the client raises ``NotSupported``. Wire names and inferred choices are in
:mod:`ileti_ekomesaj.wire`; this module only builds requests and maps answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ileti.plugin import (
    GSM7_TR,
    Balance,
    BalanceUnit,
    ConfigurationError,
    Context,
    DeliveryReport,
    HttpResponse,
    InvalidContent,
    Outgoing,
    OutgoingBatch,
    ProfileEncoding,
    ProviderInfo,
    RecipientReport,
    RecipientResult,
    SendResult,
    TextProfile,
    ValidationError,
    excerpt,
    hookimpl,
    require_turkish,
)
from ileti_ekomesaj import wire
from ileti_ekomesaj.settings import EkomesajSettings

if TYPE_CHECKING:
    from ileti.emulation import VirtualClock
    from ileti.plugin import IletiError
    from ileti_ekomesaj.emulator import EkomesajEmulator

__all__ = ["PROVIDER", "TEXT_PROFILE"]

PROVIDER = "ekomesaj"

#: ``DataCoding "Default"`` is the only documented value (GSM 7-bit); the
#: provider segments and publishes no limits. One wire value cannot tell the
#: gateway whether a text needs the Turkish letters outside GSM 03.38 (ç ğ Ğ
#: ı İ ş Ş), so one rule counts every text: GSM 03.38 with the Turkish
#: single-shift table, 155 / 149 (inferred: the national-language shift
#: header Turkish operators use). For a text without those letters this may
#: predict more than the gateway bills, never less.
TEXT_PROFILE = TextProfile(
    encodings=(ProfileEncoding("gsm7-tr", wire.DATA_CODING, GSM7_TR),),
    max_parts=wire.MAX_PARTS,
)


@hookimpl
def provider_info() -> ProviderInfo[EkomesajSettings]:
    return ProviderInfo(
        name=PROVIDER,
        title="Ekomesaj",
        settings_type=EkomesajSettings,
        text=TEXT_PROFILE,
        max_recipients=wire.MAX_RECIPIENTS,
        scheduling=True,
        validity=False,
        validity_range=None,
        flash=False,
        client_reference=True,
        notes=(
            "ServiceStack JSON (default) or DataContract XML (api_style='xml') API. Turkish "
            "numbers only. Scheduling uses the undocumented ScheduledDeliveryTime; the report "
            "operation's name and shape, and the XML namespaces and order, are inferred."
        ),
        api=1,  # the plugin API this plugin is written for (ileti.plugin.PLUGIN_API)
    )


@hookimpl
def provider_emulator(clock: VirtualClock) -> EkomesajEmulator:
    from ileti_ekomesaj.emulator import EkomesajEmulator

    return EkomesajEmulator(clock=clock)


# --------------------------------------------------------------------------- helpers


def _credential(settings: EkomesajSettings) -> wire.Credential:
    return wire.Credential(
        username=settings.username,
        password=settings.password.reveal(),  # the one place the password goes on the wire
        reseller_id=settings.reseller_id,
    )


def _raiser(ctx: Context[EkomesajSettings]) -> wire.ErrorFactory:

    def make(failure: wire.Failure) -> IletiError:
        return ctx.error(
            failure.category,
            failure.message,
            code=failure.code,
            http_status=failure.http_status,
            excerpt=excerpt(failure.said),  # redacted by excerpt()
        )

    return make


def _turkish_numbers(recipients: Sequence[str]) -> list[int]:
    """The ``Msisdn`` values; the gateway takes Turkish numbers only (documented ``905…``)."""
    return [
        wire.msisdn(require_turkish(number, position=position, provider=PROVIDER))
        for position, number in enumerate(recipients)
    ]


def _post(
    ctx: Context[EkomesajSettings], operation: str, request: object, *, sends: bool
) -> HttpResponse:
    """POST ``operation`` in the configured ``api_style`` (JSON or DataContract XML):
    ``request`` is a request model, or the JSON-shaped object written already."""
    payload = request if isinstance(request, dict) else wire.to_wire(request)
    try:
        http = wire.payload_request(operation, payload, ctx.settings.api_style)
    except wire.XmlCharacterError as exc:
        raise _unwritable(ctx, exc) from None
    return ctx.send(http) if sends else ctx.read(http)


def _unwritable(ctx: Context[EkomesajSettings], exc: wire.XmlCharacterError) -> IletiError:
    """A value XML 1.0 cannot carry, refused before any request (never showing it)."""

    member = exc.member
    fix = "remove control characters, or use api_style='json'"
    if member.startswith("Credential."):
        setting = {"Credential.Username": "username", "Credential.Password": "password"}.get(
            member, "reseller_id"
        )
        return ConfigurationError(
            f"setting {setting!r} holds a character that XML (api_style='xml') cannot carry: {fix}",
            setting=setting,
            provider=ctx.provider,
        )
    if member.endswith((".SmsContent", ".CustomField1")):
        return InvalidContent(
            f"the text holds a character that XML (api_style='xml') cannot carry: {fix}",
            provider=ctx.provider,
        )
    return ValidationError(
        f"{member} holds a character that XML (api_style='xml') cannot carry (check "
        f"client_ref and sender): {fix}",
        provider=ctx.provider,
    )


def _submit(ctx: Context[EkomesajSettings], request: dict[str, Any]) -> str:
    """Post ``SendInstantSms`` (the request as its JSON-shaped object) and
    return the package id (``MessageID``)."""
    settings = ctx.settings
    response = _post(ctx, wire.SEND_OPERATION, request, sends=True)
    answer = wire.read_answer(
        response,
        wire.SendInstantSmsResponse,
        operation=wire.SEND_OPERATION,
        reseller_id=settings.reseller_id,
        fail=_raiser(ctx),
        style=settings.api_style,
        error_codes=settings.extra_errors,
    )
    if answer.message_id is None:
        raise response.malformed("the answer to SendInstantSms has no MessageID")
    if answer.message_id <= 0:
        failure = wire.message_id_failure(
            answer, http_status=response.status, reseller_id=settings.reseller_id
        )
        raise _raiser(ctx)(failure)
    return str(answer.message_id)


def _sender(ctx: Context[EkomesajSettings], sender: str | None) -> str:
    return sender or ctx.settings.sender or ""


def _schedule(message: Outgoing | OutgoingBatch) -> str | None:
    return wire.format_schedule(message.schedule) if message.schedule is not None else None


# --------------------------------------------------------------------------- hooks


@hookimpl
def send(ctx: Context[EkomesajSettings], message: Outgoing) -> SendResult:

    numbers = _turkish_numbers(message.recipients)
    body = wire.send_body(
        _credential(ctx.settings),
        numbers,
        sms_title=message.client_ref,
        sms_content=message.text,
        request_guid=wire.request_guid(message.client_ref),
        # the core drops duplicates unless the caller kept them on purpose
        can_send_sms_to_duplicate_msisdn=len(set(numbers)) != len(numbers),
        sender_name=_sender(ctx, message.sender),
        data_coding=message.segmentation.wire,
        scheduled_delivery_time=_schedule(message),
    )
    package = _submit(ctx, body)
    return SendResult(
        provider=ctx.provider,
        message_id=package,
        # positional, in a list: cheaper than keywords in a generator
        recipients=tuple([RecipientResult(n, True) for n in message.recipients]),
        client_ref=message.client_ref,
        parts=message.segmentation.parts,
    )


@hookimpl
def send_multi(ctx: Context[EkomesajSettings], batch: OutgoingBatch) -> SendResult:
    """The documented template trick: the template is only the placeholder, and each
    recipient's ``CustomField1`` carries ``"[Mesaj1]:" + its text``. The gateway cuts
    at the first ``:``, so any text (with colons, brackets or ``[Mesaj1]`` itself)
    arrives as it is."""

    numbers = _turkish_numbers([item.recipient for item in batch.items])
    prefix = wire.TEMPLATE_PLACEHOLDER + wire.TEMPLATE_SEPARATOR
    sms = wire.Sms(
        to_msisdns=[
            wire.ToMsisdn(msisdn=n, custom_field1=prefix + item.text)
            for n, item in zip(numbers, batch.items, strict=True)
        ],
        is_create_from_template=True,
        sms_title=batch.client_ref,
        sms_content=wire.TEMPLATE_PLACEHOLDER,
        request_guid=wire.request_guid(batch.client_ref),
        can_send_sms_to_duplicate_msisdn=len(set(numbers)) != len(numbers),
        sender_name=_sender(ctx, batch.sender),
        data_coding=batch.wire_encoding,
        scheduled_delivery_time=_schedule(batch),
    )
    request = wire.SendInstantSmsRequest(credential=_credential(ctx.settings), sms=sms)
    package = _submit(ctx, wire.to_wire(request))
    parts = {item.segmentation.parts for item in batch.items}
    return SendResult(
        provider=ctx.provider,
        message_id=package,
        recipients=tuple(RecipientResult(number=i.recipient, accepted=True) for i in batch.items),
        client_ref=batch.client_ref,
        # one figure only when every recipient's text takes the same number of parts
        parts=parts.pop() if len(parts) == 1 else None,
    )


@hookimpl
def query_report(ctx: Context[EkomesajSettings], message_id: str) -> DeliveryReport:

    settings = ctx.settings
    if not message_id.isdigit() or int(message_id) <= 0:
        raise ValidationError(
            f"{message_id[:40]!r} is not an Ekomesaj package id: pass the message_id of a "
            "SendResult (a positive number)",
            provider=ctx.provider,
        )
    operation = settings.report_operation
    details: list[wire.ReportDetail] = []
    previous: list[wire.ReportDetail] | None = None
    raw_package: int | None = None
    for page in range(wire.MAX_REPORT_PAGES):
        request = wire.ReportRequest(
            credential=_credential(settings),
            sms_history_id=int(message_id),
            start_page=page,
            page_size=wire.REPORT_PAGE_SIZE,
        )
        response = _post(ctx, operation, request, sends=False)
        answer = wire.read_answer(
            response,
            wire.ReportResponse,
            operation=operation,
            reseller_id=settings.reseller_id,
            fail=_raiser(ctx),
            style=settings.api_style,
            error_codes=settings.extra_errors,
        )
        if answer.state is not None:
            raw_package = answer.state
        if answer.details and answer.details == previous:
            raise response.malformed(
                f"the answer to {operation} repeats page {page - 1} for StartPage {page}"
            )
        previous = answer.details
        details.extend(answer.details)
        short = len(answer.details) < wire.REPORT_PAGE_SIZE
        complete = answer.total_count is not None and len(details) >= answer.total_count
        if short or complete:
            break
    else:
        raise response.malformed(
            f"the report did not end after {wire.MAX_REPORT_PAGES} pages of {wire.REPORT_PAGE_SIZE}"
        )
    recipients = tuple(
        RecipientReport(
            number=wire.e164(d.msisdn),
            state=wire.recipient_state(d.state, raw_package),
            raw_state=str(d.state) if d.state is not None else "",
            time=wire.parse_time(d.delivered_date) or wire.parse_time(d.send_date),
        )
        for d in details
    )
    return DeliveryReport(
        provider=ctx.provider,
        message_id=message_id,
        recipients=recipients,
        package_state=wire.package_state(raw_package),
        raw_package_state=str(raw_package) if raw_package is not None else None,
    )


@hookimpl
def balance(ctx: Context[EkomesajSettings]) -> Balance:

    settings = ctx.settings
    request = wire.GetCreditRequest(credential=_credential(settings))
    response = _post(ctx, wire.CREDIT_OPERATION, request, sends=False)
    answer = wire.read_answer(
        response,
        wire.GetCreditResponse,
        operation=wire.CREDIT_OPERATION,
        reseller_id=settings.reseller_id,
        fail=_raiser(ctx),
        style=settings.api_style,
        error_codes=settings.extra_errors,
    )
    if answer.credit is None:
        raise response.malformed("the answer to GetCredit has no Credit")
    # inferred: Ekomesaj sells SMS credits; the unit is not documented
    return Balance(provider=ctx.provider, amount=answer.credit, unit=BalanceUnit.CREDITS)
