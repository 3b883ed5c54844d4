"""Live mode: off by default with a clear reason; with --ileti-live the read-only
checks run against "the real account" (here an emulator on loopback) whose
settings come only from the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from ileti_fakesms import FakeSmsEmulator

from ileti.emulation import ServedApp, serve

pytest_plugins = ["pytester"]

INNER = """
from ileti_conformance import ProviderConformance
from ileti_fakesms import PLUGIN

class TestFakeSms(ProviderConformance):
    provider = "fakesms"
    plugin = PLUGIN
"""


@pytest.fixture
def account() -> Iterator[ServedApp]:
    with serve(FakeSmsEmulator()) as served:
        yield served


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.startswith("ILETI_FAKESMS_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("ILETI_CONFIG", os.devnull)


def test_live_checks_are_skipped_with_a_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-ra", "-p", "no:cacheprovider", "-k", "live")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]2[]]*live mode is off: run with --ileti-live*ILETI_FAKESMS_*"]
    )


def test_live_checks_read_the_account_from_the_environment(
    pytester: pytest.Pytester, account: ServedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ILETI_FAKESMS_BASE_URL", account.base_url)
    monkeypatch.setenv("ILETI_FAKESMS_USERNAME", FakeSmsEmulator.user)
    monkeypatch.setenv("ILETI_FAKESMS_PASSWORD", FakeSmsEmulator.password)
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "live", "--ileti-live")
    result.assert_outcomes(passed=2)
    received = [r.path for r in account.app.received]  # type: ignore[attr-defined]
    assert sorted(received) == ["/v1/balance", "/v1/senders"]


def test_live_mode_with_incomplete_settings_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "live", "--ileti-live")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        ["*--ileti-live: the fakesms settings are incomplete*ILETI_FAKESMS_*"]
    )
