"""Reading a campaign's recipients: strict CSV, JSON Lines, or Python mappings.

Files are streamed, never loaded whole. Each row comes with its line number
(the line where it starts) and the byte offset just after it, so an import
interrupted by a crash continues where its last committed row ended.

CSV is read strictly. The whole file is checked for its structure first
(:func:`scan`), before anything is imported or sent: an unterminated quote
(which would merge the following rows into one SMS), a duplicate or missing
column refuses the file, naming the line. Problems of one row's content (no
number, more values than columns, an empty value for a placeholder) make
only that row ``invalid``.
"""

from __future__ import annotations

import csv
import json
import string
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

import attrs

from ileti.errors import ValidationError

__all__ = [
    "InputError",
    "SourceRow",
    "Template",
    "detect_format",
    "iter_mappings",
    "read_rows",
    "scan",
]

#: the longest CSV field accepted (csv's own default is 128 KiB)
MAX_FIELD = 64 * 1024


class InputError(ValidationError):
    """The input file cannot be read as asked: nothing was imported or sent.

    ``line`` is the line the problem starts on, when there is one.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        if line is not None:
            message = f"line {line}: {message}"
        super().__init__(message)


@attrs.frozen
class SourceRow:
    """A row as read: its columns, or why they cannot be read."""

    line: int
    end: int
    data: dict[str, str] | None
    error: str | None = None


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """``csv`` or ``jsonl``: ``fmt`` if given, else by the file name."""
    if fmt is not None:
        if fmt not in ("csv", "jsonl"):
            raise ValidationError(f"the input format must be 'csv' or 'jsonl', not {fmt!r}")
        return fmt
    return "jsonl" if str(path).lower().endswith((".jsonl", ".ndjson")) else "csv"


class _Lines:
    """Decoded lines of a binary stream with the byte offset after each."""

    def __init__(self, stream: IO[bytes], *, offset: int = 0, line: int = 0) -> None:
        self.stream = stream
        self.offset = offset
        self.number = line
        self.bad: set[int] = set()
        self._first = offset == 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.offset += len(raw)
            self.number += 1
            try:
                text = raw.decode("utf-8-sig" if self._first else "utf-8")
            except UnicodeDecodeError:
                self.bad.add(self.number)
                text = raw.decode("utf-8", errors="replace")
            self._first = False
            yield text


def _cell(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_reader(lines: _Lines, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(iter(lines), delimiter=delimiter, strict=True)


def read_header(stream: IO[bytes], delimiter: str = ",") -> tuple[list[str], int, int]:
    """The header of a CSV stream: its columns, and the line and offset after it."""
    lines = _Lines(stream)
    reader = _csv_reader(lines, delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"the CSV header cannot be read: {exc}", line=1) from None
    if header is None:
        raise InputError("the file is empty: a CSV file needs a header row naming its columns")
    if 1 in lines.bad:
        raise InputError("the header is not UTF-8 text", line=1)
    columns = [h.strip() for h in header]
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise InputError("the header has an empty column name", line=1)
        if name in seen:
            raise InputError(f"the header names the column {name!r} twice", line=1)
        seen.add(name)
    return columns, lines.number, lines.offset


def check_columns(header: list[str], needed: Iterable[str]) -> None:
    missing = [n for n in needed if n not in header]
    if missing:
        raise InputError(
            f"the CSV header has no column {', '.join(repr(m) for m in missing)} "
            f"(its columns: {', '.join(header)})",
            line=1,
        )


def _csv_rows(
    stream: IO[bytes], header: list[str], delimiter: str, line: int, offset: int
) -> Iterator[SourceRow]:
    lines = _Lines(stream, offset=offset, line=line)
    reader = _csv_reader(lines, delimiter)
    previous = line
    while True:
        start = previous + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(
                f"the CSV row cannot be read ({exc}); an unterminated quote would merge the "
                "rows after it into one message: fix the file",
                line=start,
            ) from None
        previous = lines.number
        if not "".join(values).strip():
            continue
        if lines.bad and lines.bad.intersection(range(start, previous + 1)):
            yield SourceRow(start, lines.offset, None, "the row is not UTF-8 text")
            continue
        if len(values) > len(header):
            reason = f"{len(values)} values for {len(header)} columns (quote values that hold "
            yield SourceRow(start, lines.offset, None, reason + "the delimiter)")
            continue
        yield SourceRow(start, lines.offset, dict(zip(header, values, strict=False)))


def _jsonl_rows(stream: IO[bytes], line: int, offset: int) -> Iterator[SourceRow]:
    lines = _Lines(stream, offset=offset, line=line)
    for text in lines:
        number = lines.number
        if not text.strip():
            continue
        if number in lines.bad:
            yield SourceRow(number, lines.offset, None, "the line is not UTF-8 text")
            continue
        try:
            obj = json.loads(text)
        except RecursionError:
            yield SourceRow(number, lines.offset, None, "the line's JSON is nested too deeply")
            continue
        except ValueError:
            yield SourceRow(number, lines.offset, None, "the line is not valid JSON")
            continue
        if not isinstance(obj, dict):
            yield SourceRow(number, lines.offset, None, "the line is not a JSON object")
            continue
        data = {str(k): _cell(v) for k, v in obj.items() if v is not None}
        yield SourceRow(number, lines.offset, data)


def read_rows(
    stream: IO[bytes],
    fmt: str,
    *,
    delimiter: str = ",",
    header: list[str] | None = None,
    line: int = 0,
    offset: int = 0,
) -> Iterator[SourceRow]:
    """Rows of a stream positioned at ``offset`` (after ``line`` lines).

    For CSV from the start, the header is read here; to continue an import,
    pass the ``header`` read before and the position of the last row taken.
    """
    if fmt == "csv":
        if header is None:
            header, line, offset = read_header(stream, delimiter)
        return _csv_rows(stream, header, delimiter, line, offset)
    return _jsonl_rows(stream, line, offset)


def scan(path: str | Path, fmt: str, *, delimiter: str = ",", needed: Iterable[str] = ()) -> int:
    """Check a whole file's structure before anything is sent; the number of rows.

    Raises :class:`InputError` naming the line of the first structural
    problem (see the module docstring).
    """
    with open(path, "rb") as stream:
        if fmt == "csv":
            header, line, offset = read_header(stream, delimiter)
            check_columns(header, needed)
            return sum(1 for _ in _csv_rows(stream, header, delimiter, line, offset))
        return sum(1 for _ in _jsonl_rows(stream, 0, 0))


def iter_mappings(rows: Iterable[object]) -> Iterator[SourceRow]:
    """Rows given from Python: ``line`` is the position, counted from 1."""
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            yield SourceRow(index, 0, None, f"row {index} is a {type(row).__name__}, not a mapping")
            continue
        yield SourceRow(index, 0, {str(k): _cell(v) for k, v in row.items() if v is not None})


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
