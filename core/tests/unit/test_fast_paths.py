"""Fast paths of the bulk hot loop give exactly what the general code gives."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.campaign.source import Template, _nonblank
from ileti.client import _XML_FORBIDDEN, check_text
from ileti.errors import InvalidContent

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
