"""``ileti demo`` end to end: the test provider, and every installed real plugin."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ileti.host import load_all


def real_providers_with_emulators() -> dict[str, frozenset[str]]:
    """Installed real providers with an emulator, and their capabilities."""
    good, _ = load_all()
    return {
        p.name: p.capabilities for p in good if p.has_emulator and not p.name.startswith("testprov")
    }


def test_demo_through_the_test_provider(cli: Callable[..., Any]) -> None:
    run = cli("demo", "--provider", "testprov", "--json")
    assert run.code == 0, run.out + run.err
    doc = json.loads(run.out)
    assert doc["ok"] is True
    (provider,) = doc["providers"]
    assert provider["provider"] == "testprov"
    steps = {s["name"]: s for s in provider["steps"]}
    assert [s["status"] for s in provider["steps"]] == ["ok"] * len(provider["steps"])
    assert list(steps)[:5] == ["balance", "senders", "preview", "send", "send-multi"]
    send = steps["send"]["data"]["result"]
    assert [r["number"] for r in send["recipients"]] == [
        "+905321112233",
        "+905334445566",
        "+905420000009",
    ]
    multi = steps["send-multi"]["data"]
    assert multi["texts"][0] == "Sayın Ayşe, TR-1042 numaralı siparişiniz kargoya verildi."
    for message_id in (send["message_id"], multi["message_id"]):
        report = steps[f"report {message_id}"]["data"]
        assert report["final"] is True
        assert report["history"][0] == "queued 3"
        assert report["history"][-1] == "delivered 2, undelivered 1"
    # the balance before and after: parts x recipients were billed
    before = provider["steps"][0]["data"]["balance"]["amount"]
    after = provider["steps"][-1]["data"]["balance"]["amount"]
    preview = steps["preview"]["data"]["preview"]
    assert int(before) - int(after) == int(preview["credits"]) + 3


def test_demo_text_account(cli: Callable[..., Any]) -> None:
    run = cli("demo", "-p", "testprov")
    assert run.code == 0, run.out
    assert "testprov (Test provider) - emulator at http://127.0.0.1:" in run.out
    assert "[ok]   send         message P1 to 3 numbers: 3 of 3 accepted" in run.out
    assert "queued 3 -> sent 3 -> delivered 2, undelivered 1" in run.out
    assert "balance      91 credits (spent 9 credits)" in run.out
    assert run.out.rstrip().endswith("Result: 1 of 1 provider worked.")


def test_named_providers_without_an_emulator_fail(cli: Callable[..., Any]) -> None:
    run = cli("demo", "-p", "testprov-min", "-p", "testprov-broken", "-p", "nosuch", "--json")
    assert run.code == 1
    doc = json.loads(run.out)
    assert doc["ok"] is False
    errors = {p["provider"]: (p["status"], p["error"]) for p in doc["providers"]}
    assert errors["testprov-min"] == ("failed", "testprov-min ships no emulator")
    assert errors["testprov-broken"][0] == "failed"
    assert "broken on purpose" in errors["testprov-broken"][1]
    assert "no provider named 'nosuch'" in errors["nosuch"][1]


def test_include_test_providers(cli: Callable[..., Any]) -> None:
    run = cli("demo", "--include-test-providers", "--json")
    doc = json.loads(run.out)
    statuses = {p["provider"]: p["status"] for p in doc["providers"]}
    assert statuses["testprov"] == "ok"
    assert statuses["testprov-min"] == "skipped"  # no emulator, not asked for by name
    assert statuses["testprov-broken"] == "failed"
    assert run.code == 1


def test_demo_runs_every_installed_real_plugin(cli: Callable[..., Any], tmp_path: Path) -> None:
    expected = real_providers_with_emulators()
    run = cli("demo", "--json")
    doc = json.loads(run.out)
    assert [p["provider"] for p in doc["providers"]] == sorted(expected)
    failures = {
        p["provider"]: [s for s in p["steps"] if s["status"] == "failed"] or p["error"]
        for p in doc["providers"]
        if p["status"] != "ok"
    }
    assert failures == {}
    assert run.code == (0 if expected else 3)
    for provider in doc["providers"]:
        steps = {s["name"]: s["status"] for s in provider["steps"]}
        capabilities = expected[provider["provider"]]
        # what a provider lacks is skipped as not supported, never a failure
        assert steps["senders"] == ("ok" if "senders" in capabilities else "not supported")
        assert steps["send-multi"] == ("ok" if "send_multi" in capabilities else "not supported")
        reports = [s for s in provider["steps"] if s["name"].startswith("report ")]
        assert len(reports) == 2, provider["provider"]
        for step in reports:
            assert step["data"]["history"][-1] == "delivered 2, undelivered 1"
    # plugins' state (e.g. a store of pulled reports) went to a scratch folder
    assert not (tmp_path / "xdg_state_home").exists()


def test_demo_through_the_script(script: Callable[..., Any]) -> None:
    run = script("demo")
    assert run.code == 0, run.out + run.err
    assert "Result: " in run.out
    assert "providers worked." in run.out
    assert "Traceback" not in run.err


def test_the_demo_explains_refunds_of_undelivered_messages(cli: Callable[..., Any]) -> None:
    run = cli("demo", "-p", "efecell")
    assert run.code == 0, run.err
    last_balance = [line for line in run.out.splitlines() if "balance" in line][-1]
    assert last_balance.endswith(
        "(spent 4 credits: 6 billed when sent, 2 refunded for the undelivered messages)"
    )
