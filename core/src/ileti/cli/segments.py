"""``ileti segments``: how a text splits into SMS parts, and why.

Examples::

    ileti segments "Merhaba dünya"
    ileti segments --provider efecell --json "Çok güzel bir gün"
    ileti segments --jsonl < texts.jsonl > parts.jsonl

Exit codes: 0 success; 2 usage error; 3 invalid input (a character the
encoding cannot carry, an unknown encoding, a text longer than the provider
allows; with ``--jsonl``, any bad line).
"""

from __future__ import annotations

import argparse
import sys

from ileti.cli import COMMANDS

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import IO

    from ileti.text import Segmentation, TextProfile

__all__ = ["register", "run"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INVALID = 3

# --jsonl output is written in blocks of this many lines
_BLOCK = 1000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``segments`` subcommand (its ``func`` default is :func:`run`)."""
    p = subparsers.add_parser(
        "segments",
        help=COMMANDS["segments"],
        description=(
            "Show the encoding, parts, units per part and what forced UCS-2 for a text. "
            "The text is NFC-normalised first."
        ),
    )
    p.add_argument(
        "text",
        nargs="?",
        metavar="TEXT",
        help="the message; read from stdin when left out (one trailing newline is dropped)",
    )
    p.add_argument(
        "--encoding",
        default="auto",
        help="auto (the default), gsm7, gsm7-tr, ucs2, or a provider's encoding name or wire value",
    )
    p.add_argument("--provider", metavar="NAME", help="count by this provider's rules and limits")
    p.add_argument(
        "--fold", action="store_true", help="fold Turkish letters to ASCII first (ş→s, ı→i, ...)"
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument(
        "--jsonl",
        action="store_true",
        help='read lines of {"text": ..., "encoding": ...} from stdin, write one object per line',
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out ``ileti segments``; returns the exit code."""
    from ileti.errors import IletiError

    if args.jsonl and args.text is not None:
        _error("give TEXT or --jsonl, not both")
        return EXIT_USAGE
    try:
        profile = _profile(args.provider)
    except IletiError as exc:
        _error(str(exc))
        return EXIT_INVALID
    if args.jsonl:
        return _run_jsonl(args, profile, sys.stdin, sys.stdout)
    text = args.text
    if text is None:
        text = _strip_newline(sys.stdin.read())
    from ileti.text import ensure_fits, segment

    try:
        seg = segment(text, args.encoding, profile, fold=args.fold)
    except IletiError as exc:
        _error(str(exc))
        return EXIT_INVALID
    if args.json:
        print(_dump(seg.to_dict()))
    else:
        _print_human(seg, profile, args.provider)
    try:
        ensure_fits(seg, profile, provider=args.provider)
    except IletiError as exc:
        _error(str(exc))
        return EXIT_INVALID
    return EXIT_OK


def _dump(obj: object) -> str:
    """JSON with the text as is; \\u escapes only if it holds a lone surrogate."""
    import json

    out = json.dumps(obj, ensure_ascii=False)
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:
        out = json.dumps(obj)
    return out


def _error(message: str) -> None:
    print(f"ileti segments: error: {message}", file=sys.stderr)


def _strip_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def _profile(provider: str | None) -> TextProfile | None:
    if provider is None:
        return None
    from ileti.host import provider_info
    from ileti.text import TextProfile

    profile = getattr(provider_info(provider), "text", None)
    return profile if isinstance(profile, TextProfile) else None


def _chars(chars: tuple[str, ...]) -> str:
    return ", ".join(f"{c!r} (U+{ord(c):04X})" for c in chars)


def _print_human(seg: Segmentation, profile: TextProfile | None, provider: str | None) -> None:
    from ileti.text import Encoding

    wire = f" (wire {seg.wire!r})" if seg.wire != seg.encoding else ""
    base = f", on air {seg.base}" if str(seg.base) != seg.encoding else ""
    lines = [f"encoding:  {seg.encoding}{wire}{base}"]
    if seg.parts == 1:
        lines.append(f"parts:     1 (up to {seg.single_limit} units in one part)")
        lines.append(f"units:     {seg.units}/{seg.single_limit}")
    else:
        lines.append(f"parts:     {seg.parts} (up to {seg.multi_limit} units per part)")
        per_part = ", ".join(f"{u}/{seg.multi_limit}" for u in seg.part_units)
        lines.append(f"units:     {seg.units} ({per_part})")
    lines.append(f"remaining: {seg.remaining}")
    if seg.base == Encoding.UCS2:
        lines.append(f"UCS-2 forced by: {_chars(seg.forced_ucs2) or 'nothing (asked for)'}")
    elif seg.forced_ucs2:
        lines.append(f"outside GSM-7: {_chars(seg.forced_ucs2)}")
    if seg.folded:
        lines.append("folded:    Turkish letters folded to ASCII")
    if profile is not None and profile.max_parts is not None:
        verdict = "fits" if seg.parts <= profile.max_parts else "TOO LONG"
        lines.append(f"limit:     {profile.max_parts} parts for {provider} ({verdict})")
    print("\n".join(lines))


def _run_jsonl(
    args: argparse.Namespace, profile: TextProfile | None, source: IO[str], sink: IO[str]
) -> int:
    import json

    from ileti.errors import IletiError
    from ileti.text import ensure_fits, segment

    dumps = _dump
    loads = json.loads
    default_encoding: str = args.encoding
    fold: bool = args.fold
    provider: str | None = args.provider
    block: list[str] = []
    bad = 0
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        try:
            item = loads(line)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            text = item.get("text")
            if not isinstance(text, str):
                raise ValueError('"text" must be a string')
            encoding = item.get("encoding", default_encoding)
            if not isinstance(encoding, str):
                raise ValueError('"encoding" must be a string')
            seg = segment(text, encoding, profile, fold=fold)
            ensure_fits(seg, profile, provider=provider)
            block.append(dumps(seg.to_dict()))
        except (IletiError, ValueError) as exc:
            # json.JSONDecodeError is a ValueError
            bad += 1
            block.append(dumps({"line": number, "error": str(exc)}))
        if len(block) >= _BLOCK:
            sink.write("\n".join(block) + "\n")
            block.clear()
    if block:
        sink.write("\n".join(block) + "\n")
    sink.flush()
    return EXIT_INVALID if bad else EXIT_OK
