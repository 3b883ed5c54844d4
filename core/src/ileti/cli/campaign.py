"""``ileti campaign``: durable bulk sends that survive a crash and resume.

The command only parses and prints; everything else is
:class:`ileti.campaign.Campaign`. ``ileti send-multi`` runs through the same
functions here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable

from ileti.cli import (
    COMMANDS,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNKNOWN,
    EXIT_USAGE,
    CliError,
    exit_code_for,
)
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any

    from ileti.campaign import Campaign, CampaignStatus, Progress

EXIT_INTERRUPTED = 130


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _number(what: str, bound: str, *, zero: bool) -> Callable[[str], float]:
    """An argparse type for a finite number above 0 (or from 0, with ``zero``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {what}: {text!r}") from None
        if not (value >= 0 if zero else value > 0) or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be {bound}: {text!r}")
        return value

    return parse


_positive_float = _number("number", "a positive number", zero=False)
_seconds = _number("number of seconds", "0 or more seconds", zero=True)


def add_input_options(p: argparse.ArgumentParser) -> None:
    """FILE and how to read it: shared by ``campaign start`` and ``send-multi``."""
    p.add_argument("file", metavar="FILE", help="a CSV or JSON Lines file ('-': standard input)")
    p.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        help="the file's format (default: JSON Lines for .jsonl/.ndjson names, else CSV)",
    )
    p.add_argument(
        "--template",
        metavar="TEXT",
        help="the text for every row, with {column} placeholders, e.g. 'Sayın {name}, ...'",
    )
    p.add_argument(
        "--to-column", default="to", metavar="NAME", help="the column of numbers (default: to)"
    )
    p.add_argument(
        "--text-column",
        default="text",
        metavar="NAME",
        help="the column of texts when there is no --template (default: text)",
    )
    p.add_argument(
        "--delimiter", default=",", metavar="CHAR", help="the CSV delimiter (default: ',')"
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        help="rows per request (default: 500, or the provider's maximum recipients per "
        "request if lower)",
    )
    p.add_argument(
        "--keep-duplicates",
        action="store_true",
        help="send a number that appears on several rows each time (default: the later "
        "rows are refused as duplicates)",
    )


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=4,
        metavar="N",
        help="requests in flight at once (default: 4)",
    )
    p.add_argument(
        "--rate",
        type=_positive_float,
        metavar="N",
        help="at most N messages per second (default: no limit; none of our gateways "
        "documents one)",
    )
    p.add_argument(
        "--request-rate",
        type=_positive_float,
        metavar="N",
        help="at most N requests per second (default: no limit)",
    )
    p.add_argument(
        "--reports-deadline",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="after sending, poll delivery reports until every state is final or this many "
        "seconds pass (default: 0, do not wait)",
    )


def add_store_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        metavar="PATH|URL",
        help="the campaign store: an SQLite file, or postgresql://... with ileti-postgres "
        "installed (default: $ILETI_CAMPAIGN_STORE or ~/.local/share/ileti/campaigns.sqlite3)",
    )


