"""The ``ileti`` command.

Every subcommand lives in its own module with a ``register(subparsers)``
function; modules import nothing heavy at import time, so ``ileti --help``
stays fast and loads no plugin.

Exit codes (documented in docs/reference/cli.md; scripts rely on them):

* 0 success
* 1 anything unexpected
* 2 usage error
* 3 invalid input: nothing was sent
* 4 the provider refused: nothing was sent
* 5 delivery unknown: the request may have been sent; do not resend blindly
* 6 transport failure before anything was sent
* 7 still pending: ``report --wait`` reached its deadline before every state was final

The global options (``-v``, ``--config``, ``--set``, ``--timeout``,
``--total-timeout``) are
accepted both before and after the subcommand.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Sequence

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from typing import Any

__all__ = ["COMMANDS", "EXIT_CODES", "CliError", "add_global_options", "exit_code_for", "main"]

#: the commands, in the order --help lists them, with the one line --help gives
#: each (its module, ``ileti.cli.<name>``, registers it with that line, and is
#: imported only when the command runs or its own help is asked for)
COMMANDS: dict[str, str] = {
    "providers": "list installed providers, their capabilities and limits",
    "send": "send one text to one or more numbers",
    "send-multi": "send each row of a CSV or JSONL file its own text (a campaign)",
    "campaign": "durable bulk sends: start, resume, status, export, list, cancel, resolve",
    "report": "delivery state of each recipient of a sent message",
    "balance": "the account's balance",
    "senders": "the account's sender names and their states",
    "panel": "a link to the provider's web panel that needs no password",
    "segments": "show how a text splits into SMS parts (encoding, units, what forced UCS-2)",
    "emulate": "serve a provider's emulator on loopback and print the settings to use it",
    "receive": "receive delivery reports a provider pushes, on loopback",
    "config": "show a provider's resolved settings",
    "demo": (
        "run the whole flow through every installed provider's emulator (no account, no network)"
    ),
    "new-plugin": "generate a working skeleton of a provider plugin, ileti-NAME",
}

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_REFUSED = 4
EXIT_UNKNOWN = 5
EXIT_TRANSPORT = 6
EXIT_PENDING = 7

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_UNEXPECTED: "anything unexpected",
    EXIT_USAGE: "usage error",
    EXIT_INVALID: "invalid input: nothing was sent",
    EXIT_REFUSED: "the provider refused: nothing was sent",
    EXIT_UNKNOWN: "delivery unknown: the request may have been sent; do not resend blindly",
    EXIT_TRANSPORT: "transport failure before anything was sent",
    EXIT_PENDING: "still pending: report --wait reached its deadline before every state was final",
}


class CliError(Exception):
    """An expected failure of a command that is not an ileti error (a file
    that cannot be read, a provider without an emulator): a message and the
    exit code to leave with."""

    def __init__(self, message: str, code: int = EXIT_INVALID) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an error."""
    from ileti import errors

    if isinstance(exc, CliError):
        return exc.code
    if isinstance(exc, errors.DeliveryUnknown):
        return EXIT_UNKNOWN
    if isinstance(exc, errors.TransportError):
        return EXIT_TRANSPORT
    if isinstance(exc, errors.ValidationError | errors.ConfigurationError | errors.NotSupported):
        return EXIT_INVALID
    if isinstance(exc, errors.ProviderError):
        return EXIT_REFUSED
    if isinstance(exc, errors.MalformedResponse):
        return EXIT_REFUSED
    return EXIT_UNEXPECTED


# -- global options ----------------------------------------------------------------

#: the global options, by their destination in the merged namespace
_GLOBALS = ("verbose", "config", "set", "timeout", "total_timeout")
_TOP = "global_"


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise argparse.ArgumentTypeError(
            f"expected FIELD=VALUE (e.g. base_url=http://...), got {text!r}"
        )
    return name, value


