"""A password holding characters our wire formats escape never shows, whole
or in part, in the DEBUG log (what ``-vv`` prints) or in an error, whatever
body style the provider uses: XML escaped then form-encoded (Kobikom's
default), raw XML (Kobikom ``body_style=raw``, Ekomesaj ``api_style=xml``),
JSON, HTTP Basic (Modexi)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ileti
from ileti import host
from ileti.emulation import ServedApp, VirtualClock, serve

HEAD, TAIL = "Hq7K", "Zx4W"
_TRICKY = "&<>\"'%+=;:/?#\\ çğıİöşüÇĞÖŞÜ₺"
printable = st.one_of(
    st.sampled_from(_TRICKY), st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn"))
)
#: always one character some layer escapes, anywhere among any printable ones
passwords = st.builds(
    lambda a, tricky, b: f"{HEAD}{a}{tricky}{b}{TAIL}",
    st.text(printable, max_size=8),
    st.sampled_from(_TRICKY),
    st.text(printable, max_size=8),
)

STYLES = {
    "kobikom-form": ("kobikom", {"report_store": ":memory:"}),
    "kobikom-raw": ("kobikom", {"body_style": "raw", "report_store": ":memory:"}),
    "ekomesaj-json": ("ekomesaj", {}),
    "ekomesaj-xml": ("ekomesaj", {"api_style": "xml"}),
    "modexi": ("modexi", {}),
    "innomobil": ("innomobil", {}),
}


@pytest.fixture(scope="module")
def served() -> Iterator[Callable[[str], ServedApp]]:
    apps: dict[str, Any] = {}

    def get(provider: str) -> ServedApp:
        if provider not in apps:
            emulator = host.load_provider(provider).plugin.provider_emulator(clock=VirtualClock())
            apps[provider] = (emulator, serve(emulator))
        return apps[provider][1]

    yield get
    for _, app in apps.values():
        app.close()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.mark.parametrize("style", list(STYLES))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(password=passwords)
def test_no_part_of_a_password_shows_at_debug(
    served: Callable[[str], ServedApp], style: str, password: str
) -> None:
    provider, extra = STYLES[style]
    app = served(provider)
    handler = _Records()
    loggers = [logging.getLogger(n) for n in ("ileti", "urllib3")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(handler)
    shown: list[str] = []
    try:
        client = ileti.Client(
            provider, base_url=app.base_url, username="ileti-demo", password=password, **extra
        )
        with client:
            try:
                client.balance()
            except ileti.IletiError as exc:
                shown += [str(exc), repr(exc)]
    finally:
        for lg, level in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)
    assert any("body=" in line for line in handler.lines)  # the exchange was logged
    for text in [*handler.lines, *shown]:
        assert HEAD not in text, text
        assert TAIL not in text, text
