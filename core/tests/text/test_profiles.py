"""Provider profiles: names, aliases, auto choice, folding, limits, errors."""

from __future__ import annotations

import json

import pytest

from ileti.errors import InvalidContent, MessageTooLong, NotSupported
from ileti.text import (
    DEFAULT_PROFILE,
    EFECELL_TURKISH,
    GSM7,
    GSM7_TR,
    UCS2,
    CountingRule,
    Encoding,
    ProfileEncoding,
    TextProfile,
    count,
    ensure_fits,
    segment,
    unencodable,
)

EFECELL = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "default", GSM7),
        ProfileEncoding("ucs2", "utf-8", UCS2),
        ProfileEncoding("turkish", "turkish", EFECELL_TURKISH),
    ),
    max_parts=4,
    aliases={"default": "gsm7", "utf-8": "ucs2", "tr": "turkish"},
)
INNOMOBIL = TextProfile(
    encodings=(
        ProfileEncoding("gsm7", "0", GSM7, fold_turkish=True),
        ProfileEncoding("ucs2", "1", UCS2),
    ),
    max_parts=4,
)
KOBIKOM = TextProfile(
    encodings=(ProfileEncoding("gsm7", "0", GSM7), ProfileEncoding("ucs2", "8", UCS2))
)
GSM_ONLY = TextProfile(encodings=(ProfileEncoding("gsm7", "Default", GSM7),), max_parts=1)


# -- Efecell's turkish rule ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("Merhaba", 7),
        ("Şebnem", 7),  # Ş counts 2
        ("Çiçek", 7),  # Ç and ç count 2, although Ç is in the GSM basic table
        ("öğüş", 8),
        ("ÖĞÜŞİı", 12),
        ("{}", 4),
        ("100 €", 6),
        ("café", 4),  # é is GSM basic: 1
        ("", 0),
    ],
)
def test_efecell_turkish_rule_counts(text: str, units: int) -> None:
    assert count(text, "turkish", EFECELL) == ("turkish", 1, units)


def test_efecell_turkish_rule_limits() -> None:
    assert count("ş" * 80, "turkish", EFECELL) == ("turkish", 1, 160)
    assert count("ş" * 81, "turkish", EFECELL) == ("turkish", 2, 162)
    assert count("a" * 612, "turkish", EFECELL) == ("turkish", 4, 612)
    seg = segment("ü" * 81, "tr", EFECELL)
    assert seg.encoding == "turkish"
    assert seg.wire == "turkish"
    assert seg.base == Encoding.GSM7
    assert seg.part_units == (152, 10)


def test_efecell_turkish_rule_refuses_other_characters() -> None:
    with pytest.raises(InvalidContent) as info:
        segment("Fiyat 10 ₺ 😀", "turkish", EFECELL)
    message = str(info.value)
    assert "'₺'" in message
    assert "'😀'" in message
    assert "ucs2" in message
    assert "auto" in message
    assert unencodable("a₺b😀₺", EFECELL_TURKISH) == ("₺", "😀")


# -- auto with a profile ---------------------------------------------------------


def test_auto_prefers_gsm7_for_gsm_text() -> None:
    seg = segment("Hello {world}", "auto", EFECELL)
    assert (seg.encoding, seg.wire, seg.parts) == ("gsm7", "default", 1)


def test_auto_tie_goes_to_the_profile_order() -> None:
    # short Turkish text: one part in ucs2 and in turkish; ucs2 comes first
    seg = segment("Günaydın", "auto", EFECELL)
    assert (seg.encoding, seg.wire, seg.parts) == ("ucs2", "utf-8", 1)
    reordered = TextProfile(encodings=(EFECELL.encodings[2], EFECELL.encodings[1]))
    assert segment("Günaydın", "auto", reordered).encoding == "turkish"


def test_auto_picks_turkish_when_it_saves_parts() -> None:
    text = "Sayın müşterimiz, siparişiniz kargoya verildi. Teşekkür ederiz."  # 64 chars
    text = text + " " + text  # 129 chars: 2 parts in ucs2, 1 in turkish
    assert count(text, "ucs2", EFECELL)[1] == 2
    assert count(text, "turkish", EFECELL)[1] == 1
    seg = segment(text, "auto", EFECELL)
    assert (seg.encoding, seg.wire, seg.parts) == ("turkish", "turkish", 1)
    assert count(text, "auto", EFECELL) == ("turkish", 1, seg.units)


def test_auto_falls_back_to_the_only_encoding_that_can() -> None:
    seg = segment("Tebrikler 🎉", "auto", EFECELL)
    assert (seg.encoding, seg.wire) == ("ucs2", "utf-8")
    assert seg.forced_ucs2 == ("🎉",)


