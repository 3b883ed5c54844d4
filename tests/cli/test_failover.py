"""``--provider a,b``: a send fails over only when nothing was sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ileti.emulation import Fault, FaultProxy, refused_url

TO = ("--to", "05321112233", "--text", "Merhaba")


def test_a_refused_connection_fails_over_to_the_second(
    cli: Callable[..., Any],
    testprov: Any,
    provider_env: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    modexi = provider_env("modexi")
    monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", refused_url())
    run = cli("send", "-p", "testprov,modexi", *TO, "--sender", modexi.default_sender)
    assert run.code == 0, run.err
    assert "At testprov: Cost: 1 part" in run.out
    assert "Sent through modexi" in run.out
    assert "ileti report --provider modexi" in run.out
    assert len(modexi.messages) == 1
    assert testprov.received == []


def test_a_send_that_may_have_left_exits_5_and_is_not_sent_again(
    cli: Callable[..., Any],
    testprov: Any,
    served: Any,
    provider_env: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    modexi = provider_env("modexi")
    with FaultProxy(served.base_url) as proxy:
        monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", proxy.base_url)
        proxy.set_faults(Fault.RESET)
        run = cli("send", "-p", "testprov,modexi", *TO, "--json")
    assert run.code == 5, run.err
    assert "do not send it again blindly" in run.err
    assert modexi.messages == []


def test_settle_unknown_asks_the_first_then_fails_over(
    cli: Callable[..., Any],
    testprov: Any,
    served: Any,
    provider_env: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    modexi = provider_env("modexi")
    with FaultProxy(served.base_url, hang_seconds=3) as proxy:
        monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", proxy.base_url)
        proxy.set_faults(Fault.HANG)  # the gateway never gets the send
        run = cli(
            "send", "-p", "testprov,modexi", *TO, "--sender", modexi.default_sender,
            "--timeout", "1", "--settle-unknown", "10", "--json",
        )  # fmt: skip
    assert run.code == 0, run.err
    assert json.loads(run.out)["result"]["provider"] == "modexi"
    assert len(modexi.messages) == 1
    assert testprov.messages == []
    assert [r.path for r in testprov.received] == ["/report"]  # asked, by its reference


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("-p", "testprov,modexi", "--set", "api_key=x"), 2, "--set applies to one provider"),
        (("-p", "testprov,modexi", "--dry-run"), 2, "give one --provider"),
        (("-p", "testprov:0,modexi"), 3, "not a whole number >= 1"),
        (("-p", "testprov,modexi", "--settle-unknown", "0"), 2, "seconds above 0"),
    ],
)
def test_routing_flags_refused_in_the_command_lines_words(
    cli: Callable[..., Any], testprov: Any, args: tuple[str, ...], code: int, said: str
) -> None:
    run = cli("send", *args, *TO)
    assert run.code == code, run.err
    assert said in run.err


@pytest.mark.parametrize("command", [("send-multi", "rows.csv"), ("balance",)])
def test_commands_of_one_provider_say_so(
    cli: Callable[..., Any], testprov: Any, command: tuple[str, ...]
) -> None:
    run = cli(*command, "-p", "testprov,modexi")
    assert run.code == 2, run.err
    assert "this command takes one provider" in run.err


def test_the_circuit_is_kept_between_runs_and_shown_by_providers(
    cli: Callable[..., Any],
    testprov: Any,
    served: Any,
    provider_env: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    modexi = provider_env("modexi")
    monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", refused_url())
    for _ in range(5):  # testprov refuses every connection: five failures in a row
        run = cli("send", "-p", "testprov,modexi", *TO, "--sender", modexi.default_sender)
        assert run.code == 0, run.err
    shown = cli("providers")
    assert "circuit:      open: skipped by routed sends for 30 s more" in shown.out
    assert "circuit:      closed (0 of the last 5 routed calls failed)" in shown.out
    health = {
        p["name"]: p["health"] for p in json.loads(cli("providers", "--json").out)["providers"]
    }
    assert health["testprov"]["state"] == "open"
    assert health["modexi"] == {
        "provider": "modexi", "state": "closed", "calls": 5, "failures": 0, "retry_in": 0.0
    }  # fmt: skip
    assert health["efecell"] is None  # never routed
    # testprov answers again, but the next run still skips it: its circuit is open
    monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", served.base_url)
    run = cli("send", "-p", "testprov,modexi", *TO, "--sender", modexi.default_sender)
    assert run.code == 0, run.err
    assert "Sent through modexi" in run.out
    assert testprov.messages == []
    assert len(modexi.messages) == 6
