"""Counting rules: what each character costs and how big parts are."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

from ileti.text._frozen import Frozen
from ileti.text._tables import GSM_BASIC, GSM_EXTENSION, TURKISH_LETTERS, TURKISH_SHIFT

__all__ = [
    "EFECELL_TURKISH",
    "GSM7",
    "GSM7_TR",
    "UCS2",
    "CountingRule",
    "Encoding",
]

_ASTRAL = "\U00010000-\U0010ffff"


class Encoding(enum.StrEnum):
    """What goes on air."""

    GSM7 = "gsm7"
    GSM7_TR = "gsm7-tr"
    UCS2 = "ucs2"


def _charset(value: Iterable[str]) -> frozenset[str]:
    chars = frozenset(value)
    for char in chars:
        if not isinstance(char, str) or len(char) != 1:
            raise ValueError(f"a counting rule's sets hold single characters, not {char!r}")
    return chars


def _optional_charset(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else _charset(value)


def _char_class(chars: Iterable[str]) -> str:
    return "".join(re.escape(c) for c in sorted(chars))


class _Compiled:
    """Precomputed lookups that make counting a few C-level passes over a text."""

    __slots__ = (
        "_bad",
        "_built",
        "_encodable",
        "_nonascii_two_re",
        "_two",
        "_twos",
        "ascii_all_ok",
        "ascii_mark",
        "ascii_ok",
        "ascii_two",
        "astral",
        "nonascii_two",
        "only_astral",
    )

    def __init__(self, ones: frozenset[str] | None, twos: frozenset[str], astral: bool) -> None:
        if astral:
            twos = frozenset(c for c in twos if ord(c) < 0x10000)
        encodable = None if ones is None else ones | twos
        ascii_ok = bytes(code for code in range(128) if encodable is None or chr(code) in encodable)
        #: ASCII bytes of characters the rule can encode (deleted to find the others)
        self.ascii_ok: bytes = ascii_ok
        self.ascii_all_ok: bool = len(ascii_ok) == 128
        #: ASCII bytes of characters that cost two units
        self.ascii_two: bytes = bytes(sorted(ord(c) for c in twos if ord(c) < 128))
        #: bytes.translate table: 1 for an ASCII two-unit character, 0 otherwise
        self.ascii_mark: bytes = bytes(int(code in self.ascii_two) for code in range(256))
        #: whether characters outside the BMP cost two units (UTF-16 surrogate pairs)
        self.astral: bool = astral
        #: non-ASCII characters (in the BMP) that cost two units
        self.nonascii_two: tuple[str, ...] = tuple(sorted(c for c in twos if ord(c) >= 128))
        #: the only two-unit characters are those outside the BMP (UCS-2)
        self.only_astral: bool = astral and not twos
        # the patterns are compiled on first use: the built-in rules' took 2.7 ms of every start
        self._encodable = encodable
        self._twos = twos
        self._built = False
        self._bad: re.Pattern[str] | None = None
        self._nonascii_two_re: re.Pattern[str] | None = None
        self._two: re.Pattern[str] | None = None

    def _build(self) -> None:
        encodable = self._encodable
        self._bad = None if encodable is None else re.compile(f"[^{_char_class(encodable)}]")
        chars = self.nonascii_two
        self._nonascii_two_re = re.compile(f"[{_char_class(chars)}]") if chars else None
        parts = _char_class(self._twos) + (_ASTRAL if self.astral else "")
        self._two = re.compile(f"[{parts}]") if parts else None
        self._built = True

    @property
    def bad(self) -> re.Pattern[str] | None:
        """Matches any character the rule cannot encode (None: it encodes everything)."""
        if not self._built:
            self._build()
        return self._bad

    @property
    def nonascii_two_re(self) -> re.Pattern[str] | None:
        """Matches the non-ASCII characters (in the BMP) that cost two units."""
        if not self._built:
            self._build()
        return self._nonascii_two_re

    @property
    def two(self) -> re.Pattern[str] | None:
        """Matches every character that costs two units."""
        if not self._built:
            self._build()
        return self._two


class CountingRule(Frozen):
    """How an encoding counts units and how big parts are.

    A character costs two units when it is in ``twos`` (or, with
    ``astral_twos``, when it lies outside the Basic Multilingual Plane, as a
    UTF-16 surrogate pair does); otherwise one unit when ``ones`` is ``None``
    (every character) or holds it. Any other character cannot be encoded by
    the rule, which makes the rule unusable for a text holding it.

    Attributes:
        name: ``"gsm7"``, ``"gsm7-tr"``, ``"ucs2"`` or a provider's own, e.g. ``"turkish"``.
        base: the encoding that goes on air.
        single: units allowed in a one-part message (160 / 155 / 70).
        multi: units per part when the message is concatenated (153 / 149 / 67).
        ones: the characters that cost one unit (``None``: every character).
        twos: the characters that cost two units (escape pairs).
        astral_twos: characters outside the BMP cost two units (UTF-16).
    """

    __slots__ = (
        "__weakref__",
        "_compiled",
        "astral_twos",
        "base",
        "multi",
        "name",
        "ones",
        "single",
        "twos",
    )

    name: str
    base: Encoding
    single: int
    multi: int
    ones: frozenset[str] | None
    twos: frozenset[str]
    astral_twos: bool
    _compiled: _Compiled

    def __init__(
        self,
        name: str,
        base: Encoding,
        single: int,
        multi: int,
        ones: Iterable[str] | None = None,
        twos: Iterable[str] = frozenset(),
        astral_twos: bool = False,
    ) -> None:
        init = object.__setattr__
        init(self, "name", name)
        init(self, "base", base)
        init(self, "single", single)
        init(self, "multi", multi)
        init(self, "ones", _optional_charset(ones))
        init(self, "twos", _charset(twos))
        init(self, "astral_twos", astral_twos)
        if self.multi < 2 or self.single < 2:
            raise ValueError(
                f"counting rule {self.name!r}: single and multi must be at least 2 units "
                "(a two-unit character must fit in a part)"
            )
        if self.ones is not None and self.ones & self.twos:
            both = "".join(sorted(self.ones & self.twos))
            raise ValueError(f"counting rule {self.name!r}: {both!r} cost both one and two units")
        init(self, "_compiled", _Compiled(self.ones, self.twos, self.astral_twos))

    def cost(self, char: str) -> int | None:
        """Units one character costs under this rule; ``None`` if it cannot be encoded."""
        if char in self.twos or (self.astral_twos and ord(char) > 0xFFFF):
            return 2
        if self.ones is None or char in self.ones:
            return 1
        return None


#: GSM 03.38 default alphabet with its extension table: 160 / 153 septets
GSM7 = CountingRule(
    name="gsm7",
    base=Encoding.GSM7,
    single=160,
    multi=153,
    ones=frozenset(GSM_BASIC),
    twos=frozenset(GSM_EXTENSION),
)

#: default alphabet with the Turkish national single shift table (3GPP TS
#: 23.038 A.2.1); the 3-octet national language IE leaves 155 / 149 septets
GSM7_TR = CountingRule(
    name="gsm7-tr",
    base=Encoding.GSM7_TR,
    single=155,
    multi=149,
    ones=frozenset(GSM_BASIC),
    twos=frozenset(TURKISH_SHIFT),
)

#: UCS-2 counted in UTF-16 code units: 70 / 67
UCS2 = CountingRule(
    name="ucs2",
    base=Encoding.UCS2,
    single=70,
    multi=67,
    ones=None,
    twos=frozenset(),
    astral_twos=True,
)

#: Efecell's ``turkish`` encoding: billed like GSM-7 on 160 / 153, but each of
#: the twelve Turkish letters (inferred: ç ğ ı İ ö ş ü Ç Ğ Ö Ş Ü) and each
#: extension character counts two.
EFECELL_TURKISH = CountingRule(
    name="turkish",
    base=Encoding.GSM7,
    single=160,
    multi=153,
    ones=frozenset(GSM_BASIC) - frozenset(TURKISH_LETTERS),
    twos=frozenset(GSM_EXTENSION) | frozenset(TURKISH_LETTERS),
)
