"""A stateful emulator of the Innomobil gateway, built from the provider's document.

It answers ``POST /api/v1/<operation>`` for ``login``, ``alfanumerik``,
``kredi``, ``sendsms``, ``multisend``, ``report``, ``reportbyid``, ``reports``,
``changepassword``, ``bilgi`` and ``sifremiunuttum`` with the documented
``status / error / result`` envelope, always HTTP 200 and valid JSON:

* one account (``credentials()``), with credit that falls by parts x
  recipients x :attr:`~InnomobilEmulator.price_per_part`, or postpaid
  (``kredi`` answers ``"-1"``);
* sender names with states (approved, pending, inactive); only approved
  ones are listed by ``alfanumerik`` and may send;
* parts counted by the documented rules (``utf8`` "0": GSM 03.38, 160 / 153,
  extension characters two; "1": UTF-16 units, 70 / 67), at most 4 parts;
* per-number states that advance with the virtual clock, by the convention
  of ileti's emulators (:mod:`ileti.emulation.progress`): waiting ("1") at
  send time and after 10 s (queued, then sent: Innomobil has one raw state for
  both), final after 60 s: failed ("2") when the number ends in 9, else
  delivered ("3"); a scheduled message waits until its ``sdate``;
* the quirks: numbers and counts as strings, ``messageid`` a string on
  ``sendsms`` and an array on ``multisend`` (whose ``kredi`` is a number), and
  the ``gms`` key on the first ``reportbyid`` item (``gms_typo``).

The provider publishes no error texts or codes. The texts below are the
emulator's own (in the provider's style: Turkish free text); they are the keys
of :attr:`~InnomobilEmulator.documented_errors` and of ``force_error``.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar, Final

import attrs

from ileti.emulation import (
    Account,
    BadRequest,
    Credentials,
    EmulatedMessage,
    EmulatorBase,
    EmulatorRequest,
    EmulatorResponse,
    IdCounter,
    Ledger,
    Refusal,
    SenderBook,
    VirtualClock,
    delivery_progress,
    route,
)
from ileti.plugin import DeliveryState, SenderState

__all__ = ["ERRORS", "InnomobilEmulator"]

# -- error texts (invented: the provider documents none) --------------------------

ERR_AUTH: Final = "Kullanıcı adı veya şifre hatalı"
ERR_INACTIVE: Final = "Hesabınız aktif değil"
ERR_CREDIT: Final = "Yetersiz kredi"
ERR_SENDER_UNKNOWN: Final = "Alfanumerik hesabınıza tanımlı değil"
ERR_SENDER_PENDING: Final = "Alfanumerik onay bekliyor"
ERR_SENDER_INACTIVE: Final = "Alfanumerik kullanıma kapalı"
ERR_NUMBER: Final = "Geçersiz numara"
ERR_NO_NUMBER: Final = "Numara listesi boş"
ERR_TOO_LONG: Final = "Mesaj çok uzun: en fazla 4 SMS gönderilebilir"
ERR_EMPTY_TEXT: Final = "Mesaj metni boş"
ERR_CHARSET: Final = "utf8 0 ile gönderilemeyen karakter var; utf8 1 kullanın"
ERR_UTF8: Final = "utf8 değeri 0 veya 1 olmalı"
ERR_VPERIOD: Final = "vperiod 1 ile 48 saat arasında olmalı"
ERR_SDATE: Final = "sdate biçimi YılAyGünSaatDakikaSaniye olmalı"
ERR_GATE: Final = "Geçersiz gate değeri"
ERR_TCKN: Final = "TCKN ile gönderim yetkiniz yok"
ERR_NOT_FOUND: Final = "Gönderi bulunamadı"
ERR_BAD_REQUEST: Final = "Geçersiz istek verisi"

#: each error text -> the ileti error a client must raise for it
ERRORS: Mapping[str, str] = MappingProxyType(
    {
        ERR_AUTH: "AuthenticationError",
        ERR_INACTIVE: "AccountInactive",
        ERR_CREDIT: "InsufficientCredit",
        ERR_SENDER_UNKNOWN: "InvalidSender",
        ERR_SENDER_PENDING: "InvalidSender",
        ERR_SENDER_INACTIVE: "InvalidSender",
        ERR_NUMBER: "InvalidRecipient",
        ERR_NO_NUMBER: "InvalidRecipient",
        ERR_TOO_LONG: "MessageTooLong",
        ERR_EMPTY_TEXT: "Rejected",
        ERR_CHARSET: "Rejected",
        ERR_UTF8: "Rejected",
        ERR_VPERIOD: "Rejected",
        ERR_SDATE: "Rejected",
        ERR_GATE: "Rejected",
        ERR_TCKN: "Forbidden",
        ERR_NOT_FOUND: "UnknownMessage",
        ERR_BAD_REQUEST: "Rejected",
    }
)

# -- documented rules and the emulator's choices -----------------------------------

MAX_PARTS: Final = 4
MAX_VALIDITY_HOURS: Final = 48
GATES: Final = (0, 1)  # 0 Innomobil, 1 Turkcell
GATE_NATIONAL_ID: Final = 8  # TCKN sending: refused by this emulated account (ERR_TCKN)
REPORTS_PAGE_SIZE: Final = 100  # undocumented
DEFAULT_USERNAME: Final = "ileti-test"
DEFAULT_PASSWORD: Final = "inno-emulator-pass"  # noqa: S105 - the emulator's test account
TURKISH_LETTERS: Final = "çğıİöşüÇĞÖŞÜ"
_NUMBER = re.compile(r"90[0-9]{10}")
_LIST_RESULT_OPS: Final = frozenset(
    {"alfanumerik", "sendsms", "multisend", "report", "reportbyid", "reports"}
)

RAW_WAITING: Final = "1"
RAW_FAILED: Final = "2"
RAW_DELIVERED: Final = "3"
#: a number's raw status for each step of its progress
RAW_STATUS: Mapping[DeliveryState, str] = MappingProxyType(
    {
        DeliveryState.SCHEDULED: RAW_WAITING,
        DeliveryState.QUEUED: RAW_WAITING,
        DeliveryState.SENT: RAW_WAITING,
        DeliveryState.DELIVERED: RAW_DELIVERED,
        DeliveryState.UNDELIVERED: RAW_FAILED,
    }
)


@attrs.define
class _Entry:
    """One number of a submission."""

    report_id: str
    number: str  # as on the wire: 905321112233
    text: str
    utf8: str
    parts: int
    sender: str


@attrs.define
class _Submission:
    message_id: str
    created: datetime
    send_at: datetime
    scheduled: bool
    sender: str
    entries: list[_Entry]


@attrs.define
class _Draft:
    sender: str
    text: str
    utf8: str
    numbers: list[str]
    parts: int


_AUTH = frozenset({"username", "password"})
_SEND = frozenset({"sdate", "vperiod", "gate"})
#: operation -> (required keys, optional keys), exactly as the document writes them
_KEYS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "login": (_AUTH, frozenset()),
    "alfanumerik": (_AUTH, frozenset()),
    "kredi": (_AUTH, frozenset({"gate"})),
    "sendsms": (_AUTH | {"message"}, _SEND),
    "multisend": (_AUTH | {"message"}, _SEND),
    "report": (_AUTH | {"messageid"}, frozenset({"detailed"})),
    "reportbyid": (_AUTH | {"reportid"}, frozenset()),
    "reports": (_AUTH, frozenset({"sdate", "fdate", "page", "alfanumerik", "tip"})),
    "changepassword": (_AUTH | {"newpassword"}, frozenset()),
    "bilgi": (_AUTH, frozenset()),
    "sifremiunuttum": (frozenset({"mail", "telefon"}), frozenset()),
}
#: the keys of a ``message`` object (each one required)
_MESSAGE_KEYS = frozenset({"sender", "text", "utf8", "gsm"})


def _digits(raw: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes ``²`` and other digits
    that ``int`` refuses."""
    return raw.isascii() and raw.isdigit()


