"""``ileti send-multi``: a personalised text for each row of a CSV or JSONL file.

The file is streamed: rows are read, checked and sent in batches, so a file
of any size needs memory for one batch per encoding only. A row that cannot
be sent (no number, a bad number, no text, a placeholder without a value, a
text too long) is reported with its line number and the others are still
sent. Rows are grouped by the encoding their text needs, so that one long
Turkish row never forces a whole batch into UCS-2.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import string
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

import attrs

from ileti.cli import EXIT_INVALID, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, CliError, exit_code_for
from ileti.cli import _common as common
from ileti.cli.send import add_message_options

if TYPE_CHECKING:
    from ileti.client import Client
    from ileti.errors import IletiError
    from ileti.models import SendResult

DEFAULT_BATCH_SIZE = 500
#: how often (in rows) the progress bar is redrawn
_PROGRESS_EVERY = 50


def _batch_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the batch size must be at least 1")
    return value


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "send-multi",
        help="send each row of a CSV or JSONL file its own text",
        description="Send each row of a CSV file (with a header row) or a JSON Lines file its "
        "own text: the row's text column, or --template filled from the row's columns. The "
        "file is streamed and sent in batches; rows that cannot be sent are reported with "
        "their line numbers and the rest are still sent. Exit code 0 when every row was "
        "sent, 3 when some rows were refused before sending (the others were sent), 4 when "
        "the provider refused some recipients; when a batch fails the run stops with that "
        "failure's code and the summary says which rows were sent.",
    )
    common.add_provider_option(p)
    p.add_argument("file", metavar="FILE", help="a CSV or JSON Lines file ('-': standard input)")
    p.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        help="the file's format (default: JSON Lines for .jsonl/.ndjson names, else CSV)",
    )
    p.add_argument(
        "--template",
        metavar="TEXT",
        help="the text for every row, with {column} placeholders, e.g. 'Sayın {name}, ...'",
    )
    p.add_argument(
        "--to-column", default="to", metavar="NAME", help="the column of numbers (default: to)"
    )
    p.add_argument(
        "--text-column",
        default="text",
        metavar="NAME",
        help="the column of texts when there is no --template (default: text)",
    )
    p.add_argument(
        "--delimiter", default=",", metavar="CHAR", help="the CSV delimiter (default: ',')"
    )
    p.add_argument(
        "--batch-size",
        type=_batch_size,
        metavar="N",
        help=f"rows per request (default: {DEFAULT_BATCH_SIZE}, or the provider's maximum "
        "recipients per request if lower)",
    )
    add_message_options(p, client_ref=False)
    common.add_json_option(p)
    p.set_defaults(func=run)


# -- reading -----------------------------------------------------------------------


@attrs.define
class _Row:
    """A row read from the file: its columns, or why they cannot be read."""

    line: int
    data: dict[str, str] | None
    error: str = ""


class _Lines:
    """Decoded lines of a binary stream, counting bytes and noting non-UTF-8 lines."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.bytes_read = 0
        self.bad: set[int] = set()
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.bytes_read += len(raw)
            self.number += 1
            try:
                text = raw.decode("utf-8-sig" if self.number == 1 else "utf-8")
            except UnicodeDecodeError:
                self.bad.add(self.number)
                text = raw.decode("utf-8", errors="replace")
            yield text


