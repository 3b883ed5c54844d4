"""``ileti report``: states, the tally, and --wait driven by the emulator's clock."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ileti import waiting


@pytest.fixture
def sent(cli: Callable[..., Any], testprov: Any) -> str:
    run = cli(
        "send", "-p", "testprov", "--to", "05321112233", "--to", "05321112239",
        "--text", "hi", "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    message_id: str = json.loads(run.out)["result"]["message_id"]
    return message_id


class FakeTime:
    """report's clock and pause: a pause moves the fake clock (and, if asked, the
    emulator's virtual clock) instead of sleeping."""

    def __init__(self, emulator: Any | None) -> None:
        self.now = 1000.0
        self.emulator = emulator
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        if self.emulator is not None:
            self.emulator.clock.advance(seconds)


def drive(monkeypatch: pytest.MonkeyPatch, emulator: Any | None) -> FakeTime:
    fake = FakeTime(emulator)
    monkeypatch.setattr(waiting, "_sleep", fake.sleep)
    monkeypatch.setattr(waiting, "_monotonic", fake.monotonic)
    return fake


def test_report_shows_each_recipient(cli: Callable[..., Any], testprov: Any, sent: str) -> None:
    run = cli("report", "-p", "testprov", sent)
    assert run.code == 0, run.err
    assert "2 recipients, not final yet" in run.out
    assert "Tally: queued 2" in run.out
    testprov.clock.advance(61)
    run = cli("report", "-p", "testprov", sent)
    rows = {line.split()[0]: line.split()[1] for line in run.out.splitlines() if "+90" in line}
    assert rows == {"+905321112233": "delivered", "+905321112239": "undelivered"}
    assert "every state final" in run.out


def test_report_json(cli: Callable[..., Any], testprov: Any, sent: str) -> None:
    testprov.clock.advance(20)
    doc = json.loads(cli("report", "-p", "testprov", sent, "--json").out)
    assert doc["final"] is False
    assert doc["tally"] == {"sent": 2}
    assert [(r["number"], r["state"], r["raw_state"]) for r in doc["recipients"]] == [
        ("+905321112233", "sent", "S"),
        ("+905321112239", "sent", "S"),
    ]


def test_wait_polls_with_backoff_until_final(
    cli: Callable[..., Any], testprov: Any, sent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = drive(monkeypatch, testprov)
    run = cli("report", "-p", "testprov", sent, "--wait", "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["tally"] == {"delivered": 1, "undelivered": 1}
    assert fake.pauses[:4] == [2.0, 3.0, 4.5, 6.75]
    assert all(b >= a for a, b in zip(fake.pauses, fake.pauses[1:], strict=False))
    assert sum(fake.pauses) >= 60  # the emulator's final states come after 60 s
    # the running tally, one line per poll off a terminal
    polls = [line for line in run.err.splitlines() if line.startswith("poll ")]
    assert polls[0] == "poll 1: queued 2; next poll in 2s"
    assert polls[-1] == f"poll {len(fake.pauses) + 1}: delivered 1, undelivered 1"


def test_wait_stops_at_the_deadline_with_exit_7(
    cli: Callable[..., Any], testprov: Any, sent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = drive(monkeypatch, None)  # the emulator's clock stands still: never final
    run = cli("report", "-p", "testprov", sent, "--wait", "--deadline", "20")
    assert run.code == 7
    assert sum(fake.pauses) == pytest.approx(20)
    assert "The deadline (20s) passed" in run.out
    assert "Tally: queued 2" in run.out


def test_pause_is_capped(
    cli: Callable[..., Any], testprov: Any, sent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = drive(monkeypatch, None)
    assert cli("report", "-p", "testprov", sent, "--wait", "--deadline", "400").code == 7
    assert max(fake.pauses) == waiting.MAX_PAUSE


def test_report_errors(cli: Callable[..., Any], testprov: Any) -> None:
    assert cli("report", "-p", "testprov", "  ").code == 3
    assert cli("report", "-p", "testprov-min", "P1").code == 3
    assert cli("report", "-p", "testprov", "P1", "--deadline", "-1").code == 2
    testprov.force_error("auth")
    run = cli("report", "-p", "testprov", "P1")
    assert run.code == 4
    assert "Check the provider's credentials" in run.err


def test_report_through_the_script(script: Callable[..., Any], testprov: Any, sent: str) -> None:
    testprov.clock.advance(61)
    run = script("report", "--provider", "testprov", sent, "--wait")
    assert run.code == 0, run.err
    assert "Tally: delivered 1, undelivered 1" in run.out


@pytest.fixture
def innomobil(provider_env: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Innomobil's emulator (it keeps a send history), the environment pointing at it."""
    em = provider_env("innomobil")
    monkeypatch.setenv("ILETI_INNOMOBIL_SENDER", em.default_sender)
    return em


def test_since_lists_the_packages_sent_in_the_range(
    cli: Callable[..., Any], innomobil: Any
) -> None:
    start = innomobil.clock.now()
    for text in ("Birinci", "İkinci"):
        run = cli("send", "-p", "innomobil", "--to", "05321112233", "--text", text)
        assert run.code == 0, run.err
    since = (start - timedelta(minutes=1)).isoformat()
    until = (start + timedelta(minutes=1)).isoformat()
    run = cli("report", "-p", "innomobil", "--since", since, "--until", until)
    assert run.code == 0, run.err
    assert run.out.startswith("2 packages through innomobil")
    assert "Birinci" in run.out
    assert "İkinci" in run.out
    run = cli("report", "-p", "innomobil", "--since", since, "--until", until, "--json")
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert [(d["text"], d["recipients"], d["scheduled"]) for d in lines] == [
        ("Birinci", 1, False),
        ("İkinci", 1, False),
    ]
    run = cli("report", "-p", "innomobil", "--since", since, "--until", until, "--scheduled")
    assert run.out.startswith("0 scheduled packages through innomobil")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["123", "--since", "1d"], "either a MESSAGE_ID"),
        (["--until", "1h"], "give --since WHEN too"),
        (["--since", "1d", "--wait"], "--wait follows one package"),
        (["--since", "1h", "--until", "1d"], "--since (.*) is after --until"),
        ([], "give the MESSAGE_ID a send printed, or --since WHEN"),
    ],
)
def test_since_usage_errors_are_worded_in_flags(
    cli: Callable[..., Any], innomobil: Any, args: list[str], message: str
) -> None:
    run = cli("report", "-p", "innomobil", *args)
    assert run.code == 2
    assert re.search(message, run.err), run.err
    assert innomobil.received == []


def test_since_on_a_provider_without_a_history(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("report", "-p", "testprov", "--since", "1d")
    assert run.code != 0
    assert "does not support 'sent_packages'" in run.err


def test_since_takes_a_duration_or_an_iso_time() -> None:
    from ileti.cli import _common

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert _common.parse_when("1d", now, past=True) == now - timedelta(days=1)
    assert _common.parse_when("2h30m", now, past=True) == now - timedelta(hours=2, minutes=30)
    assert _common.parse_when("2026-12-01T00:00+03:00", now, past=True) == datetime(
        2026, 11, 30, 21, 0, tzinfo=UTC
    )
    with pytest.raises(argparse.ArgumentTypeError, match="not a duration"):
        _common.parse_when("1x", now, past=True)
