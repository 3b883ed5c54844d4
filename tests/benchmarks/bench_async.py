"""1,000 concurrent sends: ileti.AsyncClient from one event loop against the
sync ileti.Client in a thread pool, side by side against one emulator.

Not a pytest test. Run from the repository root::

    .venv/bin/python tests/benchmarks/bench_async.py [--n 1000] [--width 8]
        [--latency 0.05] [--provider efecell] [--rounds 2]

The provider's emulator is served on loopback; ``--latency`` makes it answer
each request that many seconds late (a gateway across the internet answers
in tens of milliseconds, an emulator on loopback in well under one). Each
round sends ``--n`` one-recipient messages both ways, ``--width`` at a time:

* async: ``asyncio.gather`` of ``--n`` ``AsyncClient.send`` tasks from one
  event loop (``max_in_flight=--width``), while a ticker task measures how
  late the loop wakes it (the loop must never be blocked);
* threads: ``ThreadPoolExecutor(--width).map`` over ``Client.send``.

It checks that the emulator accepted exactly ``--n`` messages per run, and
prints the best round of each: sends per second and the loop's worst lag.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import ileti
from ileti.emulation import VirtualClock, serve
from ileti.host import load_provider


def sender_of(emulator: Any) -> str | None:
    name = getattr(emulator, "default_sender", None)
    return name if isinstance(name, str) else None


def numbers(n: int) -> list[str]:
    return [f"0532{i % 10_000_000:07d}" for i in range(n)]


async def ticker(stop: asyncio.Event, lags: list[float]) -> None:
    """Sleep 1 ms at a time until ``stop``; record how late the loop woke it."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - before - 0.001)


async def run_async(
    settings: dict[str, Any], provider: str, to: list[str], width: int, sender: str | None
) -> tuple[float, list[float]]:
    """Seconds for every send, and how late the event loop woke a ticker (seconds)."""
    lags: list[float] = []
    stop = asyncio.Event()
    async with ileti.AsyncClient(provider, max_in_flight=width, **settings) as client:
        await client.balance()  # warm up: the transport, the number parser, the text engine
        client.prepare(ileti.Message(recipients=(to[0],), text="Merhaba", sender=sender))
        tick = asyncio.create_task(ticker(stop, lags))
        start = time.perf_counter()
        results = await asyncio.gather(
            *(client.send(number, "Merhaba", sender=sender) for number in to)
        )
        took = time.perf_counter() - start
        stop.set()
        await tick
    assert all(r.recipients[0].accepted for r in results)
    return took, lags


async def run_blocking(
    settings: dict[str, Any], provider: str, to: list[str], sender: str | None
) -> list[float]:
    """The classic mistake, for contrast: the sync client called inside a
    coroutine. Returns the ticker's lags (each send stalls the whole loop)."""
    lags: list[float] = []
    stop = asyncio.Event()
    with ileti.Client(provider, **settings) as client:
        client.balance()
        tick = asyncio.create_task(ticker(stop, lags))
        await asyncio.sleep(0.01)
        for number in to:
            client.send(number, "Merhaba", sender=sender)
            await asyncio.sleep(0)
        stop.set()
        await tick
    return lags


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_threads(
    settings: dict[str, Any], provider: str, to: list[str], width: int, sender: str | None
) -> float:
    with ileti.Client(provider, **settings) as client:
        client.balance()
        client.prepare(ileti.Message(recipients=(to[0],), text="Merhaba", sender=sender))
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=width) as pool:
            results = list(
                pool.map(lambda number: client.send(number, "Merhaba", sender=sender), to)
            )
        took = time.perf_counter() - start
    assert all(r.recipients[0].accepted for r in results)
    return took


def emulator_process(provider: str, latency: float, conn: Any) -> None:
    """The emulator in its own process (so that its work does not compete with
    the client's threads for this process's GIL). Sends its URL, credentials
    and sender; then "reset" starts a fresh emulator (each run starts from
    the same state) and "count" answers how many messages it accepted."""
    plugin = load_provider(provider).plugin

    def fresh() -> Any:
        emulator = plugin.provider_emulator(clock=VirtualClock())
        emulator.credit = Decimal(10**9)  # every run must be accepted
        return emulator

    current = [fresh()]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        time.sleep(latency)
        answer: Iterable[bytes] = current[0](environ, start_response)
        return answer

    with serve(app) as served:
        conn.send((served.base_url, current[0].credentials(), sender_of(current[0])))
        while (command := conn.recv()) != "stop":
            if command == "reset":
                current[0] = fresh()
            conn.send(len(current[0].messages))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="sends per run (1000)")
    parser.add_argument("--width", type=int, default=8, help="sends in flight at once (8)")
    parser.add_argument("--latency", type=float, default=0.05, help="emulator delay, s (0.05)")
    parser.add_argument("--provider", default="efecell", help="whose emulator (efecell)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds, best kept (2)")
    args = parser.parse_args(argv)

    to = numbers(args.n)
    best_async = best_threads = float("inf")
    lags: list[float] = []
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.Process(
        target=emulator_process, args=(args.provider, args.latency, theirs), daemon=True
    )
    child.start()
    try:
        base_url, credentials, sender = ours.recv()
        settings = {**credentials, "base_url": base_url}

        def accepted(command: str = "count") -> int:
            ours.send(command)
            count: int = ours.recv()
            return count

        for round_ in range(args.rounds):
            # alternate which side goes first; each run starts with a fresh emulator
            for side in ("async", "threads") if round_ % 2 == 0 else ("threads", "async"):
                accepted("reset")
                if side == "async":
                    took, lag = asyncio.run(
                        run_async(settings, args.provider, to, args.width, sender)
                    )
                    best_async = min(best_async, took)
                    lags += lag
                else:
                    took = run_threads(settings, args.provider, to, args.width, sender)
                    best_threads = min(best_threads, took)
                assert accepted() == args.n, f"{side}: not every send arrived"
        blocking = asyncio.run(run_blocking(settings, args.provider, to[:20], sender))
    finally:
        ours.send("stop")
        child.join(10)
    print(
        f"{args.n} sends through the {args.provider} emulator (another process), "
        f"{args.width} in flight, latency {args.latency * 1000:g} ms, best of {args.rounds}"
    )
    print(f"{'':<24}{'seconds':>9}{'sends/s':>10}")
    for name, took in (("AsyncClient, one loop", best_async), ("Client + threads", best_threads)):
        print(f"{name:<24}{took:>9.2f}{args.n / took:>10.0f}")
    print(f"async/threads throughput ratio: {best_threads / best_async:.2f}")
    print("event loop lag (how late a 1 ms ticker woke), ms:   median    p99    max")
    for name, seen in (("AsyncClient", lags), ("sync call inside the loop", blocking)):
        print(
            f"  {name:<46}{percentile(seen, 0.5) * 1000:>7.1f}"
            f"{percentile(seen, 0.99) * 1000:>7.1f}{max(seen) * 1000:>7.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
