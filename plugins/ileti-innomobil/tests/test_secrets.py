"""A canary password never shows in logs, reprs, results or errors."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pytest
from ileti_innomobil.emulator import ERR_AUTH, ERR_CREDIT, InnomobilEmulator

import ileti
from ileti.emulation import EmulatorRequest, EmulatorResponse, VirtualClock, route, serve

CANARY = "canary-XYZ-123"


class EchoingEmulator(InnomobilEmulator):
    """A broken gateway that echoes the request body (with the password) in its answer."""

    @route("POST", "/api/v1/kredi")
    def kredi(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.text("oops: " + request.body.decode(), status=200)

    @route("POST", "/api/v1/alfanumerik")
    def alfanumerik(self, request: EmulatorRequest) -> EmulatorResponse:
        echoed = request.body.decode()
        return EmulatorResponse.json({"status": "error", "error": echoed, "result": []})


def _texts(objects: Iterable[Any]) -> list[str]:
    out = []
    for obj in objects:
        out.extend([repr(obj), str(obj)])
        if isinstance(obj, BaseException):
            out.extend(str(a) for a in obj.args)
            out.append(repr(obj.__dict__))
    return out


def test_canary_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    emulator = EchoingEmulator(clock=VirtualClock(), password=CANARY)
    seen: list[Any] = []
    with serve(emulator) as served, caplog.at_level(logging.DEBUG):
        client = ileti.Client(
            "innomobil",
            base_url=served.base_url,
            retry=ileti.RetryPolicy(attempts=1),
            **emulator.credentials(),
        )
        seen += [client, client.settings, client.resolved_settings.masked()]
        result = client.send(["05321112233", "05321112239"], "Merhaba", sender="ILETI")
        report = client.report(result.message_id or "")
        seen += [result, report]
        for forced in (ERR_AUTH, ERR_CREDIT):
            emulator.force_error(forced)
            with pytest.raises(ileti.IletiError) as caught:
                client.send("05321112233", "x", sender="ILETI")
            seen.append(caught.value)
        with pytest.raises(ileti.MalformedResponse) as malformed:
            client.balance()
        seen.append(malformed.value)
        with pytest.raises(ileti.IletiError) as echoed:
            client.senders()
        seen.append(echoed.value)
    assert any("password" in t for t in _texts([echoed.value])), "the echo reached the error"
    assert CANARY in emulator.received[-1].body.decode(), "the canary went on the wire"
    logged = [r.getMessage() for r in caplog.records] + [caplog.text]
    for text in logged + _texts(seen):
        assert CANARY not in text
