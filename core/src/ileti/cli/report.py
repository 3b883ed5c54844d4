"""``ileti report``: each recipient's delivery state; ``--wait`` polls until final;
``--since`` lists the packages sent in a time range."""

from __future__ import annotations

import argparse
import sys

from ileti._schedule import DEFAULT_DEADLINE, FIRST_PAUSE, MAX_PAUSE  # the library's schedule
from ileti.cli import COMMANDS, EXIT_OK, EXIT_PENDING, EXIT_USAGE, CliError
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any

    from ileti.client import Client
    from ileti.models import DeliveryReport, SentPackage


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the deadline must be a positive number of seconds")
    return value


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "report",
        help=COMMANDS["report"],
        description="Show the delivery state of each recipient of a message. With --wait, "
        f"poll (pausing {FIRST_PAUSE:g} s, growing by half each time up to {MAX_PAUSE:g} s) "
        "until every state is final "
        "or the deadline passes, with a running tally on standard error. Exit code 7 when "
        "the deadline passed first. With --since instead of a message id, list the packages "
        "sent in a time range (providers that keep a send history: Innomobil).",
    )
    common.add_provider_option(p)
    p.add_argument(
        "message_id", metavar="MESSAGE_ID", nargs="?", help="the message id a send printed"
    )
    p.add_argument(
        "--since",
        metavar="WHEN",
        type=common.parse_since,
        help=f"list the packages sent from this time: {common.SINCE_HELP}",
    )
    p.add_argument(
        "--until",
        metavar="WHEN",
        type=common.parse_since,
        help="with --since: up to this time (default: now)",
    )
    p.add_argument(
        "--scheduled",
        action="store_true",
        help="with --since: the packages sent for a later time, not those sent at once",
    )
    p.add_argument("--wait", "-w", action="store_true", help="poll until every state is final")
    p.add_argument(
        "--deadline",
        type=_seconds,
        default=DEFAULT_DEADLINE,
        metavar="SECONDS",
        help=f"with --wait: stop polling after this long (default {DEFAULT_DEADLINE:g})",
    )
    common.add_json_option(p)
    p.set_defaults(func=run)


def tally_text(report: DeliveryReport) -> str:
    counts = report.tally()
    if not counts:
        return "no recipients reported yet"
    from ileti.models import DeliveryState

    return ", ".join(f"{state.value} {counts[state]}" for state in DeliveryState if state in counts)


class _Live:
    """The running tally: one rewritten line on a terminal, a line per poll otherwise."""

    def __init__(self) -> None:
        self.stream = sys.stderr
        self.tty = common.is_terminal(self.stream)
        self.style = common.Style(self.stream)

    def show(self, report: DeliveryReport, polls: int, pause: float | None) -> None:
        then = f"; next poll in {pause:g}s" if pause is not None else ""
        line = f"poll {polls}: {tally_text(report)}{then}"
        if self.tty:
            self.stream.write("\r\x1b[K" + self.style(line, "dim"))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    if args.since is not None or args.until is not None or args.scheduled:
        return _history(args)
    if args.message_id is None:
        raise CliError(
            "give the MESSAGE_ID a send printed, or --since WHEN to list the packages sent "
            "since then",
            EXIT_USAGE,
        )
    client = common.make_client(args)
    with client:
        if args.wait:
            live = _Live()
            try:
                report = client.wait_report(
                    args.message_id, deadline=args.deadline, on_poll=live.show
                )
            finally:
                live.done()
        else:
            report = client.report(args.message_id)
    code = EXIT_PENDING if args.wait and not report.is_final else EXIT_OK
    if args.json:
        common.print_json(
            {
                "provider": report.provider,
                "message_id": report.message_id,
                "final": report.is_final,
                "package_state": report.package_state,
                "raw_package_state": report.raw_package_state,
                "tally": {state.value: n for state, n in report.tally().items()},
                "recipients": report.recipients,
            }
        )
        return code
    style = common.Style(sys.stdout)
    final = "every state final" if report.is_final else "not final yet"
    package = f"; package {report.package_state.value}" if report.package_state else ""
    print(
        f"Message {report.message_id} through {report.provider}: "
        f"{common.plural(len(report.recipients), 'recipient')}, {final}{package}"
    )
    colours = {"delivered": "green", "undelivered": "red", "expired": "red", "rejected": "red",
               "failed": "red", "cancelled": "yellow"}  # fmt: skip
    rows = [
        (
            r.number,
            style(r.state.value, colours.get(r.state.value, "blue")),
            r.raw_state,
            r.time.isoformat() if r.time else None,
            r.error,
        )
        for r in report.recipients
    ]
    common.print_lines(common.table(("NUMBER", "STATE", "RAW", "TIME", "ERROR"), rows, "  "))
    print(f"Tally: {tally_text(report)}")
    if code == EXIT_PENDING:
        print(f"The deadline ({args.deadline:g}s) passed before every state was final.")
    return code


def _history(args: argparse.Namespace) -> int:
    if args.message_id is not None:
        raise CliError(
            "give either a MESSAGE_ID (one package's recipients) or --since (the packages "
            "sent in a time range), not both",
            EXIT_USAGE,
        )
    if args.since is None:
        raise CliError("--until and --scheduled list packages: give --since WHEN too", EXIT_USAGE)
    if args.wait:
        raise CliError("--wait follows one package: give its MESSAGE_ID, not --since", EXIT_USAGE)
    if args.until is not None and args.since > args.until:
        raise CliError(
            f"--since ({args.since.isoformat()}) is after --until ({args.until.isoformat()})",
            EXIT_USAGE,
        )
    client: Client = common.make_client(args)
    with client:
        packages = client.sent_packages(args.since, args.until, scheduled=args.scheduled)
        if args.json:
            # one object per package as it is read: a long history streams
            for package in packages:
                common.print_json(_package_document(package), compact=True)
            return EXIT_OK
        rows = [_package_row(p) for p in packages]
    kind = "scheduled packages" if args.scheduled else "packages"
    print(f"{common.plural(len(rows), kind[:-1], kind)} through {client.provider}")
    if rows:
        headers = ("MESSAGE ID", "SENT AT", "SENDER", "RECIPIENTS", "PARTS", "DELIVERED",
                   "WAITING", "FAILED", "TEXT")  # fmt: skip
        common.print_lines(common.table(headers, rows, "  "))
    return EXIT_OK


def _package_document(package: SentPackage) -> dict[str, object]:
    return {
        "provider": package.provider,
        "message_id": package.message_id,
        "sent_at": package.sent_at.isoformat() if package.sent_at else None,
        "sender": package.sender,
        "text": package.text,
        "recipients": package.recipients,
        "parts": package.parts,
        "delivered": package.delivered,
        "waiting": package.waiting,
        "failed": package.failed,
        "scheduled": package.scheduled,
    }


def _package_row(package: SentPackage) -> tuple[object, ...]:
    text = package.text or ""
    shown = text if len(text) <= 40 else text[:39] + "…"
    return (
        package.message_id,
        package.sent_at.isoformat() if package.sent_at else None,
        package.sender,
        package.recipients,
        package.parts,
        package.delivered,
        package.waiting,
        package.failed,
        shown.replace("\n", " "),
    )
