from __future__ import annotations

from collections.abc import Callable

import pytest

from ileti.errors import MalformedResponse
from ileti.models import DeliveryReport, DeliveryState, RecipientReport, RecipientResult, Sender


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
