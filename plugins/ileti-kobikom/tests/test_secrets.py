"""A canary password never shows: logs at DEBUG (urllib3's too), reprs, errors."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from ileti_kobikom.emulator import KobikomEmulator

import ileti
from ileti.emulation import Fault, FaultProxy, VirtualClock, serve

CANARY = "canary-XYZ-123"
FORMS = {CANARY, quote(CANARY, safe=""), quote_plus(CANARY)}


def leaks(text: str) -> bool:
    return any(form in text for form in FORMS)


def test_canary_never_leaks(
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    clock = VirtualClock()
    emulator = KobikomEmulator(clock=clock, password=CANARY)
    store = tmp_path / "reports.sqlite3"
    seen: list[object] = []
    errors: list[BaseException] = []
    loggers = ["", "urllib3", "urllib3.connectionpool", "ileti", "ileti.transport"]
    with serve(emulator) as srv, caplog.at_level(logging.DEBUG):
        for name in loggers:
            logging.getLogger(name).setLevel(logging.DEBUG)
        client = ileti.Client(
            "kobikom",
            base_url=srv.base_url,
            report_store=str(store),
            clock=clock.now,
            retry=ileti.RetryPolicy(backoff=0.0),
            **emulator.credentials(),
        )
        result = client.send(["+905321112233", "+905321112239"], "Merhaba", client_ref="c1")
        clock.advance(60)
        seen += [client, client.settings, client.resolved_settings.masked(), result]
        seen += [client.report("c1"), client.balance(), client.senders()]
        multi = client.send_multi([("+905321112233", "bir"), ("+905321112234", "iki")])
        seen.append(multi)
        # a pull the gateway refuses, a send the gateway refuses
        client.send("+905321112234", "Merhaba", client_ref="c4")
        emulator.force_error("-5", path="/api/sendsms/xml/pull")
        with pytest.raises(ileti.AuthenticationError) as refused:
            client.report("c4")
        errors.append(refused.value)
        wrong = ileti.Client(
            "kobikom",
            base_url=srv.base_url,
            username="ileti-demo",
            password=CANARY + "x",
            clock=clock.now,
        )
        with pytest.raises(ileti.AuthenticationError) as auth:
            wrong.send("+905321112233", "x", client_ref="c2")
        errors.append(auth.value)
        # a read retried through a flaky proxy (retry warnings print URLs)
        with FaultProxy(srv.base_url) as proxy:
            proxy.set_faults(503, Fault.RESET, 503)
            flaky = ileti.Client(
                "kobikom",
                base_url=proxy.base_url,
                report_store=str(store),
                clock=clock.now,
                retry=ileti.RetryPolicy(attempts=3, backoff=0.0),
                **emulator.credentials(),
            )
            with pytest.raises(ileti.IletiError) as unreachable:
                flaky.report("c4")
            errors.append(unreachable.value)
            proxy.set_faults(Fault.RESET)
            with pytest.raises(ileti.DeliveryUnknown) as unknown:
                flaky.send("+905321112233", "x", client_ref="c3")
            errors.append(unknown.value)
        for c in (client, wrong, flaky):
            c.close()

    # the canary did travel: the emulator saw it in bodies and pull URLs
    assert any(CANARY in r.body.decode() or CANARY in r.query_string for r in emulator.received)
    assert any(r.path.endswith("/pull") for r in emulator.received)
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    assert "parola=****" in caplog.text  # the pull URL was logged, redacted
    assert "retry" in caplog.text  # and so was the retried read
    for record in caplog.records:
        assert not leaks(record.getMessage()), record.name
        assert not leaks(repr(record.args))
    assert not leaks(caplog.text)
    for obj in seen:
        assert not leaks(repr(obj))
        assert not leaks(str(obj))
    for error in errors:
        text = "".join(traceback.format_exception(error))
        assert not leaks(text)
        assert not leaks(repr(error))
        assert not leaks(repr(vars(error)))
    assert not leaks(store.read_bytes().decode("utf-8", "replace"))
