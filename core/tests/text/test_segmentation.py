"""Parts and units, checked against a slow, independent reference.

The reference below shares no code with ``ileti.text``: its tables are typed
out again from 3GPP TS 23.038, and it splits character by character.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ileti.emulation import counting
from ileti.errors import InvalidContent, NotSupported
from ileti.text import (
    DEFAULT_PROFILE,
    EFECELL_TURKISH,
    GSM7,
    GSM7_TR,
    UCS2,
    ProfileEncoding,
    TextProfile,
    count,
    counter,
    counter_many,
    fold_turkish,
    is_gsm7,
    measured,
    segment,
    segmenter,
)

# -- reference -----------------------------------------------------------------

# GSM 03.38 written out apart from ileti.text, in the emulators' billing oracle
REF_BASIC = counting.DEFAULT_ALPHABET
REF_EXT = counting.EXTENSION_TABLE
REF_TR_SHIFT = REF_EXT + "ĞİŞçğış"
REF_TURKISH = "çğıİöşüÇĞÖŞÜ"
REF_FOLD = dict(zip("ıİşŞğĞçÇöÖüÜ", "iIsSgGcCoOuU", strict=True))

Cost = Callable[[str], int | None]


def cost_gsm7(ch: str) -> int | None:
    if ch in REF_EXT:
        return 2
    return 1 if ch in REF_BASIC else None


def cost_gsm7_tr(ch: str) -> int | None:
    if ch in REF_TR_SHIFT:
        return 2
    return 1 if ch in REF_BASIC else None


def cost_ucs2(ch: str) -> int | None:
    return len(ch.encode("utf-16-le")) // 2


def cost_turkish(ch: str) -> int | None:
    if ch in REF_EXT or ch in REF_TURKISH:
        return 2
    return 1 if ch in REF_BASIC else None


REF_RULES: dict[str, tuple[Cost, int, int]] = {
    "gsm7": (cost_gsm7, 160, 153),
    "gsm7-tr": (cost_gsm7_tr, 155, 149),
    "ucs2": (cost_ucs2, 70, 67),
    "turkish": (cost_turkish, 160, 153),
}


def ref_units(text: str, cost: Cost) -> int | None:
    total = 0
    for ch in text:
        c = cost(ch)
        if c is None:
            return None
        total += c
    return total


def ref_split(text: str, name: str) -> list[tuple[str, int]] | None:
    """Greedy, one character at a time: (part text, part units), or None."""
    cost, single, multi = REF_RULES[name]
    total = ref_units(text, cost)
    if total is None:
        return None
    if total <= single:
        return [(text, total)]
    parts: list[tuple[str, int]] = []
    current, used = "", 0
    for ch in text:
        c = cost(ch)
        assert c is not None
        if used + c > multi:
            parts.append((current, used))
            current, used = "", 0
        current += ch
        used += c
    parts.append((current, used))
    return parts


def ref_min_parts(text: str, name: str) -> int:
    """The fewest parts any split can have (dynamic programming, not greedy)."""
    cost, single, multi = REF_RULES[name]
    costs = [cost(ch) or 0 for ch in text]
    if sum(costs) <= single:
        return 1
    n = len(costs)
    best = [0] + [n + 1] * n  # best[i]: fewest parts for the first i characters
    for i in range(1, n + 1):
        used = 0
        for j in range(i, 0, -1):  # last part is text[j-1:i]
            used += costs[j - 1]
            if used > multi:
                break
            best[i] = min(best[i], best[j - 1] + 1)
    return best[n]


def ref_auto(text: str) -> str:
    return "gsm7" if all(ch in REF_BASIC or ch in REF_EXT for ch in text) else "ucs2"


EFECELL = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "default", GSM7),
        ProfileEncoding("ucs2", "utf-8", UCS2),
        ProfileEncoding("turkish", "turkish", EFECELL_TURKISH),
    ),
    max_parts=4,
    aliases={"default": "gsm7", "utf-8": "ucs2"},
)
INNOMOBIL = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "0", GSM7, fold_turkish=True),
        ProfileEncoding("ucs2", "1", UCS2),
    ),
    max_parts=4,
)
ALL_PROFILE = TextProfile(
    encodings=(
        *DEFAULT_PROFILE.encodings,
        ProfileEncoding("turkish", "turkish", EFECELL_TURKISH),
    )
)

# -- strategies ----------------------------------------------------------------

INTERESTING = (
    "aZ09 .,\n\r@_$"  # ASCII in the basic table
    + REF_EXT
    + REF_TURKISH
    + "éÅΔΩÆß¤§"  # non-ASCII basic
    + "😀👍🇹🇷𝄞"  # outside the BMP (surrogate pairs in UTF-16)
    + "₺\t\u00a0“”‘’`\u200b"  # not GSM
    + "\u0327\u0301\u0308"  # combining marks: NFC changes the text
)
texts = st.text(
    alphabet=st.one_of(st.sampled_from(INTERESTING), st.characters(codec="utf-8")),
    max_size=700,
)
# long runs of one character so that boundaries fall everywhere
runs = st.lists(st.tuples(st.sampled_from(INTERESTING), st.integers(1, 200)), max_size=6).map(
    lambda pairs: "".join(ch * k for ch, k in pairs)
)
any_text = st.one_of(texts, runs)

#: a profile whose first encoding folds Turkish letters (as Innomobil's utf8=0)
FOLDING_FIRST = TextProfile(
    encodings=(
        ProfileEncoding("gsm7-folded", "0", GSM7, fold_turkish=True),
        *DEFAULT_PROFILE.encodings,
    )
)
#: and one whose first encoding is not the densest
UCS2_FIRST = TextProfile(
    encodings=(ProfileEncoding("ucs2", "8", UCS2), ProfileEncoding("gsm7", "0", GSM7))
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- properties ----------------------------------------------------------------


def _check_against_reference(
    text: str, encoding: str, profile: TextProfile | None, *, minimal: bool = True
) -> None:
    seg = segment(text, encoding, profile)
    nfc = unicodedata.normalize("NFC", text)
    assert seg.text == nfc
    assert "".join(seg.part_texts) == nfc
    expected = ref_split(nfc, seg.encoding)
    assert expected is not None, "the engine chose an encoding that cannot carry the text"
    assert list(zip(seg.part_texts, seg.part_units, strict=True)) == expected
    assert seg.parts == len(seg.part_texts) == len(seg.part_units)
    assert seg.units == sum(seg.part_units)
    if minimal:
        assert seg.parts == ref_min_parts(nfc, seg.encoding)
    cost, single, multi = REF_RULES[seg.encoding]
    assert (seg.single_limit, seg.multi_limit) == (single, multi)
    # one part exactly when the whole text fits the single limit
    assert (seg.parts == 1) == (seg.units <= single)
    limit = single if seg.parts == 1 else multi
    assert seg.remaining == limit - seg.part_units[-1]
    for part, units in zip(seg.part_texts, seg.part_units, strict=True):
        # each part is encodable by itself and costs what the engine says
        assert ref_units(part, cost) == units <= limit
        if seg.parts > 1:
            assert part  # no empty part
    forced = tuple(dict.fromkeys(ch for ch in nfc if ch not in REF_BASIC + REF_EXT))
    assert seg.forced_ucs2 == forced
    assert count(text, encoding, profile) == (seg.encoding, seg.parts, seg.units)


@FAST
@given(any_text)
def test_auto_without_profile_matches_reference(text: str) -> None:
    _check_against_reference(text, "auto", None)
    nfc = unicodedata.normalize("NFC", text)
    assert segment(text).encoding == ref_auto(nfc)
    assert is_gsm7(text) == (ref_auto(nfc) == "gsm7")


@FAST
@given(any_text, st.sampled_from(["gsm7", "gsm7-tr", "ucs2", "turkish"]))
def test_explicit_encoding_matches_reference(text: str, encoding: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    if ref_units(nfc, REF_RULES[encoding][0]) is None:
        with pytest.raises(InvalidContent):
            segment(text, encoding, ALL_PROFILE)
        with pytest.raises(InvalidContent):
            count(text, encoding, ALL_PROFILE)
    else:
        _check_against_reference(text, encoding, ALL_PROFILE)


@FAST
@given(any_text)
def test_auto_with_profile_picks_fewest_parts(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    seg = segment(text, "auto", ALL_PROFILE)
    _check_against_reference(text, "auto", ALL_PROFILE)
    offered = [e.name for e in ALL_PROFILE.encodings]
    able = [
        (len(split), offered.index(name), name)
        for name in offered
        if (split := ref_split(nfc, name)) is not None
    ]
    assert seg.encoding == min(able)[2]


@FAST
@given(any_text)
def test_folding_profile(text: str) -> None:
    seg = segment(text, "auto", INNOMOBIL)
    nfc = unicodedata.normalize("NFC", text)
    folded = fold_turkish(nfc)
    # auto folds only when folding changes nothing: it never alters letters on its own
    if folded == nfc and ref_split(folded, "gsm7") is not None:
        assert seg.encoding == "gsm7"
        assert seg.folded
        assert seg.text == folded
    else:
        assert seg.encoding == "ucs2"
        assert not seg.folded
        assert seg.text == nfc
    assert "".join(seg.part_texts) == seg.text
    assert count(text, "auto", INNOMOBIL) == (seg.encoding, seg.parts, seg.units)


@FAST
@given(any_text)
def test_fold_option_folds_before_counting(text: str) -> None:
    seg = segment(text, fold=True)
    folded = fold_turkish(unicodedata.normalize("NFC", text))
    assert seg.folded
    assert seg.text == folded == "".join(seg.part_texts)
    assert seg.encoding == ref_auto(folded)
    assert count(text, fold=True) == (seg.encoding, seg.parts, seg.units)


@FAST
@given(st.text(alphabet=st.one_of(st.sampled_from(INTERESTING + "İIiı"), st.characters())))
def test_fold_turkish_changes_only_the_twelve_letters(text: str) -> None:
    folded = fold_turkish(text)
    assert len(folded) == len(text)
    for before, after in zip(text, folded, strict=True):
        assert after == REF_FOLD.get(before, before)


# -- boundaries and traps ------------------------------------------------------

BOUNDARIES = (70, 149, 153, 155, 160, 306, 612)
SPECIALS = REF_EXT + REF_TURKISH


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("char", list(SPECIALS), ids=lambda c: f"U+{ord(c):04X}")
def test_special_character_at_every_boundary(char: str, boundary: int) -> None:
    """The character at, just before and just after each limit, in every encoding."""
    for before in (boundary - 2, boundary - 1, boundary, boundary + 1):
        for after in (0, 1, 5):
            text = "a" * before + char + "a" * after
            _check_against_reference(text, "auto", None, minimal=False)
            for encoding in ("gsm7", "gsm7-tr", "ucs2", "turkish"):
                if ref_units(text, REF_RULES[encoding][0]) is not None:
                    _check_against_reference(text, encoding, ALL_PROFILE, minimal=False)


@pytest.mark.parametrize(
    ("length", "encoding", "parts"),
    [
        (70, "ucs2", 1),
        (71, "ucs2", 2),
        (134, "ucs2", 2),
        (135, "ucs2", 3),
        (149, "gsm7-tr", 1),
        (155, "gsm7-tr", 1),
        (156, "gsm7-tr", 2),
        (298, "gsm7-tr", 2),
        (299, "gsm7-tr", 3),
        (153, "gsm7", 1),
        (160, "gsm7", 1),
        (161, "gsm7", 2),
        (306, "gsm7", 2),
        (307, "gsm7", 3),
        (612, "gsm7", 4),
        (613, "gsm7", 5),
    ],
)
def test_plain_lengths(length: int, encoding: str, parts: int) -> None:
    seg = segment("x" * length, encoding)
    assert (seg.parts, seg.units) == (parts, length)
    assert count("x" * length, encoding) == (encoding, parts, length)


@pytest.mark.parametrize(
    ("text", "encoding", "part_units"),
    [
        ("a" * 160, "gsm7", (160,)),
        ("a" * 161, "gsm7", (153, 8)),
        ("a" * 159 + "{", "gsm7", (153, 8)),
        ("a" * 158 + "{", "gsm7", (160,)),
        ("€" * 80, "gsm7", (160,)),
        ("€" * 81, "gsm7", (152, 10)),
        # an escape pair straddling the 153 boundary moves whole to the next part
        ("a" * 152 + "€" + "a" * 10, "gsm7", (152, 12)),
        ("a" * 152 + "\f" + "a" * 10, "gsm7", (152, 12)),
        ("Ç" * 160, "gsm7", (160,)),  # Ç is in the basic table
        ("ç" * 70, "ucs2", (70,)),  # ç is not
        ("ç" * 71, "ucs2", (67, 4)),
        # an emoji straddling the 67 boundary moves whole to the next part
        ("ş" * 66 + "😀" + "ş" * 10, "ucs2", (66, 12)),
        ("😀" * 35, "ucs2", (70,)),
        ("😀" * 36, "ucs2", (66, 6)),
        ("a" * 154 + "ş", "gsm7-tr", (149, 7)),
        ("a" * 153 + "ş", "gsm7-tr", (155,)),
        ("ı" * 75 + "a" * 5, "gsm7-tr", (155,)),
        ("ı" * 76 + "a" * 5, "gsm7-tr", (148, 9)),
        ("ç" * 80, "turkish", (160,)),
        ("ç" * 81, "turkish", (152, 10)),
        ("ö" * 81, "turkish", (152, 10)),
        ("", "gsm7", (0,)),
    ],
)
def test_known_splits(text: str, encoding: str, part_units: tuple[int, ...]) -> None:
    if encoding in ("gsm7", "ucs2"):
        assert segment(text).encoding == encoding
    seg = segment(text, encoding, ALL_PROFILE)
    assert seg.part_units == part_units
    assert "".join(seg.part_texts) == text
    assert seg.units == sum(part_units)


def test_escape_pair_is_never_split() -> None:
    seg = segment("a" * 152 + "€" + "a" * 8)
    assert seg.part_texts == ("a" * 152, "€" + "a" * 8)
    assert seg.part_units == (152, 10)
    assert seg.remaining == 153 - 10


def test_surrogate_pair_is_never_split() -> None:
    seg = segment("ş" * 66 + "😀" + "ş" * 5)
    assert seg.part_texts == ("ş" * 66, "😀" + "ş" * 5)
    assert seg.part_units == (66, 7)


def test_empty_text_is_one_empty_part() -> None:
    seg = segment("")
    assert (seg.parts, seg.units, seg.part_texts, seg.part_units) == (1, 0, ("",), (0,))
    assert seg.remaining == 160
    assert seg.forced_ucs2 == ()
    assert count("") == ("gsm7", 1, 0)


@pytest.mark.parametrize(
    "char",
    ["₺", "\t", "\u00a0", "“", "”", "‘", "’", "`", "ç", "ğ", "ı", "İ", "ş", "Ş", "Ğ", "\x1b"],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_characters_that_force_ucs2(char: str) -> None:
    seg = segment(f"Fiyat: 10 {char} indirim {char}")
    assert seg.encoding == "ucs2"
    assert seg.forced_ucs2 == (char,)
    assert not is_gsm7(char)


@pytest.mark.parametrize("char", list(REF_BASIC + REF_EXT), ids=lambda c: f"U+{ord(c):04X}")
def test_every_gsm_character_stays_gsm(char: str) -> None:
    seg = segment(char * 3)
    assert seg.encoding == "gsm7"
    assert seg.units == 3 * (2 if char in REF_EXT else 1)
    assert is_gsm7(char)


def test_forced_ucs2_lists_distinct_characters_in_order() -> None:
    seg = segment("ş a ₺ ş 😀 ₺ ç")
    assert seg.forced_ucs2 == ("ş", "₺", "😀", "ç")


@pytest.mark.parametrize(
    ("raw", "nfc", "encoding"),
    [
        ("c\u0327", "ç", "ucs2"),  # decomposed ç: not GSM after NFC either
        ("C\u0327", "Ç", "gsm7"),  # decomposed Ç: GSM once composed
        ("e\u0301", "é", "gsm7"),
        ("s\u0327", "ş", "ucs2"),
        ("I\u0307", "İ", "ucs2"),
        ("\u2126", "Ω", "gsm7"),  # OHM SIGN is canonically GREEK CAPITAL OMEGA
        ("\u212b", "Å", "gsm7"),  # ANGSTROM SIGN is canonically Å
    ],
)
def test_input_is_nfc_normalised(raw: str, nfc: str, encoding: str) -> None:
    seg = segment(raw)
    assert seg.text == nfc
    assert seg.encoding == encoding
    assert seg.units == 1
    assert count(raw) == (encoding, 1, 1)


def test_folding_a_decomposed_letter() -> None:
    seg = segment("s\u0327ehir", fold=True)
    assert seg.text == "sehir"
    assert seg.encoding == "gsm7"


def test_gsm7_tr_is_not_chosen_without_a_profile() -> None:
    assert segment("ş" * 100).encoding == "ucs2"
    assert segment("ş" * 100, "auto", DEFAULT_PROFILE).encoding == "gsm7-tr"


def test_encoding_name_is_case_insensitive() -> None:
    assert segment("abc", "UCS2").encoding == "ucs2"
    assert segment("abc", "AUTO").encoding == "gsm7"


def test_gsm7_tr_counts_the_shift_table() -> None:
    # Ğ İ Ş ç ğ ı ş are in the Turkish single shift table (two septets);
    # Ç Ö Ü ö ü are in the basic table (one septet)
    assert count("ĞİŞçğış", "gsm7-tr") == ("gsm7-tr", 1, 14)
    assert count("ÇÖÜöü", "gsm7-tr") == ("gsm7-tr", 1, 5)
    assert count("{€}", "gsm7-tr") == ("gsm7-tr", 1, 6)
    with pytest.raises(InvalidContent):
        count("₺", "gsm7-tr")


def test_rule_costs() -> None:
    assert GSM7.cost("a") == 1
    assert GSM7.cost("€") == 2
    assert GSM7.cost("ç") is None
    assert GSM7_TR.cost("ç") == 2
    assert UCS2.cost("😀") == 2
    assert UCS2.cost("ş") == 1
    assert EFECELL_TURKISH.cost("ö") == 2
    assert EFECELL_TURKISH.cost("é") == 1
    assert EFECELL_TURKISH.cost("₺") is None


def _same(call: Callable[[], object]) -> object:
    """What a call returns, or the type and message of the error it raises."""
    try:
        return call()
    except InvalidContent as exc:
        return (type(exc), str(exc))


@FAST
@given(
    any_text,
    st.sampled_from(["auto", "gsm7", "GSM7", "gsm7-tr", "ucs2", "turkish"]),
    st.sampled_from([None, ALL_PROFILE, DEFAULT_PROFILE]),
    st.booleans(),
)
def test_bound_counter_and_segmenter_give_what_count_and_segment_give(
    text: str, encoding: str, profile: TextProfile | None, fold: bool
) -> None:
    """The campaign binds its options once; every figure and error is the same."""
    try:
        count_one = counter(encoding, profile, fold=fold)
        split_one = segmenter(encoding, profile, fold=fold)
    except NotSupported:  # the profile has no such encoding: count says so too
        with pytest.raises(NotSupported):
            count(text, encoding, profile, fold=fold)
        return
    assert _same(lambda: count_one(text)) == _same(
        lambda: count(text, encoding, profile, fold=fold)
    )
    assert _same(lambda: split_one(text)) == _same(
        lambda: segment(text, encoding, profile, fold=fold)
    )


_ascii_texts = st.text(alphabet=st.characters(max_codepoint=127), min_size=1, max_size=400)


@FAST
@given(
    st.lists(st.one_of(any_text, _ascii_texts), max_size=5),
    st.sampled_from(["auto", "gsm7", "GSM7", "gsm7-tr", "ucs2", "turkish"]),
    st.sampled_from([None, ALL_PROFILE, DEFAULT_PROFILE, FOLDING_FIRST, UCS2_FIRST]),
    st.booleans(),
)
def test_a_block_of_texts_counts_as_each_text_counts(
    texts: list[str], encoding: str, profile: TextProfile | None, fold: bool
) -> None:
    """A campaign's import counts a block of texts at once when it can: the
    encoding and parts are what the counter gives each text."""
    try:
        count_one = counter(encoding, profile, fold=fold)
    except NotSupported:
        return
    many = counter_many(encoding, profile, fold=fold)(texts)
    if many is not None:
        each = [count_one(text) for text in texts]
        assert many == (each[0][0], [parts for _, parts, _ in each])
        assert {name for name, _, _ in each} == {many[0]}


@given(
    st.lists(
        st.text(alphabet="abcXYZ019 ,.!?:;'()-+*/=<>", min_size=1, max_size=160),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["auto", "gsm7"]),
)
def test_a_block_of_plain_texts_is_counted_at_once(texts: list[str], encoding: str) -> None:
    many = counter_many(encoding, DEFAULT_PROFILE)(texts)
    assert many == ("gsm7", [1] * len(texts))
    assert counter_many("gsm7", DEFAULT_PROFILE)(["[" + texts[0]]) is None  # two units
    assert counter_many("auto", None)(texts) is None  # auto without a profile: text by text
    # auto, two parts in the first encoding: a later one may take fewer
    assert counter_many("auto", UCS2_FIRST)([texts[0] * 71]) is None
    assert counter("auto", UCS2_FIRST)(texts[0] * 71)[0] == "gsm7"


@FAST
@given(
    any_text,
    st.sampled_from(["auto", "gsm7", "gsm7-tr", "ucs2", "turkish"]),
    st.sampled_from([None, ALL_PROFILE, DEFAULT_PROFILE]),
    st.booleans(),
)
def test_a_measured_segmentation_is_the_segmentation(
    text: str, encoding: str, profile: TextProfile | None, fold: bool
) -> None:
    """A campaign's request makes each row's segmentation from the import's
    count (encoding and parts) without measuring again: every figure, the
    equality, the hash, the repr and a copy are segment()'s."""
    import copy

    try:
        name, parts, _ = count(text, encoding, profile, fold=fold)
    except (InvalidContent, NotSupported):
        return
    whole = segment(text, name, profile, fold=fold)
    made = measured(name, profile, fold=fold)
    first = made(text, parts)
    assert (first.text, first.encoding, first.wire, first.parts, first.folded) == (
        whole.text,
        whole.encoding,
        whole.wire,
        whole.parts,
        whole.folded,
    )
    assert first.to_dict() == whole.to_dict()
    assert made(text, parts) == whole
    assert hash(made(text, parts)) == hash(whole)
    assert repr(made(text, parts)) == repr(whole)
    assert copy.deepcopy(made(text, parts)) == whole  # through __getstate__, as pickling


def test_a_segmentation_measured_with_other_options_says_so() -> None:
    made = measured("gsm7")("x" * 200, 1)  # two parts, said to be one
    assert made.parts == 1
    with pytest.raises(ValueError, match="measured with other options"):
        _ = made.part_texts
    with pytest.raises(AttributeError):
        _ = made.no_such_field  # type: ignore[attr-defined]
