"""One client shared by many threads; closed by its `with` block."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import ileti
from ileti.testing import emulated

with emulated("efecell") as em:  # your application: ileti.Client.from_env("efecell")
    with (
        ileti.Client(
            "efecell", base_url=em.base_url, sender="ILETI", **em.emulator.credentials()
        ) as client,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        numbers = [f"0532111{i:04d}" for i in range(40)]
        results = list(pool.map(lambda n: client.send(n, "Merhaba"), numbers))
    # the with block closed the client: its connections are released
    assert len({r.message_id for r in results}) == 40
    print(f"{len(results)} sends from 8 threads through one client")
