"""Segmentation: normalise, fold, choose an encoding, split into parts.

Counting is a few C-level passes over the text (``str.isascii``,
``bytes.translate``, one precompiled regex search, ``str.encode``); a part
boundary is found by jumping: put the end ``multi`` characters on, then pull
it back by the fewest characters that could remove the excess, counting the
two-unit characters in between with ``bytes.count`` or ``bisect``. No Python
loop visits the text character by character.
"""

from __future__ import annotations

import functools
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Sequence

from ileti.errors import InvalidContent, MessageTooLong
from ileti.text._frozen import Frozen
from ileti.text._tables import FOLD_TABLE
from ileti.text.profile import AUTO, DEFAULT_PROFILE, ProfileEncoding, TextProfile
from ileti.text.rules import GSM7, UCS2, CountingRule, Encoding, _Compiled

__all__ = [
    "Segmentation",
    "count",
    "counter",
    "ensure_fits",
    "fold_turkish",
    "is_gsm7",
    "measured",
    "segment",
    "segmenter",
    "unencodable",
]

_PLAIN_GSM7 = DEFAULT_PROFILE.get("gsm7")
_PLAIN_UCS2 = DEFAULT_PROFILE.get("ucs2")
_GSM7_C: _Compiled = GSM7._compiled
_UCS2_C: _Compiled = UCS2._compiled
assert _GSM7_C.bad is not None  # GSM-7 cannot encode everything
_GSM7_BAD_SEARCH = _GSM7_C.bad.search
# up to this many non-ASCII two-unit characters, str.count per character beats a regex
_COUNT_MAX = 4
# typing.TYPE_CHECKING without importing typing (``ileti segments`` does not):
# mypy takes a name TYPE_CHECKING as true
TYPE_CHECKING = False
# bytes.translate table: the high byte of a UTF-16 high surrogate (D800-DBFF) -> 1
_HIGH_SURROGATE = bytes(int(0xD8 <= code <= 0xDB) for code in range(256))
# how many offending characters an error message names
_SHOW_MAX = 10


