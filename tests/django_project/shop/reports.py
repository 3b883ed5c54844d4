"""What the application does with delivery reports a gateway pushes."""

from __future__ import annotations

import ileti

#: the reports received so far (an application would update its own models)
received: list[ileti.DeliveryReport] = []


def on_reports(reports: list[ileti.DeliveryReport]) -> None:
    received.extend(reports)
