"""Settings: defaults, environment variables, validation, the HTTP warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from ileti_kobikom import settings as settings_module
from ileti_kobikom.settings import InsecureTransportWarning, KobikomSettings, warn_if_insecure

from ileti.errors import ConfigurationError
from ileti.settings import Secret, forget_plain_http_warnings, resolve_settings


def resolve(env: dict[str, str] | None = None, **explicit: str) -> KobikomSettings:
    resolved = resolve_settings("kobikom", KobikomSettings, explicit, env=env or {})
    settings: KobikomSettings = resolved.settings
    return settings


def test_defaults(tmp_path: Path) -> None:
    settings = resolve(username="u", password="p")
    assert settings.base_url == "http://www.kobikom.com"
    assert settings.body_style == "form"
    assert settings.report_store_sync == "full"
    assert isinstance(settings.password, Secret)
    assert settings.report_store == str(tmp_path / "state" / "ileti" / "kobikom-reports.sqlite3")


def test_environment_variables() -> None:
    env = {
        "ILETI_KOBIKOM_USERNAME": "env-user",
        "ILETI_KOBIKOM_PASSWORD": "env-pass",
        "ILETI_KOBIKOM_BASE_URL": "https://sms.example.com/",
        "ILETI_KOBIKOM_BODY_STYLE": "RAW",
        "ILETI_KOBIKOM_REPORT_STORE": ":memory:",
        "ILETI_KOBIKOM_REPORT_STORE_SYNC": " Normal ",
    }
    settings = resolve(env)
    assert settings.username == "env-user"
    assert settings.password.reveal() == "env-pass"
    assert settings.base_url == "https://sms.example.com"
    assert settings.body_style == "raw"
    assert settings.report_store == ":memory:"
    assert settings.report_store_sync == "normal"


def test_default_store_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / ".local" / "state" / "ileti" / "kobikom-reports.sqlite3"
    assert settings_module.default_report_store() == str(expected)
    # a relative XDG_STATE_HOME is ignored, as the XDG spec says
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")
    assert settings_module.default_report_store() == str(expected)


def test_settings_create_no_folder(tmp_path: Path) -> None:
    resolve(username="u", password="p")
    assert not (tmp_path / "state").exists()


def test_missing_password_names_the_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(username="u")
    assert caught.value.setting == "password"
    assert "ILETI_KOBIKOM_PASSWORD" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("body_style", "json"), ("report_store", "  "), ("report_store_sync", "off")],
)
def test_bad_values_are_configuration_errors(field: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(username="u", password="p", **{field: value})
    assert caught.value.setting == field


def test_repr_hides_the_password() -> None:
    settings = resolve(username="u", password="canary-XYZ-123")
    assert "canary-XYZ-123" not in repr(settings)
    assert "canary-XYZ-123" not in str(settings)


def test_plain_http_warns_once_per_process() -> None:
    forget_plain_http_warnings()
    with pytest.warns(InsecureTransportWarning, match="unencrypted"):
        assert warn_if_insecure("http://www.kobikom.com")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not warn_if_insecure("http://www.kobikom.com")
        assert not warn_if_insecure("http://other.example.com")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://kobikom.com"]
)
def test_no_warning_for_loopback_or_https(url: str) -> None:
    forget_plain_http_warnings()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not warn_if_insecure(url)
    with pytest.warns(InsecureTransportWarning):  # not used up by the loopback call
        assert warn_if_insecure("http://www.kobikom.com")
