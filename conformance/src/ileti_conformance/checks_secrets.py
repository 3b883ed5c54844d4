"""Secrets: canary credentials never leak."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from ileti.emulation import Fault, refused_url
from ileti.models import (
    SendResult,
)
from ileti.settings import Secret
from ileti_conformance._base import (
    _READS,
    _SENDS,
    _TEXT,
    _calls,
    _Checks,
    _exercises,
)
from ileti_conformance.harness import Harness
from ileti_conformance.leaks import Canaries, exception_texts, record_texts


class SecretChecks(_Checks):
    """Secrets: canary credentials never leak."""

    # ==================================================================== secrets

    @_exercises("send", "send_multi", "query_report", "balance", "senders")
    def test_canary_credentials_never_leak(
        self,
        ileti_harness: Harness,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The emulator's secret credentials (canaries) appear in no DEBUG log
        record (urllib3's included), no repr or str of settings, client, results
        or errors (with their causes), and no output of the ileti command."""
        h = ileti_harness
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="urllib3")
        creds = h.credentials()
        client = h.client()
        settings_obj = client.settings
        secrets = {
            f.name: getattr(settings_obj, f.name).reveal()
            for f in attrs.fields(type(settings_obj))
            if isinstance(getattr(settings_obj, f.name), Secret)
            and getattr(settings_obj, f.name).reveal()
        }
        if creds:
            assert secrets, (
                f"none of the credentials {sorted(creds)} is declared as ileti.Secret in "
                f"{type(settings_obj).__name__}; credentials must be Secret fields"
            )
        short = sorted(f for f, v in secrets.items() if len(v) < 8)
        assert not short, (
            f"the emulator's credentials {short} are too short to be searched for reliably; "
            "make credentials() return distinctive values of 8 characters or more"
        )
        canaries = Canaries(secrets, others=[v for k, v in creds.items() if k not in secrets])
        texts: list[tuple[str, str]] = []
        failures: list[BaseException] = []

        def look(where: str, value: object) -> None:
            texts.append((f"repr({where})", repr(value)))
            texts.append((f"str({where})", str(value)))

        def attempt(where: str, call: Callable[[], object]) -> object:
            try:
                value = call()
            except Exception as exc:
                failures.append(exc)
                return None
            look(where, value)
            return value

        look("client", client)
        look("settings", settings_obj)
        look("resolved settings", client.resolved_settings)
        look("masked settings", client.resolved_settings.masked())
        look("transport", client.transport)

        numbers = h.numbers(2)
        message_id = "1"
        for capability, call in (
            ("send", lambda: client.send(numbers, _TEXT, sender=h.sender)),
            ("send_multi", lambda: client.send_multi([(n, _TEXT) for n in numbers])),
        ):
            if capability in h.capabilities:
                result = attempt(capability, call)
                if isinstance(result, SendResult) and result.message_id:
                    message_id = result.message_id
        h.clock.advance(3600)
        calls = _calls(h, client, number=numbers[0], message_id=message_id)
        for capability in _READS:
            attempt(capability, calls[capability])  # a NotSupported message is looked at too

        # documented errors, forced one by one
        op = next((c for c in (*_SENDS, "balance", "senders") if c in h.capabilities), None)
        for code in getattr(h.emulator, "documented_errors", {}) or {}:
            if op is None or h.emulator.pending_errors:
                break
            h.emulator.force_error(code)
            attempt(f"error {code}", calls[op])

        # faults through the proxy, on sends and on reads
        proxy = h.proxy()
        faulty = _calls(
            h, h.client(base_url=proxy.base_url), number=numbers[0], message_id=message_id
        )
        for fault in (Fault.GARBAGE, Fault.HTML, Fault.HTTP_500, Fault.TRUNCATED, Fault.RESET):
            for capability in h.capabilities:
                proxy.set_faults(fault, fault, fault)
                attempt(f"{capability} after {fault.name}", faulty[capability])
        proxy.set_faults()
        refused = _calls(
            h, h.client(base_url=refused_url()), number=numbers[0], message_id=message_id
        )
        for capability in h.capabilities:
            attempt(f"{capability} to a refused port", refused[capability])

        # configuration errors: a missing secret, credentials put in the URL
        for field, value in secrets.items():
            missing: dict[str, Any] = {field: None}
            attempt(f"client without {field}", functools.partial(h.client, **missing))
            attempt(
                "client with credentials in base_url",
                functools.partial(h.client, base_url=f"http://admin:{value}@127.0.0.1:1/"),
            )

        # the ileti command, with the settings in the environment
        cli_output = self._cli_output(h, monkeypatch, capsys, message_id)
        texts += cli_output

        for exc in failures:
            texts += list(exception_texts(exc))
        leaks = [
            f"{where}: shows the {field} canary"
            for where, text in texts
            if (field := canaries.found_in(text))
        ]
        for record in caplog.records:
            for text in record_texts(record):
                field = canaries.found_in(text)
                if field:
                    leaks.append(
                        f"log record of {record.name!r} at {record.levelname} shows the {field} "
                        f"canary: {canaries.mask(text)[:200]!r}"
                    )
                    break
        field = canaries.found_in(caplog.text)
        if field and not leaks:
            leaks.append(f"the captured log text shows the {field} canary")
        assert not leaks, "secret credentials leaked:\n  " + "\n  ".join(dict.fromkeys(leaks))

    @staticmethod
    def _cli_output(
        h: Harness,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        message_id: str,
    ) -> list[tuple[str, str]]:
        """What ``ileti`` prints (stdout, stderr, DEBUG logs) with the provider's
        settings in the environment, for the commands that touch them.

        The commands that name a provider load it by its entry point, so they
        run only for an installed provider (not for a ``plugin`` loaded in-process).
        """
        try:
            from ileti import cli
        except ImportError:
            return []
        main = getattr(cli, "main", None)
        if main is None:
            return []
        from ileti.settings import env_var

        for field, value in h.settings_values().items():
            if isinstance(value, str):
                monkeypatch.setenv(env_var(h.name, field), value)
        monkeypatch.setenv("ILETI_CONFIG", os.devnull)
        monkeypatch.delenv("ILETI_PROVIDER", raising=False)
        runs: list[list[str]] = [["-vv", "providers"], ["providers", "--json"]]
        if h.target.installed:
            p = ["--provider", h.name]
            number = h.numbers(1)[0]
            sender = ["--sender", h.sender] if h.sender else []
            runs += [["-vv", "config", "show", *p], ["config", "show", *p, "--json"]]
            if "send" in h.capabilities:
                send = ["-vv", "send", *p, "--to", number, "--text", _TEXT, *sender]
                runs += [send, [*send, "--json"]]
                documented = list(getattr(h.emulator, "documented_errors", {}) or {})
                if documented:
                    h.emulator.force_error(documented[0])
                    runs.append(send)
            for capability, command in (("balance", "balance"), ("senders", "senders")):
                if capability in h.capabilities:
                    runs += [["-vv", command, *p], [command, *p, "--json"]]
            if "query_report" in h.capabilities:
                runs.append(["-vv", "report", *p, message_id])
            bad_url = "base_url=http://admin:{}@127.0.0.1:1/"
            for secret in (v for k, v in h.credentials().items() if k != "base_url"):
                runs.append(["-vv", "balance", *p, "--set", bad_url.format(secret)])
        out: list[tuple[str, str]] = []
        for argv in runs:
            capsys.readouterr()
            shown = "ileti " + " ".join(argv)
            try:
                with contextlib.suppress(SystemExit):
                    main(argv)
            except Exception as exc:  # the command crashed: what it shows is the traceback
                out += [(f"{shown} raised", text) for _, text in exception_texts(exc)]
            captured = capsys.readouterr()
            out.append((f"{shown} (stdout)", captured.out))
            out.append((f"{shown} (stderr)", captured.err))
        return out