def test_auto_when_nothing_offered_can_carry_the_text() -> None:
    with pytest.raises(InvalidContent) as info:
        segment("iyi günler, şans ₺", "auto", GSM_ONLY)
    message = str(info.value)
    assert "'ş'" in message
    assert "'₺'" in message
    assert "'ü'" not in message  # ü is in the GSM basic table
    assert "gsm7" in message


def test_default_profile_auto_considers_gsm7_tr() -> None:
    text = "ş" * 100  # 200 units in gsm7-tr: 2 parts; ucs2: 2 parts; tie -> gsm7-tr first
    assert count(text, "auto", DEFAULT_PROFILE)[0] == "gsm7-tr"
    assert count(text) == ("ucs2", 2, 100)


# -- folding (Innomobil) ---------------------------------------------------------


def test_auto_never_folds_on_its_own() -> None:
    seg = segment("Şişli'de buluşalım, Çağrı", "auto", INNOMOBIL)
    assert (seg.encoding, seg.wire, seg.folded) == ("ucs2", "1", False)
    assert seg.text == "Şişli'de buluşalım, Çağrı"
    cheaper = segment("ş" * 100, "auto", INNOMOBIL)
    assert (cheaper.encoding, cheaper.parts) == ("ucs2", 2)
    plain = segment("Merhaba", "auto", INNOMOBIL)
    assert (plain.encoding, plain.wire) == ("gsm7", "0")


def test_folding_encoding_folds_the_text() -> None:
    seg = segment("Şişli'de buluşalım, Çağrı", "auto", INNOMOBIL, fold=True)
    assert seg.encoding == "gsm7"
    assert seg.wire == "0"
    assert seg.folded
    assert seg.text == "Sisli'de bulusalim, Cagri"
    assert seg.forced_ucs2 == ()


def test_folding_encoding_explicit_and_wire_names() -> None:
    assert segment("Işık", "gsm7", INNOMOBIL).text == "Isik"
    unicode = segment("Işık", "1", INNOMOBIL)
    assert (unicode.encoding, unicode.text, unicode.folded) == ("ucs2", "Işık", False)
    assert segment("Işık", "0", INNOMOBIL).text == "Isik"


def test_folding_does_not_rescue_other_characters() -> None:
    seg = segment("Işık 😀", "auto", INNOMOBIL)
    assert (seg.encoding, seg.text, seg.folded) == ("ucs2", "Işık 😀", False)
    with pytest.raises(InvalidContent):
        segment("Işık 😀", "gsm7", INNOMOBIL)


def test_fold_flag_applies_to_every_encoding() -> None:
    seg = segment("Işık", "ucs2", KOBIKOM, fold=True)
    assert (seg.text, seg.folded, seg.wire) == ("Isik", True, "8")


# -- names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "name", "wire"),
    [
        ("gsm7", "gsm7", "default"),
        ("default", "gsm7", "default"),
        ("DEFAULT", "gsm7", "default"),
        ("utf-8", "ucs2", "utf-8"),
        ("UTF-8", "ucs2", "utf-8"),
        ("ucs2", "ucs2", "utf-8"),
        ("turkish", "turkish", "turkish"),
        ("tr", "turkish", "turkish"),
    ],
)
def test_profile_names_aliases_and_wire_values(asked: str, name: str, wire: str) -> None:
    enc = EFECELL.get(asked)
    assert (enc.name, enc.wire) == (name, wire)
    assert segment("abc", asked, EFECELL).encoding == name


def test_wire_values_are_names_too() -> None:
    assert KOBIKOM.get("8").name == "ucs2"
    assert KOBIKOM.get("0").name == "gsm7"


def test_unknown_encoding_is_not_supported() -> None:
    with pytest.raises(NotSupported) as info:
        segment("abc", "klingon")
    message = str(info.value)
    assert "'klingon'" in message
    for offered in ("gsm7", "gsm7-tr", "ucs2", "auto"):
        assert offered in message
    with pytest.raises(NotSupported) as info:
        count("abc", "gsm7-tr", EFECELL)
    assert "'gsm7-tr'" in str(info.value)
    assert "'default'" in str(info.value)
    with pytest.raises(NotSupported):
        segment("abc", "turkish")  # only offered by a profile that has it


def test_explicit_encoding_that_cannot_carry_names_the_characters() -> None:
    with pytest.raises(InvalidContent) as info:
        segment("Çok güzel şey\t", "gsm7")
    message = str(info.value)
    assert "'ş'" in message
    assert "'\\t'" in message
    assert "'Ç'" not in message  # Ç is in the GSM basic table
    assert "'ucs2'" in message
    assert "'auto'" in message


def test_many_bad_characters_are_summarised() -> None:
    text = "".join(chr(0x0400 + i) for i in range(30))  # Cyrillic
    with pytest.raises(InvalidContent, match="and 20 more"):
        segment(text, "gsm7")


# -- limits ----------------------------------------------------------------------


