"""``ileti emulate``: serve a provider's emulator on loopback until Ctrl-C.

An emulator's :class:`~ileti.emulation.VirtualClock` stands still until it
is advanced; here a thread advances it with real time (times
``--clock-speed``), so that a user polling ``ileti report`` sees messages
move from queued to sent to delivered.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator

from ileti.cli import COMMANDS, EXIT_INVALID, EXIT_OK, CliError
from ileti.cli import _common as common

TYPE_CHECKING = False  # not typing's: importing typing costs ``ileti --help`` 4 ms
if TYPE_CHECKING:
    from decimal import Decimal
    from typing import Any

    from ileti.emulation import VirtualClock


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError("the clock speed is a number from 0 up")
    return value


def _credit(text: str) -> Decimal:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value.is_finite() and value >= 0):
        raise argparse.ArgumentTypeError("the credit is a number from 0 up")
    return value


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "emulate",
        help=COMMANDS["emulate"],
        description="Serve PROVIDER's emulator on a loopback port and print the environment "
        "variables (ILETI_<PROVIDER>_BASE_URL and the emulator's test credentials) that point "
        "a client at it; then serve until Ctrl-C. The emulator's clock follows real time "
        "(see --clock-speed), so messages advance from queued to sent (10 s) to a final "
        "state (60 s) while you poll their reports.",
    )
    p.add_argument("provider", metavar="PROVIDER", help="the provider id, e.g. efecell")
    common.add_listen_options(p)
    p.add_argument(
        "--clock-speed",
        type=_speed,
        default=1.0,
        metavar="FACTOR",
        help="emulated seconds per real second (default 1; 0 stops the clock; 60 makes a "
        "minute pass each second)",
    )
    p.add_argument(
        "--sender",
        dest="senders",
        action="append",
        default=[],
        metavar="NAME",
        help="approve this sender name on the emulated account (repeatable); the emulator's "
        "own name (e.g. ILETI) stays approved",
    )
    p.add_argument(
        "--credit",
        type=_credit,
        metavar="N",
        help="the account's balance, in the unit `ileti balance` shows for this provider "
        "(SMS credits, or money); default: the emulator's own",
    )
    common.add_json_option(p)
    p.set_defaults(func=run)


class ClockFollower:
    """Advances a virtual clock by the real time that passed, times ``speed``."""

    def __init__(
        self,
        clock: VirtualClock,
        speed: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        import threading

        self.clock = clock
        self.speed = speed
        self._monotonic = monotonic
        self._last = monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> float:
        """Move the clock on by the time since the last tick; the seconds it moved."""
        now = self._monotonic()
        moved = max(0.0, now - self._last) * self.speed
        self._last = now
        if moved > 0:
            self.clock.advance(moved)
        return moved

    def start(self, interval: float = 0.2) -> None:
        import threading

        if self.speed <= 0:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                self.tick()

        self._thread = threading.Thread(target=loop, name="ileti-emulator-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def run(args: argparse.Namespace) -> int:
    import shlex

    from ileti.emulation import VirtualClock
    from ileti.errors import InvalidSender, NotSupported
    from ileti.host import load_provider
    from ileti.testing import serve_emulator

    loaded = load_provider(args.provider)
    clock = VirtualClock()
    try:
        running = serve_emulator(
            loaded.name,
            clock=clock,
            senders=args.senders,
            credit=args.credit,
            host=args.host,
            port=args.port,
        )
    except NotSupported:
        raise CliError(f"provider {args.provider!r} ships no emulator", EXIT_INVALID) from None
    except InvalidSender as exc:
        raise CliError(f"--sender: {exc}", EXIT_INVALID) from None
    except ValueError as exc:  # not a loopback address
        raise CliError(f"--host: {exc}", EXIT_INVALID) from None
    except OSError as exc:
        raise CliError(
            f"cannot listen on {args.host} port {args.port}: {exc.strerror}", EXIT_INVALID
        ) from None
    emulator = running.emulator
    follower = ClockFollower(clock, args.clock_speed)
    try:
        # the emulator's own test credentials (not the user's): printing them is the point
        env = running.environment()
        senders = list(dict.fromkeys([*args.senders, emulator.default_sender]))
        sender = senders[0]
        credit = emulator.credit
        if args.json:
            common.print_json(
                {
                    "provider": loaded.name,
                    "base_url": running.base_url,
                    "env": env,
                    "sender": sender,
                    "senders": senders,
                    "credit": None if credit is None else str(credit),
                    "clock_speed": args.clock_speed,
                },
                compact=True,
            )
        else:
            for name, value in env.items():
                print(f"export {name}={shlex.quote(value)}", flush=True)
        speed = (
            "its clock is stopped"
            if args.clock_speed == 0
            else f"its clock runs at {args.clock_speed:g}x real time"
        )
        print(
            f"Serving the {loaded.name} emulator ({loaded.info.title}) on {running.base_url}; "
            f"{speed}.",
            file=sys.stderr,
        )
        names = ", ".join(senders)
        hint = f" Approved sender names: {names}." if senders else ""
        print(f"Export the variables above to use it.{hint} Ctrl-C stops it.", file=sys.stderr)
        sys.stderr.flush()
        follower.start()
        # an emulator of a gateway that pushes reports pushes what changed, twice a second
        push = getattr(emulator, "push_reports", None)
        with _stop_on_signals():
            try:
                while not running.served.wait(0.5):
                    if push is not None:
                        push()
            except KeyboardInterrupt:
                print(f"Stopped the {loaded.name} emulator.", file=sys.stderr)
    finally:
        follower.stop()
        running.close()
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM stop the emulator cleanly, even when the shell
    that started it in the background set SIGINT to be ignored."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
