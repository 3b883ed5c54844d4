"""Shared toolkit for gateway emulators and for testing clients against them.

- :class:`VirtualClock`: time that moves only when a test says so.
- :class:`EmulatorBase` and :func:`route`: write a stateful WSGI emulator.
- :func:`serve`: run any WSGI app on a loopback port in a background thread.
- :class:`FaultProxy`: put hangs, resets, 5xx, HTML, garbage, truncated and
  dripping answers between a client and an emulator.
- :class:`Account` (:class:`Credentials`, :class:`Ledger`, :class:`SenderBook`),
  :class:`IdCounter` and :class:`Refusal`: the account layer every emulator
  shares (:mod:`ileti.emulation.accounts`).
- :func:`delivery_progress`, :func:`changed_at`, :data:`SENT_AFTER` and
  :data:`FINAL_AFTER`: the delivery states every emulator follows
  (:mod:`ileti.emulation.progress` states the convention).
- :func:`gateway_parts`, :class:`Alphabet`, :func:`is_default_alphabet`:
  counting parts as a gateway's document says, apart from :mod:`ileti.text`
  (:mod:`ileti.emulation.counting`).

Standard library and ``attrs`` only; nothing here imports urllib3.
"""

from __future__ import annotations

from ileti.emulation.accounts import Account, Credentials, IdCounter, Ledger, Refusal, SenderBook
from ileti.emulation.clock import VirtualClock
from ileti.emulation.counting import (
    ALPHABETS,
    DEFAULT_ALPHABET,
    EXTENSION_TABLE,
    Alphabet,
    gateway_parts,
    is_default_alphabet,
)
from ileti.emulation.faults import Fault, FaultLike, FaultProxy, FaultSpec
from ileti.emulation.progress import FINAL_AFTER, SENT_AFTER, changed_at, delivery_progress
from ileti.emulation.server import ServedApp, free_port, refused_url, serve
from ileti.emulation.wsgi import (
    BadRequest,
    EmulatedMessage,
    EmulatorBase,
    EmulatorRequest,
    EmulatorResponse,
    route,
)

__all__ = [
    "ALPHABETS",
    "DEFAULT_ALPHABET",
    "EXTENSION_TABLE",
    "FINAL_AFTER",
    "SENT_AFTER",
    "Account",
    "Alphabet",
    "BadRequest",
    "Credentials",
    "EmulatedMessage",
    "EmulatorBase",
    "EmulatorRequest",
    "EmulatorResponse",
    "Fault",
    "FaultLike",
    "FaultProxy",
    "FaultSpec",
    "IdCounter",
    "Ledger",
    "Refusal",
    "SenderBook",
    "ServedApp",
    "VirtualClock",
    "changed_at",
    "delivery_progress",
    "free_port",
    "gateway_parts",
    "is_default_alphabet",
    "refused_url",
    "route",
    "serve",
]
