"""The entry point: lazy imports, help, global options, exit codes, unexpected errors."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from ileti import errors
from ileti.cli import COMMANDS, EXIT_CODES, CliError, _common, build_parser, exit_code_for

HEAVY = ("urllib3", "phonenumbers", "cattrs")
#: what --help does not need either: each costs milliseconds at every start
SLOW = (
    "attr", "attrs", "typing", "pathlib", "datetime", "decimal", "tomllib", "logging", "xml",
    "shutil",
)  # fmt: skip


def test_help_imports_no_plugin_nor_heavy_module() -> None:
    argvs = [["--help"], *([name, "--help"] for name in COMMANDS), ["config", "show", "--help"]]
    code = f"""
import contextlib, io, json, sys
from ileti.cli import main
codes = []
for argv in {argvs!r}:
    with contextlib.redirect_stdout(io.StringIO()):
        codes.append(main(argv))
loaded = sorted(
    m for m in sys.modules
    if m.split(".")[0] in {HEAVY + SLOW!r} or m.startswith("ileti_")
)
print(json.dumps({{"codes": codes, "loaded": loaded}}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    doc = json.loads(proc.stdout)
    assert doc["loaded"] == []
    assert doc["codes"] == [0] * len(argvs)


def test_segments_imports_only_the_text_engine() -> None:
    # `ileti segments TEXT` runs the text engine and prints: no attrs (the text
    # models are written out), no logging or redaction without -v, no plugin
    code = """
import contextlib, io, json, sys
from ileti.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    codes = [main(["segments", "Merhaba dünya"]), main(["segments", "--json", "çok ₺"])]
print(json.dumps({"codes": codes, "out": out.getvalue(), "loaded": sorted(sys.modules)}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    doc = json.loads(proc.stdout)
    assert doc["codes"] == [0, 0]
    assert "encoding:  gsm7" in doc["out"]
    assert '"encoding": "ucs2"' in doc["out"]
    loaded = {m.split(".")[0] for m in doc["loaded"]}
    unwanted = {*HEAVY, *SLOW, "pluggy", "base64", "html"} - {"json"}
    assert not loaded & unwanted, loaded & unwanted
    assert not [m for m in doc["loaded"] if m.startswith("ileti_") or m == "ileti.redact"]
    # of the command modules, only its own: the others are listed from COMMANDS
    commands = [m for m in doc["loaded"] if m.startswith("ileti.cli.") and m != "ileti.cli._common"]
    assert commands == ["ileti.cli.segments"], commands


def test_import_ileti_loads_next_to_nothing() -> None:
    code = "import sys; import ileti; print(' '.join(sys.modules))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = {m.split(".")[0] for m in proc.stdout.split()}
    assert not loaded & {*HEAVY, *SLOW, "re", "json"}, loaded & {*HEAVY, *SLOW, "re", "json"}


@pytest.mark.parametrize(
    "argv",
    [
        (["send", "--to", "1"], "send"),
        (["--config", "demo", "balance"], "balance"),
        (["--set", "a=b", "-v", "report", "1"], "report"),
        (["--help"], ""),
        (["sned"], ""),
        (["-v"], ""),
    ],
)
def test_only_the_chosen_command_builds_its_options(argv: tuple[list[str], str]) -> None:
    from ileti.cli import _chosen

    words, command = argv
    assert _chosen(words) == command


def test_the_script_help(script: Callable[..., Any]) -> None:
    run = script("--help")
    assert run.code == 0
    for name in COMMANDS:
        assert name in run.out
    assert "7 still pending" in run.out


def test_no_command_is_a_usage_error(cli: Callable[..., Any]) -> None:
    run = cli()
    assert run.code == 2
    assert "COMMAND" in run.err
    assert cli("nosuchcommand").code == 2
    assert cli("--version").code == 0


def test_global_options_before_and_after_the_command() -> None:
    parser = build_parser()
    from ileti.cli import _merge_globals

    args = parser.parse_args(
        ["-v", "--set", "a=1", "--timeout", "3", "balance", "-p", "x", "-v", "--set", "b=2"]
    )
    _merge_globals(args)
    assert (args.verbose, args.set, args.timeout, args.config) == (
        2,
        [("a", "1"), ("b", "2")],
        3.0,
        None,
    )
    args = parser.parse_args(["balance", "-p", "x", "--timeout", "4", "--config", "c.toml"])
    _merge_globals(args)
    assert (args.verbose, args.timeout, args.config) == (0, 4.0, "c.toml")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidRecipient("x"), 3),
        (errors.ConfigurationError("x"), 3),
        (errors.NotSupported("x"), 3),
        (errors.AuthenticationError("x"), 4),
        (errors.MalformedResponse("x"), 4),
        (errors.DeliveryUnknown("x"), 5),
        (errors.TransportError("x"), 6),
        (errors.IletiError("x"), 1),
        (CliError("x", 2), 2),
        (RuntimeError("x"), 1),
    ],
)
def test_exit_code_for(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code
    assert code in EXIT_CODES


def test_an_unexpected_error_is_one_line_and_the_traceback_needs_vv(
    cli: Callable[..., Any], testprov: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ileti.cli import balance

    def boom(args: argparse.Namespace) -> int:
        with _common.make_client(args) as client:  # a command's client holds its secrets
            client.transport  # noqa: B018 (the transport registers them)
            raise RuntimeError(f"boom with {testprov.KEY}")

    monkeypatch.setattr(balance, "run", boom)
    run = cli("balance", "-p", "testprov")
    assert run.code == 1
    assert run.err.splitlines()[0] == "ileti: unexpected error: RuntimeError: boom with ****"
    assert "Traceback" not in run.err
    run = cli("-vv", "balance", "-p", "testprov")
    assert run.code == 1
    assert "Traceback (most recent call last)" in run.err
    assert testprov.KEY not in run.err


def test_verbose_logs_the_exchange_on_stderr(cli: Callable[..., Any], testprov: Any) -> None:
    quiet = cli("balance", "-p", "testprov")
    assert quiet.err == ""
    info = cli("-v", "balance", "-p", "testprov")
    assert "INFO ileti.transport: GET http://127.0.0.1:" in info.err
    assert "DEBUG" not in info.err
    debug = cli("balance", "-p", "testprov", "-vv")
    assert "DEBUG ileti.transport: GET" in debug.err
    assert "X-Api-Key': '****'" in debug.err
    assert testprov.KEY not in debug.err
    assert debug.out == "testprov: 100 credits\n"


def test_providers(cli: Callable[..., Any]) -> None:
    run = cli("providers", "--json")
    assert run.code == 0
    doc = json.loads(run.out)
    by_name = {p["name"]: p for p in doc["providers"]}
    assert by_name["testprov"]["capabilities"] == [
        "send",
        "send_multi",
        "query_report",
        "balance",
        "senders",
    ]
    assert by_name["testprov"]["emulator"] is True
    assert by_name["testprov"]["limits"]["max_recipients"] == 50
    assert by_name["testprov-min"]["capabilities"] == ["send"]
    assert by_name["innomobil"]["optional"] == ["sent_packages"]
    assert by_name["efecell"]["optional"] == []
    assert [b["name"] for b in doc["broken"]] == ["testprov-broken"]
    text = cli("providers").out
    assert "  recipients:   at most 50 per request" in text
    assert "  also:         sent_packages" in text
    assert "testprov-broken  BROKEN:" in text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1H 5M", 3900)],
)
def test_durations(text: str, seconds: int) -> None:
    assert _common.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "5", "2x", "h", "-1h", "0s", "1m2h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _common.parse_duration(text)


def test_times() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert _common.parse_when("+2h", now) == now + timedelta(hours=2)
    naive = _common.parse_when("2030-05-01T09:30")
    assert naive.utcoffset() == timedelta(hours=3)  # Europe/Istanbul
    assert _common.parse_when("2030-05-01T09:30Z").utcoffset() == timedelta(0)
    assert _common.parse_when("2030-05-01 09:30+01:00").hour == 9
    with pytest.raises(argparse.ArgumentTypeError):
        _common.parse_when("yarın")
