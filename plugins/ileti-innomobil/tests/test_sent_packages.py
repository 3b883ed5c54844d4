"""Innomobil's ``reports`` as ``Client.sent_packages``: over loopback, page by page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ileti_innomobil import wire
from ileti_innomobil.emulator import REPORTS_PAGE_SIZE, InnomobilEmulator

import ileti
from ileti.emulation import EmulatorResponse


def _send(client: ileti.Client, n: int) -> list[str]:
    return [
        client.send(f"0532{i:07d}", f"Merhaba {i}", sender="ILETI").message_id or ""
        for i in range(n)
    ]


def test_every_package_of_the_range_is_listed_once_in_order_across_pages(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    start = emulator.clock.now()
    sent = _send(client, REPORTS_PAGE_SIZE + 7)  # two pages
    emulator.clock.advance(120)
    emulator.received.clear()
    listed = list(client.sent_packages(start, emulator.clock.now()))
    assert [p.message_id for p in listed] == sent
    pages = [r.json()["page"] for r in emulator.received if r.path.endswith("/reports")]
    assert pages == ["1", "2", "3"]  # the third page is empty: the end
    first = listed[0]
    assert (first.sender, first.text, first.recipients, first.parts) == ("ILETI", "Merhaba 0", 1, 1)
    assert first.delivered == 1
    assert first.waiting == first.failed == 0
    assert first.sent_at is not None
    assert first.sent_at.utcoffset() is not None
    assert abs(first.sent_at - start) < timedelta(seconds=5)
    assert not first.scheduled
    # the listed id is what report() takes
    assert client.report(first.message_id).recipients[0].number == "+905320000000"


def test_the_range_is_sent_as_unix_seconds_and_bounds_the_list(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    start = emulator.clock.now()
    early = _send(client, 2)
    emulator.clock.advance(3600)
    middle = emulator.clock.now()
    late = _send(client, 3)
    emulator.received.clear()
    now = emulator.clock.now()
    assert [p.message_id for p in client.sent_packages(middle - timedelta(seconds=1), now)] == late
    body = emulator.received[0].json()
    assert body["sdate"] == str(int((middle - timedelta(seconds=1)).timestamp()))
    assert body["tip"] == 0
    assert body["alfanumerik"] == ""
    assert [p.message_id for p in client.sent_packages(start, middle - timedelta(seconds=1))] == (
        early
    )


def test_scheduled_packages_are_listed_apart(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    start = emulator.clock.now()
    later = start + timedelta(days=1)
    scheduled = client.send("05321112233", "Yarin", sender="ILETI", schedule=later)
    _send(client, 1)
    assert client.supports("sent_packages")
    listed = list(client.sent_packages(start, later + timedelta(hours=1), scheduled=True))
    assert [(p.message_id, p.scheduled) for p in listed] == [(scheduled.message_id, True)]


def test_wrong_credentials_are_an_authentication_error(
    emulator: InnomobilEmulator, served: Any
) -> None:
    with (
        ileti.Client(
            "innomobil", base_url=served.base_url, username="ileti-test", password="wrong"
        ) as client,
        pytest.raises(ileti.AuthenticationError),
    ):
        list(client.sent_packages(datetime(2026, 1, 1, tzinfo=UTC), emulator.clock.now()))


@pytest.mark.parametrize(
    "item",
    [
        {"messageid": "", "datetime": "2026-12-01 10:00:00"},
        {"messageid": "7", "datetime": "01.12.2026 10:00"},
        {"messageid": "7", "datetime": "2026-12-01 10:00:00", "gsmcount": "-1"},
        {"messageid": "7", "datetime": "2026-12-01 10:00:00", "smscount": "iki"},
    ],
)
def test_a_package_that_cannot_be_read_is_a_malformed_answer(
    client: ileti.Client, emulator: InnomobilEmulator, item: dict[str, str]
) -> None:
    full = {"sender": "ILETI", "text": "x", "smscount": "1", "gsmcount": "1",
            "statusok": "0", "statuswait": "1", "statusfail": "0", **item}  # fmt: skip
    emulator.reports = lambda request: EmulatorResponse.json(  # type: ignore[method-assign]
        {"status": "ok", "error": "", "result": [full]}
    )
    with pytest.raises(ileti.MalformedResponse):
        list(client.sent_packages(datetime(2026, 1, 1, tzinfo=UTC), emulator.clock.now()))


def test_report_times_are_read_as_turkish_time() -> None:
    when = wire.parse_report_time("2014-08-21 17:00:52")
    assert when.astimezone(UTC) == datetime(2014, 8, 21, 14, 0, 52, tzinfo=UTC)
    assert wire.unix_seconds(datetime(2026, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)) == "1767225600"
    assert (
        wire.unix_seconds(datetime(2026, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC), up=True)
        == "1767225601"
    )


def _listing(page_of: Any) -> Any:
    def reports(request: Any) -> EmulatorResponse:
        rows = [
            {
                "messageid": str(i),
                "datetime": "2026-12-01 10:00:00",
                "sender": "ILETI",
                "text": "x",
                "smscount": "1",
                "gsmcount": "1",
                "statusok": "1",
                "statuswait": "0",
                "statusfail": "0",
            }
            for i in page_of(int(request.json()["page"]))
        ]
        return EmulatorResponse.json({"status": "ok", "error": "", "result": rows})

    return reports


def test_a_gateway_that_ignores_the_page_number_is_read_once(
    client: ileti.Client, emulator: InnomobilEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.reports = _listing(lambda page: [1, 2])  # type: ignore[method-assign]
    listed = list(client.sent_packages(datetime(2026, 1, 1, tzinfo=UTC), emulator.clock.now()))
    assert [p.message_id for p in listed] == ["1", "2"]
    assert "does not page" in caplog.text


def test_endless_pages_end_in_a_malformed_answer(
    client: ileti.Client, emulator: InnomobilEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ileti.Client, "MAX_PAGES", 3)
    emulator.reports = _listing(lambda page: [page])  # type: ignore[method-assign]
    listed = client.sent_packages(datetime(2026, 1, 1, tzinfo=UTC), emulator.clock.now())
    with pytest.raises(ileti.MalformedResponse, match="after 3 pages"):
        list(listed)


def test_arguments_are_checked_before_any_request(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    with pytest.raises(ileti.ValidationError, match=r"since \(2026-01-01T00:00:00\) has no"):
        client.sent_packages(datetime(2026, 1, 1))
    with pytest.raises(ileti.ValidationError, match="until .* has no time zone"):
        client.sent_packages(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2))
    with pytest.raises(ileti.ValidationError, match="is after until"):
        client.sent_packages(datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    assert emulator.received == []


def test_a_provider_without_a_history_says_so_by_name() -> None:
    with ileti.Client("efecell", api_key="k", base_url="http://127.0.0.1:9") as client:
        assert not client.supports("sent_packages")
        with pytest.raises(ileti.NotSupported, match="'efecell' does not support 'sent_packages'"):
            client.sent_packages(datetime(2026, 1, 1, tzinfo=UTC))


def test_the_async_client_reads_every_page(
    client: ileti.Client, emulator: InnomobilEmulator
) -> None:
    import asyncio

    start = emulator.clock.now()
    sent = _send(client, 3)

    async def read() -> list[ileti.SentPackage]:
        async with ileti.AsyncClient.wrap(client) as aclient:
            return await aclient.sent_packages(start, emulator.clock.now())

    assert [p.message_id for p in asyncio.run(read())] == sent
