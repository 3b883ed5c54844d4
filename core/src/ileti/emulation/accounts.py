"""The account layer every emulator repeats: who may call, what it pays with,
which sender names it may use, the ids it hands out, and how it refuses.

An emulator holds one :class:`Account` (``self.account``) and keeps only its
gateway's own terms beside it: the wire codes and texts of its refusals, how
its answers write a sender's state, its id formats::

    self.account = Account(
        Credentials(api_key="emulator-key-acme-5b1f0c"),
        Ledger(Decimal(1000), price_per_part=Decimal(1)),
        SenderBook.starting(self.default_sender, pending=["ACMEWAIT"]),
    )
    ...
    if not self.account.credentials.matches(api_key=key):
        raise Refusal("unauthorized")
    if self.account.ledger.charge(parts * len(numbers)) is None:
        raise Refusal("insufficient_credit")

:class:`~ileti.emulation.EmulatorBase` reads the account for what every
emulator shares: ``credit`` is the ledger's balance, ``credentials()`` the
credentials' settings, ``approve_sender(name)`` approves in the sender book.

Standard library and ``attrs`` only.
"""

from __future__ import annotations

import hmac
from collections.abc import Container, Iterable, Iterator, Mapping, MutableMapping
from decimal import Decimal
from typing import Generic, TypeVar

import attrs

from ileti.models import SenderState

__all__ = ["Account", "Credentials", "IdCounter", "Ledger", "Refusal", "SenderBook"]

C = TypeVar("C")


class Refusal(Exception, Generic[C]):
    """A request the emulated gateway refuses, in its own terms.

    Raise it anywhere below a handler; the handler (or the emulator's one
    ``except Refusal``) writes the gateway's answer for it. ``code`` is the
    gateway's own (a number, a code word, or its error text where it has no
    codes; usually a key of ``documented_errors``), ``text`` the message it
    answers with (empty: the emulator's text for the code).
    """

    def __init__(self, code: C, text: str = "") -> None:
        super().__init__(code, text)
        self.code = code
        self.text = text

    def __str__(self) -> str:
        return self.text or str(self.code)


class Credentials:
    """The secrets an emulated account authenticates with, each by the name of
    the client setting that carries it (``username``, ``api_key`` ...).

    ``settings()`` is what ``credentials()`` hands a client; :meth:`matches`
    checks what a request presented, in constant time.
    """

    def __init__(self, **secrets: str) -> None:
        if not secrets:
            raise ValueError("an account has at least one credential")
        for name, value in secrets.items():
            _check_secret(name, value)
        self._secrets = dict(secrets)

    def __getitem__(self, name: str) -> str:
        return self._secrets[name]

    def __setitem__(self, name: str, value: str) -> None:
        """Change a credential the account has (a password change)."""
        if name not in self._secrets:
            raise KeyError(f"the account has no credential {name!r}")
        _check_secret(name, value)
        self._secrets[name] = value

    def settings(self) -> dict[str, str]:
        """Setting name -> value: what authenticates a client against the account."""
        return dict(self._secrets)

    def matches(self, **presented: object) -> bool:
        """Whether a request presented every credential of the account, each
        equal to the account's (compared in constant time). A value that is not
        text, or is missing, never matches.

        Raises:
            TypeError: ``presented`` names a credential the account does not
                have (an emulator's mistake, not a client's).
        """
        unknown = sorted(presented.keys() - self._secrets.keys())
        if unknown:
            raise TypeError(f"the account has no credential(s) {unknown}")
        same = True
        for name, expected in self._secrets.items():
            given = presented.get(name)
            if not isinstance(given, str):
                same = False
                continue
            same &= hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
        return same

    def __repr__(self) -> str:
        # the values are secrets: a repr shows the names only
        return f"Credentials({', '.join(sorted(self._secrets))})"


def _check_secret(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"the credential {name!r} is non-empty text")


def _balance(value: Decimal | int | str) -> Decimal:
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"a balance is a finite number, not {value!r}")
    return amount


