"""Phone numbers and sender names: parsed and checked once, in the core.

Numbers are kept as E.164 (``+905321112233``) inside ileti. Plugins format
them for their gateway with :func:`national` (``5321112233``) or
:func:`international` (``905321112233``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ileti.errors import InvalidRecipient, InvalidSender

__all__ = [
    "DEFAULT_REGION",
    "international",
    "national",
    "normalise_number",
    "normalise_numbers",
    "require_turkish",
    "turkish_mobiles",
    "validate_sender",
]

DEFAULT_REGION = "TR"

_ALNUM_SENDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .\-_&]{1,9}[A-Za-z0-9.]")
_NUMERIC_SENDER = re.compile(r"\+?[0-9]{1,14}")
_TURKISH = frozenset("çğıİöşüÇĞÖŞÜ")
_NUMBER_CHARS = frozenset("0123456789().-/+")
#: how one number may be written: digits with spaces, ( ) - . / and a leading +
_ONE_NUMBER = re.compile(r"\+?[0-9\s().\-/]+")


_SEPARATORS = re.compile(r"[\s().\-/]")
_mobile: re.Pattern[str] | None = None


def _mobile_pattern() -> re.Pattern[str]:
    """phonenumbers' own pattern for Turkish mobile numbers (its metadata)."""
    global _mobile
    if _mobile is None:
        import phonenumbers

        meta = phonenumbers.PhoneMetadata.metadata_for_region(DEFAULT_REGION)
        pattern = meta.mobile.national_number_pattern if meta and meta.mobile else None
        if pattern is None:  # pragma: no cover - phonenumbers always has it
            pattern = "(?!)"
        _mobile = re.compile(pattern)
    return _mobile


def _turkish_mobile(raw: str) -> str | None:
    """The fast path for the common case: a Turkish mobile number in one of
    the usual spellings (``0532 111 22 33``, ``5321112233``, ``905321112233``,
    ``+90 532 111 22 33``). Gives exactly what phonenumbers gives for them
    (a property test compares the two), ``None`` for anything else."""
    digits = raw.strip()
    if not digits.isdigit():  # digits alone (the usual CSV cell) have nothing to remove
        digits = _SEPARATORS.sub("", digits)
    size = len(digits)
    if size == 10:
        national = digits
    elif size == 11 and digits[0] == "0":
        national = digits[1:]
    elif size == 12 and digits.startswith("90"):
        national = digits[2:]
    elif size == 13 and digits.startswith("+90"):
        national = digits[3:]
    else:
        return None
    if not (national.isdigit() and national.isascii()):
        return None
    if not (_mobile or _mobile_pattern()).fullmatch(national):
        return None
    return "+90" + national


_mobiles: re.Pattern[str] | None = None


def turkish_mobiles(numbers: Sequence[str]) -> list[str] | None:
    """:func:`normalise_number` of many numbers at once, in the commonest case
    only: each is written with ASCII digits alone (``05321112233``,
    ``5321112233``, ``905321112233``) or with a leading ``+90``, no spaces or
    separators, and each is a Turkish mobile number. Then it gives what
    :func:`normalise_number` gives each (a property test compares the two);
    else ``None`` (normalise each number then). One C-level match over the
    numbers joined decides it."""
    global _mobiles
    if _mobiles is None:
        # an optional prefix, then exactly ten digits (the national number)
        # that phonenumbers' own mobile pattern accepts whole: what
        # _turkish_mobile does number by number, its lengths included
        _mobiles = re.compile(
            rf"(?:(?:\+90|90|0)?(?=[0-9]{{10}}\n)(?:{_mobile_pattern().pattern})\n)*", re.ASCII
        )
    joined = "\n".join(numbers) + "\n"
    # the count: no number holds a newline of its own
    if joined.count("\n") != len(numbers) or _mobiles.fullmatch(joined) is None:
        return None
    return ["+90" + n[-10:] for n in numbers]


