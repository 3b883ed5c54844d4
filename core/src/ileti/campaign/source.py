"""Reading a campaign's recipients: strict CSV, JSON Lines, or Python mappings.

Files are streamed, never loaded whole. Each row comes with its line number
(the line where it starts), so an import interrupted by a crash continues
after the last line its last commit covered.

Files are read strictly. The whole file is checked first (:func:`scan`),
before anything is imported or sent: a file that is not UTF-8, an
unterminated quote (which would merge the following rows into one SMS), a
duplicate or missing column refuses the file, naming the line. Problems of
one row's content (no number, more values than columns, an empty value for
a placeholder) make only that row ``invalid``.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import re
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

import attrs

from ileti.errors import ValidationError

__all__ = [
    "CsvBlock",
    "InputError",
    "SourceRow",
    "Template",
    "csv_blocks",
    "detect_format",
    "iter_mappings",
    "read_rows",
    "scan",
]

#: rows read at a time by read_rows
_BLOCK = 256


class InputError(ValidationError):
    """The input file cannot be read as asked: nothing was imported or sent.

    ``line`` is the line the problem starts on, when there is one.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        if line is not None:
            message = f"line {line}: {message}"
        super().__init__(message)


class SourceRow(NamedTuple):
    """A row as read: its line, its columns, or why they cannot be read."""

    line: int
    data: dict[str, str] | None
    error: str | None = None


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """``csv`` or ``jsonl``: ``fmt`` if given, else by the file name."""
    if fmt is not None:
        if fmt not in ("csv", "jsonl"):
            raise ValidationError(f"the input format must be 'csv' or 'jsonl', not {fmt!r}")
        return fmt
    return "jsonl" if str(path).lower().endswith((".jsonl", ".ndjson")) else "csv"


