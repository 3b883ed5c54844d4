"""Discovery, routing, NotSupported, broken plugins and wrappers, through the
test provider installed with real entry points (core/tests/fixtures)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import ileti
from ileti import host
from ileti.emulation import VirtualClock, serve
from ileti.errors import ConfigurationError, NotSupported
from ileti.plugin import hookimpl


def test_listing_reads_metadata_only() -> None:
    code = (
        "import sys, ileti.host as h; names = [p.name for p in h.available_providers()];"
        "assert {'testprov', 'testprov-min', 'testprov-broken'} <= set(names), names;"
        "assert not any(m.startswith('ileti_testprovider.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_loading_one_provider_imports_only_that_one() -> None:
    code = (
        "import sys, ileti.host as h; h.load_provider('testprov-min');"
        "assert 'ileti_testprovider.minimal' in sys.modules;"
        "assert 'ileti_testprovider.full' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_ileti_is_cheap() -> None:
    heavy = ["urllib3", "xmltodict", "phonenumbers", "cattrs", "pluggy", "ileti_testprovider"]
    code = (
        "import sys, ileti; ileti.__version__; ileti.Timeout(); ileti.RetryPolicy();"
        f"loaded = [m for m in {heavy!r}"
        " if any(k == m or k.startswith(m + '.') for k in sys.modules)];"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_broken_plugin_is_reported_and_does_not_break_others() -> None:
    with pytest.raises(ConfigurationError, match="testprov-broken.*failed to load.*ImportError"):
        host.load_provider("testprov-broken")
    good, broken = host.load_all()
    assert "testprov" in {p.name for p in good}
    assert [b.name for b in broken if b.name.startswith("testprov")] == ["testprov-broken"]
    assert "broken on purpose" in broken[0].error or any(
        "broken on purpose" in b.error for b in broken
    )


def test_unknown_provider_never_names_a_package_made_from_the_typo() -> None:
    with pytest.raises(ConfigurationError) as info:
        ileti.Client("nosuch")
    assert "ileti-nosuch" not in str(info.value)
    assert "install the plugin distribution that provides it" in str(info.value)
    with pytest.raises(ConfigurationError, match="did you mean 'testprov'"):
        ileti.Client("testprv")


def test_disable_env_blocks_a_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(host.DISABLE_ENV, "testprov-broken, testprov-min")
    host.clear_caches()
    names = {p.name for p in host.available_providers()}
    assert "testprov" in names
    assert not names & {"testprov-broken", "testprov-min"}
    with pytest.raises(ConfigurationError, match="disabled"):
        host.load_provider("testprov-min")
    assert not [b for b in host.load_all()[1] if b.name == "testprov-broken"]


def test_capabilities_are_the_hooks_implemented() -> None:
    full = host.load_provider("testprov")
    assert full.capabilities == {"send", "send_multi", "query_report", "balance", "senders"}
    assert full.has_emulator
    minimal = host.load_provider("testprov-min")
    assert minimal.capabilities == {"send"}
    assert not minimal.has_emulator


@pytest.mark.parametrize("call", ["balance", "senders", "report", "send_multi"])
def test_missing_capability_raises_not_supported_naming_both(call: str) -> None:
    client = ileti.Client("testprov-min")
    args: dict[str, tuple[Any, ...]] = {"report": ("1",), "send_multi": ([("05321112233", "x")],)}
    with pytest.raises(NotSupported) as info:
        getattr(client, call)(*args.get(call, ()))
    assert "testprov-min" in str(info.value)
    hook = "query_report" if call == "report" else call
    assert hook in str(info.value)


def test_unsupported_option_raises_not_supported() -> None:
    from datetime import UTC, datetime, timedelta

    client = ileti.Client("testprov", api_key="k")
    with pytest.raises(NotSupported, match="scheduling"):
        client.send("05321112233", "hi", schedule=datetime.now(UTC) + timedelta(hours=1))


class Recorder:
    """A non-provider plugin wrapping every send."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    @hookimpl(wrapper=True)
    def send(self, ctx: Any, message: Any) -> Any:
        self.seen.append(("before", len(message.recipients)))
        result = yield
        self.seen.append(("after", len(result.recipients)))
        return result


def test_wrappers_surround_every_call() -> None:
    emulator = host.load_provider("testprov").plugin.provider_emulator(clock=VirtualClock())
    recorder = Recorder()
    with serve(emulator) as srv:
        client = ileti.Client(
            "testprov", base_url=srv.base_url, extensions=[recorder], **emulator.credentials()
        )
        client.send(["05321112233", "05321112234"], "Merhaba")
    assert recorder.seen == [("before", 2), ("after", 2)]


def test_misspelt_hookimpl_is_caught() -> None:
    class Typo:
        @hookimpl
        def sned(self, ctx: Any, message: Any) -> None:  # misspelt on purpose
            return None

        @hookimpl
        def provider_info(self) -> Any:
            return host.load_provider("testprov").info

    with pytest.raises(ConfigurationError, match="sned"):
        host.inspect_plugin("typo", Typo())
