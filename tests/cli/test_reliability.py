"""The command under hostile servers and hostile input: bounded in time,
honest about what may have been sent, never sending what was not meant."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ileti import host
from ileti.emulation import Fault, FaultProxy, FaultSpec, VirtualClock, serve

SEND = ("send", "-p", "testprov", "--to", "05321112233")


@pytest.fixture
def dripping(served: Any, testprov: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """The emulator behind a proxy that answers one byte every half second."""
    with FaultProxy(served.base_url, drip_interval=0.5) as proxy:
        proxy.fault = Fault.DRIP
        monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", proxy.base_url)
        yield proxy


def test_a_dripping_server_cannot_hold_a_read_past_its_deadline(
    cli: Callable[..., Any], dripping: FaultProxy
) -> None:
    began = time.monotonic()
    # --timeout 1: a total deadline of 2 s per request, three attempts
    run = cli("--timeout", "1", "balance", "-p", "testprov")
    took = time.monotonic() - began
    assert run.code == 6, run.err
    assert "total deadline of 2s" in run.err
    assert took < 10, took  # each answer alone would take 15 s
    assert dripping.request_count == 3


def test_a_send_to_a_dripping_server_is_unknown_at_its_deadline(
    cli: Callable[..., Any], dripping: FaultProxy
) -> None:
    began = time.monotonic()
    run = cli(*SEND, "--text", "hi", "--total-timeout", "1")
    assert run.code == 5, run.err
    assert time.monotonic() - began < 5
    assert dripping.request_count == 1


def test_report_wait_ends_at_its_deadline_even_mid_poll(
    cli: Callable[..., Any], testprov: Any, served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = cli(*SEND, "--text", "hi", "--json")
    assert sent.code == 0, sent.err
    message_id = re.search(r'"message_id": "([^"]+)"', sent.out)
    assert message_id
    with FaultProxy(served.base_url, drip_interval=0.5) as proxy:
        proxy.fault = Fault.DRIP  # every poll after the first drips (35 s deadline each)
        proxy.set_faults(Fault.PASS)
        monkeypatch.setenv("ILETI_TESTPROV_BASE_URL", proxy.base_url)
        began = time.monotonic()
        run = cli("report", "-p", "testprov", message_id[1], "--wait", "--deadline", "3")
        took = time.monotonic() - began
    assert run.code == 7, run.err  # still pending: the last report stands
    assert "The deadline (3s) passed" in run.out
    assert took < 6, took


def test_report_wait_bounds_its_first_poll_too(
    cli: Callable[..., Any], dripping: FaultProxy
) -> None:
    began = time.monotonic()
    run = cli("report", "-p", "testprov", "some-id", "--wait", "--deadline", "2")
    assert run.code == 6, run.err
    assert time.monotonic() - began < 5


def test_to_with_two_numbers_in_one_value_is_refused(
    cli: Callable[..., Any], testprov: Any
) -> None:
    run = cli("send", "-p", "testprov", "--to", "05321112233;05331112233", "--text", "hi")
    assert run.code == 3, run.err
    assert "'05321112233;05331112233'" in run.err
    assert "not one phone number" in run.err
    assert testprov.received == []


def test_a_byte_order_mark_at_the_start_of_the_text_file_is_not_sent(
    cli: Callable[..., Any], testprov: Any, tmp_path: Path
) -> None:
    path = tmp_path / "text.txt"
    path.write_bytes("\ufeffMerhaba dünya\n".encode())
    run = cli(*SEND, "--text-file", str(path), "--encoding", "auto", "--json")
    assert run.code == 0, run.err
    assert '"parts": 1' in run.out
    assert [m.text for m in testprov.messages] == ["Merhaba dünya"]
    piped = cli(*SEND, "--json", stdin="\ufeffMerhaba".encode())
    assert piped.code == 0, piped.err
    assert testprov.messages[-1].text == "Merhaba"


def test_a_key_no_http_header_can_carry_names_the_setting(
    cli: Callable[..., Any], testprov: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ILETI_TESTPROV_API_KEY", "anahtarş-42")
    for args in (("balance", "-p", "testprov"), (*SEND, "--text", "hi")):
        run = cli(*args)
        assert run.code == 3, run.err
        assert "setting 'api_key'" in run.err
        assert "ş" not in run.err.split("such as")[0]  # the key itself is not shown
        assert "Traceback" not in run.err
    assert testprov.received == []


# -- what to check after "delivery unknown", per provider ---------------------------


@pytest.fixture
def efecell(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, FaultProxy]]:
    loaded = host.load_provider("efecell")
    emulator = loaded.plugin.provider_emulator(clock=VirtualClock())
    with serve(emulator) as srv, FaultProxy(srv.base_url) as proxy:
        monkeypatch.setenv("ILETI_EFECELL_BASE_URL", proxy.base_url)
        monkeypatch.setenv("ILETI_EFECELL_API_KEY", emulator.credentials()["api_key"])
        yield emulator, proxy


def test_delivery_unknown_advice_without_client_references(
    cli: Callable[..., Any], efecell: tuple[Any, FaultProxy]
) -> None:
    _, proxy = efecell
    proxy.set_faults(Fault.HTTP_500)
    run = cli("send", "-p", "efecell", "--to", "05321112233", "--text", "hi", "-s", "ILETI")
    assert run.code == 5, run.err
    assert "do not send it again blindly" in run.err
    # Efecell is never given ileti's reference: the panel cannot find it
    assert "panel, by client reference" not in run.err
    assert "in efecell's panel" not in run.err
    assert "is not given ileti's client reference" in run.err
    assert "+905321112233" in run.err
    assert re.search(r"sent around \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", run.err)


def test_a_429_answering_a_send_exits_4_for_a_provider_that_never_documented_it(
    cli: Callable[..., Any], efecell: tuple[Any, FaultProxy]
) -> None:
    _, proxy = efecell
    proxy.set_faults(FaultSpec.http_status(429, retry_after=5))
    run = cli("send", "-p", "efecell", "--to", "05321112233", "--text", "hi", "-s", "ILETI")
    assert run.code == 4, run.err
    assert "429" in run.err
    assert proxy.request_count == 1


def test_a_redirect_answering_a_send_exits_5(
    cli: Callable[..., Any], efecell: tuple[Any, FaultProxy]
) -> None:
    _, proxy = efecell
    proxy.set_faults(FaultSpec.http_status(302, headers=[("Location", "/login")]))
    run = cli("send", "-p", "efecell", "--to", "05321112233", "--text", "hi", "-s", "ILETI")
    assert run.code == 5, run.err
    assert "redirect (302)" in run.err


# -- files ----------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_config_file_others_can_read_is_warned_about_once(
    cli: Callable[..., Any], served: Any, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[providers.testprov]\napi_key = "test-key-CANARY-42"\nbase_url = "{served.base_url}"\n'
    )
    config.chmod(0o644)
    run = cli("--config", str(config), "balance", "-p", "testprov")
    assert run.code == 0, run.err
    warnings = [line for line in run.err.splitlines() if line.startswith("ileti: warning:")]
    assert len(warnings) == 1, run.err
    assert str(config) in warnings[0]
    assert f"chmod 600 {config}" in warnings[0]
    assert "api_key" in warnings[0]
    assert "CANARY" not in run.err
    config.chmod(0o600)
    private = cli("--config", str(config), "balance", "-p", "testprov")
    assert "warning" not in private.err


def test_an_efecell_key_with_a_turkish_letter_is_a_configuration_error(
    cli: Callable[..., Any], efecell: tuple[Any, FaultProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, proxy = efecell
    monkeypatch.setenv("ILETI_EFECELL_API_KEY", "efecell-anahtarş")
    run = cli("send", "-p", "efecell", "--to", "05321112233", "--text", "hi", "-s", "ILETI")
    assert run.code == 3, run.err
    assert "setting 'api_key'" in run.err
    assert "UnicodeEncodeError" not in run.err
    assert proxy.request_count == 0
