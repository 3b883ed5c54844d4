"""``ileti send``: one text to one or more numbers, with its cost first."""

from __future__ import annotations

import argparse

from ileti.cli import COMMANDS
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any

    from ileti.client import Client, CostPreview
    from ileti.models import Message, SendResult
    from ileti.plugin import Outgoing


def add_message_options(
    p: argparse.ArgumentParser, *, client_ref: bool = True, dry_run: bool = True
) -> None:
    """The options a send and a personalised send share."""
    p.add_argument("--sender", "-s", metavar="NAME", help="the sender name (originator)")
    p.add_argument(
        "--schedule",
        metavar="WHEN",
        type=common.parse_when,
        help=f"send later: {common.WHEN_HELP}",
    )
    p.add_argument(
        "--validity",
        metavar="DURATION",
        type=common.parse_duration,
        help=f"how long the network keeps trying: {common.DURATION_HELP}",
    )
    p.add_argument(
        "--encoding",
        "-e",
        default=None,
        help="auto (the cheapest the provider offers), gsm7, gsm7-tr, ucs2, or one of the "
        "provider's own (see `ileti providers`); default: the provider's default_encoding "
        "setting, itself auto unless set",
    )
    p.add_argument("--flash", action="store_true", help="a flash SMS (shown, not stored)")
    if client_ref:
        p.add_argument(
            "--client-ref",
            metavar="REF",
            help="your reference for the message (1 to 64 characters), to find it later",
        )
    p.add_argument(
        "--fold-turkish",
        action="store_true",
        help="replace Turkish letters by ASCII ones (ş→s, ğ→g, ı→i, ...) to save parts",
    )
    if dry_run:
        p.add_argument(
            "--dry-run",
            action="store_true",
            help="validate and show exactly what would be sent (secrets masked); send nothing",
        )


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "send",
        help=COMMANDS["send"],
        description="Send one text to one or more numbers. Prints the cost preview, then the "
        "result for each recipient. The text comes from --text, --text-file or standard input.",
    )
    common.add_route_option(p)
    p.add_argument(
        "--to",
        "-t",
        metavar="NUMBER",
        action="append",
        required=True,
        help="a recipient, e.g. '0532 111 22 33' or +905321112233 (repeatable)",
    )
    text = p.add_mutually_exclusive_group()
    text.add_argument("--text", metavar="TEXT", help="the message text")
    text.add_argument(
        "--text-file", metavar="FILE", help="read the text from a UTF-8 file ('-': stdin)"
    )
    add_message_options(p)
    common.add_json_option(p)
    p.set_defaults(func=run)


def message_from(args: argparse.Namespace, text: str) -> Message:
    from ileti.models import Message

    return Message(
        recipients=tuple(args.to),
        text=text,
        sender=args.sender,
        schedule=args.schedule,
        validity=args.validity,
        encoding=args.encoding,
        flash=args.flash,
        client_ref=args.client_ref,
        fold_turkish=args.fold_turkish,
    )


def preview_line(preview: CostPreview) -> str:
    seg = preview.segmentation
    per = "part" if preview.parts == 1 else "parts"
    who = "recipient" if preview.recipients == 1 else "recipients"
    folded = ", Turkish letters folded" if seg.folded else ""
    credits = "credit" if preview.credits == 1 else "credits"
    money = f" ({preview.price} {preview.currency})" if preview.price is not None else ""
    return (
        f"Cost: {preview.parts} {per} x {preview.recipients} {who} = {preview.credits} {credits}"
        f"{money} "
        f"(encoding {preview.encoding}, wire {seg.wire!r}, {seg.units} units, "
        f"{seg.remaining} left in the last part{folded})"
    )


def run(args: argparse.Namespace) -> int:
    text = common.read_text(args)
    message = message_from(args, text)
    if common.is_routed(args):
        return run_routed(args, message)
    client = common.make_client(args)
    with client:
        common.require(client, "send")
        outgoing = client.prepare(message)  # every input check, before any request
        preview = client.preview(
            text,
            encoding=message.encoding,
            recipients=len(outgoing.recipients),
            fold_turkish=message.fold_turkish,
        )
        if args.dry_run:
            return dry_run(args, client, preview, outgoing)
        if not args.json:
            print(preview_line(preview), flush=True)
        result = client.send_message(message)
    if args.json:
        common.print_json({"preview": preview.to_dict(), "result": result})
        return common.refused_exit(result)
    return print_result(result, client)


