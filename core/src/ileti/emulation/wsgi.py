"""WSGI building blocks for gateway emulators.

An emulator subclasses :class:`EmulatorBase` and declares its endpoints with
:func:`route`::

    class EfecellEmulator(EmulatorBase):
        documented_errors = {"401": "AuthenticationError"}

        @route("POST", "/v2/sms/basic")
        def send(self, request: EmulatorRequest) -> EmulatorResponse:
            payload = request.json()
            ...
            return EmulatorResponse.json({"status": "ok"})

The base is itself a WSGI application: it routes, answers 404/405, records
every request, serialises handling behind one lock so handlers may mutate
state freely, turns :class:`BadRequest` into a 400 and any other exception
into a 500 whose traceback goes to stderr, never to the client.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar
from urllib.parse import parse_qs

import attrs

from ileti.emulation.accounts import Account, Refusal
from ileti.emulation.clock import VirtualClock

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "BadRequest",
    "EmulatedMessage",
    "EmulatorBase",
    "EmulatorRequest",
    "EmulatorResponse",
    "route",
]

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ROUTES_ATTR = "__ileti_routes__"
_METHOD = re.compile(r"[A-Z]+")


class BadRequest(Exception):
    """Raise from a handler to answer 400 with this text (see ``EmulatorBase.bad_request``)."""


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def _decode(body: bytes, encoding: str, what: str) -> str:
    try:
        return body.decode(encoding)
    except LookupError:
        raise BadRequest(f"unknown charset {encoding!r} for the {what}") from None
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the {what} is not valid {encoding}: {exc.reason}") from None


@attrs.frozen
class EmulatorRequest:
    """One request as an emulator saw it.

    ``headers`` keys are lower-case; use :meth:`header` for lookups.
    ``path`` is percent-decoded; ``query_string`` is the raw query, for
    emulators that must re-parse it in another charset.
    """

    method: str
    path: str
    query: dict[str, list[str]] = attrs.field(factory=dict)
    headers: dict[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    received_at: datetime | None = None
    query_string: str = ""
    path_params: dict[str, str] = attrs.field(factory=dict)

    def arg(self, name: str) -> str | None:
        """The first query-string value of ``name``, or ``None``."""
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively."""
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str | None:
        """The media type of the body, lower-case, without parameters."""
        value = self.header("content-type")
        if value is None:
            return None
        return value.split(";", 1)[0].strip().lower() or None

    def text(self, encoding: str | None = None) -> str:
        """The body decoded with ``encoding``, the Content-Type charset, or UTF-8."""
        encoding = encoding or _charset(self.header("content-type")) or "utf-8"
        return _decode(self.body, encoding, "request body")

    def json(self) -> Any:
        """The body parsed as JSON; invalid JSON raises :class:`BadRequest`."""
        try:
            return json.loads(self.text())
        except json.JSONDecodeError as exc:
            raise BadRequest(f"the request body is not valid JSON: {exc}") from None

    def form(self, encoding: str | None = None) -> dict[str, list[str]]:
        """The body parsed as ``application/x-www-form-urlencoded`` (blank values kept)."""
        encoding = encoding or _charset(self.header("content-type")) or "utf-8"
        text = _decode(self.body, encoding, "form body")
        try:
            return parse_qs(text, keep_blank_values=True, encoding=encoding, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"the form body cannot be parsed: {exc}") from None

    def form_arg(self, name: str, encoding: str | None = None) -> str | None:
        """The first form value of ``name``, or ``None``."""
        values = self.form(encoding).get(name)
        return values[0] if values else None


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@attrs.define
class EmulatorResponse:
    """What a handler answers. ``Content-Length`` is always set by the base."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = attrs.field(factory=list)

    @classmethod
    def json(
        cls,
        obj: object,
        status: int = 200,
        *,
        content_type: str = "application/json; charset=utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> Self:
        """A JSON answer (``Decimal`` values become JSON numbers)."""
        body = json.dumps(obj, ensure_ascii=False, default=_json_default).encode("utf-8")
        return cls(status, body, [("Content-Type", content_type), *headers])

    @classmethod
    def text(
        cls,
        s: str,
        status: int = 200,
        *,
        content_type: str = "text/plain; charset=utf-8",
        encoding: str = "utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> Self:
        """A text answer."""
        return cls(status, s.encode(encoding), [("Content-Type", content_type), *headers])

    @classmethod
    def xml(
        cls,
        s: str,
        status: int = 200,
        *,
        content_type: str = "application/xml",
        encoding: str = "utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> Self:
        """An XML answer (``s`` is the document text; the caller escapes it)."""
        return cls(status, s.encode(encoding), [("Content-Type", content_type), *headers])

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), or ``None``."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


def _check_recipient(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not _E164.fullmatch(value):
        raise ValueError(f"EmulatedMessage.recipient must be E.164 with '+', got {value!r}")


def _check_parts(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"EmulatedMessage.parts must be a positive int, got {value!r}")


@attrs.frozen
class EmulatedMessage:
    """One SMS an emulator accepted for one recipient (what it billed)."""

    package_id: str
    recipient: str = attrs.field(validator=_check_recipient)
    text: str
    wire_encoding: str | None
    parts: int = attrs.field(validator=_check_parts)
    sender: str | None
    client_ref: str | None = None
    #: the instant the request asked the gateway to send it at (aware), read
    #: in the gateway's own time zone; ``None`` when it goes at once
    scheduled_at: datetime | None = None
    #: how long the gateway will try to deliver it, as it read the request
    #: (its own default and limits applied); ``None`` where it has no validity
    validity: timedelta | None = None


_H = TypeVar("_H", bound=Callable[..., EmulatorResponse])


def _compile(path: str) -> re.Pattern[str] | None:
    if not path.startswith("/"):
        raise ValueError(f"a route path starts with '/', got {path!r}")
    if "{" not in path and "}" not in path:
        return None
    pattern, pos = "", 0
    for match in _PARAM.finditer(path):
        literal = path[pos : match.start()]
        if "{" in literal or "}" in literal:
            raise ValueError(f"malformed placeholder in route path {path!r}")
        pattern += re.escape(literal) + f"(?P<{match[1]}>[^/]+)"
        pos = match.end()
    literal = path[pos:]
    if "{" in literal or "}" in literal:
        raise ValueError(f"malformed placeholder in route path {path!r}")
    return re.compile(pattern + re.escape(literal))


def route(methods: str | tuple[str, ...], path: str) -> Callable[[_H], _H]:
    """Declare a handler method for ``methods`` on ``path``.

    ``path`` is matched exactly; a segment written ``{name}`` matches any one
    non-empty segment and lands in ``request.path_params["name"]``. Exact
    paths win over templates. A handler takes ``(self, request)`` and returns
    an :class:`EmulatorResponse`. Decorators may be stacked.
    """
    names = (methods,) if isinstance(methods, str) else tuple(methods)
    if not names:
        raise ValueError("route() needs at least one HTTP method")
    upper = tuple(m.upper() for m in names)
    for method in upper:
        if not _METHOD.fullmatch(method):
            raise ValueError(f"not an HTTP method: {method!r}")
    _compile(path)  # validate early, at class-definition time

    def decorate(func: _H) -> _H:
        existing: tuple[tuple[tuple[str, ...], str], ...] = getattr(func, _ROUTES_ATTR, ())
        setattr(func, _ROUTES_ATTR, (*existing, (upper, path)))
        return func

    return decorate


@attrs.frozen
class _Route:
    path: str
    pattern: re.Pattern[str] | None
    handlers: Mapping[str, str]  # HTTP method -> attribute name


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _error_names() -> set[str]:
    from ileti import errors

    return {
        name
        for name in dir(errors)
        if isinstance(obj := getattr(errors, name), type) and issubclass(obj, errors.IletiError)
    }


class EmulatorBase:
    """Base of every gateway emulator; an instance is a WSGI application.

    Attributes:
        clock: the :class:`VirtualClock` the emulator reads.
        lock: an ``RLock`` held while a request is handled; hold it to
            inspect or change state from a test while a server runs.
        received: every request, in arrival order (unknown paths included).
        messages: every SMS accepted, one per recipient (see :meth:`record_message`).
        examined: how many stored packages or messages the handlers have looked
            at so far (each emulator counts where it looks). The work of one
            request must not grow with what was accepted before it; tests
            check that by this count, never by timing.
        account: the emulated :class:`~ileti.emulation.Account`, when the
            emulator sets one in ``__init__``: then :attr:`credit`,
            :meth:`credentials` and :meth:`approve_sender` come from it.

    A :class:`~ileti.emulation.Refusal` raised by a handler is answered by
    :meth:`refusal_response`.
    """

    #: provider error code -> name of the ``ileti.errors`` class a client must raise
    documented_errors: ClassVar[Mapping[str, str]] = MappingProxyType({})
    _routes: ClassVar[tuple[_Route, ...]] = ()
    #: a sender name the emulated account has approved from the start
    default_sender: ClassVar[str]
    #: the emulated account (:mod:`ileti.emulation.accounts`); an emulator
    #: that sets it in ``__init__`` gets ``credit``, ``credentials()`` and
    #: ``approve_sender()`` from it
    account: Account
    _own_credit: Decimal

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[str, dict[str, str]] = {}
        for klass in reversed(cls.__mro__):
            seen: set[tuple[str, str]] = set()
            for attr, value in vars(klass).items():
                declared: tuple[tuple[tuple[str, ...], str], ...] = getattr(value, _ROUTES_ATTR, ())
                if not declared:
                    continue
                # a decorated override declares its own routes: forget the inherited ones
                for handlers in table.values():
                    for method in [m for m, name in handlers.items() if name == attr]:
                        del handlers[method]
                for methods, path in declared:
                    for method in methods:
                        if (method, path) in seen:
                            raise TypeError(f"{klass.__name__} declares {method} {path} twice")
                        seen.add((method, path))
                        table.setdefault(path, {})[method] = attr
        cls._routes = tuple(
            _Route(path, _compile(path), MappingProxyType(dict(handlers)))
            for path, handlers in table.items()
            if handlers
        )
        unknown = sorted(set(cls.documented_errors.values()) - _error_names())
        if unknown:
            raise TypeError(
                f"{cls.__name__}.documented_errors names unknown ileti errors: {unknown}"
            )

    def __init__(self, *, clock: VirtualClock | None = None) -> None:
        self.clock = clock if clock is not None else VirtualClock()
        self.lock = threading.RLock()
        self.received: list[EmulatorRequest] = []
        self.messages: list[EmulatedMessage] = []
        self.examined = 0
        self._forced: list[tuple[str, str | None]] = []

    # ----------------------------------------------------------------- for subclasses

    def credentials(self) -> dict[str, str]:
        """Settings (field name -> value) that authenticate against this emulator
        (by default the :attr:`account`'s credentials)."""
        if (account := self._account()) is not None:
            return account.credentials.settings()
        raise NotImplementedError(f"{type(self).__name__} must define credentials()")

    def error_response(self, code: str, request: EmulatorRequest) -> EmulatorResponse:
        """The provider's answer for documented error ``code`` (see :meth:`force_error`)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement error_response() for {code!r}"
        )

    def refusal_response(self, refusal: Refusal[Any], request: EmulatorRequest) -> EmulatorResponse:
        """The answer when a handler raises :class:`~ileti.emulation.Refusal`:
        by default ``error_response(str(refusal.code), request)``."""
        return self.error_response(str(refusal.code), request)

    def bad_request(self, error: BadRequest, request: EmulatorRequest) -> EmulatorResponse:
        """The answer when a handler raises :class:`BadRequest` (plain 400 by default)."""
        return EmulatorResponse.text(str(error), status=400)

    def not_found(self, request: EmulatorRequest) -> EmulatorResponse:
        """The answer for a path no route matches (plain 404 by default)."""
        return EmulatorResponse.text(f"no such endpoint: {request.path}", status=404)

    def method_not_allowed(
        self, request: EmulatorRequest, allowed: Iterable[str]
    ) -> EmulatorResponse:
        """The answer for a known path with the wrong method (plain 405 by default)."""
        allow = ", ".join(sorted(allowed))
        return EmulatorResponse.text(
            f"{request.method} is not allowed on {request.path}; use {allow}",
            status=405,
            headers=[("Allow", allow)],
        )

    def record_message(self, message: EmulatedMessage) -> EmulatedMessage:
        """Append an accepted SMS to :attr:`messages` and return it."""
        with self.lock:
            self.messages.append(message)
        return message

    # ----------------------------------------------------------------- the account

    @property
    def credit(self) -> Decimal:
        """The account's balance, in the unit its balance answer shows (SMS
        credits, or money): the :attr:`account`'s ledger balance. An emulator
        without an account keeps it here (set it in ``__init__``)."""
        if (account := self._account()) is not None:
            return account.ledger.balance
        try:
            return self._own_credit
        except AttributeError:
            raise AttributeError(f"{type(self).__name__} has no credit set") from None

    @credit.setter
    def credit(self, amount: Decimal) -> None:
        if (account := self._account()) is not None:
            account.ledger.balance = amount
        else:
            self._own_credit = amount

    @credit.deleter
    def credit(self) -> None:
        # an emulator without an account may drop its credit (the protocol check's case)
        if self._account() is not None:
            raise AttributeError("the credit is the account's ledger balance: it stays")
        vars(self).pop("_own_credit", None)

    def approve_sender(self, name: str) -> None:
        """Register ``name`` on the emulated account as an approved sender name.

        By default it is approved in the :attr:`account`'s sender book; an
        emulator without an account implements this in its own terms.
        :meth:`configure` checks the name first.
        """
        if (account := self._account()) is not None:
            account.senders.approve(name)
            return
        raise NotImplementedError(f"{type(self).__name__} must implement approve_sender()")

    def set_credit(self, amount: Decimal) -> None:
        """Set the account's balance, in the unit its balance answer shows
        (SMS credits, or money for a gateway whose balance is money).

        The default sets :attr:`credit`.
        """
        with self.lock:
            self.credit = amount

    def configure(
        self, *, senders: Iterable[str] = (), credit: Decimal | int | None = None
    ) -> None:
        """Shape the emulated account: approve ``senders``, set ``credit``.

        The one way to do it for every emulator: ``ileti emulate P --sender NAME
        --credit N`` and ``ileti.testing.emulated(P, senders=[NAME], credit=N)``
        both come here. A malformed sender name raises
        :class:`ileti.InvalidSender`, a negative credit ``ValueError``.
        """
        from ileti.numbers import validate_sender

        names = [validate_sender(name) for name in senders]
        amount = None if credit is None else Decimal(credit)
        if amount is not None and not (amount.is_finite() and amount >= 0):
            raise ValueError(f"the credit is a number from 0 up, not {credit!r}")
        with self.lock:
            for name in names:
                self.approve_sender(name)
            if amount is not None:
                self.set_credit(amount)

    # ----------------------------------------------------------------- for tests

    def force_error(self, code: str, *, path: str | None = None) -> None:
        """Answer the next routed request with ``error_response(code, request)``.

        Calls queue up: two calls fail the next two requests. With ``path``,
        only a request to that path (or route template) consumes it. ``code``
        must be one of :attr:`documented_errors`.
        """
        if code not in self.documented_errors:
            known = ", ".join(sorted(self.documented_errors)) or "none"
            raise ValueError(
                f"{code!r} is not a documented error of {type(self).__name__} (known: {known})"
            )
        if path is not None and not path.startswith("/"):
            raise ValueError(f"a path starts with '/', got {path!r}")
        with self.lock:
            self._forced.append((code, path))

    @property
    def pending_errors(self) -> tuple[tuple[str, str | None], ...]:
        """Forced errors not yet consumed, as ``(code, path)`` pairs."""
        with self.lock:
            return tuple(self._forced)

    # ----------------------------------------------------------------- machinery

    def _account(self) -> Account | None:
        """The :attr:`account`, if this emulator has one."""
        account: Account | None = vars(self).get("account")
        return account

    def _match(self, path: str) -> tuple[_Route, dict[str, str]] | None:
        for candidate in self._routes:
            if candidate.pattern is None and candidate.path == path:
                return candidate, {}
        for candidate in self._routes:
            if candidate.pattern is not None and (m := candidate.pattern.fullmatch(path)):
                return candidate, m.groupdict()
        return None

    def _take_forced(self, request: EmulatorRequest, matched: _Route) -> str | None:
        for index, (code, path) in enumerate(self._forced):
            if path is None or path in (request.path, matched.path):
                del self._forced[index]
                return code
        return None

    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        """Record and answer one request (what ``__call__`` does after parsing)."""
        with self.lock:
            found = self._match(request.path)
            if found is not None and found[1]:
                request = attrs.evolve(request, path_params=found[1])
            self.received.append(request)
            try:
                if found is None:
                    return self.not_found(request)
                matched = found[0]
                attr = matched.handlers.get(request.method)
                if attr is None:
                    return self.method_not_allowed(request, matched.handlers)
                code = self._take_forced(request, matched)
                if code is not None:
                    response = self.error_response(code, request)
                else:
                    response = getattr(self, attr)(request)
                if not isinstance(response, EmulatorResponse):
                    raise TypeError(
                        f"{type(self).__name__}.{attr} returned {type(response).__name__},"
                        " not an EmulatorResponse"
                    )
                return response
            except Refusal as refusal:
                return self.refusal_response(refusal, request)
            except BadRequest as exc:
                return self.bad_request(exc, request)
            except Exception:
                traceback.print_exc(file=sys.stderr)
                return EmulatorResponse.text("internal emulator error", status=500)

    def _request_from(self, environ: WSGIEnvironment) -> EmulatorRequest:
        headers: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers[key[5:].replace("_", "-").lower()] = value
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        if environ.get("CONTENT_LENGTH"):
            headers["content-length"] = environ["CONTENT_LENGTH"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        raw_path: str = environ.get("PATH_INFO") or "/"
        path = raw_path.encode("latin-1").decode("utf-8", errors="replace")
        query_string: str = environ.get("QUERY_STRING", "")
        return EmulatorRequest(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path=path,
            query=parse_qs(query_string, keep_blank_values=True),
            headers=headers,
            body=body,
            received_at=self.clock.now(),
            query_string=query_string,
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            response = self.handle(self._request_from(environ))
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = EmulatorResponse.text("internal emulator error", status=500)
        headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {_reason(response.status)}", headers)
        return [response.body]
