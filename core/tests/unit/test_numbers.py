from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.errors import InvalidRecipient, InvalidSender
from ileti.numbers import (
    international,
    national,
    normalise_number,
    normalise_numbers,
    validate_sender,
)


@pytest.mark.parametrize(
    "raw",
    ["0532 111 22 33", "+90 532 111 22 33", "905321112233", "5321112233", "(0532) 111-22-33"],
)
def test_common_forms_give_one_e164(raw: str) -> None:
    assert normalise_number(raw) == "+905321112233"


@given(
    st.sampled_from(["530", "531", "532", "533", "535", "541", "542", "505", "555"]),
    st.integers(min_value=0, max_value=9_999_999),
)
def test_every_form_of_a_mobile_number_agrees(prefix: str, rest: int) -> None:
    nsn = f"{prefix}{rest:07d}"
    forms = [nsn, "0" + nsn, "90" + nsn, "+90" + nsn, f"+90 {nsn[:3]} {nsn[3:6]} {nsn[6:]}"]
    values = {normalise_number(f) for f in forms}
    assert values == {"+90" + nsn}
    assert national("+90" + nsn) == nsn
    assert international("+90" + nsn) == "90" + nsn


@pytest.mark.parametrize(
    "raw", ["", "   ", "abc", "0532 111", "12345678901234567", "+90 111 111 11 11"]
)
def test_invalid_numbers_name_the_number_and_position(raw: str) -> None:
    with pytest.raises(InvalidRecipient) as info:
        normalise_numbers(["05321112233", raw])
    assert info.value.position == 1
    assert "recipient 2" in str(info.value)


def test_duplicates_are_dropped_unless_kept() -> None:
    raws = ["05321112233", "+905321112233", "5321112234"]
    assert normalise_numbers(raws) == ("+905321112233", "+905321112234")
    assert normalise_numbers(raws, keep_duplicates=True) == (
        "+905321112233",
        "+905321112233",
        "+905321112234",
    )


def test_empty_list_is_refused() -> None:
    with pytest.raises(InvalidRecipient, match="no recipients"):
        normalise_numbers([])


def test_national_refuses_foreign_numbers() -> None:
    with pytest.raises(InvalidRecipient, match="not a Turkish number"):
        national(normalise_number("+44 7911 123456"))


@pytest.mark.parametrize(
    "name", ["ILETI", "ABC", "Firma 123", "A.B-C_D&E", "12345678901234", "8501234"]
)
def test_valid_senders(name: str) -> None:
    assert validate_sender(name) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "empty"),
        ("AB", "3 to 11"),
        ("ABCDEFGHIJKL", "3 to 11"),
        ("İLETİ", "Turkish letters"),
        ("ŞİRKET", "Turkish letters"),
        ("AB!CD", "characters"),
        ("123456789012345", "3 to 11"),
    ],
)
def test_invalid_senders_say_the_rule(name: str, rule: str) -> None:
    with pytest.raises(InvalidSender, match=rule):
        validate_sender(name)


# -- the fast path for Turkish mobile numbers (campaigns parse millions) ----------

from hypothesis import given as _given  # noqa: E402
from hypothesis import strategies as _st  # noqa: E402

from ileti.numbers import _turkish_mobile  # noqa: E402


def _slow_path_says(raw: str) -> str | None:
    """What normalise_number gives without the fast path (phonenumbers)."""
    from ileti import numbers
    from ileti.errors import InvalidRecipient

    saved = numbers._turkish_mobile
    numbers._turkish_mobile = lambda raw: None
    try:
        return numbers.normalise_number(raw)
    except InvalidRecipient:
        return None
    finally:
        numbers._turkish_mobile = saved


_spellings = _st.builds(
    lambda prefix, body, sep: prefix + sep.join([body[:3], body[3:6], body[6:8], body[8:]]),
    _st.sampled_from(["", "0", "90", "+90", "+90 ", "0 ", "(0", "0090"]),
    _st.from_regex(r"5[0-9]{9}", fullmatch=True),
    _st.sampled_from(["", " ", "-", ".", "/", ") "]),
)


@_given(_st.one_of(_spellings, _st.text(alphabet="0123456789+ -()", max_size=16)))
def test_the_fast_path_agrees_with_phonenumbers(raw: str) -> None:
    fast = _turkish_mobile(raw)
    if fast is not None:
        assert fast == _slow_path_says(raw)


# -- many numbers at once (a campaign's import checks a block of rows) ------------

from ileti.numbers import turkish_mobiles  # noqa: E402

_plain = _st.builds(
    lambda prefix, body: prefix + body,
    _st.sampled_from(["", "0", "90", "+90", "00", "9", "+9", "+900"]),
    _st.one_of(_st.from_regex(r"5[0-9]{9}", fullmatch=True), _st.from_regex(r"[0-9]{8,12}")),
)


def _each(raws: list[str]) -> list[str | None]:
    found: list[str | None] = []
    for raw in raws:
        try:
            found.append(normalise_number(raw))
        except InvalidRecipient:
            found.append(None)
    return found


@_given(
    _st.lists(
        _st.one_of(_plain, _spellings, _st.text(alphabet="0123456789+ \n-", max_size=14)),
        max_size=6,
    )
)
def test_many_numbers_at_once_give_what_each_gives(raws: list[str]) -> None:
    many = turkish_mobiles(raws)
    if many is not None:
        assert many == _each(raws)


@_given(
    _st.lists(
        _st.builds(
            lambda prefix, body: prefix + body,
            _st.sampled_from(["", "0", "90", "+90"]),
            _st.sampled_from(["532", "505", "542", "555", "530", "533", "544"]).flatmap(
                lambda operator: _st.from_regex(rf"{operator}[0-9]{{7}}", fullmatch=True)
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_many_usual_numbers_take_the_block_path(raws: list[str]) -> None:
    assert turkish_mobiles(raws) == _each(raws)


def test_a_number_holding_a_newline_is_not_read_as_two() -> None:
    assert turkish_mobiles(["05321112233\n05321112234"]) is None
    assert turkish_mobiles(["05321112233", "05321112234"]) == ["+905321112233", "+905321112234"]
    assert turkish_mobiles([]) is None
