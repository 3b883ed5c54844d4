"""Wait for a delivery report: Client.wait_report polls until every state is final."""

from __future__ import annotations

import ileti
from ileti.testing import emulated


def on_poll(report: ileti.DeliveryReport, polls: int, pause: float | None) -> None:
    tally = {state.value: n for state, n in report.tally().items()}
    print(f"poll {polls}: {tally}", "(last)" if pause is None else "")


with emulated("efecell") as em:  # your application: ileti.Client.from_env("efecell")
    client = em.client
    result = client.send(["05321112233", "05321112239"], "Merhaba", sender="ILETI")

    def advance(report: ileti.DeliveryReport, polls: int, pause: float | None) -> None:
        on_poll(report, polls, pause)
        em.emulator.clock.advance(30)  # the emulator's delivery states move on

    report = client.wait_report(
        result.message_id or "",
        deadline=60,  # seconds (or a timedelta); the last report is returned either way
        backoff=ileti.Backoff(first=0.05, factor=1.5, cap=1),  # default: 2 s, x1.5, 30 s
        on_poll=advance,
    )
    assert report.is_final
    print({r.number: r.state.value for r in report.recipients})
