"""A stateful emulator of the gateway, built from its API document.

The gateway: Frozen v1.

It is a WSGI application (:class:`ileti.emulation.EmulatorBase`): tests serve
it on loopback, the conformance suite gets it from the ``provider_emulator``
hook, and ``ileti emulate`` serves it for people:
``ileti emulate frozen-v1``. What the suite relies on:

- :meth:`FrozenV1Emulator.credentials`: the settings that authenticate
  against it (distinctive values: the suite looks for them in every log);
- ``credit``: falls by ``price_per_part`` for each part and recipient sent;
- ``default_sender``: a sender name the account may use;
- ``documented_errors``: each documented error code and the ileti error a
  client must raise for it; the suite forces each one with
  ``force_error(code)``, and ``error_response(code, request)`` gives the
  gateway's answer for it;
- every SMS accepted is recorded with ``record_message``, with the parts it
  was billed, so the suite compares them with the client's prediction;
- the states follow the virtual clock, by the convention of ileti's
  emulators (:mod:`ileti.emulation.progress`): queued when accepted, sent
  10 s later, final 60 s later: undelivered when the number ends in 9,
  delivered otherwise. :meth:`FrozenV1Emulator.state` maps that progress to
  the gateway's own states (:data:`RAW_STATES`).

It counts parts by the gateway's document (:func:`count_parts`), on its own:
the suite then compares two independent counts, the plugin's and the
gateway's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar

import attrs
from ileti.emulation import (
    BadRequest,
    EmulatedMessage,
    EmulatorBase,
    EmulatorRequest,
    EmulatorResponse,
    VirtualClock,
    changed_at,
    delivery_progress,
    route,
)
from ileti.emulation.counting import DEFAULT_ALPHABET, EXTENSION_TABLE, Alphabet, gateway_parts
from ileti.models import DeliveryState

__all__ = [
    "API_KEY",
    "RAW_STATES",
    "FrozenV1Emulator",
    "count_parts",
]

#: the emulated account's API key (a fake, distinctive value)
API_KEY = "emulator-key-frozen-v1-5b1f0c"

#: wire encoding -> (units in a one-part message, units per part when concatenated)
LIMITS: Mapping[str, tuple[int, int]] = MappingProxyType({"gsm7": (160, 153), "ucs2": (70, 67)})
MAX_PARTS = 6
MAX_RECIPIENTS = 100

#: the gateway's state for each step of a recipient's progress
RAW_STATES: Mapping[DeliveryState, str] = MappingProxyType(
    {
        DeliveryState.QUEUED: "ACCEPTED",
        DeliveryState.SENT: "ENROUTE",
        DeliveryState.DELIVERED: "DELIVRD",
        DeliveryState.UNDELIVERED: "UNDELIV",
    }
)

#: error code -> (HTTP status, the gateway's message)
ERRORS: Mapping[str, tuple[int, str]] = MappingProxyType(
    {
        "unauthorized": (401, "invalid API key"),
        "insufficient_credit": (402, "not enough credit"),
        "forbidden": (403, "not allowed for this account"),
        "account_inactive": (403, "account is not active"),
        "sender_not_allowed": (400, "sender name is not approved"),
        "invalid_number": (400, "invalid number"),
        "too_long": (400, "message too long"),
        "bad_request": (400, "bad request"),
        "not_found": (404, "no such message"),
        "rate_limited": (429, "too many requests"),
        "server_error": (500, "internal error"),
    }
)

_NUMBER = re.compile(r"[1-9][0-9]{7,14}")


#: wire encoding -> how the gateway bills it: the characters each costs one or
#: two units of, and the limits above (GSM 03.38 and UTF-16 code units here;
#: write your gateway's own sets from its document)
ALPHABETS: Mapping[str, Alphabet] = MappingProxyType(
    {
        "gsm7": Alphabet("gsm7", DEFAULT_ALPHABET, EXTENSION_TABLE, *LIMITS["gsm7"]),
        "ucs2": Alphabet("ucs2", None, "", *LIMITS["ucs2"]),
    }
)


def count_parts(text: str, encoding: str) -> int | None:
    """The parts the gateway bills for ``text`` (``None``: it cannot be sent).

    One part up to the single limit; beyond it, parts of the per-part limit
    filled in order, never splitting an escape pair or a surrogate pair.
    Counted with :mod:`ileti.emulation.counting`, apart from ``ileti.text``.
    """
    return gateway_parts(text, ALPHABETS[encoding])


@attrs.define
class Package:
    """One accepted send."""

    message_id: str
    numbers: list[str]  # as on the wire: 905321112233
    sent_at: datetime


class FrozenV1Emulator(EmulatorBase):
    """The Frozen v1 gateway, in memory: one account.

    A test may change :attr:`credit`, :attr:`active` (``False``: every send
    is refused with ``account_inactive``) and :attr:`sender_names`
    (name -> ``approved``, ``pending`` or ``inactive``).
    """

    documented_errors: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "unauthorized": "AuthenticationError",
            "insufficient_credit": "InsufficientCredit",
            "forbidden": "Forbidden",
            "account_inactive": "AccountInactive",
            "sender_not_allowed": "InvalidSender",
            "invalid_number": "InvalidRecipient",
            "too_long": "MessageTooLong",
            "bad_request": "Rejected",
            "not_found": "Rejected",
            "rate_limited": "RateLimited",
            # the suite forces errors on a send: an HTTP 500 there means the message
            # may have been sent, so the core raises DeliveryUnknown
            "server_error": "DeliveryUnknown",
        }
    )
    #: credits per part and recipient
    price_per_part: ClassVar[Decimal] = Decimal(1)
    #: the approved sender name every account starts with
    default_sender: ClassVar[str] = "ILETI"

    def __init__(self, *, clock: VirtualClock | None = None, credit: Decimal | int = 1000) -> None:
        super().__init__(clock=clock)
        self.api_key = API_KEY
        self.credit = Decimal(credit)
        self.active = True
        self.sender_names: dict[str, str] = {
            self.default_sender: "approved",
            "ILETIWAIT": "pending",
            "ILETIOLD": "inactive",
        }
        self.packages: dict[str, Package] = {}
        self._ids = itertools.count(1)

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key}

    def approve_sender(self, name: str) -> None:
        self.sender_names[name] = "approved"

    # -- answers -----------------------------------------------------------------------

    @staticmethod
    def fail(code: str, message: str | None = None) -> EmulatorResponse:
        status, default = ERRORS[code]
        body = {"error": {"code": code, "message": message or default}}
        return EmulatorResponse.json(body, status=status)

    def error_response(self, code: str, request: EmulatorRequest) -> EmulatorResponse:
        return self.fail(code)

    def bad_request(self, error: BadRequest, request: EmulatorRequest) -> EmulatorResponse:
        return self.fail("bad_request", str(error))

    def not_found(self, request: EmulatorRequest) -> EmulatorResponse:
        return self.fail("not_found", f"no such endpoint: {request.path}")

    def _authorised(self, request: EmulatorRequest) -> bool:
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and token.strip() == self.api_key

    def state(self, package: Package, number: str) -> tuple[str, datetime]:
        """A recipient's raw state now, and when it last changed."""
        now = self.clock.now()
        progress = delivery_progress(package.sent_at, now, number)
        return RAW_STATES[progress], changed_at(package.sent_at, now)

    # -- endpoints ---------------------------------------------------------------------

    @route("POST", "/v1/messages")
    def post_messages(self, request: EmulatorRequest) -> EmulatorResponse:
        if not self._authorised(request):
            return self.fail("unauthorized")
        if not self.active:
            return self.fail("account_inactive")
        payload = request.json()
        if not isinstance(payload, dict):
            raise BadRequest("the body must be a JSON object")
        sender = payload.get("from", self.default_sender)
        if not isinstance(sender, str) or self.sender_names.get(sender) != "approved":
            return self.fail("sender_not_allowed")
        numbers = payload.get("to")
        if not isinstance(numbers, list) or not 1 <= len(numbers) <= MAX_RECIPIENTS:
            raise BadRequest(f"'to' must be a list of 1 to {MAX_RECIPIENTS} numbers")
        if not all(isinstance(n, str) and _NUMBER.fullmatch(n) for n in numbers):
            return self.fail("invalid_number")
        text = payload.get("text")
        if not isinstance(text, str) or not text:
            raise BadRequest("'text' must be a non-empty string")
        encoding = payload.get("encoding", "gsm7")
        if encoding not in LIMITS:
            raise BadRequest(f"'encoding' must be one of {', '.join(LIMITS)}")
        reference = payload.get("reference")
        if reference is not None and not isinstance(reference, str):
            raise BadRequest("'reference' must be a string")
        parts = count_parts(text, encoding)
        if parts is None:
            raise BadRequest(f"the text cannot be sent in {encoding}")
        if parts > MAX_PARTS:
            return self.fail("too_long")
        cost = parts * len(numbers) * self.price_per_part
        if cost > self.credit:
            return self.fail("insufficient_credit")
        self.credit -= cost
        package = Package(f"m{next(self._ids)}", list(numbers), self.clock.now())
        self.packages[package.message_id] = package
        for number in numbers:
            self.record_message(
                EmulatedMessage(
                    package_id=package.message_id,
                    recipient="+" + number,
                    text=text,
                    wire_encoding=encoding,
                    parts=parts,
                    sender=sender,
                    client_ref=reference,
                )
            )
        return EmulatorResponse.json({"id": package.message_id, "parts": parts, "cost": cost})

    @route("GET", "/v1/messages/{message_id}")
    def get_message(self, request: EmulatorRequest) -> EmulatorResponse:
        if not self._authorised(request):
            return self.fail("unauthorized")
        package = self.packages.get(request.path_params["message_id"])
        if package is None:
            return self.fail("not_found")
        recipients = []
        for number in package.numbers:
            state, changed = self.state(package, number)
            recipients.append(
                {
                    "to": number,
                    "state": state,
                    "updated": changed.isoformat(),
                    "error": "unreachable" if state == "UNDELIV" else None,
                }
            )
        return EmulatorResponse.json({"id": package.message_id, "recipients": recipients})

    @route("GET", "/v1/balance")
    def get_balance(self, request: EmulatorRequest) -> EmulatorResponse:
        if not self._authorised(request):
            return self.fail("unauthorized")
        return EmulatorResponse.json({"credit": self.credit})

    @route("GET", "/v1/senders")
    def get_senders(self, request: EmulatorRequest) -> EmulatorResponse:
        if not self._authorised(request):
            return self.fail("unauthorized")
        names = [{"name": n, "state": s} for n, s in self.sender_names.items()]
        return EmulatorResponse.json({"senders": names})
