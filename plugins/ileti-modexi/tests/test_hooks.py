"""The hooks called directly with a stub transport (what real HTTP cannot easily show)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from ileti_modexi import plugin, wire
from ileti_modexi.settings import ModexiSettings

from ileti.errors import MalformedResponse
from ileti.http import HttpRequest, HttpResponse
from ileti.models import DeliveryState
from ileti.plugin import Context
from ileti.settings import resolve_settings


def make_ctx(answer: Callable[[HttpRequest], HttpResponse]) -> Context:
    settings = resolve_settings(
        "modexi", ModexiSettings, {"username": "u", "password": "p"}, env={}
    ).settings

    def no_send(request: HttpRequest, **kw: Any) -> HttpResponse:
        raise AssertionError("no send expected")

    def read(request: HttpRequest, **kw: Any) -> HttpResponse:
        # Modexi reports are taken to be repeatable: every read may be replayed
        assert kw.get("replayable", True) is True
        return answer(request)

    return Context(
        provider="modexi",
        settings=settings,
        info=plugin.provider_info(),
        send_request=no_send,
        read_request=read,
    )


def ok(result: object) -> HttpResponse:
    body = {"errorCode": 200, "errorDescription": "", "result": result}
    return HttpResponse(200, {"content-type": "application/json"}, json.dumps(body).encode())


def rows(n: int) -> list[dict[str, object]]:
    return [
        {
            "messageId": 1000 + i,
            "to": f"532{i:07d}",
            "sentAt": "2024-01-01 10:00:00",
            "doneAt": "2024-01-01 10:00:50",
            "smsCount": 1,
            "status": {"code": 10, "name": ""},
        }
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("total", "limits"),
    [
        (3, [1000]),
        (999, [1000]),
        (1000, [1000, 2000]),
        (2500, [1000, 2000, 3000]),
        (100_000, [1000, 2000, 3000]),
    ],
)
def test_report_asks_again_with_a_larger_limit_while_pages_come_back_full(
    total: int, limits: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wire, "REPORT_LIMIT_MAX", 3000)  # stops asking at the cap
    asked: list[int] = []

    def read(request: HttpRequest) -> HttpResponse:
        assert request.path == "/sms/1/reports"
        assert request.body is not None
        body = json.loads(request.body)
        assert body["messageCode"] == "77"
        asked.append(body["limit"])
        return ok(rows(min(total, body["limit"])))

    report = plugin.query_report(ctx=make_ctx(read), message_id="77")
    assert asked == limits
    assert len(report.recipients) == min(total, wire.REPORT_LIMIT_MAX)
    assert {r.state for r in report.recipients} == {DeliveryState.DELIVERED}


def test_a_report_row_with_an_unreadable_time_is_malformed() -> None:
    bad = rows(1)
    bad[0]["doneAt"] = "yesterday"
    with pytest.raises(MalformedResponse, match="unreadable"):
        plugin.query_report(ctx=make_ctx(lambda request: ok(bad)), message_id="77")


def test_a_state_never_moves_backwards_between_reports() -> None:
    answers = [rows(1), rows(1)]
    answers[1][0]["status"] = {"code": 300, "name": ""}
    ctx = make_ctx(lambda request: ok(answers.pop(0)))
    first = plugin.query_report(ctx=ctx, message_id="77")
    second = plugin.query_report(ctx=ctx, message_id="77")
    assert first.recipients[0].state is DeliveryState.DELIVERED
    assert second.recipients == first.recipients


def test_the_authorization_header_is_http_basic() -> None:
    seen: list[HttpRequest] = []

    def read(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return ok([{"value": "ABC"}])

    assert [s.name for s in plugin.senders(ctx=make_ctx(read))] == ["ABC"]
    # the document's example: test / 1234 -> dGVzdDoxMjM0; here u / p -> dTpw
    assert seen[0].headers["Authorization"] == "Basic dTpw"
    assert seen[0].headers["Accept"] == "application/json"
    assert seen[0].method == "GET"
    assert seen[0].body is None


def test_provider_info() -> None:
    info = plugin.provider_info()
    assert info.name == "modexi"
    assert info.encodings == ("gsm7", "ucs2")
    assert info.max_parts == wire.MAX_PARTS
    assert info.max_recipients == wire.MAX_RECIPIENTS
    assert info.scheduling
    assert info.validity
    assert not info.flash
    assert not info.client_reference
    assert info.validity_range is not None
    low, high = info.validity_range
    assert (low.total_seconds(), high.total_seconds()) == (600, 48 * 3600)
