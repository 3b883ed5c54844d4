"""A canary secret never shows in any output of the ``ileti`` script, even at -vv."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ileti.emulation import Fault, FaultProxy

CANARY = "CANARY"  # testprov's key is "test-key-CANARY-42"


def check(run: Any) -> None:
    assert CANARY not in run.out
    assert CANARY not in run.err
    assert "Traceback" not in run.err


def test_no_command_leaks_the_key_at_debug(
    script: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text("to,name\n05321112233,Ayşe\n05321112239,Veli\n", encoding="utf-8")
    sent = script("-vv", "send", "-p", "testprov", "--to", "05321112233", "--text", "hi", "--json")
    assert sent.code == 0, sent.err
    check(sent)
    assert "DEBUG ileti.transport: POST" in sent.err  # the exchange is logged, redacted
    message_id = json.loads(sent.out)["result"]["message_id"]
    testprov.clock.advance(61)
    offline = [  # no request: nothing to log, the settings shown masked
        script("-vv", "send", "-p", "testprov", "--to", "05321112233", "--text", "x", "--dry-run"),
        script("-vv", "config", "show", "-p", "testprov"),
        script("-vv", "config", "show", "-p", "testprov", "--json"),
    ]
    online = [
        script("send-multi", "-p", "testprov", str(csv), "--template", "Sayın {name}", "-vv"),
        script("-vv", "report", "-p", "testprov", message_id, "--wait"),
        script("-vv", "balance", "-p", "testprov"),
        script("-vv", "senders", "-p", "testprov", "--json"),
        script("-vv", "demo", "-p", "testprov"),
    ]
    for run in offline:
        assert run.code == 0, run.err
        assert "****" in run.out
        check(run)
    for run in online:
        assert run.code == 0, run.err
        assert "DEBUG ileti.transport: " in run.err
        assert "'X-Api-Key': '****'" in run.err
        check(run)


@pytest.mark.parametrize("fault", ["auth", "reset"])
def test_errors_do_not_leak_the_key(
    script: Callable[..., Any], testprov: Any, served: Any, fault: str
) -> None:
    with FaultProxy(served.base_url) as proxy:
        if fault == "auth":
            testprov.force_error("auth")
        else:
            proxy.set_faults(Fault.RESET)
        run = script(
            "-vv", "send", "-p", "testprov", "--to", "05321112233", "--text", "hi",
            env={"ILETI_TESTPROV_BASE_URL": proxy.base_url},
        )  # fmt: skip
    assert run.code == (4 if fault == "auth" else 5), run.err
    check(run)


def test_a_key_given_with_set_does_not_leak(script: Callable[..., Any], served: Any) -> None:
    run = script(
        "-vv", "balance", "-p", "testprov", "--set", "api_key=wrong-CANARY-key",
        env={"ILETI_TESTPROV_BASE_URL": served.base_url},
    )  # fmt: skip
    assert run.code == 4
    check(run)
