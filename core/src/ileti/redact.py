"""Secret redaction: one place that knows how a secret can show up in text.

A :class:`Redactor` masks each secret in the forms it takes on the wire
(plain, URL-encoded, form-encoded, JSON- and XML-escaped, base64 inside an
HTTP Basic header). Every live client registers its secrets with the process
registry, and :func:`install_log_filters` puts a filter on urllib3's loggers
(which print URLs with their query strings at DEBUG) and on ileti's own, so
that no log record carries a secret whoever configured logging.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

__all__ = ["MASK", "Redactor", "install_log_filters", "redact", "register_secrets"]

MASK = "****"

#: header names whose whole value is always masked
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

#: query/form/JSON/XML field names whose value is always masked (lower case)
SENSITIVE_FIELDS = frozenset(
    {
        "password",
        "passwd",
        "parola",
        "sifre",
        "apikey",
        "api_key",
        "token",
        "secret",
        "pass",
    }
)

_FIELD_RE = re.compile(
    r"(?i)(?P<key>\b(?:" + "|".join(sorted(SENSITIVE_FIELDS, key=len, reverse=True)) + r"))"
    r"(?P<sep>\"?\s*[=:]\s*\"?|>)(?P<value>[^&\s\"<,;}]+)"
)


def _variants(secret: str) -> set[str]:
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        escape(secret, {'"': "&quot;", "'": "&apos;"}),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    raw = secret.encode()
    forms.add(base64.b64encode(raw).decode())
    return {f for f in forms if len(f) >= 3}


class Redactor:
    """Masks a fixed set of secrets in any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= _variants(secret)
        # longest first so that a form containing another is masked whole
        self._forms = sorted(forms, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(f) for f in self._forms)) if self._forms else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, value: str) -> str:
        """The text with every secret form and every sensitive field masked."""
        if self._pattern is not None:
            value = self._pattern.sub(MASK, value)
        return _FIELD_RE.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            k: (MASK if k.lower() in SENSITIVE_HEADERS else self.text(v))
            for k, v in headers.items()
        }

    def __repr__(self) -> str:
        return f"Redactor({len(self._forms)} forms)"


_lock = threading.Lock()
_registered: set[str] = set()
_global = Redactor()


def register_secrets(secrets: Iterable[str]) -> None:
    """Add secrets to the process-wide set masked in every log record."""
    global _global
    new = {s for s in secrets if s}
    with _lock:
        if new <= _registered:
            return
        _registered.update(new)
        _global = Redactor(_registered)


def redact(value: str) -> str:
    """Mask every registered secret (and sensitive field) in a text."""
    return _global.text(value)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with every registered secret masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw template only
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # the formatted traceback may quote URLs; keep only a redacted summary
            exc = record.exc_info[1]
            record.msg = f"{record.msg} [{type(exc).__name__}: {redact(str(exc))}]"
            record.exc_info = None
            record.exc_text = None
        return True


_FILTER = RedactingFilter()
_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "ileti",
    "ileti.transport",
)
_installed = False


def install_log_filters() -> None:
    """Put the redacting filter on urllib3's and ileti's loggers (idempotent).

    A logger's filters see only records logged to that logger itself, so
    each logger that urllib3 writes to gets its own.
    """
    global _installed
    if _installed:
        return
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    _installed = True
