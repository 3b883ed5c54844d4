"""``ileti emulate``: a provider's emulator on loopback until Ctrl-C."""

from __future__ import annotations

import json
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import ileti
import ileti.testing
from ileti.cli.emulate import ClockFollower
from ileti.emulation import VirtualClock

ILETI = str(Path(sys.executable).with_name("ileti"))


def test_emulate_serves_until_ctrl_c(start: Callable[..., Any]) -> None:
    proc = start("emulate", "testprov", "--json")
    assert proc.stdout is not None
    doc = json.loads(proc.stdout.readline())
    assert doc["provider"] == "testprov"
    assert doc["sender"] == "ILETI"
    assert doc["base_url"].startswith("http://127.0.0.1:")
    assert doc["env"] == {
        "ILETI_TESTPROV_BASE_URL": doc["base_url"],
        "ILETI_TESTPROV_API_KEY": "test-key-CANARY-42",
    }
    client = ileti.Client.from_env("testprov", env=doc["env"])
    with client:
        result = client.send("05321112233", "Merhaba", sender=doc["sender"])
        assert result.accepted
        assert client.balance().amount == 99
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Stopped the testprov emulator" in err
    assert "Traceback" not in err


def test_emulate_prints_shell_exports_and_stops_on_sigterm(
    start: Callable[..., Any],
) -> None:
    proc = start("emulate", "testprov", "--clock-speed", "0")
    assert proc.stdout is not None
    lines = [proc.stdout.readline(), proc.stdout.readline()]
    env = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in lines)
    assert set(env) == {"ILETI_TESTPROV_BASE_URL", "ILETI_TESTPROV_API_KEY"}
    with ileti.Client.from_env("testprov", env=env) as client:
        assert [s.name for s in client.senders()] == ["ILETI", "YENI"]
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "its clock is stopped" in err


def test_clock_follower_moves_the_clock_by_real_time_times_speed() -> None:
    now = [100.0]
    clock = VirtualClock()
    started = clock.now()
    follower = ClockFollower(clock, 10.0, monotonic=lambda: now[0])
    now[0] += 1.5
    assert follower.tick() == 15.0
    now[0] += 0.5
    follower.tick()
    assert clock.now() - started == timedelta(seconds=20)
    assert follower.tick() == 0.0


def test_no_emulator_or_no_loopback_exits_3(cli: Callable[..., Any]) -> None:
    run = cli("emulate", "testprov-min")
    assert (run.code, "ships no emulator" in run.err) == (3, True)
    run = cli("emulate", "testprov", "--host", "0.0.0.0")
    assert (run.code, "loopback" in run.err) == (3, True)
    assert cli("emulate", "testprov", "--port", "70000").code == 2
    assert cli("emulate", "testprov", "--clock-speed", "-1").code == 2


def test_a_taken_port_exits_3(cli: Callable[..., Any]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        run = cli("emulate", "testprov", "--port", str(sock.getsockname()[1]))
    assert run.code == 3
    assert "cannot listen" in run.err


def test_emulate_takes_senders_and_credit(start: Callable[..., subprocess.Popen[str]]) -> None:
    proc = start(
        "emulate",
        "testprov",
        "--json",
        "--sender",
        "FIRMA",
        "--sender",
        "DUKKAN",
        "--credit",
        "5000",
    )
    assert proc.stdout is not None
    doc = json.loads(proc.stdout.readline())
    assert doc["sender"] == "FIRMA"
    assert doc["senders"] == ["FIRMA", "DUKKAN", "ILETI"]
    assert doc["credit"] == "5000"
    with ileti.Client.from_env("testprov", env=doc["env"]) as client:
        assert client.balance().amount == 5000
        assert client.send("05321112233", "Merhaba", sender="FIRMA").accepted
        assert client.send("05321112233", "Merhaba", sender="DUKKAN").accepted
        assert client.balance().amount == 4998
        with pytest.raises(ileti.InvalidSender):
            client.send("05321112233", "Merhaba", sender="BASKA")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_emulate_names_the_senders_on_stderr(start: Callable[..., subprocess.Popen[str]]) -> None:
    proc = start("emulate", "testprov", "--sender", "FIRMA")
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert proc.stdout.readline().startswith("export ILETI_TESTPROV_BASE_URL=")
    err = proc.stderr.readline() + proc.stderr.readline()
    assert "Approved sender names: FIRMA, ILETI." in err


def test_a_bad_sender_or_credit_is_refused_in_the_flags_words(cli: Callable[..., Any]) -> None:
    run = cli("emulate", "testprov", "--sender", "İLETİ")
    assert run.code == 3
    assert run.err.startswith("ileti: error: --sender: sender name 'İLETİ' has Turkish letters")
    for bad in ("-1", "lots", "nan"):
        run = cli("emulate", "testprov", "--credit", bad)
        assert run.code == 2
        assert "--credit" in run.err


def test_the_sender_is_exported_as_the_providers_sender_setting(
    start: Callable[..., subprocess.Popen[str]],
) -> None:
    proc = start("emulate", "efecell", "--json", "--sender", "FIRMA")
    assert proc.stdout is not None
    env = json.loads(proc.stdout.readline())["env"]
    assert env["ILETI_EFECELL_SENDER"] == "FIRMA"
    with ileti.Client.from_env("efecell", env=env) as client:
        result = client.send("05321112233", "Merhaba")  # no sender: the setting's
        assert result.accepted
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    with ileti.testing.emulated("efecell", senders=["FIRMA"]) as em:
        em.client.send("05321112233", "Merhaba")
        assert em.emulator.messages[-1].sender == "FIRMA"
