"""What the commands share: options, the client, parsing times, output.

Imports only the standard library at import time (``ileti --help`` stays
fast); ileti's heavier modules are imported inside the functions.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Sequence

from ileti._env import PROVIDER_ENV  # the provider used when --provider is not given
from ileti.cli import EXIT_INVALID, EXIT_USAGE, CliError

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms

if TYPE_CHECKING:
    from datetime import datetime, timedelta, tzinfo
    from pathlib import Path
    from typing import Any, TextIO

    from ileti.client import Client
    from ileti.models import SendResult
    from ileti.routing import Router

#: names ``Client.from_env`` takes for itself: they cannot be given with --set
_RESERVED = frozenset(
    {"config_file", "env", "timeout", "retry", "extensions", "pool_size", "proxy", "ca_bundle"}
)


# -- options -----------------------------------------------------------------------


def add_provider_option(parser: argparse.ArgumentParser) -> None:
    default = os.environ.get(PROVIDER_ENV) or None
    parser.add_argument(
        "--provider",
        "-p",
        metavar="PROVIDER",
        default=default,
        required=default is None,
        help=f"the provider id, as `ileti providers` lists it (default: ${PROVIDER_ENV})",
    )


def add_route_option(parser: argparse.ArgumentParser, *, settle: bool = True) -> None:
    """--provider for a command that can fail over: one id, or several
    (``settle``: with --settle-unknown, for a single send; a campaign settles
    its unknown rows on resume instead)."""
    default = os.environ.get(PROVIDER_ENV) or None
    parser.add_argument(
        "--provider",
        "-p",
        metavar="PROVIDERS",
        default=default,
        required=default is None,
        help="the provider id, as `ileti providers` lists it, or several separated by commas "
        "to fail over in that order when one proves nothing was sent (efecell,modexi); "
        f"with weights, efecell:3,modexi:1 spreads by weight (default: ${PROVIDER_ENV})",
    )
    if not settle:
        return
    parser.add_argument(
        "--settle-unknown",
        metavar="SECONDS",
        type=float,
        default=None,
        help="with several providers: when a send may have left, ask the first provider "
        "by report for up to SECONDS and fail over only if it proves it has no such message "
        "(default: never fail over an unknown outcome)",
    )


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is from 0 (any free port) to 65535")
    return value


def add_listen_options(parser: argparse.ArgumentParser) -> None:
    """``--port`` and ``--host`` of a command that serves on loopback."""
    parser.add_argument(
        "--port", type=_port, default=0, help="the port to listen on (default: any free port)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the loopback address to listen on: 127.0.0.1 (default), ::1 or localhost",
    )


def listen(app: Any, args: argparse.Namespace) -> Any:
    """Serve a WSGI app on ``--host``/``--port`` (a ``ServedApp``), or exit 3 saying why."""
    from ileti.emulation import serve

    try:
        return serve(app, host=args.host, port=args.port)
    except ValueError as exc:  # not a loopback address
        raise CliError(str(exc), EXIT_INVALID) from None
    except OSError as exc:
        raise CliError(
            f"cannot listen on {args.host} port {args.port}: {exc.strerror}", EXIT_INVALID
        ) from None


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


DURATION_HELP = "a duration such as 90s, 30m, 2h, 1d or 1h30m"

# patterns are compiled on first use (re caches them): not at every start
_DURATION = r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?"


def parse_duration(text: str) -> timedelta:
    """``"2h"``, ``"90m"``, ``"1d"``, ``"1h30m"``, ``"45s"`` as a positive timedelta."""
    from datetime import timedelta

    compact = "".join(text.split()).lower()
    match = re.fullmatch(_DURATION, compact)
    if not compact or match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use {DURATION_HELP})")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if value <= timedelta(0):
        raise argparse.ArgumentTypeError(f"the duration must be positive: {text!r}")
    return value


def istanbul() -> tzinfo:
    """Europe/Istanbul; UTC+3 (Turkey's time all year since 2016) without tz data."""
    from datetime import timedelta, timezone
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo("Europe/Istanbul")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=3), "+03")


