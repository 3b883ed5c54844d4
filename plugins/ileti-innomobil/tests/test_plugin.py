"""Discovery, the provider's info and its text profile, and cheap imports."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from ileti_innomobil import plugin
from ileti_innomobil.emulator import InnomobilEmulator

import ileti
from ileti.emulation import VirtualClock
from ileti.host import available_providers, load_provider
from ileti.text import GSM7, UCS2


def test_discovered_by_entry_point() -> None:
    entries = {e.name: e for e in available_providers()}
    assert entries["innomobil"].distribution == "ileti-innomobil"
    loaded = load_provider("innomobil")
    assert loaded.capabilities == {"send", "send_multi", "query_report", "balance", "senders"}


def test_provider_info() -> None:
    info = plugin.provider_info()
    assert (info.name, info.title) == ("innomobil", "Innomobil")
    assert info.encodings == ("gsm7", "ucs2")
    assert info.max_parts == 4
    assert info.max_recipients == 1000
    assert (info.scheduling, info.validity, info.flash, info.client_reference) == (
        True,
        True,
        False,
        False,
    )
    assert info.validity_range == (timedelta(hours=1), timedelta(hours=48))
    gsm, ucs2 = info.text.encodings
    assert (gsm.wire, gsm.rule, gsm.fold_turkish) == ("0", GSM7, True)
    assert (ucs2.wire, ucs2.rule, ucs2.fold_turkish) == ("1", UCS2, False)


def test_provider_emulator_hook() -> None:
    clock = VirtualClock()
    em = plugin.provider_emulator(clock)
    assert isinstance(em, InnomobilEmulator)
    assert em.clock is clock
    assert plugin.provider_emulator(clock) is not em


@pytest.fixture
def offline() -> ileti.Client:
    return ileti.Client("innomobil", base_url="http://127.0.0.1:9", username="u", password="p")


@pytest.mark.parametrize(
    ("text", "encoding", "parts", "wire", "sent"),
    [
        ("Merhaba", "gsm7", 1, "0", "Merhaba"),
        # auto never folds Turkish letters on its own (fold_turkish=True asks for it)
        ("Günaydın İstanbul", "ucs2", 1, "1", "Günaydın İstanbul"),
        ("ş" * 100, "ucs2", 2, "1", "ş" * 100),
        ("x" * 160, "gsm7", 1, "0", "x" * 160),
        ("x" * 161, "gsm7", 2, "0", "x" * 161),
        ("😀 emoji", "ucs2", 1, "1", "😀 emoji"),
        ("😀" * 36, "ucs2", 2, "1", "😀" * 36),
    ],
)
def test_auto_choice_and_parts(
    offline: ileti.Client, text: str, encoding: str, parts: int, wire: str, sent: str
) -> None:
    seg = offline.preview(text).segmentation
    assert (seg.encoding, seg.parts, seg.wire, seg.text) == (encoding, parts, wire, sent)


def test_explicit_encodings_by_name_and_wire_value(offline: ileti.Client) -> None:
    assert offline.preview("Günaydın", encoding="ucs2").segmentation.text == "Günaydın"
    assert offline.preview("Günaydın", encoding="1").segmentation.wire == "1"
    assert offline.preview("Günaydın", encoding="0").segmentation.text == "Gunaydin"


def test_importing_the_plugin_is_cheap() -> None:
    code = (
        "import sys\n"
        "import ileti_innomobil.plugin\n"
        "heavy = [m for m in ('cattrs', 'urllib3', 'phonenumbers',"
        " 'ileti_innomobil.emulator', 'ileti.emulation') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