def add_global_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """Add ``-v``, ``--config``, ``--set`` and ``--timeout`` to a parser.

    The main parser stores them under ``global_*`` names and each subcommand
    under the plain names, so ``ileti -v send -v`` counts twice and neither
    level overwrites the other; :func:`_merge_globals` combines them.
    Options a subcommand already defines are left alone.
    """
    prefix = _TOP if top else ""
    taken = set(parser._option_string_actions)
    group = parser.add_argument_group("global options") if not top else parser

    def add(*flags: str, **kw: Any) -> None:
        if not taken.intersection(flags):
            group.add_argument(*flags, **kw)

    add(
        "-v",
        "--verbose",
        dest=prefix + "verbose",
        action="count",
        default=0,
        help="-v for INFO logs, -vv for DEBUG (with the HTTP exchange, redacted) and tracebacks",
    )
    add(
        "--config",
        dest=prefix + "config",
        metavar="PATH",
        default=None,
        help="TOML settings file (default: $ILETI_CONFIG or ~/.config/ileti/config.toml)",
    )
    add(
        "--set",
        dest=prefix + "set",
        metavar="FIELD=VALUE",
        action="append",
        type=_setting,
        default=[],
        help="a provider setting (repeatable); wins over the environment and the file",
    )
    add(
        "--timeout",
        dest=prefix + "timeout",
        metavar="SECONDS",
        type=_positive_seconds,
        default=None,
        help="connect and read timeout of every HTTP request (default 5 s connect, 30 s read)",
    )
    add(
        "--total-timeout",
        dest=prefix + "total_timeout",
        metavar="SECONDS",
        type=_positive_seconds,
        default=None,
        help="the most one HTTP request may take, however slowly the server answers "
        "(default: connect plus read timeout)",
    )


def _merge_globals(args: argparse.Namespace) -> None:
    top = {name: getattr(args, _TOP + name) for name in _GLOBALS}
    for name in _GLOBALS:
        delattr(args, _TOP + name)
    args.verbose = top["verbose"] + getattr(args, "verbose", 0)
    args.set = [*top["set"], *getattr(args, "set", [])]
    for name in ("config", "timeout", "total_timeout"):
        if getattr(args, name, None) is None:
            setattr(args, name, top[name])


#: global options that take a value: the word after them is not a command
_VALUED = frozenset({"--config", "--set", "--timeout", "--total-timeout"})


def _chosen(argv: Sequence[str]) -> str:
    """The command ``argv`` runs (``""`` for none: ``--help``, a typo)."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _VALUED:
            skip = True
        elif word in COMMANDS:
            return word
        elif not word.startswith("-"):
            return ""
    return ""


def _help_width() -> int:
    """The width help is wrapped to: ``shutil.get_terminal_size``'s rule
    ($COLUMNS, else the terminal, else 80; less 2, as argparse takes it),
    without importing shutil (and bz2, lzma, fnmatch): 4 ms of every start."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(prog, width=_help_width())


class _Parser(argparse.ArgumentParser):
    """ileti's parsers: help wrapped by :func:`_formatter` (subcommands too,
    nested ones included: they are made with the parent's class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _formatter)
        super().__init__(*args, **kwargs)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``command``, only that command's options are
    built (the others are listed by name): what one run needs."""
    from ileti import __version__

    parser = _Parser(
        prog="ileti",
        description="Send SMS through many gateways behind one API.",
        epilog="Exit codes: " + "; ".join(f"{code} {text}" for code, text in EXIT_CODES.items()),
    )
    parser.add_argument("--version", action="version", version=f"ileti {__version__}")
    add_global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, line in COMMANDS.items():
        if command is None or name == command:
            module = importlib.import_module(f"ileti.cli.{name.replace('-', '_')}")
            module.register(sub)
        else:  # listed by name and help line only, its module not imported
            sub.add_parser(name, help=line, add_help=False)
    for subparser in _leaf_parsers(sub):
        add_global_options(subparser)
    return parser


def _leaf_parsers(action: Any) -> Iterator[argparse.ArgumentParser]:
    """The parsers under a subparsers action that run a command (``config show``,
    not ``config``): a nested level would overwrite what its parent parsed."""
    for subparser in dict.fromkeys(action.choices.values()):
        nested = [a for a in subparser._actions if isinstance(a, argparse._SubParsersAction)]
        if not nested:
            yield subparser
        for inner in nested:
            yield from _leaf_parsers(inner)


# -- logging -----------------------------------------------------------------------

_LOGGERS = ("ileti", "urllib3")