def _cell(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _jsonl_rows(lines: _Lines) -> Iterator[_Row]:
    for text in lines:
        line = lines.number
        if not text.strip():
            continue
        if line in lines.bad:
            yield _Row(line, None, "the line is not UTF-8 text")
            continue
        try:
            obj = json.loads(text)
        except ValueError:
            yield _Row(line, None, "the line is not valid JSON")
            continue
        if not isinstance(obj, dict):
            yield _Row(line, None, "the line is not a JSON object")
            continue
        yield _Row(line, {str(k): _cell(v) for k, v in obj.items() if v is not None})


def _csv_rows(lines: _Lines, delimiter: str, needed: list[str]) -> Iterator[_Row]:
    reader = csv.reader(iter(lines), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CliError(f"the CSV header cannot be read: {exc}") from None
    if header is None:
        raise CliError("the file is empty: a CSV file needs a header row naming its columns")
    header = [h.strip() for h in header]
    missing = [n for n in needed if n not in header]
    if missing:
        raise CliError(
            f"the CSV header has no column {', '.join(repr(m) for m in missing)} "
            f"(its columns: {', '.join(header)}); see --to-column, --text-column, --template"
        )
    previous = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _Row(previous + 1, None, f"the CSV row cannot be read: {exc}")
            previous = reader.line_num
            continue
        start, previous = previous + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue
        if lines.bad.intersection(range(start, previous + 1)):
            yield _Row(start, None, "the row is not UTF-8 text")
        elif len(values) > len(header):
            yield _Row(start, None, f"{len(values)} values for {len(header)} columns")
        else:
            yield _Row(start, dict(zip(header, values, strict=False)))


def template_fields(template: str) -> list[str]:
    """The column names a template uses; usage error for positional or dotted fields."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise CliError(
            f"--template is malformed: {exc} (write {{{{ and }}}} for braces)", EXIT_USAGE
        ) from None
    fields = []
    for _literal, field, spec, _conversion in parsed:
        if field is None:
            continue
        if (
            not field.strip()
            or field.isdigit()
            or any(c in field for c in ".[")
            or "{" in (spec or "")
        ):
            raise CliError(
                f"--template placeholder {{{field}}} is not a column name: write {{column}}",
                EXIT_USAGE,
            )
        fields.append(field)
    return list(dict.fromkeys(fields))


# -- sending -----------------------------------------------------------------------


@attrs.define
class _Item:
    line: int
    number: str
    text: str
    parts: int
    encoding: str


@attrs.define
class _Summary:
    rows: int = 0
    sent: int = 0
    refused_by_provider: int = 0
    invalid: int = 0
    unknown: int = 0
    not_sent: int = 0
    parts: int = 0
    batches: int = 0
    message_ids: list[str] = attrs.field(factory=list)
    invalid_lines: list[int] = attrs.field(factory=list)
    refused_lines: list[int] = attrs.field(factory=list)
    stopped: dict[str, Any] | None = None
    exit_code: int = EXIT_OK


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total_bytes: int | None) -> None:
        self.stream = sys.stderr
        self.on = common.is_terminal(self.stream)
        self.total = total_bytes
        self.shown = False

    def draw(self, done_bytes: int, summary: _Summary) -> None:
        if not self.on:
            return
        counts = f"{summary.rows} rows, {summary.sent} sent, {summary.invalid} refused"
        if self.total:
            share = min(1.0, done_bytes / self.total)
            filled = int(share * 30)
            bar = f"[{'#' * filled}{'-' * (30 - filled)}] {share:4.0%}  "
        else:
            bar = ""
        self.stream.write(f"\r\x1b[K{bar}{counts}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


class _Run:
    def __init__(self, args: argparse.Namespace, client: Client, progress: _Progress) -> None:
        self.args = args
        self.client = client
        self.progress = progress
        self.summary = _Summary()
        self.groups: dict[str, list[_Item]] = {}
        info = client.info
        limit = info.max_recipients
        size = args.batch_size or min(DEFAULT_BATCH_SIZE, limit or DEFAULT_BATCH_SIZE)
        if limit is not None and size > limit:
            self.note(f"--batch-size {size} is more than {client.provider} takes; using {limit}")
            size = limit
        self.batch_size = size
        self.template = args.template
        #: --encoding, else the provider's default_encoding setting
        self.encoding: str = client.effective_encoding(args.encoding)

    # output ------------------------------------------------------------------------

    def note(self, message: str) -> None:
        self.progress.clear()
        print(f"ileti: {message}", file=sys.stderr)

    def row_event(self, line: int, number: str | None, status: str, **extra: Any) -> None:
        if self.args.json:
            common.print_json({"line": line, "to": number, "status": status, **extra}, compact=True)

    # rows --------------------------------------------------------------------------

    def take(self, row: _Row) -> None:
        self.summary.rows += 1
        checked = row.error if row.data is None else self.check(row.line, row.data)
        if not isinstance(checked, _Item):
            self.summary.invalid += 1
            self.summary.invalid_lines.append(row.line)
            raw = (row.data or {}).get(self.args.to_column)
            if not self.args.json:
                self.note(f"line {row.line}: {checked} (not sent)")
            self.row_event(row.line, raw, "invalid", reason=checked)
            return
        group = self.groups.setdefault(checked.encoding, [])
        group.append(checked)
        if len(group) >= self.batch_size:
            self.flush(checked.encoding)

    def check(self, line: int, data: dict[str, str]) -> _Item | str:
        """The row as an item to send, or why it cannot be sent."""
        from ileti.client import check_text
        from ileti.errors import IletiError
        from ileti.numbers import normalise_number
        from ileti.text import ensure_fits, segment

        raw = (data.get(self.args.to_column) or "").strip()
        if not raw:
            return f"no number in column {self.args.to_column!r}"
        if self.template is not None:
            try:
                text = self.template.format_map(data)
            except KeyError as exc:
                return f"no value for the placeholder {{{exc.args[0]}}}"
            except ValueError as exc:
                return f"the template cannot be filled: {exc}"
        else:
            value = data.get(self.args.text_column)
            if value is None or not value.strip():
                return f"no text in column {self.args.text_column!r}"
            text = value
        try:
            number = normalise_number(raw)
            check_text(text)
            profile = self.client.info.text
            seg = segment(text, self.encoding, profile, fold=self.args.fold_turkish)
            ensure_fits(seg, profile, provider=self.client.provider)
        except IletiError as exc:
            return exc.message
        return _Item(line, number, text, seg.parts, seg.encoding)

    def flush(self, key: str) -> None:
        from ileti.errors import IletiError
        from ileti.models import Batch, BatchItem

        items = self.groups.pop(key, [])
        if not items:
            return
        batch = Batch(
            items=tuple(BatchItem(i.number, i.text) for i in items),
            sender=self.args.sender,
            schedule=self.args.schedule,
            validity=self.args.validity,
            encoding=key,
            flash=self.args.flash,
            fold_turkish=self.args.fold_turkish,
        )
        lines = (
            f"lines {items[0].line}-{items[-1].line}" if len(items) > 1 else f"line {items[0].line}"
        )
        try:
            if self.args.dry_run:
                self.client.prepare_batch(batch)
                result = None
            else:
                result = self.client.send_multi(batch)
        except IletiError as exc:
            self.stop(exc, items, lines)
            raise _Stop from None
        self.summary.batches += 1
        if result is None:
            self.summary.sent += len(items)
            self.summary.parts += sum(i.parts for i in items)
            if not self.args.json:
                self.note_out(
                    f"batch {self.summary.batches} ({key}, {lines}): "
                    f"{len(items)} rows would be sent"
                )
            for item in items:
                self.row_event(item.line, item.number, "would send", parts=item.parts)
            return
        self.account(result, items, key, lines)

    def account(self, result: SendResult, items: list[_Item], key: str, lines: str) -> None:
        if result.message_id:
            self.summary.message_ids.append(result.message_id)
        outcomes = list(result.recipients)
        accepted = 0
        for index, item in enumerate(items):
            outcome = outcomes[index] if index < len(outcomes) else None
            if outcome is not None and outcome.accepted:
                accepted += 1
                self.summary.sent += 1
                self.summary.parts += item.parts
                self.row_event(
                    item.line,
                    item.number,
                    "accepted",
                    message_id=result.message_id,
                    recipient_id=outcome.message_id,
                )
                continue
            reason = (
                (outcome.reason or outcome.raw_code or "refused")
                if outcome is not None
                else "the provider's answer does not mention this recipient"
            )
            self.summary.refused_by_provider += 1
            self.summary.refused_lines.append(item.line)
            if not self.args.json:
                self.note(f"line {item.line}: {item.number} refused by the provider: {reason}")
            self.row_event(
                item.line, item.number, "refused", reason=reason, message_id=result.message_id
            )
        if not self.args.json:
            self.note_out(
                f"batch {self.summary.batches} ({key}, {lines}): message id "
                f"{result.message_id or '(none given)'}, {accepted} of {len(items)} accepted"
            )

    def note_out(self, message: str) -> None:
        self.progress.clear()
        print(message, flush=True)

    def stop(self, exc: IletiError, items: list[_Item], lines: str) -> None:
        from ileti.errors import DeliveryUnknown

        unknown = isinstance(exc, DeliveryUnknown)
        status = "unknown" if unknown else "not sent"
        if unknown:
            self.summary.unknown += len(items)
        else:
            self.summary.not_sent += len(items)
        self.summary.stopped = {
            "error": str(exc),
            "error_type": type(exc).__name__,
            "lines": lines,
            "client_ref": getattr(exc, "client_ref", None),
            "exit_code": exit_code_for(exc),
        }
        for item in items:
            self.row_event(item.line, item.number, status, reason=str(exc))
        if not self.args.json:
            self.note(f"the batch of {lines} failed: {exc}")
            if unknown:
                self.note(
                    f"the batch of {lines} may have been sent: do not send those rows again "
                    "blindly; check the provider's reports or panel first"
                )

    def finish(self) -> None:
        for key in list(self.groups):
            self.flush(key)

    def abandon(self) -> None:
        """After a failed batch: the rows still waiting in other batches are not sent."""
        for items in self.groups.values():
            self.summary.not_sent += len(items)
            for item in items:
                self.row_event(item.line, item.number, "not sent", reason="an earlier batch failed")
        self.groups.clear()


class _Stop(Exception):
    """A batch failed: stop reading, report."""


def _open(path: str) -> tuple[IO[bytes], int | None, bool]:
    """The file as bytes, its size when known, and whether to close it."""
    if path == "-":
        return sys.stdin.buffer, None, False
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise CliError(f"cannot open {path!r}: {exc.strerror}") from None
    try:
        size = os.fstat(stream.fileno()).st_size or None
    except OSError:
        size = None
    return stream, size, True


def _format(args: argparse.Namespace) -> str:
    if args.format:
        fmt: str = args.format
        return fmt
    return "jsonl" if args.file.lower().endswith((".jsonl", ".ndjson")) else "csv"


def run(args: argparse.Namespace) -> int:
    fields = template_fields(args.template) if args.template is not None else []
    if len(args.delimiter) != 1:
        raise CliError("--delimiter must be one character", EXIT_USAGE)
    fmt = _format(args)
    client = common.make_client(args)
    with client:
        common.require(client, "send_multi")
        _check_options(client, args)
        stream, size, owned = _open(args.file)
        progress = _Progress(size)
        job = _Run(args, client, progress)
        try:
            lines = _Lines(stream)
            if fmt == "csv":
                needed = [args.to_column, *(fields or [args.text_column])]
                rows = _csv_rows(lines, args.delimiter, needed)
            else:
                rows = _jsonl_rows(lines)
            try:
                for row in rows:
                    job.take(row)
                    if job.summary.rows % _PROGRESS_EVERY == 0:
                        progress.draw(lines.bytes_read, job.summary)
                job.finish()
            except _Stop:
                job.abandon()
        finally:
            progress.clear()
            if owned:
                stream.close()
    return _report(args, job.summary)


def _check_options(client: Client, args: argparse.Namespace) -> None:
    """Refuse options the provider does not take before reading a row.

    The client checks options when it prepares a message; preparing a probe
    message with them (no request is made) gives exactly its verdict.
    """
    from ileti.models import Message

    client.prepare(
        Message(
            recipients=("+905321112233",),
            text="probe",
            sender=args.sender,
            schedule=args.schedule,
            validity=args.validity,
            encoding=args.encoding,
            flash=args.flash,
            fold_turkish=args.fold_turkish,
        )
    )


def _report(args: argparse.Namespace, summary: _Summary) -> int:
    if summary.stopped is not None:
        summary.exit_code = summary.stopped["exit_code"]
    elif summary.rows == 0 or summary.invalid:
        summary.exit_code = EXIT_INVALID
    elif summary.refused_by_provider:
        summary.exit_code = EXIT_REFUSED
    if args.json:
        common.print_json({"summary": summary}, compact=True)
        return summary.exit_code
    verb = "would be sent" if args.dry_run else "sent"
    print(
        f"Summary: {summary.rows} rows; {summary.sent} {verb} ({summary.parts} parts) in "
        f"{summary.batches} requests"
    )
    if summary.message_ids:
        print(f"  message ids: {', '.join(summary.message_ids)}")
    if summary.invalid:
        print(
            f"  {summary.invalid} refused before sending (lines {_ranges(summary.invalid_lines)}): "
            "fix them and send those rows again"
        )
    if summary.refused_by_provider:
        print(
            f"  {summary.refused_by_provider} refused by the provider "
            f"(lines {_ranges(summary.refused_lines)})"
        )
    if summary.unknown:
        print(
            f"  {summary.unknown} may have been sent (delivery unknown, client reference "
            f"{summary.stopped and summary.stopped['client_ref']}): do not resend them blindly"
        )
    if summary.not_sent:
        print(f"  {summary.not_sent} not sent because a batch failed")
    if summary.stopped is not None:
        print(
            f"  stopped: the batch of {summary.stopped['lines']} failed; later rows were not read"
        )
    if summary.rows == 0:
        print("  the file has no rows")
    return summary.exit_code


def _ranges(lines: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(n) for n in lines[:limit])
    return shown + (f" and {len(lines) - limit} more" if len(lines) > limit else "")