def _cell(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def open_text(path: str | Path) -> IO[str]:
    """The input as text: UTF-8 (a byte order mark is dropped), newlines kept
    as they are, so that a quoted value keeps its line breaks."""
    return open(path, encoding="utf-8-sig", newline="")


def check_utf8(path: str | Path) -> None:
    """Refuse a file that is not UTF-8 text, naming the first bad line.

    A file saved in another encoding (Windows-1254 is common for Turkish)
    would send wrong letters to every row that has one: the whole file is
    refused, so that it can be saved again as UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    lines = 0
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise InputError(
                    "the file is not UTF-8 text: save it as UTF-8 (in Excel: CSV UTF-8)",
                    line=lines + block.count(b"\n", 0, max(exc.start, 0)) + 1,
                ) from None
            lines += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InputError(
                "the file is not UTF-8 text (it ends inside a character): save it as UTF-8",
                line=lines + 1,
            ) from None


def _unreadable(exc: csv.Error, line: int) -> InputError:
    return InputError(
        f"the CSV row cannot be read ({exc}); an unterminated quote would merge the "
        "rows after it into one message: fix the file",
        line=line,
    )


def read_header(stream: IO[str], delimiter: str = ",") -> list[str]:
    """The columns named by the header of a CSV text stream (read from its start)."""
    return _header(csv.reader(stream, delimiter=delimiter, strict=True))


def _header(reader: Any) -> list[str]:
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"the CSV header cannot be read: {exc}", line=1) from None
    if header is None:
        raise InputError("the file is empty: a CSV file needs a header row naming its columns")
    columns = [h.strip() for h in header]
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise InputError("the header has an empty column name", line=1)
        if name in seen:
            raise InputError(f"the header names the column {name!r} twice", line=1)
        seen.add(name)
    return columns


def check_columns(header: list[str], needed: Iterable[str]) -> None:
    missing = [n for n in needed if n not in header]
    if missing:
        raise InputError(
            f"the CSV header has no column {', '.join(repr(m) for m in missing)} "
            f"(its columns: {', '.join(header)})",
            line=1,
        )


class CsvBlock(NamedTuple):
    """Consecutive rows of a CSV file as the reader gave them: the line each
    starts on and its values (a campaign's import checks a block at once
    when it can, and row by row, with :meth:`rows`, when it cannot)."""

    header: list[str]
    #: rows that start on a line up to this one are skipped (imported before)
    after: int
    starts: Sequence[int]
    values: list[list[str]]

    def rows(self) -> list[SourceRow]:
        """The block's rows as :func:`read_rows` gives them: blank rows and
        rows up to ``after`` left out, a row with more values than the header
        has columns given as unreadable."""
        header = self.header
        width = len(header)
        after = self.after
        row = SourceRow
        found: list[SourceRow] = []
        for start, values in zip(self.starts, self.values):  # noqa: B905 - as long
            if start <= after or not _nonblank(values):
                continue
            if len(values) > width:
                found.append(
                    row(
                        start,
                        None,
                        f"{len(values)} values for {width} columns "
                        "(quote values that hold the delimiter)",
                    )
                )
                continue
            # a short row leaves its last columns out; strict= would cost 0.17 µs a row
            found.append(row(start, dict(zip(header, values))))  # noqa: B905
        return found


def csv_blocks(
    stream: IO[str], delimiter: str, after: int, size: int, *, first: int | None = None
) -> Iterator[CsvBlock]:
    """The rows of a CSV text stream read from its start, ``size`` at a time
    (the first block ``first`` at most, when given).

    A row that cannot be read raises :class:`InputError` naming its line,
    after the block of the rows before it.
    """
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    header = _header(reader)
    previous = reader.line_num
    wanted = size if first is None else max(1, min(size, first))
    while True:
        values: list[list[str]] = []
        ends: list[int] = []
        add, end = values.append, ends.append
        failure: InputError | None = None
        try:
            for found in itertools.islice(reader, wanted):
                add(found)
                end(reader.line_num)
        except csv.Error as exc:
            failure = _unreadable(exc, (ends[-1] if ends else previous) + 1)
        except UnicodeDecodeError:
            failure = InputError(
                "the file is no longer UTF-8 text: was it changed while the campaign ran?",
                line=(ends[-1] if ends else previous) + 1,
            )
        if values:
            last = ends[-1]
            # one line a row, the common case; else each row starts after the last one's end
            starts: Sequence[int] = (
                range(previous + 1, last + 1)
                if last - previous == len(ends)
                else [previous + 1, *(e + 1 for e in ends[:-1])]
            )
            yield CsvBlock(header, after, starts, values)
            previous = last
        if failure is not None:
            raise failure
        if len(values) < wanted:
            return
        wanted = size


def _csv_rows(stream: IO[str], delimiter: str, after: int) -> Iterator[SourceRow]:
    """Rows of a CSV text stream read from its start; rows that start on a
    line up to ``after`` are skipped (they were imported before)."""
    for block in csv_blocks(stream, delimiter, after, _BLOCK):
        yield from block.rows()


def _jsonl_rows(stream: IO[str], after: int) -> Iterator[SourceRow]:
    for number, text in enumerate(stream, start=1):
        if number <= after or not text.strip():
            continue
        try:
            obj = json.loads(text)
        except RecursionError:
            yield SourceRow(number, None, "the line's JSON is nested too deeply")
            continue
        except ValueError:
            yield SourceRow(number, None, "the line is not valid JSON")
            continue
        if not isinstance(obj, dict):
            yield SourceRow(number, None, "the line is not a JSON object")
            continue
        yield SourceRow(number, {str(k): _cell(v) for k, v in obj.items() if v is not None})


def read_rows(
    stream: IO[str], fmt: str, *, delimiter: str = ",", after: int = 0
) -> Iterator[SourceRow]:
    """Rows of a text stream (see :func:`open_text`) read from its start.

    Rows that start on a line up to ``after`` are skipped: an import that
    continues after a crash passes the line its last commit covered.
    """
    if fmt == "csv":
        return _csv_rows(stream, delimiter, after)
    return _jsonl_rows(stream, after)


def _nonblank(values: list[str]) -> bool:
    # the common case first: a first value that is not blank
    return bool(values) and (bool(values[0].strip()) or bool("".join(values).strip()))


#: characters read at a time by :func:`plain_rows`: half the CSV reader's
#: default field limit, so that a block's lines are seldom long enough to be
#: worth measuring one by one
_PLAIN_READ = 1 << 16


def plain_rows(stream: IO[str], delimiter: str, *, read: int = _PLAIN_READ) -> int | None:
    """The rows with a non-blank value left in a CSV text stream, counted
    without the CSV reader when the stream holds no quote (the commonest
    file): then each line is a row; ``None`` as soon as the stream proves
    not to be so plain (a quote, a NUL, a line longer than the CSV reader's
    field limit), and the caller reads it with the CSV reader instead.

    Lines end as the CSV reader ends them (LF, CR LF or CR); a line of only
    whitespace and delimiters is a blank row, as the reader's values are
    blank. Reads ``read`` characters at a time.
    """
    # a blank line: the line end before it, then only whitespace and delimiters
    space = r"[^\S\n]*"
    blank = re.compile(rf"\n(?={space}(?:{re.escape(delimiter)}{space})*\n)")
    limit = csv.field_size_limit()
    rows = 0
    carry = ""
    while True:
        block = stream.read(read)
        if '"' in block or "\0" in block:
            return None
        text = carry + block
        end = text.rfind("\n") + 1 if block else len(text)  # complete lines; at the end, all
        carry = text[end:]
        if len(carry) > limit:
            return None
        lines = text[:end].replace("\r\n", "\n").replace("\r", "\n")
        if lines:
            if len(lines) > limit and max(map(len, lines.split("\n"))) > limit:
                return None
            if not lines.endswith("\n"):
                lines += "\n"
            # each line, the first one too, after a line end
            rows += lines.count("\n") - len(blank.findall("\n" + lines))
        if not block:
            return rows


def scan(path: str | Path, fmt: str, *, delimiter: str = ",", needed: Iterable[str] = ()) -> int:
    """Check a whole file's structure before anything is sent; the number of rows.

    Raises :class:`InputError` naming the line of the first structural
    problem (see the module docstring).
    """
    check_utf8(path)
    with open_text(path) as stream:
        if fmt != "csv":
            return sum(map(bool, map(str.strip, stream)))
        reader = csv.reader(stream, delimiter=delimiter, strict=True)
        check_columns(_header(reader), needed)
        plain = plain_rows(stream, delimiter)
        if plain is not None:
            return plain
    with open_text(path) as stream:
        reader = csv.reader(stream, delimiter=delimiter, strict=True)
        next(reader)  # the header, read above
        try:
            # the loop runs in C; a row's line is worked out only for an error
            return sum(map(_nonblank, reader))
        except csv.Error:
            pass
    with open_text(path) as stream:
        for _ in _csv_rows(stream, delimiter, 0):
            pass
    raise AssertionError("the CSV reader failed once and not again")  # pragma: no cover


def iter_mappings(rows: Iterable[object]) -> Iterator[SourceRow]:
    """Rows given from Python: ``line`` is the position, counted from 1."""
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            yield SourceRow(index, None, f"row {index} is a {type(row).__name__}, not a mapping")
            continue
        yield SourceRow(index, {str(k): _cell(v) for k, v in row.items() if v is not None})


@attrs.frozen
class Template:
    """A text with ``{column}`` placeholders filled from each row.

    Only plain placeholders are allowed (no format specs, conversions,
    attributes or indexes): an SMS template needs none, and a spec such as
    ``{name:>10000000000}`` would ask for gigabytes. ``{{`` and ``}}`` are
    literal braces.
    """

    text: str
    fields: tuple[str, ...]
    pieces: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str, *, option: str = "template") -> Template:
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise ValidationError(
                f"{option} is malformed: {exc} (write {{{{ and }}}} for literal braces)"
            ) from None
        pieces: list[tuple[str, str | None]] = []
        for literal, field, spec, conversion in parsed:
            if field is not None:
                bad = (
                    not field.strip()
                    or field.isdigit()
                    or any(c in field for c in ".[]{}")
                    or spec
                    or conversion
                )
                if bad:
                    shown = field + (f"!{conversion}" if conversion else "")
                    shown += f":{spec}" if spec else ""
                    raise ValidationError(
                        f"{option} placeholder {{{shown}}} is not a plain column name: write "
                        "{column} (no format specs, conversions, dots or indexes)"
                    )
            pieces.append((literal, field))
        fields = tuple(dict.fromkeys(f for _, f in pieces if f is not None))
        return cls(text, fields, tuple(pieces))

    @property
    def positional(self) -> str:
        """The template for ``str.format`` with its placeholders numbered in
        the order of :attr:`fields`: ``positional.format(*values)`` is what
        :meth:`fill` gives for those values (none of them blank)."""
        index = {field: i for i, field in enumerate(self.fields)}
        return "".join(
            literal.replace("{", "{{").replace("}", "}}")
            + ("" if field is None else f"{{{index[field]}}}")
            for literal, field in self.pieces
        )

    def fill(self, data: Mapping[str, str]) -> str:
        """The text for one row; ``ValueError`` names a missing or empty value."""
        for field in self.fields:
            value = data.get(field)
            if value is None:
                raise ValueError(f"no value for the placeholder {{{field}}}")
            if not value.strip():
                raise ValueError(f"the placeholder {{{field}}} has an empty value")
        # parse() allowed plain names only, so str.format fills exactly the pieces
        return self.text.format_map(data)