def _count(text: str, utf8: str) -> int:
    """Parts by the documented rule of ``utf8``, counted apart from ``ileti.text``
    (:mod:`ileti.emulation.counting`), so a client's prediction is checked."""
    from ileti.emulation import gateway_parts

    if utf8 == "0":
        parts = gateway_parts(text, "gsm7")
        if any(c in TURKISH_LETTERS for c in text) or parts is None:
            raise Refusal(ERR_CHARSET)
        return parts
    parts = gateway_parts(text, "ucs2")
    assert parts is not None  # UCS-2 carries every character
    return parts


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _envelope(result: object, error: str = "", status: str = "ok") -> EmulatorResponse:
    return EmulatorResponse.json({"status": status, "error": error, "result": result})


class InnomobilEmulator(EmulatorBase):
    """The Innomobil gateway, in memory. Serve it with :func:`ileti.emulation.serve`.

    A refusal is a :class:`~ileti.emulation.Refusal` whose code is its error
    text: answered ``{"status": "error", "error": text, "result": <empty>}``.

    Attributes:
        account: the account: credentials, ledger (a postpaid, invoiced one:
            ``kredi`` answers "-1" and sends are never refused for credit),
            ``active`` (``False``: :data:`ERR_INACTIVE` to everything) and
            sender names (``default_sender`` approved).
        credit: prepaid credit (SMS units); falls by parts x recipients x price_per_part.
        gms_typo: reproduce the ``gms`` key on the first ``reportbyid`` item.
        submissions: accepted submissions by message id.
    """

    documented_errors: ClassVar[Mapping[str, str]] = ERRORS
    price_per_part: ClassVar[Decimal] = Decimal(1)
    default_sender: ClassVar[str] = "ILETI"
    pending_sender: ClassVar[str] = "BEKLEYEN"
    inactive_sender: ClassVar[str] = "KAPALI"

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        credit: Decimal | int = 1000,
        postpaid: bool = False,
        gms_typo: bool = True,
    ) -> None:
        super().__init__(clock=clock)
        self.account = Account(
            Credentials(username=username, password=password),
            Ledger(credit, price_per_part=self.price_per_part, postpaid=postpaid),
            SenderBook.starting(
                self.default_sender, pending=[self.pending_sender], inactive=[self.inactive_sender]
            ),
        )
        self.gms_typo = gms_typo
        self.profile = {
            "mail": "test@innomobil.com.tr",
            "telefon": "0 (532) 373 52 37",
            "soyad": "test",
            "ad": "inno",
        }
        self.submissions: dict[str, _Submission] = {}
        self._message_ids = IdCounter(120)
        self._report_numbers = IdCounter(1)
        #: report id -> its submission and number, kept as numbers are accepted
        self._by_report_id: dict[str, tuple[_Submission, _Entry]] = {}
        #: (send time, order, message id) of every submission, in time order: a
        #: report by date range looks only at the submissions in its range
        self._by_time: list[tuple[datetime, int, str]] = []

    def __repr__(self) -> str:
        return f"<InnomobilEmulator {len(self.submissions)} submissions, clock {self.clock!r}>"

    # -- EmulatorBase -----------------------------------------------------------

    def error_response(self, code: str, request: EmulatorRequest) -> EmulatorResponse:
        return _envelope(self._empty_result(request), code, "error")

    def bad_request(self, error: BadRequest, request: EmulatorRequest) -> EmulatorResponse:
        return _envelope(self._empty_result(request), ERR_BAD_REQUEST, "error")

    # -- state --------------------------------------------------------------------

    def phase(self, report_id: str) -> str:
        """The emulated state of one number: scheduled, queued, sent, delivered or undelivered."""
        with self.lock:
            submission, entry = self._by_report_id[report_id]
            return self._phase(submission, entry).value

    def _phase(self, submission: _Submission, entry: _Entry) -> DeliveryState:
        return delivery_progress(submission.send_at, self.clock.now(), entry.number)

    def _raw_status(self, submission: _Submission, entry: _Entry) -> str:
        return RAW_STATUS[self._phase(submission, entry)]

    # -- plumbing -------------------------------------------------------------------

    @staticmethod
    def _operation(request: EmulatorRequest) -> str:
        return request.path.rstrip("/").rsplit("/", 1)[-1]

    def _empty_result(self, request: EmulatorRequest) -> object:
        return [] if self._operation(request) in _LIST_RESULT_OPS else 0

    def _payload(self, request: EmulatorRequest) -> dict[str, Any]:
        """The JSON body. Strict: labelled ``application/json``, else
        :data:`ERR_BAD_REQUEST` (as for keys, see :meth:`_check_keys`)."""
        if request.content_type != "application/json":
            raise Refusal(ERR_BAD_REQUEST)
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refusal(ERR_BAD_REQUEST) from None
        if not isinstance(data, dict):
            raise Refusal(ERR_BAD_REQUEST)
        return data

    def _check_keys(self, request: EmulatorRequest, data: Mapping[str, Any]) -> None:
        """Only the keys the document gives the operation, in their case, each
        required one present (checked once the credentials are)."""
        required, optional = _KEYS.get(self._operation(request), (frozenset(), frozenset()))
        if not required <= data.keys() or not data.keys() <= required | optional:
            raise Refusal(ERR_BAD_REQUEST)
        messages = data.get("message")
        for item in messages if isinstance(messages, list) else [messages]:
            if isinstance(item, dict) and item.keys() != _MESSAGE_KEYS:
                raise Refusal(ERR_BAD_REQUEST)

    def _authenticate(self, payload: Mapping[str, Any]) -> None:
        account = self.account
        if not account.credentials.matches(
            username=payload.get("username"), password=payload.get("password")
        ):
            raise Refusal(ERR_AUTH)
        if not account.active:
            raise Refusal(ERR_INACTIVE)

    def _answer(
        self,
        request: EmulatorRequest,
        handler: Callable[[dict[str, Any]], object],
        *,
        authenticate: bool = True,
    ) -> EmulatorResponse:
        try:
            payload = self._payload(request)
            if authenticate:
                self._authenticate(payload)
            self._check_keys(request, payload)
            return _envelope(handler(payload))
        except Refusal as refused:
            return _envelope(self._empty_result(request), refused.code, "error")

    # -- field readers ----------------------------------------------------------------

    @staticmethod
    def _text(payload: Mapping[str, Any], key: str) -> str:
        value = payload.get(key, "")
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise Refusal(ERR_BAD_REQUEST)

    def _gate(self, payload: Mapping[str, Any], *, sending: bool) -> int:
        raw = self._text(payload, "gate").strip() or "0"
        if not _digits(raw):
            raise Refusal(ERR_GATE)
        gate = int(raw)
        if gate == GATE_NATIONAL_ID and sending:
            raise Refusal(ERR_TCKN)
        if gate not in (*GATES, GATE_NATIONAL_ID):
            raise Refusal(ERR_GATE)
        return gate

    def _send_at(self, payload: Mapping[str, Any]) -> tuple[datetime, bool]:
        from ileti_innomobil.wire import parse_send_date

        raw = self._text(payload, "sdate").strip()
        now = self.clock.now()
        if not raw:
            return now, False
        try:
            when = parse_send_date(raw)
        except ValueError:
            raise Refusal(ERR_SDATE) from None
        return (when, True) if when > now else (now, False)

    def _check_vperiod(self, payload: Mapping[str, Any]) -> timedelta:
        raw = self._text(payload, "vperiod").strip()
        if not raw:
            return timedelta(hours=MAX_VALIDITY_HOURS)  # default: 48 hours
        if not _digits(raw) or not 1 <= int(raw) <= MAX_VALIDITY_HOURS:
            raise Refusal(ERR_VPERIOD)
        return timedelta(hours=int(raw))

    def _check_sender(self, sender: str) -> None:
        state = self.account.senders.state(sender)
        if state is None:
            raise Refusal(ERR_SENDER_UNKNOWN)
        if state is SenderState.PENDING:
            raise Refusal(ERR_SENDER_PENDING)
        if state is SenderState.INACTIVE:
            raise Refusal(ERR_SENDER_INACTIVE)

    def _draft(self, message: object) -> _Draft:
        if not isinstance(message, dict):
            raise Refusal(ERR_BAD_REQUEST)
        sender = self._text(message, "sender")
        self._check_sender(sender)
        utf8 = self._text(message, "utf8").strip()
        if utf8 not in ("0", "1"):
            raise Refusal(ERR_UTF8)
        numbers = message.get("gsm")
        if not isinstance(numbers, list):
            raise Refusal(ERR_BAD_REQUEST)
        if not numbers:
            raise Refusal(ERR_NO_NUMBER)
        for number in numbers:
            if not isinstance(number, str) or not _NUMBER.fullmatch(number):
                raise Refusal(ERR_NUMBER)
        text = message.get("text")
        if not isinstance(text, str):
            raise Refusal(ERR_BAD_REQUEST)
        if not text:
            raise Refusal(ERR_EMPTY_TEXT)
        parts = _count(text, utf8)
        if parts > MAX_PARTS:
            raise Refusal(ERR_TOO_LONG)
        return _Draft(sender=sender, text=text, utf8=utf8, numbers=list(numbers), parts=parts)

    # -- sending ----------------------------------------------------------------------

    def _submit(self, payload: Mapping[str, Any], drafts: list[_Draft]) -> tuple[str, int]:
        """Bill and record the drafts as one submission; (message id, SMS units)."""
        units = sum(d.parts * len(d.numbers) for d in drafts)
        send_at, scheduled = self._send_at(payload)
        validity = self._check_vperiod(payload)
        if self.account.ledger.charge(units) is None:
            raise Refusal(ERR_CREDIT)
        message_id = self._message_ids.new()
        entries: list[_Entry] = []
        for draft in drafts:
            for number in draft.numbers:
                entry = _Entry(
                    report_id=f"m{next(self._report_numbers):x}k{len(entries):x}s",
                    number=number,
                    text=draft.text,
                    utf8=draft.utf8,
                    parts=draft.parts,
                    sender=draft.sender,
                )
                entries.append(entry)
                self.record_message(
                    EmulatedMessage(
                        package_id=message_id,
                        recipient="+" + number,
                        text=draft.text,
                        wire_encoding=draft.utf8,
                        parts=draft.parts,
                        sender=draft.sender,
                        scheduled_at=send_at if scheduled else None,
                        validity=validity,
                    )
                )
        submission = _Submission(
            message_id=message_id,
            created=self.clock.now(),
            send_at=send_at,
            scheduled=scheduled,
            sender=drafts[0].sender,
            entries=entries,
        )
        self.submissions[message_id] = submission
        for entry in entries:
            self._by_report_id[entry.report_id] = (submission, entry)
        bisect.insort(self._by_time, (send_at, len(self._by_time), message_id))
        return message_id, units

    def _validate_send(self, payload: Mapping[str, Any]) -> None:
        self._gate(payload, sending=True)
        self._check_vperiod(payload)
        self._send_at(payload)  # refuse a malformed sdate before anything else

    def _remaining(self) -> Decimal:
        return Decimal(-1) if self.account.ledger.postpaid else self.credit

    @route("POST", "/api/v1/sendsms")
    def sendsms(self, request: EmulatorRequest) -> EmulatorResponse:
        def handle(payload: dict[str, Any]) -> object:
            self._validate_send(payload)
            draft = self._draft(payload.get("message"))
            message_id, units = self._submit(payload, [draft])
            return {
                "messageid": message_id,
                "count": str(units),
                "kredi": _plain(self._remaining()),
            }

        return self._answer(request, handle)

    @route("POST", "/api/v1/multisend")
    def multisend(self, request: EmulatorRequest) -> EmulatorResponse:
        def handle(payload: dict[str, Any]) -> object:
            self._validate_send(payload)
            messages = payload.get("message")
            if not isinstance(messages, list) or not messages:
                raise Refusal(ERR_BAD_REQUEST)
            drafts = [self._draft(m) for m in messages]
            message_id, units = self._submit(payload, drafts)
            # quirk: messageid is an array here, and kredi a number
            return {"messageid": [message_id], "count": str(units), "kredi": self._remaining()}

        return self._answer(request, handle)

    # -- reports ------------------------------------------------------------------------

    def _item(
        self, submission: _Submission, entry: _Entry, *, detailed: bool, phone_key: str = "gsm"
    ) -> dict[str, str]:
        item = {
            phone_key: entry.number,
            "reportid": entry.report_id,
            "status": self._raw_status(submission, entry),
        }
        if detailed:
            item["adi"] = ""
            item["soyadi"] = ""
        return item

    @route("POST", "/api/v1/report")
    def report(self, request: EmulatorRequest) -> EmulatorResponse:
        def handle(payload: dict[str, Any]) -> object:
            message_id = self._text(payload, "messageid").strip()
            detailed = self._text(payload, "detailed").strip() == "1"  # empty counts as 0
            submission = self.submissions.get(message_id)
            if submission is None:
                raise Refusal(ERR_NOT_FOUND)
            self.examined += 1
            return [self._item(submission, e, detailed=detailed) for e in submission.entries]

        return self._answer(request, handle)

    @route("POST", "/api/v1/reportbyid")
    def reportbyid(self, request: EmulatorRequest) -> EmulatorResponse:
        def handle(payload: dict[str, Any]) -> object:
            wanted = payload.get("reportid")
            if isinstance(wanted, str):
                wanted = [wanted]
            if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
                raise Refusal(ERR_BAD_REQUEST)
            items: list[dict[str, str]] = []
            for report_id in wanted:
                found = self._by_report_id.get(report_id)
                if found is None:
                    continue
                self.examined += 1
                # quirk: the document's sample spells the first item's phone key "gms"
                key = "gms" if self.gms_typo and not items else "gsm"
                items.append(self._item(*found, detailed=False, phone_key=key))
            if not items:
                raise Refusal(ERR_NOT_FOUND)
            return items

        return self._answer(request, handle)

    @route("POST", "/api/v1/reports")
    def reports(self, request: EmulatorRequest) -> EmulatorResponse:
        from ileti_innomobil.wire import wire_time_zone

        def stamp(payload: Mapping[str, Any], key: str, default: datetime) -> datetime:
            raw = self._text(payload, key).strip()
            if not raw:
                return default
            if not _digits(raw):
                raise Refusal(ERR_SDATE)
            try:
                return datetime.fromtimestamp(int(raw), tz=default.tzinfo)
            except (OverflowError, OSError, ValueError):
                raise Refusal(ERR_SDATE) from None

        def handle(payload: dict[str, Any]) -> object:
            zone = wire_time_zone()
            now = self.clock.now().astimezone(zone)
            start = stamp(payload, "sdate", now.replace(hour=0, minute=0, second=0, microsecond=0))
            end = stamp(payload, "fdate", now)
            page_raw = self._text(payload, "page").strip()
            page = int(page_raw) if _digits(page_raw) and int(page_raw) >= 1 else 1
            sender = self._text(payload, "alfanumerik").strip()
            tip = self._text(payload, "tip").strip() or "0"
            rows = []
            for s in self._in_range(start, end):
                if sender and s.sender != sender:
                    continue
                if (tip == "1") != s.scheduled:
                    continue
                phases = [self._raw_status(s, e) for e in s.entries]
                rows.append(
                    {
                        "messageid": s.message_id,
                        "datetime": s.send_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                        "sender": s.sender,
                        "text": s.entries[0].text,
                        "smscount": str(sum(e.parts for e in s.entries)),
                        "gsmcount": str(len(s.entries)),
                        "statusok": str(phases.count(RAW_DELIVERED)),
                        "statuswait": str(phases.count(RAW_WAITING)),
                        "statusfail": str(phases.count(RAW_FAILED)),
                    }
                )
            first = (page - 1) * REPORTS_PAGE_SIZE
            return rows[first : first + REPORTS_PAGE_SIZE]

        return self._answer(request, handle)

    def _in_range(self, start: datetime, end: datetime) -> list[_Submission]:
        """The submissions sent from ``start`` to ``end``, in the order they were
        accepted (found by bisection: the work grows with the range, not with
        every submission)."""
        low = bisect.bisect_left(self._by_time, (start, -1, ""))
        found = []
        for send_at, order, message_id in self._by_time[low:]:
            if send_at > end:
                break
            self.examined += 1
            found.append((order, self.submissions[message_id]))
        return [s for _, s in sorted(found, key=lambda pair: pair[0])]

    # -- account ------------------------------------------------------------------------

    @route("POST", "/api/v1/login")
    def login(self, request: EmulatorRequest) -> EmulatorResponse:
        try:
            self._authenticate(self._payload(request))
        except Refusal as refused:
            # documented: login answers result 0 when the credentials are wrong
            return _envelope("0", refused.code)
        return _envelope("1")

    @route("POST", "/api/v1/alfanumerik")
    def alfanumerik(self, request: EmulatorRequest) -> EmulatorResponse:
        def handle(payload: dict[str, Any]) -> object:
            return self.account.senders.approved()

        return self._answer(request, handle)

    @route("POST", "/api/v1/kredi")
    def kredi(self, request: EmulatorRequest) -> EmulatorResponse:
        def handle(payload: dict[str, Any]) -> object:
            self._gate(payload, sending=False)
            return _plain(self._remaining())

        return self._answer(request, handle)

    @route("POST", "/api/v1/changepassword")
    def changepassword(self, request: EmulatorRequest) -> EmulatorResponse:
        def handle(payload: dict[str, Any]) -> object:
            new = self._text(payload, "newpassword")
            if not new:
                raise Refusal(ERR_BAD_REQUEST)
            self.account.credentials["password"] = new
            return "1"

        return self._answer(request, handle)

    @route("POST", "/api/v1/bilgi")
    def bilgi(self, request: EmulatorRequest) -> EmulatorResponse:
        return self._answer(request, lambda payload: dict(self.profile))

    @route("POST", "/api/v1/sifremiunuttum")
    def sifremiunuttum(self, request: EmulatorRequest) -> EmulatorResponse:
        def handle(payload: dict[str, Any]) -> object:
            mail = self._text(payload, "mail")
            phone = self._text(payload, "telefon")
            return 1 if (mail, phone) == (self.profile["mail"], self.profile["telefon"]) else 0

        return self._answer(request, handle, authenticate=False)
