"""Character tables of 3GPP TS 23.038 (GSM 03.38) and the Turkish letters.

Every table is keyed by its septet code so it can be checked against the
specification line by line. Characters are written as escapes wherever a
look-alike exists (Greek capitals, control characters).
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "ESCAPE_CODE",
    "FOLD_TABLE",
    "GSM_BASIC",
    "GSM_BASIC_TABLE",
    "GSM_EXTENSION",
    "GSM_EXTENSION_TABLE",
    "TURKISH_LETTERS",
    "TURKISH_SHIFT",
    "TURKISH_SHIFT_TABLE",
]

#: 0x1B is the escape to the (single) shift table, not a character.
ESCAPE_CODE = 0x1B

# 3GPP TS 23.038 section 6.2.1, GSM 7 bit default alphabet, codes 0x00-0x7F.
# Code 0x1B (ESC) is left out: it is the escape, never a character of a text.
_BASIC_ROWS = (
    "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5",  # 0x00
    # 0x10: Greek capitals (not their Latin look-alikes); 0x1B is ESC
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1b\u00c6\u00e6\u00df\u00c9",
    " !\"#\u00a4%&'()*+,-./",  # 0x20
    "0123456789:;<=>?",  # 0x30
    "\u00a1ABCDEFGHIJKLMNO",  # 0x40
    "PQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7",  # 0x50
    "\u00bfabcdefghijklmno",  # 0x60
    "pqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0",  # 0x70
)

#: septet code -> character, GSM 7 bit default alphabet (without ESC)
GSM_BASIC_TABLE: MappingProxyType[int, str] = MappingProxyType(
    {code: char for code, char in enumerate("".join(_BASIC_ROWS)) if code != ESCAPE_CODE}
)

#: septet code after ESC -> character, 6.2.1.1 default alphabet extension table
GSM_EXTENSION_TABLE: MappingProxyType[int, str] = MappingProxyType(
    {
        0x0A: "\f",  # FORM FEED (page break)
        0x14: "^",
        0x28: "{",
        0x29: "}",
        0x2F: "\\",
        0x3C: "[",
        0x3D: "~",
        0x3E: "]",
        0x40: "|",
        0x65: "\u20ac",  # EURO SIGN
    }
)

#: septet code after ESC -> character, A.2.1 Turkish National Language Single
#: Shift Table: the default extension table plus seven Turkish letters.
TURKISH_SHIFT_TABLE: MappingProxyType[int, str] = MappingProxyType(
    {
        **GSM_EXTENSION_TABLE,
        0x47: "\u011e",  # Ğ LATIN CAPITAL LETTER G WITH BREVE
        0x49: "\u0130",  # İ LATIN CAPITAL LETTER I WITH DOT ABOVE
        0x53: "\u015e",  # Ş LATIN CAPITAL LETTER S WITH CEDILLA
        0x63: "\u00e7",  # ç LATIN SMALL LETTER C WITH CEDILLA
        0x67: "\u011f",  # ğ LATIN SMALL LETTER G WITH BREVE
        0x69: "\u0131",  # ı LATIN SMALL LETTER DOTLESS I
        0x73: "\u015f",  # ş LATIN SMALL LETTER S WITH CEDILLA
    }
)

#: the 127 characters of the default alphabet, in code order
GSM_BASIC = "".join(GSM_BASIC_TABLE.values())
#: the 10 characters of the extension table (each costs two septets)
GSM_EXTENSION = "".join(GSM_EXTENSION_TABLE.values())
#: the 17 characters of the Turkish single shift table (each costs two septets)
TURKISH_SHIFT = "".join(TURKISH_SHIFT_TABLE.values())

#: the twelve letters of the Turkish alphabet outside ASCII
TURKISH_LETTERS = "\u00e7\u011f\u0131\u0130\u00f6\u015f\u00fc\u00c7\u011e\u00d6\u015e\u00dc"

#: Turkish -> ASCII folding, letter by letter (never Unicode decomposition)
FOLD_TABLE: dict[int, str] = str.maketrans(
    {
        "\u0131": "i",  # ı
        "\u0130": "I",  # İ
        "\u015f": "s",  # ş
        "\u015e": "S",  # Ş
        "\u011f": "g",  # ğ
        "\u011e": "G",  # Ğ
        "\u00e7": "c",  # ç
        "\u00c7": "C",  # Ç
        "\u00f6": "o",  # ö
        "\u00d6": "O",  # Ö
        "\u00fc": "u",  # ü
        "\u00dc": "U",  # Ü
    }
)
