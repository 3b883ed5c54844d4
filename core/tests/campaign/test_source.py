"""Reading campaign input: strict CSV, JSON Lines, templates, flat memory."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ileti.campaign.source import (
    InputError,
    Template,
    _nonblank,
    open_text,
    plain_rows,
    read_rows,
    scan,
)
from ileti.errors import ValidationError


def test_an_unterminated_quote_refuses_the_file_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text('to,text\n1,ok\n2,"open\n3,x\n4,y\n')
    with pytest.raises(InputError, match="line 3: the CSV row cannot be read") as caught:
        scan(path, "csv", needed=["to", "text"])
    assert caught.value.line == 3


def _reader_rows(text: str, delimiter: str) -> int:
    """What the CSV reader counts: the rows with a non-blank value."""
    return sum(map(_nonblank, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))


# every kind of line end and whitespace the two ways of counting must agree on
_PLAIN = st.text(alphabet=st.sampled_from("ab,;\t \r\n\xa0\u2028\x0bçé🙂"), max_size=80)


@given(text=_PLAIN, delimiter=st.sampled_from([",", ";", "\t"]), read=st.integers(1, 12))
def test_a_file_without_quotes_is_counted_as_the_csv_reader_counts_it(
    text: str, delimiter: str, read: int
) -> None:
    assert plain_rows(io.StringIO(text, newline=""), delimiter, read=read) == _reader_rows(
        text, delimiter
    )


@pytest.mark.parametrize("odd", ['a,"b"\n', "a,b\0\n", "a," + "x" * 200_000 + "\n"])
def test_a_file_that_is_not_plain_is_left_to_the_csv_reader(tmp_path: Path, odd: str) -> None:
    """A quote, a NUL or an over-long line: plain_rows gives up, and scan
    counts with the CSV reader, as before (here: every row)."""
    text = "1,x\n" * 3 + odd + "2,y\n"
    assert plain_rows(io.StringIO(text, newline=""), ",", read=5) is None
    path = tmp_path / "m.csv"
    path.write_text("to,text\n" + text, newline="")
    if "x" * 200_000 in odd:
        with pytest.raises(InputError, match="line 5: the CSV row cannot be read"):
            scan(path, "csv")
    else:
        assert scan(path, "csv") == 5


def test_scan_counts_a_plain_file_after_its_header(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("to,text\r\n1,a\r\n\r\n , \r\n2,b\r3,c", newline="")
    assert scan(path, "csv", needed=["to"]) == 3


def test_a_duplicate_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("to,text,text\n1,a,b\n")
    with pytest.raises(InputError, match="names the column 'text' twice"):
        scan(path, "csv")


def test_a_missing_column_is_refused_naming_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("number,text\n1,a\n")
    with pytest.raises(InputError, match="no column 'to' \\(its columns: number, text\\)"):
        scan(path, "csv", needed=["to", "text"])


def test_rows_carry_the_line_they_start_on_and_continue_after_a_line() -> None:
    text = 'to,text\n1,a\n\n2,"b\nc"\n3,d\n'
    rows = list(read_rows(io.StringIO(text), "csv"))
    assert rows == [
        (2, {"to": "1", "text": "a"}, None),
        (4, {"to": "2", "text": "b\nc"}, None),
        (6, {"to": "3", "text": "d"}, None),
    ]
    # continuing after a row's line gives the rows after it, with the same lines
    assert list(read_rows(io.StringIO(text), "csv", after=2)) == rows[1:]
    assert list(read_rows(io.StringIO(text), "csv", after=4)) == rows[2:]
    jsonl = '{"to": 1}\n\n{"to": 2}\n'
    assert [r.line for r in read_rows(io.StringIO(jsonl), "jsonl", after=1)] == [3]


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(b"\xef\xbb\xbfto,text\n1,a\n")
    assert scan(path, "csv", needed=["to", "text"]) == 1
    with open_text(path) as stream:
        assert list(read_rows(stream, "csv")) == [(2, {"to": "1", "text": "a"}, None)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_file_that_is_not_utf8_is_refused_at_its_first_bad_line(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"m.{fmt}"
    good = "to,text\n1,a\n" if fmt == "csv" else '{"to": 1}\n{"to": 2}\n'
    # "Sayın" saved as Windows-1254: every Turkish letter would be wrong
    path.write_bytes(good.encode() + "3,Sayın\n".encode("cp1254") + b"4,b\n")
    with pytest.raises(InputError, match="line 3: the file is not UTF-8 text") as caught:
        scan(path, fmt)
    assert caught.value.line == 3


def test_a_bad_byte_far_into_a_big_file_is_found_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    with open(path, "wb") as out:
        out.write(b"to,text\n")
        out.write(b"05321112233,merhaba\n" * 100_000)
        out.write(b"05321112233,\xfe\n")
    with pytest.raises(InputError) as caught:
        scan(path, "csv")
    assert caught.value.line == 100_002


def test_json_lines_bad_lines_and_deep_nesting() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    data = f'{{"to": 1, "text": "a"}}\nnot json\n[1]\n{{"to": {deep}}}\n'
    rows = list(read_rows(io.StringIO(data), "jsonl"))
    assert [(r.line, r.error) for r in rows] == [
        (1, None),
        (2, "the line is not valid JSON"),
        (3, "the line is not a JSON object"),
        (4, "the line's JSON is nested too deeply"),
    ]


@pytest.mark.parametrize(
    "template", ["{name:>10000000000}", "{name!r}", "{0}", "{a.b}", "{a[0]}", "{x", "{}"]
)
def test_templates_take_plain_column_names_only(template: str) -> None:
    with pytest.raises(ValidationError, match="--template"):
        Template.parse(template, option="--template")


@given(
    st.dictionaries(
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        st.text(min_size=1).filter(lambda v: v.strip()),
        min_size=1,
        max_size=4,
    )
)
def test_a_template_fills_exactly_like_str_format(values: dict[str, str]) -> None:
    text = "Sayın " + " / ".join(f"{{{k}}}" for k in values) + " {{literal}}"
    assert Template.parse(text).fill(values) == text.format(**values)


def test_an_empty_placeholder_value_is_refused() -> None:
    template = Template.parse("Sayın {name}, kod {code}")
    with pytest.raises(ValueError, match=r"\{name\} has an empty value"):
        template.fill({"name": "  ", "code": "1"})
    with pytest.raises(ValueError, match=r"no value for the placeholder \{code\}"):
        template.fill({"name": "Ali"})


_MEASURE = """
import resource, sys
from ileti.campaign.source import open_text, read_rows
count = 0
with open_text(sys.argv[1]) as stream:
    for row in read_rows(stream, "csv"):
        count += 1
        if count == 10_000:
            early = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(count, row.line, early, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_a_million_rows_are_read_in_flat_memory(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as out:
        out.write("to,name\n")
        for i in range(1_000_000):
            out.write(f"0532{i:07d},Müşteri {i}\n")
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    count, last_line, early_kb, peak_kb = map(int, done.stdout.split())
    assert (count, last_line) == (1_000_000, 1_000_001)
    # the peak after a million rows is the peak after ten thousand, give or take 2 MB
    assert peak_kb - early_kb < 2048, (early_kb, peak_kb)
