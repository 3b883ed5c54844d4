from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.errors import InvalidSender, MalformedResponse
from ileti.models import DeliveryReport, DeliveryState, RecipientReport, RecipientResult, Sender
from ileti.numbers import validate_sender


@pytest.mark.parametrize(
    "build",
    [
        lambda: Sender(""),
        lambda: Sender("  "),
        lambda: RecipientResult("", accepted=True),
        lambda: RecipientReport("", DeliveryState.SENT, "1"),
        lambda: DeliveryReport(provider="p", message_id="", recipients=()),
    ],
)
def test_models_refuse_empty_identifiers(build: Callable[[], object]) -> None:
    with pytest.raises(MalformedResponse, match="non-empty"):
        build()


def test_states_never_move_backwards_by_rank() -> None:
    order = [DeliveryState.SCHEDULED, DeliveryState.QUEUED, DeliveryState.SENT]
    assert [s.rank for s in order] == sorted(s.rank for s in order)
    assert all(s.rank > DeliveryState.SENT.rank for s in DeliveryState if s.is_final)
    assert not DeliveryState.SENT.is_final
    assert not DeliveryState.UNKNOWN.is_final


@given(st.one_of(st.text(max_size=20), st.from_regex(r"[A-Z0-9 .&_-]{1,14}", fullmatch=True)))
def test_a_sender_read_from_a_gateway_follows_the_rule_every_send_checks(name: str) -> None:
    """Property: ``Sender(name)`` exists exactly when a send could use the
    name (:func:`validate_sender`); any other name is an unreadable answer."""
    try:
        validate_sender(name)
    except InvalidSender:
        with pytest.raises(MalformedResponse):
            Sender(name)
    else:
        assert Sender(name).name == name


@pytest.mark.parametrize("line", ["<!DOCTYPE html>", "<title>Login</title>", "Bakımdayız", "OK"])
def test_lines_of_a_page_are_no_sender(line: str) -> None:
    with pytest.raises(MalformedResponse, match="no gateway can mean"):
        Sender(line)
