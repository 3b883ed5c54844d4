"""The ``kobikom`` provider: ileti's hooks for Kobikom's XML API.

* ``send`` / ``send_multi``: ``<SMS>`` documents POSTed to ``/api/sendsms/xml/``
  (as the ``XML`` form field by default); every recipient carries a
  ``messageId`` built from the client reference.
* ``query_report``: the pull endpoint, which returns each report only once;
  every pulled report is kept (see :mod:`ileti_kobikom.store`).
* ``balance`` (``<bakiye>``) and ``senders`` (``<basliklar>``).

Importing this module is cheap: the wire format, the store and the emulator
load on first use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ileti.plugin import (
    GSM7,
    UCS2,
    DeliveryReport,
    DeliveryState,
    DeliveryUnknown,
    IletiError,
    MalformedResponse,
    ProfileEncoding,
    ProviderError,
    ProviderInfo,
    RecipientReport,
    RecipientResult,
    SendResult,
    TextProfile,
    TransportError,
    UnknownMessage,
    ValidationError,
    hookimpl,
    international,
)
from ileti_kobikom.settings import KobikomSettings, warn_if_insecure

if TYPE_CHECKING:
    from ileti.emulation import VirtualClock
    from ileti.plugin import (
        Balance,
        Context,
        HttpResponse,
        Outgoing,
        OutgoingBatch,
        PushRequest,
        Segmentation,
        Sender,
    )
    from ileti_kobikom.emulator import KobikomEmulator
    from ileti_kobikom.store import ReportStore, StoredPackage, StoredRecipient, StoredReport
    from ileti_kobikom.wire import Credentials, SubmitResult

__all__ = [
    "NAME",
    "balance",
    "provider_emulator",
    "provider_info",
    "query_report",
    "send",
    "send_multi",
    "senders",
]

NAME = "kobikom"


#: what a client reference must look like: it becomes a ``messageId`` (keep IDs
#: short and ASCII, says the reference) and pull ids are joined with commas
_REF = re.compile(r"[A-Za-z0-9._-]{1,64}")

_STORE_KEY = "kobikom.store"


@hookimpl
def provider_info() -> ProviderInfo[KobikomSettings]:
    from ileti_kobikom.wire import MAX_PARTS, MAX_RECIPIENTS, MAX_VALIDITY, MIN_VALIDITY

    return ProviderInfo(
        name=NAME,
        title="Kobikom",
        settings_type=KobikomSettings,
        text=TextProfile(
            encodings=(
                ProfileEncoding("gsm7", "0", GSM7),
                ProfileEncoding("ucs2", "8", UCS2),
            ),
            max_parts=MAX_PARTS,
            aliases={"default": "gsm7", "unicode": "ucs2"},
        ),
        max_recipients=MAX_RECIPIENTS,
        scheduling=True,
        validity=True,
        validity_range=(MIN_VALIDITY, MAX_VALIDITY),
        flash=True,
        client_reference=True,
        notes=(
            "Delivery reports can be pulled only once: ileti keeps them in the report_store "
            "(SQLite). Client references become Kobikom messageIds: ASCII letters, digits, "
            "'.', '_' and '-'."
        ),
        api=1,  # the plugin API this plugin is written for (ileti.plugin.PLUGIN_API)
    )


@hookimpl
def provider_emulator(clock: VirtualClock) -> KobikomEmulator:
    from ileti_kobikom.emulator import KobikomEmulator

    return KobikomEmulator(clock=clock)


# -- helpers -------------------------------------------------------------------------


def _settings(ctx: Context[KobikomSettings]) -> KobikomSettings:
    settings = ctx.settings
    warn_if_insecure(settings.base_url)
    return settings


def _credentials(settings: KobikomSettings) -> Credentials:
    from ileti_kobikom.wire import Credentials

    return Credentials(username=settings.username, password=settings.password.reveal())


def _store(ctx: Context[KobikomSettings], settings: KobikomSettings) -> ReportStore:
    store: ReportStore | None = ctx.state.get(_STORE_KEY)
    if store is None:
        from ileti_kobikom.store import ReportStore

        store = ctx.state.setdefault(
            _STORE_KEY,
            ReportStore(
                settings.report_store, account=settings.username, sync=settings.report_store_sync
            ),
        )
    return store


def _check_refs(refs: Sequence[str]) -> None:
    seen: set[str] = set()
    for ref in refs:
        if not _REF.fullmatch(ref):
            raise ValidationError(
                f"client reference {ref!r} cannot be a Kobikom messageId: use 1 to 64 ASCII "
                "letters, digits, '.', '_' or '-'"
            )
        if ref in seen:
            raise ValidationError(
                f"client reference {ref!r} appears twice in one batch: give each recipient "
                "its own client_ref"
            )
        seen.add(ref)


def _block_options(
    now: datetime,
    sender: str | None,
    schedule: datetime | None,
    validity: timedelta | None,
    flash: bool,
) -> dict[str, str | None]:
    """The ``<mesajiniz>`` options every request of a send shares; ``now`` is
    what ``ileriTarih`` offsets are counted from (Kobikom schedules relative
    to its "now": the context's clock)."""
    from ileti_kobikom.wire import format_offset, format_validity

    return {
        "sender": sender,
        "flash": "1" if flash else "0",
        "schedule": None if schedule is None else format_offset(schedule, now),
        "validity": None if validity is None else format_validity(validity),
    }


def _submit(
    ctx: Context[KobikomSettings],
    settings: KobikomSettings,
    text: str,
    segmentation: Segmentation,
    recipients: Sequence[StoredRecipient],
    options: dict[str, str | None],
) -> tuple[list[SubmitResult], HttpResponse]:
    """POST one ``<SMS>`` and return one result per recipient, in order.

    A request-level refusal (a result naming no message) is raised.
    """
    from ileti_kobikom import wire

    block = wire.MessageBlock(
        sender=options["sender"],
        text=text,
        flash=options["flash"],
        long_sms=wire.LONG_SMS if segmentation.parts > 1 else None,
        data_coding=segmentation.wire,
        schedule=options["schedule"],
        validity=options["validity"],
        push_url=settings.push_url.reveal() if settings.push_url else None,
        recipients=wire.Recipients(
            [wire.Recipient(international(r.number), r.message_id) for r in recipients]
        ),
    )
    request = wire.SmsRequest(_credentials(settings), block)
    response = ctx.send(wire.send_post(request, settings.body_style))
    answer = wire.parse_submit(response)
    refused = [r for r in answer.results if r.request_level]
    if refused:
        raise wire.error_for_code(refused[0].code, response, provider=NAME)
    return _align(answer.results, recipients, response), response


def _align(
    results: Sequence[SubmitResult], recipients: Sequence[StoredRecipient], response: HttpResponse
) -> list[SubmitResult]:
    """Each recipient's result: by its messageId, else by position and number."""

    by_id = {r.message_id: r for r in results if r.message_id}
    same_length = len(results) == len(recipients)
    aligned = []
    for i, recipient in enumerate(recipients):
        found = by_id.get(recipient.message_id)
        if found is None and same_length:
            candidate = results[i]
            if candidate.destination in (None, international(recipient.number)):
                found = candidate
        if found is None:
            raise response.malformed(
                f"the send answer has no result for recipient {i + 1} ({recipient.number})"
            )
        aligned.append(found)
    return aligned


def _recipient_result(recipient: StoredRecipient, reason: str | None = None) -> RecipientResult:
    from ileti_kobikom.wire import ACCEPTED, describe_code

    code = recipient.submit_code
    accepted = code == ACCEPTED
    if reason is None and not accepted and code is not None:
        reason = describe_code(code)
    return RecipientResult(
        number=recipient.number,
        accepted=accepted,
        message_id=recipient.message_id,
        reason=None if accepted else reason,
        raw_code=code,
    )


def _with_codes(
    recipients: Sequence[StoredRecipient], results: Sequence[SubmitResult]
) -> list[StoredRecipient]:
    from ileti_kobikom.store import StoredRecipient

    return [  # (built directly: a tenth of attrs.evolve's cost)
        StoredRecipient(res.message_id or r.message_id, r.number, res.code)
        for r, res in zip(recipients, results, strict=True)
    ]


def _all_refused_by_code(package: StoredPackage) -> bool:
    """Every recipient refused by a documented code (an unreadable status may
    have been sent: such a package is kept and reported on)."""
    from ileti_kobikom.wire import ACCEPTED, is_documented

    return all(
        r.submit_code is not None and r.submit_code != ACCEPTED and is_documented(r.submit_code)
        for r in package.recipients
    )


def _all_refused(
    store: ReportStore, package: StoredPackage, response: HttpResponse | None
) -> IletiError:
    """Every recipient refused: the request failed; forget the package (nothing sent)."""
    from ileti_kobikom.wire import error_for_code

    store.release(package.package_id)
    first = next(r.submit_code for r in package.recipients if r.submit_code)
    return error_for_code(first, response, provider=NAME)


# -- hooks ------------------------------------------------------------------------------


@hookimpl
def send(ctx: Context[KobikomSettings], message: Outgoing) -> SendResult:
    from ileti_kobikom.store import StoredPackage, StoredRecipient

    settings = _settings(ctx)
    ref = message.client_ref
    _check_refs([ref])
    count = len(message.recipients)
    ids = [ref] if count == 1 else [f"{ref}-{i}" for i in range(1, count + 1)]
    package = StoredPackage(
        package_id=ref,
        created=ctx.clock(),
        schedule=message.schedule,
        recipients=tuple(
            StoredRecipient(message_id, number)
            for message_id, number in zip(ids, message.recipients, strict=True)
        ),
    )
    options = _block_options(
        ctx.clock(), message.sender, message.schedule, message.validity, message.flash
    )
    store = _store(ctx, settings)
    store.claim(package)  # before the request leaves: a lost answer can still be settled
    try:
        results, response = _submit(
            ctx, settings, message.text, message.segmentation, package.recipients, options
        )
    except (ProviderError, ValidationError, TransportError):
        store.release(package.package_id)  # the gateway refused, or nothing left: not sent
        raise
    package = StoredPackage(
        package.package_id,
        package.created,
        package.schedule,
        tuple(_with_codes(package.recipients, results)),
    )
    if _all_refused_by_code(package):
        raise _all_refused(store, package, response)
    store.record_submit(package)
    return SendResult(
        provider=NAME,
        message_id=package.package_id,
        recipients=tuple(_recipient_result(r) for r in package.recipients),
        client_ref=ref,
        parts=message.segmentation.parts,
    )


@hookimpl
def send_multi(ctx: Context[KobikomSettings], batch: OutgoingBatch) -> SendResult:
    """One request per distinct text (the document shows one ``<mesajiniz>`` per
    ``<SMS>``); recipients with the same text share a request."""
    from attrs import evolve

    from ileti_kobikom.store import StoredPackage, StoredRecipient
    from ileti_kobikom.wire import ACCEPTED, NOT_SUBMITTED, is_refusal

    settings = _settings(ctx)
    items = batch.items
    _check_refs([batch.client_ref, *(item.client_ref for item in items)])
    package = StoredPackage(
        package_id=batch.client_ref,
        created=ctx.clock(),
        schedule=batch.schedule,
        recipients=tuple(StoredRecipient(item.client_ref, item.recipient) for item in items),
    )
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(item.text, []).append(index)
    options = _block_options(ctx.clock(), batch.sender, batch.schedule, batch.validity, batch.flash)
    store = _store(ctx, settings)
    store.claim(package)
    recipients = list(package.recipients)
    reasons: dict[int, str] = {}
    last_response: HttpResponse | None = None
    order = list(groups.values())
    for number, indexes in enumerate(order):
        first = items[indexes[0]]
        try:
            results, last_response = _submit(
                ctx,
                settings,
                first.text,
                first.segmentation,
                [recipients[i] for i in indexes],
                options,
            )
        except (ProviderError, ValidationError, TransportError) as exc:
            if not any(
                r.submit_code is not None and not is_refusal(r.submit_code) for r in recipients
            ):
                store.release(package.package_id)  # nothing of the batch was sent
                raise
            # earlier requests were sent: report the rest as not sent, do not raise
            for i in indexes:
                recipients[i] = evolve(recipients[i], submit_code=exc.code or NOT_SUBMITTED)
                reasons[i] = f"not sent: {exc.message}"
            for rest in order[number + 1 :]:
                for i in rest:
                    recipients[i] = evolve(recipients[i], submit_code=NOT_SUBMITTED)
                    reasons[i] = f"not sent: an earlier request of the batch failed ({exc.message})"
            break
        except (DeliveryUnknown, MalformedResponse) as exc:
            # this request may have been sent; the later ones certainly were not
            for rest in order[number + 1 :]:
                for i in rest:
                    recipients[i] = evolve(recipients[i], submit_code=NOT_SUBMITTED)
            store.record_submit(evolve(package, recipients=tuple(recipients)))
            accepted = sum(r.submit_code == ACCEPTED for r in recipients)
            if not accepted:
                raise
            raise DeliveryUnknown(
                f"{exc.message}; {accepted} recipient(s) of the batch had been accepted by earlier "
                f"requests: see report({batch.client_ref!r})",
                client_ref=batch.client_ref,
                provider=NAME,
                http_status=exc.http_status,
                excerpt=exc.excerpt,
            ) from exc
        for i, updated in zip(
            indexes, _with_codes([recipients[i] for i in indexes], results), strict=True
        ):
            recipients[i] = updated
        # keep what is known after each request: a later lost answer must not lose it
        store.record_submit(evolve(package, recipients=tuple(recipients)))
    package = evolve(package, recipients=tuple(recipients))
    if _all_refused_by_code(package):
        raise _all_refused(store, package, last_response)
    store.record_submit(package)
    return SendResult(
        provider=NAME,
        message_id=package.package_id,
        recipients=tuple(
            _recipient_result(r, reasons.get(i)) for i, r in enumerate(package.recipients)
        ),
        client_ref=batch.client_ref,
        parts=max(item.segmentation.parts for item in items),
    )


@hookimpl
def query_report(ctx: Context[KobikomSettings], message_id: str) -> DeliveryReport:
    """Pull the reports not yet final, keep them, answer from what is kept."""
    from ileti_kobikom import wire

    settings = _settings(ctx)
    store = _store(ctx, settings)
    package = store.find(message_id)
    if package is None:
        raise UnknownMessage(
            f"message id {message_id!r} is not in the Kobikom report store "
            f"({settings.report_store}): Kobikom reports carry no phone number and are given "
            "only once, so ileti reports on messages sent through a client that uses the "
            "same report_store"
        )
    ids = [r.message_id for r in package.recipients]
    kept = store.reports(ids)
    pending = [
        r.message_id
        for r in package.recipients
        if (r.submit_code is None or not wire.is_refusal(r.submit_code))
        and not (r.message_id in kept and kept[r.message_id].state.is_final)
    ]
    credentials = _credentials(settings)
    for start in range(0, len(pending), wire.PULL_CHUNK):
        chunk = pending[start : start + wire.PULL_CHUNK]
        # the pull hands each report out once: never replay it after it left
        response = ctx.read(wire.pull_request(credentials, chunk), replayable=False)
        answer = wire.parse_pull(response)
        if answer.error_code is not None:
            raise wire.error_for_code(answer.error_code, response, provider=NAME)
        store.save_reports(answer.reports, pulled_at=ctx.clock())  # before anything else
        if answer.unreadable:
            raise response.malformed(
                f"{answer.unreadable} report(s) in the pull answer could not be read (Kobikom "
                "will not send them again); the readable ones were kept"
            )
    kept = store.reports(ids)
    return DeliveryReport(
        provider=NAME,
        message_id=message_id,
        recipients=tuple(
            _recipient_report(package, r, kept, ctx.clock()) for r in package.recipients
        ),
    )


def _recipient_report(
    package: StoredPackage,
    recipient: StoredRecipient,
    kept: Mapping[str, StoredReport],
    now: datetime,
) -> RecipientReport:
    from ileti_kobikom import wire

    report = kept.get(recipient.message_id)
    if report is not None:
        error = (report.gsm_error or "").strip()
        return RecipientReport(
            number=recipient.number,
            state=report.state,
            raw_state=report.status,
            time=wire.parse_report_time(report.done_date)
            or wire.parse_report_time(report.sent_date),
            message_id=recipient.message_id,
            error=None if error in ("", "0") else f"gsmerror {error}",
        )
    code = recipient.submit_code
    if code is None:  # the send's answer was lost and nothing was reported since
        state = DeliveryState.UNKNOWN
    elif code != wire.ACCEPTED:
        state = wire.submit_state(code)
    elif package.schedule is not None and package.schedule > now:
        state = DeliveryState.SCHEDULED
    else:
        state = DeliveryState.QUEUED
    return RecipientReport(
        number=recipient.number,
        state=state,
        raw_state=code or "",
        message_id=recipient.message_id,
        error=None if code in (None, wire.ACCEPTED) else wire.describe_code(code),
    )


@hookimpl
def parse_push(ctx: Context[KobikomSettings], request: PushRequest) -> list[DeliveryReport]:
    from ileti_kobikom.push import read_push

    return read_push(ctx, _store(ctx, _settings(ctx)), request)


@hookimpl
def balance(ctx: Context[KobikomSettings]) -> Balance:
    from ileti_kobikom import wire

    settings = _settings(ctx)
    document = wire.balance_request(_credentials(settings))
    response = ctx.read(wire.post(document, settings.body_style))
    return wire.parse_balance(response, NAME)


@hookimpl
def senders(ctx: Context[KobikomSettings]) -> list[Sender]:
    from ileti_kobikom import wire

    settings = _settings(ctx)
    document = wire.senders_request(_credentials(settings))
    response = ctx.read(wire.post(document, settings.body_style))
    return wire.parse_senders(response)
