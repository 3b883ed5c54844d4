"""``ileti demo``'s flow (its options are in :mod:`ileti.cli.demo`, which loads
this module only when the demo runs): the whole flow through every installed
provider's emulator.

No credentials and no network: each provider's emulator is served on a
loopback port and driven through the real :class:`ileti.Client` over HTTP:
cost preview, balance, senders, a send, a personalised send, reports polled
to their final states (the emulator's virtual clock is moved forward
between polls instead of waiting), and the balance again. What a provider
does not support is skipped with a note.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ileti.cli import EXIT_INVALID, EXIT_OK, EXIT_UNEXPECTED, CliError
from ileti.cli import _common as common

if TYPE_CHECKING:
    from collections.abc import Callable

    from ileti.client import Client
    from ileti.host import LoadedProvider
    from ileti.models import Balance, DeliveryReport

from ileti.cli.demo import TEST_PREFIX

TEXT = "Merhaba! Siparişiniz yola çıktı; yarın kapınızda olacak. İyi günler dileriz."
#: one number ends in 9: the emulators' convention makes it undelivered
NUMBERS = ("0532 111 22 33", "0533 444 55 66", "0542 000 00 09")
TEMPLATE = "Sayın {name}, {code} numaralı siparişiniz kargoya verildi."
PEOPLE = (
    {"to": "0555 765 43 21", "name": "Ayşe", "code": "TR-1042"},
    {"to": "0544 222 33 44", "name": "Mehmet", "code": "TR-1043"},
    {"to": "0505 123 45 69", "name": "Zeynep", "code": "TR-1044"},
)
#: emulated time between two polls, and how many polls before giving up
POLL_STEP = timedelta(seconds=15)
MAX_POLLS = 40

OK, NOT_SUPPORTED, FAILED, SKIPPED = "ok", "not supported", "failed", "skipped"


@attrs.define
class Step:
    name: str
    status: str
    summary: str
    data: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class ProviderRun:
    provider: str
    title: str | None = None
    status: str = OK
    base_url: str | None = None
    steps: list[Step] = attrs.field(factory=list)
    error: str | None = None


# -- the account -------------------------------------------------------------------

_MARKS = {OK: ("[ok]  ", "green"), NOT_SUPPORTED: ("[--]  ", "yellow"), FAILED: ("[FAIL]", "red"),
          SKIPPED: ("[skip]", "yellow")}  # fmt: skip


class _Printer:
    """The readable account, printed as the flow goes (nothing in --json mode)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.style = common.Style(sys.stdout)

    def line(self, text: str = "") -> None:
        if not self.quiet:
            print(text, flush=True)

    def mark(self, status: str) -> str:
        text, colour = _MARKS[status]
        return self.style(text, colour)

    def header(self, run: ProviderRun) -> None:
        where = f" - emulator at {run.base_url}" if run.base_url else ""
        self.line(self.style(f"{run.provider} ({run.title or 'provider'}){where}", "bold"))

    def step(self, step: Step) -> None:
        self.line(f"  {self.mark(step.status)} {step.name:<12} {step.summary}")

    def verdict(self, run: ProviderRun) -> None:
        if run.status == OK:
            self.line(f"  => {self.style('the flow worked', 'green')}")
        elif run.status == SKIPPED:
            self.line(f"  {self.mark(SKIPPED)} {run.error}")
        else:
            self.line(f"  => {self.style('FAILED', 'red')}: {run.error}")
        self.line()


# -- the flow ----------------------------------------------------------------------


