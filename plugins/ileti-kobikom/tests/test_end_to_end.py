"""A real ileti.Client against the emulator over loopback HTTP."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import xmltodict
from ileti_kobikom import wire
from ileti_kobikom.emulator import KobikomEmulator

import ileti
from ileti.emulation import EmulatorRequest, Fault, FaultProxy, ServedApp, VirtualClock, serve
from ileti.errors import (
    DeliveryUnknown,
    IletiError,
    InvalidRecipient,
    InvalidSender,
    MalformedResponse,
    MessageTooLong,
    NotSupported,
    ValidationError,
)
from ileti.models import BalanceUnit, DeliveryState, SenderState

from .conftest import MakeClient

A, B, C = "+905321112233", "+905321112234", "+905321112239"  # C ends in 9: undelivered


def sent_document(request: EmulatorRequest) -> dict[str, Any]:
    """The XML document a send/balance/senders request carried (form field)."""
    assert request.content_type == "application/x-www-form-urlencoded"
    (xml,) = parse_qs(request.body.decode("utf-8"))["XML"]
    parsed: dict[str, Any] = xmltodict.parse(xml, strip_whitespace=False, force_list=("gsm",))
    return parsed


def states(report: ileti.DeliveryReport) -> list[tuple[str, DeliveryState, str]]:
    return [(r.number, r.state, r.raw_state) for r in report.recipients]


# -- send -----------------------------------------------------------------------------------


def test_send_one(client: ileti.Client, emulator: KobikomEmulator) -> None:
    result = client.send("0532 111 22 33", "Merhaba dünya", sender="ILETI", client_ref="ord-1001")
    assert result.provider == "kobikom"
    assert result.message_id == "ord-1001" == result.client_ref
    assert result.parts == 1
    (recipient,) = result.recipients
    assert (recipient.number, recipient.accepted, recipient.message_id) == (A, True, "ord-1001")
    assert recipient.raw_code == "0"
    (message,) = emulator.messages
    assert (message.recipient, message.text, message.sender) == (A, "Merhaba dünya", "ILETI")
    assert (message.wire_encoding, message.parts, message.client_ref) == ("0", 1, "ord-1001")

    (request,) = emulator.received
    assert request.path == "/api/sendsms/xml/"
    doc = sent_document(request)["SMS"]
    assert doc["dogrulama"] == {"kullanici": "ileti-demo", "parola": "emulator-parola"}
    block = doc["mesajiniz"]
    assert block["baslik"] == "ILETI"
    assert block["metin"] == "Merhaba dünya"
    assert (block["flash"], block["datacoding"]) == ("0", "0")
    assert "type" not in block
    assert "ileriTarih" not in block
    assert "ValidityPeriod" not in block
    assert block["alicilar"]["gsm"] == [{"@messageId": "ord-1001", "#text": "905321112233"}]


def test_send_many_keeps_order_and_gives_each_an_id(
    client: ileti.Client, emulator: KobikomEmulator
) -> None:
    result = client.send([B, A, C], "Merhaba", client_ref="pkg")
    assert [(r.number, r.message_id) for r in result.recipients] == [
        (B, "pkg-1"),
        (A, "pkg-2"),
        (C, "pkg-3"),
    ]
    assert len(emulator.received) == 1
    assert [m.recipient for m in emulator.messages] == [B, A, C]


def test_options_on_the_wire(
    client: ileti.Client, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    when = clock.now() + timedelta(days=1, hours=2, minutes=3, seconds=4)
    text = "ğ" * 71  # UCS-2, two parts
    result = client.send(
        A, text, schedule=when, validity=timedelta(hours=36), flash=True, client_ref="opt"
    )
    assert result.parts == 2
    block = sent_document(emulator.received[-1])["SMS"]["mesajiniz"]
    assert block["flash"] == "1"
    assert block["datacoding"] == "8"
    assert block["type"] == "longSMS"
    # the core rounds the schedule up to a whole second: never early
    assert block["ileriTarih"] == ("1d2h3m5s" if when.microsecond else "1d2h3m4s")
    assert block["ValidityPeriod"] == "36:00"
    assert "baslik" not in block  # no sender given: the account's default
    assert emulator.messages[0].sender == emulator.default_sender
    assert emulator.state_of("opt") == "scheduled"


@pytest.mark.parametrize(("style", "prefix"), [("raw", b"<?xml"), ("literal", b"XML=<?xml")])
def test_xml_body_styles(
    make_client: MakeClient, emulator: KobikomEmulator, style: str, prefix: bytes
) -> None:
    """raw: the bare document; literal: the document's own request, XML= and bare XML.
    Both labelled application/xml."""
    client = make_client(body_style=style)
    client.send(A, "a & b + c %41", client_ref="xml-1")
    assert client.balance().amount is not None
    for request in emulator.received:
        assert request.content_type == "application/xml"
        assert request.body.startswith(prefix)
    assert [(m.client_ref, m.text) for m in emulator.messages] == [("xml-1", "a & b + c %41")]


def test_a_sample_like_status_is_unreadable_not_accepted(
    make_client: MakeClient, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    """The document's sample answers '<status><0</status>' for its second recipient:
    not read as 0 (accepted), nor as a refusal (it may have been sent)."""

    def like_the_sample(environ: Any, start_response: Any) -> Iterable[bytes]:
        body = b"".join(emulator(environ, lambda *a, **k: None))
        if b"<results>" in body:
            head, _, tail = body.partition(b"<status>0</status>")
            body = head + b"<status>0</status>" + tail.replace(b"<status>0", b"<status><0", 1)
        start_response("200 OK", [("Content-Type", "text/csv;charset=UTF-8")])
        return [body]

    with serve(like_the_sample) as srv:
        client = make_client(base_url=srv.base_url, report_store=":memory:")
        result = client.send([A, B], "Merhaba", client_ref="sample")
        first, second = result.recipients
        assert (first.accepted, first.raw_code) == (True, "0")
        assert (second.accepted, second.raw_code) == (False, "<0")
        assert second.reason is not None
        assert "may or may not have been sent" in second.reason
        # its report is pulled like an accepted one's: it had been sent after all
        assert states(client.report("sample"))[1] == (B, DeliveryState.QUEUED, "NOT_SENT")
        clock.advance(60)
        assert states(client.report("sample"))[1][1] is DeliveryState.DELIVERED


def test_only_unreadable_statuses_keep_the_package(
    make_client: MakeClient, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    def unreadable(environ: Any, start_response: Any) -> Iterable[bytes]:
        body = b"".join(emulator(environ, lambda *a, **k: None))
        body = body.replace(b"<status>0</status>", b"<status>7</status>")
        start_response("200 OK", [("Content-Type", "text/csv;charset=UTF-8")])
        return [body]

    with serve(unreadable) as srv:
        client = make_client(base_url=srv.base_url, report_store=":memory:")
        result = client.send(A, "Merhaba", client_ref="seven")  # no error: it may be sent
        assert [(r.accepted, r.raw_code) for r in result.recipients] == [(False, "7")]
        clock.advance(60)
        assert states(client.report("seven")) == [(A, DeliveryState.DELIVERED, "DELIVERED")]


@pytest.mark.parametrize(
    "text",
    [
        "a & b < c > d ]]> \"q\" 'q'",
        "satır bir\nsatır iki\r\nsatır üç\r",
        "  boşluklu  ",
        "İĞNE ığdır Şule çığ ÖÜ öü ÇĞ 😀 ₺50",
        "x=1&XML=<SMS>%3C+",
    ],
)
@pytest.mark.parametrize("style", ["form", "literal", "raw"])
def test_text_arrives_exactly(
    make_client: MakeClient, emulator: KobikomEmulator, text: str, style: str
) -> None:
    make_client(body_style=style).send(A, text)
    assert emulator.messages[-1].text == text


def test_partly_rejected_send(client: ileti.Client, emulator: KobikomEmulator) -> None:
    landline = "+902121112233"  # a valid number, but not a mobile: -13 per recipient
    result = client.send([A, landline], "Merhaba", client_ref="part")
    ok, refused = result.recipients
    assert ok.accepted
    assert not refused.accepted
    assert refused.raw_code == "-13"
    assert refused.reason is not None
    assert "number" in refused.reason
    report = client.report("part")
    assert states(report) == [
        (A, DeliveryState.QUEUED, "NOT_SENT"),
        (landline, DeliveryState.REJECTED, "-13"),
    ]


def test_all_refused_raises_and_frees_the_reference(
    client: ileti.Client, emulator: KobikomEmulator
) -> None:
    with pytest.raises(InvalidRecipient) as caught:
        client.send("+902121112233", "Merhaba", client_ref="gone")
    assert caught.value.code == "-13"
    assert client.send(A, "Merhaba", client_ref="gone").recipients[0].accepted


def test_unapproved_sender(client: ileti.Client, emulator: KobikomEmulator) -> None:
    with pytest.raises(InvalidSender) as caught:
        client.send(A, "Merhaba", sender="BEKLEYEN")
    assert caught.value.code == "-34"
    assert emulator.messages == []


@pytest.mark.parametrize("code", sorted(KobikomEmulator.documented_errors))
def test_documented_errors_on_send(
    client: ileti.Client, emulator: KobikomEmulator, code: str
) -> None:
    expected = getattr(ileti, KobikomEmulator.documented_errors[code])
    emulator.force_error(code)
    with pytest.raises(expected) as caught:
        client.send(A, "Merhaba", client_ref="forced")
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert caught.value.provider == "kobikom"
    assert emulator.messages == []
    # nothing was sent, so the reference may be used again
    assert client.send(A, "Merhaba", client_ref="forced").recipients[0].accepted


@pytest.mark.parametrize("code", sorted(KobikomEmulator.documented_errors))
def test_documented_errors_on_reads(
    client: ileti.Client, emulator: KobikomEmulator, code: str
) -> None:
    expected = getattr(ileti, KobikomEmulator.documented_errors[code])
    client.send(A, "Merhaba", client_ref="r")
    for call in (client.balance, client.senders, lambda: client.report("r")):
        emulator.force_error(code)
        with pytest.raises(expected) as caught:
            call()
        assert type(caught.value) is expected
        assert caught.value.code == code


def test_too_long_is_refused_before_any_request(
    client: ileti.Client, emulator: KobikomEmulator
) -> None:
    with pytest.raises(MessageTooLong):
        client.send(A, "x" * (153 * wire.MAX_PARTS + 1))
    with pytest.raises(MessageTooLong):
        client.send(A, "ş" * (67 * wire.MAX_PARTS + 1))
    assert client.send(A, "x" * (153 * wire.MAX_PARTS)).parts == wire.MAX_PARTS
    assert len(emulator.received) == 1


def test_unsupported_encoding(client: ileti.Client, emulator: KobikomEmulator) -> None:
    with pytest.raises(NotSupported):
        client.send(A, "Merhaba", encoding="gsm7-tr")
    assert emulator.received == []


@pytest.mark.parametrize("ref", ["has space", "virgül,li", "ş", "a" * 65])
def test_bad_client_references(client: ileti.Client, emulator: KobikomEmulator, ref: str) -> None:
    with pytest.raises(ValidationError):
        client.send(A, "Merhaba", client_ref=ref)
    assert emulator.received == []


def test_reused_client_reference(client: ileti.Client, emulator: KobikomEmulator) -> None:
    client.send([A, B], "Merhaba", client_ref="once")
    for ref in ("once", "once-2"):
        with pytest.raises(ValidationError, match="already used"):
            client.send(A, "again", client_ref=ref)
    assert len(emulator.received) == 1


def test_validity_outside_the_range(client: ileti.Client, emulator: KobikomEmulator) -> None:
    with pytest.raises(ValidationError):
        client.send(A, "Merhaba", validity=timedelta(hours=49))
    assert emulator.received == []


# -- send_multi -------------------------------------------------------------------------------


def test_send_multi_groups_equal_texts(client: ileti.Client, emulator: KobikomEmulator) -> None:
    batch = ileti.Batch(
        [
            ileti.BatchItem(A, "Merhaba Ali", "m-a"),
            ileti.BatchItem(B, "Merhaba Ayşe", "m-b"),
            ileti.BatchItem(C, "Merhaba Ali", "m-c"),
        ],
        sender="ILETI",
    )
    result = client.send_multi(batch)
    assert [(r.number, r.accepted, r.message_id) for r in result.recipients] == [
        (A, True, "m-a"),
        (B, True, "m-b"),
        (C, True, "m-c"),
    ]
    assert len(emulator.received) == 2  # one request per distinct text
    assert {(m.recipient, m.text, m.client_ref) for m in emulator.messages} == {
        (A, "Merhaba Ali", "m-a"),
        (B, "Merhaba Ayşe", "m-b"),
        (C, "Merhaba Ali", "m-c"),
    }
    assert {m.wire_encoding for m in emulator.messages} == {"8"}  # one encoding for the batch
    report = client.report(result.message_id or "")
    assert [r.number for r in report.recipients] == [A, B, C]


def test_send_multi_later_failure_is_reported_not_raised(
    client: ileti.Client, emulator: KobikomEmulator
) -> None:
    emulator.credit = KobikomEmulator.price_per_part  # pays for the first request only
    result = client.send_multi([(A, "bir"), (B, "iki"), (C, "üç")])
    first, second, third = result.recipients
    assert first.accepted
    assert not second.accepted
    assert not third.accepted
    assert second.raw_code == "-2"
    assert third.raw_code == wire.NOT_SUBMITTED
    assert third.reason is not None
    assert third.reason.startswith("not sent")
    assert len(emulator.received) == 2  # the third was not tried
    report = client.report(result.message_id or "")
    assert [r.state for r in report.recipients] == [
        DeliveryState.QUEUED,
        DeliveryState.FAILED,
        DeliveryState.FAILED,
    ]


def test_send_multi_lost_answer_after_accepted_requests(
    make_client: MakeClient, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    posts = 0

    def second_answer_lost(environ: Any, start_response: Any) -> Iterable[bytes]:
        nonlocal posts
        body = b"".join(emulator(environ, lambda *a, **k: None))
        if environ["REQUEST_METHOD"] == "POST":
            posts += 1
            if posts == 2:
                body = b"<html>proxy error</html>"
        start_response("200 OK", [("Content-Type", "text/csv;charset=UTF-8")])
        return [body]

    with serve(second_answer_lost) as srv:
        client = make_client(base_url=srv.base_url, report_store=":memory:")
        with pytest.raises(DeliveryUnknown, match="1 recipient") as caught:
            client.send_multi([(A, "bir"), (B, "iki"), (C, "üç")])
        batch_ref = caught.value.client_ref
        assert batch_ref
        assert [m.recipient for m in emulator.messages] == [A, B]  # the third never left
        clock.advance(60)
        report = client.report(batch_ref)
    assert [(r.number, r.state) for r in report.recipients] == [
        (A, DeliveryState.DELIVERED),
        (B, DeliveryState.DELIVERED),  # its answer was lost, its report was not
        (C, DeliveryState.FAILED),  # never tried: not sent
    ]
    assert report.recipients[2].raw_state == wire.NOT_SUBMITTED


def test_send_multi_first_failure_raises(client: ileti.Client, emulator: KobikomEmulator) -> None:
    emulator.force_error("-5")
    batch = ileti.Batch([ileti.BatchItem(A, "bir", "x-1"), ileti.BatchItem(B, "iki", "x-2")])
    with pytest.raises(ileti.AuthenticationError):
        client.send_multi(batch)
    assert len(emulator.received) == 1
    assert client.send_multi(batch).recipients[0].accepted  # the references were freed


def test_send_multi_duplicate_references(client: ileti.Client, emulator: KobikomEmulator) -> None:
    batch = ileti.Batch([ileti.BatchItem(A, "bir", "same"), ileti.BatchItem(B, "iki", "same")])
    with pytest.raises(ValidationError, match="twice"):
        client.send_multi(batch)
    assert emulator.received == []


# -- reports ----------------------------------------------------------------------------------


def test_report_progresses_with_the_clock(
    client: ileti.Client, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    result = client.send([A, C], "Merhaba", client_ref="prog")
    first = client.report("prog")
    assert states(first) == [
        (A, DeliveryState.QUEUED, "NOT_SENT"),
        (C, DeliveryState.QUEUED, "NOT_SENT"),
    ]
    assert first.recipients[0].time is not None
    assert first.recipients[0].time.tzinfo is not None
    clock.advance(10)
    assert {r.state for r in client.report("prog").recipients} == {DeliveryState.SENT}
    clock.advance(50)
    final = client.report(result.message_id or "")
    assert states(final) == [
        (A, DeliveryState.DELIVERED, "DELIVERED"),
        (C, DeliveryState.UNDELIVERED, "NOT_DELIVERED"),
    ]
    assert final.is_final
    assert final.recipients[1].error == "gsmerror 1"
    assert final.recipients[0].message_id == "prog-1"
    seen = len(emulator.received)
    assert client.report("prog") == final  # answered from the store: no request
    assert len(emulator.received) == seen


def test_no_data_keeps_the_previous_state(
    client: ileti.Client, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    client.send(A, "Merhaba", client_ref="keep")
    clock.advance(10)
    assert client.report("keep").recipients[0].state is DeliveryState.SENT
    # the gateway has nothing new (NO_DATA): the state pulled before is kept
    before = len(emulator.received)
    assert client.report("keep").recipients[0].state is DeliveryState.SENT
    assert len(emulator.received) == before + 1


def test_scheduled_report(
    client: ileti.Client, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    client.send(A, "Merhaba", schedule=clock.now() + timedelta(hours=2), client_ref="later")
    assert states(client.report("later")) == [(A, DeliveryState.SCHEDULED, "0")]
    clock.advance(timedelta(hours=2, seconds=1))
    assert states(client.report("later")) == [(A, DeliveryState.QUEUED, "NOT_SENT")]
    clock.advance(60)
    assert client.report("later").recipients[0].state is DeliveryState.DELIVERED


def test_report_of_one_recipient(
    client: ileti.Client, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    client.send([A, C], "Merhaba", client_ref="one")
    clock.advance(60)
    report = client.report("one-2")
    assert report.message_id == "one-2"
    assert states(report) == [(C, DeliveryState.UNDELIVERED, "NOT_DELIVERED")]
    pulls = [r for r in emulator.received if r.path.endswith("/pull")]
    assert [r.arg("MessageId") for r in pulls] == ["one-2"]
    # the other recipient's report is still waiting at the gateway, once
    assert client.report("one").is_final


def test_unknown_message_id_makes_no_request(
    client: ileti.Client, emulator: KobikomEmulator
) -> None:
    with pytest.raises(ValidationError, match="report store"):
        client.report("never-sent")
    assert emulator.received == []


def test_reports_pulled_for_other_messages_are_kept(
    client: ileti.Client, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    client.send(A, "bir", client_ref="p1")
    client.send(B, "iki", client_ref="p2")
    clock.advance(60)
    emulator.pull_ignores_filter = True  # the gateway drains everything on the account
    assert client.report("p1").is_final
    assert all(sms.reported == "DELIVERED" for sms in emulator.sms.values())
    before = len(emulator.received)
    assert states(client.report("p2")) == [(B, DeliveryState.DELIVERED, "DELIVERED")]
    assert len(emulator.received) == before  # p2's report had already been pulled and kept


def test_store_is_shared_by_clients_and_outlives_them(
    make_client: MakeClient, emulator: KobikomEmulator, clock: VirtualClock, tmp_path: Path
) -> None:
    store = str(tmp_path / "shared.sqlite3")
    first = make_client(report_store=store)
    first.send([A, C], "Merhaba", client_ref="shared")
    clock.advance(60)
    assert first.report("shared").is_final  # pulls: the gateway will not tell again
    first.close()
    second = make_client(report_store=store)
    before = len(emulator.received)
    report = second.report("shared")
    assert states(report) == [
        (A, DeliveryState.DELIVERED, "DELIVERED"),
        (C, DeliveryState.UNDELIVERED, "NOT_DELIVERED"),
    ]
    assert len(emulator.received) == before


def test_memory_store_is_per_client(
    make_client: MakeClient, emulator: KobikomEmulator, tmp_path: Path
) -> None:
    first = make_client(report_store=":memory:")
    first.send(A, "Merhaba", client_ref="mem")
    with pytest.raises(ValidationError):
        make_client(report_store=":memory:").report("mem")
    assert not (tmp_path / "state").exists()


def test_default_store_is_created_on_first_use(
    client: ileti.Client, emulator: KobikomEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "state" / "ileti"
    assert not folder.exists()
    client.balance()
    assert not folder.exists()  # reads that keep nothing create nothing
    client.send(A, "Merhaba")
    assert (folder / "kobikom-reports.sqlite3").exists()


def test_many_recipients_are_pulled_in_chunks(
    client: ileti.Client, emulator: KobikomEmulator, clock: VirtualClock
) -> None:
    numbers = [f"+90532{i:07d}" for i in range(wire.PULL_CHUNK + 3)]
    client.send(numbers, "Merhaba", client_ref="big")
    clock.advance(60)
    report = client.report("big")
    assert report.is_final
    assert len(report.recipients) == len(numbers)
    pulls = [r for r in emulator.received if r.path.endswith("/pull")]
    assert [len((r.arg("MessageId") or "").split(",")) for r in pulls] == [wire.PULL_CHUNK, 3]


# -- lost answers -------------------------------------------------------------------------------


def _lossy(emulator: KobikomEmulator) -> Any:
    """The gateway acts on every request, but its answer to a send is cut short."""

    def app(environ: Any, start_response: Any) -> Iterable[bytes]:
        body = b"".join(emulator(environ, lambda *a, **k: None))
        if environ["REQUEST_METHOD"] == "POST" and b"<results>" in body:
            body = body[: len(body) // 2]
        start_response("200 OK", [("Content-Type", "text/csv;charset=UTF-8")])
        return [body]

    return app


@pytest.fixture
def lossy(emulator: KobikomEmulator) -> Iterator[ServedApp]:
    with serve(_lossy(emulator)) as srv:
        yield srv


def test_lost_send_answer_is_delivery_unknown_and_settles_by_report(
    make_client: MakeClient, emulator: KobikomEmulator, clock: VirtualClock, lossy: ServedApp
) -> None:
    client = make_client(base_url=lossy.base_url, report_store=":memory:")
    with pytest.raises(DeliveryUnknown) as caught:
        client.send([A, B], "Merhaba", client_ref="lost")
    assert caught.value.client_ref == "lost"
    assert len(emulator.messages) == 2  # it was sent after all
    # the package was kept before the request left: report settles it
    clock.advance(60)
    report = client.report("lost")
    assert {r.state for r in report.recipients} == {DeliveryState.DELIVERED}
    with pytest.raises(ValidationError):
        client.send(A, "again", client_ref="lost")  # never reuse a maybe-sent reference


def test_send_that_never_arrived_reports_unknown(
    make_client: MakeClient, emulator: KobikomEmulator, served: ServedApp
) -> None:
    with FaultProxy(served.base_url) as proxy:
        proxy.set_faults(Fault.RESET)
        client = make_client(base_url=proxy.base_url)
        with pytest.raises(DeliveryUnknown):
            client.send(A, "Merhaba", client_ref="reset")
        assert emulator.messages == []
        report = client.report("reset")
    assert states(report) == [(A, DeliveryState.UNKNOWN, "")]


@pytest.mark.parametrize("fault", [Fault.GARBAGE, Fault.HTTP_500, Fault.TRUNCATED])
def test_garbage_on_send_is_delivery_unknown(
    make_client: MakeClient, served: ServedApp, fault: Fault
) -> None:
    with FaultProxy(served.base_url) as proxy:
        proxy.set_faults(fault)
        with pytest.raises(DeliveryUnknown):
            make_client(base_url=proxy.base_url).send(A, "Merhaba")


@pytest.mark.parametrize("fault", [Fault.GARBAGE, Fault.HTML])
def test_garbage_on_reads_is_an_ileti_error(
    make_client: MakeClient, served: ServedApp, fault: Fault
) -> None:
    with FaultProxy(served.base_url) as proxy:
        proxy.fault = fault
        client = make_client(base_url=proxy.base_url)
        for call in (client.balance, client.senders):
            with pytest.raises(IletiError):
                call()


def test_cut_pull_answer_keeps_the_readable_reports(
    make_client: MakeClient, emulator: KobikomEmulator, clock: VirtualClock, tmp_path: Path
) -> None:
    store = str(tmp_path / "reports.sqlite3")
    client = make_client(report_store=store)
    client.send([A, B], "Merhaba", client_ref="cut")
    clock.advance(60)

    def cut_pull(environ: Any, start_response: Any) -> Iterable[bytes]:
        body = b"".join(emulator(environ, lambda *a, **k: None))
        start_response("200 OK", [("Content-Type", "text/csv;charset=UTF-8")])
        return [body[: body.rindex(b"<message") + 20]]

    with serve(cut_pull) as srv:
        cutting = make_client(base_url=srv.base_url, report_store=store)
        with pytest.raises(MalformedResponse, match="could not be read"):
            cutting.report("cut")
    report = client.report("cut")  # the readable report was kept; the cut one is lost
    assert [r.state for r in report.recipients] == [DeliveryState.DELIVERED, DeliveryState.QUEUED]


# -- balance and senders ---------------------------------------------------------------------------


def test_balance_falls_by_billed_parts(client: ileti.Client, emulator: KobikomEmulator) -> None:
    before = client.balance()
    assert before.unit is BalanceUnit.CURRENCY
    assert before.currency == "TRY"
    assert before.amount == Decimal(1000)
    result = client.send([A, B, C], "x" * 200)  # two parts each
    after = client.balance()
    assert result.parts == 2
    assert after.amount == Decimal(1000) - 2 * 3 * KobikomEmulator.price_per_part


def test_senders(client: ileti.Client, emulator: KobikomEmulator) -> None:
    emulator.account.senders.approve("ACME")
    listed = client.senders()
    assert [(s.name, s.state) for s in listed] == [
        ("ILETI", SenderState.APPROVED),
        ("ACME", SenderState.APPROVED),
        ("908501112233", SenderState.APPROVED),
    ]


def test_wrong_password(make_client: MakeClient, emulator: KobikomEmulator) -> None:
    client = make_client(password="wrong")
    for call in (client.balance, client.senders, lambda: client.send(A, "x")):
        with pytest.raises(ileti.AuthenticationError) as caught:
            call()
        assert caught.value.code == "-5"


def test_loopback_never_warns(client: ileti.Client) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.send(A, "Merhaba")
        client.balance()
