"""Fast paths of the bulk hot loop give exactly what the general code gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.campaign.source import Template, _nonblank
from ileti.client import _XML_FORBIDDEN, check_text
from ileti.errors import InvalidContent, MalformedResponse
from ileti.http import HttpRequest
from ileti.models import RecipientResult
from ileti.plugin import OutgoingItem
from ileti.text import measured

# every kind of character the check cares about: controls, surrogates,
# noncharacters, separators, Turkish letters, emoji
chars = st.one_of(
    st.characters(),
    st.sampled_from("\x00\x07\t\n\r\x0b\x1f\x7f\x85\xa0\u2028\ud800\udfff\ufffe\uffffşİ😀 "),
)


@given(st.text(alphabet=chars, min_size=1))
def test_the_text_check_refuses_exactly_what_the_xml_rule_forbids(text: str) -> None:
    if _XML_FORBIDDEN.search(text):
        with pytest.raises(InvalidContent):
            check_text(text)
    else:
        check_text(text)


values = st.one_of(st.none(), st.text(alphabet=chars, max_size=8), st.sampled_from(["", " ", "\t"]))


@given(st.dictionaries(st.sampled_from(["name", "code", "city"]), values))
def test_a_template_fills_or_names_the_first_missing_or_blank_value(
    raw: dict[str, str | None],
) -> None:
    data = {k: v for k, v in raw.items() if v is not None}
    template = Template.parse("{name} {{literal}} {code}{name}")
    wanted = next((f for f in template.fields if f not in data or not data[f].strip()), None)
    if wanted is None:
        assert template.fill(data) == template.text.format_map(data)
    else:
        with pytest.raises(ValueError, match=rf"\{{{wanted}\}}"):
            template.fill(data)


@given(st.lists(st.text(alphabet=chars, max_size=4), max_size=4))
def test_a_blank_row_is_blank_in_every_value(row: list[str]) -> None:
    assert _nonblank(row) == bool("".join(row).strip())


numbers = st.lists(
    st.one_of(
        st.from_regex(r"\+90 ?5[0-9]{9}", fullmatch=True),
        st.text(alphabet=chars, max_size=4),
        st.sampled_from(["", " ", "\t\n"]),
    ),
    max_size=8,
)


@given(numbers)
def test_all_accepted_results_are_those_init_builds(given_numbers: list[str]) -> None:
    """Property: ``RecipientResult.all_accepted`` gives what
    ``RecipientResult(n, True)`` gives for each number, or its error."""
    try:
        wanted = tuple(RecipientResult(n, True) for n in given_numbers)
    except MalformedResponse as exc:
        error = exc.message
    else:
        error = None
    if error is not None:
        with pytest.raises(MalformedResponse) as raised:
            RecipientResult.all_accepted(given_numbers)
        assert raised.value.message == error
        return
    got = RecipientResult.all_accepted(given_numbers)
    assert got == wanted
    assert [repr(r) for r in got] == [repr(r) for r in wanted]
    assert [hash(r) for r in got] == [hash(r) for r in wanted]


def test_all_accepted_results_refuse_what_is_not_text() -> None:
    with pytest.raises(MalformedResponse, match="non-empty"):
        RecipientResult.all_accepted(["+905321112233", None])  # type: ignore[list-item]


@given(
    st.lists(st.tuples(st.text(max_size=6), st.text("abc XYZ.@", max_size=12), st.text(max_size=6)))
)
def test_outgoing_items_many_are_those_init_builds(given: list[tuple[str, str, str]]) -> None:
    """Property: ``OutgoingItem.many`` gives ``OutgoingItem(r, s.text, s, ref)``
    for each recipient, segmentation and reference."""
    split = measured("gsm7")
    segs = [split(text, 1) for _, text, _ in given]
    wanted = tuple(
        OutgoingItem(r, s.text, s, ref) for (r, _, ref), s in zip(given, segs, strict=True)
    )
    got = OutgoingItem.many((r for r, _, _ in given), segs, [ref for _, _, ref in given])
    assert got == wanted
    assert [repr(i) for i in got] == [repr(i) for i in wanted]


def test_outgoing_items_many_refuse_lengths_that_differ() -> None:
    seg = measured("gsm7")("hi", 1)
    with pytest.raises(ValueError, match="zip"):
        OutgoingItem.many(["+905321112233"], [seg, seg], ["a"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_a_json_body_is_what_json_dumps_makes(payload: object) -> None:
    """Property: a request's JSON body (encoded without the check for cycles)
    is ``json.dumps(payload, ensure_ascii=False, separators=(",", ":"))``."""
    request = HttpRequest.json_body("POST", "/x", payload)
    wanted = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    assert request.body == wanted.encode("utf-8")


@given(json_values, st.dictionaries(st.sampled_from(["Accept", "Authorization", "X-A"]), st.text()))
def test_a_json_text_request_is_the_json_body_request(
    payload: object, headers: dict[str, str]
) -> None:
    """Property: ``json_text`` with the JSON ``json_body`` writes makes the same request."""
    wanted = HttpRequest.json_body("POST", "/x", payload, headers=headers, query={"q": "1"})
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    got = HttpRequest.json_text("POST", "/x", text, headers=headers, query={"q": "1"})
    assert got == wanted
    assert list(got.headers.items()) == list(wanted.headers.items())
