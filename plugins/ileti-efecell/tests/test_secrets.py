"""A canary API key never shows: not in logs, reprs, results or errors."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator

import pytest
from ileti_efecell.emulator import EfecellEmulator

import ileti
from ileti.emulation import FaultProxy, FaultSpec, ServedApp, VirtualClock, serve
from ileti.errors import IletiError

CANARY = "canary-XYZ-123"


@pytest.fixture
def canary_emulator() -> EfecellEmulator:
    return EfecellEmulator(clock=VirtualClock(), api_key=CANARY)


@pytest.fixture
def canary_served(canary_emulator: EfecellEmulator) -> Iterator[ServedApp]:
    with serve(canary_emulator) as app:
        yield app


def shows(obj: object) -> list[str]:
    """Every way an object may be shown."""
    out = [repr(obj), str(obj), f"{obj}"]
    if isinstance(obj, BaseException):
        out += [repr(obj.args), "".join(traceback.format_exception(obj))]
        out += [str(v) for v in vars(obj).values()]
    return out


def assert_clean(*objects: object) -> None:
    for obj in objects:
        for shown in shows(obj):
            assert CANARY not in shown


def test_the_canary_never_shows(
    canary_served: ServedApp, canary_emulator: EfecellEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[IletiError] = []
    with caplog.at_level(logging.DEBUG):
        client = ileti.Client(
            "efecell",
            base_url=canary_served.base_url,
            retry=ileti.RetryPolicy(attempts=1),
            api_key=CANARY,
        )
        sent = client.send("05321112233", "Merhaba", sender="ILETI")
        multi = client.send_multi([("05321112234", "a"), ("05321112235", "b")], sender="ILETI")
        assert sent.message_id is not None
        report = client.report(sent.message_id)
        balance = client.balance()
        senders = client.senders()
        for code in sorted(canary_emulator.documented_errors):
            canary_emulator.force_error(code)
            try:
                client.send("05321112233", "x", sender="ILETI")
            except IletiError as exc:
                errors.append(exc)
        try:
            client.send("05321112233", "x", sender="NOBODY")
        except IletiError as exc:
            errors.append(exc)
        client.close()
    # the key was really used
    assert canary_emulator.received[0].header("authorization") == f"Key {CANARY}"
    assert len(errors) == len(canary_emulator.documented_errors) + 1
    assert caplog.records, "the transport logs at DEBUG: the check must see something"
    assert CANARY not in caplog.text
    for record in caplog.records:
        assert CANARY not in record.getMessage()
    assert_clean(
        client,
        client.settings,
        client.resolved_settings.masked(),
        sent,
        multi,
        report,
        balance,
        senders,
        *errors,
    )


def test_a_wrong_key_error_does_not_show_the_key(
    served: ServedApp, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client = ileti.Client("efecell", base_url=served.base_url, api_key=CANARY)
        with pytest.raises(ileti.AuthenticationError) as caught:
            client.balance()
    assert_clean(caught.value, client)
    assert CANARY not in caplog.text


def test_a_gateway_echoing_the_key_is_redacted(
    canary_served: ServedApp, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {
        "status": {"code": 401, "successful": False, "description": f"Key {CANARY} hatalı"},
        "response": [],
    }
    with FaultProxy(canary_served.base_url) as proxy, caplog.at_level(logging.DEBUG):
        client = ileti.Client(
            "efecell",
            base_url=proxy.base_url,
            retry=ileti.RetryPolicy(attempts=1),
            api_key=CANARY,
        )
        proxy.set_faults(FaultSpec.http_status(401, body=json.dumps(echo).encode()))
        with pytest.raises(ileti.AuthenticationError) as caught:
            client.balance()
        client.close()
    assert caught.value.excerpt
    assert "hatalı" in caught.value.message
    assert_clean(caught.value)
    assert CANARY not in caplog.text
