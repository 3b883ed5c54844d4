"""How an emulated gateway bills a text: an oracle kept apart from ``ileti.text``.

The conformance suite checks that the parts a client predicts (with
:mod:`ileti.text`) are the parts the emulator bills. That check can only catch
a bug in the shared text engine if the emulator does not count with the same
code and tables. So the emulators count here: the alphabets are written out
again from 3GPP TS 23.038 as plain strings (not as septet tables), and the
part rule is a plain loop over the text, with nothing imported from
:mod:`ileti.text`.

================  =====================================  ==========  ==========
alphabet          characters (two-unit ones)             one SMS     per part
================  =====================================  ==========  ==========
``gsm7``          default alphabet (extension table)     160         153
``gsm7-tr``       default alphabet (Turkish single       155         149
                  shift table: 3-octet language IE)
``ucs2``          every character (beyond U+FFFF)        70          67
================  =====================================  ==========  ==========

Beyond one SMS, parts are filled in order and a two-unit character (an escape
pair, a surrogate pair) is never split across two parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "ALPHABETS",
    "DEFAULT_ALPHABET",
    "EXTENSION_TABLE",
    "Alphabet",
    "gateway_parts",
    "is_default_alphabet",
]

# 3GPP TS 23.038 6.2.1, the default alphabet, row by row (ESC, 0x1B, left out)
_DEFAULT = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# 6.2.1.1, the extension table reached with ESC: form feed ^ { } \ [ ~ ] | €
_EXTENSION = "\f^{}\\[~]|€"
#: the default alphabet's characters (each one unit)
DEFAULT_ALPHABET = _DEFAULT
#: the extension table's characters (each two units: ESC and the character)
EXTENSION_TABLE = _EXTENSION
# A.2.1, the Turkish national language single shift table: the extension
# table's characters and seven Turkish letters
_TURKISH_SHIFT = _EXTENSION + "ĞİŞçğış"


class Alphabet:
    """One way a gateway encodes and bills: the characters it can carry, those
    that cost two units, and its part sizes."""

    def __init__(self, name: str, ones: str | None, twos: str, single: int, multi: int) -> None:
        """``ones``: the characters that cost one unit (``None``: every
        character, by UTF-16 code units); ``twos``: those that cost two;
        ``single``/``multi``: units in one SMS and per concatenated part."""
        self.name = name
        self._ones = None if ones is None else frozenset(ones)
        self._twos = frozenset(twos)
        self.single = single
        self.multi = multi

    def cost(self, char: str) -> int | None:
        """Units one character takes (``None``: this alphabet cannot carry it).

        ``twos`` win over ``ones``: a gateway may bill a character of the
        default alphabet as two (Efecell's ``turkish`` set does).
        """
        if char in self._twos:
            return 2
        if self._ones is None:  # UCS-2: UTF-16 code units
            return 2 if ord(char) > 0xFFFF else 1
        return 1 if char in self._ones else None

    def __repr__(self) -> str:
        return f"Alphabet({self.name!r})"


ALPHABETS: Mapping[str, Alphabet] = MappingProxyType(
    {
        "gsm7": Alphabet("gsm7", _DEFAULT, _EXTENSION, 160, 153),
        "gsm7-tr": Alphabet("gsm7-tr", _DEFAULT, _TURKISH_SHIFT, 155, 149),
        "ucs2": Alphabet("ucs2", None, "", 70, 67),
    }
)


def is_default_alphabet(text: str) -> bool:
    """Whether every character is in the default alphabet or its extension table."""
    return all(ALPHABETS["gsm7"].cost(c) is not None for c in text)


def gateway_parts(text: str, alphabet: str | Alphabet) -> int | None:
    """Parts ``text`` takes in ``alphabet`` (``None``: a character cannot travel).

    ``alphabet`` is a name from :data:`ALPHABETS` or a gateway's own
    :class:`Alphabet`. An empty text is one (empty) part.
    """
    rule = ALPHABETS[alphabet] if isinstance(alphabet, str) else alphabet
    costs = []
    for char in text:
        cost = rule.cost(char)
        if cost is None:
            return None
        costs.append(cost)
    if sum(costs) <= rule.single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > rule.multi:
            parts, used = parts + 1, 0
        used += cost
    return parts
