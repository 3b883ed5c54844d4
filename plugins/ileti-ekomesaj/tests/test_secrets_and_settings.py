"""Settings, and a canary password that must never show anywhere."""

from __future__ import annotations

import logging
import subprocess
import sys
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from ileti_ekomesaj import wire
from ileti_ekomesaj.emulator import EkomesajEmulator
from ileti_ekomesaj.settings import EkomesajSettings

import ileti
from ileti.emulation import ServedApp, VirtualClock, serve
from ileti.errors import AuthenticationError, ConfigurationError, IletiError
from ileti.http import RetryPolicy
from ileti.settings import Secret, env_var, resolve_settings

CANARY = "canary-XYZ-123"


# --------------------------------------------------------------------------- settings


def test_defaults_and_environment_names() -> None:
    resolved = resolve_settings(
        "ekomesaj",
        EkomesajSettings,
        env={"ILETI_EKOMESAJ_USERNAME": "kullanici", "ILETI_EKOMESAJ_PASSWORD": "sifre"},
    )
    settings = resolved.settings
    assert settings.base_url == "http://api2.ekomesaj.com"
    assert settings.reseller_id == 2050
    assert settings.sender is None
    assert settings.report_operation == "GetSmsReport"
    assert isinstance(settings.password, Secret)
    assert settings.password.reveal() == "sifre"
    assert resolved.sources["password"] == "environment ILETI_EKOMESAJ_PASSWORD"
    assert env_var("ekomesaj", "reseller_id") == "ILETI_EKOMESAJ_RESELLER_ID"


def test_reseller_id_from_the_environment_is_a_number() -> None:
    env = {
        "ILETI_EKOMESAJ_USERNAME": "u",
        "ILETI_EKOMESAJ_PASSWORD": "p",
        "ILETI_EKOMESAJ_RESELLER_ID": "3100",
    }
    assert resolve_settings("ekomesaj", EkomesajSettings, env=env).settings.reseller_id == 3100


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({"password": "p"}, "username"),
        ({"username": "u"}, "password"),
        ({"username": " ", "password": "p"}, "username"),
        ({"username": "u", "password": ""}, "password"),
        ({"username": "u", "password": "p", "reseller_id": 0}, "reseller_id"),
        ({"username": "u", "password": "p", "reseller_id": "abc"}, "reseller_id"),
        ({"username": "u", "password": "p", "sender": "ŞİRKET"}, "sender"),
        ({"username": "u", "password": "p", "report_operation": "../x"}, "report_operation"),
        ({"username": "u", "password": "p", "base_url": "ftp://x"}, "base_url"),
        ({"username": "u", "password": "p", "api_style": "soap"}, "api_style"),
        ({"username": "u", "password": "p", "api_style": ""}, "api_style"),
        ({"username": "u", "password": "p", "api_style": 1}, "api_style"),
    ],
)
def test_bad_settings_name_the_setting(values: dict[str, Any], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_settings("ekomesaj", EkomesajSettings, values, env={})
    assert info.value.setting == setting


def test_api_style_defaults_to_json_and_reads_the_environment() -> None:
    env = {"ILETI_EKOMESAJ_USERNAME": "u", "ILETI_EKOMESAJ_PASSWORD": "p"}
    assert resolve_settings("ekomesaj", EkomesajSettings, env=env).settings.api_style == "json"
    env["ILETI_EKOMESAJ_API_STYLE"] = " XML "
    resolved = resolve_settings("ekomesaj", EkomesajSettings, env=env)
    assert resolved.settings.api_style == "xml"
    assert resolved.sources["api_style"] == "environment ILETI_EKOMESAJ_API_STYLE"
    assert env_var("ekomesaj", "api_style") == "ILETI_EKOMESAJ_API_STYLE"


def test_a_bad_api_style_names_the_setting_and_the_choices() -> None:
    with pytest.raises(ConfigurationError) as info:
        EkomesajSettings(username="u", password="p", api_style="soap")
    assert info.value.setting == "api_style"
    assert "'soap'" in info.value.message
    assert "'json'" in info.value.message
    assert "'xml'" in info.value.message


def test_base_url_loses_its_trailing_slash() -> None:
    settings = EkomesajSettings(username="u", password="p", base_url="https://sms.example.com/api/")
    assert settings.base_url == "https://sms.example.com/api"


# --------------------------------------------------------------------------- the canary


@pytest.fixture
def canary_gateway() -> Iterator[tuple[EkomesajEmulator, ServedApp]]:
    emulator = EkomesajEmulator(clock=VirtualClock())
    emulator.account.credentials["password"] = CANARY
    with serve(emulator) as served:
        yield emulator, served


def test_the_password_never_leaks(
    canary_gateway: tuple[EkomesajEmulator, ServedApp], caplog: pytest.LogCaptureFixture
) -> None:
    emulator, served = canary_gateway
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        client = ileti.Client(
            "ekomesaj",
            base_url=served.base_url,
            username=emulator.account.credentials["username"],
            password=CANARY,
            retry=RetryPolicy(attempts=1),
        )
        seen += [repr(client), str(client), repr(client.settings), str(client.settings)]
        seen += [str(client.resolved_settings.masked())]
        result = client.send_multi([("05321112233", "Merhaba"), ("05321112234", "Selam")])
        report = client.report(str(result.message_id))
        balance = client.balance()
        seen += [repr(result), str(result), repr(report), repr(balance)]
        errors: list[IletiError] = []
        for code in sorted(emulator.documented_errors):
            emulator.force_error(code)
            try:
                client.balance()
            except IletiError as exc:
                errors.append(exc)
        wrong = ileti.Client(
            "ekomesaj",
            base_url=served.base_url,
            username="nobody",
            password=CANARY,
            retry=RetryPolicy(attempts=1),
        )
        with pytest.raises(AuthenticationError) as info:
            wrong.send("05321112233", "x")
        errors.append(info.value)
        client.close()
        wrong.close()
    assert len(errors) == len(emulator.documented_errors) + 1
    for exc in errors:
        seen += [str(exc), repr(exc), exc.excerpt or "", exc.message]
        seen += traceback.format_exception(exc)
    seen += [record.getMessage() for record in caplog.records]
    seen += [caplog.text]
    assert any("SendInstantSms" in line for line in caplog.text.splitlines())  # logs were made
    leaks = [text for text in seen if CANARY in text]
    assert leaks == []
    # ... while the password did reach the gateway
    assert CANARY.encode() in emulator.received[0].body


def test_wire_credential_hides_the_password() -> None:
    credential = wire.Credential(username="u", password=CANARY, reseller_id=2050)
    request = wire.GetCreditRequest(credential=credential)
    assert CANARY not in repr(credential)
    assert CANARY not in repr(request)
    assert wire.to_wire(request)["Credential"]["Password"] == CANARY


def test_importing_the_plugin_stays_cheap() -> None:
    code = (
        "import sys, ileti_ekomesaj.plugin\n"
        "names = ('cattrs', 'urllib3', 'ileti_ekomesaj.emulator')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
