"""The character tables, checked cell by cell against 3GPP TS 23.038."""

from __future__ import annotations

import unicodedata

import pytest

from ileti.text import fold_turkish
from ileti.text._tables import (
    FOLD_TABLE,
    GSM_BASIC,
    GSM_BASIC_TABLE,
    GSM_EXTENSION,
    GSM_EXTENSION_TABLE,
    TURKISH_LETTERS,
    TURKISH_SHIFT_TABLE,
)


def test_basic_table_has_127_characters_without_escape() -> None:
    assert len(GSM_BASIC_TABLE) == 127
    assert 0x1B not in GSM_BASIC_TABLE
    assert "\x1b" not in GSM_BASIC
    assert len(set(GSM_BASIC)) == 127


@pytest.mark.parametrize(
    ("code", "char"),
    [
        (0x00, "@"),
        (0x01, "£"),
        (0x02, "$"),
        (0x03, "¥"),
        (0x09, "Ç"),  # capital: the small ç is not in the table
        (0x0A, "\n"),
        (0x0D, "\r"),
        (0x10, "\u0394"),  # GREEK CAPITAL LETTER DELTA
        (0x11, "_"),
        (0x15, "\u03a9"),  # GREEK CAPITAL LETTER OMEGA
        (0x1A, "\u039e"),  # GREEK CAPITAL LETTER XI
        (0x1F, "É"),
        (0x24, "¤"),
        (0x40, "¡"),
        (0x5B, "Ä"),
        (0x5C, "Ö"),
        (0x5D, "Ñ"),
        (0x5E, "Ü"),
        (0x5F, "§"),
        (0x60, "¿"),
        (0x7B, "ä"),
        (0x7C, "ö"),
        (0x7D, "ñ"),
        (0x7E, "ü"),
        (0x7F, "à"),
    ],
)
def test_basic_table_cells(code: int, char: str) -> None:
    assert GSM_BASIC_TABLE[code] == char


def test_basic_table_ascii_rows() -> None:
    for code in range(0x20, 0x7F):
        if code in (0x24, 0x40, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0x60, 0x7B, 0x7C, 0x7D, 0x7E):
            continue
        assert GSM_BASIC_TABLE[code] == chr(code), hex(code)


def test_extension_table() -> None:
    assert dict(GSM_EXTENSION_TABLE) == {
        0x0A: "\f",
        0x14: "^",
        0x28: "{",
        0x29: "}",
        0x2F: "\\",
        0x3C: "[",
        0x3D: "~",
        0x3E: "]",
        0x40: "|",
        0x65: "€",
    }
    assert not set(GSM_EXTENSION) & set(GSM_BASIC)


def test_turkish_single_shift_table() -> None:
    """A.2.1: the default extension characters plus Ğ İ Ş ç ğ ı ş."""
    turkish_only = {
        code: char for code, char in TURKISH_SHIFT_TABLE.items() if code not in GSM_EXTENSION_TABLE
    }
    assert turkish_only == {
        0x47: "Ğ",
        0x49: "İ",
        0x53: "Ş",
        0x63: "ç",
        0x67: "ğ",
        0x69: "ı",
        0x73: "ş",
    }
    assert len(TURKISH_SHIFT_TABLE) == 17
    for code, char in GSM_EXTENSION_TABLE.items():
        assert TURKISH_SHIFT_TABLE[code] == char
    assert not set(TURKISH_SHIFT_TABLE.values()) & set(GSM_BASIC)


def test_turkish_letters_and_where_they_live() -> None:
    assert sorted(TURKISH_LETTERS) == sorted("çğıİöşüÇĞÖŞÜ")
    in_basic = {c for c in TURKISH_LETTERS if c in GSM_BASIC}
    assert in_basic == set("ÇÖÜöü")
    in_shift = {c for c in TURKISH_LETTERS if c in TURKISH_SHIFT_TABLE.values()}
    assert in_shift == set("çğıİşĞŞ")


def test_gsm_text_is_already_nfc() -> None:
    """The fast path skips NFC for all-GSM text; that needs this to hold."""
    chars = GSM_BASIC + GSM_EXTENSION
    assert all(unicodedata.combining(c) == 0 for c in chars)
    for a in chars:
        for b in chars:
            assert unicodedata.normalize("NFC", a + b) == a + b


def test_fold_table_is_exactly_the_twelve_letters() -> None:
    assert {chr(k) for k in FOLD_TABLE} == set(TURKISH_LETTERS)
    assert fold_turkish("çğıİöşüÇĞÖŞÜ") == "cgiIosuCGOSU"
    assert fold_turkish("âîûéñ ₺ 😀") == "âîûéñ ₺ 😀"  # nothing else, not even â
    assert fold_turkish("İstanbul'da ılık bir gün") == "Istanbul'da ilik bir gun"
