"""``ileti providers``: installed providers, capabilities, limits, broken ones."""

from __future__ import annotations

import argparse

from ileti.cli import COMMANDS

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any

    from ileti.health import HealthFile


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("providers", help=COMMANDS["providers"])
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from ileti.health import HealthFile
    from ileti.hookspecs import CAPABILITIES, OPTIONAL
    from ileti.host import load_all

    good, broken = load_all()
    kept = HealthFile()
    rows: list[dict[str, Any]] = [
        {
            "name": p.name,
            "title": p.info.title,
            "distribution": p.distribution,
            "version": p.version,
            "capabilities": [c for c in CAPABILITIES if c in p.capabilities],
            "optional": [h for h in OPTIONAL if p.implements(h)],
            "emulator": p.has_emulator,
            "limits": p.info.limits(),
            "health": _health(kept, p.name),
        }
        for p in good
    ]
    errors = [{"name": b.name, "distribution": b.distribution, "error": b.error} for b in broken]
    if args.json:
        print(json.dumps({"providers": rows, "broken": errors}, ensure_ascii=False, indent=2))
        return 0
    if not rows and not errors:
        print("No providers installed. Install one, e.g.: pip install ileti-efecell")
        return 0
    for row in rows:
        limits = row["limits"]
        print(f"{row['name']}  ({row['distribution']} {row['version']}) - {row['title']}")
        print(f"  capabilities: {', '.join(row['capabilities']) or 'none'}")
        if row["optional"]:
            print(f"  also:         {', '.join(row['optional'])}")
        encs = ", ".join(f"{k}={v}" for k, v in limits["encodings"].items())
        print(f"  encodings:    {encs}; max parts {limits['max_parts'] or 'not limited'}")
        most = limits["max_recipients"]
        print(f"  recipients:   {f'at most {most} per request' if most else 'no limit given'}")
        extras = [k for k in ("scheduling", "validity", "flash", "client_reference") if limits[k]]
        print(f"  options:      {', '.join(extras) or 'none'}")
        emulator = f"yes (ileti emulate {row['name']})" if row["emulator"] else "no"
        print(f"  emulator:     {emulator}")
        if row["health"] is not None:
            print(f"  circuit:      {_describe(row['health'])}")
    for err in errors:
        print(f"{err['name']}  BROKEN: {err['error']}")
    return 0


def _health(kept: HealthFile, provider: str) -> dict[str, object] | None:
    """The circuit breaker routed sends (``--provider a,b``) left for a provider."""
    health = kept.health(provider)
    return None if health is None else dict(health.to_dict())


def _describe(health: dict[str, Any]) -> str:
    calls, failures = health["calls"], health["failures"]
    if health["state"] == "open":
        return f"open: skipped by routed sends for {health['retry_in']:.0f} s more"
    if health["state"] == "half-open":
        return "half-open: the next routed send is a probe"
    return f"closed ({failures} of the last {calls} routed calls failed)"
