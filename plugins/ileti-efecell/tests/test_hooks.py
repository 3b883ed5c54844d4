"""The hooks against canned answers: the requests they build and how they read answers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from ileti_efecell import plugin
from ileti_efecell.settings import EfecellSettings

import ileti
from ileti.errors import (
    AccountInactive,
    AuthenticationError,
    Forbidden,
    IletiError,
    InsufficientCredit,
    InvalidRecipient,
    InvalidSender,
    MalformedResponse,
    MessageTooLong,
    ProviderUnavailable,
    RateLimited,
    Rejected,
    ValidationError,
)
from ileti.http import HttpRequest, HttpResponse
from ileti.models import DeliveryState, SenderState
from ileti.plugin import Context, Outgoing, OutgoingBatch, OutgoingItem
from ileti.settings import Secret
from ileti.text import segment

KEY = "key-abc-123"


def envelope(response: object, code: int = 200, description: str | None = None) -> bytes:
    status: dict[str, object] = {"code": code, "successful": code == 200}
    if description is not None:
        status["description"] = description
    return json.dumps({"status": status, "response": response}).encode()


@attrs.define
class Wire:
    """A fake transport: records requests, answers with canned responses."""

    answers: list[HttpResponse]
    sent: list[HttpRequest] = attrs.field(factory=list)
    kinds: list[str] = attrs.field(factory=list)

    def send(self, request: HttpRequest, client_ref: str | None = None) -> HttpResponse:
        self.kinds.append("send")
        return self._answer(request)

    def read(self, request: HttpRequest, **options: object) -> HttpResponse:
        self.kinds.append("read")
        return self._answer(request)

    def _answer(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        return self.answers.pop(0)

    def context(self, **settings: Any) -> Context:
        values: dict[str, Any] = {"api_key": Secret(KEY), **settings}
        return Context(
            provider="efecell",
            settings=EfecellSettings(**values),
            info=plugin.provider_info(),
            send_request=self.send,
            read_request=self.read,
        )


def answer(body: bytes, status: int = 200, content_type: str = "application/json") -> Wire:
    return Wire([HttpResponse(status, {"content-type": content_type}, body, provider="efecell")])


def outgoing(text: str = "Test SMS.", *recipients: str, sender: str | None = "EFECELL") -> Outgoing:
    seg = segment(text, "auto", plugin.TEXT_PROFILE)
    return Outgoing(
        recipients=recipients or ("+905355350001", "+905355350002"),
        text=seg.text,
        segmentation=seg,
        sender=sender,
        schedule=None,
        validity=None,
        flash=False,
        client_ref="ref-1",
    )


SENT = envelope(
    {"message": {"id": 13544, "originator": "EFECELL", "message": "Test SMS.", "count": 2,
                 "price": 1, "total_price": 2}}
)  # fmt: skip


def test_send_builds_the_documented_request() -> None:
    fake = answer(SENT)
    result = plugin.send(fake.context(), outgoing())
    (request,) = fake.sent
    assert fake.kinds == ["send"]
    assert (request.method, request.path) == ("POST", "/v2/sms/basic")
    assert request.headers["Authorization"] == f"Key {KEY}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.body is not None
    assert json.loads(request.body) == {
        "originator": "EFECELL",
        "message": "Test SMS.",
        "to": ["5355350001", "5355350002"],
        "encoding": "default",
    }
    assert result.message_id == "13544"
    assert result.parts == 1
    assert result.credits == Decimal(2)
    assert result.client_ref == "ref-1"
    assert [r.number for r in result.recipients] == ["+905355350001", "+905355350002"]


@pytest.mark.parametrize(
    ("text", "wire_value"),
    [("plain", "default"), ("emoji 😀", "utf-8"), ("ş" * 80, "turkish"), ("ş", "utf-8")],
)
def test_send_puts_the_chosen_encoding_on_the_wire(text: str, wire_value: str) -> None:
    fake = answer(SENT)
    plugin.send(fake.context(), outgoing(text))
    assert fake.sent[0].body is not None
    sent = json.loads(fake.sent[0].body)
    assert sent["encoding"] == wire_value
    assert sent["message"] == text


def test_send_keeps_quotes_and_newlines_intact() -> None:
    text = 'a "quoted" \\ back\nslash {x}'
    fake = answer(SENT)
    plugin.send(fake.context(), outgoing(text))
    assert fake.sent[0].body is not None
    assert json.loads(fake.sent[0].body)["message"] == text


def test_send_uses_the_sender_setting_when_the_call_gives_none() -> None:
    fake = answer(SENT)
    plugin.send(fake.context(sender="FALLBACK"), outgoing(sender=None))
    assert fake.sent[0].body is not None
    assert json.loads(fake.sent[0].body)["originator"] == "FALLBACK"


def test_send_without_any_sender_is_refused_before_a_request() -> None:
    fake = answer(SENT)
    with pytest.raises(InvalidSender, match="ILETI_EFECELL_SENDER"):
        plugin.send(fake.context(), outgoing(sender=None))
    assert fake.sent == []


def test_send_refuses_foreign_numbers_before_a_request() -> None:
    fake = answer(SENT)
    with pytest.raises(InvalidRecipient) as caught:
        plugin.send(fake.context(), outgoing("x", "+905321112233", "+4915112345678"))
    assert caught.value.position == 1
    assert fake.sent == []


def _multi(numbers: list[str], texts: list[str]) -> OutgoingBatch:
    return OutgoingBatch(
        items=tuple(
            OutgoingItem(n, t, segment(t, "gsm7", plugin.TEXT_PROFILE), f"r{i}")
            for i, (n, t) in enumerate(zip(numbers, texts, strict=True))
        ),
        sender="EFECELL",
        schedule=None,
        validity=None,
        flash=False,
        client_ref="batch-ref",
    )


def test_send_multi_builds_the_documented_request() -> None:
    batch = _multi(["+905355350001", "+905355350002"], ["Test SMS 1.", "Test SMS 2."])
    fake = answer(
        envelope({"message": {"id": 13544, "originator": "EFECELL", "count": 2, "total_price": 2}})
    )
    result = plugin.send_multi(fake.context(), batch)
    (request,) = fake.sent
    assert fake.kinds == ["send"]
    assert (request.method, request.path) == ("POST", "/v2/sms/multi")
    assert request.body is not None
    assert json.loads(request.body) == {
        "originator": "EFECELL",
        "messages": [
            {"to": "5355350001", "message": "Test SMS 1."},
            {"to": "5355350002", "message": "Test SMS 2."},
        ],
        "encoding": "default",
    }
    assert result.message_id == "13544"
    assert result.client_ref == "batch-ref"
    assert result.credits == Decimal(2)


def test_send_multi_refuses_foreign_numbers_before_a_request() -> None:
    fake = answer(SENT)
    numbers = ["+905321112233", "+905321112234", "+4915112345678", "+15551234567"]
    with pytest.raises(InvalidRecipient) as caught:
        plugin.send_multi(fake.context(), _multi(numbers, ["a", "b", "c", "d"]))
    assert caught.value.position == 2
    assert caught.value.number == "+4915112345678"
    assert caught.value.provider == "efecell"
    assert fake.sent == []


def test_send_multi_reports_the_largest_parts_of_its_recipients() -> None:
    fake = answer(envelope({"message": {"id": 7, "count": 3}}))
    texts = ["short", "x" * 200, "y" * 161]
    numbers = ["+905321112233", "+905321112234", "+905321112235"]
    result = plugin.send_multi(fake.context(), _multi(numbers, texts))
    assert result.parts == 2
    assert [r.number for r in result.recipients] == numbers
    assert all(r.accepted for r in result.recipients)


def test_report_builds_the_documented_request() -> None:
    fake = answer(envelope({"message": {"id": 302, "status": 0, "details": []}}))
    report = plugin.query_report(fake.context(), "302")
    (request,) = fake.sent
    assert fake.kinds == ["read"]
    assert (request.method, request.path) == ("POST", "/v2/get/report")
    assert request.headers["Authorization"] == f"Key {KEY}"
    assert request.body is not None
    assert json.loads(request.body) == {"id": 302}
    assert report.message_id == "302"
    assert report.package_state is DeliveryState.QUEUED


@pytest.mark.parametrize("bad", ["abc", "12a", "-5", "١٢٣", "1.0"])
def test_report_refuses_ids_that_are_not_whole_numbers(bad: str) -> None:
    fake = answer(b"")
    with pytest.raises(ValidationError, match="whole numbers"):
        plugin.query_report(fake.context(), bad)
    assert fake.sent == []


def test_report_without_details_lists_the_recipients_this_client_sent_to() -> None:
    fake = Wire(
        [
            HttpResponse(200, {}, SENT),
            HttpResponse(200, {}, envelope({"message": {"id": 13544, "status": 92}})),
        ]
    )
    ctx = fake.context()
    plugin.send(ctx, outgoing())
    report = plugin.query_report(ctx, "13544")
    assert [(r.number, r.state) for r in report.recipients] == [
        ("+905355350001", DeliveryState.CANCELLED),
        ("+905355350002", DeliveryState.CANCELLED),
    ]


@pytest.mark.parametrize(
    ("hook", "path"),
    [("balance", "/v2/get/balance"), ("senders", "/v2/get/originators/detailed")],
)
def test_reads_are_gets_with_the_key(hook: str, path: str) -> None:
    body: dict[str, object] = {"balance": 5} if hook == "balance" else {"originators": []}
    fake = answer(envelope(body))
    getattr(plugin, hook)(fake.context())
    (request,) = fake.sent
    assert fake.kinds == ["read"]
    assert (request.method, request.path, request.body) == ("GET", path, None)
    assert request.headers["Authorization"] == f"Key {KEY}"


def test_balance_and_senders() -> None:
    assert plugin.balance(answer(envelope({"balance": 100})).context()).amount == Decimal(100)
    found = plugin.senders(
        answer(envelope({"originators": [{"name": "FIRMA", "status": 0}]})).context()
    )
    assert [(s.name, s.state) for s in found] == [("FIRMA", SenderState.PENDING)]


# -- errors ------------------------------------------------------------------------------

Hook = Callable[[Context], object]
HOOKS: dict[str, Hook] = {
    "send": lambda ctx: plugin.send(ctx, outgoing()),
    "report": lambda ctx: plugin.query_report(ctx, "1"),
    "balance": plugin.balance,
    "senders": plugin.senders,
}


@pytest.mark.parametrize("hook", sorted(HOOKS))
@pytest.mark.parametrize(
    ("code", "description", "error"),
    [
        (400, "İstemci hatası", Rejected),
        (400, "Başlık geçersiz", InvalidSender),
        (400, "Numara girilmemiş", InvalidRecipient),
        (401, "API Key hatalı", AuthenticationError),
        (402, "Yetersiz kredi", InsufficientCredit),
        (403, None, Forbidden),
        (406, None, InvalidRecipient),
        (407, None, AccountInactive),
        (413, None, MessageTooLong),
        (500, "Sunucu hatası", ProviderUnavailable),
        (429, None, RateLimited),
    ],
)
def test_documented_errors(
    hook: str, code: int, description: str | None, error: type[IletiError]
) -> None:
    # the envelope is read whatever the HTTP status (here 200)
    fake = answer(envelope([], code, description))
    with pytest.raises(error) as caught:
        HOOKS[hook](fake.context())
    assert type(caught.value) is error
    assert caught.value.code == str(code)
    assert caught.value.provider == "efecell"
    assert caught.value.http_status == 200
    if description:
        assert description in caught.value.message


def test_envelope_wins_over_the_http_status() -> None:
    fake = answer(envelope([], 402, "Yetersiz kredi"), status=401)
    with pytest.raises(InsufficientCredit) as caught:
        plugin.balance(fake.context())
    assert caught.value.http_status == 401


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationError), (403, Forbidden), (413, MessageTooLong)],
)
def test_non_json_error_falls_back_to_the_http_status(status: int, error: type[IletiError]) -> None:
    fake = answer(b"<html>denied</html>", status=status, content_type="text/html")
    with pytest.raises(error) as caught:
        plugin.balance(fake.context())
    assert caught.value.code == str(status)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<html>proxy</html>"),
        (200, b"not json"),
        (200, b"\xff\xfe"),
        (200, b"[]"),
        (200, b'{"balance": 5}'),
        (200, b'{"status": {"code": "x", "successful": true}, "response": {}}'),
        (200, b'{"status": {"code": 200}, "response": {}}'),
        (200, envelope([])),
        (200, envelope({"balance": None})),
        (418, b"teapot"),
        (404, b'{"error": "not found"}'),
    ],
)
def test_unreadable_answers_are_malformed(status: int, body: bytes) -> None:
    fake = answer(body, status=status)
    with pytest.raises(MalformedResponse):
        plugin.balance(fake.context())


@pytest.mark.parametrize(
    "response",
    [
        {"message": {"status": 1}},
        {"message": {"id": 1, "status": 1, "details": [{"to": "5321112233"}]}},
        {"message": {"id": 1, "status": 1, "details": [{"to": "5321112233", "status": 1,
                                                         "time": "later"}]}},
    ],
)  # fmt: skip
def test_unreadable_reports_are_malformed(response: object) -> None:
    with pytest.raises(MalformedResponse):
        plugin.query_report(answer(envelope(response)).context(), "1")


def test_a_send_answer_without_an_id_is_malformed() -> None:
    fake = answer(envelope({"message": {"count": 2}}))
    with pytest.raises(MalformedResponse):
        plugin.send(fake.context(), outgoing())


def test_error_messages_say_what_to_fix() -> None:
    with pytest.raises(AuthenticationError, match="api_key") as caught:
        plugin.balance(answer(envelope([], 401, "API Key hatalı")).context())
    assert "ILETI_EFECELL_API_KEY" in str(caught.value)


def test_provider_info() -> None:
    info = plugin.provider_info()
    assert info.name == "efecell"
    assert info.settings_type is EfecellSettings
    assert info.max_parts == 4
    assert info.encodings == ("gsm7", "ucs2", "turkish")
    assert {e.name: e.wire for e in info.text.encodings} == {
        "gsm7": "default",
        "ucs2": "utf-8",
        "turkish": "turkish",
    }
    assert (info.scheduling, info.validity, info.flash, info.client_reference) == (
        False,
        False,
        False,
        False,
    )
    for alias, name in [
        ("default", "gsm7"),
        ("utf-8", "ucs2"),
        ("tr", "turkish"),
        ("TR", "turkish"),
    ]:
        assert info.text.get(alias).name == name


def test_the_plugin_is_found_by_its_entry_point() -> None:
    assert "efecell" in {p.name for p in ileti.available_providers()}


def test_importing_the_plugin_stays_cheap() -> None:
    code = (
        "import sys, ileti_efecell.plugin; "
        "print(sorted(m for m in ('cattrs', 'urllib3', 'phonenumbers', 'ileti.emulation', "
        "'ileti_efecell.emulator') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
