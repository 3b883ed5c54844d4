"""What changes on a terminal: the progress bar, the live tally, colour; and
answers where the provider refuses some recipients."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ileti import waiting
from ileti.cli import _common, main
from ileti.emulation import FaultProxy, FaultSpec


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(
    testprov: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    testprov.credit = Decimal(1000)
    path = tmp_path / "m.csv"
    path.write_text("to,text\n" + "".join(f"05321{i:06d},x\n" for i in range(120)), "utf-8")
    off = cli("send-multi", "-p", "testprov", str(path))
    assert off.code == 0
    assert "\r" not in off.err
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["send-multi", "-p", "testprov", str(path)]) == 0
    drawn = terminal.getvalue()
    assert "\r" in drawn  # one line redrawn in place (tqdm)
    assert "120/120" in drawn  # rows done of the rows the file has
    assert "accepted 120" in drawn  # the tally per state


def test_live_tally_rewrites_one_line_on_a_terminal(
    testprov: Any, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    sent = json.loads(
        cli("send", "-p", "testprov", "--to", "05321112233", "--text", "a", "--json").out
    )
    monkeypatch.setattr(waiting, "_sleep", testprov.clock.advance)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["report", "-p", "testprov", sent["result"]["message_id"], "--wait"]) == 0
    drawn = terminal.getvalue()
    assert "\n" not in drawn
    assert "\r\x1b[Kpoll 1: queued 1; next poll in 2s" in drawn
    assert "delivered 1" in drawn


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert _common.Style(io.StringIO())("ok", "green") == "ok"
    assert _common.Style(Terminal())("ok", "green") == "\x1b[32mok\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "")
    assert _common.Style(Terminal())("ok", "green") == "ok"


def refusing(numbers: list[str]) -> FaultSpec:
    """A gateway answer accepting the first recipient and refusing the others."""
    results = [
        {"to": n, "ok": i == 0, "reason": None if i == 0 else "blocked"}
        for i, n in enumerate(numbers)
    ]
    return FaultSpec.http_status(200, body=json.dumps({"id": "P9", "results": results}).encode())


def test_send_some_recipients_refused_exits_4(
    cli: Callable[..., Any], served: Any, testprov: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FaultProxy(served.base_url) as proxy:
        monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", proxy.base_url)
        proxy.set_faults(refusing(["905321112233", "905321112234"]))
        run = cli(
            "send", "-p", "testprov", "--to", "05321112233", "--to", "05321112234", "--text", "a"
        )
    assert run.code == 4
    assert "1 of 2 recipients accepted" in run.out
    assert ["+905321112234", "refused", "blocked"] in [
        line.split() for line in run.out.splitlines()
    ]


def test_send_multi_some_recipients_refused_exits_4(
    cli: Callable[..., Any],
    served: Any,
    testprov: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "m.csv"
    path.write_text("to,text\n05321112233,a\n05321112234,b\n", "utf-8")
    with FaultProxy(served.base_url) as proxy:
        monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", proxy.base_url)
        proxy.set_faults(refusing(["905321112233", "905321112234"]))
        run = cli("send-multi", "-p", "testprov", str(path))
    assert run.code == 4
    assert "line 3: +905321112234 refused by the provider: blocked" in run.err
    assert "1 refused by the provider (lines 3)" in run.out


def test_segments_stays_registered(cli: Callable[..., Any]) -> None:
    run = cli("segments", "Merhaba dünya")
    assert run.code == 0, run.err
    assert "gsm7" in run.out


def test_coloured_cells_keep_the_columns_aligned() -> None:
    style = _common.Style(Terminal())
    rows = [("+905321112233", style("delivered", "green"), "3"), ("+905", style("x", "red"), "4")]
    lines = _common.table(("NUMBER", "STATE", "RAW"), rows)
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]
    last_column = {len(line) - len(line.split()[-1]) for line in plain}
    assert len(last_column) == 1, plain
    assert "\x1b[32mdelivered\x1b[0m" in lines[1]
