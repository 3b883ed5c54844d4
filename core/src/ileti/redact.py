"""Secret redaction: one place that knows how a secret can show up in text.

A :class:`Redactor` masks each secret in every form it can take on the
wire: each encoding of :data:`WIRE_ENCODINGS` (URL and form encoding, XML
and HTML escaping, JSON) and any two of them one inside the other (XML
escaped then URL-encoded, JSON inside XML, ...), and base64 at any
alignment (a password inside HTTP Basic's ``user:password``). Every live
client registers its secrets with the process registry (for as long as it
lives: :func:`register_secrets`), and
:func:`install_log_filters` puts a filter on urllib3's loggers (which print
URLs with their query strings at DEBUG) and on ileti's own, so that no log
record carries a secret whoever configured logging.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from ileti._env import MASK

__all__ = ["MASK", "Redactor", "install_log_filters", "redact", "register_secrets"]


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
        "privatekey",
    }
)

_FIELD_RE = re.compile(
    r"(?i)(?P<key>\b(?:" + "|".join(sorted(SENSITIVE_FIELDS, key=len, reverse=True)) + r"))"
    r"(?P<sep>\"?\s*[=:]\s*\"?|>)(?P<value>[^&\s\"<,;}]+)"
)


def escape(value: str, entities: Mapping[str, str] | None = None) -> str:
    """XML text escaping, as ``xml.sax.saxutils.escape`` does it (``&``, ``<``,
    ``>``, then ``entities``): written here because importing ``xml.sax``
    pulls ``urllib.request``, ``http.client``, ``ssl`` and ``email`` into
    every command (a test compares the two)."""
    value = value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for char, entity in (entities or {}).items():
        value = value.replace(char, entity)
    return value


def _xml_attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _xml_quotes(value: str) -> str:
    return escape(value, {'"': "&quot;", "'": "&apos;"})


def _xml_numeric_quotes(value: str) -> str:
    return escape(value, {'"': "&#34;", "'": "&#39;"})


def _json(value: str) -> str:
    return json.dumps(value)[1:-1]


def _json_unicode(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _url(value: str) -> str:
    return quote(value, safe="")


#: every encoding a value can take on our wire, in one table: URL query and
#: form encoding (the transport's ``urlencode``, ``HttpRequest.form_body``),
#: XML text as xmltodict and ``saxutils`` write it (only ``& < >`` escaped),
#: XML attributes and HTML (quotes escaped by name or number), and JSON
#: (``HttpRequest.json_body`` keeps non-ASCII; ``json.dumps`` escapes it)
WIRE_ENCODINGS: tuple[Callable[[str], str], ...] = (
    _url,
    quote,  # "/" kept
    quote_plus,
    escape,
    _xml_attr,
    _xml_quotes,
    _xml_numeric_quotes,
    html.escape,
    _json,
    _json_unicode,
)
#: how many encodings may wrap one another (XML inside a URL-encoded form,
#: JSON inside XML, ...)
LAYERS = 2
#: a masked form shorter than this would mask ordinary text
MIN_FORM = 3
MIN_BASE64_CORE = 6


def _base64_cores(raw: bytes) -> set[str]:
    """The base64 characters that depend on ``raw`` alone, at each of the three
    byte alignments it can have inside a longer value (``user:password``)."""
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw + b"\0\0").decode()
        first = -(-offset * 8 // 6)  # the first character made of raw's bits only
        last = (offset + len(raw)) * 8 // 6  # one past the last such character
        cores.add(encoded[first:last])
    return cores


@functools.lru_cache(maxsize=4096)
def _variants(secret: str) -> frozenset[str]:
    """Every form ``secret`` can take on the wire: up to :data:`LAYERS`
    encodings of :data:`WIRE_ENCODINGS` around it, and base64 (HTTP Basic)."""
    forms = {secret}
    layer = {secret}
    for _ in range(LAYERS):
        layer = {encode(form) for form in layer for encode in WIRE_ENCODINGS} - forms
        forms |= layer
    for form in list(forms):
        for encoding in ("utf-8", "latin-1"):
            try:
                raw = form.encode(encoding)
            except UnicodeEncodeError:
                continue
            forms.add(base64.b64encode(raw).decode())
            if form == secret:  # a core this short could be anyone's base64
                forms |= {core for core in _base64_cores(raw) if len(core) >= MIN_BASE64_CORE}
    return frozenset(f for f in forms if len(f) >= MIN_FORM)


def _trie_pattern(forms: Iterable[str]) -> str:
    """One regular expression matching any of ``forms``, the longest first,
    as a trie: its cost grows with the text, not with the number of forms."""
    root: dict[str, Any] = {}
    for form in forms:
        node = root
        for char in form:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = []
        for char in sorted(c for c in node if c):
            run, child = char, node[char]
            while len(child) == 1 and "" not in child:  # a chain without choices
                ((char, child),) = child.items()
                run += char
            branches.append(re.escape(run) + emit(child))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


class Redactor:
    """Masks a fixed set of secrets in any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= _variants(secret)
        self._forms = sorted(forms, key=len, reverse=True)
        # a trie tries the longest form first, so a form containing another is masked whole
        self._pattern = re.compile(_trie_pattern(self._forms)) if self._forms else None

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


_lock = threading.RLock()  # reentrant: a release may run from the GC inside a registration
#: secret -> how many live owners hold it
_held: dict[str, int] = {}
#: secrets registered without an owner: masked for the life of the process
_permanent: set[str] = set()
#: the secrets the current process-wide redactor was built from
_built: frozenset[str] = frozenset()
_global = Redactor()


def register_secrets(secrets: Iterable[str], *, owner: object | None = None) -> None:
    """Add secrets to the process-wide set masked in every log record.

    With ``owner`` (a client, a transport, a login: any object that can be
    weakly referenced), the secrets are masked while ``owner`` is alive, and
    leave the set when the last owner holding them is gone; a long-running
    process that makes clients with per-tenant or rotating credentials then
    does not keep, and match every log line against, every credential it
    ever saw. Without ``owner`` they stay for the life of the process.
    """
    new = tuple(dict.fromkeys(s for s in secrets if s))
    if not new:
        return
    with _lock:
        if owner is None:
            _permanent.update(new)
        else:
            for secret in new:
                _held[secret] = _held.get(secret, 0) + 1
            weakref.finalize(owner, _release, new)
        _rebuild()


def _release(secrets: tuple[str, ...]) -> None:
    """An owner is gone: its secrets leave the set unless another holds them."""
    with _lock:
        for secret in secrets:
            left = _held.get(secret, 0) - 1
            if left > 0:
                _held[secret] = left
            else:
                _held.pop(secret, None)
        _rebuild()


def _rebuild() -> None:
    """Rebuild the process-wide redactor if the set of secrets changed (under _lock)."""
    global _global, _built
    known = frozenset(_permanent.union(_held))
    if known != _built:
        _global = Redactor(known)
        _built = known


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
