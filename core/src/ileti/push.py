"""Delivery reports a gateway pushes: a receiver that is a WSGI and an ASGI app.

Some gateways call a URL of yours when a recipient's state changes (Kobikom's
``pushurl``). :class:`PushReceiver` is that URL's application:

* it authenticates the push by a secret token in the URL path (these
  gateways sign nothing): the push URL you configure is
  ``https://your.host/some/prefix/<token>``; any other path answers 404;
* it reads the request through the provider's ``parse_push`` hook into
  normalised :class:`ileti.DeliveryReport` objects (one per package);
* it hands them to your ``on_reports`` callback, and answers 200. A push it
  cannot read answers 400; a callback that fails answers 500 (so a gateway
  that retries pushes will try again).

Mount ``receiver.wsgi`` in Flask or any WSGI server, ``receiver.asgi`` in
FastAPI/Starlette or any ASGI server; Django users have
``ileti_django.push_view``. ``ileti receive PROVIDER`` serves one on
loopback for trying the whole loop locally.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import attrs

from ileti.errors import IletiError, ValidationError

if TYPE_CHECKING:
    from ileti.client import Client
    from ileti.models import DeliveryReport

__all__ = ["MAX_PUSH_BYTES", "OnReports", "PushReceiver", "PushRequest", "new_token"]

log = logging.getLogger("ileti.push")

#: the largest push body read (bytes); larger ones answer 413
MAX_PUSH_BYTES = 1 << 20

#: receives the reports of one push
OnReports = Callable[[list["DeliveryReport"]], None]

WSGIEnviron = Mapping[str, Any]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
ASGIScope = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[MutableMapping[str, Any]]]
ASGISend = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@attrs.frozen
class PushRequest:
    """The request a gateway sent to the push URL, as a provider's
    ``parse_push`` hook reads it: method, path, query, headers (lower-case
    names) and the raw body."""

    method: str
    path: str = "/"
    query: Mapping[str, str] = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""

    def form(self) -> dict[str, str]:
        """The body read as an HTML form (``application/x-www-form-urlencoded``)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


def new_token() -> str:
    """A fresh secret for a push URL (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


_STATUS = {
    200: "200 OK",
    400: "400 Bad Request",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    413: "413 Content Too Large",
    500: "500 Internal Server Error",
}


class PushReceiver:
    """Receive a provider's pushed delivery reports (see the module's notes).

    ``client`` is the :class:`ileti.Client` of the provider that pushes (its
    plugin reads the pushes; its settings hold the push URL). ``token`` is
    the secret last segment of the push URL: pass the one you configured, or
    leave it out for a fresh one (:attr:`token`). ``on_reports`` is called
    with the reports of each push.
    """

    def __init__(
        self,
        client: Client,
        on_reports: OnReports,
        *,
        token: str | None = None,
    ) -> None:
        client._loaded.require("parse_push")
        if token is None:
            token = new_token()
        if not isinstance(token, str) or len(token) < 16 or "/" in token:
            raise ValidationError(
                "the push token must be at least 16 characters with no '/': use "
                "ileti.push.new_token()"
            )
        self.client = client
        self.token = token
        self.on_reports = on_reports
        from ileti.redact import register_secrets

        register_secrets([token], owner=self)

    def __repr__(self) -> str:
        return f"PushReceiver({self.client.provider!r})"

    def url(self, base: str) -> str:
        """The push URL to configure: ``base`` (where this app is mounted) and the token."""
        return f"{base.rstrip('/')}/{self.token}"

    # -- the one place that decides ---------------------------------------------

    def authentic(self, path: str) -> bool:
        """Whether the path ends with this receiver's token."""
        last = path.rstrip("/").rsplit("/", 1)[-1]
        return hmac.compare_digest(last.encode(), self.token.encode())

    def handle(self, request: PushRequest) -> tuple[int, str]:
        """Answer one push: ``(HTTP status, body text)``."""
        if not self.authentic(request.path):
            log.warning("push to an unknown path refused (404)")
            return 404, "not found"
        if request.method not in ("POST", "GET"):
            return 405, "use POST"
        try:
            reports = self.client.read_push(request)
        except IletiError as exc:
            log.warning("a %s push could not be read: %s", self.client.provider, exc.message)
            return 400, "unreadable push"
        try:
            self.on_reports(reports)
        except Exception:
            log.exception("on_reports failed for a %s push", self.client.provider)
            return 500, "not processed"
        log.info(
            "%s push: %d report(s) for %d recipient(s)",
            self.client.provider,
            len(reports),
            sum(len(r.recipients) for r in reports),
        )
        return 200, "OK"

    # -- WSGI ----------------------------------------------------------------------

    def wsgi(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        """The receiver as a WSGI application."""
        status, text = self._wsgi(environ)
        body = text.encode()
        start_response(
            _STATUS[status],
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _wsgi(self, environ: WSGIEnviron) -> tuple[int, str]:
        path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
        if not self.authentic(path):
            return self.handle(PushRequest(method="POST", path=path))
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, "bad Content-Length"
        if length > MAX_PUSH_BYTES:
            return 413, "too large"
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        query = dict(parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True))
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        return self.handle(PushRequest(method, path, query, headers, body))

    # -- ASGI ----------------------------------------------------------------------

    async def asgi(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        """The receiver as an ASGI application (HTTP and lifespan)."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            raise ValueError(f"the push receiver serves HTTP, not {scope['type']!r}")
        status, text = await self._asgi(scope, receive)
        body = text.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _asgi(self, scope: ASGIScope, receive: ASGIReceive) -> tuple[int, str]:
        path = str(scope.get("root_path", "")) + str(scope.get("path", ""))
        if not self.authentic(path):
            return self.handle(PushRequest(method="POST", path=path))
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return 400, "disconnected"
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > MAX_PUSH_BYTES:
                return 413, "too large"
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        headers = {
            bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1")
            for k, v in scope.get("headers", [])
        }
        raw_query = bytes(scope.get("query_string", b"")).decode("latin-1")
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        request = PushRequest(str(scope["method"]).upper(), path, query, headers, b"".join(chunks))
        import asyncio  # lazy: plugins import this module for PushRequest

        # the provider's hook may touch files (Kobikom's report store): not on the loop
        return await asyncio.to_thread(self.handle, request)
