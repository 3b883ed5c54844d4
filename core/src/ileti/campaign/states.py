"""The campaign state machine: every row's state and every move it may make.

This module is the one place the exactly-once rule is written down. The
stores apply these transitions (a row moves only from a state the table
allows), the engine decides which transition an event is, and the docs'
table (docs/guide/campaigns.md) is checked against :data:`TRANSITIONS` by
the tests.

::

    pending --claim (committed before the request leaves)--> claimed
    claimed --gateway accepted--> accepted
    claimed --gateway refused the recipient (nothing sent)--> rejected
    claimed --nothing left / refused as a whole (credit, auth, rate)--> pending
    claimed --may have left (timeout, reset, 5xx, junk, crash)--> unknown
    unknown --settled: the gateway has no such message--> pending
    unknown --settled: the gateway has it--> accepted
    unknown --the user checked and decides--> accepted | pending
    pending | unknown --campaign cancelled--> cancelled
    (refused before any request: bad number, too long) --> invalid

A row is sent only from ``claimed``, and a row becomes ``claimed`` only from
``pending`` in a transaction committed before its request leaves. A row
that may have been sent is never ``pending`` again unless the gateway (or
the user) says it was not.
"""

from __future__ import annotations

import enum

import attrs

from ileti.errors import (
    AccountInactive,
    AuthenticationError,
    ConfigurationError,
    DeliveryUnknown,
    Forbidden,
    IletiError,
    InsufficientCredit,
    InvalidSender,
    NotSupported,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    TransportError,
    ValidationError,
)

__all__ = [
    "FINAL_STATES",
    "TRANSITIONS",
    "Event",
    "FailureOutcome",
    "RowState",
    "after_failure",
    "check",
]


class RowState(enum.StrEnum):
    """Where a campaign row stands. See the module docstring for the moves."""

    PENDING = "pending"
    CLAIMED = "claimed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    INVALID = "invalid"
    CANCELLED = "cancelled"


class Event(enum.StrEnum):
    """What happens to a row; each event is one transition of the table."""

    CLAIM = "claim"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    RELEASED = "released"
    MAY_HAVE_LEFT = "may_have_left"
    SETTLED_ABSENT = "settled_absent"
    SETTLED_PRESENT = "settled_present"
    USER_SENT = "user_sent"
    USER_NOT_SENT = "user_not_sent"
    CANCEL = "cancel"


@attrs.frozen
class Transition:
    event: Event
    sources: frozenset[RowState]
    target: RowState
    meaning: str


def _t(event: Event, sources: tuple[RowState, ...], target: RowState, meaning: str) -> Transition:
    return Transition(event, frozenset(sources), target, meaning)


S = RowState
#: every move a row can make, in the order the docs list them
TRANSITIONS: dict[Event, Transition] = {
    t.event: t
    for t in (
        _t(
            Event.CLAIM,
            (S.PENDING,),
            S.CLAIMED,
            "a worker takes the row; committed before its request leaves",
        ),
        _t(Event.ACCEPTED, (S.CLAIMED,), S.ACCEPTED, "the gateway accepted the recipient"),
        _t(
            Event.REFUSED,
            (S.CLAIMED,),
            S.REJECTED,
            "the gateway refused the recipient or the request as invalid: nothing was sent",
        ),
        _t(
            Event.RELEASED,
            (S.CLAIMED,),
            S.PENDING,
            "nothing left, or the gateway refused the whole request for a reason that can "
            "pass (credit, authentication, rate limit, unavailable): sent again later",
        ),
        _t(
            Event.MAY_HAVE_LEFT,
            (S.CLAIMED,),
            S.UNKNOWN,
            "the request may have left (timeout, reset, 5xx, unreadable answer) or the "
            "process died while the row was claimed",
        ),
        _t(
            Event.SETTLED_ABSENT,
            (S.UNKNOWN,),
            S.PENDING,
            "the gateway's report proves it has no such message: safe to send",
        ),
        _t(
            Event.SETTLED_PRESENT,
            (S.UNKNOWN,),
            S.ACCEPTED,
            "the gateway's report shows the message: it was sent",
        ),
        _t(
            Event.USER_SENT,
            (S.UNKNOWN,),
            S.ACCEPTED,
            "the user checked with the provider and says it was sent",
        ),
        _t(
            Event.USER_NOT_SENT,
            (S.UNKNOWN,),
            S.PENDING,
            "the user checked with the provider and says it was not sent",
        ),
        _t(
            Event.CANCEL,
            (S.PENDING, S.UNKNOWN),
            S.CANCELLED,
            "the campaign was cancelled: the row will not be sent by ileti",
        ),
    )
}

#: states no campaign run changes any more
FINAL_STATES = frozenset({S.ACCEPTED, S.REJECTED, S.INVALID, S.CANCELLED})


class IllegalTransition(IletiError):
    """A move the state machine does not allow (a bug, never user input)."""


def check(event: Event, source: RowState) -> RowState:
    """The state ``event`` moves a row in ``source`` to, or ``IllegalTransition``."""
    move = TRANSITIONS[event]
    if source not in move.sources:
        raise IllegalTransition(
            f"a {source.value} row cannot take the event {event.value!r} "
            f"(allowed from: {', '.join(sorted(s.value for s in move.sources))})"
        )
    return move.target


class FailureOutcome(enum.Enum):
    """What a failed request means for the rows it carried."""

    #: the request may have left: rows become ``unknown``
    UNKNOWN = "unknown"
    #: nothing was sent and every row is refused for good: rows become ``rejected``
    REJECTED = "rejected"
    #: nothing was sent; slow down and send the rows again: back to ``pending``
    SLOW_DOWN = "slow_down"
    #: nothing was sent; the whole campaign must stop until the user acts
    #: (credit, credentials, sender, the network): back to ``pending``, campaign paused
    PAUSE = "pause"


def after_failure(exc: BaseException) -> FailureOutcome:
    """The one rule for a request that raised: what its rows become.

    Only an error that proves nothing was sent lets a row go back to
    ``pending``; everything else (``DeliveryUnknown``, an unreadable answer,
    an unexpected error) is ``unknown`` and is settled before any resend.
    """
    if isinstance(exc, DeliveryUnknown):
        return FailureOutcome.UNKNOWN
    if isinstance(exc, RateLimited):
        return FailureOutcome.SLOW_DOWN
    if isinstance(
        exc,
        AuthenticationError
        | InsufficientCredit
        | AccountInactive
        | Forbidden
        | ProviderUnavailable
        | InvalidSender
        | NotSupported
        | ConfigurationError
        | TransportError,
    ):
        return FailureOutcome.PAUSE
    if isinstance(exc, ValidationError | ProviderError):
        return FailureOutcome.REJECTED
    return FailureOutcome.UNKNOWN