WHEN_HELP = (
    "ISO-8601 time, e.g. 2030-05-01T09:30+03:00 (a time without an offset is "
    "Europe/Istanbul time), or relative to now: +30m, +2h, +1d"
)


SINCE_HELP = (
    "ISO-8601 time, e.g. 2030-05-01T09:30+03:00 (a time without an offset is "
    "Europe/Istanbul time), or a duration before now: 30m, 2h, 1d"
)


def parse_when(text: str, now: datetime | None = None, *, past: bool = False) -> datetime:
    """An aware datetime from ISO-8601 (naive: Europe/Istanbul) or ``+DURATION``
    (with ``past``, a bare ``DURATION`` is that long before now)."""
    from datetime import UTC, datetime

    stripped = text.strip()
    if stripped.startswith("+"):
        return (now or datetime.now(UTC)) + parse_duration(stripped[1:])
    if past and stripped[:1].isdigit() and not stripped[:4].isdigit():
        # a duration ("1d", "2h30m"), not a year: that long before now
        return (now or datetime.now(UTC)) - parse_duration(stripped)
    try:
        when = datetime.fromisoformat(stripped)
    except ValueError:
        help_text = SINCE_HELP if past else WHEN_HELP
        raise argparse.ArgumentTypeError(f"not a time: {text!r} ({help_text})") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=istanbul())
    return when


def parse_since(text: str) -> datetime:
    """A time for a range (``--since``, ``--until``): as :func:`parse_when`, and
    a bare ``DURATION`` (``1d``) for that long before now."""
    return parse_when(text, past=True)


# -- the client --------------------------------------------------------------------


def config_file(args: argparse.Namespace) -> Path | None:
    """The --config file (which must exist), or ``None`` for the default."""
    from pathlib import Path

    if not args.config:
        return None
    path = Path(args.config).expanduser()
    if not path.is_file():
        raise CliError(f"config file {str(path)!r} (given with --config) does not exist")
    return path


def overrides(args: argparse.Namespace) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in args.set:
        if name in _RESERVED:
            raise CliError(
                f"--set {name}=... is not a provider setting"
                + ("; use --timeout" if name == "timeout" else ""),
                EXIT_USAGE,
            )
        values[name] = value
    return values


def make_client(args: argparse.Namespace) -> Client:
    """The client for ``args.provider``: --set, then the environment, then the file."""
    from ileti.client import Client

    if is_routed(args):
        raise CliError(
            f"--provider {args.provider}: this command takes one provider; failing over "
            "across several is for `ileti send`, `send-multi` and `campaign start`",
            EXIT_USAGE,
        )
    settings: dict[str, Any] = {**overrides(args), **_pool(args)}
    return Client.from_env(
        args.provider, config_file=config_file(args), timeout=timeout(args), **settings
    )


def _pool(args: argparse.Namespace) -> dict[str, Any]:
    """One connection per worker of a bulk command (campaign, send-multi), at least 8."""
    from ileti.http import DEFAULT_POOL_SIZE

    workers = getattr(args, "workers", None)
    if isinstance(workers, int) and workers > DEFAULT_POOL_SIZE:
        return {"pool_size": workers}
    return {}


def make_sender(args: argparse.Namespace) -> Client | Router:
    """A router for ``--provider a,b``, else the one provider's client."""
    return make_router(args) if is_routed(args) else make_client(args)


def is_routed(args: argparse.Namespace) -> bool:
    """Whether --provider names several providers."""
    return "," in (args.provider or "")


def make_router(args: argparse.Namespace) -> Router:
    """The router for ``--provider a,b`` (each provider's settings from the
    environment and the file; --set names one provider's, so it is refused)."""
    from ileti.routing import HealthFile, Router, Settle

    if args.set:
        raise CliError(
            "--set applies to one provider; with several in --provider, give each provider's "
            "settings in the environment (ILETI_<PROVIDER>_<SETTING>) or the config file",
            EXIT_USAGE,
        )
    settle = None
    wait = getattr(args, "settle_unknown", None)
    if wait is not None:
        if wait <= 0:
            raise CliError("--settle-unknown takes seconds above 0", EXIT_USAGE)
        settle = Settle(deadline=wait)
    # breakers kept between runs: a gateway that failed the last runs is skipped
    return Router.from_env(
        args.provider,
        config_file=config_file(args),
        timeout=timeout(args),
        settle=settle,
        health_file=HealthFile(),
        **_pool(args),
    )


