"""``ileti demo``: the whole flow through every installed provider's emulator.

The options are here; the flow, with what it imports, is in
:mod:`ileti.cli._demo`, loaded only when the demo runs (``ileti --help``
stays fast).
"""

from __future__ import annotations

import argparse

from ileti.cli import COMMANDS
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any

#: test-only providers (installed for ileti's own tests) run only when asked for
TEST_PREFIX = "testprov"


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help=COMMANDS["demo"],
        description="Start each installed provider's emulator on loopback and run the whole "
        "flow through it with the real client over HTTP: cost preview, balance, senders, a "
        "send to three numbers (one ending in 9, which the emulators leave undelivered), a "
        "personalised send, reports polled to their final states (moving the emulator's "
        "clock instead of waiting) and the balance again. Needs no credentials and no "
        "network. Exit code 0 when every provider's flow worked, 1 otherwise.",
    )
    p.add_argument(
        "--provider",
        "-p",
        action="append",
        metavar="PROVIDER",
        help="run only this provider (repeatable); default: every installed provider with an "
        f"emulator except the test-only {TEST_PREFIX}* ones",
    )
    p.add_argument(
        "--include-test-providers",
        action="store_true",
        help=f"also run the test-only {TEST_PREFIX}* providers",
    )
    common.add_json_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ileti.cli import _demo

    return _demo.run(args)
