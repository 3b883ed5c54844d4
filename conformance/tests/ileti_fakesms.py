"""FakeSMS: a small provider plugin with its own emulator, to prove the suite.

The gateway is invented but shaped like the real ones: JSON over HTTP, the
credentials in the body of sends and in the query string of reads (so the
core's redaction of urllib3's URL logging is exercised), wire encodings with
their own names, documented error codes, per-recipient ids, and states that
advance with the virtual clock (by :mod:`ileti.emulation.progress`; the raw
states are the names of the normalised ones).

Besides the well-behaved :data:`PLUGIN`, it holds deliberately broken
variants the suite must catch, and a minimal one the suite must pass.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import attrs

from ileti.emulation import (
    BadRequest,
    EmulatedMessage,
    EmulatorBase,
    EmulatorRequest,
    EmulatorResponse,
    VirtualClock,
    delivery_progress,
    route,
)
from ileti.emulation.counting import gateway_parts
from ileti.errors import MalformedResponse
from ileti.http import HttpResponse
from ileti.models import (
    Balance,
    DeliveryReport,
    DeliveryState,
    RecipientReport,
    RecipientResult,
    Sender,
    SenderState,
    SendResult,
)
from ileti.plugin import (
    Category,
    Context,
    HttpRequest,
    Outgoing,
    OutgoingBatch,
    ProviderInfo,
    error_for,
    hookimpl,
)
from ileti.settings import ProviderSettings, Secret, validate_base_url
from ileti.text import GSM7, GSM7_TR, UCS2, ProfileEncoding, TextProfile

NAME = "fakesms"
MAX_PARTS = 6

PROFILE = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "plain", GSM7),
        ProfileEncoding("gsm7-tr", "turkish", GSM7_TR),
        ProfileEncoding("ucs2", "unicode", UCS2),
    ),
    max_parts=MAX_PARTS,
)

#: wire encoding -> the text engine's name for the rule the gateway bills by
BILLING = {"plain": "gsm7", "turkish": "gsm7-tr", "unicode": "ucs2"}


# ============================================================================ emulator


@attrs.define
class _Sms:
    id: str
    package: str
    to: str  # 90XXXXXXXXXX
    sent_at: datetime
    at: datetime | None


_MESSAGES = {
    "E401": "wrong user name or password",
    "E402": "not enough credit",
    "E403": "this account may not do that",
    "E404": "no such message",
    "E410": "sender name not allowed",
    "E413": "message too long",
    "E420": "invalid number",
    "E429": "too many requests",
    "E500": "internal error",
}
_STATUS = {"E401": 401, "E403": 403, "E404": 404, "E429": 429, "E500": 500}
_NUMBER = re.compile(r"90[0-9]{10}")


class FakeSmsEmulator(EmulatorBase):
    """The FakeSMS gateway: credit, senders, packages whose states advance."""

    documented_errors: ClassVar[Mapping[str, str]] = {
        "E401": "AuthenticationError",
        "E402": "InsufficientCredit",
        "E403": "Forbidden",
        "E404": "UnknownMessage",
        "E410": "InvalidSender",
        "E413": "MessageTooLong",
        "E420": "InvalidRecipient",
        "E429": "RateLimited",
        "E500": "DeliveryUnknown",
    }
    price_per_part: ClassVar[Decimal] = Decimal("0.25")
    default_sender = "FAKESMS"
    user = "conformance-user"
    password = "pw-canary-7f3a9c2e&x=1"

    def __init__(self, *, clock: VirtualClock | None = None) -> None:
        super().__init__(clock=clock)
        self.credit = Decimal(1000)
        self.senders = {self.default_sender: "approved", "BEKLEYEN": "pending"}
        self.sms: dict[str, _Sms] = {}
        self._packages: dict[str, list[_Sms]] = {}  # package -> its messages
        self._ids = itertools.count(1)

    def approve_sender(self, name: str) -> None:
        self.senders[name] = "approved"

    def credentials(self) -> dict[str, str]:
        return {"username": self.user, "password": self.password}

    # -- the gateway's rules -------------------------------------------------------

    def parts(self, text: str, coding: str) -> int:
        """Parts the gateway bills for a text in a wire encoding, counted apart
        from ``ileti.text`` (:mod:`ileti.emulation.counting`)."""
        parts = gateway_parts(text, BILLING[coding])
        if parts is None:
            raise BadRequest(f"coding {coding!r} cannot carry this text")
        return parts

    def state(self, sms: _Sms) -> str:
        return delivery_progress(sms.at or sms.sent_at, self.clock.now(), sms.to).name

    # -- answers -------------------------------------------------------------------

    def error_response(self, code: str, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.json(
            {"status": "ERROR", "code": code, "message": _MESSAGES[code]},
            status=_STATUS.get(code, 400),
        )

    def _fail(self, code: str) -> EmulatorResponse:
        return self.error_response(code, None)  # type: ignore[arg-type]

    def _authorised(self, user: object, password: object) -> bool:
        return user == self.user and password == self.password

    def _send(self, payload: Any, items: list[tuple[str, str]], coding: str) -> EmulatorResponse:
        if not self._authorised(payload.get("user"), payload.get("password")):
            return self._fail("E401")
        if self.senders.get(payload.get("from") or self.default_sender) != "approved":
            return self._fail("E410")
        if coding not in BILLING:
            raise BadRequest(f"unknown coding {coding!r}")
        measured = []
        for to, text in items:
            if not isinstance(to, str) or not _NUMBER.fullmatch(to):
                return self._fail("E420")
            if not isinstance(text, str) or not text:
                raise BadRequest("empty text")
            parts = self.parts(text, coding)
            if parts > MAX_PARTS:
                return self._fail("E413")
            measured.append((to, text, parts))
        cost = sum(p for _, _, p in measured) * self.price_per_part
        if cost > self.credit:
            return self._fail("E402")
        self.credit -= cost
        at = datetime.fromisoformat(payload["at"]) if payload.get("at") else None
        package = f"P{next(self._ids)}"
        answer = []
        for i, (to, text, parts) in enumerate(measured, 1):
            sms = _Sms(f"{package}-{i}", package, to, self.clock.now(), at)
            self.sms[sms.id] = sms
            self._packages.setdefault(package, []).append(sms)
            self.record_message(
                EmulatedMessage(
                    package_id=package,
                    recipient="+" + to,
                    text=text,
                    wire_encoding=coding,
                    parts=parts,
                    sender=payload.get("from") or self.default_sender,
                    client_ref=payload.get("ref"),
                    scheduled_at=at,
                )
            )
            answer.append({"to": to, "id": sms.id, "parts": parts})
        body: dict[str, Any] = {"status": "OK", "package": package, "recipients": answer}
        if len({p for _, _, p in measured}) == 1:
            body["parts"] = measured[0][2]
        return EmulatorResponse.json(body)

    @route("POST", "/v1/send")
    def send(self, request: EmulatorRequest) -> EmulatorResponse:
        payload = request.json()
        if not isinstance(payload, dict) or not isinstance(payload.get("to"), list):
            raise BadRequest("expected an object with a list 'to'")
        text = payload.get("text")
        return self._send(payload, [(to, text) for to in payload["to"]], payload.get("coding"))

    @route("POST", "/v1/send-multi")
    def send_multi(self, request: EmulatorRequest) -> EmulatorResponse:
        payload = request.json()
        if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
            raise BadRequest("expected an object with a list 'messages'")
        items = [(m.get("to"), m.get("text")) for m in payload["messages"]]
        return self._send(payload, items, payload.get("coding"))

    def _reader(self, request: EmulatorRequest) -> EmulatorResponse | None:
        if not self._authorised(request.arg("user"), request.arg("password")):
            return self._fail("E401")
        return None

    @route("GET", "/v1/report")
    def report(self, request: EmulatorRequest) -> EmulatorResponse:
        if denied := self._reader(request):
            return denied
        wanted = request.arg("id") or ""
        # a package id ("P1") or one message's id ("P1-2"): looked up, never searched
        one = self.sms.get(wanted)
        found = [one] if one is not None else self._packages.get(wanted, [])
        self.examined += len(found)
        if not found:
            return EmulatorResponse.json({"status": "ERROR", "code": "E404"}, status=404)
        return EmulatorResponse.json(
            {
                "status": "OK",
                "package": found[0].package,
                "recipients": [
                    {
                        "to": s.to,
                        "id": s.id,
                        "state": self.state(s),
                        "at": self.clock.now().isoformat(),
                    }
                    for s in found
                ],
            }
        )

    @route("GET", "/v1/balance")
    def balance(self, request: EmulatorRequest) -> EmulatorResponse:
        return self._reader(request) or EmulatorResponse.json(
            {"status": "OK", "credit": str(self.credit)}
        )

    @route("GET", "/v1/senders")
    def list_senders(self, request: EmulatorRequest) -> EmulatorResponse:
        return self._reader(request) or EmulatorResponse.json(
            {"status": "OK", "senders": [{"name": n, "state": s} for n, s in self.senders.items()]}
        )


class MiscountingEmulator(FakeSmsEmulator):
    """Bills GSM-7 messages 160 characters a part even when concatenated."""

    def parts(self, text: str, coding: str) -> int:
        parts = super().parts(text, coding)
        if coding == "plain" and parts > 1:
            return -(-len(text) // 160)
        return parts


# ============================================================================== plugin


@attrs.frozen(kw_only=True)
class FakeSettings(ProviderSettings):
    base_url: str = attrs.field(default="https://api.fakesms.invalid", converter=validate_base_url)
    username: str
    password: Secret


@attrs.frozen(kw_only=True)
class PlainPasswordSettings(ProviderSettings):
    base_url: str = attrs.field(default="https://api.fakesms.invalid", converter=validate_base_url)
    username: str
    password: str


_ERRORS = {
    "E401": Category.AUTH,
    "E402": Category.INSUFFICIENT_CREDIT,
    "E403": Category.FORBIDDEN,
    "E404": Category.UNKNOWN_MESSAGE,
    "E410": Category.INVALID_SENDER,
    "E413": Category.MESSAGE_TOO_LONG,
    "E420": Category.INVALID_RECIPIENT,
    "E429": Category.RATE_LIMITED,
}
_STATES = {
    "SCHEDULED": DeliveryState.SCHEDULED,
    "QUEUED": DeliveryState.QUEUED,
    "SENT": DeliveryState.SENT,
    "DELIVERED": DeliveryState.DELIVERED,
    "UNDELIVERED": DeliveryState.UNDELIVERED,
}
_SENDER_STATES = {"approved": SenderState.APPROVED, "pending": SenderState.PENDING}


def _str(value: object, response: HttpResponse, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise response.malformed(f"the answer has no {what}")
    return value


class FakeSmsPlugin:
    """The well-behaved FakeSMS plugin."""

    settings_type: ClassVar[type[Any]] = FakeSettings
    emulator_type: ClassVar[type[FakeSmsEmulator]] = FakeSmsEmulator

    @hookimpl
    def provider_info(self) -> ProviderInfo:
        return ProviderInfo(
            name=NAME,
            title="FakeSMS (conformance fixture)",
            settings_type=self.settings_type,
            text=PROFILE,
            max_recipients=50,
            scheduling=True,
            client_reference=True,
        )

    @hookimpl
    def provider_emulator(self, clock: VirtualClock) -> FakeSmsEmulator:
        return self.emulator_type(clock=clock)

    # -- wire helpers ----------------------------------------------------------------

    def _auth(self, ctx: Context) -> dict[str, str]:
        password = ctx.settings.password
        return {
            "user": ctx.settings.username,
            "password": password.reveal() if isinstance(password, Secret) else password,
        }

    def _payload(self, ctx: Context, response: HttpResponse) -> dict[str, Any]:
        payload = response.json()
        if not isinstance(payload, dict):
            raise response.malformed("the answer is not a JSON object")
        status = payload.get("status")
        if status == "OK":
            return payload
        if status == "ERROR":
            code = payload.get("code")
            message = payload.get("message")
            text = message if isinstance(message, str) else "the gateway refused the request"
            raw = code if isinstance(code, str) else None
            category = _ERRORS.get(raw or "", Category.INVALID_REQUEST)
            raise ctx.error(category, text, code=raw, http_status=response.status)
        raise response.malformed("the answer has no status")

    def _number(self, value: object, response: HttpResponse) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"90[0-9]{10}", value):
            raise response.malformed("the answer has a malformed number")
        return "+" + value

    def _sent(
        self, ctx: Context, response: HttpResponse, numbers: list[str], client_ref: str | None
    ) -> SendResult:
        payload = self._payload(ctx, response)
        package = _str(payload.get("package"), response, "package id")
        rows = payload.get("recipients")
        if not isinstance(rows, list) or len(rows) != len(numbers):
            raise response.malformed("the answer does not list every recipient")
        by_number: dict[str, str] = {}
        for row in rows:
            if not isinstance(row, dict):
                raise response.malformed("a recipient is not an object")
            by_number[self._number(row.get("to"), response)] = _str(
                row.get("id"), response, "message id"
            )
        if set(by_number) != set(numbers):
            raise response.malformed("the answer lists other recipients than were sent to")
        parts = payload.get("parts")
        return SendResult(
            provider=ctx.provider,
            message_id=package,
            recipients=tuple(
                RecipientResult(number=n, accepted=True, message_id=by_number[n]) for n in numbers
            ),
            client_ref=client_ref,
            parts=parts
            if isinstance(parts, int) and not isinstance(parts, bool) and parts > 0
            else None,
        )

    def _post(self, ctx: Context, path: str, body: dict[str, Any]) -> HttpResponse:
        return ctx.send(HttpRequest.json_body("POST", path, body))

    def _get(self, ctx: Context, path: str, **query: str) -> tuple[dict[str, Any], HttpResponse]:
        response = ctx.read(HttpRequest("GET", path, query={**self._auth(ctx), **query}))
        return self._payload(ctx, response), response

    # -- hooks -----------------------------------------------------------------------

    @hookimpl
    def send(self, ctx: Context, message: Outgoing) -> SendResult:
        body: dict[str, Any] = {
            **self._auth(ctx),
            "to": [n.removeprefix("+") for n in message.recipients],
            "text": message.text,
            "coding": message.segmentation.wire,
            "ref": message.client_ref,
        }
        if message.sender:
            body["from"] = message.sender
        if message.schedule:
            body["at"] = message.schedule.isoformat()
        response = self._post(ctx, "/v1/send", body)
        return self._sent(ctx, response, list(message.recipients), message.client_ref)

    @hookimpl
    def send_multi(self, ctx: Context, batch: OutgoingBatch) -> SendResult:
        body: dict[str, Any] = {
            **self._auth(ctx),
            "coding": batch.wire_encoding,
            "messages": [
                {"to": i.recipient.removeprefix("+"), "text": i.text} for i in batch.items
            ],
        }
        if batch.sender:
            body["from"] = batch.sender
        if batch.schedule:
            body["at"] = batch.schedule.isoformat()
        response = self._post(ctx, "/v1/send-multi", body)
        return self._sent(ctx, response, [i.recipient for i in batch.items], None)

    @hookimpl
    def query_report(self, ctx: Context, message_id: str) -> DeliveryReport:
        payload, response = self._get(ctx, "/v1/report", id=message_id)
        rows = payload.get("recipients")
        if not isinstance(rows, list):
            raise response.malformed("the report lists no recipients")
        out = []
        for row in rows:
            if not isinstance(row, dict):
                raise response.malformed("a report row is not an object")
            raw = _str(row.get("state"), response, "state")
            when = row.get("at")
            try:
                time = datetime.fromisoformat(when) if isinstance(when, str) else None
            except ValueError:
                raise response.malformed("a report time is malformed") from None
            if time is not None and time.tzinfo is None:
                raise response.malformed("a report time has no time zone")
            out.append(
                RecipientReport(
                    number=self._number(row.get("to"), response),
                    state=self.map_state(raw),
                    raw_state=raw,
                    time=time,
                    message_id=row.get("id") if isinstance(row.get("id"), str) else None,
                )
            )
        return DeliveryReport(provider=ctx.provider, message_id=message_id, recipients=tuple(out))

    def map_state(self, raw: str) -> DeliveryState:
        return _STATES.get(raw, DeliveryState.UNKNOWN)

    @hookimpl
    def balance(self, ctx: Context) -> Balance:
        payload, response = self._get(ctx, "/v1/balance")
        raw = payload.get("credit")
        try:
            amount = Decimal(_str(raw, response, "credit"))
        except InvalidOperation:
            raise response.malformed("the credit is not a number") from None
        if not amount.is_finite():
            raise response.malformed("the credit is not a number")
        return Balance(provider=ctx.provider, amount=amount)

    @hookimpl
    def senders(self, ctx: Context) -> list[Sender]:
        payload, response = self._get(ctx, "/v1/senders")
        rows = payload.get("senders")
        if not isinstance(rows, list):
            raise response.malformed("the answer lists no senders")
        out = []
        for row in rows:
            if not isinstance(row, dict):
                raise response.malformed("a sender is not an object")
            name = _str(row.get("name"), response, "sender name")
            raw = row.get("state")
            state = _SENDER_STATES.get(raw, SenderState.INACTIVE) if isinstance(raw, str) else None
            if state is None:
                raise response.malformed("a sender has no state")
            out.append(Sender(name=name, state=state))
        return out


# ========================================================================== variants


class MinimalPlugin:
    """Only send and balance: every other capability must be NotSupported."""

    def __init__(self) -> None:
        self._full = FakeSmsPlugin()

    @hookimpl
    def provider_info(self) -> ProviderInfo:
        return attrs.evolve(self._full.provider_info(), scheduling=False, client_reference=False)

    @hookimpl
    def provider_emulator(self, clock: VirtualClock) -> FakeSmsEmulator:
        return FakeSmsEmulator(clock=clock)

    @hookimpl
    def send(self, ctx: Context, message: Outgoing) -> SendResult:
        return self._full.send(ctx, message)

    @hookimpl
    def balance(self, ctx: Context) -> Balance:
        return self._full.balance(ctx)


class ReplayingPlugin(FakeSmsPlugin):
    """BROKEN: sends again when the first attempt timed out."""

    def _post(self, ctx: Context, path: str, body: dict[str, Any]) -> HttpResponse:
        from ileti.errors import DeliveryUnknown

        try:
            return ctx.send(HttpRequest.json_body("POST", path, body))
        except DeliveryUnknown:
            return ctx.send(HttpRequest.json_body("POST", path, body))


leak_log = logging.getLogger("fakesms.debug")


class LeakyPlugin(FakeSmsPlugin):
    """BROKEN: logs the password while building a request."""

    def _auth(self, ctx: Context) -> dict[str, str]:
        auth = super()._auth(ctx)
        leak_log.debug("authenticating as %s with %s", auth["user"], auth["password"])
        return auth


class MiscountingPlugin(FakeSmsPlugin):
    """BROKEN: its emulator bills concatenated GSM-7 at 160 a part, not 153."""

    emulator_type = MiscountingEmulator


class KeyErrorPlugin(FakeSmsPlugin):
    """BROKEN: trusts the gateway's answer (a KeyError on the first odd answer)."""

    @hookimpl
    def balance(self, ctx: Context) -> Balance:
        response = ctx.read(HttpRequest("GET", "/v1/balance", query=self._auth(ctx)))
        return Balance(provider=ctx.provider, amount=Decimal(response.json()["credit"]))


