"""Fixtures for the command line's tests: the testprov emulator on loopback,
the command run in-process (``main``) or as the installed ``ileti`` script."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from ileti import host
from ileti.cli import main
from ileti.emulation import ServedApp, VirtualClock, serve

#: the installed console script, beside the interpreter running the tests
ILETI = str(Path(sys.executable).with_name("ileti"))
DOC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md"
KEY = "test-key-CANARY-42"
CANARY = "CANARY"


@attrs.frozen
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ILETI_* variable, user config or user state folder leaks into a test
    (the test servers' ILETI_TEST_* stay: they are not settings)."""
    for name in list(os.environ):
        if name.startswith("ILETI_") and not name.startswith("ILETI_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ILETI_CONFIG", str(tmp_path / "absent-config.toml"))
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    host.clear_caches()
    yield
    host.clear_caches()


@pytest.fixture
def emulator() -> Any:
    return host.load_provider("testprov").plugin.provider_emulator(clock=VirtualClock())


@pytest.fixture
def served(emulator: Any) -> Iterator[ServedApp]:
    with serve(emulator) as srv:
        yield srv


@pytest.fixture
def testprov(served: ServedApp, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The testprov emulator, with the environment pointing the command at it."""
    monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", served.base_url)
    monkeypatch.setenv("ILETI_TESTPROV_API_KEY", KEY)
    return emulator


@pytest.fixture
def provider_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    """Call with a provider's name: its emulator is served on loopback and the
    environment points the command at it (base URL and credentials)."""
    stack = contextlib.ExitStack()

    def start(name: str) -> Any:
        em = host.load_provider(name).plugin.provider_emulator(clock=VirtualClock())
        served = stack.enter_context(serve(em))
        monkeypatch.setenv(f"ILETI_{name.upper()}_BASE_URL", served.base_url)
        for key, value in em.credentials().items():
            monkeypatch.setenv(f"ILETI_{name.upper()}_{key.upper()}", value)
        return em

    with stack:
        yield start


class _Stdin(io.TextIOWrapper):
    def __init__(self, data: bytes, tty: bool) -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8")
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run ``ileti ARGS`` in this process; ``stdin`` is bytes or text piped in,
    ``tty=True`` makes standard input a terminal."""

    def run(*args: str, stdin: bytes | str | None = None, tty: bool = False) -> Run:
        capsys.readouterr()
        if stdin is not None or tty:
            data = stdin.encode() if isinstance(stdin, str) else (stdin or b"")
            monkeypatch.setattr(sys, "stdin", _Stdin(data, tty))
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def script() -> Callable[..., Run]:
    """Run the installed ``ileti`` script in a subprocess (environment: this
    process's, plus ``env``)."""

    def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Run:
        proc = subprocess.run(
            [ILETI, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=120,
            check=False,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def start() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``ileti ARGS...`` as a background process (a server); each is
    killed at the end if the test left it running."""
    procs: list[subprocess.Popen[str]] = []

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [ILETI, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        procs.append(proc)
        return proc

    yield run
    for proc in procs:  # a failed test must not leave a server behind
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
