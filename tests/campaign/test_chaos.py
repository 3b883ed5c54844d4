"""Crash safety, tested by crashing: the ``ileti`` command killed with SIGKILL
at random points and resumed, then what the emulator received is counted.

The emulator (testprov, which can be asked by client reference) runs in this
process on loopback; the command runs as a real subprocess with its own
store (SQLite; the random kills also on PostgreSQL). Every recipient must
reach the emulator exactly once, and the store must agree with the emulator
row by row. With failover (``--provider testprov,efecell``), no recipient
may reach the two gateways twice in all.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ileti import host
from ileti.campaign import CampaignStore, RowState, open_store
from ileti.emulation import ServedApp, VirtualClock, serve
from ileti.testing import service_url

ILETI = str(Path(sys.executable).with_name("ileti"))
KEY = "test-key-CANARY-42"
ROWS = 2000
#: ASCII, so that the rows with an ASCII name (the second half) are imported a
#: whole block at a time and those with a Turkish one row by row: the kills
#: land in both
TEMPLATE = "Sayin {name}, kodunuz {code}."


def name_of(index: int) -> str:
    return "Müşteri" if index < ROWS // 2 else "Musteri"


@pytest.fixture
def emulator() -> Any:
    em = host.load_provider("testprov").plugin.provider_emulator(clock=VirtualClock())
    em.credit = Decimal(10**6)
    return em


class Slow:
    """A gateway that takes 50 ms to answer a send, as real ones do: the
    kills then land while requests are in flight."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST":
            time.sleep(0.05)
        return self.app(environ, start_response)


@pytest.fixture
def served(emulator: Any) -> Iterator[ServedApp]:
    with serve(Slow(emulator)) as srv:
        yield srv


@pytest.fixture
def store_kind() -> str:
    """The store the command uses (a test parametrized on it runs on both)."""
    return "sqlite"


@pytest.fixture
def store_url(store_kind: str, tmp_path: Path) -> Iterator[str]:
    if store_kind == "sqlite":
        yield str(tmp_path / "campaigns.sqlite3")
        return
    from ileti_postgres import temporary_schema

    with temporary_schema(service_url("ILETI_TEST_POSTGRES"), "chaos") as url:
        yield url


