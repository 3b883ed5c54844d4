"""Campaign rows/s on Celery workers (PostgreSQL store, Redis broker) against
one process on the SQLite store, side by side in one run.

Not a pytest test. Run from the repository root::

    .venv/bin/python tests/benchmarks/bench_celery.py [--rows 20000] [--workers 1,2,4]

It uses the servers in ``ILETI_TEST_POSTGRES`` and ``ILETI_TEST_REDIS``, or
starts its own with ``.ci/services`` (and stops them). The Efecell emulator
runs in a process of its own on loopback. For each configuration a fresh
campaign of ``--rows`` personalised rows is created and imported first; the
clock runs from the first request to the last row recorded (no throttle):

* **sqlite, 1 process**: ``campaign.run(workers=4)`` on the SQLite store,
  the embedded default;
* **postgresql, 1 process**: the same on the PostgreSQL store;
* **celery, N workers**: ``enqueue(campaign, app)`` and N
  ``celery -A ileti_celery.worker worker --pool=solo`` processes, one task
  (one chunk, one request) at a time each.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "Sayin {name}, siparisiniz {code} kargoya verildi."

EMULATOR = r"""
import sys
from decimal import Decimal
from ileti import host
from ileti.emulation import VirtualClock, serve
em = host.load_provider("efecell").plugin.provider_emulator(clock=VirtualClock())
em.credit = Decimal(10**12)
em.approve_sender("ILETI")
with serve(em) as srv:
    print(srv.base_url, em.credentials()["api_key"], flush=True)
    sys.stdin.read()
"""


def _services() -> tuple[dict[str, str], bool]:
    if os.environ.get("ILETI_TEST_POSTGRES") and os.environ.get("ILETI_TEST_REDIS"):
        return dict(os.environ), False
    out = subprocess.run(
        [str(ROOT / ".ci/services"), "start"], check=True, capture_output=True, text=True
    ).stdout
    env = dict(os.environ)
    for line in out.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value
    return env, True


def _rows(n: int) -> list[dict[str, str]]:
    return [{"to": f"0532{i:07d}", "name": f"Ali {i}", "code": f"K{i:06d}"} for i in range(n)]


def _wait(store: object, campaign_id: str) -> None:
    from ileti.campaign.engine import read_status

    while not read_status(store, campaign_id).finished:  # type: ignore[arg-type]
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    env, started = _services()
    emulator = subprocess.Popen(
        [sys.executable, "-c", EMULATOR], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert emulator.stdout is not None
    base_url, key = emulator.stdout.readline().split()
    os.environ.update({"ILETI_EFECELL_API_KEY": key, "ILETI_EFECELL_BASE_URL": base_url})
    from ileti_celery import WORKER_COMMAND, enqueue, make_app
    from ileti_postgres import temporary_schema

    from ileti.campaign.store import open_store
    from ileti.client import Client

    results: list[tuple[str, float]] = []
    try:
        with Client.from_env("efecell", pool_size=4) as client, contextlib.ExitStack() as schemas:
            for kind in ("sqlite", "postgresql"):
                if kind == "sqlite":
                    folder = Path(os.environ.get("TMPDIR", "/tmp"))
                    store_url = str(folder / f"bench-{secrets.token_hex(4)}" / "c.db")
                else:
                    store_url = schemas.enter_context(
                        temporary_schema(env["ILETI_TEST_POSTGRES"], "bench")
                    )
                campaign = client.campaign(
                    _rows(args.rows), template=TEMPLATE, sender="ILETI", store=store_url
                )
                campaign.import_rows()
                start = time.perf_counter()
                campaign.run(workers=4)
                results.append((f"{kind}, 1 process (4 threads)", time.perf_counter() - start))
            broker = env["ILETI_TEST_REDIS"].rsplit("/", 1)[0] + "/5"
            for n in counts:
                store_url = schemas.enter_context(
                    temporary_schema(env["ILETI_TEST_POSTGRES"], "bench")
                )
                campaign = client.campaign(
                    _rows(args.rows), template=TEMPLATE, sender="ILETI", store=store_url
                )
                campaign.import_rows()
                worker_env = {
                    **env,
                    "ILETI_EFECELL_API_KEY": key,
                    "ILETI_EFECELL_BASE_URL": base_url,
                    "ILETI_CELERY_BROKER": broker,
                    "ILETI_CAMPAIGN_STORE": store_url,
                }
                procs = [
                    subprocess.Popen(
                        [
                            *WORKER_COMMAND,
                            "--loglevel=ERROR",
                            f"--hostname=b{i}-{secrets.token_hex(3)}@%h",
                        ],
                        env=worker_env,
                        start_new_session=True,
                    )
                    for i in range(n)
                ]
                try:
                    time.sleep(3)  # the workers start and connect before the clock
                    store = open_store(store_url)
                    start = time.perf_counter()
                    enqueue(campaign, make_app(broker))
                    _wait(store, campaign.id)
                    results.append((f"celery, {n} worker(s)", time.perf_counter() - start))
                    store.close()
                finally:
                    for p in procs:
                        os.killpg(p.pid, signal.SIGTERM)
                    for p in procs:
                        p.wait(30)
    finally:
        emulator.kill()
        if started:
            subprocess.run([str(ROOT / ".ci/services"), "stop"], check=False)

    base = args.rows / results[0][1]
    print(f"\n{args.rows} rows, {os.cpu_count()} cores\n")
    print(f"{'configuration':<34} {'rows/s':>9} {'vs sqlite':>10}")
    for name, seconds in results:
        rate = args.rows / seconds
        print(f"{name:<34} {rate:>9.0f} {rate / base:>9.2f}x")


if __name__ == "__main__":
    main()
