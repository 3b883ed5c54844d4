"""Live: balance and senders against the real gateway (opt-in)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ileti.errors import (
    ConfigurationError,
    NotSupported,
)
from ileti.http import Timeout
from ileti_conformance._base import (
    _Checks,
    _exercises,
)
from ileti_conformance.harness import Target
from ileti_conformance.leaks import Canaries, record_texts


class LiveChecks(_Checks):
    """Live: balance and senders against the real gateway (opt-in)."""

    def _live_client(self, request: pytest.FixtureRequest, target: Target) -> Any:
        if not request.config.getoption("ileti_live", default=False):
            pytest.skip(
                "live mode is off: run with --ileti-live, with the account's settings in "
                f"ILETI_{target.name.upper().replace('-', '_')}_* environment variables, to "
                "check balance and senders against the real gateway"
            )
        from ileti.client import Client

        try:
            return Client.from_env(target.loaded, timeout=Timeout(10.0, 30.0))
        except ConfigurationError as exc:
            pytest.fail(f"--ileti-live: the {target.name} settings are incomplete: {exc}")

    def _live_leaks(self, client: Any, caplog: pytest.LogCaptureFixture) -> None:
        from ileti.settings import secret_values

        canaries = Canaries(
            {f"secret {i}": v for i, v in enumerate(secret_values(client.settings))}
        )
        for record in caplog.records:
            for text in record_texts(record):
                assert not canaries.found_in(text), (
                    f"a log record of {record.name!r} shows a live secret (not printed here)"
                )

    def _live_read(
        self,
        capability: str,
        request: pytest.FixtureRequest,
        target: Target,
        caplog: pytest.LogCaptureFixture,
    ) -> Any:
        """One read of the real account (``None`` when the provider lacks it
        and says so), checked as a model, with no secret in the logs."""
        client = self._live_client(request, target)
        caplog.set_level(logging.DEBUG)
        with client:
            read = getattr(client, capability)
            if capability not in client.capabilities:
                with pytest.raises(NotSupported):
                    read()
                return None
            value = read()
            self._check_model(capability, value)
            self._live_leaks(client, caplog)
            return value

    @_exercises("balance")
    def test_live_balance(
        self,
        request: pytest.FixtureRequest,
        ileti_target: Target,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Live (opt-in): the real account's balance is well formed."""
        balance = self._live_read("balance", request, ileti_target, caplog)
        if balance is not None:
            assert balance.provider == ileti_target.name

    @_exercises("senders")
    def test_live_senders(
        self,
        request: pytest.FixtureRequest,
        ileti_target: Target,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Live (opt-in): the real account's sender names are well formed."""
        self._live_read("senders", request, ileti_target, caplog)
