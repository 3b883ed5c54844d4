"""The ``ileti`` command.

Every subcommand lives in its own module with a ``register(subparsers)``
function; modules import nothing heavy at import time, so ``ileti --help``
stays fast and loads no plugin.

Exit codes (documented in docs/cli.md; scripts rely on them):

* 0 success
* 1 anything unexpected
* 2 usage error
* 3 invalid input: nothing was sent
* 4 the provider refused: nothing was sent
* 5 delivery unknown: the request may have been sent; do not resend blindly
* 6 transport failure before anything was sent
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

__all__ = ["EXIT_CODES", "exit_code_for", "main"]

#: subcommand modules, in the order --help lists them
COMMANDS = ("segments", "providers")

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_REFUSED = 4
EXIT_UNKNOWN = 5
EXIT_TRANSPORT = 6

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_UNEXPECTED: "anything unexpected",
    EXIT_USAGE: "usage error",
    EXIT_INVALID: "invalid input: nothing was sent",
    EXIT_REFUSED: "the provider refused: nothing was sent",
    EXIT_UNKNOWN: "delivery unknown: the request may have been sent; do not resend blindly",
    EXIT_TRANSPORT: "transport failure before anything was sent",
}


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an error."""
    from ileti import errors

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


def build_parser() -> argparse.ArgumentParser:
    from ileti import __version__

    parser = argparse.ArgumentParser(
        prog="ileti",
        description="Send SMS through many gateways behind one API.",
        epilog="Exit codes: " + "; ".join(f"{code} {text}" for code, text in EXIT_CODES.items()),
    )
    parser.add_argument("--version", action="version", version=f"ileti {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="-v for INFO, -vv for DEBUG logs"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"ileti.cli.{name.replace('-', '_')}")
        module.register(sub)
    return parser


def _configure_logging(level: int) -> None:
    from ileti.redact import install_log_filters

    install_log_filters()
    if level <= 0:
        return
    logging.basicConfig(
        level=logging.DEBUG if level > 1 else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    _configure_logging(args.verbose)
    from ileti.errors import IletiError

    try:
        code: int = args.func(args)
    except IletiError as exc:
        print(f"ileti: error: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        print("ileti: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
