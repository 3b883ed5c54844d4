"""``ileti send-multi``: a personalised text for each row of a CSV or JSONL file.

Runs through the campaign engine (:mod:`ileti.campaign`), so a send-multi is
a campaign: the file is checked first, every row's state is stored, Ctrl-C
or a crash loses nothing, and ``ileti campaign resume ID`` finishes it
without sending any row twice. This module only parses and prints.
"""

from __future__ import annotations

import argparse
import sys

from ileti.cli import COMMANDS
from ileti.cli import _common as common
from ileti.cli import campaign as cmd

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any

    from ileti.campaign import Campaign, CampaignStatus


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "send-multi",
        help=COMMANDS["send-multi"],
        description="Send each row of a CSV file (with a header row) or a JSON Lines file its "
        "own text: the row's text column, or --template filled from the row's columns. It runs "
        "as a campaign (its id is printed): the file is checked first, rows that cannot be sent "
        "are reported with their line numbers and the rest are still sent, and an interrupted "
        "run is finished with `ileti campaign resume ID` without sending any row twice. Exit "
        "code 0 when every row was sent, 3 when some rows were refused before sending, 4 when "
        "the provider refused some recipients, 5 when some rows may have been sent; a run "
        "paused by an error (credit, credentials) exits with that error's code.",
    )
    common.add_route_option(p, settle=False)
    cmd.add_input_options(p)
    from ileti.cli.send import add_message_options

    add_message_options(p, client_ref=False)
    cmd.add_run_options(p)
    cmd.add_store_option(p)
    common.add_json_option(p)
    p.set_defaults(func=run)


_EVENT = {
    "accepted": "accepted",
    "rejected": "refused",
    "invalid": "invalid",
    "unknown": "unknown",
    "pending": "not sent",
    "claimed": "unknown",
    "cancelled": "not sent",
}


def run(args: argparse.Namespace) -> int:
    client = common.make_sender(args)
    with client:
        from ileti.client import Client

        if isinstance(client, Client):  # a router's providers are checked by the campaign
            common.require(client, "send_multi")
        store = ":memory:" if args.dry_run else None
        campaign = cmd.create(args, client, store)
        if args.dry_run:
            status = campaign.import_rows()
        else:
            if not args.json:
                print(f"Campaign {campaign.id}", flush=True)
            status = cmd.run_campaign(args, campaign)
        return _report(args, campaign, status)


def _report(args: argparse.Namespace, campaign: Campaign, status: CampaignStatus) -> int:
    code = cmd.exit_code(campaign, status)
    if args.dry_run and not status.count("invalid") and status.rows:
        code = 0
    rows = list(campaign.rows()) if args.json else []
    if args.json:
        for row in rows:
            state = row.state.value
            event: dict[str, Any] = {
                "line": row.line,
                "to": row.number,
                "status": "would send" if args.dry_run and state == "pending" else _EVENT[state],
            }
            if row.message_id:
                event["message_id"] = row.message_id
            if row.recipient_id:
                event["recipient_id"] = row.recipient_id
            if row.error:
                event["reason"] = row.error
            if args.dry_run and state == "pending":
                event["parts"] = row.parts
            common.print_json(event, compact=True)
        common.print_json({"summary": _summary(args, campaign, status, code)}, compact=True)
        return code
    for row in campaign.rows(*_noted()):
        if row.state.value == "invalid":
            print(f"ileti: line {row.line}: {row.error} (not sent)", file=sys.stderr)
        elif row.state.value == "rejected":
            print(
                f"ileti: line {row.line}: {row.number} refused by the provider: {row.error}",
                file=sys.stderr,
            )
        else:
            print(
                f"ileti: line {row.line} may have been sent ({row.error}): it is not sent "
                "again; check it with the provider before resending",
                file=sys.stderr,
            )
    s = _summary(args, campaign, status, code)
    verb = "would be sent" if args.dry_run else "sent"
    requests = "" if args.dry_run else f" in {_plural(s['batches'], 'request')}"
    print(
        f"Summary: {_plural(s['rows'], 'row')}; {s['sent']} {verb} ({s['parts']} parts){requests}"
    )
    if s["invalid"]:
        print(
            f"  {s['invalid']} refused before sending (lines {cmd.ranges(s['invalid_lines'])}): "
            "fix them and send those rows again"
        )
    if s["refused_by_provider"]:
        print(
            f"  {s['refused_by_provider']} refused by the provider "
            f"(lines {cmd.ranges(s['refused_lines'])})"
        )
    if s["unknown"]:
        print(
            f"  {s['unknown']} may have been sent (delivery unknown): not sent again; "
            f"see `ileti campaign status {campaign.id}`"
        )
    if s["not_sent"] and not args.dry_run:
        print(f"  {s['not_sent']} not sent yet: `ileti campaign resume {campaign.id}` sends them")
    if campaign.paused_by is not None:
        print(f"  paused: {campaign.paused_by}")
    if s["rows"] == 0:
        print("  the file has no rows")
    return code


def _noted() -> tuple[Any, ...]:
    from ileti.campaign import RowState

    return (RowState.INVALID, RowState.REJECTED, RowState.UNKNOWN)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _summary(
    args: argparse.Namespace, campaign: Campaign, status: CampaignStatus, code: int
) -> dict[str, Any]:
    from ileti.campaign import RowState

    c = status.count
    pending = c("pending")
    invalid_lines = [r.line for r in campaign.rows(RowState.INVALID)]
    summary: dict[str, Any] = {
        "campaign": None if args.dry_run else campaign.id,
        "rows": status.rows,
        "sent": pending if args.dry_run else c("accepted"),
        "parts": sum(r.parts for r in campaign.rows(RowState.PENDING))
        if args.dry_run
        else status.parts,
        "refused_by_provider": c("rejected"),
        "invalid": c("invalid"),
        "invalid_lines": invalid_lines,
        "refused_lines": [r.line for r in campaign.rows(RowState.REJECTED)],
        "unknown_lines": [r.line for r in campaign.rows(RowState.UNKNOWN)],
        "unknown": c("unknown"),
        "not_sent": 0 if args.dry_run else pending + c("cancelled"),
        "batches": campaign.requests,
        "exit_code": code,
    }
    if campaign.paused_by is not None:
        summary["stopped"] = {
            "error": str(campaign.paused_by),
            "error_type": type(campaign.paused_by).__name__,
            "exit_code": code,
        }
    return summary
