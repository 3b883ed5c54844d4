"""A stateful emulator of the Ekomesaj gateway, built from its reference.

It answers ServiceStack-style JSON at ``POST /json/syncreply/{Operation}``
(and ``/json/reply/{Operation}``, inferred) and DataContract XML at
``POST /xml/syncreply/{Operation}`` (and ``/xml/reply/{Operation}``) for
``SendInstantSms``, ``GetCredit``, ``SmsStartStop`` and the report operation
(whose name is undocumented; ``report_operation`` picks it). Both styles
share one state; each request is answered in its own style (JSON in, JSON
out; XML in, XML out). Behaviour the reference leaves open is chosen here
and listed in ``docs/providers/ekomesaj.md``:

* XML is read as .NET's DataContractSerializer reads it (the rules are the
  inferred constants of :mod:`ileti_ekomesaj.wire`): the root must be the
  operation in ``Ekomesaj.Operations``; a member in the wrong namespace or
  out of alphabetical order is silently skipped (so it is missing); an
  answer is ``<{Operation}Response>`` with its members in alphabetical
  order, or ``<ErrorResponse>`` (ServiceStack's namespace) for a
  ``ResponseStatus`` error; dates are ISO-8601 in XML, ``/Date(...)/`` in JSON;

* business errors are HTTP 200 with ``MessageID: 0`` and a
  ``Status{Code, Description, Message}`` in Turkish, codes 400 (bad request),
  401 (credentials, also a missing or wrong ``ResellerID``), 402 (credit),
  404 (no such package), 405 (sender name), 406 (number), 407 (account
  inactive), 413 (too long);
* it is strict, so that a wrong guess in a client fails a test: a member the
  document does not name, or names in another case, is HTTP 400
  ``SerializationException`` (ServiceStack itself is lenient about case); a
  body without the endpoint's content type (``application/json`` on
  ``/json/``, ``application/xml`` on ``/xml/``) is HTTP 415;
* malformed JSON or wrong types are HTTP 400 with a ServiceStack
  ``ResponseStatus`` (``SerializationException``); ``PageSize`` 0 on the report
  is HTTP 500 (``DivideByZeroException``), as documented;
* ``Msisdn`` is accepted as a JSON number or a quoted one, ``905xxxxxxxxx``;
* ``DataCoding "Default"`` is counted as GSM 03.38 with the Turkish
  single-shift table (155/149; extension and Turkish shift characters count
  two); other characters are refused; more than
  :data:`~ileti_ekomesaj.wire.MAX_PARTS` parts is refused;
* ``CanSendSmsToDuplicateMsisdn: false`` drops repeated numbers (first kept);
* templating replaces the placeholder named before the first ``:`` of
  ``CustomField1`` with the rest, in one pass (the text is never re-read);
* an empty ``SenderName`` uses the account's default (approved) sender;
* states follow the clock, by the convention of ileti's emulators
  (:mod:`ileti.emulation.progress`): a package is "Gönderiliyor" (3) with
  numbers waiting (0) at send time (or "Kuyrukta" (0) until its schedule),
  then numbers are 1 after 10 s, 6 after 30 s, and after 60 s 2 (delivered),
  or 5 (not delivered) for a number ending in 9; the package is 1 once sent;
* ``SmsStartStop`` ``Stop`` cancels a package not yet sent (package 2,
  numbers 4) and refunds its credit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
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
    Refusal,
    SenderBook,
    VirtualClock,
    delivery_progress,
    route,
)
from ileti.plugin import Category, DeliveryState, SenderState
from ileti_ekomesaj import emulated_xml, wire

__all__ = ["EkomesajEmulator"]

_MSISDN = re.compile(r"905[0-9]{9}")

#: a number's ``State`` for each step of its progress (a package's ``start`` counts)
DETAIL_STATES: Mapping[DeliveryState, int] = MappingProxyType(
    {
        DeliveryState.SCHEDULED: 0,  # Zamanlanmış (waiting)
        DeliveryState.QUEUED: 0,
        DeliveryState.SENT: 1,  # Gönderilmiş, no SMSC report yet
        DeliveryState.DELIVERED: 2,  # İletildi
        DeliveryState.UNDELIVERED: 5,  # İletilmedi
    }
)
#: after a package's start, when a sent number becomes 6 (SMSC tarafından alındı)
SMSC_AFTER = timedelta(seconds=30)


_JSON_TYPES = frozenset({"application/json"})
_XML_TYPES = frozenset({"application/xml", "text/xml"})


class _Serialization(Exception):
    """A body ServiceStack could not deserialise: HTTP 400 ``SerializationException``."""


class _Crash(Exception):
    """An unhandled server exception: a ServiceStack ``ResponseStatus`` error."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