def timeout(args: argparse.Namespace) -> Any:
    """The :class:`ileti.Timeout` of --timeout and --total-timeout (``None``: defaults)."""
    from ileti.http import Timeout

    seconds = getattr(args, "timeout", None)
    total = getattr(args, "total_timeout", None)
    if seconds is None and total is None:
        return None
    base = Timeout() if seconds is None else Timeout.of(seconds)
    return Timeout(connect=base.connect, read=base.read, total=total)


def require(client: Client, capability: str) -> None:
    """NotSupported unless the client's provider implements ``capability``."""
    from ileti.host import load_provider

    load_provider(client.provider).require(capability)


def read_text(args: argparse.Namespace) -> str:
    """The message text: --text, --text-file (``-`` is stdin), or piped stdin.

    A byte-order mark at the start of a file or of stdin is dropped (some
    editors write one; sent, it would force UCS-2), and so is one trailing
    newline (editors and ``echo`` add it); anything else is kept as it is.
    """
    if args.text is not None:
        text: str = args.text
        return text
    source = args.text_file
    if source is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise CliError(
                "no text: give it with --text, --text-file FILE, or on standard input",
                EXIT_USAGE,
            )
        source = "-"
    try:
        if source == "-":
            raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else None
            data = raw.decode("utf-8") if raw is not None else sys.stdin.read()
        else:
            from pathlib import Path

            data = Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read the text file {source!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        where = "standard input" if source == "-" else repr(source)
        raise CliError(f"the text on {where} is not UTF-8") from None
    data = data.removeprefix("\ufeff")
    if data.endswith("\r\n"):
        return data[:-2]
    return data.removesuffix("\n")


# -- output ------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Plain JSON data from models: decimals as exact strings, times as ISO-8601,
    durations in seconds, enums by value, secrets masked."""
    import enum
    from datetime import datetime, timedelta
    from decimal import Decimal

    import attrs

    from ileti._env import MASK
    from ileti.settings import Secret

    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if attrs.has(type(value)):
        return {f.name: jsonable(getattr(value, f.name)) for f in attrs.fields(type(value))}
    return str(value)


def print_json(value: Any, *, compact: bool = False) -> None:
    import json

    data = jsonable(value)
    if compact:
        print(json.dumps(data, ensure_ascii=False, separators=(",", ":")), flush=True)
    else:
        print(json.dumps(data, ensure_ascii=False, indent=2), flush=True)


def is_terminal(stream: TextIO | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


_COLOURS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}


class Style:
    """Colour for a stream: only on a terminal, never with NO_COLOR or TERM=dumb."""

    def __init__(self, stream: TextIO | None) -> None:
        self.on = (
            is_terminal(stream)
            and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb"
        )

    def __call__(self, text: str, colour: str) -> str:
        if not self.on:
            return text
        return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"


def plural(count: int, noun: str, plural: str | None = None) -> str:
    """``1 recipient``, ``2 recipients`` (``plural`` for irregular nouns)."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


_ANSI = r"\x1b\[[0-9;]*m"


def visible_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: colour codes take none."""
    return len(re.sub(_ANSI, "", text))


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], indent: str = "") -> list[str]:
    """Rows under headers in aligned columns (``None`` shows as empty); cells may
    carry colour codes (:class:`Style`), which are not counted as width."""
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [visible_width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], visible_width(cell))
    lines = []
    for row in [list(headers), *cells]:
        padded = (c + " " * (w - visible_width(c)) for c, w in zip(row, widths, strict=True))
        lines.append(indent + "  ".join(padded).rstrip())
    return lines


def print_lines(lines: Iterable[str], stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    for line in lines:
        print(line, file=out)


def result_rows(result: SendResult) -> list[tuple[object, ...]]:
    return [
        (r.number, "accepted" if r.accepted else "refused", r.message_id, r.reason or r.raw_code)
        for r in result.recipients
    ]


def refused_exit(result: SendResult) -> int:
    """0 when every recipient was accepted, else 4 (the provider refused some)."""
    from ileti.cli import EXIT_OK, EXIT_REFUSED

    return EXIT_REFUSED if result.rejected else EXIT_OK


__all__ = [
    "DURATION_HELP",
    "PROVIDER_ENV",
    "WHEN_HELP",
    "Style",
    "add_json_option",
    "add_provider_option",
    "add_route_option",
    "config_file",
    "is_routed",
    "is_terminal",
    "istanbul",
    "jsonable",
    "make_client",
    "make_router",
    "overrides",
    "parse_duration",
    "parse_when",
    "plural",
    "print_json",
    "print_lines",
    "read_text",
    "refused_exit",
    "require",
    "result_rows",
    "table",
    "visible_width",
]


# -- errors in the command line's words ---------------------------------------------

#: Python keyword arguments of the client -> the flag that sets them on the command line
_ARGUMENT_FLAGS = {
    "sender": "--sender NAME",
    "schedule": "--schedule WHEN",
    "validity": "--validity DURATION",
    "flash": "--flash",
    "client_ref": "--client-ref REF",
    "encoding": "--encoding E",
    "fold_turkish": "--fold-turkish",
}
#: client methods -> the command that does the same
_METHOD_COMMANDS = {
    "senders": "senders",
    "balance": "balance",
    "report": "report",
    "send": "send",
}
_PASS_ARGUMENT = r"\bpass (?P<name>[a-z_]+)=(?:\.\.\.|\*{4}|…)"  # noqa: S105 - a pattern, not a password
_BARE_ARGUMENT = r"\((?P<name>[a-z_]+)=\)"
_METHOD_CALL = r"\bclient\.(?P<method>[a-z_]+)\(\)"


def in_cli_words(message: str, provider: str | None) -> str:
    """A library message reworded for the command line: ``pass sender=...``
    becomes ``give --sender NAME``, ``pass api_key=...`` (a setting) becomes
    ``give --set api_key=VALUE``, ``client.senders()`` becomes ``ileti senders
    -p P``. Run it after redaction: the placeholders it writes are not secrets.
    """
    p = f" -p {provider}" if provider else ""

    def argument(match: re.Match[str]) -> str:
        name = match["name"]
        flag = _ARGUMENT_FLAGS.get(name)
        return f"give {flag}" if flag else f"give --set {name}=VALUE"

    def method(match: re.Match[str]) -> str:
        command = _METHOD_COMMANDS.get(match["method"])
        return f"`ileti {command}{p}`" if command else match[0]

    def bare(match: re.Match[str]) -> str:
        flag = _ARGUMENT_FLAGS.get(match["name"])
        return f"({flag.split()[0]})" if flag else match[0]

    message = re.sub(_PASS_ARGUMENT, argument, message)
    message = re.sub(_BARE_ARGUMENT, bare, message)
    return re.sub(_METHOD_CALL, method, message)


def error_document(exc: BaseException, message: str, exit_code: int) -> dict[str, Any]:
    """The ``--json`` form of a failure: ``{"error": {...}}`` on standard output."""
    from ileti.errors import IletiError

    doc: dict[str, Any] = {
        "type": type(exc).__name__ if isinstance(exc, IletiError) else "CommandError",
        "message": message,
        "exit_code": exit_code,
    }
    if isinstance(exc, IletiError):
        doc.update(
            provider=exc.provider,
            code=exc.code,
            http_status=exc.http_status,
            retryable=exc.retryable,
        )
        for extra in ("client_ref", "setting"):
            value = getattr(exc, extra, None)
            if value is not None:
                doc[extra] = value
    return {"error": doc}