def normalise_number(raw: str, *, position: int | None = None, region: str = DEFAULT_REGION) -> str:
    """Parse a phone number in any common form to E.164.

    ``0532 111 22 33``, ``+90 532 111 22 33``, ``905321112233`` and
    ``5321112233`` all give ``+905321112233``. An invalid number raises
    :class:`~ileti.errors.InvalidRecipient` naming it and its position.
    """
    if region == DEFAULT_REGION and isinstance(raw, str):
        fast = _turkish_mobile(raw)
        if fast is not None:
            return fast
    import phonenumbers  # lazy: `import ileti` must stay cheap

    where = f" (recipient {position + 1})" if position is not None else ""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidRecipient(
            f"empty phone number{where}: give a number such as 0532 111 22 33",
            number=str(raw),
            position=position,
        )
    text = raw.strip()
    if not _ONE_NUMBER.fullmatch(text):
        # phonenumbers reads ";..." as an extension and letters as keypad digits:
        # "05321112233;05331112233" would quietly become the first number only
        odd = "".join(dict.fromkeys(c for c in text if c not in _NUMBER_CHARS and not c.isspace()))
        holds = f"it holds {odd!r}" if odd else "a + may only lead it"
        raise InvalidRecipient(
            f"{text!r}{where} is not one phone number ({holds}): give each number "
            "separately, written with digits, spaces, ( ) - . / and a leading +",
            number=text,
            position=position,
        )
    digits = re.sub(r"[\s().\-/]", "", text)
    # a bare international number without '+' ("905321112233") is common in Turkey
    if digits.isdigit() and len(digits) > 10 and not digits.startswith("0"):
        digits = "+" + digits
    try:
        parsed = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise InvalidRecipient(
            f"invalid phone number {text!r}{where}: expected a number such as "
            "0532 111 22 33 or +90 532 111 22 33",
            number=text,
            position=position,
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_numbers(
    raws: Iterable[str], *, keep_duplicates: bool = False, region: str = DEFAULT_REGION
) -> tuple[str, ...]:
    """Parse many numbers; duplicates (after parsing) are dropped unless kept."""
    seen: set[str] = set()
    out: list[str] = []
    for i, raw in enumerate(raws):
        number = normalise_number(raw, position=i, region=region)
        if number in seen and not keep_duplicates:
            continue
        seen.add(number)
        out.append(number)
    if not out:
        raise InvalidRecipient("no recipients: give at least one phone number")
    return tuple(out)


def require_turkish(e164: str, *, position: int | None = None, provider: str | None = None) -> str:
    """Return ``e164`` if it is a Turkish number, else raise
    :class:`~ileti.errors.InvalidRecipient` naming it and its position."""
    if not e164.startswith("+90"):
        where = f" (recipient {position + 1})" if position is not None else ""
        who = provider or "this provider"
        raise InvalidRecipient(
            f"{e164}{where} is not a Turkish number; {who} sends to Turkish numbers only: "
            "remove it",
            number=e164,
            position=position,
            provider=provider,
        )
    return e164


def international(
    e164: str,
    *,
    turkish_only: bool = False,
    position: int | None = None,
    provider: str | None = None,
) -> str:
    """``+905321112233`` → ``905321112233`` (digits, country code first).

    With ``turkish_only``, a non-Turkish number raises ``InvalidRecipient``.
    """
    if turkish_only:
        require_turkish(e164, position=position, provider=provider)
    return e164.lstrip("+")


def national(e164: str, *, position: int | None = None, provider: str | None = None) -> str:
    """``+905321112233`` → ``5321112233`` (Turkish national significant number).

    Raises :class:`~ileti.errors.InvalidRecipient` for a non-Turkish number,
    which has no national form a Turkish gateway understands.
    """
    return require_turkish(e164, position=position, provider=provider)[3:]


def validate_sender(name: str) -> str:
    """Check a sender name (originator) and return it.

    Alphanumeric names are 3 to 11 characters of ASCII letters and digits
    (inner spaces and ``. - _ &`` allowed), with no Turkish letters; numeric
    senders are up to 14 digits.
    """
    if not isinstance(name, str) or not name:
        raise InvalidSender("the sender name is empty: give the name registered with the provider")
    # every Turkish letter is outside ASCII: an ASCII name (the usual one) has none
    bad = () if name.isascii() else sorted({c for c in name if c in _TURKISH})
    if bad:
        raise InvalidSender(
            f"sender name {name!r} has Turkish letters ({''.join(bad)}); sender names use "
            "ASCII letters and digits only (e.g. 'ILETI' for 'İLETİ')"
        )
    if _NUMERIC_SENDER.fullmatch(name):
        return name
    if len(name) < 3 or len(name) > 11:
        raise InvalidSender(
            f"sender name {name!r} is {len(name)} characters: alphanumeric sender names are "
            "3 to 11 characters (numeric ones up to 14 digits)"
        )
    if not _ALNUM_SENDER.fullmatch(name):
        raise InvalidSender(
            f"sender name {name!r} has characters a sender name cannot carry: use ASCII "
            "letters and digits (inner spaces and . - _ & allowed)"
        )
    return name
