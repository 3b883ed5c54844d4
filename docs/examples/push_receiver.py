"""Delivery reports pushed by the gateway: Kobikom's emulator pushes each state
change to a PushReceiver served on loopback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import ileti
from ileti.emulation import serve
from ileti.push import PushReceiver, new_token
from ileti.testing import emulated


def on_reports(reports: list[ileti.DeliveryReport]) -> None:
    """The application's handler: update its own records."""
    for report in reports:
        for r in report.recipients:
            print(f"{report.message_id}: {r.number} is {r.state.value}")


token = new_token()  # keep it secret: it authenticates the gateway's pushes
with tempfile.TemporaryDirectory() as folder:
    store = str(Path(folder) / "kobikom-reports.sqlite3")
    with emulated("kobikom", report_store=store) as em:
        receiver = PushReceiver(em.client, on_reports, token=token)
        with serve(receiver.wsgi) as site:  # in production: mount receiver.wsgi or .asgi
            push_url = receiver.url(site.base_url + "/sms/push")
            client = ileti.Client(
                "kobikom",
                base_url=em.base_url,
                report_store=store,
                push_url=push_url,  # or ILETI_KOBIKOM_PUSH_URL
                **em.emulator.credentials(),
            )
            result = client.send(["05321112233", "05321112239"], "Merhaba", sender="ILETI")
            em.emulator.clock.advance(3600)  # an hour later...
            pushed = em.emulator.push_reports()  # ...the gateway pushes (ileti emulate: by itself)
            assert pushed == 2
            assert client.report(result.message_id or "").is_final  # kept for report() too
            client.close()
