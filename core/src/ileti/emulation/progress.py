"""How a message progresses in ileti's emulators: the one convention they share.

Every emulator (the gateways' in ``plugins/``, the plugin template's, the
conformance suite's fake) moves each recipient of an accepted message through
the same states, on its :class:`~ileti.emulation.VirtualClock`, counted from
``started`` (when the message was accepted or, if it was scheduled, its
scheduled time):

================================  =========================================
``now``                           :func:`delivery_progress`
================================  =========================================
before ``started``                ``SCHEDULED``
from ``started``                  ``QUEUED``
from ``started + SENT_AFTER``     ``SENT`` (:data:`SENT_AFTER`: 10 s)
from ``started + FINAL_AFTER``    final (:data:`FINAL_AFTER`: 60 s):
                                  ``UNDELIVERED`` when the number's last
                                  digit is 9, else ``DELIVERED``
================================  =========================================

A state never moves back, and a final state never changes. The conformance
suite relies on this ("after 60 virtual seconds every recipient is final,
numbers ending in 9 undelivered"), and so can an application's tests that pick
their numbers accordingly.

An emulator maps the normalised progress to its gateway's raw states in a
table of its own (several normalised states may share one raw state, and a
gateway may split one, e.g. a ``SENT`` that becomes "received by the SMSC" half
way), and stamps its times with :func:`changed_at` or with ``started +
SENT_AFTER`` / ``started + FINAL_AFTER``::

    RAW = {
        DeliveryState.QUEUED: "ACCEPTED",
        DeliveryState.SENT: "ENROUTE",
        DeliveryState.DELIVERED: "DELIVRD",
        DeliveryState.UNDELIVERED: "UNDELIV",
    }
    now = self.clock.now()
    raw = RAW[delivery_progress(package.sent_at, now, number)]
    updated = changed_at(package.sent_at, now)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from ileti.models import DeliveryState

__all__ = ["FINAL_AFTER", "SENT_AFTER", "changed_at", "delivery_progress"]

#: from ``started``, when a recipient is sent (handed to the operator)
SENT_AFTER: Final = timedelta(seconds=10)
#: from ``started``, when a recipient is final (delivered or undelivered)
FINAL_AFTER: Final = timedelta(seconds=60)


def delivery_progress(started: datetime, now: datetime, number: str) -> DeliveryState:
    """The state of the recipient ``number`` at ``now``, by the convention above.

    ``started``: when the message was accepted, or its scheduled time.
    ``number``: as the emulator holds it (E.164 or the gateway's own form);
    only its last character counts (``"9"``: undelivered).
    """
    if now < started:
        return DeliveryState.SCHEDULED
    if now < started + SENT_AFTER:
        return DeliveryState.QUEUED
    if now < started + FINAL_AFTER:
        return DeliveryState.SENT
    return DeliveryState.UNDELIVERED if number.endswith("9") else DeliveryState.DELIVERED


def changed_at(started: datetime, now: datetime) -> datetime:
    """When the state :func:`delivery_progress` gives at ``now`` was reached.

    ``started`` while queued, ``started + SENT_AFTER`` once sent and
    ``started + FINAL_AFTER`` once final; never later than ``now`` except
    before ``started`` (scheduled), where it is ``started``, the first change.
    The same for every number: a message's recipients move together.
    """
    if now < started + SENT_AFTER:
        return started
    if now < started + FINAL_AFTER:
        return started + SENT_AFTER
    return started + FINAL_AFTER
