"""An emulator's work per request does not grow with the messages it has accepted.

Counted, never timed: every emulator adds to ``examined`` each stored package
or message it looks at (``ileti.emulation.EmulatorBase.examined``). A client
sends one message a virtual second and asks for its report; the most work any
one of those requests took must be the same after many sends as after a few.
(Before the fix, Efecell looked at every package on every request: its peak
grew with the number sent.)
"""

from __future__ import annotations

from typing import Any

import pytest

from ileti.emulation import VirtualClock
from ileti.testing import emulated

PROVIDERS = ("efecell", "ekomesaj", "innomobil", "kobikom", "modexi")
EXTRA: dict[str, dict[str, Any]] = {"kobikom": {"report_store": ":memory:"}}


def peak_work(provider: str, sends: int) -> int:
    """The most stored items one send-and-report looked at, over ``sends`` of them."""
    clock = VirtualClock()
    peak = 0
    with emulated(provider, clock=clock, **EXTRA.get(provider, {})) as em:
        sender = em.emulator.default_sender
        for i in range(sends):
            before = em.emulator.examined
            result = em.client.send(f"+90532{i:07d}", "Merhaba", sender=sender)
            em.client.report(result.message_id)
            peak = max(peak, em.emulator.examined - before)
            clock.advance(1)  # some packages become final while others are sent
    return peak


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_work_of_a_request_does_not_grow_with_what_was_sent(provider: str) -> None:
    # past FINAL_AFTER (60 s) in both runs: packages settle while others are sent
    few = peak_work(provider, 70)
    many = peak_work(provider, 240)
    assert few >= 1  # the count is kept: a report looks at its package
    assert many <= few
