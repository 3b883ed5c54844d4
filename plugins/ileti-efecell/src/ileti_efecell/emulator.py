"""A stateful emulator of the Efecell gateway (API v2), built from its document.

What it does, per the reference's emulator checklist:

1. ``Authorization: Key <api_key>`` on every call, else the 401 envelope.
2. ``sms/basic`` and ``sms/multi`` check the originator against the
   account's approved names (400), the numbers (406 unless ten digits
   ``5xxxxxxxxx``), the length per encoding (413 beyond four parts) and the
   credit (402); then they create a package and deduct parts × recipients.
3. Reports move a package 0 → 1 → 2 (3 when undelivered recipients were
   refunded) and its recipients 0 → 1/2 (99 for numbers in
   :attr:`EfecellEmulator.no_information`) as the virtual clock advances.
4. Every answer is the ``{"status": {...}, "response": ...}`` envelope, with
   ``response: []`` and the HTTP status equal to ``status.code`` on errors.

Recipients progress by the convention of ileti's emulators
(:mod:`ileti.emulation.progress`): queued when sent, sent 10 virtual seconds
later, and final after 60: undelivered when the number ends in 9, otherwise
delivered.

The emulator counts parts by the document's rules on its own (per-character
costs and the 160/153, 70/67 part sizes), independently of the wire value the
client predicted, so tests can compare the two.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

import attrs

from ileti.emulation import (
    DEFAULT_ALPHABET,
    EXTENSION_TABLE,
    FINAL_AFTER,
    Account,
    Alphabet,
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
    changed_at,
    delivery_progress,
    gateway_parts,
    is_default_alphabet,
    route,
)
from ileti.plugin import DeliveryState, SenderState

__all__ = ["DESCRIPTIONS", "ORIGINATOR_STATUS", "EfecellEmulator", "count_parts"]

#: the document's status codes and their (Turkish) descriptions
DESCRIPTIONS: Mapping[int, str] = MappingProxyType(
    {
        400: "İstemci hatası",
        401: "API Key hatalı",
        402: "Yetersiz kredi",
        403: "Yapmak istediğiniz işlem için yetkiniz yok",
        406: "Verilen numaraya SMS atılamıyor",
        407: "Hesap aktif değil",
        413: "Mesaj metni izin verilen boyuttan daha büyüktür",
        500: "Sunucu hatası",
    }
)

# 400 descriptions for the three cases the document lists (their wording is
# undocumented; the client reads them by keyword)
NO_NUMBER = "Numara girilmemiş"
NO_MESSAGE = "Mesaj girilmemiş"
NO_ORIGINATOR = "Başlık girilmemiş"
BAD_ORIGINATOR = "Başlık geçersiz"
# 400 for inputs the document does not cover (emulator's choice)
BAD_ENCODING = "Geçersiz encoding"
BAD_CHARACTERS = "Mesaj seçilen karakter setinde gönderilemez"
NO_ID = "Mesaj id girilmemiş"
UNKNOWN_ID = "Mesaj bulunamadı"

# the members the document names for each body, in their case (the report's
# ``originator`` is sent by public clients; the document's reading is that it
# is ignored)
BASIC_FIELDS = frozenset({"originator", "message", "to", "encoding"})
MULTI_FIELDS = frozenset({"originator", "messages", "encoding"})
MULTI_ITEM_FIELDS = frozenset({"to", "message"})
REPORT_FIELDS = frozenset({"id", "originator"})

# -- counting, by the document -------------------------------------------------------

#: encoding -> (characters in one SMS, characters per part when concatenated)
LIMITS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"default": (160, 153), "utf-8": (70, 67), "turkish": (160, 153)}
)
MAX_PARTS = 4
#: the Turkish letters the ``turkish`` set counts as two (inferred list)
TURKISH_LETTERS = frozenset("çğıİöşüÇĞÖŞÜ")
#: the characters the document names as counting two in ``turkish``
TURKISH_TWOS = frozenset("^{}\\[]~|€")
#: ``encoding`` values the emulator accepts -> the set it counts by
#: (``tr`` is the document's prose name; ``auto`` is resolved per text)
ENCODINGS: Mapping[str, str] = MappingProxyType(
    {"default": "default", "utf-8": "utf-8", "turkish": "turkish", "tr": "turkish", "auto": "auto"}
)


#: the sets the emulated gateway bills by, from the document (``turkish``: the
#: default alphabet, with the Turkish letters and the named characters at two)
CHARSETS: Mapping[str, Alphabet] = MappingProxyType(
    {
        "default": Alphabet("default", DEFAULT_ALPHABET, EXTENSION_TABLE, *LIMITS["default"]),
        "utf-8": Alphabet("utf-8", None, "", *LIMITS["utf-8"]),
        "turkish": Alphabet(
            "turkish",
            DEFAULT_ALPHABET + "".join(TURKISH_LETTERS),
            EXTENSION_TABLE + "".join(TURKISH_LETTERS | TURKISH_TWOS),
            *LIMITS["turkish"],
        ),
    }
)


def resolve_auto(text: str) -> str:
    """``auto`` (inferred): ``default`` when every character is GSM-7, else ``utf-8``."""
    return "default" if is_default_alphabet(text) else "utf-8"


def count_parts(text: str, charset: str) -> int | None:
    """Parts ``text`` takes in ``charset`` (``None``: a character cannot travel),
    counted apart from ``ileti.text`` (:mod:`ileti.emulation.counting`): one SMS
    up to the single limit; beyond it, parts of the per-part limit filled in
    order, a two-unit character never split across two parts."""
    return gateway_parts(text, CHARSETS[charset])


# -- state ---------------------------------------------------------------------------

#: a package's status while its recipients are not final (they move together)
PACKAGE_STATUS: Mapping[DeliveryState, int] = MappingProxyType(
    {DeliveryState.QUEUED: 0, DeliveryState.SENT: 1}
)
#: a recipient's final status (99, no information, is the test's choice)
RECIPIENT_FINAL: Mapping[DeliveryState, int] = MappingProxyType(
    {DeliveryState.DELIVERED: 1, DeliveryState.UNDELIVERED: 2}
)
#: an originator's ``status`` in ``get/originators/detailed`` (0 pending, 1 approved, 2 inactive)
ORIGINATOR_STATUS: Mapping[SenderState, int] = MappingProxyType(
    {SenderState.PENDING: 0, SenderState.APPROVED: 1, SenderState.INACTIVE: 2}
)
#: package statuses a test may force with :meth:`EfecellEmulator.set_package_status`
FORCEABLE = frozenset({10, 91, 92, 93, 94, 95})


@attrs.define
class Recipient:
    """One recipient of a package."""

    number: str  # as on the wire: 5xxxxxxxxx
    text: str
    parts: int
    price: Decimal
    final: int | None = None  # 1, 2 or 99 once final


@attrs.define
class Package:
    """One accepted send (``id``)."""

    package_id: int
    originator: str
    text: str | None
    sent_at: datetime
    recipients: list[Recipient]
    forced: int | None = None
    settled: bool = False

    @property
    def total_price(self) -> Decimal:
        return sum((r.price for r in self.recipients), Decimal(0))


#: Istanbul local time: UTC+3 all year since 2016 (the gateway's clock)
_GATEWAY_ZONE = timezone(timedelta(hours=3), "+03")


def _istanbul(when: datetime) -> str:
    """A time as the gateway writes it: Istanbul local time (the document's
    ``2018-04-04 06:44:35``), written here, not taken from the plugin."""
    return when.astimezone(_GATEWAY_ZONE).strftime("%Y-%m-%d %H:%M:%S")


class EfecellEmulator(EmulatorBase):
    """The Efecell gateway, in memory. One account; see the module docstring.

    Attributes a test may change: :attr:`credit`, ``account.active``
    (``False``: 407), ``account.senders`` (the originators; their status on
    the wire is :data:`ORIGINATOR_STATUS`), :attr:`forbidden_paths` (403),
    :attr:`blocked_numbers` (406), :attr:`no_information` (E.164 numbers that
    end with status 99), :attr:`refund_undelivered`.
    """

    documented_errors: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "400": "Rejected",
            "401": "AuthenticationError",
            "402": "InsufficientCredit",
            "403": "Forbidden",
            "406": "InvalidRecipient",
            "407": "AccountInactive",
            "413": "MessageTooLong",
            # a 5xx on a send may have been sent: the transport says DeliveryUnknown
            # (on report, balance and senders the client raises ProviderUnavailable)
            "500": "DeliveryUnknown",
        }
    )
    #: credits per SMS part (Efecell balances are SMS credits)
    price_per_part: ClassVar[Decimal] = Decimal(1)
    #: the approved sender every account starts with
    default_sender: ClassVar[str] = "ILETI"
    #: the first package id (the document's sample id)
    first_package_id: ClassVar[int] = 13544

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        api_key: str = "efecell-emulator-key",
        credit: Decimal | int = 1000,
    ) -> None:
        super().__init__(clock=clock)
        self.account = Account(
            Credentials(api_key=api_key),
            Ledger(credit, price_per_part=self.price_per_part),
            SenderBook.starting(
                self.default_sender, pending=["ILETIBEKLE"], inactive=["ILETIPASIF"]
            ),
        )
        self.forbidden_paths: set[str] = set()
        self.blocked_numbers: set[str] = set()
        self.no_information: set[str] = set()
        self.refund_undelivered = True
        self.packages: dict[int, Package] = {}
        self._ids = IdCounter(self.first_package_id)
        #: (when it becomes final, package id) of every package not yet settled:
        #: settling looks only at the packages whose time has come
        self._unsettled: list[tuple[datetime, int]] = []

    # -- answers ---------------------------------------------------------------------

    @staticmethod
    def ok(response: object) -> EmulatorResponse:
        return EmulatorResponse.json(
            {"status": {"code": 200, "successful": True}, "response": response}
        )

    @staticmethod
    def fail(code: int, description: str | None = None) -> EmulatorResponse:
        status = {
            "code": code,
            "successful": False,
            "description": description or DESCRIPTIONS.get(code, "Hata"),
        }
        return EmulatorResponse.json({"status": status, "response": []}, status=code)

    def error_response(self, code: str, request: EmulatorRequest) -> EmulatorResponse:
        return self.fail(int(code))

    def bad_request(self, error: BadRequest, request: EmulatorRequest) -> EmulatorResponse:
        return self.fail(400, f"İstemci hatası: {error}")

    def not_found(self, request: EmulatorRequest) -> EmulatorResponse:
        return self.fail(404, "Bulunamadı")

    def method_not_allowed(
        self, request: EmulatorRequest, allowed: Iterable[str]
    ) -> EmulatorResponse:
        return self.fail(405, f"İzin verilmeyen yöntem: {', '.join(sorted(allowed))}")

    # -- machinery -------------------------------------------------------------------

    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        with self.lock:
            self._settle()
            return super().handle(request)

    def _guard(self, request: EmulatorRequest, *, sending: bool = False) -> EmulatorResponse | None:
        """The 401 / 407 / 403 answer for this request, if any."""
        scheme, _, key = (request.header("authorization") or "").strip().partition(" ")
        if scheme.lower() != "key" or not self.account.credentials.matches(api_key=key.strip()):
            return self.fail(401)
        if sending and not self.account.active:
            return self.fail(407)
        if request.path in self.forbidden_paths:
            return self.fail(403)
        return None

    @staticmethod
    def _payload(request: EmulatorRequest, names: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The JSON body. Strict: a body must be labelled ``application/json`` and
        hold only the members the document names for this endpoint (``names``),
        in their case; anything else is a 400."""
        if not request.body.strip():
            return {}
        if request.content_type != "application/json":
            raise BadRequest(
                f"Content-Type {request.content_type!r}: the body must be application/json"
            )
        data = request.json()
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        unknown = sorted(str(k) for k in data if k not in names)
        if unknown:
            raise BadRequest(f"unknown field(s) {', '.join(unknown)}")
        return data

    def _status(self, package: Package) -> tuple[int, list[int], datetime]:
        """(package status, recipient statuses, time of the last change) now."""
        now = self.clock.now()
        waiting = [0] * len(package.recipients)
        if package.forced is not None:
            return package.forced, waiting, package.sent_at
        changed = changed_at(package.sent_at, now)
        progress = [delivery_progress(package.sent_at, now, r.number) for r in package.recipients]
        pending = [p for p in progress if not p.is_final]
        if pending:  # a package's recipients move together
            return PACKAGE_STATUS[pending[0]], waiting, changed
        finals = [self._final(r, p) for r, p in zip(package.recipients, progress, strict=True)]
        refunded = self.refund_undelivered and 2 in finals
        return (3 if refunded else 2), finals, changed

    def _final(self, recipient: Recipient, progress: DeliveryState) -> int:
        if recipient.final is None:
            if "+90" + recipient.number in self.no_information:
                recipient.final = 99
            else:
                recipient.final = RECIPIENT_FINAL[progress]
        return recipient.final

    def _settle(self) -> None:
        """Refund undelivered recipients of packages that became final.

        Only packages whose final time has come are looked at (a heap of
        final times), so the work does not grow with the packages sent before.
        """
        now = self.clock.now()
        while self._unsettled and self._unsettled[0][0] <= now:
            _, package_id = heapq.heappop(self._unsettled)
            package = self.packages[package_id]
            self.examined += 1
            if package.settled or package.forced is not None:
                continue
            status, finals, _ = self._status(package)
            if status not in (2, 3):
                continue
            package.settled = True
            if status == 3:
                for recipient, final in zip(package.recipients, finals, strict=True):
                    if final == 2:
                        self.account.ledger.refund(recipient.price)

    # -- for tests -------------------------------------------------------------------

    def set_package_status(self, package_id: int | str, status: int) -> None:
        """Force a package to ``status`` (10 or 91-95) while it is not yet final.

        Its recipients stay waiting (0); a client reads them with the
        package's state.
        """
        if status not in FORCEABLE:
            raise ValueError(f"status {status} cannot be forced (choose from {sorted(FORCEABLE)})")
        with self.lock:
            self._settle()
            package = self.packages[int(package_id)]
            if package.settled:
                raise ValueError(f"package {package_id} is already final")
            package.forced = status

    # -- sending ---------------------------------------------------------------------

    def _originator(self, payload: Mapping[str, Any]) -> tuple[str | None, EmulatorResponse | None]:
        originator = payload.get("originator")
        if originator is None or originator == "":
            return None, self.fail(400, NO_ORIGINATOR)
        if not self.account.senders.is_approved(originator):
            return None, self.fail(400, BAD_ORIGINATOR)
        return originator, None

    @staticmethod
    def _charset(payload: Mapping[str, Any]) -> str | None:
        value = payload.get("encoding", "default")
        if not isinstance(value, str):
            return None
        return ENCODINGS.get(value.strip().lower())

    def _check_number(self, number: object) -> bool:
        return (
            isinstance(number, str)
            and len(number) == 10
            and number.isascii()
            and number.isdigit()
            and number.startswith("5")
            and number not in self.blocked_numbers
        )

    def _accept(
        self,
        originator: str,
        charset: str,
        wire_encoding: str,
        items: list[tuple[str, str]],
        text: str | None,
    ) -> Package | EmulatorResponse:
        """Measure, bill and record ``(number, text)`` items as one package."""
        if not items:
            return self.fail(400, NO_NUMBER)
        if any(not isinstance(t, str) or not t for _, t in items):
            return self.fail(400, NO_MESSAGE)
        if not all(self._check_number(n) for n, _ in items):
            return self.fail(406)
        measured: list[tuple[str, str, int]] = []
        for number, message in items:
            chosen = resolve_auto(message) if charset == "auto" else charset
            parts = count_parts(message, chosen)
            if parts is None:
                return self.fail(400, BAD_CHARACTERS)
            if parts > MAX_PARTS:
                return self.fail(413)
            measured.append((number, message, parts))
        ledger = self.account.ledger
        if ledger.charge(sum(p for _, _, p in measured)) is None:
            return self.fail(402)
        package = Package(
            package_id=next(self._ids),
            originator=originator,
            text=text,
            sent_at=self.clock.now(),
            recipients=[
                Recipient(number=n, text=m, parts=p, price=ledger.cost(p)) for n, m, p in measured
            ],
        )
        self.packages[package.package_id] = package
        heapq.heappush(self._unsettled, (package.sent_at + FINAL_AFTER, package.package_id))
        for recipient in package.recipients:
            self.record_message(
                EmulatedMessage(
                    package_id=str(package.package_id),
                    recipient="+90" + recipient.number,
                    text=recipient.text,
                    wire_encoding=wire_encoding,
                    parts=recipient.parts,
                    sender=originator,
                )
            )
        return package

    @route("POST", "/v2/sms/basic")
    def sms_basic(self, request: EmulatorRequest) -> EmulatorResponse:
        refused = self._guard(request, sending=True)
        if refused is not None:
            return refused
        payload = self._payload(request, BASIC_FIELDS)
        originator, refused = self._originator(payload)
        if refused is not None or originator is None:
            return refused or self.fail(400, NO_ORIGINATOR)
        text = payload.get("message")
        if not isinstance(text, str) or not text:
            return self.fail(400, NO_MESSAGE)
        to = payload.get("to")
        if isinstance(to, str):  # some public clients send one string (accepted)
            to = [to]
        if to is None:
            to = []
        if not isinstance(to, list):
            return self.fail(406)
        charset = self._charset(payload)
        if charset is None:
            return self.fail(400, BAD_ENCODING)
        wire_encoding = str(payload.get("encoding", "default"))
        accepted = self._accept(originator, charset, wire_encoding, [(n, text) for n in to], text)
        if isinstance(accepted, EmulatorResponse):
            return accepted
        price = accepted.recipients[0].price
        return self.ok(
            {
                "message": {
                    "id": accepted.package_id,
                    "originator": originator,
                    "message": text,
                    "count": len(accepted.recipients),
                    "price": price,
                    "total_price": accepted.total_price,
                }
            }
        )

    @route("POST", "/v2/sms/multi")
    def sms_multi(self, request: EmulatorRequest) -> EmulatorResponse:
        refused = self._guard(request, sending=True)
        if refused is not None:
            return refused
        payload = self._payload(request, MULTI_FIELDS)
        originator, refused = self._originator(payload)
        if refused is not None or originator is None:
            return refused or self.fail(400, NO_ORIGINATOR)
        messages = payload.get("messages")
        if messages is None:
            messages = []
        if not isinstance(messages, list) or not all(
            isinstance(m, dict) and set(m) <= MULTI_ITEM_FIELDS for m in messages
        ):
            raise BadRequest("'messages' must be a list of {to, message} objects")
        charset = self._charset(payload)
        if charset is None:
            return self.fail(400, BAD_ENCODING)
        wire_encoding = str(payload.get("encoding", "default"))
        items = [(m.get("to"), m.get("message")) for m in messages]
        accepted = self._accept(originator, charset, wire_encoding, items, None)
        if isinstance(accepted, EmulatorResponse):
            return accepted
        return self.ok(
            {
                "message": {
                    "id": accepted.package_id,
                    "originator": originator,
                    "count": len(accepted.recipients),
                    "total_price": accepted.total_price,
                }
            }
        )

    # -- reading ---------------------------------------------------------------------

    @route(("GET", "POST"), "/v2/get/report")
    def get_report(self, request: EmulatorRequest) -> EmulatorResponse:
        refused = self._guard(request)
        if refused is not None:
            return refused
        raw = self._payload(request, REPORT_FIELDS).get("id", request.arg("id"))  # ?id= inferred
        if raw is None or raw == "":
            return self.fail(400, NO_ID)
        try:
            package_id = int(raw)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite number
            return self.fail(400, UNKNOWN_ID)
        package = self.packages.get(package_id)
        if package is None or isinstance(raw, bool):
            return self.fail(400, UNKNOWN_ID)
        self.examined += 1
        status, states, changed = self._status(package)
        stamp = _istanbul(changed)
        body: dict[str, Any] = {
            "id": package.package_id,
            "originator": package.originator,
            "count": len(package.recipients),
            "price": package.total_price,
            "status": status,
            "details": [
                {
                    "to": r.number,
                    "message": r.text,
                    "price": r.price,
                    "status": state,
                    "time": stamp,
                }
                for r, state in zip(package.recipients, states, strict=True)
            ],
        }
        if package.text is not None:
            body["message"] = package.text
        return self.ok({"message": body})

    @route(("GET", "POST"), "/v2/get/balance")
    def get_balance(self, request: EmulatorRequest) -> EmulatorResponse:
        return self._guard(request) or self.ok({"balance": self.credit})

    @route(("GET", "POST"), "/v2/get/originators")
    def get_originators(self, request: EmulatorRequest) -> EmulatorResponse:
        approved = self.account.senders.approved()
        return self._guard(request) or self.ok({"originators": approved})

    @route(("GET", "POST"), "/v2/get/originators/detailed")
    def get_originators_detailed(self, request: EmulatorRequest) -> EmulatorResponse:
        detailed = [
            {"name": n, "status": ORIGINATOR_STATUS[s]} for n, s in self.account.senders.items()
        ]
        return self._guard(request) or self.ok({"originators": detailed})

    def __repr__(self) -> str:
        return (
            f"EfecellEmulator(credit={self.credit}, packages={len(self.packages)}, "
            f"now={self.clock.now().isoformat()})"
        )