@pytest.fixture
def env(served: ServedApp, tmp_path: Path, store_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILETI_")}
    env.update(
        ILETI_TESTPROV_BASE_URL=served.base_url,
        ILETI_TESTPROV_API_KEY=KEY,
        ILETI_CAMPAIGN_STORE=store_url,
        ILETI_CONFIG=str(tmp_path / "absent.toml"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    return env


@pytest.fixture
def rows_file(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    with open(path, "w", encoding="utf-8") as out:
        out.write("to,name,code\n")
        for i in range(ROWS):
            out.write(f"0532{i:07d},{name_of(i)} {i},K{i:05d}\n")
    return path


def store_of(env: dict[str, str]) -> CampaignStore:
    return open_store(env["ILETI_CAMPAIGN_STORE"])


def campaign_id(env: dict[str, str]) -> str | None:
    location = env["ILETI_CAMPAIGN_STORE"]
    if "://" not in location and not Path(location).exists():
        return None
    store = store_of(env)
    try:
        found = store.campaigns()
    finally:
        store.close()
    return found[0].id if found else None


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ILETI, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def kill_at_random(
    env: dict[str, str], start: list[str], *, seed: int, kills: int
) -> tuple[str | None, int]:
    """Run ``start``, then ``campaign resume``, each killed with SIGKILL at a
    random point, until ``kills`` kills or until a run finishes before it
    could be killed; the campaign id and the kills made."""
    rng = random.Random(seed)
    made = 0
    cid: str | None = None
    while made < kills:
        args = start if cid is None else ["campaign", "resume", cid, "--rate", "150"]
        proc = spawn(env, *args)
        time.sleep(rng.uniform(0.05, 1.6))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            made += 1
        proc.communicate(timeout=30)
        cid = cid or campaign_id(env)
        if cid is not None and proc.returncode == 0:
            break  # finished before it could be killed
    return cid, made


def resume_until_done(
    env: dict[str, str], cid: str, tries: int = 5
) -> subprocess.CompletedProcess[str]:
    """``ileti campaign resume`` until nothing is left to send or settle."""
    for _ in range(tries):
        done = subprocess.run(
            [ILETI, "campaign", "resume", cid, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if json.loads(done.stdout)["status"] == "done":
            break
    return done


def assert_exactly_once(emulator: Any, env: dict[str, str], cid: str) -> None:
    received = Counter(m.recipient for m in emulator.messages)
    assert len(received) == ROWS
    twice = {n: c for n, c in received.items() if c > 1}
    assert twice == {}, f"sent more than once: {twice}"
    store = store_of(env)
    try:
        rows = {r.number: r for r in store.iter_rows(cid)}
    finally:
        store.close()
    assert len(rows) == ROWS
    assert {r.state for r in rows.values()} == {RowState.ACCEPTED}
    for message in emulator.messages:  # the store agrees with the emulator row by row
        row = rows[message.recipient]
        assert row.message_id == message.package_id
        index = row.line - 2
        assert message.text == f"Sayin {name_of(index)} {index}, kodunuz K{index:05d}."


@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"])
def test_sigkill_at_random_points_then_resume_sends_each_recipient_once(
    emulator: Any, env: dict[str, str], rows_file: Path
) -> None:
    start = [
        "campaign", "start", "-p", "testprov", str(rows_file), "--template",
        TEMPLATE, "--rate", "150", "--batch-size", "25",
        "--workers", "4",
    ]  # fmt: skip
    cid, kills = kill_at_random(env, start, seed=20261203, kills=24)
    assert kills >= 20
    assert cid is not None
    done = resume_until_done(env, cid)
    status = json.loads(done.stdout)
    assert status["status"] == "done", done.stderr
    assert done.returncode == 0
    assert status["counts"]["accepted"] == ROWS
    assert_exactly_once(emulator, env, cid)
    # kills left claimed rows, which resumes settled by asking the gateway
    assert any(r.method == "GET" and r.path == "/report" for r in emulator.received)


def test_ctrl_c_stops_cleanly_with_an_exact_summary(
    emulator: Any, env: dict[str, str], rows_file: Path
) -> None:
    proc = spawn(
        env, "campaign", "start", "-p", "testprov", str(rows_file), "--template",
        TEMPLATE, "--rate", "800", "--json",
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(emulator.messages) < 100 and time.monotonic() < deadline:
        time.sleep(0.02)  # Ctrl-C once the campaign is sending
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    status = json.loads(out)
    counts = status["counts"]
    assert counts["claimed"] == 0  # requests in flight ended and were recorded
    assert counts["unknown"] == 0
    assert 0 < counts["accepted"] < ROWS
    assert counts["accepted"] == len(emulator.messages)
    assert counts["accepted"] + counts["pending"] == status["rows"]
    assert status["status"] == "stopped"
    cid = status["id"]
    done = resume_until_done(env, cid, tries=1)
    assert done.returncode == 0, done.stderr
    assert_exactly_once(emulator, env, cid)


def test_send_multi_prints_the_id_and_can_be_resumed_after_sigkill(
    emulator: Any, env: dict[str, str], rows_file: Path
) -> None:
    proc = spawn(
        env, "send-multi", "-p", "testprov", str(rows_file), "--template",
        TEMPLATE, "--rate", "800",
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("Campaign ")
    cid = first.split()[1]
    deadline = time.monotonic() + 60
    while len(emulator.messages) < 100 and time.monotonic() < deadline:
        time.sleep(0.02)  # killed while it is sending
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert len(emulator.messages) < ROWS
    done = resume_until_done(env, cid, tries=3)
    assert done.returncode == 0, done.stderr
    assert_exactly_once(emulator, env, cid)


def test_sigkill_with_failover_never_sends_a_recipient_twice(
    emulator: Any, env: dict[str, str], rows_file: Path
) -> None:
    """``--provider testprov,efecell``: testprov runs out of credit part way
    and the rest fails over to efecell, while the command is killed at random
    points and resumed. testprov can be asked by reference, so its rows are
    settled exactly; a request to efecell killed in flight may stay
    ``unknown`` (efecell can only be asked by a package id the kill never
    saw). Whatever happened, no recipient gets two SMS across the two
    gateways, and the store agrees with both, row by row."""
    emulator.credit = Decimal(ROWS // 2)
    efecell = host.load_provider("efecell").emulator(VirtualClock())
    efecell.credit = Decimal(10**6)
    with serve(Slow(efecell)) as second:
        env = {**env, "ILETI_EFECELL_BASE_URL": second.base_url}
        env.update({f"ILETI_EFECELL_{k.upper()}": v for k, v in efecell.credentials().items()})
        start = [
            "campaign", "start", "-p", "testprov,efecell", str(rows_file), "--template",
            TEMPLATE, "--sender", efecell.default_sender,
            "--rate", "150", "--batch-size", "25", "--workers", "4",
        ]  # fmt: skip
        cid, _ = kill_at_random(env, start, seed=20261204, kills=20)
        assert cid is not None
        done = resume_until_done(env, cid, tries=3)
    assert json.loads(done.stdout)["status"] in ("done", "attention"), done.stderr
    first = Counter(m.recipient for m in emulator.messages)
    other = Counter(m.recipient for m in efecell.messages)
    both = first + other
    assert {n: c for n, c in both.items() if c > 1} == {}
    assert first, "testprov sent nothing before its credit ran out"
    assert other, "nothing failed over to efecell"
    store = store_of(env)
    try:
        rows = {r.number: r for r in store.iter_rows(cid)}
        went = store.providers(cid, [r.batch for r in rows.values() if r.batch])
    finally:
        store.close()
    assert len(rows) == ROWS
    accepted = {n for n, r in rows.items() if r.state is RowState.ACCEPTED}
    unknown = {n: r for n, r in rows.items() if r.state is RowState.UNKNOWN}
    assert accepted | set(unknown) == set(rows)
    # every accepted row is at the gateway its claim recorded, and only there
    for number in accepted:
        provider = went[rows[number].batch or ""]
        assert number in (first if provider == "testprov" else other), (number, provider)
    assert set(both) - accepted <= set(unknown)
    # what stays unknown went to efecell: testprov's were settled by reference
    assert {went[r.batch or ""] for r in unknown.values()} <= {"efecell"}
