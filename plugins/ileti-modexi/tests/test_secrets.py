"""A canary password never shows: not in logs, reprs, results or errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from ileti_modexi.emulator import ModexiEmulator

import ileti
from ileti import errors
from ileti.emulation import Credentials, ServedApp

CANARY = "canary-XYZ-123"
USER = "canary-user"


@pytest.fixture
def canary_emulator(emulator: ModexiEmulator) -> ModexiEmulator:
    emulator.account.credentials = Credentials(username=USER, password=CANARY)
    return emulator


def test_the_canary_never_leaks(
    canary_emulator: ModexiEmulator, served: ServedApp, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = canary_emulator
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        client = ileti.Client(
            "modexi", base_url=served.base_url, username=USER, password=CANARY, sender="ILETI"
        )
        seen += [repr(client), str(client), repr(client.settings), str(client.settings)]
        seen.append(repr(client.resolved_settings.masked()))
        result = client.send(["+905321112233", "+905321112239"], "Merhaba")
        assert result.message_id is not None
        multi = client.send_multi([("+905321112233", "bir"), ("+905321112234", "iki")])
        emulator.clock.advance(60)
        seen += [repr(result), str(result), repr(multi)]
        seen += [repr(client.report(result.message_id)), repr(client.balance())]
        seen.append(repr(client.senders()))
        calls: list[Callable[[], Any]] = [
            lambda: client.send("+905321112233", "x"),
            client.balance,
            lambda: client.send_multi([("+905321112233", "a"), ("+905321112234", "b")]),
        ]
        for code, action in zip(("401", "402", "422"), calls, strict=True):
            emulator.force_error(code)
            with pytest.raises(errors.IletiError) as info:
                action()
            seen += [repr(info.value), str(info.value), str(info.value.excerpt)]
        # the second request of a batch fails: its message lists the first one
        emulator.credit = emulator.price_per_part  # one part: the second request fails
        with pytest.raises(errors.InsufficientCredit) as info:
            client.send_multi([("+905321112233", "a"), ("+905321112234", "b")])
        seen += [repr(info.value), str(info.value)]
        bad = ileti.Client("modexi", base_url=served.base_url, username=USER, password="nope")
        with pytest.raises(errors.AuthenticationError) as auth:
            bad.balance()
        seen += [str(auth.value), repr(bad.settings)]
        client.close()
        bad.close()
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # the transport did log
    seen += [r.getMessage() for r in caplog.records]
    seen.append(caplog.text)
    leaks = [text for text in seen if CANARY in text]
    assert leaks == []
    # the credential did travel, in the Authorization header only
    import base64

    token = base64.b64encode(f"{USER}:{CANARY}".encode()).decode()
    assert emulator.received[0].header("authorization") == f"Basic {token}"
    assert all(token not in text for text in seen)