def run_routed(args: argparse.Namespace, message: Message) -> int:
    """A send through the first of several providers that takes it."""
    from ileti.cli import EXIT_USAGE, CliError
    from ileti.errors import IletiError

    if args.dry_run:
        raise CliError(
            "--dry-run shows what one provider would be sent: give one --provider", EXIT_USAGE
        )
    with common.make_router(args) as router:
        previews: dict[str, Any] = {}
        for name in router.providers:
            client = router.client(name)
            try:
                previews[name] = client.preview(
                    message.text,
                    encoding=message.encoding,
                    recipients=message.recipients,
                    fold_turkish=message.fold_turkish,
                )
            except IletiError as exc:
                previews[name] = exc
            if not args.json:
                shown = previews[name]
                line = shown.message if isinstance(shown, IletiError) else preview_line(shown)
                print(f"At {name}: {line}", flush=True)
        result = router.send_message(message)
        if args.json:
            common.print_json(
                {
                    "previews": {
                        k: v.to_dict() for k, v in previews.items() if not isinstance(v, IletiError)
                    },
                    "result": result,
                }
            )
            return common.refused_exit(result)
        return print_result(result, router.client(result.provider))


def print_result(result: SendResult, client: Client) -> int:
    """The result of a send, a line per recipient, and how to follow it."""
    accepted = len(result.accepted)
    print(
        f"Sent through {result.provider}: message id {result.message_id or '(none given)'}; "
        f"{accepted} of {common.plural(len(result.recipients), 'recipient')} accepted"
        + (f"; client reference {result.client_ref}" if result.client_ref else "")
    )
    common.print_lines(
        common.table(("NUMBER", "STATUS", "ID", "REASON"), common.result_rows(result), "  ")
    )
    if result.message_id and "query_report" in client.capabilities:
        print(
            f"Follow delivery with: ileti report --provider {result.provider} {result.message_id}"
        )
    return common.refused_exit(result)


def dry_run(
    args: argparse.Namespace, client: Client, preview: CostPreview, outgoing: Outgoing
) -> int:
    """What a send would put in the provider's hands, secrets masked."""
    seg = outgoing.segmentation
    resolved = client.resolved_settings
    settings = {
        name: {"value": value, "source": resolved.sources.get(name, "default")}
        for name, value in resolved.masked().items()
    }
    message = {
        "recipients": list(outgoing.recipients),
        "text": outgoing.text,
        "encoding": seg.encoding,
        "wire_encoding": seg.wire,
        "parts": seg.parts,
        "part_units": list(seg.part_units),
        "part_texts": list(seg.part_texts),
        "sender": outgoing.sender,
        "schedule": outgoing.schedule,
        "validity": outgoing.validity,
        "flash": outgoing.flash,
        # prepare() made one up; the real send makes its own, so show only the caller's
        "client_ref": args.client_ref,
    }
    doc = {
        "dry_run": True,
        "provider": client.provider,
        "settings": settings,
        "preview": preview.to_dict(),
        "message": message,
    }
    if args.json:
        common.print_json(doc)
        return 0
    print(f"Dry run: nothing is sent. Provider {client.provider} ({client.info.title})")
    print("Settings:")
    common.print_lines(
        common.table(
            ("SETTING", "VALUE", "SOURCE"),
            [(k, v["value"], v["source"]) for k, v in settings.items()],
            "  ",
        )
    )
    print(preview_line(preview))
    print("Message:")
    rows: list[tuple[str, object]] = [
        ("recipients", ", ".join(outgoing.recipients)),
        ("text", repr(outgoing.text)),
        ("encoding", f"{seg.encoding} (wire value {seg.wire!r})"),
        ("parts", f"{seg.parts} ({', '.join(str(u) for u in seg.part_units)} units)"),
        ("sender", outgoing.sender or "(the account's default)"),
        (
            "schedule",
            outgoing.schedule.astimezone(common.istanbul()).isoformat()
            if outgoing.schedule
            else "now",
        ),
        ("validity", outgoing.validity or "(the provider's default)"),
        ("flash", "yes" if outgoing.flash else "no"),
        ("client ref", args.client_ref or "(generated when sent)"),
    ]
    common.print_lines(f"  {k:<11} {v}" for k, v in rows)
    if seg.parts > 1:
        print("Parts:")
        common.print_lines(f"  {i}: {t!r}" for i, t in enumerate(seg.part_texts, 1))
    return 0
