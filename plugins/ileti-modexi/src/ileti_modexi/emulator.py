"""A stateful emulator of the Modexi gateway, built from ``providers/modexi.md``.

What it does, by the reference's emulator checklist:

1. HTTP Basic authorization on every call; a wrong or missing one answers
   the error envelope with ``errorCode`` 401.
2. ``POST /sms/1/advanced`` checks ``from`` against the account's sender names,
   sets ``validityPeriod`` to 2880 when it is below 10 or above 2880 (the
   documented quirk), reads ``scheduledDate`` as UTC (empty: now), bills
   ``parts x destinations`` SMS and answers a new string ``messageCode``.
3. ``POST /sms/1/reports`` answers one row per destination; ``messageId``
   counts up; ``to`` comes back as ten digits and ``sentAt`` with a space, as
   in the document's sample; ``doneAt`` is filled when the state is final.
4. ``GET /account/balance`` shows the money balance (``balance``, in
   ``currency``) and the SMS credits left (``smsDetail.total``); both fall
   with every send (see "Billing" below).

Billing. The reference documents no price. The emulator's own (**invented**)
tariff is :data:`PRICE_PER_PART` TRY per part per destination. By default the
emulated account is a money account: ``credit`` is its money balance in TRY
(the conformance protocol's ``credit``, shown as ``balance``), a send costs
``parts x destinations x price_per_part`` of it, and ``smsDetail.total`` is the
number of parts that money still buys (``credit // price_per_part``), so it
falls by exactly ``parts x destinations``. ``ModexiEmulator(package_credits=N)``
makes a package-based account instead: sends use up the ``N`` SMS of the
package (``smsDetail.total``) and the money balance is left alone (0 unless
``credit`` is given), as the reference says such accounts may show.

Status codes over virtual time (``clock``), per recipient, from the send (or
the scheduled time), by the convention of ileti's emulators
(:mod:`ileti.emulation.progress`): 110 scheduled until the scheduled time, 100
queued, after 10 s 300 (the sample's pending code: sent), after 60 s 10
(delivered) or, for a number whose last digit is 9, 20 (not delivered). Only
10 and 300 come from the document; 100, 110 and 20 are this emulator's own
(:data:`INVENTED_STATES`).

Error codes beyond 200 are not published by Modexi. This emulator answers
HTTP-like codes (invented, as the reference asks), with the same HTTP status
as ``errorCode``: see :data:`ERROR_TEXTS` and :data:`ERROR_CATEGORIES`. The
plugin gives no meaning to an undocumented code, so :meth:`credentials` hands
the invented tables over as the ``state_codes`` and ``error_codes`` settings.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

import attrs

from ileti.emulation import (
    FINAL_AFTER,
    SENT_AFTER,
    Account,
    BadRequest,
    Credentials,
    EmulatedMessage,
    EmulatorBase,
    EmulatorRequest,
    EmulatorResponse,
    IdCounter,
    Ledger,
    SenderBook,
    VirtualClock,
    delivery_progress,
    gateway_parts,
    is_default_alphabet,
    route,
)
from ileti.plugin import Category, DeliveryState, SenderState
from ileti_modexi import wire

__all__ = ["CURRENCY", "DEFAULT_CREDIT", "ERROR_TEXTS", "PRICE_PER_PART", "ModexiEmulator"]

#: **Invented** (Modexi publishes no price): what the emulated gateway charges
#: for one part sent to one destination, in TRY (:data:`CURRENCY`).
PRICE_PER_PART = Decimal("0.25")

#: the emulated accounts' currency (the reference's sample shows ``TRY``)
CURRENCY = "TRY"

#: the money balance a new (money) account starts with, in TRY: 1000 parts at
#: :data:`PRICE_PER_PART`
DEFAULT_CREDIT = Decimal(250)

#: the invented error codes and their Turkish descriptions (HTTP status = code)
ERROR_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "400": "Geçersiz istek.",
        "401": "Kullanıcı adı veya şifre hatalı.",
        "402": "Yetersiz kredi.",
        "403": "Bu işlem için yetkiniz bulunmamaktadır.",
        "404": "Kayıt bulunamadı.",
        "405": "Bu yöntem desteklenmiyor.",
        "406": "Geçersiz numara.",
        "407": "Hesabınız aktif değil.",
        "410": "Mesaj bulunamadı.",
        "413": "Mesaj metni çok uzun.",
        "422": "Gönderici adı geçersiz veya onaylı değil.",
    }
)

SUCCESS_TEXT = "İşlem başarılı."

#: what each invented error code means. Not Modexi's: a client reads them only
#: because :meth:`ModexiEmulator.credentials` hands them over as the
#: ``error_codes`` setting (the plugin gives undocumented codes no meaning)
ERROR_CATEGORIES: Mapping[str, Category] = MappingProxyType(
    {
        "400": Category.INVALID_REQUEST,
        "401": Category.AUTH,
        "402": Category.INSUFFICIENT_CREDIT,
        "403": Category.FORBIDDEN,
        "404": Category.INVALID_REQUEST,
        "405": Category.INVALID_REQUEST,
        "406": Category.INVALID_RECIPIENT,
        "407": Category.ACCOUNT_INACTIVE,
        "410": Category.UNKNOWN_MESSAGE,
        "413": Category.MESSAGE_TOO_LONG,
        "422": Category.INVALID_SENDER,
    }
)

#: status codes the emulator reports (see wire.STATES for their meaning)
CODE_SCHEDULED = 110
CODE_QUEUED = 100
CODE_SENT = 300
CODE_DELIVERED = 10
CODE_UNDELIVERED = 20
STATUS_NAMES: Mapping[int, str] = MappingProxyType(
    {
        CODE_SCHEDULED: "İleri tarihli",
        CODE_QUEUED: "Kuyrukta",
        CODE_SENT: "",  # as in the document's sample
        CODE_DELIVERED: "İletildi",
        CODE_UNDELIVERED: "İletilemedi",
    }
)
#: the status codes this emulator invents (Modexi documents only 10 and 300),
#: handed to a client as the ``state_codes`` setting by ``credentials()``
INVENTED_STATES: Mapping[int, DeliveryState] = MappingProxyType(
    {
        CODE_SCHEDULED: DeliveryState.SCHEDULED,
        CODE_QUEUED: DeliveryState.QUEUED,
        CODE_UNDELIVERED: DeliveryState.UNDELIVERED,
    }
)
#: the status code for each step of a recipient's progress
STATUS_CODES: Mapping[DeliveryState, int] = MappingProxyType(
    {
        DeliveryState.SCHEDULED: CODE_SCHEDULED,
        DeliveryState.QUEUED: CODE_QUEUED,
        DeliveryState.SENT: CODE_SENT,
        DeliveryState.DELIVERED: CODE_DELIVERED,
        DeliveryState.UNDELIVERED: CODE_UNDELIVERED,
    }
)

#: the send body's fields as the document shows them (``scheduledDate`` is
#: "sent empty" for now, ``validityPeriod`` falls back to 48 h: both optional)
SEND_REQUIRED = frozenset({"from", "text", "destinations"})
SEND_OPTIONAL = frozenset({"validityPeriod", "scheduledDate"})
DESTINATION_FIELDS = frozenset({"to", "fields"})

VALIDITY_MIN, VALIDITY_MAX = 10, 2880
_TO = re.compile(r"[1-9][0-9]{10,14}")
_NUMERIC_SENDER = re.compile(r"[0-9]{3,14}")
_ALNUM_SENDER = re.compile(r"[A-Za-z0-9 .\-_&]{3,11}")
_REPORT_TIME = "%Y-%m-%d %H:%M:%S"


@attrs.define
class Recipient:
    message_id: int
    number: str  # E.164
    to: str  # as received


@attrs.define
class Package:
    """One accepted ``advanced`` request."""

    code: str
    sender: str
    text: str
    encoding: str
    parts: int
    validity_minutes: int
    accepted_at: datetime
    scheduled_for: datetime | None
    recipients: list[Recipient]

    @property
    def starts(self) -> datetime:
        if self.scheduled_for is not None and self.scheduled_for > self.accepted_at:
            return self.scheduled_for
        return self.accepted_at


def gateway_count(text: str) -> tuple[str, int]:
    """How the emulated gateway bills a text: GSM-7 when every character is in
    the GSM 03.38 tables (160 / 153, extension characters count 2), otherwise
    UCS-2 (70 / 67, UTF-16 code units). Counted apart from ``ileti.text``
    (:mod:`ileti.emulation.counting`). Returns (encoding, parts)."""
    encoding = "gsm7" if is_default_alphabet(text) else "ucs2"
    parts = gateway_parts(text, encoding)
    assert parts is not None  # the encoding was chosen to carry the text
    return encoding, parts


class ModexiEmulator(EmulatorBase):
    """The Modexi gateway, in memory, on virtual time.

    Attributes:
        account: the account: its credentials (``username``, ``password``:
            the class defaults), ``active`` (``False``: 407 to every call) and
            sender names (only approved names may send, and only they are
            listed by ``/sms/1/senders``).
        credit: the money balance in TRY, shown as ``balance``. On a money
            account (the default) a send costs parts x destinations x
            ``price_per_part`` of it; a package account never bills it.
        sms_package: ``None`` on a money account; on a package account, the
            ledger of the SMS left in the package (``smsDetail.total``),
            falling by parts x destinations.
        currency: shown as ``currency``.
        packages: message code -> the accepted request.
    """

    documented_errors: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "400": "Rejected",
            "401": "AuthenticationError",
            "402": "InsufficientCredit",
            "403": "Forbidden",
            "404": "Rejected",
            "406": "InvalidRecipient",
            "407": "AccountInactive",
            "410": "UnknownMessage",
            "413": "MessageTooLong",
            "422": "InvalidSender",
        }
    )
    price_per_part: ClassVar[Decimal] = PRICE_PER_PART
    default_sender: ClassVar[str] = "ILETI"
    username: ClassVar[str] = "ileti"
    password: ClassVar[str] = "modexi-test-1234"  # noqa: S105 - the emulated test account
    max_parts: ClassVar[int] = wire.MAX_PARTS
    max_destinations: ClassVar[int] = wire.MAX_RECIPIENTS

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        credit: Decimal | None = None,
        package_credits: Decimal | int | None = None,
    ):
        """``credit``: the money balance in TRY (default :data:`DEFAULT_CREDIT`,
        or 0 on a package account). ``package_credits``: make it a package-based
        account holding that many SMS (not the default)."""
        super().__init__(clock=clock)
        self.sms_package = None if package_credits is None else Ledger(package_credits)
        if credit is None:
            credit = DEFAULT_CREDIT if self.sms_package is None else Decimal(0)
        self.account = Account(
            Credentials(username=self.username, password=self.password),
            Ledger(credit, price_per_part=self.price_per_part),
            SenderBook(
                {
                    self.default_sender: SenderState.APPROVED,
                    "MODEXI VERI": SenderState.APPROVED,
                    "BEKLEYEN": SenderState.PENDING,
                    "ESKIBASLIK": SenderState.INACTIVE,
                }
            ),
        )
        self.currency = CURRENCY
        #: every panel key ``/account/token`` handed out, in order
        self.panel_keys: list[str] = []
        self.packages: dict[str, Package] = {}
        self._codes = IdCounter(397467)
        self._message_ids = IdCounter(60757031)

    def credentials(self) -> dict[str, str]:
        """The account, and the meaning of the codes this emulator invents (the
        plugin reads only what Modexi documents: 200, status 10 and 300)."""
        return {
            **super().credentials(),
            "state_codes": ",".join(f"{c}={s.value}" for c, s in INVENTED_STATES.items()),
            "error_codes": ",".join(f"{c}={k.value}" for c, k in ERROR_CATEGORIES.items()),
        }

    def set_credit(self, amount: Decimal) -> None:
        """A package account's SMS left, else the money balance in TRY."""
        with self.lock:
            if self.sms_package is not None:
                self.sms_package.balance = amount
            else:
                self.credit = amount

    # -- answers ---------------------------------------------------------------------------

    @staticmethod
    def envelope(result: Any, description: str = SUCCESS_TEXT) -> EmulatorResponse:
        return EmulatorResponse.json(
            {"errorCode": 200, "errorDescription": description, "result": result}
        )

    def error_response(self, code: str, request: EmulatorRequest) -> EmulatorResponse:
        text = ERROR_TEXTS.get(code, "Bilinmeyen hata.")
        status = int(code) if code.isdigit() and 400 <= int(code) < 600 else 400
        return EmulatorResponse.json(
            {"errorCode": int(code), "errorDescription": text, "result": None}, status=status
        )

    def bad_request(self, error: BadRequest, request: EmulatorRequest) -> EmulatorResponse:
        answer = self.error_response("400", request)
        return EmulatorResponse.json(
            {"errorCode": 400, "errorDescription": f"Geçersiz istek: {error}", "result": None},
            status=answer.status,
        )

    def not_found(self, request: EmulatorRequest) -> EmulatorResponse:
        return self.error_response("404", request)

    def method_not_allowed(self, request: EmulatorRequest, allowed: Any) -> EmulatorResponse:
        answer = self.error_response("405", request)
        answer.headers.append(("Allow", ", ".join(sorted(allowed))))
        return answer

    # -- checks ----------------------------------------------------------------------------

    def _refusal(self, request: EmulatorRequest) -> EmulatorResponse | None:
        """401 for bad credentials, 407 for an inactive account, else None."""
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic":
            return self.error_response("401", request)
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return self.error_response("401", request)
        user, sep, password = decoded.partition(":")
        if not sep or not self.account.credentials.matches(username=user, password=password):
            return self.error_response("401", request)
        if not self.account.active:
            return self.error_response("407", request)
        return None

    @staticmethod
    def _object(
        request: EmulatorRequest, required: frozenset[str], optional: frozenset[str]
    ) -> dict[str, Any]:
        """The JSON body. Strict: labelled ``application/json``, holding only the
        fields the document shows (in their case) and every required one."""
        if request.content_type != "application/json":
            raise BadRequest(f"Content-Type {request.content_type!r}: send application/json")
        data = request.json()
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        unknown = sorted(str(k) for k in data if k not in required | optional)
        missing = sorted(required - data.keys())
        if unknown or missing:
            raise BadRequest(f"unknown field(s) {unknown}, missing field(s) {missing}")
        return data

    # -- endpoints -------------------------------------------------------------------------

    @route("POST", "/sms/1/advanced")
    def advanced(self, request: EmulatorRequest) -> EmulatorResponse:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        body = self._object(request, SEND_REQUIRED, SEND_OPTIONAL)
        now = self.clock.now()

        sender = body.get("from")
        if not isinstance(sender, str) or not self._sender_ok(sender):
            return self.error_response("422", request)

        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise BadRequest("'text' must be a non-empty string")
        encoding, parts = gateway_count(text)
        if parts > self.max_parts:
            return self.error_response("413", request)

        validity = body.get("validityPeriod", VALIDITY_MAX)
        if isinstance(validity, bool) or not isinstance(validity, int):
            raise BadRequest("'validityPeriod' must be a whole number of minutes")
        if not VALIDITY_MIN <= validity <= VALIDITY_MAX:
            validity = VALIDITY_MAX  # documented: silently set to 48 hours

        scheduled = self._scheduled(body.get("scheduledDate", ""))

        destinations = body.get("destinations")
        if not isinstance(destinations, list) or not destinations:
            raise BadRequest("'destinations' must be a non-empty list")
        if len(destinations) > self.max_destinations:
            raise BadRequest(f"at most {self.max_destinations} destinations per request")
        numbers: list[tuple[str, str]] = []
        for entry in destinations:
            if not isinstance(entry, dict) or not entry.keys() <= DESTINATION_FIELDS:
                raise BadRequest("a destination holds 'to' (and 'fields') only")
            to = entry.get("to")
            if not isinstance(to, str) or not _TO.fullmatch(to):
                return self.error_response("406", request)
            numbers.append((to, "+" + to))

        if not self._bill(parts * len(numbers)):
            return self.error_response("402", request)

        code = self._codes.new()
        package = Package(
            code=code,
            sender=sender,
            text=text,
            encoding=encoding,
            parts=parts,
            validity_minutes=validity,
            accepted_at=now,
            scheduled_for=scheduled,
            recipients=[],
        )
        for to, number in numbers:
            package.recipients.append(Recipient(next(self._message_ids), number, to))
            self.record_message(
                EmulatedMessage(
                    package_id=code,
                    recipient=number,
                    text=text,
                    wire_encoding=encoding,
                    parts=parts,
                    sender=sender,
                    client_ref=None,
                    scheduled_at=scheduled if scheduled is not None and scheduled > now else None,
                    validity=timedelta(minutes=validity),
                )
            )
        self.packages[code] = package
        return self.envelope({"messageCode": code, "messages": []})

    @route("POST", "/sms/1/reports")
    def reports(self, request: EmulatorRequest) -> EmulatorResponse:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        body = self._object(request, frozenset({"messageCode"}), frozenset({"limit"}))
        code = body.get("messageCode")
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        if not isinstance(code, str) or not code:
            raise BadRequest("'messageCode' must be given")
        limit = body.get("limit", wire.REPORT_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise BadRequest("'limit' must be a positive whole number")
        package = self.packages.get(code)
        if package is None:  # no such message (404 is for a path it does not know)
            return self.error_response("410", request)
        self.examined += 1
        now = self.clock.now()
        rows = [self._row(package, r, now) for r in package.recipients[:limit]]
        return self.envelope(rows, description="")

    @route("GET", "/sms/1/senders")
    def senders(self, request: EmulatorRequest) -> EmulatorResponse:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        return self.envelope([{"value": n} for n in self.account.senders.approved()])

    @route("GET", "/account/balance")
    def balance(self, request: EmulatorRequest) -> EmulatorResponse:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        return self.envelope(
            {
                "balance": self.credit,
                "currency": self.currency,
                "smsDetail": {"total": self.sms_total},
            }
        )

    @route("GET", "/account/token")
    def token(self, request: EmulatorRequest) -> EmulatorResponse:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        key = secrets.token_hex(16)
        with self.lock:
            self.panel_keys.append(key)
        return self.envelope({"privateKey": key})

    # -- billing ---------------------------------------------------------------------------

    @property
    def sms_total(self) -> Decimal:
        """``smsDetail.total``: the package's SMS, or the parts the money still buys."""
        if self.sms_package is not None:
            return self.sms_package.balance
        return Decimal(self.account.ledger.parts_left())

    def _bill(self, units: int) -> bool:
        """Charge ``units`` (parts x destinations) to the package, else the
        money; ``False`` (nothing charged) when it cannot pay for all of them."""
        ledger = self.account.ledger if self.sms_package is None else self.sms_package
        return ledger.charge(units) is not None

    # -- helpers ---------------------------------------------------------------------------

    def _sender_ok(self, name: str) -> bool:
        if not (_NUMERIC_SENDER.fullmatch(name) or _ALNUM_SENDER.fullmatch(name)):
            return False
        return self.account.senders.is_approved(name)

    @staticmethod
    def _scheduled(value: Any) -> datetime | None:
        """``scheduledDate``: empty -> now; ``yyyy-MM-ddTHH:mm:ss`` in UTC. An offset
        or a trailing ``Z`` is refused (their acceptance is undocumented)."""
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise BadRequest("'scheduledDate' must be a string")
        try:
            # the document's own format (its sample 2013-08-23T09:15:00), not the plugin's
            when = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            raise BadRequest("'scheduledDate' must look like 2013-08-23T09:15:00 (UTC)") from None
        return when.replace(tzinfo=UTC)

    def status_of(self, package: Package, recipient: Recipient, now: datetime) -> int:
        """The status code of one recipient at ``now`` (never moves backwards)."""
        return STATUS_CODES[delivery_progress(package.starts, now, recipient.number)]

    def _row(self, package: Package, recipient: Recipient, now: datetime) -> dict[str, Any]:
        code = self.status_of(package, recipient, now)
        starts = package.starts
        sent = code in (CODE_SENT, CODE_DELIVERED, CODE_UNDELIVERED)
        final = code in (CODE_DELIVERED, CODE_UNDELIVERED)
        return {
            "messageId": recipient.message_id,
            "to": recipient.to[-10:],  # the sample shows ten-digit numbers
            "from": package.sender,
            "text": package.text,
            "sentAt": _local(starts + SENT_AFTER) if sent else "",
            "doneAt": _local(starts + FINAL_AFTER) if final else "",
            "smsCount": package.parts,
            "status": {"code": code, "name": STATUS_NAMES.get(code, "")},
        }


def _local(when: datetime) -> str:
    """Report times: UTC (the emulated gateway's choice, like scheduledDate and
    Infobip v1's reports), with a space as in the sample."""
    return when.astimezone(UTC).strftime(_REPORT_TIME)
