"""``--provider a,b``: a send fails over only when nothing was sent."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
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


@pytest.mark.parametrize("command", [("balance",), ("senders",)])
def test_commands_of_one_provider_say_so(
    cli: Callable[..., Any], testprov: Any, command: tuple[str, ...]
) -> None:
    run = cli(*command, "-p", "testprov,modexi")
    assert run.code == 2, run.err
    assert "this command takes one provider" in run.err


def rows_file(tmp_path: Path, n: int) -> str:
    path = tmp_path / "rows.csv"
    path.write_text("to,name\n" + "".join(f"0532111{i:04d},Ali {i}\n" for i in range(n)))
    return str(path)


def test_a_campaign_moves_to_the_second_when_the_first_runs_out_of_credit(
    cli: Callable[..., Any],
    testprov: Any,
    provider_env: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    modexi = provider_env("modexi")
    testprov.credit = Decimal(25)  # two requests of ten, not a third
    run = cli(
        "campaign", "start", "-p", "testprov,modexi", rows_file(tmp_path, 60),
        "--template", "Sayın {name}", "--sender", modexi.default_sender,
        "--batch-size", "10", "--workers", "1", "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert json.loads(run.out)["counts"]["accepted"] == 60
    assert len(testprov.messages) == 20
    assert len(modexi.messages) == 40
    arrived = [m.recipient for m in (*testprov.messages, *modexi.messages)]
    assert len(set(arrived)) == 60
    cid = json.loads(run.out)["id"]
    assert f"Campaign {cid} (testprov,modexi): done" in cli("campaign", "status", cid).out
    exported = list(csv.DictReader(io.StringIO(cli("campaign", "export", cid).out)))
    went = Counter(row["provider"] for row in exported)
    assert went == {"testprov": 20, "modexi": 40}
    by_number = {row["number"]: row["provider"] for row in exported}
    assert all(by_number[m.recipient] == "modexi" for m in modexi.messages)


@pytest.fixture
def neither(
    testprov: Any, provider_env: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> Any:
    """testprov refuses every connection and modexi (returned) has no credit."""
    modexi = provider_env("modexi")
    modexi.credit = Decimal(0)
    monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", refused_url())
    return modexi


def test_send_multi_over_two_providers_pauses_when_neither_takes_it_and_resumes_with_both(
    cli: Callable[..., Any], neither: Any, tmp_path: Path
) -> None:
    modexi = neither
    run = cli(
        "send-multi", "-p", "testprov,modexi", rows_file(tmp_path, 30), "--template", "x {name}",
        "--sender", modexi.default_sender, "--workers", "1", "--json",
    )  # fmt: skip
    assert run.code == 4, run.err  # paused: modexi, the last one tried, is out of credit
    *events, summary = (json.loads(line) for line in run.out.splitlines())
    assert {e["status"] for e in events} == {"not sent"}
    assert "modexi: the Modexi account has not enough SMS credit" in events[0]["reason"]
    assert summary["summary"]["not_sent"] == 30
    assert modexi.messages == []
    modexi.credit = Decimal(1000)
    # the route is the campaign's: resume fails over again
    again = cli("campaign", "resume", summary["summary"]["campaign"], "--json")
    assert again.code == 0, again.err
    assert json.loads(again.out)["counts"]["accepted"] == 30
    assert len(modexi.messages) == 30


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


def test_a_routed_campaign_is_cancelled_from_its_store_alone(
    cli: Callable[..., Any], neither: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ileti.campaign import Campaign
    from ileti.errors import ConfigurationError

    run = cli(
        "campaign", "start", "-p", "testprov,modexi", rows_file(tmp_path, 5), "--template",
        "x {name}", "--sender", neither.default_sender, "--json",
    )  # fmt: skip
    assert run.code == 4, run.err
    cid = json.loads(run.out)["id"]
    with pytest.raises(ConfigurationError, match="opened from its store alone"):
        Campaign.in_store(cid).run()
    # no provider settings are needed to cancel: none are read
    monkeypatch.delenv("ILETI_MODEXI_BASE_URL")
    cancelled = cli("campaign", "cancel", cid)
    assert cancelled.code == 0, cancelled.err
    assert "5 rows will not be sent" in cancelled.out