class FlipFlopPlugin(FakeSmsPlugin):
    """BROKEN: maps SENT to DELIVERED, so an undelivered number's final state changes."""

    def map_state(self, raw: str) -> DeliveryState:
        return DeliveryState.DELIVERED if raw == "SENT" else super().map_state(raw)


class PlainPasswordPlugin(FakeSmsPlugin):
    """BROKEN: declares the password as a plain str, not a Secret."""

    settings_type = PlainPasswordSettings


class LineReadingPlugin(FakeSmsPlugin):
    """BROKEN: falls back to reading the senders answer line by line, so the
    lines of a portal's HTML page become sender names."""

    @hookimpl
    def senders(self, ctx: Context) -> list[Sender]:
        response = ctx.read(HttpRequest("GET", "/v1/senders", query=self._auth(ctx)))
        try:
            rows = response.json().get("senders")
        except (MalformedResponse, AttributeError):
            rows = None
        if isinstance(rows, list):
            return [Sender(name=str(r.get("name")), state=SenderState.APPROVED) for r in rows]
        return [Sender(name=line.strip()) for line in response.text().splitlines() if line.strip()]


class CredulousEmulator(FakeSmsEmulator):
    """An emulator that takes any credentials."""

    def _authorised(self, user: object, password: object) -> bool:
        return True