#: the emulator's Turkish message for each business error code
_MESSAGES: Mapping[int, str] = {
    400: "Geçersiz istek",
    401: "Kullanıcı adı veya şifre hatalı",
    402: "Yetersiz kredi",
    404: "Kayıt bulunamadı",
    405: "Gönderen başlığı (SenderName) tanımlı ya da onaylı değil",
    406: "Geçersiz numara",
    407: "Hesap pasif durumda",
    413: "Mesaj çok uzun",
}

#: what this emulator's invented ``Status.Code`` values mean. Not Ekomesaj's
#: (it publishes none): a client learns them only from ``credentials()``, as
#: the ``error_codes`` setting; the plugin gives undocumented codes no meaning.
ERROR_CATEGORIES: Mapping[int, Category] = {
    400: Category.INVALID_REQUEST,
    401: Category.AUTH,
    402: Category.INSUFFICIENT_CREDIT,
    404: Category.UNKNOWN_MESSAGE,
    405: Category.INVALID_SENDER,
    406: Category.INVALID_RECIPIENT,
    407: Category.ACCOUNT_INACTIVE,
    413: Category.MESSAGE_TOO_LONG,
}


@attrs.define
class _Recipient:
    msisdn: int
    text: str
    parts: int
    stopped: bool = False


@attrs.define
class _Package:
    id: int
    created: datetime
    start: datetime
    scheduled: bool
    recipients: list[_Recipient]
    cost: Decimal
    stopped_at: datetime | None = None


def _field(obj: Mapping[str, Any], name: str) -> Any:
    """A property by its exact name (names are checked by :func:`_check_names`)."""
    return obj.get(name)


#: the property names the document (and the metadata page it points to) gives
#: each object, in their exact case; this emulator's own table, written from
#: the document, not the plugin's
_NAMES: Mapping[str, frozenset[str]] = {
    "Credential": frozenset({"Username", "Password", "ResellerID"}),
    "Sms": frozenset(
        {
            "ToMsisdns",
            "ToGroups",
            "IsCreateFromTeplate",
            "SmsTitle",
            "SmsContent",
            "RequestGuid",
            "CanSendSmsToDuplicateMsisdn",
            "SmsSendingType",
            "SmsCoding",
            "SenderName",
            "Route",
            "ValidityPeriod",
            "DataCoding",
            "ScheduledDeliveryTime",
        }
    ),
    "ToMsisdns": frozenset({"Msisdn", "Name", "Surname", "CustomField1"}),
}
#: each operation's request members (the report operation's come from the
#: document's report template)
_OPERATION_NAMES: Mapping[str, frozenset[str]] = {
    wire.SEND_OPERATION: frozenset({"Credential", "Sms"}),
    wire.CREDIT_OPERATION: frozenset({"Credential"}),
    wire.START_STOP_OPERATION: frozenset({"Credential", "SmsHistoryID", "SmsAction"}),
}
_REPORT_NAMES = frozenset({"Credential", "SmsHistoryID", "StartPage", "PageSize"})


