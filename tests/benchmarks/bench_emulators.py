"""Requests per second of each emulator, early and late in a long run of sends.

An emulator's work per request must not grow with the messages it has
accepted. This script sends ``--sends`` single-recipient messages through a
real client to each emulator served on loopback (one virtual second apart, so
messages become final while others are sent), and prints the rate of the
first and the last ``--window`` sends and their ratio. A ratio well under 1
means the emulator slows down as it fills. The test that guards the rule
counts work instead (tests/emulators/test_work_per_request.py).

    .venv/bin/python tests/benchmarks/bench_emulators.py
    .venv/bin/python tests/benchmarks/bench_emulators.py --sends 3000 efecell
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from typing import Any

from ileti.emulation import VirtualClock
from ileti.testing import emulated

PROVIDERS = ("efecell", "ekomesaj", "innomobil", "kobikom", "modexi")
EXTRA: dict[str, dict[str, Any]] = {"kobikom": {"report_store": ":memory:"}}


def run(provider: str, sends: int, window: int) -> tuple[float, float, int]:
    """(sends/s over the first window, over the last window, items examined)."""
    clock = VirtualClock()
    stamps: list[float] = []
    with emulated(provider, clock=clock, **EXTRA.get(provider, {})) as em:
        sender = em.emulator.default_sender
        em.emulator.credit = Decimal(10) ** 9  # every emulator keeps its balance here
        for i in range(sends):
            em.client.send(f"+90532{i:07d}", "Merhaba", sender=sender)
            clock.advance(1)
            stamps.append(time.perf_counter())
        examined = em.emulator.examined

    def rate(first: int, last: int) -> float:
        return (last - first) / (stamps[last] - stamps[first])

    return rate(0, window), rate(sends - window - 1, sends - 1), examined


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("providers", nargs="*", default=list(PROVIDERS))
    parser.add_argument("--sends", type=int, default=3000)
    parser.add_argument("--window", type=int, default=300)
    args = parser.parse_args(argv)
    if args.sends < 2 * args.window + 1:
        parser.error("--sends must be more than twice --window")
    print(f"{'provider':<10} {'first sends/s':>14} {'last sends/s':>13} {'ratio':>6}")
    worst = 1.0
    for provider in args.providers:
        early, late, _ = run(provider, args.sends, args.window)
        ratio = late / early
        worst = min(worst, ratio)
        print(f"{provider:<10} {early:>14.0f} {late:>13.0f} {ratio:>6.2f}")
    return 0 if worst > 0.6 else 1


if __name__ == "__main__":
    sys.exit(main())