class CredulousPlugin(FakeSmsPlugin):
    """BROKEN: its emulator never checks credentials, so a plugin that sends
    none, or the wrong ones, would pass every other check."""

    emulator_type = CredulousEmulator


class ScheduleNaiveEmulator(FakeSmsEmulator):
    """BROKEN: its table of raw states has no word for a message waiting for
    its scheduled time, so a report on one fails inside the emulator."""

    _RAW: ClassVar[dict[DeliveryState, str]] = {
        state: state.name
        for state in (
            DeliveryState.QUEUED,
            DeliveryState.SENT,
            DeliveryState.DELIVERED,
            DeliveryState.UNDELIVERED,
        )
    }

    def state(self, sms: _Sms) -> str:
        return self._RAW[delivery_progress(sms.at or sms.sent_at, self.clock.now(), sms.to)]


class ScheduleNaivePlugin(FakeSmsPlugin):
    """BROKEN: its emulator cannot report on a scheduled message before its time."""

    emulator_type = ScheduleNaiveEmulator


class RefusalReadingPlugin(FakeSmsPlugin):
    """BROKEN: reads an answer to a send it cannot parse (a portal page, a
    bare "OK") as the gateway's refusal, nothing sent: an invitation to resend."""

    @hookimpl
    def send(self, ctx: Context, message: Outgoing) -> SendResult:
        try:
            return super().send(ctx, message)
        except MalformedResponse as exc:
            raise error_for(
                Category.INVALID_REQUEST, f"refused: {exc.message}", provider=ctx.provider
            ) from None


