"""Settings: defaults, environment variables, validation, and the sender rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ileti_modexi.settings import (
    DEFAULT_BASE_URL,
    ModexiSettings,
    check_sender,
    parse_state_codes,
)

import ileti
from ileti.errors import ConfigurationError, InvalidSender
from ileti.models import DeliveryState
from ileti.settings import Secret, resolve_settings


def test_from_the_environment() -> None:
    env = {
        "ILETI_MODEXI_USERNAME": "user",
        "ILETI_MODEXI_PASSWORD": "pw",
        "ILETI_MODEXI_SENDER": "MYHEADER",
        "ILETI_MODEXI_STATE_CODES": "40=expired",
    }
    resolved = resolve_settings("modexi", ModexiSettings, env=env)
    settings = resolved.settings
    assert isinstance(settings, ModexiSettings)
    assert settings.username == "user"
    assert settings.password == Secret("pw")
    assert settings.sender == "MYHEADER"
    assert settings.base_url == DEFAULT_BASE_URL == "https://api.modexi.com"
    assert settings.extra_states == {40: DeliveryState.EXPIRED}
    assert resolved.sources["password"] == "environment ILETI_MODEXI_PASSWORD"
    assert resolved.masked()["password"] == "****"


def test_username_and_password_are_required() -> None:
    with pytest.raises(ConfigurationError, match="ILETI_MODEXI_PASSWORD") as info:
        ileti.Client("modexi", username="user")
    assert info.value.setting == "password"
    with pytest.raises(ConfigurationError, match="ILETI_MODEXI_USERNAME"):
        ileti.Client("modexi", password="pw")


@pytest.mark.parametrize(
    ("kw", "setting"),
    [
        ({"username": "a:b", "password": "pw"}, "username"),
        ({"username": "  ", "password": "pw"}, "username"),
        ({"username": "user", "password": ""}, "password"),
        ({"username": "user", "password": "pw", "sender": "AB"}, "sender"),
        ({"username": "user", "password": "pw", "sender": "ABCDEFGHIJKL"}, "sender"),
        ({"username": "user", "password": "pw", "state_codes": "ten=delivered"}, "state_codes"),
        ({"username": "user", "password": "pw", "state_codes": "10=arrived"}, "state_codes"),
        ({"username": "user", "password": "pw", "base_url": "ftp://api.modexi.com"}, "base_url"),
    ],
)
def test_malformed_settings_name_the_setting(kw: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_settings("modexi", ModexiSettings, kw, env={})
    assert info.value.setting == setting


def test_base_url_can_be_plain_http_as_documented() -> None:
    settings = resolve_settings(
        "modexi",
        ModexiSettings,
        {"username": "u", "password": "p", "base_url": "http://api.modexi.com/"},
        env={},
    ).settings
    assert settings.base_url == "http://api.modexi.com"


def test_state_codes_parse() -> None:
    table = parse_state_codes(" 20=undelivered , 30 = EXPIRED,,-1=failed")
    assert table == {
        20: DeliveryState.UNDELIVERED,
        30: DeliveryState.EXPIRED,
        -1: DeliveryState.FAILED,
    }
    assert parse_state_codes("") == {}


@pytest.mark.parametrize("name", ["ABC", "MODEXI VERI", "ABCDEFGHIJK", "123", "12345678901234"])
def test_sender_rule_accepts(name: str) -> None:
    assert check_sender(name) == name


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("AB", "3 to 11"),
        ("ABCDEFGHIJKL", "3 to 11"),
        ("12", "3 to 14 digits"),
        ("123456789012345", "3 to 14 digits"),
        ("+905321112233", r"without '\+'"),
    ],
)
def test_sender_rule_refuses(name: str, words: str) -> None:
    with pytest.raises(InvalidSender, match=words):
        check_sender(name)


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_numeric_senders_are_3_to_14_digits(name: str) -> None:
    if 3 <= len(name) <= 14:
        assert check_sender(name) == name
    else:
        with pytest.raises(InvalidSender):
            check_sender(name)


@given(st.text(alphabet="ABCXYZ abc.-", min_size=1, max_size=16))
def test_alphanumeric_senders_are_3_to_11_characters(name: str) -> None:
    if 3 <= len(name) <= 11:
        assert check_sender(name) == name
    else:
        with pytest.raises(InvalidSender):
            check_sender(name)
