"""Pushed delivery reports: ``pushurl`` on the wire, the emulator pushing state
changes to a receiver on loopback, and the plugin reading them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from urllib.parse import quote_plus, unquote_plus

import pytest
from ileti_kobikom.emulator import KobikomEmulator

import ileti
from ileti.emulation import ServedApp, serve
from ileti.errors import ConfigurationError, MalformedResponse
from ileti.models import DeliveryReport, DeliveryState
from ileti.push import PushReceiver, PushRequest

TOKEN = "push-token-0123456789abcdef"

MakeClient = Callable[..., ileti.Client]


class Inbox:
    def __init__(self) -> None:
        self.reports: list[DeliveryReport] = []

    def __call__(self, reports: list[DeliveryReport]) -> None:
        self.reports.extend(reports)

    def states(self) -> dict[str, DeliveryState]:
        return {r.number: r.state for report in self.reports for r in report.recipients}


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def receiver(make_client: MakeClient, inbox: Inbox) -> Iterator[tuple[PushReceiver, ServedApp]]:
    push = PushReceiver(make_client(), inbox, token=TOKEN)
    with serve(push.wsgi) as srv:
        yield push, srv


def _sent_body(emulator: KobikomEmulator) -> str:
    return unquote_plus(emulator.received[-1].body.decode())


def test_pushurl_is_sent_only_when_configured(
    make_client: MakeClient, emulator: KobikomEmulator
) -> None:
    make_client().send("05321112233", "a", sender="ILETI")
    assert "pushurl" not in _sent_body(emulator)
    url = "http://127.0.0.1:9/hook/" + TOKEN
    make_client(push_url=url).send("05321112233", "b", sender="ILETI")
    assert f"<pushurl>{url}</pushurl>" in _sent_body(emulator)


def test_push_url_is_a_secret_and_validated(make_client: MakeClient) -> None:
    client = make_client(push_url="https://example.com/sms/" + TOKEN)
    assert TOKEN not in repr(client.settings)
    assert client.settings.push_url.reveal().endswith(TOKEN)
    with pytest.raises(ConfigurationError, match="push_url"):
        make_client(push_url="ftp://example.com/x")
    assert make_client(push_url="").settings.push_url is None


def test_the_emulator_pushes_each_change_to_the_receiver(
    make_client: MakeClient,
    emulator: KobikomEmulator,
    receiver: tuple[PushReceiver, ServedApp],
    inbox: Inbox,
) -> None:
    push, srv = receiver
    client = make_client(push_url=push.url(srv.base_url))
    result = client.send(["05321112233", "05321112239"], "Merhaba", sender="ILETI")
    assert emulator.push_reports() == 2  # the first state
    first = inbox.states()
    assert emulator.push_reports() == 0  # each state is pushed once
    emulator.clock.advance(timedelta(seconds=15))
    assert emulator.push_reports() == 2
    assert inbox.states() == {
        "+905321112233": DeliveryState.SENT,
        "+905321112239": DeliveryState.SENT,
    }
    assert first != inbox.states()
    assert {r.message_id for r in inbox.reports} == {result.message_id}
    emulator.clock.advance(timedelta(minutes=2))
    assert emulator.push_reports() == 2
    assert inbox.states() == {
        "+905321112233": DeliveryState.DELIVERED,
        "+905321112239": DeliveryState.UNDELIVERED,
    }
    # what was pushed is kept where report() finds it
    report = client.report(result.message_id or "")
    assert report.is_final
    assert report.tally() == {DeliveryState.DELIVERED: 1, DeliveryState.UNDELIVERED: 1}


def test_a_failed_push_is_tried_again(
    make_client: MakeClient, emulator: KobikomEmulator, inbox: Inbox
) -> None:
    push = PushReceiver(make_client(), inbox, token=TOKEN)
    with serve(push.wsgi) as srv:
        url = push.url(srv.base_url)
    client = make_client(push_url=url)  # the receiver is down
    client.send("05321112233", "x", sender="ILETI")
    emulator.clock.advance(timedelta(minutes=2))
    assert emulator.push_reports() == 0
    port = int(url.split(":")[2].split("/")[0])
    with serve(push.wsgi, port=port):
        assert emulator.push_reports() == 1
    assert inbox.states() == {"+905321112233": DeliveryState.DELIVERED}


def test_the_emulator_pushes_only_to_loopback(
    make_client: MakeClient, emulator: KobikomEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    make_client(push_url="http://192.0.2.1/hook/" + TOKEN).send("05321112233", "x")
    emulator.clock.advance(timedelta(minutes=2))
    assert emulator.push_reports() == 0
    assert "only to http(s) on loopback" in caplog.text
    assert TOKEN not in caplog.text


def _document(*messages: str) -> bytes:
    return ("<DeliveryReport>" + "".join(messages) + "</DeliveryReport>").encode()


def test_reading_a_push_as_form_or_bare_xml(make_client: MakeClient) -> None:
    client = make_client()
    sent = client.send("05321112233", "x", sender="ILETI")
    message = (
        f'<message id="{sent.message_id}" sentdate="2024/5/1 10:0:5" '
        'donedate="2024/5/1 10:0:9" status="DELIVERED" gsmerror="0" />'
    )
    bare = PushRequest("POST", "/" + TOKEN, body=_document(message))
    form = PushRequest("POST", "/", body=b"XML=" + quote_plus(_document(message)).encode())
    for request in (bare, form):
        [report] = client.read_push(request)
        assert report.message_id == sent.message_id
        [row] = report.recipients
        assert (row.number, row.state, row.raw_state) == (
            "+905321112233",
            DeliveryState.DELIVERED,
            "DELIVERED",
        )


def test_unknown_ids_are_kept_but_not_reported(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    caplog.set_level(logging.WARNING)
    reports = client.read_push(
        PushRequest("POST", "/", body=_document('<message id="other-system" status="DELIVERED"/>'))
    )
    assert reports == []
    assert "other-system" in caplog.text


@pytest.mark.parametrize(
    "body",
    [b"", b"garbage", b"-5", b"<html>proxy error</html>", _document("<message id=")],
)
def test_garbage_is_malformed(make_client: MakeClient, body: bytes) -> None:
    client = make_client()
    with pytest.raises(MalformedResponse):
        client.read_push(PushRequest("POST", "/", body=body))


def test_the_receiver_answers(make_client: MakeClient, inbox: Inbox) -> None:
    push = PushReceiver(make_client(), inbox, token=TOKEN)
    assert push.handle(PushRequest("POST", "/" + TOKEN, body=b"garbage")) == (
        400,
        "unreadable push",
    )
    assert push.handle(PushRequest("POST", "/wrong-token-0123456789", body=_document()))[0] == 404
    assert push.handle(PushRequest("POST", "/" + TOKEN, body=b"NO_DATA")) == (200, "OK")
    assert inbox.reports == []