def _check_names(obj: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    """Refuse a member the document does not name, or names in another case."""
    for key, value in obj.items():
        if key not in allowed:
            same = next((n for n in sorted(allowed) if n.casefold() == str(key).casefold()), None)
            hint = f" (the document writes {same!r})" if same else ""
            raise _Serialization(f"{where}: {key!r} is not a member{hint}")
        inner = _NAMES.get(key)
        if inner is None:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                _check_names(item, inner, key)


def _int(value: Any, name: str, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool):
        raise _Serialization(f"{name}: expected a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
        return int(value.strip())
    raise _Serialization(f"{name}: expected a number")


def _bool(value: Any, name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Serialization(f"{name}: expected true or false")


def _str(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise _Serialization(f"{name}: expected a string")


#: the gateway's clock: Turkish time, UTC+3 all year since 2016
_GATEWAY_ZONE = timezone(timedelta(hours=3), "+03")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: ServiceStack's JSON date: ``/Date(ms±hhmm)/``, ms since the Unix epoch in UTC
_SERVICESTACK_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def _servicestack_date(when: datetime) -> str:
    """``/Date(ms+0300)/``: how ServiceStack writes a DateTime in JSON (the
    document's samples), written here, not taken from the plugin."""
    ms = int((when - _EPOCH) / timedelta(milliseconds=1))
    return f"/Date({ms}+0300)/"


def _gateway_time(text: str) -> datetime | None:
    """A DateTime as a ServiceStack gateway reads it: its own ``/Date(...)/``
    form, or ISO-8601 (the document asks for an explicit offset; one without
    is read as the gateway's local Turkish time). ``None`` when unreadable."""
    text = text.strip()
    match = _SERVICESTACK_DATE.fullmatch(text)
    try:
        if match:
            return (_EPOCH + timedelta(milliseconds=int(match[1]))).astimezone(_GATEWAY_ZONE)
        when = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=_GATEWAY_ZONE)
    return when.astimezone(_GATEWAY_ZONE)


def _jsonable(value: Any) -> Any:
    """An answer for JSON: datetimes in ServiceStack's ``/Date(ms+0300)/`` form."""
    if isinstance(value, datetime):
        return _servicestack_date(value)
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class EkomesajEmulator(EmulatorBase):
    """The Ekomesaj gateway, in memory, on a virtual clock."""

    documented_errors: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "400": "Rejected",
            "401": "AuthenticationError",
            "402": "InsufficientCredit",
            "404": "UnknownMessage",
            "405": "InvalidSender",
            "406": "InvalidRecipient",
            "407": "AccountInactive",
            "413": "MessageTooLong",
            "SerializationException": "Rejected",
            # HTTP 500 (documented for PageSize 0). On a send the message may have
            # been sent, so the client raises DeliveryUnknown; on report and
            # balance it raises ProviderUnavailable.
            "DivideByZeroException": "DeliveryUnknown",
        }
    )
    #: credits per SMS part (Ekomesaj sells SMS credits)
    price_per_part: ClassVar[Decimal] = Decimal(1)
    default_sender: ClassVar[str] = "ILETI"

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        report_operation: str = wire.REPORT_OPERATION,
        reseller_id: int = wire.DEFAULT_RESELLER_ID,
        credit: Decimal | int = 1000,
    ) -> None:
        super().__init__(clock=clock)
        self.account = Account(
            Credentials(
                username="ileti-demo",
                password="ekomesaj-demo-parola",  # noqa: S106 - the emulator's demo account
            ),
            Ledger(credit, price_per_part=self.price_per_part),
            SenderBook.starting(
                self.default_sender, pending=["ONAYBEKLE"], inactive=["ESKIBASLIK"]
            ),
        )
        self.reseller_id = reseller_id
        self.report_operation = report_operation
        self.packages: dict[int, _Package] = {}
        self._ids = IdCounter(100001)

    # ----------------------------------------------------------------- EmulatorBase

    def credentials(self) -> dict[str, str]:
        found = {
            **super().credentials(),
            "error_codes": ",".join(f"{c}={k.value}" for c, k in ERROR_CATEGORIES.items()),
        }
        if self.reseller_id != wire.DEFAULT_RESELLER_ID:
            found["reseller_id"] = str(self.reseller_id)
        return found

    def error_response(self, code: str, request: EmulatorRequest) -> EmulatorResponse:
        if code == "SerializationException":
            return self._servicestack(request, 400, code, "Could not deserialize the request body")
        if code == "DivideByZeroException":
            return self._servicestack(request, 500, code, "Attempted to divide by zero.")
        number = int(code)
        return self._refusal(request, number, _MESSAGES[number])

    def bad_request(self, error: BadRequest, request: EmulatorRequest) -> EmulatorResponse:
        return self._servicestack(request, 400, "SerializationException", str(error))

    def not_found(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.text(
            "Handler for Request not found (404):\n\n"
            f"  Request.HttpMethod: {request.method}\n  Request.PathInfo: {request.path}\n",
            status=404,
        )

    # ----------------------------------------------------------------- routing

    @route("POST", "/json/syncreply/{operation}")
    @route("POST", "/json/reply/{operation}")
    @route("POST", "/xml/syncreply/{operation}")
    @route("POST", "/xml/reply/{operation}")
    def operation(self, request: EmulatorRequest) -> EmulatorResponse:
        op = self._operation(request)
        handlers = {
            wire.SEND_OPERATION: self._send,
            wire.CREDIT_OPERATION: self._credit,
            wire.START_STOP_OPERATION: self._start_stop,
            self.report_operation: self._report,
        }
        handler = handlers.get(op)
        if handler is None:
            return self.not_found(request)
        try:
            payload = self._payload(request, op)
            self._authenticate(payload)
            return self._answer(request, handler(payload))
        except _Serialization as exc:
            return self._servicestack(request, 400, "SerializationException", str(exc))
        except _Crash as exc:
            return self._servicestack(request, exc.status, exc.error_code, exc.message)
        except Refusal as exc:
            return self._refusal(request, exc.code, exc.text)

    def _operation(self, request: EmulatorRequest) -> str:
        """The operation's own name (the path is matched without regard to case)."""
        raw = request.path_params.get("operation") or request.path.rsplit("/", 1)[-1]
        known = (
            wire.SEND_OPERATION,
            wire.CREDIT_OPERATION,
            wire.START_STOP_OPERATION,
            self.report_operation,
        )
        return next((name for name in known if name.casefold() == raw.casefold()), raw)

    @staticmethod
    def _xml(request: EmulatorRequest) -> bool:
        return request.path.casefold().startswith("/xml/")

    def _payload(self, request: EmulatorRequest, op: str) -> dict[str, Any]:
        """The request body as a JSON-shaped dict, from JSON or DataContract XML.

        Strict: the content type must be the endpoint's (``application/json``
        on ``/json/``, ``application/xml`` on ``/xml/``; anything else is HTTP
        415), and every member must be one the document names, in its case.
        """
        xml = self._xml(request)
        wanted = _XML_TYPES if xml else _JSON_TYPES
        if request.content_type not in wanted:
            raise _Crash(
                415,
                "NotSupportedException",
                f"Content-Type {request.content_type!r} is not supported here: "
                f"use {sorted(wanted)[0]}",
            )
        if xml:
            try:
                payload = emulated_xml.read_request(request.body, op)
            except ValueError as exc:
                raise _Serialization(f"the request body is not {op} XML: {exc}") from None
        else:
            payload = request.json()
            if not isinstance(payload, dict):
                raise _Serialization("the request body is not a JSON object")
        _check_names(payload, _OPERATION_NAMES.get(op, _REPORT_NAMES), op)
        return payload

    # ----------------------------------------------------------------- answers

    def _answer(
        self, request: EmulatorRequest, body: Mapping[str, Any], status: int = 200
    ) -> EmulatorResponse:
        """``body`` in the request's style: JSON, or ``<{Operation}Response>`` XML."""
        if self._xml(request):
            root = self._operation(request) + "Response"
            document = emulated_xml.write_document(root, body)
            return EmulatorResponse.xml(document, status, content_type="application/xml")
        return EmulatorResponse.json(_jsonable(body), status)

    @staticmethod
    def _status(code: int = wire.STATUS_OK, message: str = "") -> dict[str, Any]:
        return {"Code": code, "Description": message, "Message": message}

    def _refusal(self, request: EmulatorRequest, code: int, message: str) -> EmulatorResponse:
        body: dict[str, Any] = {"Status": self._status(code, message)}
        op = self._operation(request)
        if op == wire.SEND_OPERATION:
            body = {"MessageID": 0, **body}
        elif op == wire.CREDIT_OPERATION:
            body = {"Credit": 0, **body}
        elif op == self.report_operation:
            body = {**body, "State": None, "TotalCount": 0, "Details": []}
        return self._answer(request, body)

    def _servicestack(
        self, request: EmulatorRequest, status: int, error_code: str, message: str
    ) -> EmulatorResponse:
        error = {
            "ResponseStatus": {
                "ErrorCode": error_code,
                "Message": message,
                "StackTrace": f"[{error_code}] at Ekomesaj.Operations (emulated)",
                "Errors": [],
            }
        }
        if self._xml(request):
            document = emulated_xml.write_document(
                "ErrorResponse", error, namespace=emulated_xml.SERVICESTACK
            )
            return EmulatorResponse.xml(document, status, content_type="application/xml")
        return EmulatorResponse.json(error, status)

    # ----------------------------------------------------------------- operations

    def _authenticate(self, payload: Mapping[str, Any]) -> None:
        credential = _field(payload, "Credential")
        if not isinstance(credential, dict):
            raise Refusal(401, _MESSAGES[401])
        username = _field(credential, "Username")
        password = _field(credential, "Password")
        reseller = _field(credential, "ResellerID")
        try:
            reseller_ok = _int(reseller, "ResellerID") == self.reseller_id
        except _Serialization:
            reseller_ok = False
        # documented: without the right ResellerID the answer is a username/password error
        known = self.account.credentials.matches(username=username, password=password)
        if not known or not reseller_ok:
            raise Refusal(401, _MESSAGES[401])
        if not self.account.active:
            raise Refusal(407, _MESSAGES[407])

    def _send(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        sms = _field(payload, "Sms")
        if not isinstance(sms, dict):
            raise Refusal(400, "Sms alanı eksik")
        numbers = self._numbers(sms)
        groups = _field(sms, "ToGroups") or []
        if not isinstance(groups, list):
            raise _Serialization("ToGroups: expected a list")
        if any(_int(g, "ToGroups") != 0 for g in groups):
            raise Refusal(400, "Grup bulunamadı")
        if not numbers:
            raise Refusal(400, "Alıcı numara yok")
        data_coding = _str(_field(sms, "DataCoding"), "DataCoding") or wire.DATA_CODING
        if data_coding.casefold() != wire.DATA_CODING.casefold():
            raise _Serialization(f"DataCoding: {data_coding!r} is not a known value")
        _int(_field(sms, "ValidityPeriod"), "ValidityPeriod", default=0)
        _int(_field(sms, "Route"), "Route", default=0)
        sender = self._sender(_str(_field(sms, "SenderName"), "SenderName"))
        content = _str(_field(sms, "SmsContent"), "SmsContent")
        templated = _bool(_field(sms, "IsCreateFromTeplate"), "IsCreateFromTeplate")
        texts = []
        for _, custom in numbers:
            text = self._expand(content, custom) if templated else content
            if not text:
                raise Refusal(400, "Mesaj içeriği boş")
            texts.append(text)
        parts = self._parts(texts)
        recipients = [
            _Recipient(msisdn, text, n)
            for (msisdn, _), text, n in zip(numbers, texts, parts, strict=True)
        ]
        if not _bool(_field(sms, "CanSendSmsToDuplicateMsisdn"), "CanSendSmsToDuplicateMsisdn"):
            seen: set[int] = set()
            unique = []
            for r in recipients:
                if r.msisdn not in seen:
                    seen.add(r.msisdn)
                    unique.append(r)
            recipients = unique
        now = self.clock.now()
        start = self._schedule(_field(sms, "ScheduledDeliveryTime"), now)
        ledger = self.account.ledger
        billed = sum(r.parts for r in recipients)
        cost = ledger.charge(billed)
        if cost is None:
            needed = ledger.cost(billed)
            raise Refusal(402, f"{_MESSAGES[402]}: {needed} kredi gerekli, {ledger.balance} var")
        package = _Package(
            id=next(self._ids),
            created=now,
            start=max(start, now),
            scheduled=start > now,
            recipients=recipients,
            cost=cost,
        )
        self.packages[package.id] = package
        # the client's own reference: its GUID, else the package's title
        guid = (
            _str(_field(sms, "RequestGuid"), "RequestGuid")
            or _str(_field(sms, "SmsTitle"), "SmsTitle")
            or None
        )
        for r in recipients:
            self.record_message(
                EmulatedMessage(
                    package_id=str(package.id),
                    recipient=f"+{r.msisdn}",
                    text=r.text,
                    wire_encoding=data_coding,
                    parts=r.parts,
                    sender=sender,
                    client_ref=guid,
                    scheduled_at=package.start if package.scheduled else None,
                )
            )
        return {"MessageID": package.id, "Status": self._status()}

    def _numbers(self, sms: Mapping[str, Any]) -> list[tuple[int, str]]:
        to = _field(sms, "ToMsisdns")
        if to is None:
            return []
        if not isinstance(to, list):
            raise _Serialization("ToMsisdns: expected a list")
        out = []
        for entry in to:
            if not isinstance(entry, dict):
                raise _Serialization("ToMsisdns: expected objects")
            raw = _field(entry, "Msisdn")
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise _Serialization("Msisdn: expected a number")
            digits = str(raw).strip()
            if not digits.isdigit() or not digits.isascii():
                raise _Serialization("Msisdn: expected a number")
            if not _MSISDN.fullmatch(digits):
                raise Refusal(406, f"{_MESSAGES[406]}: {digits[:20]}")
            out.append((int(digits), _str(_field(entry, "CustomField1"), "CustomField1")))
        return out

    def _sender(self, name: str) -> str:
        if not name:
            return self.default_sender
        state = self.account.senders.state(name)
        if state is SenderState.APPROVED:
            return name
        if state is SenderState.PENDING:
            raise Refusal(405, f"Gönderen başlığı onay bekliyor: {name}")
        if state is SenderState.INACTIVE:
            raise Refusal(405, f"Gönderen başlığı pasif: {name}")
        raise Refusal(405, f"Gönderen başlığı tanımlı değil: {name}")

    @staticmethod
    def _expand(template: str, custom: str) -> str:
        """``CustomField1`` ``"KEY:VALUE"``: KEY in the template becomes VALUE, in one pass."""
        key, sep, value = custom.partition(wire.TEMPLATE_SEPARATOR)
        if not sep or not key:
            raise Refusal(400, "CustomField1 şablon alanı '[Alan]:değer' biçiminde olmalı")
        return template.replace(key, value)

    @staticmethod
    def _parts(texts: list[str]) -> list[int]:
        """Bill ``DataCoding "Default"``: GSM 03.38 with the Turkish single-shift
        table (155/149, escape and shift characters count two); other
        characters are refused, and so is a text over ``MAX_PARTS`` parts."""
        from ileti.emulation import gateway_parts

        counted = [gateway_parts(text, "gsm7-tr") for text in texts]
        parts = [n for n in counted if n is not None]
        if len(parts) != len(counted):
            raise Refusal(400, "Mesaj içeriğinde gönderilemeyen karakterler var")
        longest = max(parts)
        if longest > wire.MAX_PARTS:
            raise Refusal(413, f"{_MESSAGES[413]}: {longest} parça, en çok {wire.MAX_PARTS}")
        return parts

    @staticmethod
    def _schedule(value: Any, now: datetime) -> datetime:
        if value is None or value == "":
            return now
        if not isinstance(value, str):
            raise _Serialization("ScheduledDeliveryTime: expected a date")
        when = _gateway_time(value)
        if when is None:
            raise _Serialization("ScheduledDeliveryTime: expected a date")
        return when

    def _credit(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return {"Credit": self.credit, "Status": self._status()}

    def _package(self, payload: Mapping[str, Any]) -> _Package:
        history = _int(_field(payload, "SmsHistoryID"), "SmsHistoryID", default=0)
        package = self.packages.get(history)
        if package is None:
            raise Refusal(404, f"{_MESSAGES[404]}: {history}")
        self.examined += 1
        return package

    def _report(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        page = _int(_field(payload, "StartPage"), "StartPage", default=0)
        size = _int(_field(payload, "PageSize"), "PageSize", default=0)
        package = self._package(payload)
        if size <= 0 or page < 0:
            # documented: PageSize 0 gives HTTP 500 (paging divides by it)
            raise _Crash(500, "DivideByZeroException", "Attempted to divide by zero.")
        now = self.clock.now()
        rows = package.recipients[page * size : (page + 1) * size]
        return {
            "Status": self._status(),
            "State": self._package_state(package, now),
            "TotalCount": len(package.recipients),
            "Details": [self._detail(package, r, now) for r in rows],
        }

    def _start_stop(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        action = _str(_field(payload, "SmsAction"), "SmsAction")
        package = self._package(payload)
        now = self.clock.now()
        if action.casefold() == "stop":
            if package.stopped_at is None:
                if now >= package.start + SENT_AFTER:
                    raise Refusal(400, "Gönderimi başlamış paket durdurulamaz")
                package.stopped_at = now
                self.account.ledger.refund(package.cost)
        elif action.casefold() == "start":
            if package.stopped_at is not None:
                raise Refusal(400, "İptal edilmiş paket yeniden başlatılamaz")
        else:
            raise _Serialization(f"SmsAction: {action!r} is not a known value")
        return {"Status": self._status()}

    # ----------------------------------------------------------------- states

    @staticmethod
    def _package_state(package: _Package, now: datetime) -> int:
        if package.stopped_at is not None:
            return 2  # İptal Edildi
        if now < package.start:
            return 0  # Kuyrukta
        if now < package.start + SENT_AFTER:
            return 3  # Gönderiliyor
        return 1  # Gönderildi

    @staticmethod
    def _detail_state(package: _Package, recipient: _Recipient, now: datetime) -> int:
        if package.stopped_at is not None:
            return 4  # Silinmiş
        progress = delivery_progress(package.start, now, str(recipient.msisdn))
        if progress is DeliveryState.SENT and now >= package.start + SMSC_AFTER:
            return 6  # SMSC tarafından alındı
        return DETAIL_STATES[progress]

    def _detail(self, package: _Package, recipient: _Recipient, now: datetime) -> dict[str, Any]:
        state = self._detail_state(package, recipient, now)
        delivered = package.start + FINAL_AFTER if state == 2 else None
        # datetimes: each codec writes its own form (JSON /Date(...)/, XML ISO-8601)
        return {
            "Msisdn": recipient.msisdn,
            "State": state,
            "SendDate": package.start,
            "DeliveredDate": delivered,
        }