def register(sub: Any) -> None:
    top: argparse.ArgumentParser = sub.add_parser(
        "campaign",
        help=COMMANDS["campaign"],
        description="A campaign sends each row of a file its own text and remembers every "
        "row's state, so that a crash or Ctrl-C loses nothing and a resume never sends a row "
        "twice. See docs/guide/campaigns.md.",
    )
    inner = top.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)

    p = inner.add_parser(
        "start",
        help="create a campaign from a file and run it",
        description="Check the whole file, store every row, and send. Prints the campaign id "
        "first; Ctrl-C stops cleanly (resume later).",
    )
    common.add_route_option(p, settle=False)
    add_input_options(p)
    _add_message_options(p)
    add_run_options(p)
    add_store_option(p)
    common.add_json_option(p)
    p.set_defaults(func=run_start)

    p = inner.add_parser(
        "resume",
        help="continue a campaign: settle what may have been sent, then send the rest",
        description="Settle the rows a dead run left claimed or unknown (by asking the "
        "gateway), then send every pending row. Never sends a row that may have been sent.",
    )
    p.add_argument("id", metavar="ID", help="the campaign id")
    add_run_options(p)
    add_store_option(p)
    common.add_json_option(p)
    p.set_defaults(func=run_resume)

    p = inner.add_parser(
        "status", help="counts per state, parts and credits", description="Show a campaign."
    )
    p.add_argument("id", metavar="ID", help="the campaign id")
    add_store_option(p)
    common.add_json_option(p)
    p.set_defaults(func=run_status)

    p = inner.add_parser(
        "export",
        help="one line per recipient: line, number, state, message id, error",
        description="Write every row of a campaign to standard output.",
    )
    p.add_argument("id", metavar="ID", help="the campaign id")
    p.add_argument(
        "--format", choices=("csv", "jsonl"), default="csv", help="csv (default) or jsonl"
    )
    add_store_option(p)
    p.set_defaults(func=run_export)

    p = inner.add_parser("list", help="the campaigns in the store", description="List campaigns.")
    add_store_option(p)
    common.add_json_option(p)
    p.set_defaults(func=run_list)

    p = inner.add_parser(
        "cancel",
        help="never send the rows still pending or unknown",
        description="Cancel a campaign: its pending and unknown rows become cancelled.",
    )
    p.add_argument("id", metavar="ID", help="the campaign id")
    add_store_option(p)
    common.add_json_option(p)
    p.set_defaults(func=run_cancel)

    p = inner.add_parser(
        "resolve",
        help="after checking with the provider: mark unknown rows sent or not sent",
        description="Mark unknown rows (by line) as sent (--sent) or not sent (--not-sent; "
        "the next resume sends them). Only for rows you checked with the provider.",
    )
    p.add_argument("id", metavar="ID", help="the campaign id")
    p.add_argument(
        "--line",
        type=_positive_int,
        action="append",
        required=True,
        metavar="N",
        help="the input line of an unknown row (repeatable)",
    )
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--sent", action="store_true", help="the provider has these messages")
    how.add_argument(
        "--not-sent", action="store_true", help="the provider does not have these messages"
    )
    add_store_option(p)
    p.set_defaults(func=run_resolve)


def _add_message_options(p: argparse.ArgumentParser) -> None:
    from ileti.cli.send import add_message_options

    add_message_options(p, client_ref=False, dry_run=False)


# -- creating ----------------------------------------------------------------------


def spool_stdin(args: argparse.Namespace) -> str:
    """Standard input copied to a private file, so the campaign can check it
    first and resume from it later (the file stays beside the store)."""
    import os
    import tempfile

    from ileti.campaign import default_store_path

    folder = default_store_path().parent / "inputs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    suffix = ".jsonl" if args.format == "jsonl" else ".csv"
    fd, path = tempfile.mkstemp(prefix="stdin-", suffix=suffix, dir=folder)
    with os.fdopen(fd, "wb") as out:
        for chunk in iter(lambda: sys.stdin.buffer.read(1 << 20), b""):
            out.write(chunk)
    return path


def create(args: argparse.Namespace, client: Any, store: Any = None) -> Campaign:
    """A campaign from the command's input options."""
    from ileti.campaign import Campaign
    from ileti.errors import ValidationError

    path = spool_stdin(args) if args.file == "-" else args.file
    if args.template is not None:
        from ileti.campaign import Template

        try:
            Template.parse(args.template, option="--template")
        except ValidationError as exc:
            raise CliError(exc.message, EXIT_USAGE) from None
    if len(args.delimiter) != 1:
        raise CliError("--delimiter must be one character", EXIT_USAGE)
    from ileti.routing import Router

    each = [client.client(p) for p in client.providers] if isinstance(client, Router) else [client]
    limits = {c.provider: c.info.max_recipients for c in each if c.info.max_recipients}
    if args.batch_size and limits and args.batch_size > min(limits.values()):
        name = min(limits, key=lambda provider: limits[provider])
        print(
            f"ileti: --batch-size {args.batch_size} is more than {name} takes; "
            f"using {limits[name]}",
            file=sys.stderr,
        )
    return Campaign.create(
        client,
        path,
        store=store if store is not None else args.store,
        template=args.template,
        to_column=args.to_column,
        text_column=args.text_column,
        format=args.format,
        delimiter=args.delimiter,
        sender=args.sender,
        schedule=args.schedule,
        validity=args.validity,
        encoding=args.encoding,
        flash=args.flash,
        fold_turkish=args.fold_turkish,
        keep_duplicates=args.keep_duplicates,
        batch_size=args.batch_size,
    )


# -- running -----------------------------------------------------------------------


