"""What a plugin builds and reads: HTTP requests and responses, no urllib3.

Plugins describe a request with :class:`HttpRequest` (a path relative to the
provider's ``base_url``) and read the :class:`HttpResponse` the core's
transport hands back. Timeouts, retries, TLS, size caps and redaction all
live in the transport (:mod:`ileti.transport`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from ileti.errors import MalformedResponse, excerpt

__all__ = [
    "DEFAULT_POOL_SIZE",
    "HttpRequest",
    "HttpResponse",
    "RetryPolicy",
    "Timeout",
    "check_pool_size",
]

#: connections kept open to a provider per client (threads beyond it still
#: work, but open and close an extra connection for each request)
DEFAULT_POOL_SIZE = 8


#: what ``json.dumps(payload, ensure_ascii=False, separators=(",", ":"))`` makes,
#: with its encoder built once instead of on every call (encoding holds no state).
#: Payloads are trees the plugins build, never cyclic: no check for cycles (it
#: cost each dict and list of a body an id in a table, about 80 ns a recipient
#: of a campaign's request)
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _frozen_map(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return dict(value or {})


@attrs.frozen
class HttpRequest:
    """A request to a provider.

    ``path`` is appended to the provider's ``base_url`` (``/v2/sms/basic``).
    ``query`` values are URL-encoded by the transport. ``body`` is bytes;
    use :meth:`json_body` or :meth:`form_body` to build one.
    """

    method: str
    path: str
    query: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    body: bytes | None = None

    @classmethod
    def json_body(
        cls,
        method: str,
        path: str,
        payload: Any,
        *,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> HttpRequest:
        return cls.json_text(
            method, path, _JSON_ENCODER.encode(payload), headers=headers, query=query
        )

    @classmethod
    def json_text(
        cls,
        method: str,
        path: str,
        text: str,
        *,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> HttpRequest:
        """A request whose body is ``text``, JSON already (UTF-8 on the wire),
        with the headers :meth:`json_body` gives: for a plugin that writes a
        large body's JSON itself. :meth:`json_body` writes
        ``json.dumps(payload, ensure_ascii=False, separators=(",", ":"))``."""
        merged = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        merged.update(headers or {})
        return cls(method, path, query=query or {}, headers=merged, body=text.encode("utf-8"))

    @classmethod
    def form_body(
        cls,
        method: str,
        path: str,
        fields: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> HttpRequest:
        from urllib.parse import urlencode

        merged = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        merged.update(headers or {})
        return cls(method, path, headers=merged, body=urlencode(fields).encode("utf-8"))

    def __repr__(self) -> str:
        # never the body or headers: they may carry credentials
        return f"HttpRequest({self.method!r}, {self.path!r})"


@attrs.frozen
class HttpResponse:
    """A provider's answer. ``headers`` keys are lower case."""

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    body: bytes = b""
    provider: str | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes raise MalformedResponse)."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise self.malformed("the answer is not UTF-8 text") from None

    def json(self) -> Any:
        """The body parsed as JSON, or MalformedResponse."""
        text = self.text()
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            raise self.unreadable("JSON") from None

    def looks_like_html(self) -> bool:
        """Whether the body is an HTML page (a proxy's error page, a captive
        portal): ``<!DOCTYPE html`` or ``<html`` near its start."""
        head = self.body[:1024].lstrip().lower()
        return head.startswith(b"<!doctype html") or b"<html" in head

    def unreadable(self, expected: str) -> MalformedResponse:
        """The MalformedResponse for an answer that is not ``expected``
        (``"JSON"``, ``"well-formed XML"``): it names an HTML page as such.
        The one answer sniffer plugins share."""
        kind = "an HTML page" if self.looks_like_html() else f"not {expected}"
        return self.malformed(f"the answer is {kind}")

    def malformed(self, what: str) -> MalformedResponse:
        """A MalformedResponse about this answer, with a short excerpt."""
        return MalformedResponse(
            f"{what}; the provider or a proxy in between answered something unexpected",
            provider=self.provider,
            http_status=self.status,
            excerpt=excerpt(self.body),
        )

    def __repr__(self) -> str:
        return f"HttpResponse({self.status}, {len(self.body)} bytes)"


@attrs.frozen
class Timeout:
    """Connect, read and total timeouts in seconds.

    ``connect`` bounds opening a connection; ``read`` bounds each wait for
    the next bytes of the answer; ``total`` bounds one whole request, from
    the start of connecting to the last byte of the answer, however the
    server spaces its bytes (a server dripping one byte a second never
    trips a read timeout). ``total=None`` means ``connect + read``.
    """

    connect: float = 5.0
    read: float = 30.0
    total: float | None = None

    @classmethod
    def of(cls, value: Timeout | float | tuple[float, float] | None) -> Timeout:
        if value is None:
            return cls()
        if isinstance(value, Timeout):
            return value
        if isinstance(value, tuple):
            return cls(connect=float(value[0]), read=float(value[1]))
        return cls(connect=float(value), read=float(value))

    @property
    def deadline(self) -> float:
        """The total deadline of one request: ``total``, else ``connect + read``."""
        return self.total if self.total is not None else self.connect + self.read

    def __attrs_post_init__(self) -> None:
        values = [self.connect, self.read] + ([] if self.total is None else [self.total])
        if not all(isinstance(v, int | float) and 0 < v < float("inf") for v in values):
            from ileti.errors import ConfigurationError

            raise ConfigurationError(
                "timeouts must be positive, finite numbers of seconds", setting="timeout"
            )


@attrs.frozen
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    ``attempts`` counts every try (3 = one try and two retries).
    ``Retry-After`` is honoured up to ``retry_after_cap`` seconds; a longer
    one is not waited for and the error is raised.
    """

    attempts: int = 3
    backoff: float = 0.2
    max_backoff: float = 5.0
    retry_after_cap: float = 30.0

    def delay(self, attempt: int, rand: float) -> float:
        """The pause before retry number ``attempt`` (1-based), ``rand`` in [0, 1)."""
        return float(min(self.max_backoff, self.backoff * (2.0 ** (attempt - 1))) * rand)


def check_pool_size(value: object) -> int:
    """``pool_size`` as a whole number of at least 1, or ConfigurationError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        from ileti.errors import ConfigurationError

        raise ConfigurationError(
            f"pool_size must be a whole number of connections, at least 1 (got {value!r})",
            setting="pool_size",
        )
    return value