class Segmentation(Frozen):
    """How a text travels: encoding, parts and units.

    Attributes:
        text: the text after NFC (and folding, if done); ``"".join(part_texts) == text``.
        encoding: the chosen encoding's name (``"gsm7"``, ``"gsm7-tr"``, ``"ucs2"``, ``"turkish"``).
        base: the encoding on air.
        wire: the provider's wire value (the encoding's name when there is no profile).
        parts: how many SMS the text takes.
        part_units: units per part: septets for GSM-7 (an escape pair is 2),
            UTF-16 code units for UCS-2, the provider's units otherwise.
        part_texts: the text of each part.
        units: total units.
        single_limit: units allowed in a one-part message.
        multi_limit: units per part of a concatenated message.
        remaining: room left in the last part.
        forced_ucs2: the distinct characters outside GSM-7 (basic and
            extension tables), in order of first appearance.
        folded: whether Turkish folding was in effect for the chosen encoding.

    One made by :func:`measured` (from a count already made) holds the text
    and parts at once and works the other figures out on first use: the same
    values, compared, hashed and pickled alike.
    """

    __slots__ = (
        "__weakref__",
        "_enc",  # the encoding of one made by measured(): the rest on first use
        "base",
        "encoding",
        "folded",
        "forced_ucs2",
        "multi_limit",
        "part_texts",
        "part_units",
        "parts",
        "remaining",
        "single_limit",
        "text",
        "units",
        "wire",
    )

    text: str
    encoding: str
    base: Encoding
    wire: str
    parts: int
    part_units: tuple[int, ...]
    part_texts: tuple[str, ...]
    units: int
    single_limit: int
    multi_limit: int
    remaining: int
    forced_ucs2: tuple[str, ...]
    folded: bool

    def __init__(
        self,
        text: str,
        encoding: str,
        base: Encoding,
        wire: str,
        parts: int,
        part_units: tuple[int, ...],
        part_texts: tuple[str, ...],
        units: int,
        single_limit: int,
        multi_limit: int,
        remaining: int,
        forced_ucs2: tuple[str, ...],
        folded: bool,
    ) -> None:
        init = object.__setattr__
        init(self, "text", text)
        init(self, "encoding", encoding)
        init(self, "base", base)
        init(self, "wire", wire)
        init(self, "parts", parts)
        init(self, "part_units", part_units)
        init(self, "part_texts", part_texts)
        init(self, "units", units)
        init(self, "single_limit", single_limit)
        init(self, "multi_limit", multi_limit)
        init(self, "remaining", remaining)
        init(self, "forced_ucs2", forced_ucs2)
        init(self, "folded", folded)

    if not TYPE_CHECKING:  # not for the type checker: every field is declared above

        def __getattr__(self, name: str) -> object:
            # reached only for a slot left unset: a segmentation made by
            # measured(), which set its text and parts; what its encoding
            # says is set on first use, what needs the text measured too
            if name not in _NAMED and name not in _MEASURED:
                raise AttributeError(
                    f"{self.__class__.__name__!r} object has no attribute {name!r}"
                )
            enc: ProfileEncoding
            folded: bool
            enc, folded = object.__getattribute__(self, "_enc")
            init = object.__setattr__
            rule = enc.rule
            for field, value in zip(
                _NAMED,
                (enc.name, enc.wire, folded, rule.base, rule.single, rule.multi),
                strict=True,
            ):
                init(self, field, value)
            if name in _NAMED:
                return object.__getattribute__(self, name)
            text = self.text
            units = _units(text, rule._compiled)
            if units < 0:
                raise _cannot_carry(text, enc, None)
            full = _build(enc, text, folded, units)
            if full.parts != self.parts:
                raise ValueError(
                    f"a text measured at {self.parts} parts takes {full.parts} in "
                    f"{enc.name}: it was measured with other options"
                )
            for field in _MEASURED:
                init(self, field, getattr(full, field))
            return getattr(full, name)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (the text itself is ``"".join(part_texts)``)."""
        return {
            "encoding": self.encoding,
            "base": str(self.base),
            "wire": self.wire,
            "parts": self.parts,
            "part_units": list(self.part_units),
            "part_texts": list(self.part_texts),
            "units": self.units,
            "remaining": self.remaining,
            "single_limit": self.single_limit,
            "multi_limit": self.multi_limit,
            "forced_ucs2": list(self.forced_ucs2),
            "folded": self.folded,
        }


# the private slot is not a field: not compared, copied or pickled (a copy
# carries every figure, worked out)
Segmentation._state_ = tuple(n for n in Segmentation._state_ if n != "_enc")
#: what a segmentation made by measured() sets on first use from its encoding
_NAMED = ("encoding", "wire", "folded", "base", "single_limit", "multi_limit")
#: and what it sets on first use by measuring its text
_MEASURED = ("units", "part_units", "part_texts", "remaining", "forced_ucs2")


# -- characters ----------------------------------------------------------------


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def fold_turkish(text: str) -> str:
    """Fold the twelve Turkish letters to ASCII, and nothing else.

    ı→i İ→I ş→s Ş→S ğ→g Ğ→G ç→c Ç→C ö→o Ö→O ü→u Ü→U, by an explicit table
    (never by Unicode decomposition).
    """
    return text if text.isascii() else text.translate(FOLD_TABLE)


def _bad_chars(text: str, c: _Compiled) -> tuple[str, ...]:
    """Distinct characters of ``text`` the compiled rule cannot encode."""
    if c.bad is None:
        return ()
    if text.isascii():
        if c.ascii_all_ok:
            return ()
        left = text.encode("ascii").translate(None, c.ascii_ok)
        return tuple(dict.fromkeys(left.decode("ascii"))) if left else ()
    return tuple(dict.fromkeys(c.bad.findall(text)))


def unencodable(text: str, rule: CountingRule) -> tuple[str, ...]:
    """The distinct characters ``rule`` cannot encode, in order of first appearance.

    The text is NFC-normalised first, as :func:`segment` does.
    """
    return _bad_chars(_nfc(text), rule._compiled)


def is_gsm7(text: str) -> bool:
    """Whether every character is in the GSM 03.38 basic or extension table.

    The text is NFC-normalised first, as :func:`segment` does.
    """
    return _units(_nfc(text), _GSM7_C) >= 0


def _show(chars: tuple[str, ...]) -> str:
    shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in chars[:_SHOW_MAX])
    if len(chars) > _SHOW_MAX:
        shown += f" and {len(chars) - _SHOW_MAX} more"
    return shown


# -- counting ------------------------------------------------------------------


def _units(text: str, c: _Compiled) -> int:
    """Units ``text`` costs under a compiled rule; -1 if a character cannot be encoded."""
    n = len(text)
    if text.isascii():
        if c.ascii_all_ok:
            if not c.ascii_two:
                return n
            b = text.encode("ascii")
        else:
            b = text.encode("ascii")
            if b.translate(None, c.ascii_ok):
                return -1
            if not c.ascii_two:
                return n
        return n + n - len(b.translate(None, c.ascii_two))
    if c.bad is not None and c.bad.search(text) is not None:
        return -1
    units = _utf16_units(text) if c.astral else n
    if c.ascii_two:
        # in UTF-8 an ASCII byte is always an ASCII character
        b = text.encode("utf-8", "surrogatepass")
        units += len(b) - len(b.translate(None, c.ascii_two))
    if c.nonascii_two_re is not None:
        if len(c.nonascii_two) <= _COUNT_MAX:
            for char in c.nonascii_two:
                units += text.count(char)
        else:
            units += len(c.nonascii_two_re.findall(text))
    return units


def _utf16_units(text: str) -> int:
    try:
        return len(text.encode("utf-16-le")) >> 1
    except UnicodeEncodeError:  # a lone surrogate: one unit, as UCS-2 carries it
        return len(text.encode("utf-16-le", "surrogatepass")) >> 1


def _cuts(text: str, c: _Compiled, multi: int) -> tuple[list[int], list[int]]:
    """Greedy parts: (end index, units) of each part.

    Each part is filled as far as it goes; a two-unit character that does not
    fit starts the next part, so escape and surrogate pairs are never split.
    From a part's start, the end is first put ``multi`` characters on and then
    pulled back by the fewest characters that could remove the excess (a
    character is worth at most two units), so no character is visited one by
    one. Two-unit characters in a range are counted with ``bytes.count`` on a
    0/1 mark string for ASCII text, with ``bisect`` on their positions
    otherwise.
    """
    n = len(text)
    ends: list[int] = []
    sizes: list[int] = []
    start = 0
    if text.isascii():
        mark = text.encode("ascii").translate(c.ascii_mark)
        while start < n:
            end = min(start + multi, n)
            cost = end - start + mark.count(1, start, end)
            while cost > multi:
                end -= (cost - multi + 1) >> 1
                cost = end - start + mark.count(1, start, end)
            ends.append(end)
            sizes.append(cost)
            start = end
        return ends, sizes
    if c.only_astral:
        try:
            return _cuts_utf16(text.encode("utf-16-le"), multi)
        except UnicodeEncodeError:  # a lone surrogate: take the general way
            pass
    twos = [] if c.two is None else [m.start() for m in c.two.finditer(text)]
    k = 0  # index in twos of the first two-unit character at or after start
    while start < n:
        end = min(start + multi, n)
        j = bisect_left(twos, end, k)
        cost = end - start + j - k
        while cost > multi:
            # dropping m characters saves at most 2m units: drop the fewest that may do
            end -= (cost - multi + 1) >> 1
            j = bisect_left(twos, end, k)
            cost = end - start + j - k
        ends.append(end)
        sizes.append(cost)
        start = end
        k = j
    return ends, sizes


def _cuts_utf16(data: bytes, multi: int) -> tuple[list[int], list[int]]:
    """:func:`_cuts` for UCS-2, working on UTF-16 code units.

    A part ends ``multi`` units on, one fewer when that would split a
    surrogate pair; its end in characters is its end in units less the
    surrogate pairs before it.
    """
    # one byte per code unit: 1 for a high (leading) surrogate, 0 otherwise
    high = data[1::2].translate(_HIGH_SURROGATE)
    total = len(high)
    ends: list[int] = []
    sizes: list[int] = []
    start = 0
    chars = 0
    while start < total:
        end = start + multi
        if end >= total:
            end = total
        elif high[end - 1]:
            end -= 1
        chars += end - start - high.count(1, start, end)
        ends.append(chars)
        sizes.append(end - start)
        start = end
    return ends, sizes


def _parts(text: str, units: int, rule: CountingRule) -> int:
    if units <= rule.single:
        return 1
    multi = rule.multi
    low = -(-units // multi)
    if units == len(text):  # no two-unit character: fixed width
        return low
    # A part wastes at most one unit (a two-unit character that did not fit
    # starts the next part), and each waste needs its own two-unit character.
    twos = units - len(text)
    if low == -(-(units + min(twos, low)) // multi):
        return low
    return len(_cuts(text, rule._compiled, multi)[0])


# -- choosing ------------------------------------------------------------------


def _cannot_carry(text: str, enc: ProfileEncoding, profile: TextProfile | None) -> InvalidContent:
    chars = _bad_chars(text, enc.rule._compiled)
    offered = (profile or DEFAULT_PROFILE).encodings
    able = [e.name for e in offered if e is not enc and _units(text, e.rule._compiled) >= 0]
    advice = (
        f"use encoding {AUTO!r} (or {', '.join(repr(name) for name in able)})"
        if able
        else "remove or replace them"
    )
    return InvalidContent(f"encoding {enc.name!r} cannot carry {_show(chars)}; {advice}")


def _auto(
    text: str, profile: TextProfile, fold: bool
) -> tuple[ProfileEncoding, str, bool, int, int]:
    best: tuple[ProfileEncoding, str, bool, int, int] | None = None
    folded_text = fold_turkish(text)
    # ``auto`` never changes the caller's letters on its own: an encoding that
    # folds (Innomobil's utf8=0) is a candidate only when folding changes
    # nothing, when the caller asked to fold, or when nothing else can carry it
    for allow_lossy in (False, True):
        for enc in profile.encodings:
            folded = fold or enc.fold_turkish
            candidate = folded_text if folded else text
            if enc.fold_turkish and not fold and not allow_lossy and candidate != text:
                continue
            units = _units(candidate, enc.rule._compiled)
            if units < 0:
                continue
            parts = _parts(candidate, units, enc.rule)
            if best is None or parts < best[4]:
                best = (enc, candidate, folded, units, parts)
                if parts == 1:  # no later encoding can take fewer (ties: the earlier)
                    break
        if best is not None:
            break
    if best is None:
        raise InvalidContent(
            f"no encoding offered ({profile.describe()}) can carry "
            f"{_show(_blockers(text, profile, fold))}; remove or replace them"
        )
    return best


def _blockers(text: str, profile: TextProfile, fold: bool) -> tuple[str, ...]:
    """Characters no offered encoding can carry (else any that one cannot)."""
    found = [
        _bad_chars(fold_turkish(text) if fold or enc.fold_turkish else text, enc.rule._compiled)
        for enc in profile.encodings
    ]
    everywhere = tuple(c for c in found[0] if all(c in other for other in found[1:]))
    return everywhere or tuple(dict.fromkeys(c for chars in found for c in chars))


def _plain_auto(text: str) -> tuple[str, int, bool]:
    """``auto`` with no profile and no folding: (NFC text, units, is GSM-7).

    The hot path of :func:`count` and :func:`segment`. A text made only of
    GSM-7 characters is already NFC (none of them is a combining mark or
    composes with another), so NFC runs only when a non-GSM character is seen.
    """
    n = len(text)
    c = _GSM7_C
    if text.isascii():
        data = text.encode("ascii")
        if data.translate(None, c.ascii_ok):
            return text, n, False
        return text, n + n - len(data.translate(None, c.ascii_two)), True
    if _GSM7_BAD_SEARCH(text) is not None:
        nfc = unicodedata.normalize("NFC", text)
        # normalize() hands back the very object when the text is already NFC
        if nfc is text or _GSM7_BAD_SEARCH(nfc) is not None:
            return nfc, _utf16_units(nfc), False
        text = nfc
        n = len(text)
    data = text.encode("utf-8")  # in UTF-8 an ASCII byte is always an ASCII character
    units = n + len(data) - len(data.translate(None, c.ascii_two))
    for char in c.nonascii_two:
        units += text.count(char)
    return text, units, True


def _is_auto(encoding: str) -> bool:
    """Whether ``encoding`` asks for the automatic choice (any case)."""
    return encoding == AUTO or encoding.casefold() == AUTO


def _choose(
    text: str, encoding: str, profile: TextProfile | None, fold: bool
) -> tuple[ProfileEncoding, str, bool, int, int]:
    """(encoding, final text, folded, units, parts or -1 when not yet known)."""
    auto = _is_auto(encoding)
    if auto and profile is None and not fold:
        text, units, gsm = _plain_auto(text)
        return (_PLAIN_GSM7 if gsm else _PLAIN_UCS2), text, False, units, -1
    text = _nfc(text)
    if auto and profile is not None:
        return _auto(text, profile, fold)
    if fold:
        text = fold_turkish(text)
    if auto:
        units = _units(text, _GSM7_C)
        if units >= 0:
            return _PLAIN_GSM7, text, fold, units, -1
        return _PLAIN_UCS2, text, fold, _units(text, _UCS2_C), -1
    enc = (profile or DEFAULT_PROFILE).get(encoding)
    folded = fold or enc.fold_turkish
    if folded and not fold:
        text = fold_turkish(text)
    units = _units(text, enc.rule._compiled)
    if units < 0:
        raise _cannot_carry(text, enc, profile)
    return enc, text, folded, units, -1


# -- public --------------------------------------------------------------------


def count(
    text: str,
    encoding: str = "auto",
    profile: TextProfile | None = None,
    *,
    fold: bool = False,
) -> tuple[str, int, int]:
    """``(encoding name, parts, units)`` of a text, without building the parts.

    Same choices and errors as :func:`segment`, and always the same figures.
    """
    if profile is None and encoding == AUTO and not fold:
        text, units, gsm = _plain_auto(text)
        rule = GSM7 if gsm else UCS2
        if units <= rule.single:
            return rule.name, 1, units
        return rule.name, _parts(text, units, rule), units
    enc, text, _, units, parts = _choose(text, encoding, profile, fold)
    if parts < 0:
        parts = _parts(text, units, enc.rule)
    return enc.name, parts, units


def segment(
    text: str,
    encoding: str = "auto",
    profile: TextProfile | None = None,
    *,
    fold: bool = False,
) -> Segmentation:
    """Split a text into SMS parts.

    The text is NFC-normalised, then folded to ASCII Turkish when ``fold`` is
    true or the chosen encoding asks for it.

    Args:
        text: the message.
        encoding: ``"auto"`` or an encoding name (or, with a profile, an alias
            or wire value). ``auto`` without a profile picks ``gsm7`` when
            every character is GSM-7 and ``ucs2`` otherwise; with a profile it
            picks the offered encoding with the fewest parts (ties: the
            profile's order).
        profile: the provider's :class:`TextProfile`; ``None`` for the plain
            gsm7 / gsm7-tr / ucs2 rules.
        fold: fold the Turkish letters to ASCII first.

    Raises:
        InvalidContent: the encoding cannot carry some characters (named).
        NotSupported: no such encoding.
    """
    enc, text, folded, units, _ = _choose(text, encoding, profile, fold)
    return _build(enc, text, folded, units)


def _build(enc: ProfileEncoding, text: str, folded: bool, units: int) -> Segmentation:
    """The segmentation of a text already normalised and measured in ``enc``."""
    rule = enc.rule
    n = len(text)
    part_texts: tuple[str, ...]
    part_units: tuple[int, ...]
    if units <= rule.single:
        part_texts = (text,)
        part_units = (units,)
        remaining = rule.single - units
    else:
        multi = rule.multi
        if units == n:  # fixed width
            part_texts = tuple([text[i : i + multi] for i in range(0, n, multi)])
            last = n - (len(part_texts) - 1) * multi
            part_units = (multi,) * (len(part_texts) - 1) + (last,)
        else:
            ends, sizes = _cuts(text, rule._compiled, multi)
            starts = [0, *ends[:-1]]
            part_texts = tuple([text[a:b] for a, b in zip(starts, ends, strict=True)])
            part_units = tuple(sizes)
        remaining = multi - part_units[-1]
    forced = () if rule is GSM7 else _bad_chars(text, _GSM7_C)
    # positional (in the order of the fields): a call by keywords costs a
    # campaign about 1.3 µs a row
    return Segmentation(
        text,  # text
        enc.name,  # encoding
        rule.base,  # base
        enc.wire,  # wire
        len(part_texts),  # parts
        part_units,  # part_units
        part_texts,  # part_texts
        units,  # units
        rule.single,  # single_limit
        rule.multi,  # multi_limit
        remaining,  # remaining
        forced,  # forced_ucs2
        folded,  # folded
    )


def _fixed(
    encoding: str, profile: TextProfile | None, fold: bool
) -> Callable[[str], tuple[ProfileEncoding, str, bool, int]] | None:
    """What :func:`_choose` does for one named encoding, resolved once:
    ``text -> (encoding, final text, folded, units)``; ``None`` for auto."""
    if _is_auto(encoding):
        return None
    enc = (profile or DEFAULT_PROFILE).get(encoding)
    folded = fold or enc.fold_turkish
    compiled = enc.rule._compiled

    def choose(text: str) -> tuple[ProfileEncoding, str, bool, int]:
        text = _nfc(text)
        if folded:
            text = fold_turkish(text)
        units = _units(text, compiled)
        if units < 0:
            raise _cannot_carry(text, enc, profile)
        return enc, text, folded, units

    return choose


def counter(
    encoding: str = "auto", profile: TextProfile | None = None, *, fold: bool = False
) -> Callable[[str], tuple[str, int, int]]:
    """:func:`count` with its options bound once, for counting many texts
    (a campaign counts every row with it): the same figures and errors."""
    choose = _fixed(encoding, profile, fold)
    if choose is None:
        return functools.partial(count, encoding=encoding, profile=profile, fold=fold)

    def one(text: str) -> tuple[str, int, int]:
        enc, text, _, units = choose(text)
        return enc.name, _parts(text, units, enc.rule), units

    return one


def counter_many(
    encoding: str, profile: TextProfile | None = None, *, fold: bool = False
) -> Callable[[Sequence[str]], tuple[str, list[int]] | None]:
    """:func:`counter` for a block of texts at once, in the common case only:
    call it with the texts; it gives ``(encoding name, parts of each text)``,
    what :func:`counter` gives each of them, or ``None`` when the block is not
    the common case (count each text with :func:`counter` then).

    The common case: every text is ASCII, and the encoding (for ``auto``, the
    profile's first) carries every character at one unit; for ``auto``, each
    text also fits in one part (else a later encoding could take fewer). Then
    folding and NFC change nothing, a text's units are its length, and the
    check is a few C-level passes over the block's texts joined.
    """
    auto = _is_auto(encoding)
    if auto and profile is None:
        return _never
    enc = (
        profile.encodings[0]
        if auto and profile is not None
        else (profile or DEFAULT_PROFILE).get(encoding)
    )
    rule = enc.rule
    compiled = rule._compiled
    single = rule.single
    name = enc.name

    def many(texts: Sequence[str]) -> tuple[str, list[int]] | None:
        if not texts:
            return None
        joined = "".join(texts)
        # the counting rule's own count of the block: as long as the block
        # when every character is carried at one unit (-1 when one is not)
        if not joined.isascii() or _units(joined, compiled) != len(joined):
            return None
        sizes = list(map(len, texts))
        if max(sizes) <= single:
            return name, [1] * len(texts)
        if auto:
            return None
        return name, [
            1 if n <= single else _parts(t, n, rule) for t, n in zip(texts, sizes, strict=True)
        ]

    return many


def _never(texts: Sequence[str]) -> None:
    return None


def segmenter(
    encoding: str = "auto", profile: TextProfile | None = None, *, fold: bool = False
) -> Callable[[str], Segmentation]:
    """:func:`segment` with its options bound once, for splitting many texts
    (a campaign's request, one per recipient): the same result and errors."""
    choose = _fixed(encoding, profile, fold)
    if choose is None:
        return functools.partial(segment, encoding=encoding, profile=profile, fold=fold)

    def one(text: str) -> Segmentation:
        return _build(*choose(text))

    return one


def measured(
    encoding: str, profile: TextProfile | None = None, *, fold: bool = False
) -> Callable[[str, int], Segmentation]:
    """The segmentation of texts already measured, without measuring them again:
    call it with ``(text, parts)``, the text as given to :func:`count` (or
    :func:`counter`) with these options and the parts it gave; ``encoding``
    is the encoding that count chose (its name, not ``auto``).

    The text is normalised (NFC, folded) as :func:`segment` does; text and
    parts are set at once, the other figures on first use (the encoding's
    name, wire value and limits from the encoding; units, parts' texts and
    the rest by measuring the text then): a campaign measures each row on
    import and keeps its parts, and its request needs no more than these.
    """
    enc = (profile or DEFAULT_PROFILE).get(encoding)
    folded = fold or enc.fold_turkish
    known = (enc, folded)
    new = object.__new__
    # the slots' own setters: cheaper than object.__setattr__ by name
    set_text, set_parts, set_enc = _MEASURED_SLOTS
    normalize = unicodedata.normalize

    def one(text: str, parts: int) -> Segmentation:
        if not text.isascii():
            text = normalize("NFC", text)
        if folded:
            text = fold_turkish(text)
        seg: Segmentation = new(Segmentation)
        set_text(seg, text)
        set_parts(seg, parts)
        set_enc(seg, known)
        return seg

    return one


#: what measured() sets at once: the text, the parts and the encoding
_MEASURED_SLOTS = tuple(vars(Segmentation)[name].__set__ for name in ("text", "parts", "_enc"))


def ensure_fits(
    seg: Segmentation, profile: TextProfile | None, *, provider: str | None = None
) -> None:
    """Refuse a segmentation that needs more parts than the profile allows.

    Raises:
        MessageTooLong: ``seg.parts > profile.max_parts``; the message says how
            many parts the text needs and the limit.
    """
    if profile is None or profile.max_parts is None or seg.parts <= profile.max_parts:
        return
    limit = profile.max_parts
    capacity = seg.single_limit if limit == 1 else limit * seg.multi_limit
    who = provider or "the provider"
    raise MessageTooLong(
        f"the text needs {seg.parts} parts in {seg.encoding} ({seg.units} units), "
        f"but {who} allows at most {limit} part{'s' if limit != 1 else ''} "
        f"(up to {capacity} units in {seg.encoding}); shorten the text",
        parts=seg.parts,
        max_parts=limit,
        provider=provider,
    )
