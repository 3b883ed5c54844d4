"""Errors on the command line: in its own words (flags, commands), as JSON
with ``--json``, and a mistyped provider gets a suggestion, never a package
name made from the typo."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ileti.cli._common import in_cli_words
from ileti.testing import ServedEmulator, serve_emulator


@pytest.fixture
def efecell(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServedEmulator]:
    running = serve_emulator("efecell")
    for name, value in running.environment().items():
        monkeypatch.setenv(name, value)
    yield running
    running.close()


def test_a_mistyped_provider_gets_a_suggestion(cli: Callable[..., Any]) -> None:
    run = cli("send", "-p", "efecel", "--to", "05321112233", "--text", "x")
    assert run.code == 3
    assert "did you mean 'efecell'?" in run.err
    assert "pip install" not in run.err
    run = cli("balance", "-p", "nosuchgateway")
    assert "did you mean" not in run.err
    assert "ileti-nosuchgateway" not in run.err


def test_a_missing_sender_names_the_flag(cli: Callable[..., Any], efecell: Any) -> None:
    run = cli("send", "-p", "efecell", "--to", "05321112233", "--text", "Merhaba")
    assert run.code == 3
    assert "give --sender NAME" in run.err
    assert "sender=" not in run.err


def test_a_missing_setting_names_the_flag_and_the_variable(cli: Callable[..., Any]) -> None:
    run = cli("balance", "-p", "efecell")
    assert run.code == 3
    assert "give --set api_key=VALUE or set ILETI_EFECELL_API_KEY" in run.err
    assert "****" not in run.err


def test_an_unapproved_sender_points_at_the_senders_command(
    cli: Callable[..., Any], efecell: Any
) -> None:
    run = cli("send", "-p", "efecell", "--to", "05321112233", "--text", "x", "--sender", "BASKA")
    assert run.code == 3  # InvalidSender: nothing was sent
    assert "client." not in run.err
    assert "`ileti senders -p efecell`" in run.err


@pytest.mark.parametrize(
    ("library", "cli"),
    [
        ("pass sender=... or set X", "give --sender NAME or set X"),
        ("pass password=**** or set X", "give --set password=VALUE or set X"),
        ("scheduling (schedule=) is not", "scheduling (--schedule) is not"),
        ("client references (client_ref=)", "client references (--client-ref)"),
        ("(client.senders() lists them)", "(`ileti senders -p efecell` lists them)"),
        ("client.frobnicate() and (foo=)", "client.frobnicate() and (foo=)"),
    ],
)
def test_the_rewording_table(library: str, cli: str) -> None:
    assert in_cli_words(library, "efecell") == cli


def test_json_errors_are_one_object_on_standard_output(
    cli: Callable[..., Any], efecell: ServedEmulator
) -> None:
    efecell.emulator.force_error("402")
    run = cli(
        "send", "-p", "efecell", "--to", "05321112233", "--text", "x", "--sender", "ILETI", "--json"
    )
    assert run.code == 4
    doc = json.loads(run.out)
    assert doc["error"]["type"] == "InsufficientCredit"
    assert doc["error"]["exit_code"] == 4
    assert doc["error"]["provider"] == "efecell"
    assert doc["error"]["code"] == "402"
    assert doc["error"]["message"] in run.err
    run = cli("balance", "-p", "efecel", "--json")
    assert json.loads(run.out)["error"]["type"] == "ConfigurationError"
    run = cli(
        "send", "-p", "efecell", "--to", "05321112233", "--text-file", "/nonexistent", "--json"
    )
    assert json.loads(run.out)["error"] == {
        "type": "CommandError",
        "message": run.err.removeprefix("ileti: error: ").strip(),
        "exit_code": 3,
    }


def test_a_report_on_an_unknown_id_says_so(cli: Callable[..., Any], efecell: Any) -> None:
    run = cli("report", "-p", "efecell", "999999", "--json")
    assert run.code == 3
    assert "no message with this id" in run.err
    assert "refused the request as invalid" not in run.err
    assert json.loads(run.out)["error"]["type"] == "UnknownMessage"