def test_ensure_fits_accepts_up_to_the_limit() -> None:
    ensure_fits(segment("a" * 612, "auto", EFECELL), EFECELL, provider="efecell")
    ensure_fits(segment("a" * 5000), None)
    ensure_fits(segment("a" * 5000, "auto", KOBIKOM), KOBIKOM)  # no max_parts


def test_ensure_fits_refuses_too_many_parts() -> None:
    seg = segment("a" * 613, "auto", EFECELL)
    assert seg.parts == 5
    with pytest.raises(MessageTooLong) as info:
        ensure_fits(seg, EFECELL, provider="efecell")
    exc = info.value
    assert (exc.parts, exc.max_parts, exc.provider) == (5, 4, "efecell")
    message = str(exc)
    assert "5 parts" in message
    assert "at most 4 parts" in message
    assert "efecell" in message


def test_ensure_fits_ucs2_limit() -> None:
    seg = segment("ş" * 269, "auto", EFECELL)  # 269 units: 5 parts in ucs2, 4 in turkish
    assert seg.encoding == "turkish"
    ensure_fits(seg, EFECELL)
    seg = segment("😀" * 135, "auto", EFECELL)  # 270 units: 5 UCS-2 parts
    assert seg.parts == 5
    with pytest.raises(MessageTooLong, match="at most 4 parts"):
        ensure_fits(seg, EFECELL)


def test_ensure_fits_single_part_limit() -> None:
    seg = segment("a" * 161, "auto", GSM_ONLY)
    with pytest.raises(MessageTooLong, match=r"at most 1 part \(up to 160 units"):
        ensure_fits(seg, GSM_ONLY)


# -- objects -------------------------------------------------------------------


def test_to_dict_is_json_ready() -> None:
    seg = segment("Çok güzel 😀" * 10, "auto", EFECELL)
    data = seg.to_dict()
    assert set(data) == {
        "encoding",
        "base",
        "wire",
        "parts",
        "part_units",
        "part_texts",
        "units",
        "remaining",
        "single_limit",
        "multi_limit",
        "forced_ucs2",
        "folded",
    }
    again = json.loads(json.dumps(data, ensure_ascii=False))
    assert again == data
    assert "".join(again["part_texts"]) == seg.text
    assert again["part_units"] == list(seg.part_units)
    assert again["base"] == "ucs2"


def test_no_profile_wire_is_the_name() -> None:
    assert segment("abc").wire == "gsm7"
    assert segment("abc", "gsm7-tr").wire == "gsm7-tr"
    assert segment("ş").wire == "ucs2"


def test_profiles_are_frozen_and_hashable() -> None:
    twin = TextProfile(
        encodings=list(EFECELL.encodings),
        max_parts=4,
        aliases={"default": "gsm7", "utf-8": "ucs2", "tr": "turkish"},
    )
    assert twin == EFECELL
    assert hash(twin) == hash(EFECELL)
    assert len({GSM7, GSM7_TR, UCS2, EFECELL_TURKISH}) == 4
    with pytest.raises(TypeError):
        EFECELL.aliases["x"] = "gsm7"  # type: ignore[index]
    with pytest.raises(AttributeError):
        EFECELL.max_parts = 5  # type: ignore[misc]


def test_profile_validation() -> None:
    gsm = ProfileEncoding("gsm7", "0", GSM7)
    with pytest.raises(ValueError, match="at least one"):
        TextProfile(encodings=())
    with pytest.raises(ValueError, match="twice"):
        TextProfile(encodings=(gsm, gsm))
    with pytest.raises(ValueError, match="not offered"):
        TextProfile(encodings=(gsm,), aliases={"unicode": "ucs2"})
    with pytest.raises(ValueError, match="reserved"):
        TextProfile(encodings=(ProfileEncoding("auto", "a", GSM7),))
    with pytest.raises(ValueError, match="max_parts"):
        TextProfile(encodings=(gsm,), max_parts=0)


def test_a_plugin_can_declare_its_own_rule() -> None:
    # a made-up provider that bills every character as one unit, 100 per part
    flat = CountingRule(name="flat", base=Encoding.UCS2, single=100, multi=90)
    profile = TextProfile(encodings=(ProfileEncoding("flat", "F", flat),))
    assert count("😀" * 100, "flat", profile) == ("flat", 1, 100)
    assert count("😀" * 101, "flat", profile) == ("flat", 2, 101)
    seg = segment("ab" * 60, "F", profile)
    assert seg.part_units == (90, 30)
    with pytest.raises(ValueError, match="at least 2"):
        CountingRule(name="tiny", base=Encoding.GSM7, single=1, multi=1)
    with pytest.raises(ValueError, match="both one and two"):
        CountingRule(name="odd", base=Encoding.GSM7, single=160, multi=153, ones="ab", twos="b")