class ProgressView:
    """A progress bar on a terminal (tqdm: rate and ETA), plain lines elsewhere."""

    PLAIN_EVERY = 5.0

    def __init__(self, total: int | None, *, quiet: bool = False) -> None:
        self.total = total
        self.quiet = quiet
        self.bar: Any = None
        self.last = time.monotonic()
        if not quiet and common.is_terminal(sys.stderr):
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="row", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, progress: Progress) -> None:
        if self.quiet:
            return
        tally = ", ".join(f"{s.value} {n}" for s, n in progress.counts.items() if n)
        if self.bar is not None:
            self.bar.n = progress.done
            self.bar.set_postfix_str(tally, refresh=False)
            self.bar.refresh()
            return
        now = time.monotonic()
        if now - self.last >= self.PLAIN_EVERY:
            self.last = now
            print(f"ileti: {progress.done} rows done ({tally})", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_campaign(args: argparse.Namespace, campaign: Campaign) -> CampaignStatus:
    """Run with Ctrl-C stopping cleanly, a progress view, and the run options."""
    from ileti.campaign.engine import interrupt_stops

    view = ProgressView(campaign.record.spec.get("rows"), quiet=args.json)
    try:
        with interrupt_stops(campaign):
            return campaign.run(
                workers=args.workers,
                rate=args.rate,
                request_rate=args.request_rate,
                report_deadline=args.reports_deadline,
                on_progress=view,
            )
    finally:
        view.close()


def exit_code(campaign: Campaign, status: CampaignStatus) -> int:
    """The documented exit code of a run (docs/reference/cli.md)."""
    if campaign.interrupted:
        return EXIT_INTERRUPTED
    if campaign.paused_by is not None:
        return exit_code_for(campaign.paused_by)
    if status.count("unknown"):
        return EXIT_UNKNOWN
    if status.count("invalid") or status.rows == 0:
        return EXIT_INVALID
    if status.count("rejected"):
        return EXIT_REFUSED
    return EXIT_OK


def _lines(campaign: Campaign, state: str, limit: int = 20) -> tuple[list[int], int]:
    from ileti.campaign import RowState

    shown: list[int] = []
    more = 0
    for row in campaign.rows(RowState(state)):
        if len(shown) < limit:
            shown.append(row.line)
        else:
            more += 1
    return shown, more


def ranges(lines: Iterable[int], more: int = 0) -> str:
    text = ", ".join(str(n) for n in lines)
    return text + (f" and {more} more" if more else "")


def summary_lines(campaign: Campaign, status: CampaignStatus) -> list[str]:
    """The exact summary a run ends with: every row is in exactly one count."""
    c = status.count
    out = [
        f"Campaign {status.id} ({status.through}): {status.status}",
        f"  {status.rows} rows: {c('accepted')} accepted ({status.parts} parts), "
        f"{c('rejected')} rejected, {c('invalid')} invalid, {c('unknown')} unknown, "
        f"{c('pending')} pending, {c('cancelled')} cancelled",
    ]
    if status.credits is not None:
        out.append(f"  credits charged: {status.credits}")
    if c("invalid"):
        out.append(
            f"  invalid, refused before sending (lines {ranges(*_lines(campaign, 'invalid'))}): "
            "fix them and send those rows in a new campaign"
        )
    if c("rejected"):
        out.append(f"  rejected by the provider (lines {ranges(*_lines(campaign, 'rejected'))})")
    which = "the provider"
    if status.route:
        which = "the provider each went to (the provider column of `ileti campaign export`)"
    if c("unknown"):
        out.append(
            f"  may have been sent (lines {ranges(*_lines(campaign, 'unknown'))}): not sent "
            f"again. Check them with {which} (its panel, or `ileti report` with a message "
            f"id), then `ileti campaign resolve {status.id} --line N --sent` or `--not-sent`"
        )
    if campaign.paused_by is not None:
        out.append(f"  paused: {campaign.paused_by}")
    if c("pending"):
        out.append(f"  {c('pending')} not sent yet: `ileti campaign resume {status.id}` sends them")
    if status.delivery and any(k != "no report yet" for k in status.delivery):
        tally = ", ".join(f"{k} {n}" for k, n in sorted(status.delivery.items()))
        out.append(f"  delivery: {tally}")
    if status.rows == 0:
        out.append("  the file has no rows")
    return out


def _finish(args: argparse.Namespace, campaign: Campaign, status: CampaignStatus) -> int:
    code = exit_code(campaign, status)
    if args.json:
        payload = status.to_dict()
        payload["exit_code"] = code
        if campaign.paused_by is not None:
            payload["paused_by"] = {
                "error": str(campaign.paused_by),
                "error_type": type(campaign.paused_by).__name__,
            }
        common.print_json(payload)
    else:
        common.print_lines(summary_lines(campaign, status))
    return code


def run_start(args: argparse.Namespace) -> int:
    client = common.make_sender(args)
    with client:
        campaign = create(args, client)
        if not args.json:
            print(f"Campaign {campaign.id}", flush=True)
        status = run_campaign(args, campaign)
        return _finish(args, campaign, status)


def _open(args: argparse.Namespace, campaign_id: str) -> Campaign:
    from ileti.campaign import Campaign, open_store

    store = open_store(args.store)
    record = store.get(campaign_id)
    # a campaign created over several providers fails over between them again
    args.provider = ",".join(record.spec.get("route") or [record.provider])
    client = common.make_sender(args)
    return Campaign.open(campaign_id, client=client, store=store)


def run_resume(args: argparse.Namespace) -> int:
    campaign = _open(args, args.id)
    with campaign.router or campaign.client:
        status = run_campaign(args, campaign)
        return _finish(args, campaign, status)


def run_status(args: argparse.Namespace) -> int:
    from ileti.campaign import open_store

    store = open_store(args.store)
    status = _status(store, args.id)
    if args.json:
        common.print_json(status.to_dict())
        return EXIT_OK
    c = status.count
    lines = [
        f"Campaign {status.id} ({status.through}): {status.status}",
        *([f"  {status.note}"] if status.note else []),
        *(f"  {s.value}: {c(s)}" for s in _states()),
        f"  parts sent: {status.parts}",
        f"  credits charged: {status.credits if status.credits is not None else 'not reported'}",
    ]
    if status.delivery:
        lines.append("  delivery: " + ", ".join(f"{k} {n}" for k, n in status.delivery.items()))
    common.print_lines(lines)
    return EXIT_OK


def _states() -> list[Any]:
    from ileti.campaign import RowState

    return list(RowState)


def _status(store: Any, campaign_id: str) -> CampaignStatus:
    from ileti.campaign.engine import read_status

    return read_status(store, campaign_id)


EXPORT_FIELDS = (
    "line",
    "number",
    "state",
    "message_id",
    "recipient_id",
    "client_ref",
    "error",
    "error_code",
    "delivery",
    "delivery_raw",
    "delivery_at",
    "parts",
    "provider",
)


def run_export(args: argparse.Namespace) -> int:
    import csv
    import json

    from ileti.campaign import open_store

    store = open_store(args.store)
    record = store.get(args.id)
    routed = bool(record.spec.get("route"))
    out = sys.stdout
    writer = csv.writer(out) if args.format == "csv" else None
    if writer is not None:
        writer.writerow(EXPORT_FIELDS)
    page: list[Any] = []

    def flush() -> None:
        # the provider a row's request went to: a routed campaign's claims
        # recorded it; every request of another went to its one provider
        went = store.providers(args.id, [r.batch for r in page if r.batch]) if routed else {}
        for row in page:
            values = {f: getattr(row, f) for f in EXPORT_FIELDS[:-1]}
            values["state"] = row.state.value
            values["provider"] = went.get(row.batch) if routed else row.batch and record.provider
            if writer is not None:
                writer.writerow(["" if v is None else v for v in values.values()])
            else:
                out.write(json.dumps(values, ensure_ascii=False) + "\n")
        page.clear()

    for row in store.iter_rows(args.id):
        page.append(row)
        if len(page) == 5000:
            flush()
    flush()
    out.flush()
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    from datetime import datetime

    from ileti.campaign import open_store

    store = open_store(args.store)
    found = [_status(store, r.id) for r in store.campaigns()]
    if args.json:
        common.print_json([s.to_dict() for s in found])
        return EXIT_OK
    if not found:
        print("no campaigns in this store")
        return EXIT_OK
    rows = []
    for record, s in zip(store.campaigns(), found, strict=True):
        started = datetime.fromtimestamp(record.created).strftime("%Y-%m-%d %H:%M")
        rows.append((s.id, s.through, started, s.status, s.rows, s.count("accepted")))
    common.print_lines(
        common.table(("id", "provider", "created", "status", "rows", "accepted"), rows)
    )
    return EXIT_OK


def run_cancel(args: argparse.Namespace) -> int:
    from ileti.campaign import Campaign, open_store

    campaign = Campaign.in_store(args.id, store=open_store(args.store))
    status = campaign.cancel()
    if args.json:
        common.print_json(status.to_dict())
    else:
        print(f"Campaign {status.id}: cancelled; {status.count('cancelled')} rows will not be sent")
    return EXIT_OK


def run_resolve(args: argparse.Namespace) -> int:
    from ileti.campaign import Campaign, open_store

    campaign = Campaign.in_store(args.id, store=open_store(args.store))
    changed = campaign.resolve(args.line, sent=args.sent)
    what = "sent (accepted)" if args.sent else "not sent (pending: resume sends them)"
    print(f"{changed} rows marked {what}")
    return EXIT_OK
