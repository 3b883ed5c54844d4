"""ileti.wire.strict_converter: the strict cattrs converter plugins share."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.plugin import strict_converter, text_or_number, whole_number_or_text


@attrs.frozen
class Item:
    number: str
    text: str = ""


@attrs.frozen
class Answer:
    message_id: int
    price: Decimal
    items: list[Item]
    ok: bool = True
    note: str | None = None


NAMES = {
    Answer: {"message_id": "messageId", "items": "list"},
    Item: {"number": "to"},
}

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


def _conv() -> cattrs.Converter:
    return strict_converter(NAMES)


def _fails(conv: cattrs.Converter, value: Any, type_: Any) -> bool:
    try:
        conv.structure(value, type_)
    except (cattrs.BaseValidationError, TypeError, ValueError):
        return True
    return False


@given(json_values)
def test_scalars_are_read_only_from_their_own_json_type(value: Any) -> None:
    conv = _conv()
    assert _fails(conv, value, str) is not isinstance(value, str)
    is_int = isinstance(value, int) and not isinstance(value, bool)
    assert _fails(conv, value, int) is not is_int
    assert _fails(conv, value, bool) is not isinstance(value, bool)
    assert _fails(conv, value, list[str]) is not (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )


@given(st.integers() | st.decimals(allow_nan=False, allow_infinity=False) | st.floats())
def test_a_decimal_is_any_finite_number_and_nothing_else(number: Any) -> None:
    conv = _conv()
    finite = not isinstance(number, float) or math.isfinite(number)
    if finite:
        assert conv.structure(number, Decimal) == Decimal(str(number))
        assert conv.structure(str(number), Decimal) == Decimal(str(number))
    else:
        assert _fails(conv, number, Decimal)
    assert _fails(conv, True, Decimal)
    assert _fails(conv, "12 TL", Decimal)
    assert _fails(conv, [1], Decimal)


@given(
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.lists(st.tuples(st.text(), st.text()), max_size=4),
)
def test_renamed_models_round_trip_by_their_wire_names(
    message_id: int, price: Decimal, items: list[tuple[str, str]]
) -> None:
    conv = _conv()
    answer = Answer(message_id, price, [Item(n, t) for n, t in items])
    data = conv.unstructure(answer)
    assert set(data) == {"messageId", "price", "list", "ok", "note"}
    assert [set(i) for i in data["list"]] == [{"to", "text"}] * len(items)
    assert conv.structure({**data, "extra": "ignored"}, Answer) == answer


def test_a_model_is_read_from_an_object_only() -> None:
    conv = strict_converter({Item: {}}, omit_if_default={Item: ["text"]})

    @attrs.frozen
    class AllOptional:
        a: str | None = None

    loose = strict_converter()
    strict = strict_converter({AllOptional: {}})
    # cattrs alone builds a model with every default from a junk string
    assert loose.structure("OK", AllOptional) == AllOptional()
    assert _fails(strict, "OK", AllOptional)
    assert _fails(conv, "<html>", Item)
    assert _fails(conv, {"text": "no number"}, Item)  # a required field missing
    assert conv.unstructure(Item("1")) == {"number": "1"}  # a default left out
    assert conv.unstructure(Item("1", "x")) == {"number": "1", "text": "x"}


def test_scalars_and_field_hooks_are_the_gateway_own_readings() -> None:
    def stars(value: Any, _: Any) -> str:
        return "*" * len(value)

    conv = strict_converter(
        NAMES, scalars={str: text_or_number}, field_hooks={Item: {"text": stars}}
    )
    item = conv.structure({"to": 905321112233, "text": "abc"}, Item)
    assert item == Item("905321112233", "***")
    assert _fails(conv, {"to": True}, Item)


def test_a_wrong_table_fails_when_the_converter_is_made() -> None:
    with pytest.raises(ValueError, match="no field"):
        strict_converter({Item: {"numbr": "to"}})
    with pytest.raises(TypeError, match="not an attrs class"):
        strict_converter({dict: {}})


@given(st.integers())
def test_the_loose_hooks_read_numbers_and_their_text(number: int) -> None:
    assert text_or_number(number) == str(number)
    assert whole_number_or_text(number) == number
    assert whole_number_or_text(f" {number} ") == number


@given(st.text() | st.booleans() | st.floats() | st.none())
def test_the_loose_hooks_refuse_what_is_not_a_number_or_text(value: Any) -> None:
    if isinstance(value, str):
        assert text_or_number(value) == value
        if not value.strip().lstrip("-").isascii() or not value.strip().lstrip("-").isdigit():
            with pytest.raises(ValueError, match="whole number"):
                whole_number_or_text(value)
        return
    with pytest.raises(TypeError):
        text_or_number(value)
    with pytest.raises(TypeError):
        whole_number_or_text(value)
