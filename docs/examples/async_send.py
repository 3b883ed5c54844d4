"""ileti.AsyncClient: many sends from one event loop, a report awaited, and a
cancelled send recorded as DeliveryUnknown instead of being lost."""

from __future__ import annotations

import asyncio

import ileti
from ileti.testing import emulated

unknown: list[ileti.DeliveryUnknown] = []


def remember(error: ileti.DeliveryUnknown) -> None:
    """Called when a send is cancelled after its request may have left:
    store error.client_ref and settle it later (report, provider's panel)."""
    unknown.append(error)


async def main(client: ileti.AsyncClient) -> None:
    numbers = [f"0532111{i:04d}" for i in range(50)]
    results = await asyncio.gather(
        *(client.send(number, "Kampanya başladı", sender="ILETI") for number in numbers)
    )
    print(f"{len(results)} sends accepted, {client.max_in_flight} at a time")
    report = await client.wait_report(
        results[0].message_id or "", deadline=0.5, backoff=ileti.Backoff(first=0.1)
    )
    print("first report:", {r.number: r.state.value for r in report.recipients})
    print("balance:", (await client.balance()).amount)


with emulated("efecell") as em:  # your application: ileti.AsyncClient.from_env("efecell")
    client = ileti.AsyncClient.wrap(em.client, max_in_flight=8, on_unknown=remember)
    asyncio.run(main(client))
    assert len(em.emulator.messages) == 50
    asyncio.run(client.close())
