"""``ileti senders``: the account's sender names and their states."""

from __future__ import annotations

import argparse
import sys

from ileti.cli import COMMANDS
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "senders",
        help=COMMANDS["senders"],
        description="List the sender names (originators) registered with the provider and "
        "whether each is approved, pending or inactive.",
    )
    common.add_provider_option(p)
    common.add_json_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with common.make_client(args) as client:
        senders = client.senders()
    if args.json:
        common.print_json({"provider": client.provider, "senders": senders})
        return 0
    if not senders:
        print(f"{client.provider}: no sender names registered")
        return 0
    style = common.Style(sys.stdout)
    colours = {"approved": "green", "pending": "yellow", "inactive": "red"}
    rows = [(s.name, style(s.state.value, colours.get(s.state.value, "dim"))) for s in senders]
    common.print_lines(common.table(("SENDER", "STATE"), rows))
    return 0
