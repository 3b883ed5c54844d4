"""The push receiver: token in the path, the provider's hook, the callback, and
the same answers as a WSGI app (over loopback HTTP) and as an ASGI app."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator, MutableMapping
from typing import Any

import attrs
import pytest

import ileti
from ileti.emulation import serve
from ileti.errors import MalformedResponse, NotSupported, ValidationError
from ileti.host import inspect_plugin
from ileti.models import DeliveryReport, DeliveryState, RecipientReport
from ileti.plugin import Context, ProviderInfo, PushRequest, hookimpl
from ileti.push import MAX_PUSH_BYTES, PushReceiver, new_token
from ileti.settings import ProviderSettings, Secret, validate_base_url
from ileti.testing import Outbox
from ileti.text import DEFAULT_PROFILE

TOKEN = new_token()


@attrs.frozen(kw_only=True)
class PushSettings(ProviderSettings):
    base_url: str = attrs.field(default="http://push.invalid", converter=validate_base_url)
    push_url: Secret | None = None


class JsonPusher:
    """A provider whose gateway pushes ``{"id", "number", "state"}`` as JSON."""

    @hookimpl
    def provider_info(self) -> ProviderInfo:
        return ProviderInfo(
            name="pusher", title="JSON pusher", settings_type=PushSettings, text=DEFAULT_PROFILE
        )

    @hookimpl
    def parse_push(self, ctx: Context, request: PushRequest) -> list[DeliveryReport]:
        try:
            data = json.loads(request.body or request.query.get("data", ""))
            return [
                DeliveryReport(
                    provider="pusher",
                    message_id=data["id"],
                    recipients=(
                        RecipientReport(
                            number=data["number"],
                            state=DeliveryState(data["state"]),
                            raw_state=data["state"],
                        ),
                    ),
                )
            ]
        except (ValueError, KeyError, TypeError):
            raise MalformedResponse("not a push", provider="pusher") from None


class Inbox:
    def __init__(self, fail: bool = False) -> None:
        self.reports: list[DeliveryReport] = []
        self.fail = fail

    def __call__(self, reports: list[DeliveryReport]) -> None:
        if self.fail:
            raise RuntimeError("database down")
        self.reports.extend(reports)


PUSH = json.dumps({"id": "P1", "number": "+905321112233", "state": "delivered"}).encode()


@pytest.fixture
def client() -> Iterator[ileti.Client]:
    with ileti.Client(inspect_plugin("pusher", JsonPusher())) as c:
        yield c


def _post(url: str, body: bytes, method: str = "POST") -> int:
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_wsgi_over_loopback(client: ileti.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    inbox = Inbox()
    receiver = PushReceiver(client, inbox, token=TOKEN)
    with serve(receiver.wsgi) as srv:
        url = receiver.url(srv.base_url + "/sms/push")
        assert url.endswith("/sms/push/" + TOKEN)
        assert _post(url, PUSH) == 200
        assert _post(url + "/", PUSH) == 200
        assert _post(srv.base_url + "/sms/push/" + new_token(), PUSH) == 404
        assert _post(srv.base_url + "/sms/push/", PUSH) == 404
        assert _post(url, b"not json") == 400
        assert _post(url, PUSH, method="PUT") == 405
    assert [r.message_id for r in inbox.reports] == ["P1", "P1"]
    assert inbox.reports[0].recipients[0].state is DeliveryState.DELIVERED
    assert TOKEN not in caplog.text  # the token is a secret: redacted from every log


def test_a_failing_callback_answers_500(client: ileti.Client) -> None:
    receiver = PushReceiver(client, Inbox(fail=True), token=TOKEN)
    with serve(receiver.wsgi) as srv:
        assert _post(receiver.url(srv.base_url), PUSH) == 500


class Asgi:
    """Drives an ASGI app with one request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def call(
        self, path: str, body: bytes, *, method: str = "POST", chunk: int = 7, query: bytes = b""
    ) -> tuple[int, bytes]:
        pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
        messages = [
            {"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
            for i, p in enumerate(pieces)
        ]
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> MutableMapping[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "root_path": "",
            "query_string": query,
            "headers": [(b"content-type", b"application/json")],
        }
        asyncio.run(self.app(scope, receive, send))
        return int(sent[0]["status"]), bytes(sent[1]["body"])


def test_asgi(client: ileti.Client) -> None:
    inbox = Inbox()
    receiver = PushReceiver(client, inbox, token=TOKEN)
    asgi = Asgi(receiver.asgi)
    assert asgi.call("/hooks/" + TOKEN, PUSH) == (200, b"OK")
    assert asgi.call("/hooks/" + TOKEN, b"", method="GET", query=b"data=" + PUSH)[0] == 200
    assert asgi.call("/hooks/wrong", PUSH)[0] == 404
    assert asgi.call("/hooks/" + TOKEN, b"{")[0] == 400
    assert asgi.call("/hooks/" + TOKEN, b"x" * (MAX_PUSH_BYTES + 1), chunk=1 << 16)[0] == 413
    assert len(inbox.reports) == 2


def test_asgi_lifespan(client: ileti.Client) -> None:
    receiver = PushReceiver(client, Inbox(), token=TOKEN)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message["type"])

    asyncio.run(receiver.asgi({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_tokens_and_providers() -> None:
    client = ileti.Client(inspect_plugin("pusher", JsonPusher()))
    receiver = PushReceiver(client, Inbox())
    assert len(receiver.token) >= 40
    assert receiver.token != PushReceiver(client, Inbox()).token
    for bad in ("short", "a/" + "x" * 20):
        with pytest.raises(ValidationError, match="at least 16 characters"):
            PushReceiver(client, Inbox(), token=bad)
    with pytest.raises(NotSupported, match="parse_push"):
        PushReceiver(Outbox().client(), Inbox())
    with pytest.raises(NotSupported, match="parse_push"):
        Outbox().client().read_push(PushRequest("POST"))
