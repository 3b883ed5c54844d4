"""Looking for canary credentials wherever a user could see them."""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

__all__ = ["Canaries", "exception_chain", "exception_texts", "record_texts"]

_STANDARD_RECORD_ATTRS = frozenset(
    logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None).__dict__
) | {"message", "asctime"}


class Canaries:
    """Secret values and the forms they take on the wire (URL-, JSON-, XML-
    escaped, base64, and inside an HTTP Basic ``user:secret`` pair)."""

    def __init__(self, secrets: Mapping[str, str], others: Iterable[str] = ()) -> None:
        self.secrets = dict(secrets)
        forms: dict[str, str] = {}
        for field, secret in self.secrets.items():
            variants = {
                secret,
                quote(secret, safe=""),
                quote_plus(secret),
                escape(secret, {'"': "&quot;", "'": "&apos;"}),
                json.dumps(secret)[1:-1],
                base64.b64encode(secret.encode()).decode(),
            }
            for other in others:
                variants.add(base64.b64encode(f"{other}:{secret}".encode()).decode())
            for variant in variants:
                if len(variant) >= 4:
                    forms[variant] = field
        self._forms = forms

    def __bool__(self) -> bool:
        return bool(self._forms)

    def found_in(self, text: str) -> str | None:
        """The setting whose secret shows in ``text`` (in any form), or ``None``."""
        for form, field in self._forms.items():
            if form in text:
                return field
        return None

    def mask(self, text: str) -> str:
        """``text`` with every form of every secret replaced by ``<field canary>``."""
        for form, field in sorted(self._forms.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(form, f"<{field} canary>")
        return text

    def __repr__(self) -> str:
        return f"Canaries({sorted(self.secrets)})"


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every ``__cause__`` / ``__context__`` behind it, once each."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (current.__cause__, current.__context__):
            if nxt is not None:
                stack.append(nxt)


def exception_texts(exc: BaseException) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for everything a user sees of an exception and its causes."""
    yield "traceback", "".join(traceback.format_exception(exc))
    for item in exception_chain(exc):
        name = type(item).__name__
        yield f"str({name})", str(item)
        yield f"repr({name})", repr(item)
        yield f"{name}.args", repr(item.args)
        for attr, value in vars(item).items():
            yield f"{name}.{attr}", repr(value)
        for note in getattr(item, "__notes__", ()):
            yield f"{name} note", str(note)


def record_texts(record: logging.LogRecord) -> Iterator[str]:
    """Every text of a log record a handler could print."""
    try:
        yield record.getMessage()
    except Exception:
        yield str(record.msg)
    yield repr(record.args)
    for key, value in record.__dict__.items():
        if key not in _STANDARD_RECORD_ATTRS:
            yield f"{key}={value!r}"
    formatter = logging.Formatter()
    if record.exc_info:
        yield formatter.formatException(record.exc_info)
    if record.exc_text:
        yield record.exc_text
    if record.stack_info:
        yield record.stack_info