class _Flow:
    def __init__(self, run: ProviderRun, client: Client, emulator: Any, printer: _Printer) -> None:
        self.run = run
        self.client = client
        self.emulator = emulator
        self.printer = printer
        self.sender: str | None = emulator.default_sender

    def step(self, name: str, action: Callable[[], tuple[str, dict[str, Any]]]) -> Step:
        from ileti.errors import IletiError, NotSupported

        try:
            summary, data = action()
            status = OK
        except NotSupported:
            status, summary, data = NOT_SUPPORTED, f"not supported by {self.client.provider}", {}
        except _Failed as exc:
            status, summary, data = FAILED, exc.args[0], exc.data
        except IletiError as exc:
            status, summary, data = FAILED, str(exc), {"error": type(exc).__name__}
        except Exception as exc:  # a plugin bug: report it, go on with the others
            status, summary = FAILED, f"unexpected {type(exc).__name__}: {exc}"
            data = {"error": type(exc).__name__}
        return self.record(Step(name, status, summary, data))

    def record(self, step: Step) -> Step:
        self.run.steps.append(step)
        self.printer.step(step)
        return step

    def go(self) -> None:
        before = self.step("balance", lambda: self._balance(None))
        self.step("senders", self._senders)
        self.step("preview", self._preview)
        ids: list[str] = []
        for step in (self.step("send", self._send), self.step("send-multi", self._send_multi)):
            if step.status == OK:
                ids.append(step.data["message_id"])
        if "query_report" not in self.client.capabilities:
            self.record(Step("report", NOT_SUPPORTED, f"not supported by {self.client.provider}"))
        elif not ids:
            self.record(Step("report", SKIPPED, "nothing was sent to report on"))
        else:
            self._reports(ids)
        earlier = before.data.get("balance") if before.status == OK else None
        self.step("balance", lambda: self._balance(earlier))

    def _balance(self, before: Balance | None) -> tuple[str, dict[str, Any]]:
        from ileti.cli.balance import describe

        balance = self.client.balance()
        text = describe(balance)
        if before is not None:
            text += _spent(before, balance, self._billed_parts(), self._price_per_part())
        return text, {"balance": balance}

    def _billed_parts(self) -> int:
        """The parts the emulator billed when it accepted the sends."""
        with self.emulator.lock:
            return sum(m.parts for m in self.emulator.messages)

    def _price_per_part(self) -> Decimal | None:
        price = getattr(type(self.emulator), "price_per_part", None)
        return None if price is None else Decimal(price)

    def _senders(self) -> tuple[str, dict[str, Any]]:
        senders = self.client.senders()
        text = ", ".join(f"{s.name} ({s.state.value})" for s in senders) or "none registered"
        return text, {"senders": senders}

    def _preview(self) -> tuple[str, dict[str, Any]]:
        plain = self.client.preview(TEXT, recipients=len(NUMBERS))
        folded = self.client.preview(TEXT, recipients=len(NUMBERS), fold_turkish=True)

        def say(p: Any) -> str:
            parts = "1 part" if p.parts == 1 else f"{p.parts} parts"
            return f"{p.encoding}, {parts} x {p.recipients} = {p.credits} credits"

        return (
            f"{len(TEXT)} characters: {say(plain)}; folded to ASCII: {say(folded)}",
            {"text": TEXT, "preview": plain.to_dict(), "folded": folded.to_dict()},
        )

    def _send(self) -> tuple[str, dict[str, Any]]:
        result = self.client.send(NUMBERS, TEXT, sender=self.sender)
        return self._sent(result, f"to {len(NUMBERS)} numbers")

    def _send_multi(self) -> tuple[str, dict[str, Any]]:
        items = [(p["to"], TEMPLATE.format_map(p)) for p in PEOPLE]
        result = self.client.send_multi(items, sender=self.sender)
        summary, data = self._sent(result, f"personalised for {len(items)} numbers")
        return f"{summary} ({items[0][1]!r}, ...)", {**data, "texts": [t for _, t in items]}

    def _sent(self, result: Any, what: str) -> tuple[str, dict[str, Any]]:
        data = {"message_id": result.message_id, "result": result}
        summary = (
            f"message {result.message_id} {what}: {len(result.accepted)} of "
            f"{len(result.recipients)} accepted"
        )
        if result.rejected or not result.message_id:
            raise _Failed(summary + ("" if result.message_id else ", no message id"), data)
        return summary, data

    def _reports(self, ids: list[str]) -> None:
        from ileti.cli.report import tally_text
        from ileti.errors import IletiError

        history: dict[str, list[str]] = {mid: [] for mid in ids}
        latest: dict[str, DeliveryReport] = {}
        errors: dict[str, str] = {}
        waited = timedelta(0)
        for _ in range(MAX_POLLS):
            for mid in ids:
                if mid in errors or (mid in latest and latest[mid].is_final):
                    continue
                try:
                    report = self.client.report(mid)
                except IletiError as exc:  # reported below, per message
                    errors[mid] = str(exc)
                    continue
                except Exception as exc:  # a plugin bug
                    errors[mid] = f"unexpected {type(exc).__name__}: {exc}"
                    continue
                latest[mid] = report
                tally = tally_text(report)
                if not history[mid] or history[mid][-1] != tally:
                    history[mid].append(tally)
            if all(mid in errors or (mid in latest and latest[mid].is_final) for mid in ids):
                break
            self.emulator.clock.advance(POLL_STEP)
            waited += POLL_STEP
        for mid in ids:

            def account(mid: str = mid) -> tuple[str, dict[str, Any]]:
                if mid in errors:
                    raise _Failed(errors[mid], {})
                report = latest[mid]
                trail = " -> ".join(history[mid])
                data = {"report": report, "history": history[mid], "final": report.is_final}
                if not report.is_final:
                    raise _Failed(f"{trail}; not final after {_seconds(waited)} emulated", data)
                return f"{trail} ({_seconds(waited)} of emulated time)", data

            self.step(f"report {mid}", account)


