"""Settings: gate, the plain-HTTP warning, required values, sources."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
from ileti_innomobil.plugin import provider_info
from ileti_innomobil.settings import DEFAULT_BASE_URL, InnomobilSettings, InsecureBaseUrlWarning

import ileti
from ileti.errors import ConfigurationError
from ileti.settings import Secret, resolve_settings

LOOPBACK = "http://127.0.0.1:9"


def make(**values: object) -> InnomobilSettings:
    base: dict[str, object] = {"username": "u", "password": "p", "base_url": LOOPBACK}
    base.update(values)
    resolved = resolve_settings("innomobil", InnomobilSettings, base, env={})
    settings: InnomobilSettings = resolved.settings
    return settings


def test_defaults() -> None:
    settings = make()
    assert (settings.gate, settings.sender) == (0, None)
    assert isinstance(settings.password, Secret)
    assert settings.password.reveal() == "p"


def test_gate_8_is_refused_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(gate=8)
    assert caught.value.setting == "gate"
    assert "national ID" in str(caught.value)
    assert "not support" in str(caught.value)


@pytest.mark.parametrize("gate", [2, -1, 9, "x"])
def test_other_gates_are_refused(gate: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(gate=gate)
    assert caught.value.setting == "gate"


def test_gate_from_the_environment() -> None:
    env = {"ILETI_INNOMOBIL_GATE": "1", "ILETI_INNOMOBIL_USERNAME": "u"}
    env["ILETI_INNOMOBIL_PASSWORD"] = "p"
    env["ILETI_INNOMOBIL_BASE_URL"] = LOOPBACK
    resolved = resolve_settings("innomobil", InnomobilSettings, {}, env=env)
    assert resolved.settings.gate == 1
    assert resolved.sources["gate"] == "environment ILETI_INNOMOBIL_GATE"
    assert resolved.masked()["password"] == "****"


def test_gate_8_from_the_environment_is_refused_by_the_client() -> None:
    env = {
        "ILETI_INNOMOBIL_GATE": "8",
        "ILETI_INNOMOBIL_USERNAME": "u",
        "ILETI_INNOMOBIL_PASSWORD": "p",
        "ILETI_INNOMOBIL_BASE_URL": LOOPBACK,
    }
    with pytest.raises(ConfigurationError, match="gate"):
        ileti.Client.from_env("innomobil", env=env)


@pytest.mark.parametrize("missing", ["username", "password"])
def test_credentials_are_required(missing: str) -> None:
    values = {"username": "u", "password": "p", "base_url": LOOPBACK}
    del values[missing]
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings("innomobil", InnomobilSettings, values, env={})
    assert caught.value.setting == missing
    assert f"ILETI_INNOMOBIL_{missing.upper()}" in str(caught.value)


@pytest.mark.parametrize("field", ["username", "password"])
def test_empty_credentials_are_refused(field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(**{field: ""})
    assert caught.value.setting == field


def test_sender_setting_is_checked() -> None:
    assert make(sender="MYHEADER").sender == "MYHEADER"
    assert make(sender="").sender is None
    with pytest.raises(ConfigurationError) as caught:
        make(sender="İLETİ")
    assert caught.value.setting == "sender"


def test_settings_type_and_defaults_in_info() -> None:
    info = provider_info()
    assert info.settings_type is InnomobilSettings
    assert DEFAULT_BASE_URL == "http://s.innomobil.com"


def test_plain_http_default_warns_once() -> None:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        first = InnomobilSettings(username="u", password="p")
        InnomobilSettings(username="u", password="p")
        ileti.Client("innomobil", username="u", password="p")
    assert first.base_url == DEFAULT_BASE_URL
    assert [w.category for w in record] == [InsecureBaseUrlWarning]
    message = str(record[0].message)
    assert "https://" in message
    assert "s.innomobil.com" in message
    assert "ILETI_INNOMOBIL_BASE_URL" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://s.innomobil.com",
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "http://[::1]:8080",
        "http://127.5.5.5",
    ],
)
def test_no_warning_for_https_or_loopback(url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureBaseUrlWarning)
        InnomobilSettings(username="u", password="p", base_url=url)


def test_the_warning_is_once_per_process_in_a_fresh_interpreter() -> None:
    code = (
        "import warnings\n"
        "warnings.simplefilter('always')\n"
        "from ileti_innomobil.settings import InnomobilSettings\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    for _ in range(3):\n"
        "        InnomobilSettings(username='u', password='canary-in-warning')\n"
        "print(len(seen), 'canary-in-warning' in str(seen[0].message))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["1", "False"]


def test_malformed_base_url() -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(base_url="ftp://s.innomobil.com")
    assert caught.value.setting == "base_url"
