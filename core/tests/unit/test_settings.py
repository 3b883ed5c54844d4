from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from ileti.errors import ConfigurationError
from ileti.settings import (
    ProviderSettings,
    Secret,
    env_var,
    resolve_settings,
    secret_values,
    validate_base_url,
)


@attrs.frozen(kw_only=True)
class DemoSettings(ProviderSettings):
    base_url: str = attrs.field(default="https://api.example.com", converter=validate_base_url)
    username: str
    password: Secret
    gate: int = 0
    verbose: bool = False
    fee: Decimal = Decimal("0.1")


CANARY = "canary-s3cr3t-VALUE"


def test_secret_never_shows() -> None:
    s = Secret(CANARY)
    assert CANARY not in repr(s)
    assert CANARY not in str(s)
    assert CANARY not in f"{s}"
    assert s.reveal() == CANARY
    assert Secret(CANARY) == s
    settings = resolve_settings(
        "demo", DemoSettings, {"username": "u", "password": CANARY}, env={}
    ).settings
    assert CANARY not in repr(settings)
    assert secret_values(settings) == [CANARY]


def test_precedence_explicit_env_file_default(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[providers.demo]\nusername = "from-file"\npassword = "p"\ngate = 1\n', encoding="utf-8"
    )
    cfg.chmod(0o600)  # it holds a password
    env = {env_var("demo", "gate"): "8", "ILETI_DEMO_VERBOSE": "yes"}
    resolved = resolve_settings("demo", DemoSettings, {"username": "arg"}, env=env, config_file=cfg)
    s = resolved.settings
    assert (s.username, s.gate, s.verbose, s.fee) == ("arg", 8, True, Decimal("0.1"))
    assert resolved.sources["username"] == "argument"
    assert resolved.sources["gate"] == "environment ILETI_DEMO_GATE"
    assert resolved.sources["password"].startswith("config file")
    assert resolved.sources["fee"] == "default"
    assert resolved.masked()["password"] == "****"


def test_missing_setting_is_named() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_settings("demo", DemoSettings, {"username": "u"}, env={})
    assert info.value.setting == "password"
    assert "ILETI_DEMO_PASSWORD" in str(info.value)


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({"gate": "zero"}, "gate"),
        ({"verbose": "maybe"}, "verbose"),
        ({"fee": "lots"}, "fee"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"base_url": "https://user:pw@host"}, "base_url"),
        ({"base_url": "https://host:99999"}, "base_url"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_malformed_setting_is_named(values: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(
            "demo", DemoSettings, {"username": "u", "password": CANARY, **values}, env={}
        )
    assert info.value.setting == setting
    assert setting in str(info.value)
    assert CANARY not in str(info.value)
    assert "pw" not in str(info.value)


def test_broken_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[providers.demo\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot be read"):
        resolve_settings("demo", DemoSettings, {}, env={}, config_file=cfg)


def test_base_url_is_trimmed() -> None:
    assert validate_base_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