@contextlib.contextmanager
def _logging(verbose: int) -> Iterator[None]:
    """Logs of ileti and urllib3 on stderr at INFO (-v) or DEBUG (-vv), redacted.

    The handler is removed afterwards, so that ``main`` can run many times
    in one process (tests) without piling up handlers.

    Without -v nothing is installed here: the redacting filters guard the
    loggers of urllib3 and of ileti's transport, which only a transport
    writes to, and every transport (and a client given a foreign one) puts
    them on when it is made. Importing logging and ileti.redact for a
    command that sends nothing (``ileti segments``) cost 12 ms a start.
    """
    if verbose <= 0:
        yield
        return
    import logging

    from ileti.redact import install_log_filters

    install_log_filters()
    level = logging.DEBUG if verbose > 1 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    # the handler filters too: a child logger (ileti.transport) may carry its own level
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    saved = []
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(level)
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger, old in saved:
            logger.removeHandler(handler)
            logger.setLevel(old)


@contextlib.contextmanager
def _warnings() -> Iterator[None]:
    """Python warnings (a config file others can read, plain HTTP) as one
    ``ileti: warning:`` line each on stderr, not as a source location."""
    import warnings

    def show(message: Warning | str, *_: object, **__: object) -> None:
        _say(f"ileti: warning: {message}")

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


# -- main --------------------------------------------------------------------------


def _say(message: str) -> None:
    from ileti.redact import redact

    print(redact(message), file=sys.stderr)


def _report_error(exc: BaseException, args: argparse.Namespace) -> int:
    from ileti.cli._common import error_document, in_cli_words, print_json
    from ileti.errors import DeliveryUnknown, IletiError
    from ileti.redact import redact

    code = exit_code_for(exc)
    provider = (exc.provider if isinstance(exc, IletiError) else None) or getattr(
        args, "provider", None
    )
    message = in_cli_words(redact(str(exc)), provider)
    if getattr(args, "json", False):
        print_json(error_document(exc, message, code), compact=True)
    print(f"ileti: error: {message}", file=sys.stderr)
    if isinstance(exc, DeliveryUnknown):
        for line in delivery_unknown_advice(exc, getattr(args, "provider", None)):
            _say(f"ileti: {line}")
    return code


def delivery_unknown_advice(exc: Any, provider: str | None = None) -> list[str]:
    """What the user can check after a send that may have happened, in the
    command's words: only what this provider can actually be asked."""
    provider = exc.provider or provider or "PROVIDER"
    lines = ["the message may have been sent: do not send it again blindly. Check first:"]
    if exc.message_id:
        lines.append(f"  ileti report --provider {provider} {exc.message_id}")
    else:
        lines.append(
            f"  ileti report --provider {provider} MESSAGE_ID, if you learn the message id"
        )
    if exc.client_ref and exc.reference_sent:
        lines.append(f"  or client reference {exc.client_ref} in {provider}'s panel")
    else:
        when = (
            f" sent around {exc.started_at:%Y-%m-%d %H:%M:%S} UTC"
            if exc.started_at is not None
            else ""
        )
        numbers = ", ".join(exc.recipients[:5]) + (" ..." if len(exc.recipients) > 5 else "")
        to = f" to {numbers}" if numbers else ""
        lines.append(
            f"  or {provider}'s panel for a message{to}{when} "
            f"({provider} is not given ileti's client reference)"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_chosen(words))
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:  # --help, --version, usage errors: argparse has spoken
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    _merge_globals(args)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from ileti.errors import IletiError

    with _logging(args.verbose), _warnings():
        try:
            code: int = args.func(args)
        except (IletiError, CliError) as exc:
            return _report_error(exc, args)
        except KeyboardInterrupt:
            _say("ileti: interrupted")
            return 130
        except BrokenPipeError:  # `ileti ... | head`: the reader left; say nothing more
            with contextlib.suppress(OSError, ValueError):
                # the recipe of the signal module's docs: no second error at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_UNEXPECTED
        except Exception as exc:
            _say(f"ileti: unexpected error: {type(exc).__name__}: {exc}")
            if args.verbose > 1:
                import traceback

                _say("".join(traceback.format_exception(exc)).rstrip())
            else:
                _say("ileti: run again with -vv to see the traceback")
            return EXIT_UNEXPECTED
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
