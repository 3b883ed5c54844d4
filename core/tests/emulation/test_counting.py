"""The emulators' billing oracle agrees with the text engine, and is apart from it.

:mod:`ileti.emulation.counting` writes the GSM 03.38 alphabets and the part
rule out again; ``ileti.text`` has its own septet tables and engine. Two
implementations that agree on every text are what lets the conformance
suite's "predicted parts are billed parts" catch a bug in either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.emulation import counting
from ileti.errors import IletiError
from ileti.text import DEFAULT_PROFILE, GSM7_TR, ProfileEncoding, TextProfile, count
from ileti.text._tables import GSM_BASIC, GSM_EXTENSION, TURKISH_SHIFT

TR_PROFILE = TextProfile(encodings=(ProfileEncoding("gsm7-tr", "tr", GSM7_TR),))
PROFILES = {"gsm7": DEFAULT_PROFILE, "gsm7-tr": TR_PROFILE, "ucs2": DEFAULT_PROFILE}

# texts near the part boundaries, from every class of character that counts differently
CHARS = st.sampled_from(
    list("aZ09 @£\n") + list("^{}[]~|€\\\f") + list("çğıİöşüÇĞÖŞÜ") + ["😀", "₺", "Ж", "\u00a0"]
)
TEXTS = st.one_of(
    st.text(CHARS, max_size=700), st.text(max_size=200), st.text(CHARS, min_size=150, max_size=330)
)


def test_the_alphabets_are_the_specifications() -> None:
    def dflt(c: str) -> int | None:
        return counting.ALPHABETS["gsm7"].cost(c)

    assert sorted(c for c in map(chr, range(0x3000)) if dflt(c) == 1) == sorted(GSM_BASIC)
    assert sorted(c for c in map(chr, range(0x3000)) if dflt(c) == 2) == sorted(GSM_EXTENSION)
    turkish = counting.ALPHABETS["gsm7-tr"]
    assert sorted(c for c in map(chr, range(0x3000)) if turkish.cost(c) == 2) == sorted(
        TURKISH_SHIFT
    )
    assert counting.ALPHABETS["ucs2"].cost("😀") == 2
    assert counting.ALPHABETS["ucs2"].cost("ş") == 1


@pytest.mark.parametrize("alphabet", ["gsm7", "gsm7-tr", "ucs2"])
@given(text=TEXTS)
def test_the_oracle_agrees_with_the_text_engine(alphabet: str, text: str) -> None:
    billed = counting.gateway_parts(text, alphabet)
    try:
        predicted: int | None = count(text, alphabet, PROFILES[alphabet])[1]
    except IletiError:  # the encoding cannot carry a character
        predicted = None
    assert billed == predicted


@pytest.mark.parametrize(
    ("text", "alphabet", "parts"),
    [
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("a" * 159 + "€", "gsm7", 2),  # 161 septets
        ("a" * 152 + "€" + "a" * 152, "gsm7", 3),  # 306 septets, but € is not split
        ("a" * 306, "gsm7", 2),
        ("a" * 307, "gsm7", 3),
        ("ş" * 77, "gsm7-tr", 1),  # 154 units of 155
        ("ş" * 78, "gsm7-tr", 2),
        ("ş" * 70, "ucs2", 1),
        ("ş" * 71, "ucs2", 2),
        ("a" * 66 + "😀", "ucs2", 1),  # 68 code units
        ("a" * 69 + "😀", "ucs2", 2),
        ("😀", "gsm7", None),
        ("", "gsm7", 1),
    ],
)
def test_part_boundaries(text: str, alphabet: str, parts: int | None) -> None:
    assert counting.gateway_parts(text, alphabet) == parts


def test_the_oracle_imports_nothing_from_the_text_engine() -> None:
    source = Path(counting.__file__).read_text(encoding="utf-8")
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {name for name in imported if name.startswith("ileti")}
