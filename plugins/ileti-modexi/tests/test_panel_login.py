"""``GET /account/token`` as ``Client.panel_login``: a password-less panel link."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from ileti_modexi import wire
from ileti_modexi.emulator import ModexiEmulator

import ileti
from ileti.emulation import EmulatorResponse, ServedApp


def test_the_link_carries_the_key_the_gateway_made_and_expires_in_3_minutes(
    client: ileti.Client, emulator: ModexiEmulator
) -> None:
    before = datetime.now(UTC)
    login = client.panel_login()
    (key,) = emulator.panel_keys
    assert login.url.reveal() == f"https://portal.modexi.com/login/auth?hash={key}"
    assert login.provider == "modexi"
    assert login.expires_at is not None
    assert (
        before + timedelta(minutes=3)
        <= login.expires_at
        <= datetime.now(UTC) + timedelta(minutes=3)
    )
    request = emulator.received[-1]
    assert (request.method, request.path) == ("GET", "/account/token")
    assert client.supports("panel_login")


def test_the_key_never_shows_in_a_repr_or_a_log(
    client: ileti.Client, emulator: ModexiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        login = client.panel_login()
    (key,) = emulator.panel_keys
    assert key not in repr(login)
    assert key not in str(login.url)
    assert key not in caplog.text
    assert caplog.records, "the exchange is logged at DEBUG (with the key masked)"


def test_wrong_credentials_are_an_authentication_error(
    emulator: ModexiEmulator, served: ServedApp
) -> None:
    with (
        ileti.Client(
            "modexi", base_url=served.base_url, username=emulator.username, password="wrong"
        ) as client,
        pytest.raises(ileti.AuthenticationError),
    ):
        client.panel_login()
    assert emulator.panel_keys == []


@pytest.mark.parametrize(
    "result", [{}, {"privateKey": ""}, {"privateKey": "<a href=x>"}, {"privateKey": None}, []]
)
def test_an_answer_without_a_plain_key_is_malformed(
    client: ileti.Client, emulator: ModexiEmulator, result: object
) -> None:
    emulator.token = lambda request: EmulatorResponse.json(  # type: ignore[method-assign]
        {"errorCode": 200, "errorDescription": "ok", "result": result}
    )
    with pytest.raises(ileti.MalformedResponse):
        client.panel_login()


def test_a_provider_without_a_panel_link_says_so() -> None:
    with (
        ileti.Client("efecell", api_key="k", base_url="http://127.0.0.1:9") as client,
        pytest.raises(ileti.NotSupported, match="'efecell' does not support 'panel_login'"),
    ):
        client.panel_login()


def test_the_documented_address_and_lifetime() -> None:
    assert wire.PANEL_LOGIN_URL.format(key="K") == "https://portal.modexi.com/login/auth?hash=K"
    assert timedelta(minutes=3) == wire.PANEL_LOGIN_LIFETIME


def test_the_async_client_asks_for_it_too(client: ileti.Client, emulator: ModexiEmulator) -> None:
    import asyncio

    async def ask() -> ileti.PanelLogin:
        async with ileti.AsyncClient.wrap(client) as aclient:
            return await aclient.panel_login()

    login = asyncio.run(ask())
    assert login.url.reveal().endswith(emulator.panel_keys[-1])
