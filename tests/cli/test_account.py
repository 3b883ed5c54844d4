"""``ileti balance``, ``ileti senders``, ``ileti config show`` and the settings sources."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def test_balance(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("balance", "-p", "testprov")
    assert (run.code, run.out) == (0, "testprov: 100 credits\n")
    cli("send", "-p", "testprov", "--to", "05321112233", "--text", "x" * 200)
    doc = json.loads(cli("balance", "-p", "testprov", "--json").out)
    assert doc == {
        "provider": "testprov",
        "amount": "98",
        "unit": "credits",
        "currency": None,
        "postpaid": False,
        "sms_credits": None,
    }


def test_senders(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("senders", "-p", "testprov")
    assert run.code == 0
    assert [line.split() for line in run.out.splitlines()] == [
        ["SENDER", "STATE"],
        ["ILETI", "approved"],
        ["YENI", "pending"],
    ]
    doc = json.loads(cli("senders", "-p", "testprov", "--json").out)
    assert doc["senders"] == [
        {"name": "ILETI", "state": "approved"},
        {"name": "YENI", "state": "pending"},
    ]


@pytest.mark.parametrize("command", ["balance", "senders"])
def test_not_supported_exits_3(cli: Callable[..., Any], command: str) -> None:
    run = cli(command, "-p", "testprov-min")
    assert run.code == 3
    assert "does not support" in run.err


def test_config_show_masks_secrets_and_names_sources(
    cli: Callable[..., Any], testprov: Any
) -> None:
    run = cli("config", "show", "-p", "testprov")
    assert run.code == 0, run.err
    assert testprov.KEY not in run.out + run.err
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in run.out.splitlines()[2:-1]}
    assert rows["SETTING"] == ["VALUE", "SOURCE"]
    assert rows["api_key"] == ["****", "environment ILETI_TESTPROV_API_KEY"]
    assert rows["base_url"][1] == "environment ILETI_TESTPROV_BASE_URL"
    assert rows["default_encoding"] == ["auto", "default"]
    assert "timeout: connect 5s, read 30s, total 35s per request (default)" in run.out


def test_precedence_set_then_environment_then_file(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ileti.toml"
    config.write_text(
        '[providers.testprov]\napi_key = "from-file"\nbase_url = "http://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", "http://127.0.0.1:8")
    run = cli("config", "show", "-p", "testprov", "--config", str(config), "--json")
    doc = json.loads(run.out)
    assert doc["settings"]["api_key"] == {
        "value": "****",
        "source": f"config file {config}",
        "env": "ILETI_TESTPROV_API_KEY",
    }
    assert doc["settings"]["base_url"]["value"] == "http://127.0.0.1:8"
    # --set wins over both, before or after the command
    for args in (
        ("--set", "base_url=http://127.0.0.1:7", "config", "show", "-p", "testprov"),
        ("config", "show", "-p", "testprov", "--set", "base_url=http://127.0.0.1:7"),
    ):
        doc = json.loads(cli(*args, "--config", str(config), "--json").out)
        assert doc["settings"]["base_url"] == {
            "value": "http://127.0.0.1:7",
            "source": "argument",
            "env": "ILETI_TESTPROV_BASE_URL",
        }
    assert "from-file" not in run.out


def test_default_config_file(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "default.toml"
    config.write_text('[providers.testprov]\napi_key = "k"\n', encoding="utf-8")
    monkeypatch.setenv("ILETI_CONFIG", str(config))
    doc = json.loads(cli("config", "show", "-p", "testprov", "--json").out)
    assert doc["config_file"] == str(config)
    assert doc["config_file_exists"] is True
    assert doc["settings"]["api_key"]["source"] == f"config file {config}"


def test_timeout_before_or_after_the_command(cli: Callable[..., Any], testprov: Any) -> None:
    for args in (
        ("--timeout", "2.5", "config", "show", "-p", "testprov", "--json"),
        ("config", "show", "-p", "testprov", "--json", "--timeout", "2.5"),
    ):
        doc = json.loads(cli(*args).out)
        assert doc["timeout"] == {"connect": 2.5, "read": 2.5, "total": 5.0, "source": "--timeout"}
    assert cli("balance", "-p", "testprov", "--timeout", "0").code == 2
    doc = json.loads(cli("--total-timeout", "3", "config", "show", "-p", "testprov", "--json").out)
    assert doc["timeout"] == {
        "connect": 5.0,
        "read": 30.0,
        "total": 3.0,
        "source": "--total-timeout",
    }
    assert cli("balance", "-p", "testprov", "--total-timeout", "-1").code == 2


def test_missing_setting_lists_the_variables(cli: Callable[..., Any]) -> None:
    run = cli("config", "show", "-p", "testprov")
    assert run.code == 3
    assert "setting 'api_key' is required" in run.err
    assert "ILETI_TESTPROV_API_KEY" in run.err
    assert "required, secret" in run.err


def test_config_errors(cli: Callable[..., Any], testprov: Any, tmp_path: Path) -> None:
    run = cli("config", "show", "-p", "testprov", "--config", str(tmp_path / "none.toml"))
    assert (run.code, "does not exist" in run.err) == (3, True)
    assert cli("config", "show", "-p", "testprov", "--set", "colour=red").code == 3
    assert cli("config", "show", "-p", "testprov", "--set", "timeout=3").code == 2
    assert cli("config", "show", "-p", "testprov", "--set", "novalue").code == 2
    assert cli("config").code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[providers.testprov\n", encoding="utf-8")
    assert cli("config", "show", "-p", "testprov", "--config", str(bad)).code == 3


def test_settings_from_set_reach_the_emulator(
    cli: Callable[..., Any], served: Any, emulator: Any
) -> None:
    run = cli(
        "--set", f"base_url={served.base_url}", "balance", "-p", "testprov",
        "--set", f"api_key={emulator.KEY}",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert emulator.received[0].header("X-Api-Key") == emulator.KEY


@pytest.fixture
def modexi(provider_env: Callable[[str], Any]) -> Any:
    """Modexi's emulator (it makes panel links), the environment pointing at it."""
    return provider_env("modexi")


def test_panel_prints_the_link_and_what_limits_it(
    cli: Callable[..., Any], modexi: Any, caplog: pytest.LogCaptureFixture
) -> None:
    run = cli("--verbose", "panel", "-p", "modexi")
    assert run.code == 0, run.err
    (key,) = modexi.panel_keys
    assert run.out == f"https://portal.modexi.com/login/auth?hash={key}\n"
    assert "valid for 3 minutes" in run.err
    assert key not in run.err  # the debug log masks the key
    doc = json.loads(cli("panel", "-p", "modexi", "--json").out)
    assert doc["url"].endswith(modexi.panel_keys[-1])
    assert doc["expires_at"] is not None


def test_panel_on_a_provider_that_makes_no_link(cli: Callable[..., Any], testprov: Any) -> None:
    run = cli("panel", "-p", "testprov")
    assert run.code == 3
    assert "does not support 'panel_login'" in run.err
