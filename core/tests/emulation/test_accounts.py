"""The emulation kit's account layer: credentials, ledger, sender book, ids,
refusals, and how EmulatorBase reads an account."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.emulation import (
    Account,
    Credentials,
    EmulatorBase,
    EmulatorRequest,
    EmulatorResponse,
    IdCounter,
    Ledger,
    Refusal,
    SenderBook,
    route,
)
from ileti.models import SenderState

# -- Credentials -----------------------------------------------------------------------


def test_credentials_match_only_every_value_exactly() -> None:
    creds = Credentials(username="user-1", password="parola-xyz")
    assert creds.matches(username="user-1", password="parola-xyz")
    assert not creds.matches(username="user-1", password="parola-xy")
    assert not creds.matches(username="USER-1", password="parola-xyz")
    assert not creds.matches(username="user-1")  # a credential missing
    assert not creds.matches(username="user-1", password=None)
    assert not creds.matches(username="user-1", password=123)


def test_credentials_refuse_a_name_the_account_does_not_have() -> None:
    with pytest.raises(TypeError, match="api_key"):
        Credentials(username="u", password="p").matches(api_key="k")


@given(st.text(min_size=1), st.text())
def test_credentials_match_iff_equal(secret: str, presented: str) -> None:
    assert Credentials(api_key=secret).matches(api_key=presented) is (secret == presented)


def test_credentials_settings_change_and_repr() -> None:
    creds = Credentials(username="u", password="old-secret")
    creds["password"] = "new-secret"
    assert creds.settings() == {"username": "u", "password": "new-secret"}
    assert creds["password"] == "new-secret"
    assert "secret" not in repr(creds)  # values are secrets
    with pytest.raises(KeyError):
        creds["api_key"] = "x"
    with pytest.raises(ValueError, match="non-empty"):
        creds["password"] = ""
    with pytest.raises(ValueError, match="at least one"):
        Credentials()


# -- Ledger ----------------------------------------------------------------------------


def test_a_charge_the_balance_cannot_pay_bills_nothing() -> None:
    ledger = Ledger(Decimal(10), price_per_part=Decimal("0.25"))
    assert ledger.charge(40) == Decimal(10)
    assert ledger.balance == 0
    assert ledger.charge(1) is None
    assert ledger.balance == 0
    ledger.refund(Decimal("0.5"))
    assert ledger.parts_left() == 2


def test_a_postpaid_ledger_always_pays_and_never_moves() -> None:
    ledger = Ledger(Decimal(0), postpaid=True)
    assert ledger.charge(5) == Decimal(5)
    ledger.refund(Decimal(3))
    assert ledger.balance == 0


def test_a_ledger_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="finite"):
        Ledger(Decimal("NaN"))
    with pytest.raises(ValueError, match="price"):
        Ledger(Decimal(1), price_per_part=Decimal(-1))
    with pytest.raises(ValueError, match="from 0"):
        Ledger(Decimal(1)).cost(-1)
    with pytest.raises(ValueError, match="refund"):
        Ledger(Decimal(1)).refund(Decimal(-1))


_money = st.decimals(min_value=0, max_value=10**6, places=2)


@given(_money, _money.filter(lambda p: p > 0), st.lists(st.integers(0, 50), max_size=20))
def test_the_balance_is_what_was_given_less_what_was_charged(
    start: Decimal, price: Decimal, charges: list[int]
) -> None:
    ledger = Ledger(start, price_per_part=price)
    billed = Decimal(0)
    for parts in charges:
        before = ledger.balance
        cost = ledger.charge(parts)
        if cost is None:
            assert ledger.balance == before
            assert parts * price > before
        else:
            assert cost == parts * price
            billed += cost
        assert ledger.balance >= 0
    assert ledger.balance == start - billed
    assert ledger.parts_left() * price <= ledger.balance < (ledger.parts_left() + 1) * price


# -- SenderBook ------------------------------------------------------------------------


def test_a_sender_book_holds_one_state_type() -> None:
    book = SenderBook.starting("ILETI", pending=["WAIT"], inactive=["OLD"])
    book["NEW"] = "approved"  # a state's text is the state
    assert book["NEW"] is SenderState.APPROVED
    assert book.approved() == ["ILETI", "NEW"]
    assert book.state("WAIT") is SenderState.PENDING
    assert book.state("NOPE") is None
    assert book.state(None) is None
    assert not book.is_approved("OLD")
    assert not book.is_approved(42)
    book.approve("OLD")
    assert book.is_approved("OLD")
    assert list(book) == ["ILETI", "WAIT", "OLD", "NEW"]  # order kept
    with pytest.raises(ValueError, match="maybe"):
        book["X"] = "maybe"
    with pytest.raises(ValueError, match="sender name"):
        book[""] = SenderState.APPROVED
    del book["NEW"]
    assert len(book) == 3


# -- IdCounter and Refusal -------------------------------------------------------------


def test_ids_count_up_and_pass_over_taken_ones() -> None:
    ids = IdCounter(7, template="m{}")
    assert next(ids) == 7
    assert ids.new() == "m8"
    assert ids.new(taken={"m9", "m10"}) == "m11"
    with pytest.raises(ValueError, match="template"):
        IdCounter(template="m")


@given(st.lists(st.sampled_from(["new", "next"]), max_size=30), st.sets(st.integers(1, 40)))
def test_ids_are_never_given_twice_nor_taken(calls: list[str], taken_numbers: set[int]) -> None:
    ids = IdCounter(1)
    taken = {str(n) for n in taken_numbers}
    given_out: list[str] = []
    for call in calls:
        given_out.append(ids.new(taken) if call == "new" else str(next(ids)))
    assert len(set(given_out)) == len(given_out)
    assert not {g for g, c in zip(given_out, calls, strict=True) if c == "new"} & taken


def test_a_refusal_carries_the_gateway_code_and_text() -> None:
    refusal = Refusal(402, "Yetersiz kredi")
    assert (refusal.code, refusal.text, str(refusal)) == (402, "Yetersiz kredi", "Yetersiz kredi")
    assert str(Refusal("-5")) == "-5"


# -- EmulatorBase and an account -------------------------------------------------------


class _Accounted(EmulatorBase):
    documented_errors: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"-2": "InsufficientCredit", "-5": "AuthenticationError"}
    )
    default_sender: ClassVar[str] = "ILETI"

    def __init__(self) -> None:
        super().__init__()
        self.account = Account(
            Credentials(api_key="key-123456"),
            Ledger(Decimal(3)),
            SenderBook.starting(self.default_sender),
        )

    def error_response(self, code: str, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.text(f"ERR {code}", status=400)

    @route("POST", "/send")
    def send(self, request: EmulatorRequest) -> EmulatorResponse:
        if not self.account.credentials.matches(api_key=request.header("x-key")):
            raise Refusal("-5")
        if self.account.ledger.charge(2) is None:
            raise Refusal("-2")
        return EmulatorResponse.text("OK")


def test_the_base_reads_credit_credentials_and_senders_from_the_account() -> None:
    emulator = _Accounted()
    assert emulator.credentials() == {"api_key": "key-123456"}
    assert emulator.credit == Decimal(3)
    emulator.configure(senders=["YENI"], credit=10)
    assert emulator.account.ledger.balance == Decimal(10)
    assert emulator.account.senders.approved() == ["ILETI", "YENI"]
    emulator.credit = Decimal(4)
    assert emulator.account.ledger.balance == Decimal(4)


def test_a_refusal_raised_in_a_handler_is_the_gateway_answer_for_its_code() -> None:
    emulator = _Accounted()
    wrong = emulator.handle(EmulatorRequest("POST", "/send", headers={"x-key": "nope"}))
    assert (wrong.status, wrong.body) == (400, b"ERR -5")
    sent = [
        emulator.handle(EmulatorRequest("POST", "/send", headers={"x-key": "key-123456"}))
        for _ in range(2)
    ]
    assert [r.body for r in sent] == [b"OK", b"ERR -2"]
    assert emulator.credit == Decimal(1)


def test_an_emulator_without_an_account_keeps_its_own_credit() -> None:
    class Bare(EmulatorBase):
        def __init__(self) -> None:
            super().__init__()
            self.credit = Decimal(5)

    bare = Bare()
    bare.set_credit(Decimal(7))
    assert bare.credit == Decimal(7)
    with pytest.raises(NotImplementedError):
        bare.credentials()
    with pytest.raises(NotImplementedError):
        bare.approve_sender("X")
    with pytest.raises(AttributeError, match="no credit"):
        _ = EmulatorBase().credit