def _spent(before: Balance, after: Balance, parts: int, price: Decimal | None) -> str:
    """What the flow cost, on the figure that moved (SMS credits or the amount),
    and what came back: gateways that refund undelivered messages bill every part
    when they accept a send and credit the undelivered ones back later."""
    old, new = before.sms_credits, after.sms_credits
    if old is not None and new is not None and old != new:
        return _refund_note(old - new, Decimal(parts), "SMS credits")
    if before.amount is not None and after.amount is not None:
        unit = (after.currency if after.unit.value == "currency" else "credits") or ""
        billed = None if price is None else parts * price
        return _refund_note(before.amount - after.amount, billed, unit)
    return ""


def _refund_note(spent: Decimal, billed: Decimal | None, unit: str) -> str:
    text = f"spent {spent} {unit}".rstrip()
    if billed is not None and billed > spent:
        text += (
            f": {billed} billed when sent, {billed - spent} refunded for the undelivered messages"
        )
    return f" ({text})"


def _seconds(delta: timedelta) -> str:
    return f"{int(delta.total_seconds())} s"


class _Failed(Exception):
    """A step that ran but did not do what the flow needs."""

    def __init__(self, summary: str, data: dict[str, Any]) -> None:
        super().__init__(summary)
        self.data = data


# -- choosing and running providers ------------------------------------------------


def _selected(args: argparse.Namespace) -> list[tuple[str, bool]]:
    """(provider, named explicitly) pairs to run."""
    from ileti.host import available_providers

    if args.provider:
        return [(name, True) for name in dict.fromkeys(args.provider)]
    return [
        (entry.name, False)
        for entry in available_providers()
        if args.include_test_providers or not entry.name.startswith(TEST_PREFIX)
    ]


def _run_one(name: str, explicit: bool, args: argparse.Namespace, printer: _Printer) -> ProviderRun:
    from ileti.client import Client
    from ileti.emulation import VirtualClock, serve
    from ileti.errors import IletiError
    from ileti.host import load_provider

    run = ProviderRun(name)
    try:
        loaded: LoadedProvider = load_provider(name)
    except IletiError as exc:
        run.status, run.error = FAILED, exc.message
        return run
    run.title = loaded.info.title
    if not loaded.has_emulator:
        run.status = FAILED if explicit else SKIPPED
        run.error = f"{name} ships no emulator"
        return run
    try:
        emulator = loaded.emulator(VirtualClock())
        settings: dict[str, Any] = dict(emulator.credentials())
    except Exception as exc:
        run.status, run.error = FAILED, f"its emulator cannot start: {type(exc).__name__}: {exc}"
        return run
    with serve(emulator) as served:
        run.base_url = served.base_url
        printer.header(run)
        try:
            client = Client(
                loaded, timeout=common.timeout(args), base_url=served.base_url, **settings
            )
        except IletiError as exc:
            run.status, run.error = FAILED, str(exc)
            return run
        with client:
            _Flow(run, client, emulator, printer).go()
    failed = [s.name for s in run.steps if s.status == FAILED]
    if failed:
        run.status, run.error = FAILED, f"failed steps: {', '.join(failed)}"
    return run


#: where plugins keep state (a report store, a cache): a scratch folder during the demo
_STATE_DIRS = ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")


@contextlib.contextmanager
def _scratch_dirs() -> Iterator[None]:
    """Point the per-user state, cache and data folders at a temporary folder, so
    that no plugin keeps what the emulators said (e.g. a store of pulled
    reports) among the user's real data; removed afterwards."""
    saved = {name: os.environ.get(name) for name in _STATE_DIRS}
    with tempfile.TemporaryDirectory(prefix="ileti-demo-") as scratch:
        for name in _STATE_DIRS:
            os.environ[name] = os.path.join(scratch, name.lower())
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def run(args: argparse.Namespace) -> int:
    chosen = _selected(args)
    if not chosen:
        raise CliError(
            "no provider is installed: install one (pip install ileti-efecell) and run again",
            EXIT_INVALID,
        )
    printer = _Printer(quiet=args.json)
    printer.line(
        "ileti demo: the whole flow through each provider's emulator on 127.0.0.1, with the "
        "real client over HTTP."
    )
    printer.line("No credentials, no network: emulated time is moved forward instead of waiting.")
    printer.line()
    runs = []
    with _scratch_dirs():
        for name, explicit in chosen:
            one = _run_one(name, explicit, args, printer)
            if one.base_url is None:
                printer.header(one)
            printer.verdict(one)
            runs.append(one)
    ran = [r for r in runs if r.status != SKIPPED]
    worked = [r for r in ran if r.status == OK]
    ok = bool(ran) and len(worked) == len(ran)
    if args.json:
        common.print_json({"ok": ok, "providers": runs})
    else:
        if not ran:
            printer.line("No installed provider ships an emulator: nothing to show.")
        else:
            printer.line(f"Result: {len(worked)} of {common.plural(len(ran), 'provider')} worked.")
        skipped = [r.provider for r in runs if r.status == SKIPPED]
        if skipped:
            printer.line(f"Skipped (no emulator): {', '.join(skipped)}")
    if not ran:
        return EXIT_INVALID
    return EXIT_OK if ok else EXIT_UNEXPECTED
