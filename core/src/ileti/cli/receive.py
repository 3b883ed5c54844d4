"""``ileti receive``: serve a push receiver on loopback and print each pushed report.

With ``ileti emulate`` it shows the whole loop locally: send with the
provider's ``push_url`` setting pointing here, and the emulator pushes each
state change to this receiver as it happens.
"""

from __future__ import annotations

import argparse
import sys

from ileti.cli import COMMANDS, EXIT_INVALID, EXIT_OK, CliError
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any

    from ileti.models import DeliveryReport


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "receive",
        help=COMMANDS["receive"],
        description="Serve a receiver for PROVIDER's pushed delivery reports on a loopback "
        "port, print the push URL (with its secret token) and the setting that makes sends "
        "ask for pushes, then print every report pushed to it until Ctrl-C (or until "
        "--max-reports reports came).",
    )
    common.add_provider_option(p)
    common.add_listen_options(p)
    p.add_argument(
        "--token",
        metavar="TOKEN",
        help="the push URL's secret last segment (default: a fresh random one)",
    )
    p.add_argument(
        "--max-reports",
        type=int,
        metavar="N",
        help="stop after N recipient reports (default: run until Ctrl-C)",
    )
    common.add_json_option(p)
    p.set_defaults(func=run)


class _Printer:
    """Prints each pushed report; counts recipients; says when enough came."""

    def __init__(self, as_json: bool, limit: int | None) -> None:
        import threading

        self.as_json = as_json
        self.limit = limit
        self.count = 0
        self.enough = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, reports: list[DeliveryReport]) -> None:
        with self._lock:
            for report in reports:
                for r in report.recipients:
                    if self.as_json:
                        common.print_json(
                            {
                                "provider": report.provider,
                                "message_id": report.message_id,
                                "number": r.number,
                                "state": r.state,
                                "raw_state": r.raw_state,
                                "time": r.time,
                            },
                            compact=True,
                        )
                    else:
                        when = f" at {r.time.isoformat()}" if r.time else ""
                        print(
                            f"{report.message_id} {r.number} {r.state.value} ({r.raw_state}){when}",
                            flush=True,
                        )
                    self.count += 1
            if self.limit is not None and self.count >= self.limit:
                self.enough.set()


def run(args: argparse.Namespace) -> int:
    import shlex

    from ileti.cli.emulate import _stop_on_signals
    from ileti.push import PushReceiver
    from ileti.settings import env_var

    if args.max_reports is not None and args.max_reports < 1:
        raise CliError("--max-reports must be 1 or more", EXIT_INVALID)
    client = common.make_client(args)
    printer = _Printer(args.json, args.max_reports)
    with client:
        receiver = PushReceiver(client, printer, token=args.token)
        served = common.listen(receiver.wsgi, args)
        try:
            url = receiver.url(served.base_url)
            variable = env_var(client.provider, "push_url")
            # the push URL is printed on purpose: it is what the user configures
            if args.json:
                common.print_json({"push_url": url, "env": {variable: url}}, compact=True)
            else:
                print(f"export {variable}={shlex.quote(url)}", flush=True)
            print(
                f"Receiving {client.provider} delivery reports on {served.base_url}. Sends "
                f"made with {variable} (or --set push_url=...) ask for pushes; Ctrl-C stops.",
                file=sys.stderr,
                flush=True,
            )
            with _stop_on_signals():
                try:
                    while not printer.enough.wait(0.2):
                        pass
                except KeyboardInterrupt:
                    print("Stopped the receiver.", file=sys.stderr)
        finally:
            served.close()
    return EXIT_OK