@attrs.define
class Ledger:
    """An account's balance and what one SMS part costs from it.

    ``balance`` is in the unit the gateway's balance answer shows (SMS credits,
    or money); ``price_per_part`` is what one part to one recipient costs in
    that unit. A ``postpaid`` (invoiced) ledger pays every charge and its
    balance does not move.
    """

    balance: Decimal = attrs.field(converter=_balance)
    price_per_part: Decimal = attrs.field(default=Decimal(1), converter=_balance)
    postpaid: bool = False

    def __attrs_post_init__(self) -> None:
        if self.price_per_part < 0:
            raise ValueError(f"a price is not negative, got {self.price_per_part}")

    def cost(self, parts: int) -> Decimal:
        """What ``parts`` parts (parts x recipients) cost."""
        if parts < 0:
            raise ValueError(f"parts are counted from 0, got {parts}")
        return parts * self.price_per_part

    def charge(self, parts: int) -> Decimal | None:
        """Bill ``parts`` parts: the cost billed, or ``None`` (nothing billed)
        when the balance cannot pay for all of them."""
        cost = self.cost(parts)
        if self.postpaid:
            return cost
        if cost > self.balance:
            return None
        self.balance -= cost
        return cost

    def refund(self, amount: Decimal) -> None:
        """Give ``amount`` back (a cancelled or undelivered message)."""
        if amount < 0:
            raise ValueError(f"a refund is not negative, got {amount}")
        if not self.postpaid:
            self.balance += amount

    def parts_left(self) -> int:
        """How many parts the balance still pays for (0 when none; a free
        price: as many as the balance's whole units)."""
        if self.balance <= 0:
            return 0
        if self.price_per_part == 0:
            return int(self.balance)
        return int(self.balance // self.price_per_part)


class SenderBook(MutableMapping[str, SenderState]):
    """The sender names an account holds, each in one :class:`~ileti.models.SenderState`.

    A mapping (name -> state) kept in the order names were added; a state may
    be given as its text (``"approved"``). Only an approved name may send;
    each emulator writes the states in its gateway's own form.
    """

    def __init__(self, states: Mapping[str, SenderState | str] | None = None) -> None:
        self._states: dict[str, SenderState] = {}
        for name, state in (states or {}).items():
            self[name] = state

    @classmethod
    def starting(
        cls, default: str, *, pending: Iterable[str] = (), inactive: Iterable[str] = ()
    ) -> SenderBook:
        """A book with ``default`` approved, and names waiting or switched off."""
        book = cls({default: SenderState.APPROVED})
        for name in pending:
            book[name] = SenderState.PENDING
        for name in inactive:
            book[name] = SenderState.INACTIVE
        return book

    def __getitem__(self, name: str) -> SenderState:
        return self._states[name]

    def __setitem__(self, name: str, state: SenderState | str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a sender name is non-empty text, not {name!r}")
        self._states[name] = SenderState(state)

    def __delitem__(self, name: str) -> None:
        del self._states[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)

    def approve(self, name: str) -> None:
        """Approve ``name`` (added if new)."""
        self[name] = SenderState.APPROVED

    def state(self, name: object) -> SenderState | None:
        """The state of ``name``; ``None`` for a name the account does not hold
        (or a value that is not a name at all)."""
        return self._states.get(name) if isinstance(name, str) else None

    def is_approved(self, name: object) -> bool:
        """Whether ``name`` may send."""
        return self.state(name) is SenderState.APPROVED

    def approved(self) -> list[str]:
        """The approved names, in the order they were added."""
        return [n for n, s in self._states.items() if s is SenderState.APPROVED]

    def __repr__(self) -> str:
        return f"SenderBook({self._states!r})"


class IdCounter:
    """The ids an emulator hands out: whole numbers counting up from ``start``.

    ``next(counter)`` gives the next number; :meth:`new` the next id as text
    (written with ``template``), passing over ids already ``taken`` (for
    instance ids a client chose itself).
    """

    def __init__(self, start: int = 1, template: str = "{}") -> None:
        if "{}" not in template:
            raise ValueError(f"an id template holds '{{}}', got {template!r}")
        self._next = start
        self.template = template

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        number = self._next
        self._next += 1
        return number

    def new(self, taken: Container[str] = ()) -> str:
        """The next id as text, never one in ``taken``."""
        while True:
            ident = self.template.format(next(self))
            if ident not in taken:
                return ident

    def __repr__(self) -> str:
        return f"IdCounter(next={self._next}, template={self.template!r})"


@attrs.define
class Account:
    """One emulated gateway account.

    Attributes:
        credentials: what authenticates a client.
        ledger: its balance and price.
        senders: its sender names and their states.
        active: ``False``: the gateway answers that the account is inactive
            (each emulator decides which calls it refuses).
    """

    credentials: Credentials
    ledger: Ledger
    senders: SenderBook = attrs.field(factory=SenderBook)
    active: bool = True