ISTANBUL = ZoneInfo("Europe/Istanbul")


class ScheduleDroppingPlugin(FakeSmsPlugin):
    """BROKEN: send_multi leaves the schedule out, though scheduling is declared."""

    @hookimpl
    def send_multi(self, ctx: Context, batch: OutgoingBatch) -> SendResult:
        return super().send_multi(ctx, attrs.evolve(batch, schedule=None))


class WrongZonePlugin(FakeSmsPlugin):
    """BROKEN: writes the schedule as Istanbul wall time labelled UTC (3 hours off)."""

    @hookimpl
    def send(self, ctx: Context, message: Outgoing) -> SendResult:
        if message.schedule is not None:
            wall = message.schedule.astimezone(ISTANBUL).replace(tzinfo=UTC)
            message = attrs.evolve(message, schedule=wall)
        return super().send(ctx, message)


PLUGIN = FakeSmsPlugin()
VARIANTS: dict[str, Any] = {
    "good": PLUGIN,
    "minimal": MinimalPlugin(),
    "replaying": ReplayingPlugin(),
    "leaky": LeakyPlugin(),
    "miscounting": MiscountingPlugin(),
    "keyerror": KeyErrorPlugin(),
    "flipflop": FlipFlopPlugin(),
    "plainpassword": PlainPasswordPlugin(),
    "linereading": LineReadingPlugin(),
    "scheduledropping": ScheduleDroppingPlugin(),
    "wrongzone": WrongZonePlugin(),
    "credulous": CredulousPlugin(),
    "schedulenaive": ScheduleNaivePlugin(),
    "refusalreading": RefusalReadingPlugin(),
}
