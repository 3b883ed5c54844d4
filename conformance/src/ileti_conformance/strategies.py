"""Hypothesis strategies: SMS texts around every part boundary, and garbage answers."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import strategies as st

from ileti.text import GSM7

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ileti.text import TextProfile

__all__ = [
    "EMOJI",
    "GSM_BASIC",
    "GSM_EXTENSION",
    "TRICKY_TEXTS",
    "TURKISH",
    "UCS2_ONLY",
    "XML_FORBIDDEN",
    "Answer",
    "GarbageApp",
    "Recorder",
    "boundary_lengths",
    "garbage_answers",
    "readable_junk_answers",
    "sms_texts",
]

#: GSM 03.38 basic characters (XML-safe: every one of them)
GSM_BASIC = "".join(sorted(GSM7.ones or ()))
#: GSM 03.38 extension characters XML can carry (form feed cannot travel in XML)
GSM_EXTENSION = "".join(sorted(c for c in GSM7.twos if c != "\f"))
#: the Turkish letters; Ç Ö Ü ö ü are GSM basic, ç ğ Ğ ı İ ş Ş are not
TURKISH = "çğıİöşüÇĞÖŞÜ"
#: characters outside GSM 03.38 that users type every day
UCS2_ONLY = "₺\u00a0“”‘’\t…жΣ中«»"
#: emoji, modifiers and ZWJ sequences (each a run of UTF-16 surrogate pairs)
EMOJI = (
    "😀",
    "👍🏽",
    "❤️",
    "🇹🇷",
    "👨\u200d👩\u200d👧\u200d👦",
    "🏳️\u200d🌈",
    "🧑🏿\u200d💻",
)
#: decomposed forms NFC turns into one character (s + cedilla, e + acute)
DECOMPOSED = ("s\u0327", "e\u0301", "g\u0306", "I\u0307")
#: texts that break naive escaping or parsing on the way to the gateway
TRICKY_TEXTS = (
    "Fiyat \"100\" & 'indirim' <b>bold</b> ]]> son",
    "<![CDATA[x]]> &amp; &lt; &#38; %26 %2B + = ? / \\ #",
    "satır bir\nsatır iki\r\nsatır üç\n",
    "İĞNE ığdır Şule çığ ÖÜ öü ÇĞ",
    '{"json": true} [1,2] key=value&other=1',
    "€ ^ { } [ ] ~ | \\ in GSM 7",
    "emoji 👨\u200d👩\u200d👧 ve bayrak 🇹🇷 ₺50",
    "  leading and trailing spaces  ",
)
#: characters XML 1.0 forbids (never allowed on the wire, refused before sending)
XML_FORBIDDEN = ("\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ud800", "\ufffe")


def boundary_lengths(
    profile: TextProfile, *, parts_cap: int = 4, encoding: str | None = None
) -> list[int]:
    """Unit counts at and around every part boundary of the profile's encodings
    (or of one of them)."""
    limit = profile.max_parts or parts_cap
    top = min(limit, parts_cap) + 1
    lengths: set[int] = set()
    for enc in profile.encodings:
        if encoding is not None and enc.name != encoding:
            continue
        rule = enc.rule
        lengths.update({rule.single - 1, rule.single, rule.single + 1})
        for k in range(2, top + 1):
            lengths.update({rule.multi * k - 1, rule.multi * k, rule.multi * k + 1})
    return sorted(n for n in lengths if n > 0)


_FILLERS = ("a", "Z", "5", "ü", "ş", "ğ", "€", "^", "ж", "😀")


@st.composite
def sms_texts(
    draw: st.DrawFn, profile: TextProfile, *, parts_cap: int = 4, encoding: str | None = None
) -> str:
    """A text whose length in units sits near a part boundary, with GSM
    extension characters, Turkish letters, emoji and ZWJ sequences mixed in.

    With ``encoding`` (a name the profile offers), the filler is a character
    that encoding carries and the lengths are its boundaries.
    """
    fillers: list[tuple[str, int]] = []
    if encoding is not None and encoding != "auto":
        rule = profile.get(encoding).rule
        fillers = [(c, cost) for c in _FILLERS if (cost := rule.cost(c)) is not None]
    fillers = fillers or [(c, 2 if c in ("€", "^", "😀") else 1) for c in _FILLERS]
    filler, cost = draw(st.sampled_from(fillers))
    lengths = boundary_lengths(
        profile, parts_cap=parts_cap, encoding=None if encoding == "auto" else encoding
    )
    size = draw(st.sampled_from(lengths)) + draw(st.integers(-2, 2))
    if cost == 2:  # a two-unit filler needs half as many characters
        size = (size + draw(st.integers(0, 1))) // 2
    chars = [filler] * max(size, 1)
    specials = st.one_of(
        st.sampled_from(tuple(GSM_BASIC)),
        st.sampled_from(tuple(GSM_EXTENSION)),
        st.sampled_from(tuple(TURKISH)),
        st.sampled_from(tuple(UCS2_ONLY)),
        st.sampled_from(EMOJI),
        st.sampled_from(DECOMPOSED),
    )
    for special in draw(st.lists(specials, max_size=4)):
        at = draw(st.integers(0, len(chars)))
        chars.insert(at, special)
    prefix = draw(
        st.text(
            alphabet=st.sampled_from(tuple(GSM_BASIC + GSM_EXTENSION + TURKISH + UCS2_ONLY)),
            max_size=12,
        )
    )
    text = prefix + "".join(chars)
    if not text.strip():
        text = "x" + text
    return text


# -- garbage answers -------------------------------------------------------------


@attrs.frozen
class Answer:
    """An HTTP answer the garbage app gives."""

    status: int
    content_type: str
    body: bytes

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.content_type!r}, {self.body[:300]!r})"


_STATUSES = (200, 200, 201, 202, 204, 400, 401, 403, 404, 409, 422, 500, 503)
_CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "text/xml",
    "application/xml; charset=utf-8",
    "text/html; charset=utf-8",
    "text/plain",
    "text/csv",
    "application/octet-stream",
    "",
)
_KEYS = (
    "status", "Status", "code", "error", "errorCode", "message", "Message", "id", "ID",
    "message_id", "messageId", "package", "package_id", "result", "results", "data",
    "details", "detail", "balance", "credit", "credits", "amount", "senders", "sender",
    "name", "state", "to", "number", "recipients", "parts", "count", "ResponseStatus",
)  # fmt: skip

_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "0", "-1", "OK", "ok", "ERROR", "1e309", "NaN", "null", "€"])
)


def _json_values(keys: Sequence[str]) -> st.SearchStrategy[Any]:
    names = st.sampled_from(tuple(dict.fromkeys((*keys, *_KEYS)))) | st.text(max_size=8)
    return st.recursive(
        _JSON_LEAVES,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(names, children, max_size=6)
        ),
        max_leaves=20,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replace(value: Any, path: tuple[Any, ...], new: Callable[[Any], Any]) -> Any:
    if not path:
        return new(value)
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        replaced = _replace(copy[head], rest, new)
        if replaced is _DELETE:
            del copy[head]
        else:
            copy[head] = replaced
        return copy
    items = list(value)
    replaced = _replace(items[head], rest, new)
    if replaced is _DELETE:
        del items[head]
    else:
        items[head] = replaced
    return items


_DELETE = object()


def _constant(value: Any, _old: Any) -> Any:
    return value


@st.composite
def _mutated_json(draw: st.DrawFn, sample: Any, keys: Sequence[str]) -> bytes:
    value = sample
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(value))
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "delete", "wrap", "stringify", "empty"]))
        if op == "delete" and path:
            value = _replace(value, path, lambda _: _DELETE)
        elif op == "wrap":
            value = _replace(value, path, lambda v: [v])
        elif op == "stringify":
            value = _replace(value, path, lambda v: json.dumps(v))
        elif op == "empty":
            value = _replace(value, path, lambda v: type(v)() if isinstance(v, list | dict) else "")
        else:
            value = _replace(value, path, functools.partial(_constant, draw(_json_values(keys))))
    return json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8")


_TEXT_NODE = re.compile(rb">([^<]*)<")


@st.composite
def _mutated_bytes(draw: st.DrawFn, sample: bytes) -> bytes:
    body = sample
    op = draw(st.sampled_from(["truncate", "splice", "text_node", "prefix"]))
    if op == "truncate" and body:
        return body[: draw(st.integers(0, len(body) - 1))]
    if op == "text_node":
        nodes = list(_TEXT_NODE.finditer(body))
        if nodes:
            node = draw(st.sampled_from(nodes))
            new = draw(st.sampled_from([b"", b"x", b"-1", b"&", b"&amp;", b"99999999999999999999"]))
            return body[: node.start(1)] + new + body[node.end(1) :]
    if op == "prefix":
        head = draw(
            st.sampled_from(
                [
                    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "boom">]>',
                    b"\xef\xbb\xbf",
                    b"<html>",
                    b"\x00",
                ]
            )
        )
        return head + body
    start = draw(st.integers(0, len(body)))
    end = draw(st.integers(start, len(body)))
    return body[:start] + draw(st.binary(max_size=8)) + body[end:]


def _xmlish(keys: Sequence[str]) -> st.SearchStrategy[bytes]:
    tags = st.sampled_from(tuple(dict.fromkeys((*keys, *_KEYS, "response", "sonuc"))))
    leaf = st.builds(
        lambda tag, text: f"<{tag}>{text}</{tag}>",
        tags,
        st.text(alphabet="abc019-<&;>. ", max_size=12),
    )
    doc = st.builds(
        lambda root, children: f"<{root}>{''.join(children)}</{root}>",
        tags,
        st.lists(leaf, max_size=6),
    )
    return st.one_of(
        doc.map(str.encode),
        doc.map(lambda d: ('<?xml version="1.0"?>' + d).encode()),
        st.just(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;&a;</r>'),
        st.just(b"<r><unclosed></r>"),
    )


#: pages a captive portal, a proxy or a load balancer answers with 200
_JUNK_PAGES = (
    b"<!DOCTYPE html><html><head><title>Login</title></head><body><form action=/login>"
    b"<input name=user></form></body></html>",
    b"<html><body><h1>Service Temporarily Unavailable</h1></body></html>",
    b"<html><head><meta http-equiv=refresh content='0;url=/portal'></head></html>",
)


def readable_junk_answers() -> st.SearchStrategy[Answer]:
    """200 answers that read as text but are no answer of any gateway's
    documented format: HTML pages, a bare "OK", JSON of another shape, XML
    of another schema, whitespace, a long text. A send given one of these
    cannot know whether the gateway took the message."""
    # no bare numbers: a plain-text gateway may document "-1" as a refusal
    words = st.sampled_from(["OK", "ok", "Success", "true", "ERROR", "null", "Bad Gateway"])
    other_json = st.sampled_from(
        [b"{}", b"[]", b'{"foo": "bar"}', b'{"data": []}', b'{"ok": true}', b"null", b'"OK"']
    )
    other_xml = st.sampled_from(
        [
            b'<?xml version="1.0"?><feed><entry>x</entry></feed>',
            b"<html><body>OK</body></html>",
            b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/'
            b'soap/envelope/"><soap:Body/></soap:Envelope>',
        ]
    )
    bodies = st.one_of(
        st.sampled_from(_JUNK_PAGES),
        words.map(str.encode),
        other_json,
        other_xml,
        st.sampled_from([b"", b" ", b"\n", b"\r\n\t "]),
        st.integers(1000, 20_000).map(lambda n: b"lorem ipsum " * (n // 12)),
        words.map(lambda w: f"<html><body><p>{w}</p></body></html>".encode()),
    )
    types = st.sampled_from(_CONTENT_TYPES)
    return st.builds(Answer, st.just(200), types, bodies)


def garbage_answers(samples: Iterable[Answer] = ()) -> st.SearchStrategy[Answer]:
    """Statuses, content types and bodies no gateway documents.

    ``samples`` are real answers of the emulator; mutating them (a key
    dropped, a value of the wrong type, a body cut short) reaches deep into a
    plugin's parser.
    """
    samples = tuple(samples)
    keys: list[str] = []
    for sample in samples:
        keys.extend(
            k.decode() for k in re.findall(rb'"([A-Za-z_][A-Za-z0-9_]{0,30})"\s*:', sample.body)
        )
        keys.extend(
            k.decode() for k in re.findall(rb"<([A-Za-z_][A-Za-z0-9_]{0,30})[ >]", sample.body)
        )
    keys = list(dict.fromkeys(keys))
    bodies: list[st.SearchStrategy[bytes]] = [
        st.binary(max_size=200),
        st.text(max_size=100).map(str.encode),
        _json_values(keys).map(lambda v: json.dumps(v).encode()),
        _xmlish(keys),
    ]
    mutated: list[st.SearchStrategy[Answer]] = []
    for sample in samples:
        try:
            parsed = json.loads(sample.body)
        except ValueError:
            parsed = None
        body_strategy = (
            _mutated_json(parsed, keys)
            if isinstance(parsed, dict | list)
            else _mutated_bytes(sample.body)
        )
        mutated.append(
            st.builds(
                Answer,
                st.just(sample.status) | st.sampled_from(_STATUSES),
                st.just(sample.content_type) | st.sampled_from(_CONTENT_TYPES),
                body_strategy,
            )
        )
    random_answers = st.builds(
        Answer,
        st.sampled_from(_STATUSES),
        st.sampled_from(_CONTENT_TYPES)
        | st.text(alphabet="abcdefghijklmnopqrstuvwxyz/+;= -", max_size=30),
        st.one_of(*bodies),
    )
    if mutated:
        return st.one_of(st.one_of(*mutated), random_answers)
    return random_answers


class GarbageApp:
    """A tiny WSGI app that answers every request with :attr:`answer`."""

    def __init__(self) -> None:
        self.answer = Answer(200, "application/json", b"{}")
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        with self._lock:
            self.requests += 1
            answer = self.answer
        headers = [("Content-Length", str(len(answer.body)))]
        if answer.content_type:
            headers.append(("Content-Type", answer.content_type))
        start_response(f"{answer.status} Whatever", headers)
        return [answer.body]


class Recorder:
    """WSGI middleware keeping the last answer of the wrapped app."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.answers: list[Answer] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status.split()[0])
            seen["type"] = next((v for k, v in headers if k.lower() == "content-type"), "")
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, capture))
        self.answers.append(Answer(seen.get("status", 200), seen.get("type", ""), body))
        return [body]
