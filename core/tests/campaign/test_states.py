"""The state machine: one table, and one rule for failed requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti import errors
from ileti.campaign.states import (
    TRANSITIONS,
    Event,
    FailureOutcome,
    IllegalTransition,
    RowState,
    after_failure,
    check,
)

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "guide" / "campaigns.md"


def test_the_guide_shows_exactly_the_code_s_transitions() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    table = text.split("| event | from | to | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([a-z, ]+) \| (\w+) \| (.+) \|$", table, re.MULTILINE)
    documented = {
        Event(event): (frozenset(RowState(s.strip()) for s in sources.split(",")), RowState(to))
        for event, sources, to, _ in rows
    }
    assert documented == {e: (t.sources, t.target) for e, t in TRANSITIONS.items()}


@given(st.sampled_from(list(Event)), st.sampled_from(list(RowState)))
def test_a_move_is_allowed_only_from_its_sources(event: Event, source: RowState) -> None:
    move = TRANSITIONS[event]
    if source in move.sources:
        assert check(event, source) is move.target
    else:
        with pytest.raises(IllegalTransition):
            check(event, source)


def test_only_the_gateway_or_the_user_returns_a_row_that_may_have_been_sent() -> None:
    back_to_pending = {e for e, t in TRANSITIONS.items() if t.target is RowState.PENDING}
    for event in back_to_pending:
        assert RowState.UNKNOWN not in TRANSITIONS[event].sources or event in (
            Event.SETTLED_ABSENT,
            Event.USER_NOT_SENT,
        )
    # a claimed row goes back to pending only when nothing was sent
    assert TRANSITIONS[Event.RELEASED].sources == {RowState.CLAIMED}
    # nothing leaves a final state
    for t in TRANSITIONS.values():
        assert not t.sources & {RowState.ACCEPTED, RowState.REJECTED, RowState.INVALID}


ERROR_CLASSES = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.IletiError)
]


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_has_an_outcome_and_only_proof_frees_a_row(cls: type) -> None:
    exc = cls("x")
    outcome = after_failure(exc)
    if cls in (errors.DeliveryUnknown, errors.IletiError, errors.MalformedResponse):
        assert outcome is FailureOutcome.UNKNOWN
    else:
        # every other class in the tree is raised only when nothing was sent
        assert outcome is not FailureOutcome.UNKNOWN


def test_an_unexpected_exception_is_unknown() -> None:
    assert after_failure(KeyError("x")) is FailureOutcome.UNKNOWN
    assert after_failure(errors.RateLimited("x")) is FailureOutcome.SLOW_DOWN
    assert after_failure(errors.InsufficientCredit("x")) is FailureOutcome.PAUSE
    assert after_failure(errors.Rejected("x")) is FailureOutcome.REJECTED
